package factor

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/descope/virtualwebauthn"
	"github.com/go-webauthn/webauthn/protocol"

	"github.com/lockstep-id/lockstep/storage"
)

// fakeWebAuthnStore is an in-memory WebAuthnStore following the contracts of
// storage.WebAuthnStore and storage.CeremonyStore.
type fakeWebAuthnStore struct {
	mu         sync.Mutex
	creds      map[string]storage.WebAuthnCredential // by string(id)
	order      []string
	ceremonies map[string]fakeCeremony
}

type fakeCeremony struct {
	data    []byte
	expires time.Time
}

var _ WebAuthnStore = (*fakeWebAuthnStore)(nil)

func newFakeWebAuthnStore() *fakeWebAuthnStore {
	return &fakeWebAuthnStore{creds: map[string]storage.WebAuthnCredential{}, ceremonies: map[string]fakeCeremony{}}
}

func cloneCred(c storage.WebAuthnCredential) storage.WebAuthnCredential {
	c.ID, c.PublicKey, c.AAGUID = slices.Clone(c.ID), slices.Clone(c.PublicKey), slices.Clone(c.AAGUID)
	c.Transports = slices.Clone(c.Transports)
	return c
}

func (f *fakeWebAuthnStore) CreateWebAuthnCredential(_ context.Context, c storage.WebAuthnCredential) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.creds[string(c.ID)]; ok {
		return storage.ErrAlreadyExists
	}
	f.creds[string(c.ID)] = cloneCred(c)
	f.order = append(f.order, string(c.ID))
	return nil
}

func (f *fakeWebAuthnStore) GetWebAuthnCredential(_ context.Context, id []byte) (storage.WebAuthnCredential, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.creds[string(id)]
	if !ok {
		return storage.WebAuthnCredential{}, storage.ErrNotFound
	}
	return cloneCred(c), nil
}

func (f *fakeWebAuthnStore) ListWebAuthnCredentials(_ context.Context, userID string) ([]storage.WebAuthnCredential, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []storage.WebAuthnCredential
	for _, id := range f.order {
		if c, ok := f.creds[id]; ok && c.UserID == userID {
			out = append(out, cloneCred(c))
		}
	}
	return out, nil
}

func (f *fakeWebAuthnStore) UseWebAuthnCredential(_ context.Context, id []byte, count uint32, at time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.creds[string(id)]
	if !ok {
		return storage.ErrNotFound
	}
	if !(count > c.SignCount || (count == 0 && c.SignCount == 0)) {
		return storage.ErrConflict
	}
	c.SignCount, c.LastUsedAt = count, at
	f.creds[string(id)] = c
	return nil
}

func (f *fakeWebAuthnStore) RenameWebAuthnCredential(_ context.Context, id []byte, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.creds[string(id)]
	if !ok {
		return storage.ErrNotFound
	}
	c.Name = name
	f.creds[string(id)] = c
	return nil
}

func (f *fakeWebAuthnStore) DeleteWebAuthnCredential(_ context.Context, id []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.creds[string(id)]; !ok {
		return storage.ErrNotFound
	}
	delete(f.creds, string(id))
	return nil
}

func (f *fakeWebAuthnStore) PutCeremony(_ context.Context, key string, data []byte, expiresAt time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ceremonies[key] = fakeCeremony{data: slices.Clone(data), expires: expiresAt}
	return nil
}

func (f *fakeWebAuthnStore) TakeCeremony(_ context.Context, key string, now time.Time) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.ceremonies[key]
	delete(f.ceremonies, key)
	if !ok || !now.Before(c.expires) {
		return nil, storage.ErrNotFound
	}
	return c.data, nil
}

func (f *fakeWebAuthnStore) setCount(id []byte, n uint32) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.creds[string(id)]
	c.SignCount = n
	f.creds[string(id)] = c
}

const (
	rpID     = "login.example.com"
	rpOrigin = "https://login.example.com"
)

var (
	goodRP   = virtualwebauthn.RelyingParty{Name: "Lockstep", ID: rpID, Origin: rpOrigin}
	userA    = UserInfo{ID: alice, Email: "alice@example.com", DisplayName: "Alice"}
	userB    = UserInfo{ID: bob, Email: "bob@example.com", DisplayName: "Bob"}
	ctxBg    = context.Background()
	evilRP   = virtualwebauthn.RelyingParty{Name: "Lockstep", ID: rpID, Origin: "https://evil.example"}
	wrongRP  = virtualwebauthn.RelyingParty{Name: "Lockstep", ID: "evil.example", Origin: rpOrigin}
	parentRP = virtualwebauthn.RelyingParty{Name: "Lockstep", ID: "example.com", Origin: rpOrigin}
)

