package flows

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"

	"github.com/gorilla/sessions"
)

// Cookie keys. The cookie holds nothing but these two opaque random values.
const (
	keySessionToken = "sid"
	keyBrowserID    = "bid"
)

// Cookies reads and writes Lockstep's one cookie: signed and encrypted by
// gorilla/sessions, HttpOnly, SameSite=Lax, Secure outside dev mode.
type Cookies struct {
	store *sessions.CookieStore
	name  string
}

// NewCookies builds the cookie codec. hashKey is 64 bytes (HMAC), blockKey 32 (AES).
func NewCookies(name string, hashKey, blockKey []byte, path string, secure bool, maxAge int) *Cookies {
	st := sessions.NewCookieStore(hashKey, blockKey)
	st.Options = &sessions.Options{
		Path:     path,
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   secure,
		SameSite: http.SameSiteLaxMode,
	}
	st.MaxAge(maxAge)
	return &Cookies{store: st, name: name}
}

func (c *Cookies) load(r *http.Request) *sessions.Session {
	// A cookie that fails to decode (tampered, or from old keys) is treated as absent.
	sess, _ := c.store.Get(r, c.name)
	return sess
}

func (c *Cookies) value(r *http.Request, key string) string {
	v, _ := c.load(r).Values[key].(string)
	return v
}

// SessionToken is the opaque SSO session token from the cookie, or "".
func (c *Cookies) SessionToken(r *http.Request) string { return c.value(r, keySessionToken) }

// BrowserID is the browser's random id from the cookie, or "".
func (c *Cookies) BrowserID(r *http.Request) string { return c.value(r, keyBrowserID) }

// set writes the cookie with key=value ("" deletes the key), keeping the other key.
func (c *Cookies) set(w http.ResponseWriter, r *http.Request, key, value string) error {
	sess := c.load(r)
	if value == "" {
		delete(sess.Values, key)
	} else {
		sess.Values[key] = value
	}
	return sess.Save(r, w)
}

// HashToken is how opaque cookie values are stored server-side.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func newToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
