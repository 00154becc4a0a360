package i18n

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The hosted pages' templates and the code that fills them in live in other
// packages; this test reads their sources to prove that what a page shows comes
// from the catalogues. The admin console (admin_*.html) and the development
// outbox stay in English.
const (
	templatesDir = "../templates/html"
	flowsDir     = "../flows"
)

// templateKey finds the catalogue keys a template asks for by name.
var templateKey = regexp.MustCompile(`\{\{-?\s*(?:t|tstrong|tn|tnstrong|tclient)\s+"([^"]+)"`)

// textAttr finds attributes a person reads or hears.
var textAttr = regexp.MustCompile(`\b(aria-label|alt|title|placeholder|data-message)="([^"]*)"`)

var (
	action       = regexp.MustCompile(`\{\{.*?\}\}`)
	tag          = regexp.MustCompile(`<[^>]*>`)
	defineClass  = regexp.MustCompile(`(?s)\{\{define "cardclass"\}\}.*?\{\{end\}\}`)
	devBox       = regexp.MustCompile(`(?s)<section class="devbox".*?</section>`)
	letters      = regexp.MustCompile(`\p{L}{2,}`)
	notTranslate = map[string]bool{"YubiKey": true} // a product's name, the same in every language
)

// TestEveryPageTextIsCatalogued: the hosted pages' templates name only keys the
// English catalogue has, and hold no text of their own (but the development
// box of the landing page, which only dev mode shows).
func TestEveryPageTextIsCatalogued(t *testing.T) {
	en := flatten(t, "en")
	files, err := filepath.Glob(filepath.Join(templatesDir, "*.html"))
	if err != nil || len(files) < 20 {
		t.Fatalf("templates: %v (%d files)", err, len(files))
	}
	for _, f := range files {
		name := filepath.Base(f)
		if strings.HasPrefix(name, "admin_") || name == "outbox.html" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src := string(b)
		for _, m := range templateKey.FindAllStringSubmatch(src, -1) {
			if _, ok := en[m[1]]; !ok {
				t.Errorf("%s asks for %q, which the English catalogue lacks", name, m[1])
			}
		}
		for _, m := range textAttr.FindAllStringSubmatch(src, -1) {
			if v := action.ReplaceAllString(m[2], ""); letters.MatchString(v) && !notTranslate[v] {
				t.Errorf("%s: %s=%q is English text, not a catalogue key", name, m[1], m[2])
			}
		}
		text := tag.ReplaceAllString(action.ReplaceAllString(devBox.ReplaceAllString(defineClass.ReplaceAllString(src, ""), ""), ""), "\n")
		for _, line := range strings.Split(text, "\n") {
			if letters.MatchString(line) && !strings.HasPrefix(strings.TrimSpace(line), "/.well-known/") {
				t.Errorf("%s shows text that is no catalogue key: %q", name, strings.TrimSpace(line))
			}
		}
	}
}

// messageFields are the fields of the pages' structs (and of flows.Error)
// that hold catalogue keys, which the templates translate.
var messageFields = map[string]bool{"Heading": true, "Message": true, "LinkLabel": true, "Notice": true, "Error": true, "Title": true}

// keyCalls take a catalogue key as their argument at the index given: the
// handlers' translators and page builders, the error pages' constructor, and the
// helpers that hand a refusal to a page.
var keyCalls = map[string][]int{"T": {1}, "N": {1}, "Page": {1}, "UserError": {1, 2}, "refuse": {0}, "invalid": {0}}

// TestHandlersUseCatalogueKeys: in the sign-in, account, profile and recovery
// journeys (flows/...) every string literal that reaches a page or an email as a
// message is a key of the English catalogue, so a page cannot show English
// text in another language, nor a key that was mistyped.
func TestHandlersUseCatalogueKeys(t *testing.T) {
	en := flatten(t, "en")
	fset := token.NewFileSet()
	checked := 0
	check := func(pos token.Pos, lit ast.Expr, what string) {
		bl, ok := lit.(*ast.BasicLit)
		if !ok || bl.Kind != token.STRING {
			return
		}
		s, err := strconv.Unquote(bl.Value)
		if err != nil || s == "" {
			return
		}
		checked++
		if _, ok := en[s]; !ok {
			t.Errorf("%s: %s %q is no key of the English catalogue", fset.Position(pos), what, s)
		}
	}
	err := filepath.WalkDir(flowsDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				name := ""
				switch fn := n.Fun.(type) {
				case *ast.Ident:
					name = fn.Name
				case *ast.SelectorExpr:
					name = fn.Sel.Name
				}
				for _, i := range keyCalls[name] {
					if i < len(n.Args) {
						check(n.Args[i].Pos(), n.Args[i], name+"'s argument")
					}
				}
			case *ast.KeyValueExpr:
				if k, ok := n.Key.(*ast.Ident); ok && messageFields[k.Name] {
					check(n.Value.Pos(), n.Value, "field "+k.Name)
				}
			case *ast.AssignStmt:
				for i, l := range n.Lhs {
					if sel, ok := l.(*ast.SelectorExpr); ok && messageFields[sel.Sel.Name] && i < len(n.Rhs) {
						check(n.Rhs[i].Pos(), n.Rhs[i], "field "+sel.Sel.Name)
					}
				}
			case *ast.ValueSpec:
				for i, id := range n.Names {
					if i >= len(n.Values) {
						continue
					}
					if strings.HasPrefix(strings.ToLower(id.Name), "msg") {
						check(n.Values[i].Pos(), n.Values[i], "message "+id.Name)
					}
					// The notices a page shows after an action, by the query's name.
					if cl, ok := n.Values[i].(*ast.CompositeLit); ok && strings.HasSuffix(strings.ToLower(id.Name), "notices") {
						for _, e := range cl.Elts {
							if kv, ok := e.(*ast.KeyValueExpr); ok {
								check(kv.Value.Pos(), kv.Value, "notice in "+id.Name)
							}
						}
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d literals checked", checked)
	if checked < 100 {
		t.Fatalf("only %d literals checked: the walk missed the handlers", checked)
	}
}