type webAuthnEnv struct {
	w     *WebAuthn
	store *fakeWebAuthnStore
	clock *clock
}

func newWebAuthnEnv(t *testing.T) *webAuthnEnv {
	t.Helper()
	c := &clock{t: t0}
	s := newFakeWebAuthnStore()
	w, err := NewWebAuthn(rpID, "Lockstep", []string{rpOrigin}, s, c.Now)
	if err != nil {
		t.Fatal(err)
	}
	return &webAuthnEnv{w: w, store: s, clock: c}
}

// device is a virtual authenticator holding one credential.
type device struct {
	auth virtualwebauthn.Authenticator
	cred virtualwebauthn.Credential
	// transports and attachment are added to the responses as a browser would.
	transports []string
	attachment string
}

func newDevice(uv bool, handle []byte) *device {
	return &device{
		auth: virtualwebauthn.NewAuthenticatorWithOptions(virtualwebauthn.AuthenticatorOptions{UserNotVerified: !uv, UserHandle: handle}),
		cred: newVirtualCredential(),
	}
}

// newVirtualCredential makes a P-256 credential for the virtual authenticator.
// virtualwebauthn encodes the key's x and y with big.Int.Bytes, which drops
// leading zero bytes, and a COSE key with a short coordinate is rightly refused;
// so keys whose coordinates start with a zero byte are skipped.
func newVirtualCredential() virtualwebauthn.Credential {
	for {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		pub, err := k.PublicKey.Bytes() // 0x04 || x || y
		if err != nil || pub[1] == 0 || pub[33] == 0 {
			continue
		}
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			panic(err)
		}
		return virtualwebauthn.NewCredentialWithImportedKey(virtualwebauthn.KeyTypeEC2, der)
	}
}

func securityKey() *device {
	d := newDevice(false, nil)
	d.transports, d.attachment = []string{"usb", "nfc"}, "cross-platform"
	return d
}

func passkey(user UserInfo) *device {
	d := newDevice(true, []byte(user.ID))
	d.transports, d.attachment = []string{"internal", "hybrid"}, "platform"
	return d
}

