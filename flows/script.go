package flows

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
)

// ParseScriptForm reads a form that webauthn.js posted as multipart FormData (or a
// plain form): the options requests send the page's form.
func ParseScriptForm(r *http.Request) error {
	if err := r.ParseMultipartForm(64 << 10); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		return UserError(http.StatusBadRequest, "msg.bad_request_heading", "msg.form_unreadable", err)
	}
	return nil
}

func WriteOptions(w http.ResponseWriter, options []byte) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, err := w.Write(options)
	return err
}

// Digest keeps personal data such as emails out of throttle keys and audit details.
func Digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:12])
}
