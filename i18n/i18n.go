// Package i18n holds Lockstep's message catalogues (English, Spanish, Dutch
// and Norwegian Bokmål, embedded from locales/*.toml and read with go-i18n)
// and chooses the language of a request: the OIDC ui_locales of the sign-in
// (stored with its flow), then the switcher's cookie, then Accept-Language,
// then the configured default.
package i18n

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	toml "github.com/pelletier/go-toml/v2"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
	"golang.org/x/text/message"
)

//go:embed locales/*.toml
var localesFS embed.FS

// CookieName holds the language picked with the switcher.
const CookieName = "lockstep_lang"

// English is the source language: every other catalogue translates its keys.
var English = language.English

// Catalogue is the set of shipped languages. It is safe for concurrent use.
type Catalogue struct {
	bundle  *goi18n.Bundle
	tags    []language.Tag
	matcher language.Matcher
	def     language.Tag
	locs    map[language.Tag]*Localizer
}

// Load reads the embedded catalogues; def is the language used when nothing
// else decides ("" or an unshipped language: English).
func Load(def string) (*Catalogue, error) {
	b := goi18n.NewBundle(English)
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	files, err := fs.Glob(localesFS, "locales/*.toml")
	if err != nil {
		return nil, fmt.Errorf("i18n: list catalogues: %w", err)
	}
	c := &Catalogue{bundle: b, locs: make(map[language.Tag]*Localizer)}
	tags := []language.Tag{English} // English first: the matcher's fallback
	for _, f := range files {
		data, err := fs.ReadFile(localesFS, f)
		if err != nil {
			return nil, fmt.Errorf("i18n: read %s: %w", f, err)
		}
		mf, err := b.ParseMessageFileBytes(data, path.Base(f))
		if err != nil {
			return nil, fmt.Errorf("i18n: parse %s: %w", f, err)
		}
		if mf.Tag != English {
			tags = append(tags, mf.Tag)
		}
	}
	c.tags = tags
	c.matcher = language.NewMatcher(tags)
	for _, t := range tags {
		c.locs[t] = &Localizer{tag: t, loc: goi18n.NewLocalizer(b, t.String()), printer: message.NewPrinter(t)}
	}
	c.def = English
	if def != "" {
		t, err := language.Parse(def)
		if err != nil {
			return nil, fmt.Errorf("i18n: default language %q: %w", def, err)
		}
		if _, ok := c.locs[t]; !ok {
			return nil, fmt.Errorf("i18n: default language %q is not shipped (have %s)", def, strings.Join(c.Languages(), ", "))
		}
		c.def = t
	}
	return c, nil
}

// Languages lists the shipped languages as BCP 47 tags, English first.
func (c *Catalogue) Languages() []string {
	out := make([]string, len(c.tags))
	for i, t := range c.tags {
		out[i] = t.String()
	}
	return out
}

// Default is the configured default language.
func (c *Catalogue) Default() language.Tag { return c.def }

// Localizer returns the localizer of a shipped language (tag as Languages
// spells it); anything else gets the default's.
func (c *Catalogue) Localizer(tag string) *Localizer {
	if t, err := language.Parse(tag); err == nil {
		if l, ok := c.locs[t]; ok {
			return l
		}
	}
	return c.locs[c.def]
}

// match returns the shipped language that best fits the preferences, if any
// fits well enough (a request for Finnish does not get English by accident:
// the next source decides).
func (c *Catalogue) match(prefs []language.Tag) (language.Tag, bool) {
	if len(prefs) == 0 {
		return language.Tag{}, false
	}
	_, i, conf := c.matcher.Match(prefs...)
	if conf == language.No {
		return language.Tag{}, false
	}
	return c.tags[i], true
}

// Choice is what a request says about its language. The middleware puts it in
// the request's context; the sign-in journey adds the flow's ui_locales when
// it loads the flow.
type Choice struct {
	UILocales string // space-separated BCP 47 tags, most preferred first
	Cookie    string // the switcher's choice
	Accept    string // the Accept-Language header
	// Return is where the switcher sends the browser back to.
	Return string
}

