package i18n

import (
	"context"
	"io/fs"
	"regexp"
	"slices"
	"sort"
	"testing"
	"time"

	toml "github.com/pelletier/go-toml/v2"
)

// flatten reads a catalogue as message id → plural form → text.
func flatten(t *testing.T, name string) map[string]map[string]string {
	t.Helper()
	data, err := fs.ReadFile(localesFS, "locales/"+name+".toml")
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := toml.Unmarshal(data, &raw); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	out := map[string]map[string]string{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch v := v.(type) {
		case string:
			out[prefix] = map[string]string{"other": v}
		case map[string]any:
			if _, ok := v["other"].(string); ok {
				forms := map[string]string{}
				for k, s := range v {
					forms[k] = s.(string)
				}
				out[prefix] = forms
				return
			}
			for k, c := range v {
				id := k
				if prefix != "" {
					id = prefix + "." + k
				}
				walk(id, c)
			}
		default:
			t.Fatalf("%s: %s: unexpected %T", name, prefix, v)
		}
	}
	walk("", raw)
	return out
}

var placeholder = regexp.MustCompile(`\{\{\s*\.(\w+)\s*\}\}`)

func placeholders(s string) []string {
	var out []string
	for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// TestCatalogues: every catalogue has exactly English's keys, the plural forms
// its language needs, and the same placeholders as English.
func TestCatalogues(t *testing.T) {
	en := flatten(t, "en")
	for _, lang := range []string{"es", "nl", "nb"} {
		t.Run(lang, func(t *testing.T) {
			cat := flatten(t, lang)
			for id, forms := range en {
				got, ok := cat[id]
				if !ok {
					t.Errorf("%s lacks %q", lang, id)
					continue
				}
				want := placeholders(forms["other"])
				for form, text := range got {
					if p := placeholders(text); !slices.Equal(p, want) {
						t.Errorf("%s %q (%s): placeholders %v, English has %v", lang, id, form, p, want)
					}
					if text == "" {
						t.Errorf("%s %q (%s) is empty", lang, id, form)
					}
				}
				if _, plural := forms["one"]; plural {
					for _, form := range []string{"one", "other"} { // es, nl and nb use one/other
						if _, ok := got[form]; !ok {
							t.Errorf("%s %q lacks the plural form %q", lang, id, form)
						}
					}
				}
			}
			for id := range cat {
				if _, ok := en[id]; !ok {
					t.Errorf("%s has %q, which English lacks", lang, id)
				}
			}
		})
	}
}

func TestLoadAndTranslate(t *testing.T) {
	c, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Languages(), []string{"en", "es", "nb", "nl"}; !slices.Equal(got, want) {
		t.Fatalf("Languages() = %v, want %v", got, want)
	}
	tests := []struct {
		lang, got, want string
	}{
		{"en", c.Localizer("en").T("login.heading"), "Sign in"},
		{"es", c.Localizer("es").T("login.heading"), "Iniciar sesión"},
		{"nl", c.Localizer("nl").T("login.heading"), "Inloggen"},
		{"nb", c.Localizer("nb").T("login.heading"), "Logg inn"},
		{"en", c.Localizer("en").N("days", 1), "1 day"},
		{"en", c.Localizer("en").N("days", 30), "30 days"},
		{"es", c.Localizer("es").N("days", 1), "1 día"},
		{"nl", c.Localizer("nl").N("seconds", 5), "5 seconden"},
		{"nb", c.Localizer("nb").N("days", 2), "2 dager"},
		{"en", c.Localizer("en").Number(12345), "12,345"},
		{"es", c.Localizer("es").Number(12345), "12.345"},
		{"nl", c.Localizer("nl").Number(12345), "12.345"},
		{"nb", c.Localizer("nb").Number(12345), "12\u00a0345"},
		{"en", c.Localizer("en").Date(time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)), "3 December 2026"},
		{"es", c.Localizer("es").Date(time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)), "3 de diciembre de 2026"},
		{"nl", c.Localizer("nl").Date(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)), "1 maart 2026"},
		{"nb", c.Localizer("nb").Date(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)), "1. mars 2026"},
		{"es", c.Localizer("es").T("login.continue_to", "Client", "Review Shop"), "para continuar en Review Shop"},
		{"xx", c.Localizer("xx").T("login.heading"), "Sign in"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.lang, tt.got, tt.want)
		}
	}
}

func TestNegotiate(t *testing.T) {
	c, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	nl, err := Load("nl")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		c    *Catalogue
		ch   Choice
		want string
	}{
		{c, Choice{}, "en"},
		{nl, Choice{}, "nl"},
		{c, Choice{UILocales: "es"}, "es"},
		{c, Choice{UILocales: "fi es-MX"}, "es"},
		{c, Choice{UILocales: "es", Cookie: "nl", Accept: "nb"}, "es"},
		{c, Choice{UILocales: "fi", Cookie: "nl", Accept: "nb"}, "nl"},
		{c, Choice{Cookie: "nl", Accept: "nb"}, "nl"},
		{c, Choice{Cookie: "bogus!", Accept: "nb"}, "nb"},
		{c, Choice{Accept: "nl-BE,nl;q=0.9,en;q=0.5"}, "nl"},
		{c, Choice{Accept: "no"}, "nb"},
		{c, Choice{Accept: "fi"}, "en"},
		{nl, Choice{Accept: "fi"}, "nl"},
	}
	for _, tt := range tests {
		if got := tt.c.Negotiate(tt.ch).String(); got != tt.want {
			t.Errorf("Negotiate(%+v) = %s, want %s", tt.ch, got, tt.want)
		}
	}
	if _, err := Load("fi"); err == nil {
		t.Error("Load(fi): no error for an unshipped default")
	}
}

// TestChoiceAcrossGoroutines: work a request started in the background reads
// the choice while the request adds the flow's ui_locales (run with -race).
func TestChoiceAcrossGoroutines(t *testing.T) {
	ctx := WithChoice(context.Background(), Choice{Accept: "nl"})
	done := make(chan Choice)
	go func() { done <- ChoiceFrom(ctx) }()
	SetUILocales(ctx, "es")
	if got := (<-done).Accept; got != "nl" {
		t.Errorf("Accept = %q", got)
	}
	if got := ChoiceFrom(ctx).UILocales; got != "es" {
		t.Errorf("UILocales = %q", got)
	}
	if got := ChoiceFrom(Carry(context.Background(), ctx)); got.UILocales != "es" || got.Accept != "nl" {
		t.Errorf("Carry = %+v", got)
	}
	if got := ChoiceFrom(context.Background()); got != (Choice{}) {
		t.Errorf("no choice = %+v", got)
	}
}

// TestSort: names sort in the reader's alphabet.
func TestSort(t *testing.T) {
	c, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"Zimbabwe", "Åland", "Albania", "Østerrike", "Ægypt"}
	for _, tc := range []struct {
		lang string
		want []string
	}{
		{"en", []string{"Ægypt", "Åland", "Albania", "Østerrike", "Zimbabwe"}},
		{"nb", []string{"Albania", "Zimbabwe", "Ægypt", "Østerrike", "Åland"}},
	} {
		got := slices.Clone(names)
		Sort(c.Localizer(tc.lang), got, func(s string) string { return s })
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.lang, got, tc.want)
		}
	}
}
