// Package branding checks the logos administrators upload for clients and
// organisations, in one place for the admin API, the console and the command
// line: the size is bounded and the type is read from the content, never taken
// from the uploader, so that nothing but an image is ever served as one.
package branding

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/lockstep-id/lockstep/storage"
)

// MaxLogoSize is the largest logo accepted, in bytes: a logo is shown at a few
// dozen pixels, and every sign-in page of its client fetches it.
const MaxLogoSize = 256 << 10

// SVG is the media type of an SVG logo, which is served with a sandboxing
// Content-Security-Policy.
const SVG = "image/svg+xml"

// rasterTypes are the bitmap types http.DetectContentType recognises that are
// accepted.
var rasterTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/webp": true}

// MediaType returns the media type of a logo's content: PNG, JPEG or WebP as
// http.DetectContentType sniffs them, or SVG for well-formed XML whose root
// element is svg. Anything else, an empty logo or one over MaxLogoSize is an
// error that matches storage.ErrInvalid (a storage.FieldError of field "logo").
func MediaType(content []byte) (string, error) {
	switch {
	case len(content) == 0:
		return "", storage.Invalid("logo", "the logo is empty")
	case len(content) > MaxLogoSize:
		return "", storage.Invalid("logo", "the logo is %d KiB; at most %d KiB", (len(content)+1023)/1024, MaxLogoSize/1024)
	}
	if t := http.DetectContentType(content); rasterTypes[t] {
		return t, nil
	}
	if err := checkSVG(content); err != nil {
		return "", storage.Invalid("logo", "the logo is not a PNG, JPEG, WebP or SVG image (%v)", err)
	}
	return SVG, nil
}

// checkSVG reports why content is not an SVG document: XML that parses to the
// end, whose root element is svg.
func checkSVG(content []byte) error {
	d := xml.NewDecoder(bytes.NewReader(content))
	root := ""
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("not XML: %w", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = tok.Name.Local
				if root != "svg" || (tok.Name.Space != "" && tok.Name.Space != "http://www.w3.org/2000/svg") {
					return fmt.Errorf("the root element is %q, not svg", root)
				}
			}
		case xml.CharData:
			if root == "" && len(bytes.TrimSpace(tok)) > 0 {
				return errors.New("text before the root element")
			}
		}
	}
	if root == "" {
		return errors.New("no root element")
	}
	return nil
}

// Sum is a logo's version: the first 96 bits of its SHA-256, base64url (16
// characters), short enough for every page's image URL and its ETag.
func Sum(content []byte) string {
	h := sha256.Sum256(content)
	return base64.RawURLEncoding.EncodeToString(h[:12])
}

// NewLogo checks content (MediaType) and returns the owner's logo of it.
func NewLogo(owner storage.LogoOwner, ownerID string, content []byte, now time.Time) (storage.Logo, error) {
	t, err := MediaType(content)
	if err != nil {
		return storage.Logo{}, err
	}
	return storage.Logo{Owner: owner, OwnerID: ownerID, MediaType: t, Content: content, Sum: Sum(content), UpdatedAt: now.UTC()}, nil
}
