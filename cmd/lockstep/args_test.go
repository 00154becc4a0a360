package main

import (
	"errors"
	"flag"
	"slices"
	"strings"
	"testing"
)

// TestParseArgs: flags and positional arguments in any order; after "--" every
// argument is positional.
func TestParseArgs(t *testing.T) {
	for _, tt := range []struct {
		args       []string
		name       string
		verbose    bool
		positional []string
	}{
		{[]string{"a", "--name", "n", "b"}, "n", false, []string{"a", "b"}},
		{[]string{"--name=n", "a", "-v", "b"}, "n", true, []string{"a", "b"}},
		{[]string{"a", "b", "-v", "--name", "n"}, "n", true, []string{"a", "b"}},
		{[]string{"-v", "--", "-x", "--name", "m"}, "", true, []string{"-x", "--name", "m"}},
		{[]string{"a", "--", "b"}, "", false, []string{"a", "b"}},
		{nil, "", false, []string{}},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			name := fs.String("name", "", "")
			verbose := fs.Bool("v", false, "")
			if err := parseArgs(fs, tt.args); err != nil {
				t.Fatal(err)
			}
			if *name != tt.name || *verbose != tt.verbose || !slices.Equal(fs.Args(), tt.positional) {
				t.Errorf("name %q, -v %v, positional %q", *name, *verbose, fs.Args())
			}
		})
	}
}

func TestListFlagAndOneLine(t *testing.T) {
	var l listFlag
	for _, v := range []string{"a,b", "", " c , ,d"} {
		_ = l.Set(v)
	}
	if !slices.Equal(l, []string{"a", "b", "c", "d"}) {
		t.Errorf("listFlag = %q", l)
	}
	inner := errors.New("first")
	err := oneLine(errors.Join(inner, errors.New("second")))
	if err.Error() != "first; second" || !errors.Is(err, inner) {
		t.Errorf("oneLine = %q (errors.Is: %v)", err, errors.Is(err, inner))
	}
}
