package branding

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-id/lockstep/storage"
)

func encoded(t *testing.T, encode func(*bytes.Buffer, image.Image) error) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	img.Set(1, 1, color.RGBA{R: 15, G: 118, B: 110, A: 255})
	var b bytes.Buffer
	if err := encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestMediaType(t *testing.T) {
	pngBytes := encoded(t, func(b *bytes.Buffer, m image.Image) error { return png.Encode(b, m) })
	jpegBytes := encoded(t, func(b *bytes.Buffer, m image.Image) error { return jpeg.Encode(b, m, nil) })
	// The WebP container's header, which is what the type is read from.
	webp := []byte("RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00")
	tests := []struct {
		name    string
		content []byte
		want    string // "" for refused
	}{
		{"png", pngBytes, "image/png"},
		{"jpeg", jpegBytes, "image/jpeg"},
		{"webp", webp, "image/webp"},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10"/></svg>`), SVG},
		{"svg with prolog, doctype and comment", []byte("<?xml version=\"1.0\"?>\n<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" \"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd\">\n<!-- made by hand -->\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n"), SVG},
		{"html disguised as png", []byte("<!DOCTYPE html><html><script>alert(1)</script></html>"), ""},
		{"html after a png's name", append([]byte("<html>"), pngBytes...), ""},
		{"svg with the wrong root", []byte(`<html xmlns="http://www.w3.org/1999/xhtml"><svg/></html>`), ""},
		{"svg root in another namespace", []byte(`<svg xmlns="urn:not-svg"/>`), ""},
		{"broken svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><rect></svg>`), ""},
		{"text before the root", []byte(`hello <svg/>`), ""},
		{"plain text", []byte("just text"), ""},
		{"gif", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), ""},
		{"empty", nil, ""},
		{"oversized png", append(bytes.Repeat(pngBytes, MaxLogoSize/len(pngBytes)), pngBytes...), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := MediaType(tt.content)
			if tt.want == "" {
				var fe *storage.FieldError
				if !errors.Is(err, storage.ErrInvalid) || !errors.As(err, &fe) || fe.Field != "logo" {
					t.Fatalf("MediaType = %q, %v; want a refusal of field logo", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("MediaType = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestMaxLogoSizeIsTheLimit(t *testing.T) {
	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg">` + `</svg>`)
	pad := MaxLogoSize - len(svg)
	atLimit := append([]byte(strings.Repeat(" ", pad)), svg...)
	if _, err := MediaType(atLimit); err != nil {
		t.Errorf("a logo of exactly %d bytes: %v", MaxLogoSize, err)
	}
	if _, err := MediaType(append(atLimit, ' ')); !errors.Is(err, storage.ErrInvalid) {
		t.Errorf("a logo one byte over: %v, want ErrInvalid", err)
	}
}

func TestNewLogo(t *testing.T) {
	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`)
	l, err := NewLogo(storage.LogoOrg, "acme", svg, time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("X", 3600)))
	if err != nil {
		t.Fatal(err)
	}
	if l.MediaType != SVG || l.Sum != Sum(svg) || len(l.Sum) != 16 || l.UpdatedAt.Location() != time.UTC || l.Owner != storage.LogoOrg {
		t.Errorf("NewLogo = %+v", l)
	}
	if Sum([]byte("a")) == Sum([]byte("b")) {
		t.Error("two contents, one sum")
	}
}
