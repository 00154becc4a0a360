package flows

import (
	"context"
	"strings"
	"testing"

	"github.com/lockstep-id/lockstep/i18n"
	"github.com/lockstep-id/lockstep/templates"
)

// TestNoticesInEveryLanguage: every security notification has a subject and a
// text in every shipped language.
func TestNoticesInEveryLanguage(t *testing.T) {
	pages, err := templates.New()
	if err != nil {
		t.Fatal(err)
	}
	s := &Core{Pages: pages}
	for _, lang := range pages.Languages() {
		ctx := i18n.WithChoice(context.Background(), i18n.Choice{UILocales: lang})
		for _, n := range notices {
			key := "notice." + strings.ReplaceAll(n, ".", "_")
			for _, part := range []string{".subject", ".text"} {
				if got := s.T(ctx, key+part); got == key+part || got == "" {
					t.Errorf("%s: no %s%s", lang, key, part)
				}
			}
		}
	}
	es := i18n.WithChoice(context.Background(), i18n.Choice{Accept: "es"})
	if got := s.T(es, "notice.password_changed.subject"); got != "Se ha cambiado tu contraseña" {
		t.Errorf("Spanish subject = %q", got)
	}
}