// edit decodes a response JSON, lets fn change it and encodes it again.
func edit(t *testing.T, resp string, fn func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(resp), &m); err != nil {
		t.Fatal(err)
	}
	fn(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (d *device) attest(t *testing.T, rp virtualwebauthn.RelyingParty, options []byte) []byte {
	t.Helper()
	opts, err := virtualwebauthn.ParseAttestationOptions(string(options))
	if err != nil {
		t.Fatalf("ParseAttestationOptions: %v", err)
	}
	resp := virtualwebauthn.CreateAttestationResponse(rp, d.auth, d.cred, *opts)
	return edit(t, resp, func(m map[string]any) {
		if d.attachment != "" {
			m["authenticatorAttachment"] = d.attachment
		}
		if d.transports != nil {
			m["response"].(map[string]any)["transports"] = d.transports
		}
	})
}

func (d *device) assert(t *testing.T, rp virtualwebauthn.RelyingParty, options []byte) []byte {
	t.Helper()
	opts, err := virtualwebauthn.ParseAssertionOptions(string(options))
	if err != nil {
		t.Fatalf("ParseAssertionOptions: %v", err)
	}
	resp := virtualwebauthn.CreateAssertionResponse(rp, d.auth, d.cred, *opts)
	return edit(t, resp, func(m map[string]any) {
		if d.attachment != "" {
			m["authenticatorAttachment"] = d.attachment
		}
	})
}

// register registers d for user through the whole ceremony.
func (e *webAuthnEnv) register(t *testing.T, user UserInfo, d *device, pk bool) storage.WebAuthnCredential {
	t.Helper()
	opts, err := e.w.BeginRegistration(ctxBg, user, "reg-"+user.ID, pk)
	if err != nil {
		t.Fatalf("BeginRegistration: %v", err)
	}
	c, err := e.w.FinishRegistration(ctxBg, user, "reg-"+user.ID, "", d.attest(t, goodRP, opts))
	if err != nil {
		t.Fatalf("FinishRegistration: %v", err)
	}
	d.auth.AddCredential(d.cred)
	return c
}

func (e *webAuthnEnv) beginLogin(t *testing.T, user UserInfo, key string, requireUV bool) []byte {
	t.Helper()
	opts, err := e.w.BeginLogin(ctxBg, user, key, requireUV)
	if err != nil {
		t.Fatalf("BeginLogin: %v", err)
	}
	return opts
}

func lookup(users ...UserInfo) func(context.Context, []byte) (UserInfo, error) {
	return func(_ context.Context, h []byte) (UserInfo, error) {
		for _, u := range users {
			if u.ID == string(h) {
				return u, nil
			}
		}
		return UserInfo{}, errors.New("no such user")
	}
}

func TestWebAuthnRegisterAndLogin(t *testing.T) {
	tests := []struct {
		name      string
		dev       func() *device
		passkey   bool
		requireUV bool
		wantName  string
		wantAMR   []string
		wantDisc  bool
	}{
		{"security key, no UV", securityKey, false, false, DefaultSecurityKeyName, []string{"hwk"}, false},
		{"passkey with UV", func() *device { return passkey(userA) }, true, true, DefaultPasskeyName, []string{"swk", "user"}, true},
		{"passkey as second factor", func() *device { return passkey(userA) }, true, false, DefaultPasskeyName, []string{"swk", "user"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newWebAuthnEnv(t)
			d := tc.dev()
			c := e.register(t, userA, d, tc.passkey)
			if c.Name != tc.wantName || c.UserID != alice || c.Discoverable != tc.wantDisc || !bytes.Equal(c.ID, d.cred.ID) {
				t.Fatalf("credential = %+v", c)
			}
			if c.UserVerified != tc.passkey {
				t.Errorf("UserVerified = %v", c.UserVerified)
			}
			if !slices.Equal(c.Transports, d.transports) {
				t.Errorf("Transports = %v, want %v", c.Transports, d.transports)
			}
			list, err := e.w.Credentials(ctxBg, alice)
			if err != nil || len(list) != 1 {
				t.Fatalf("Credentials = %v, %v", list, err)
			}

			opts := e.beginLogin(t, userA, "login", tc.requireUV)
			d.cred.Counter = 1
			a, err := e.w.FinishLogin(ctxBg, userA, "login", d.assert(t, goodRP, opts), tc.requireUV)
			if err != nil {
				t.Fatalf("FinishLogin: %v", err)
			}
			if a.UserID != alice || !bytes.Equal(a.CredentialID, d.cred.ID) || !slices.Equal(a.AMR(), tc.wantAMR) {
				t.Errorf("assertion = %+v, amr %v", a, a.AMR())
			}
			got, _ := e.store.GetWebAuthnCredential(ctxBg, d.cred.ID)
			if got.SignCount != 1 || !got.LastUsedAt.Equal(t0) {
				t.Errorf("stored count %d, last used %v", got.SignCount, got.LastUsedAt)
			}
		})
	}
}

func TestWebAuthnRegistrationOptions(t *testing.T) {
	e := newWebAuthnEnv(t)
	d := securityKey()
	e.register(t, userA, d, false)

	for _, pk := range []bool{false, true} {
		opts, err := e.w.BeginRegistration(ctxBg, userA, "again", pk)
		if err != nil {
			t.Fatal(err)
		}
		var o struct {
			PublicKey struct {
				RP                     struct{ ID string }
				AuthenticatorSelection struct {
					ResidentKey      string `json:"residentKey"`
					UserVerification string `json:"userVerification"`
				} `json:"authenticatorSelection"`
				ExcludeCredentials []struct{ ID string } `json:"excludeCredentials"`
			} `json:"publicKey"`
		}
		if err := json.Unmarshal(opts, &o); err != nil {
			t.Fatal(err)
		}
		want := [2]string{"discouraged", "discouraged"}
		if pk {
			want = [2]string{"required", "required"}
		}
		sel := o.PublicKey.AuthenticatorSelection
		if [2]string{sel.ResidentKey, sel.UserVerification} != want || o.PublicKey.RP.ID != rpID {
			t.Errorf("passkey=%v: options %s", pk, opts)
		}
		if len(o.PublicKey.ExcludeCredentials) != 1 || o.PublicKey.ExcludeCredentials[0].ID != base64.RawURLEncoding.EncodeToString(d.cred.ID) {
			t.Errorf("excludeCredentials = %+v", o.PublicKey.ExcludeCredentials)
		}
	}
}

func TestWebAuthnRegistrationRefused(t *testing.T) {
	tests := []struct {
		name    string
		rp      virtualwebauthn.RelyingParty
		dev     func() *device
		passkey bool
		want    error
	}{
		{"wrong origin", evilRP, securityKey, false, ErrInvalidResponse},
		{"wrong RP ID", wrongRP, securityKey, false, ErrInvalidResponse},
		{"parent domain RP ID", parentRP, securityKey, false, ErrInvalidResponse},
		{"passkey without UV", goodRP, securityKey, true, ErrUserVerificationRequired},
		{"no user presence", goodRP, func() *device {
			d := securityKey()
			d.auth.Options.UserNotPresent = true
			return d
		}, false, ErrUserPresenceRequired},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newWebAuthnEnv(t)
			opts, err := e.w.BeginRegistration(ctxBg, userA, "reg", tc.passkey)
			if err != nil {
				t.Fatal(err)
			}
			_, err = e.w.FinishRegistration(ctxBg, userA, "reg", "Key", tc.dev().attest(t, tc.rp, opts))
			t.Logf("err: %v", err)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if list, _ := e.w.Credentials(ctxBg, alice); len(list) != 0 {
				t.Errorf("credential stored: %+v", list)
			}
		})
	}
}