// Negotiate picks the language: ui_locales, then the cookie, then
// Accept-Language, then the default.
func (c *Catalogue) Negotiate(ch Choice) language.Tag {
	if ch.UILocales != "" {
		var prefs []language.Tag
		for _, s := range strings.Fields(ch.UILocales) {
			if t, err := language.Parse(s); err == nil {
				prefs = append(prefs, t)
			}
		}
		if t, ok := c.match(prefs); ok {
			return t
		}
	}
	if ch.Cookie != "" {
		if t, err := language.Parse(ch.Cookie); err == nil {
			if t, ok := c.match([]language.Tag{t}); ok {
				return t
			}
		}
	}
	if ch.Accept != "" {
		if prefs, _, err := language.ParseAcceptLanguage(ch.Accept); err == nil {
			if t, ok := c.match(prefs); ok {
				return t
			}
		}
	}
	return c.def
}

type ctxKey struct{}

// holder keeps a request's Choice: the flow's ui_locales are added to it later
// in the same request, while work the request started (an email sent in the
// background) may read it.
type holder struct{ p atomic.Pointer[Choice] }

// WithChoice returns ctx carrying ch.
func WithChoice(ctx context.Context, ch Choice) context.Context {
	h := &holder{}
	h.p.Store(&ch)
	return context.WithValue(ctx, ctxKey{}, h)
}

// ChoiceFrom returns the request's Choice (an empty one when there is none).
func ChoiceFrom(ctx context.Context) Choice {
	if h, ok := ctx.Value(ctxKey{}).(*holder); ok {
		return *h.p.Load()
	}
	return Choice{}
}

// SetUILocales records the ui_locales of the sign-in a request belongs to.
func SetUILocales(ctx context.Context, uiLocales string) {
	if h, ok := ctx.Value(ctxKey{}).(*holder); ok {
		ch := *h.p.Load()
		ch.UILocales = uiLocales
		h.p.Store(&ch)
	}
}

// Middleware records every request's cookie and Accept-Language, and where
// the switcher returns to: the page itself for a GET, its flow's step for a
// form post.
func Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ch := Choice{Accept: r.Header.Get("Accept-Language"), Return: r.URL.RequestURI()}
		if ck, err := r.Cookie(CookieName); err == nil {
			ch.Cookie = ck.Value
		}
		if r.Method != http.MethodGet {
			ch.Return = r.URL.Path
		}
		next.ServeHTTP(w, r.WithContext(WithChoice(r.Context(), ch)))
	})
}

// Option is one entry of the language switcher.
type Option struct {
	Tag     string // BCP 47, e.g. "nb"
	Name    string // in its own language, e.g. "Norsk bokmål"
	Current bool
}

// Options lists the shipped languages for the switcher, current marked.
func (c *Catalogue) Options(current language.Tag) []Option {
	out := make([]Option, len(c.tags))
	for i, t := range c.tags {
		name := display.Self.Name(t)
		if name != "" {
			r := []rune(name)
			name = strings.ToUpper(string(r[0])) + string(r[1:])
		}
		out[i] = Option{Tag: t.String(), Name: name, Current: t == current}
	}
	return out
}

// Localizer translates into one language.
type Localizer struct {
	tag     language.Tag
	loc     *goi18n.Localizer
	printer *message.Printer
}

// Tag is the language, as BCP 47.
func (l *Localizer) Tag() string { return l.tag.String() }

// T translates the message id; args are name/value pairs for its placeholders.
// A missing message is an error in the catalogues, which the catalogue tests
// rule out; the id is returned so the page still renders.
func (l *Localizer) T(id string, args ...any) string {
	s, err := l.loc.Localize(&goi18n.LocalizeConfig{MessageID: id, TemplateData: pairs(args)})
	if err != nil && s == "" {
		return id
	}
	return s
}

