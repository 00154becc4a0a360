package rsasign

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// TestMain lets the test binary print Describe under another environment.
func TestMain(m *testing.M) {
	if os.Getenv("RSASIGN_TEST_DESCRIBE") == "1" {
		fmt.Println(Describe())
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// requireNative fails where the test command says OpenSSL must sign (it is on
// every machine the suite runs on), so that the Go fallback cannot pass for it.
func requireNative(t *testing.T) {
	t.Helper()
	if os.Getenv("LOCKSTEP_TEST_REQUIRE_OPENSSL") == "1" && !Native() {
		t.Fatalf("OpenSSL does not sign here: %s", Describe())
	}
}

func newKey(t testing.TB, bits int) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// PKCS #1 v1.5 is deterministic: OpenSSL must give Go's bytes exactly.
func TestSameSignatureAsGo(t *testing.T) {
	requireNative(t)
	t.Logf("RS256 signer: %s", Describe())
	for _, bits := range []int{2048, 3072} {
		key := newKey(t, bits)
		s := New(key)
		if Native() != (s.native != nil) {
			t.Fatalf("%d bits: OpenSSL available %v but the signer's native key is %v", bits, Native(), s.native)
		}
		for i, msg := range []string{"", "a", strings.Repeat("header.payload", 100)} {
			d := sha256.Sum256([]byte(msg))
			got, err := s.Sign(rand.Reader, d[:], crypto.SHA256)
			if err != nil {
				t.Fatalf("%d bits, message %d: %v", bits, i, err)
			}
			want, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, d[:])
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("%d bits, message %d: signature differs from Go's", bits, i)
			}
		}
	}
}

// More signatures at once than a key keeps idle contexts for (16, idleContexts).
func TestConcurrentSignatures(t *testing.T) {
	requireNative(t)
	key := newKey(t, 2048)
	s := New(key)
	var wg sync.WaitGroup
	const n = 64
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			d := sha256.Sum256([]byte{byte(i)})
			sig, err := s.Sign(nil, d[:], crypto.SHA256)
			if err == nil {
				err = rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, d[:], sig)
			}
			if err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// badNative stands for an OpenSSL that faults: a signature with one bit wrong
// (as a fault in the CRT computation gives, which would leak a factor of the
// modulus) or an error.
type badNative struct {
	key *rsa.PrivateKey
	err error
}

func (b badNative) signSHA256(digest []byte) ([]byte, error) {
	if b.err != nil {
		return nil, b.err
	}
	sig, err := rsa.SignPKCS1v15(nil, b.key, crypto.SHA256, digest)
	if err != nil {
		return nil, err
	}
	sig[len(sig)/2] ^= 1
	return sig, nil
}

// A signature that does not verify never leaves the signer: Go signs instead.
func TestFaultyNativeSignatureNeverLeaves(t *testing.T) {
	key := newKey(t, 2048)
	d := sha256.Sum256([]byte("header.payload"))
	want, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, d[:])
	if err != nil {
		t.Fatal(err)
	}
	for name, native := range map[string]nativeSigner{
		"wrong bit": badNative{key: key},
		"error":     badNative{err: errors.New("EVP_PKEY_sign failed")},
	} {
		s := &Signer{key: key, native: native}
		got, err := s.Sign(rand.Reader, d[:], crypto.SHA256)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: the signer returned a signature that is not Go's", name)
		}
	}
}

// Anything but a SHA-256 PKCS #1 v1.5 signature is Go's to make.
func TestOtherSchemesSignInGo(t *testing.T) {
	key := newKey(t, 2048)
	s := New(key)
	d256 := sha256.Sum256([]byte("m"))
	pss := &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256}
	sig, err := s.Sign(rand.Reader, d256[:], pss)
	if err != nil {
		t.Fatal(err)
	}
	if err := rsa.VerifyPSS(&key.PublicKey, crypto.SHA256, d256[:], sig, pss); err != nil {
		t.Errorf("PS256: %v", err)
	}
	d384 := sha512.Sum384([]byte("m"))
	sig, err = s.Sign(rand.Reader, d384[:], crypto.SHA384)
	if err != nil {
		t.Fatal(err)
	}
	if err := rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA384, d384[:], sig); err != nil {
		t.Errorf("RS384: %v", err)
	}
	if _, err := s.Sign(rand.Reader, d256[:10], crypto.SHA256); err == nil {
		t.Error("a digest of the wrong length was signed")
	}
}

// LOCKSTEP_OPENSSL=off leaves the signatures to Go.
func TestTurnedOff(t *testing.T) {
	requireNative(t)
	for _, tc := range []struct{ env, want string }{
		{"LOCKSTEP_OPENSSL=off", "Go crypto/rsa (LOCKSTEP_OPENSSL=off)"},
		{"LOCKSTEP_OPENSSL=", Describe()},
	} {
		cmd := exec.Command(os.Args[0], "-test.run", "^$")
		cmd.Env = append(os.Environ(), "RSASIGN_TEST_DESCRIBE=1", tc.env)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %v", tc.env, err)
		}
		if got := strings.TrimSpace(string(out)); got != tc.want {
			t.Errorf("%s: signer %q, want %q", tc.env, got, tc.want)
		}
	}
}

// go test -run '^$' -bench Sign ./internal/rsasign/
func BenchmarkSign(b *testing.B) {
	key := newKey(b, 2048)
	s := New(key)
	d := sha256.Sum256([]byte("header.payload"))
	b.Run("go", func(b *testing.B) {
		for b.Loop() {
			if _, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, d[:]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("signer", func(b *testing.B) {
		b.Logf("%s", Describe())
		for b.Loop() {
			if _, err := s.Sign(nil, d[:], crypto.SHA256); err != nil {
				b.Fatal(err)
			}
		}
	})
}