func TestWebAuthnRegistrationCeremony(t *testing.T) {
	e := newWebAuthnEnv(t)
	d := securityKey()
	opts, err := e.w.BeginRegistration(ctxBg, userA, "reg", false)
	if err != nil {
		t.Fatal(err)
	}
	resp := d.attest(t, goodRP, opts)
	// Another user cannot finish alice's ceremony, and the attempt burns it.
	if _, err := e.w.FinishRegistration(ctxBg, userB, "reg", "", resp); !errors.Is(err, ErrChallengeUsed) {
		t.Fatalf("other user: %v", err)
	}
	if _, err := e.w.FinishRegistration(ctxBg, userA, "reg", "", resp); !errors.Is(err, ErrChallengeUsed) {
		t.Fatalf("after burn: %v", err)
	}
	// Expired ceremony.
	opts, _ = e.w.BeginRegistration(ctxBg, userA, "reg", false)
	e.clock.Add(DefaultCeremonyTTL)
	if _, err := e.w.FinishRegistration(ctxBg, userA, "reg", "", d.attest(t, goodRP, opts)); !errors.Is(err, ErrChallengeUsed) {
		t.Fatalf("expired: %v", err)
	}
	// Invalid name does not consume the ceremony.
	opts, _ = e.w.BeginRegistration(ctxBg, userA, "reg", false)
	resp = d.attest(t, goodRP, opts)
	if _, err := e.w.FinishRegistration(ctxBg, userA, "reg", "bad\x00name", resp); !errors.Is(err, ErrInvalidName) {
		t.Fatalf("bad name: %v", err)
	}
	c, err := e.w.FinishRegistration(ctxBg, userA, "reg", "  My key  ", resp)
	if err != nil || c.Name != "My key" {
		t.Fatalf("finish: %+v, %v", c, err)
	}
	// Replaying the registration response.
	if _, err := e.w.FinishRegistration(ctxBg, userA, "reg", "", resp); !errors.Is(err, ErrChallengeUsed) {
		t.Fatalf("replay: %v", err)
	}
	// The same authenticator credential registered again (by bob) is refused.
	opts, _ = e.w.BeginRegistration(ctxBg, userB, "reg-b", false)
	if _, err := e.w.FinishRegistration(ctxBg, userB, "reg-b", "", d.attest(t, goodRP, opts)); !errors.Is(err, ErrCredentialExists) {
		t.Fatalf("duplicate: %v", err)
	}
}

