package templates

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"html/template"
	"regexp"
	"strings"

	"github.com/lockstep-id/lockstep/i18n"
)

// defaultAccent colours the emails' buttons without a brand colour (the
// pages' --accent).
const defaultAccent = "#4338ca"

// emailBlock is one paragraph of an email: "p" (text), "link" (a button and
// the address), "code" (a code to type) or "quote" (an indented detail).
type emailBlock struct {
	Kind string
	Text string
}

type emailData struct {
	Lang, Subject, Product, Support string
	LogoURL                         string
	Accent, OnAccent                string
	Blocks                          []emailBlock
}

var (
	reLinkBlock = regexp.MustCompile(`^https?://\S+$`)
	reCodeBlock = regexp.MustCompile(`^[0-9A-Za-z-]{4,12}$`)
)

// emailBlocks reads a plain-text email: paragraphs are separated by blank
// lines, an indented paragraph is a link (a URL alone), a code (one short
// word) or a detail; the signature ("— Product") is left to the footer.
func emailBlocks(text string) []emailBlock {
	var out []emailBlock
	for _, para := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n") {
		if strings.TrimSpace(para) == "" || strings.HasPrefix(para, "— ") {
			continue
		}
		body := strings.TrimSpace(para)
		if !strings.HasPrefix(para, "  ") {
			out = append(out, emailBlock{Kind: "p", Text: strings.Join(strings.Fields(body), " ")})
			continue
		}
		switch {
		case reLinkBlock.MatchString(body):
			out = append(out, emailBlock{Kind: "link", Text: body})
		case reCodeBlock.MatchString(body) && strings.ContainsAny(body, "0123456789"):
			out = append(out, emailBlock{Kind: "code", Text: body})
		default:
			out = append(out, emailBlock{Kind: "quote", Text: body})
		}
	}
	return out
}

// EmailHTML renders the HTML alternative of a plain-text email in the
// language of the request in ctx, with the brand's name, logo and colour.
func (r *Renderer) EmailHTML(ctx context.Context, subject, text string) (string, error) {
	lang := r.cat.Negotiate(i18n.ChoiceFrom(ctx)).String()
	t, ok := r.emails[lang]
	if !ok {
		return "", fmt.Errorf("templates: no email template for %q", lang)
	}
	d := emailData{Lang: lang, Subject: subject, Product: Page{ProductName: r.opt.Brand.ProductName}.Product(),
		Support: r.opt.Brand.SupportContact, Accent: defaultAccent, OnAccent: "#ffffff", Blocks: emailBlocks(text)}
	if c := r.opt.Brand.AccentColor; c != "" {
		d.Accent = c
		if light(c) {
			d.OnAccent = "#111827"
		}
	}
	if len(r.opt.Brand.Logo) > 0 && r.opt.BaseURL != "" {
		d.LogoURL = r.opt.BaseURL + BrandLogoPath
	}
	// The reader's organisation's brand, when the sender put it in ctx.
	if b := OrgBrandFrom(ctx); b.Name != "" || b.Logo != "" {
		d.Product = cmp.Or(b.Name, d.Product)
		if b.Logo != "" && r.opt.BaseURL != "" {
			d.LogoURL = r.opt.BaseURL + b.Logo
		}
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "email", d); err != nil {
		return "", fmt.Errorf("templates: render email: %w", err)
	}
	return buf.String(), nil
}

// parseEmails parses the email template once per language.
func parseEmails(cat *i18n.Catalogue) (map[string]*template.Template, error) {
	out := map[string]*template.Template{}
	for _, lang := range cat.Languages() {
		t, err := template.New("email").Funcs(funcs(cat.Localizer(lang))).ParseFS(htmlFS, "html/email.html")
		if err != nil {
			return nil, fmt.Errorf("templates: parse email: %w", err)
		}
		out[lang] = t
	}
	return out, nil
}
