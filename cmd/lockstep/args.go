package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"
)

// parseArgs parses fs's flags wherever they stand among args, so that
// `lockstep orgs get acme --output json` and `lockstep orgs get --output json acme`
// mean the same. Afterwards fs.Args() holds the positional arguments in their
// order; everything after "--" is positional, even when it starts with '-'.
// Every command parses its command line here (through loadConfig).
func parseArgs(fs *flag.FlagSet, args []string) error {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			positional = append(positional, rest...)
			break
		}
		// fs.Parse stopped at a positional argument: keep it and parse on.
		positional, args = append(positional, rest[0]), rest[1:]
	}
	// Parsing a lone "--" sets no flag and leaves fs.Args() the positional ones.
	return fs.Parse(append([]string{"--"}, positional...))
}

// listFlag collects a repeatable flag whose value may also be a comma-separated
// list: `--groups a,b --groups c` is a, b and c. An empty value adds nothing, so
// `--groups ""` gives the empty list (and fs.Visit still sees the flag).
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for item := range strings.SplitSeq(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			*l = append(*l, item)
		}
	}
	return nil
}

// oneLine is err with its lines joined by "; " (errors.Join puts each refusal
// on a line of its own), for a message the CLI prints on one line; errors.Is and
// errors.As still see err.
func oneLine(err error) error {
	if err == nil || !strings.Contains(err.Error(), "\n") {
		return err
	}
	return joined{err}
}

type joined struct{ err error }

func (j joined) Error() string { return strings.ReplaceAll(j.err.Error(), "\n", "; ") }
func (j joined) Unwrap() error { return j.err }

// flagsGiven reports which of fs's flags the command line set.
func flagsGiven(fs *flag.FlagSet) map[string]bool {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	return given
}

// exactlyOne returns the one positional argument; need says which, as in "orgs
// get needs one organisation id".
func exactlyOne(fs *flag.FlagSet, need string) (string, error) {
	switch fs.NArg() {
	case 1:
		return fs.Arg(0), nil
	case 0:
		return "", errors.New(need)
	default:
		return "", fmt.Errorf("%s, not %d: %q", need, fs.NArg(), fs.Args())
	}
}