func TestWebAuthnLoginRefused(t *testing.T) {
	tests := []struct {
		name      string
		requireUV bool
		rp        virtualwebauthn.RelyingParty
		change    func(d *device)
		tamper    func(m map[string]any)
		want      error
	}{
		{name: "UV required but not done", requireUV: true, rp: goodRP, want: ErrUserVerificationRequired},
		{name: "no user presence", rp: goodRP, change: func(d *device) { d.auth.Options.UserNotPresent = true }, want: ErrUserPresenceRequired},
		{name: "bad signature", rp: goodRP, tamper: func(m map[string]any) {
			r := m["response"].(map[string]any)
			sig, _ := base64.RawURLEncoding.DecodeString(r["signature"].(string))
			sig[len(sig)-3] ^= 0x01
			r["signature"] = base64.RawURLEncoding.EncodeToString(sig)
		}, want: ErrInvalidResponse},
		{name: "tampered authenticator data", rp: goodRP, tamper: func(m map[string]any) {
			r := m["response"].(map[string]any)
			ad, _ := base64.RawURLEncoding.DecodeString(r["authenticatorData"].(string))
			ad[len(ad)-1]++ // counter
			r["authenticatorData"] = base64.RawURLEncoding.EncodeToString(ad)
		}, want: ErrInvalidResponse},
		{name: "UV flag forged", requireUV: true, rp: goodRP, tamper: func(m map[string]any) {
			r := m["response"].(map[string]any)
			ad, _ := base64.RawURLEncoding.DecodeString(r["authenticatorData"].(string))
			ad[32] |= 0x04
			r["authenticatorData"] = base64.RawURLEncoding.EncodeToString(ad)
		}, want: ErrInvalidResponse},
		{name: "wrong origin", rp: evilRP, want: ErrInvalidResponse},
		{name: "wrong RP ID", rp: wrongRP, want: ErrInvalidResponse},
		{name: "unknown credential", rp: goodRP, change: func(d *device) {
			d.cred = newVirtualCredential()
			d.auth.Credentials = nil
			d.auth.AddCredential(d.cred)
		}, want: ErrWrongCredential},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newWebAuthnEnv(t)
			d := securityKey()
			e.register(t, userA, d, false)
			opts := e.beginLogin(t, userA, "login", tc.requireUV)
			if tc.change != nil {
				tc.change(d)
			}
			d.cred.Counter = 1
			resp := d.assert(t, tc.rp, opts)
			if tc.tamper != nil {
				resp = edit(t, string(resp), tc.tamper)
			}
			a, err := e.w.FinishLogin(ctxBg, userA, "login", resp, tc.requireUV)
			t.Logf("err: %v", err)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v (%+v), want %v", err, a, tc.want)
			}
			if c, _ := e.store.GetWebAuthnCredential(ctxBg, e.store.creds[e.store.order[0]].ID); c.SignCount != 0 {
				t.Errorf("counter advanced to %d on a refused assertion", c.SignCount)
			}
		})
	}
}

func TestWebAuthnUVRequiredAtBeginCannotBeDropped(t *testing.T) {
	e := newWebAuthnEnv(t)
	d := securityKey()
	e.register(t, userA, d, false)
	opts := e.beginLogin(t, userA, "login", true)
	if _, err := e.w.FinishLogin(ctxBg, userA, "login", d.assert(t, goodRP, opts), false); !errors.Is(err, ErrUserVerificationRequired) {
		t.Fatalf("err = %v", err)
	}
}

func TestWebAuthnCounter(t *testing.T) {
	e := newWebAuthnEnv(t)
	d := securityKey()
	e.register(t, userA, d, false)
	login := func(count uint32) error {
		opts := e.beginLogin(t, userA, "login", false)
		d.cred.Counter = count
		_, err := e.w.FinishLogin(ctxBg, userA, "login", d.assert(t, goodRP, opts), false)
		return err
	}
	if err := login(5); err != nil {
		t.Fatalf("count 5: %v", err)
	}
	if err := login(3); !errors.Is(err, ErrCounterRegressed) {
		t.Fatalf("count 3 after 5: %v", err)
	}
	if err := login(5); !errors.Is(err, ErrCounterRegressed) {
		t.Fatalf("count 5 again: %v", err)
	}
	if err := login(0); !errors.Is(err, ErrCounterRegressed) {
		t.Fatalf("count 0 after 5: %v", err)
	}
	if err := login(6); err != nil {
		t.Fatalf("count 6: %v", err)
	}

	// An authenticator without a counter (always 0) keeps working.
	e2 := newWebAuthnEnv(t)
	d2 := passkey(userA)
	e2.register(t, userA, d2, true)
	for i := range 2 {
		opts, _ := e2.w.BeginPasskeyLogin(ctxBg, "pk")
		if _, err := e2.w.FinishPasskeyLogin(ctxBg, "pk", d2.assert(t, goodRP, opts), lookup(userA)); err != nil {
			t.Fatalf("zero counter, login %d: %v", i, err)
		}
	}
	// A reset lower than stored is flagged.
	e.store.setCount(d.cred.ID, 100)
	if err := login(7); !errors.Is(err, ErrCounterRegressed) {
		t.Fatalf("reset: %v", err)
	}
}