// N translates a message with plural forms for count; {{.Count}} is the count
// formatted for the language.
func (l *Localizer) N(id string, count int, args ...any) string {
	data := pairs(args)
	data["Count"] = l.printer.Sprint(count)
	s, err := l.loc.Localize(&goi18n.LocalizeConfig{MessageID: id, PluralCount: count, TemplateData: data})
	if err != nil && s == "" {
		return id
	}
	return s
}

// Number formats n for the language (1,234 / 1.234 / 1 234).
func (l *Localizer) Number(n int) string { return l.printer.Sprint(n) }

// Date formats a day for the language, e.g. "3 December 2026".
func (l *Localizer) Date(t time.Time) string {
	return l.T("date", "Day", t.Day(), "Month", l.T(monthIDs[t.Month()-1]), "Year", t.Year())
}

// DateTime formats a moment for the language, e.g. "3 December 2026, 14:05
// UTC" (the pages do not know the reader's time zone, so they say which).
func (l *Localizer) DateTime(t time.Time) string {
	t = t.UTC()
	return l.T("date_time", "Date", l.Date(t), "Time", t.Format("15:04")+" UTC")
}

// Region names a country or territory (ISO 3166-1 alpha-2, "DE") in the
// language, or returns english when the language has no name for it.
func (l *Localizer) Region(iso, english string) string {
	r, err := language.ParseRegion(iso)
	if err != nil || l.tag == English {
		return english
	}
	if name := display.Regions(l.tag).Name(r); name != "" {
		return name
	}
	return english
}

// Sort orders s by key as a reader of l's language expects ("Åland" beside
// "Aland" in English, after "Z" in Norwegian), keeping equal keys in order.
func Sort[T any](l *Localizer, s []T, key func(T) string) {
	c := collate.New(collationTag(l.tag), collate.Loose) // not safe for concurrent use: one per call
	slices.SortStableFunc(s, func(a, b T) int { return c.CompareString(key(a), key(b)) })
}

// collationTag is the language whose collation orders tag's. x/text has no
// rules for Norwegian (CLDR imports them from "no", which it does not follow);
// Danish puts Æ, Ø and Å after Z in the same order.
func collationTag(tag language.Tag) language.Tag {
	if base, _ := tag.Base(); base.String() == "nb" || base.String() == "nn" || base.String() == "no" {
		return language.Danish
	}
	return tag
}

var monthIDs = [12]string{"month_1", "month_2", "month_3", "month_4", "month_5", "month_6",
	"month_7", "month_8", "month_9", "month_10", "month_11", "month_12"}

func pairs(args []any) map[string]any {
	m := make(map[string]any, len(args)/2+1)
	for i := 0; i+1 < len(args); i += 2 {
		if k, ok := args[i].(string); ok {
			m[k] = args[i+1]
		}
	}
	return m
}

// SwitchHandler remembers the switcher's choice (the query's lang, a shipped
// language or not: Negotiate skips what it cannot use) for a year and sends
// the browser back to return, a path under prefix (else to prefix + "/").
func SwitchHandler(prefix string, secure bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if t, err := language.Parse(q.Get("lang")); err == nil {
			http.SetCookie(w, &http.Cookie{Name: CookieName, Value: t.String(), Path: "/", MaxAge: 365 * 24 * 3600,
				HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
		}
		back := q.Get("return")
		if !localPath(back, prefix) {
			back = prefix + "/"
		}
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, back, http.StatusSeeOther)
	})
}

// localPath reports whether s is an absolute path on this host under prefix:
// not //host, not /\host, no scheme.
func localPath(s, prefix string) bool {
	if !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || strings.HasPrefix(s, "/\\") || strings.ContainsAny(s, "\r\n\\") {
		return false
	}
	return prefix == "" || s == prefix || strings.HasPrefix(s, prefix+"/") || strings.HasPrefix(s, prefix+"?")
}

// Carry returns to with a copy of the language choice of from: for work that
// outlives the request (an email sent in the background) yet speaks its language.
func Carry(to, from context.Context) context.Context {
	return WithChoice(to, ChoiceFrom(from))
}