func TestWebAuthnReplay(t *testing.T) {
	e := newWebAuthnEnv(t)
	d := securityKey()
	e.register(t, userA, d, false)

	opts := e.beginLogin(t, userA, "login", false)
	d.cred.Counter = 1
	resp := d.assert(t, goodRP, opts)
	if _, err := e.w.FinishLogin(ctxBg, userA, "login", resp, false); err != nil {
		t.Fatal(err)
	}
	// Same ceremony again.
	if _, err := e.w.FinishLogin(ctxBg, userA, "login", resp, false); !errors.Is(err, ErrChallengeUsed) {
		t.Fatalf("finish twice: %v", err)
	}
	// The old response against a fresh ceremony: wrong challenge.
	e.beginLogin(t, userA, "login", false)
	if _, err := e.w.FinishLogin(ctxBg, userA, "login", resp, false); !errors.Is(err, ErrInvalidResponse) {
		t.Fatalf("old response: %v", err)
	}
	// Unknown key, expired ceremony, a registration ceremony used for login.
	if _, err := e.w.FinishLogin(ctxBg, userA, "nope", resp, false); !errors.Is(err, ErrChallengeUsed) {
		t.Fatalf("unknown key: %v", err)
	}
	opts = e.beginLogin(t, userA, "login", false)
	e.clock.Add(DefaultCeremonyTTL + time.Second)
	d.cred.Counter = 2
	if _, err := e.w.FinishLogin(ctxBg, userA, "login", d.assert(t, goodRP, opts), false); !errors.Is(err, ErrChallengeUsed) {
		t.Fatalf("expired: %v", err)
	}
	if _, err := e.w.BeginRegistration(ctxBg, userA, "mixed", false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.w.FinishLogin(ctxBg, userA, "mixed", resp, false); !errors.Is(err, ErrChallengeUsed) {
		t.Fatalf("registration ceremony: %v", err)
	}
	// A login ceremony begun for bob cannot be finished for alice.
	e.register(t, userB, securityKey(), false)
	opts = e.beginLogin(t, userB, "bob", false)
	d.cred.Counter = 3
	if _, err := e.w.FinishLogin(ctxBg, userA, "bob", d.assert(t, goodRP, opts), false); !errors.Is(err, ErrChallengeUsed) {
		t.Fatalf("other user's ceremony: %v", err)
	}
}

func TestWebAuthnConcurrentFinish(t *testing.T) {
	e := newWebAuthnEnv(t)
	d := securityKey()
	e.register(t, userA, d, false)
	opts := e.beginLogin(t, userA, "login", false)
	d.cred.Counter = 1
	resp := d.assert(t, goodRP, opts)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := e.w.FinishLogin(ctxBg, userA, "login", resp, false); err == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if ok != 1 {
		t.Fatalf("%d successes, want 1", ok)
	}
}

func TestWebAuthnWrongUser(t *testing.T) {
	e := newWebAuthnEnv(t)
	da := securityKey()
	e.register(t, userA, da, false)
	db := securityKey()
	e.register(t, userB, db, false)

	// Bob's second-factor ceremony answered with alice's key.
	opts := e.beginLogin(t, userB, "login", false)
	parsed, _ := virtualwebauthn.ParseAssertionOptions(string(opts))
	da.cred.Counter = 1
	resp := virtualwebauthn.CreateAssertionResponse(goodRP, da.auth, da.cred, *parsed)
	if _, err := e.w.FinishLogin(ctxBg, userB, "login", []byte(resp), false); !errors.Is(err, ErrWrongCredential) {
		t.Fatalf("second factor: %v", err)
	}

	// Passkey sign-in: alice's passkey presenting bob's user handle.
	pa := passkey(userA)
	e.register(t, userA, pa, true)
	pa.auth.Options.UserHandle = []byte(bob)
	opts, _ = e.w.BeginPasskeyLogin(ctxBg, "pk")
	if _, err := e.w.FinishPasskeyLogin(ctxBg, "pk", pa.assert(t, goodRP, opts), lookup(userA, userB)); !errors.Is(err, ErrWrongCredential) {
		t.Fatalf("passkey with bob's handle: %v", err)
	}
	// A lookup that maps the handle to a different user.
	pa.auth.Options.UserHandle = []byte(alice)
	opts, _ = e.w.BeginPasskeyLogin(ctxBg, "pk")
	wrong := func(context.Context, []byte) (UserInfo, error) { return userB, nil }
	if _, err := e.w.FinishPasskeyLogin(ctxBg, "pk", pa.assert(t, goodRP, opts), wrong); !errors.Is(err, ErrWrongCredential) {
		t.Fatalf("lookup mismatch: %v", err)
	}
	// Bob cannot remove or rename alice's key.
	if err := e.w.Remove(ctxBg, bob, da.cred.ID); !errors.Is(err, ErrUnknownDevice) {
		t.Fatalf("Remove: %v", err)
	}
	if err := e.w.Rename(ctxBg, bob, da.cred.ID, "x"); !errors.Is(err, ErrUnknownDevice) {
		t.Fatalf("Rename: %v", err)
	}
}

func TestWebAuthnPasskeyLogin(t *testing.T) {
	tests := []struct {
		name    string
		dev     func() *device
		rp      virtualwebauthn.RelyingParty
		tamper  func(m map[string]any)
		wantErr error
	}{
		{name: "ok", dev: func() *device { return passkey(userA) }, rp: goodRP},
		{name: "no UV", dev: func() *device {
			d := passkey(userA)
			d.auth.Options.UserNotVerified = true
			return d
		}, rp: goodRP, wantErr: ErrUserVerificationRequired},
		{name: "no user presence", dev: func() *device {
			d := passkey(userA)
			d.auth.Options.UserNotPresent = true
			return d
		}, rp: goodRP, wantErr: ErrUserPresenceRequired},
		{name: "wrong origin", dev: func() *device { return passkey(userA) }, rp: evilRP, wantErr: ErrInvalidResponse},
		{name: "wrong RP ID", dev: func() *device { return passkey(userA) }, rp: wrongRP, wantErr: ErrInvalidResponse},
		{name: "no user handle", dev: func() *device { return passkey(userA) }, rp: goodRP, tamper: func(m map[string]any) {
			delete(m["response"].(map[string]any), "userHandle")
		}, wantErr: ErrInvalidResponse},
		{name: "bad signature", dev: func() *device { return passkey(userA) }, rp: goodRP, tamper: func(m map[string]any) {
			r := m["response"].(map[string]any)
			sig, _ := base64.RawURLEncoding.DecodeString(r["signature"].(string))
			sig[len(sig)-3] ^= 0x01
			r["signature"] = base64.RawURLEncoding.EncodeToString(sig)
		}, wantErr: ErrInvalidResponse},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newWebAuthnEnv(t)
			d := tc.dev()
			good := *d
			good.auth.Options.UserNotVerified, good.auth.Options.UserNotPresent = false, false
			e.register(t, userA, &good, true)
			d.auth.Credentials = good.auth.Credentials
			d.cred = good.cred

			opts, err := e.w.BeginPasskeyLogin(ctxBg, "pk")
			if err != nil {
				t.Fatal(err)
			}
			var o struct {
				PublicKey struct {
					UserVerification string            `json:"userVerification"`
					AllowCredentials []json.RawMessage `json:"allowCredentials"`
				} `json:"publicKey"`
			}
			if err := json.Unmarshal(opts, &o); err != nil || o.PublicKey.UserVerification != "required" || len(o.PublicKey.AllowCredentials) != 0 {
				t.Fatalf("options %s (%v)", opts, err)
			}
			resp := d.assert(t, tc.rp, opts)
			if tc.tamper != nil {
				resp = edit(t, string(resp), tc.tamper)
			}
			a, err := e.w.FinishPasskeyLogin(ctxBg, "pk", resp, lookup(userA, userB))
			t.Logf("err: %v", err)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if a.UserID != alice || !a.UserVerified || !a.Discoverable || !slices.Equal(a.AMR(), []string{"swk", "user"}) {
				t.Errorf("assertion = %+v", a)
			}
			// Single use.
			if _, err := e.w.FinishPasskeyLogin(ctxBg, "pk", resp, lookup(userA)); !errors.Is(err, ErrChallengeUsed) {
				t.Errorf("replay: %v", err)
			}
		})
	}
}

func TestWebAuthnPasskeyLookupError(t *testing.T) {
	e := newWebAuthnEnv(t)
	d := passkey(userA)
	e.register(t, userA, d, true)
	opts, _ := e.w.BeginPasskeyLogin(ctxBg, "pk")
	boom := errors.New("boom")
	_, err := e.w.FinishPasskeyLogin(ctxBg, "pk", d.assert(t, goodRP, opts), func(context.Context, []byte) (UserInfo, error) { return UserInfo{}, boom })
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
}

func TestWebAuthnMethod(t *testing.T) {
	tests := []struct {
		name       string
		transports []string
		attachment string
		be         bool
		want       string
	}{
		{"usb key", []string{"usb"}, "", false, "hwk"},
		{"nfc+usb cross-platform", []string{"nfc", "usb"}, "cross-platform", false, "hwk"},
		{"ble", []string{"ble"}, "", false, "hwk"},
		{"cross-platform, no transports", nil, "cross-platform", false, "hwk"},
		{"platform", nil, "platform", false, "swk"},
		{"internal", []string{"internal"}, "", false, "swk"},
		{"phone via hybrid", []string{"hybrid", "internal"}, "cross-platform", false, "swk"},
		{"synced passkey on a usb transport", []string{"usb"}, "cross-platform", true, "swk"},
		{"nothing known", nil, "", false, "swk"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := storage.WebAuthnCredential{Transports: tc.transports, BackupEligible: tc.be}
			if got := webAuthnMethod(c, protocolAttachment(tc.attachment)); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// A user handle is 1 to 64 bytes (WebAuthn §5.4.3); the names the authenticator
// shows fall back from the display name to the email to the id.
func TestWebAuthnUser(t *testing.T) {
	for _, tt := range []struct {
		id string
		ok bool
	}{{"", false}, {"u", true}, {strings.Repeat("u", 64), true}, {strings.Repeat("u", 65), false}} {
		if err := checkUser(UserInfo{ID: tt.id}); (err == nil) != tt.ok {
			t.Errorf("checkUser(%d bytes) = %v, want ok=%v", len(tt.id), err, tt.ok)
		}
	}
	for _, tt := range []struct {
		info              UserInfo
		name, displayName string
	}{
		{UserInfo{ID: "u1", Email: "a@example.com", DisplayName: "Ann"}, "a@example.com", "Ann"},
		{UserInfo{ID: "u1", Email: "a@example.com"}, "a@example.com", "a@example.com"},
		{UserInfo{ID: "u1"}, "u1", "u1"},
	} {
		u := newWebAuthnUser(tt.info, nil)
		if u.WebAuthnName() != tt.name || u.WebAuthnDisplayName() != tt.displayName {
			t.Errorf("%+v: names %q, %q; want %q, %q", tt.info, u.WebAuthnName(), u.WebAuthnDisplayName(), tt.name, tt.displayName)
		}
	}
}

func TestWebAuthnManage(t *testing.T) {
	e := newWebAuthnEnv(t)
	if _, err := e.w.BeginLogin(ctxBg, userA, "login", false); !errors.Is(err, ErrNoCredential) {
		t.Fatalf("BeginLogin without credentials: %v", err)
	}
	d := securityKey()
	c := e.register(t, userA, d, false)
	if err := e.w.Rename(ctxBg, alice, c.ID, " Yubikey 5 "); err != nil {
		t.Fatal(err)
	}
	if err := e.w.Rename(ctxBg, alice, c.ID, "a\nb"); !errors.Is(err, ErrInvalidName) {
		t.Fatalf("bad name: %v", err)
	}
	list, _ := e.w.Credentials(ctxBg, alice)
	if len(list) != 1 || list[0].Name != "Yubikey 5" {
		t.Fatalf("list = %+v", list)
	}
	if err := e.w.Remove(ctxBg, alice, c.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.w.Remove(ctxBg, alice, c.ID); !errors.Is(err, ErrUnknownDevice) {
		t.Fatalf("second remove: %v", err)
	}
	// A removed key no longer signs in.
	e.register(t, userA, securityKey(), false)
	opts := e.beginLogin(t, userA, "login", false)
	d.cred.Counter = 9
	if _, err := e.w.FinishLogin(ctxBg, userA, "login", d.assert(t, goodRP, opts), false); !errors.Is(err, ErrWrongCredential) {
		t.Fatalf("removed key: %v", err)
	}
}

func protocolAttachment(s string) protocol.AuthenticatorAttachment {
	return protocol.AuthenticatorAttachment(s)
}
