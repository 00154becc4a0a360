package sms

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	testSecret = []byte("0123456789abcdef0123456789abcdef-webhook")
	testNow    = time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)
	testMsg    = Message{To: "+4915123456789", Text: "Your Lockstep code is 493817"}
)

// captured is one request as the receiver saw it.
type captured struct {
	header http.Header
	body   []byte
}

// receiver is a real HTTP server that checks the request format and signature
// the way an integrator would, and records what it got.
type receiver struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	got    []captured
	status int
	answer string
}

func newReceiver(t *testing.T, tls bool) *receiver {
	rc := &receiver{t: t, status: http.StatusNoContent}
	h := http.HandlerFunc(rc.serve)
	if tls {
		rc.srv = httptest.NewTLSServer(h)
	} else {
		rc.srv = httptest.NewServer(h)
	}
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	t := rc.t
	fail := func(format string, args ...any) {
		t.Errorf("receiver: "+format, args...)
		http.Error(w, "test receiver refused the request", http.StatusBadRequest)
	}
	if r.Method != http.MethodPost {
		fail("method %s; want POST", r.Method)
		return
	}
	if r.URL.Path != "/hooks/sms" || r.URL.RawQuery != "tenant=1" {
		fail("path %s?%s; want /hooks/sms?tenant=1", r.URL.Path, r.URL.RawQuery)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		fail("Content-Type %q; want application/json", ct)
		return
	}
	if ts := r.Header.Get(HeaderTimestamp); ts != strconv.FormatInt(testNow.Unix(), 10) {
		fail("%s = %q; want %d", HeaderTimestamp, ts, testNow.Unix())
		return
	}
	if !regexp.MustCompile(`^sha256=[0-9a-f]{64}$`).MatchString(r.Header.Get(HeaderSignature)) {
		fail("%s = %q; want sha256=<64 hex>", HeaderSignature, r.Header.Get(HeaderSignature))
		return
	}
	h := r.Header.Clone()
	body, err := VerifyWebhook(r, testSecret, time.Minute, testNow)
	if err != nil {
		fail("VerifyWebhook: %v", err)
		return
	}
	// The body is also available again on r.Body.
	if again, _ := io.ReadAll(r.Body); !bytes.Equal(again, body) {
		fail("r.Body after VerifyWebhook differs from the returned body")
		return
	}
	var fields map[string]any
	if err := json.Unmarshal(body, &fields); err != nil {
		fail("body is not JSON: %v", err)
		return
	}
	if len(fields) != 4 {
		fail("body has fields %v; want to, text, id, sent_at", fields)
		return
	}
	var p WebhookPayload
	_ = json.Unmarshal(body, &p)
	if p.To == "" || p.Text == "" {
		fail("body %s lacks to or text", body)
		return
	}
	if !regexp.MustCompile(`^msg_[0-9a-f]{32}$`).MatchString(p.ID) {
		fail("id %q; want msg_ and 32 hex digits", p.ID)
		return
	}
	if p.SentAt != "2026-01-02T15:04:05Z" {
		fail("sent_at %q; want 2026-01-02T15:04:05Z", p.SentAt)
		return
	}
	rc.mu.Lock()
	rc.got = append(rc.got, captured{header: h, body: body})
	status, answer := rc.status, rc.answer
	rc.mu.Unlock()
	w.WriteHeader(status)
	_, _ = io.WriteString(w, answer)
}

func (rc *receiver) url() string { return rc.srv.URL + "/hooks/sms?tenant=1" }

func (rc *receiver) requests() []captured {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]captured(nil), rc.got...)
}

func newTestWebhook(t *testing.T, url string, client *http.Client) *Webhook {
	t.Helper()
	w, err := NewWebhook(url, testSecret, client)
	if err != nil {
		t.Fatalf("NewWebhook: %v", err)
	}
	w.Now = func() time.Time { return testNow }
	return w
}

func TestWebhookSend(t *testing.T) {
	for _, tls := range []bool{false, true} {
		t.Run("tls="+strconv.FormatBool(tls), func(t *testing.T) {
			rc := newReceiver(t, tls)
			var client *http.Client
			if tls {
				client = rc.srv.Client()
			}
			w := newTestWebhook(t, rc.url(), client)
			if err := w.Send(context.Background(), testMsg); err != nil {
				t.Fatalf("Send: %v", err)
			}
			if err := w.Send(context.Background(), testMsg); err != nil {
				t.Fatalf("second Send: %v", err)
			}
			got := rc.requests()
			if len(got) != 2 {
				t.Fatalf("receiver got %d requests; want 2", len(got))
			}
			var p1, p2 WebhookPayload
			_ = json.Unmarshal(got[0].body, &p1)
			_ = json.Unmarshal(got[1].body, &p2)
			if p1.To != testMsg.To || p1.Text != testMsg.Text {
				t.Errorf("payload %+v; want to %s and the text", p1, testMsg.To)
			}
			if p1.ID == p2.ID {
				t.Errorf("two sends share the id %s", p1.ID)
			}
		})
	}
}

// verifyCaptured re-submits a captured request, possibly altered, to VerifyWebhook.
func verifyCaptured(c captured, secret []byte, now time.Time) ([]byte, error) {
	r := httptest.NewRequest(http.MethodPost, "/hooks/sms", bytes.NewReader(c.body))
	r.Header = c.header.Clone()
	return VerifyWebhook(r, secret, time.Minute, now)
}

func TestVerifyWebhook(t *testing.T) {
	rc := newReceiver(t, false)
	w := newTestWebhook(t, rc.url(), nil)
	if err := w.Send(context.Background(), testMsg); err != nil {
		t.Fatalf("Send: %v", err)
	}
	orig := rc.requests()[0]

	with := func(f func(c *captured)) captured {
		c := captured{header: orig.header.Clone(), body: bytes.Clone(orig.body)}
		f(&c)
		return c
	}
	freshTS := strconv.FormatInt(testNow.Add(10*time.Minute).Unix(), 10)
	tests := []struct {
		name    string
		req     captured
		secret  []byte
		now     time.Time
		wantErr error // nil: accepted
	}{
		{"original", orig, testSecret, testNow, nil},
		{"clock 59s ahead", orig, testSecret, testNow.Add(59 * time.Second), nil},
		{"clock 59s behind", orig, testSecret, testNow.Add(-59 * time.Second), nil},
		{"wrong secret", orig, []byte("another-secret-of-at-least-32-bytes!"), testNow, ErrBadSignature},
		{"empty secret", orig, nil, testNow, ErrBadSignature},
		{"replayed 10 minutes later", orig, testSecret, testNow.Add(10 * time.Minute), ErrStaleTimestamp},
		{"timestamp from the future", orig, testSecret, testNow.Add(-2 * time.Minute), ErrStaleTimestamp},
		{"replay with a fresh timestamp header", with(func(c *captured) {
			c.header.Set(HeaderTimestamp, freshTS)
		}), testSecret, testNow.Add(10 * time.Minute), ErrBadSignature},
		{"tampered body", with(func(c *captured) {
			c.body = bytes.Replace(c.body, []byte("+4915123456789"), []byte("+4915123456780"), 1)
		}), testSecret, testNow, ErrBadSignature},
		{"body with trailing newline", with(func(c *captured) {
			c.body = append(c.body, '\n')
		}), testSecret, testNow, ErrBadSignature},
		{"missing signature", with(func(c *captured) {
			c.header.Del(HeaderSignature)
		}), testSecret, testNow, ErrBadSignature},
		{"signature without sha256=", with(func(c *captured) {
			c.header.Set(HeaderSignature, strings.TrimPrefix(c.header.Get(HeaderSignature), "sha256="))
		}), testSecret, testNow, ErrBadSignature},
		{"upper-case hex signature", with(func(c *captured) {
			s := c.header.Get(HeaderSignature)
			c.header.Set(HeaderSignature, "sha256="+strings.ToUpper(s[7:]))
		}), testSecret, testNow, nil},
		{"truncated signature", with(func(c *captured) {
			c.header.Set(HeaderSignature, c.header.Get(HeaderSignature)[:40])
		}), testSecret, testNow, ErrBadSignature},
		{"missing timestamp", with(func(c *captured) {
			c.header.Del(HeaderTimestamp)
		}), testSecret, testNow, ErrStaleTimestamp},
		{"timestamp with leading zero", with(func(c *captured) {
			c.header.Set(HeaderTimestamp, "0"+c.header.Get(HeaderTimestamp))
		}), testSecret, testNow, ErrStaleTimestamp},
		{"negative timestamp", with(func(c *captured) {
			c.header.Set(HeaderTimestamp, "-1")
		}), testSecret, testNow, ErrStaleTimestamp},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body, err := verifyCaptured(tc.req, tc.secret, tc.now)
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("VerifyWebhook: %v", err)
				}
				if !bytes.Equal(body, orig.body) {
					t.Errorf("body %s; want %s", body, orig.body)
				}
				return
			}
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("VerifyWebhook error %v; want %v", err, tc.wantErr)
			}
			if body != nil {
				t.Errorf("body returned with an error")
			}
		})
	}

	t.Run("oversized body", func(t *testing.T) {
		big := bytes.Repeat([]byte("x"), MaxWebhookBody+1)
		ts := testNow.Unix()
		r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(big))
		r.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
		r.Header.Set(HeaderSignature, Sign(testSecret, ts, big))
		if _, err := VerifyWebhook(r, testSecret, 0, testNow); err == nil {
			t.Fatal("accepted a body over MaxWebhookBody")
		}
	})
	t.Run("default skew", func(t *testing.T) {
		if _, err := verifyCaptured(orig, testSecret, testNow.Add(4*time.Minute)); err == nil {
			// verifyCaptured uses one minute; check 0 means DefaultMaxSkew directly.
			t.Fatal("one-minute window accepted a four-minute-old request")
		}
		r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(orig.body))
		r.Header = orig.header.Clone()
		if _, err := VerifyWebhook(r, testSecret, 0, testNow.Add(4*time.Minute)); err != nil {
			t.Fatalf("default window refused a four-minute-old request: %v", err)
		}
	})
}

// TestSign pins the scheme documented in doc.go to a value computed outside Go:
// printf '1767366245.{"a":1}' | openssl dgst -sha256 -hmac 'k'
func TestSign(t *testing.T) {
	got := Sign([]byte("k"), 1767366245, []byte(`{"a":1}`))
	const want = "sha256=d3b867c40070f54c75a2ac1ac1ea622b2b1d24e22dd3ab944664ab8eec87496e"
	if got != want {
		t.Fatalf("Sign = %q; want %q", got, want)
	}
}

func TestWebhookNon2xx(t *testing.T) {
	long := strings.Repeat("upstream gateway said no; ", 40)
	tests := []struct {
		status  int
		answer  string
		wantSub []string
	}{
		{http.StatusInternalServerError, "boom", []string{"HTTP 500", "boom"}},
		{http.StatusUnauthorized, "", []string{"HTTP 401"}},
		{http.StatusBadGateway, long, []string{"HTTP 502", "upstream gateway said no", "…"}},
		{http.StatusFound, "", []string{"HTTP 302"}}, // redirects are not followed
		{http.StatusBadRequest, "line1\nline2\x1b[31m", []string{"HTTP 400", "line1 line2"}},
	}
	for _, tc := range tests {
		t.Run(strconv.Itoa(tc.status), func(t *testing.T) {
			rc := newReceiver(t, false)
			rc.status, rc.answer = tc.status, tc.answer
			w := newTestWebhook(t, rc.url(), nil)
			err := w.Send(context.Background(), testMsg)
			if err == nil {
				t.Fatal("Send succeeded")
			}
			msg := err.Error()
			for _, s := range tc.wantSub {
				if !strings.Contains(msg, s) {
					t.Errorf("error %q does not contain %q", msg, s)
				}
			}
			if len(msg) > 250 {
				t.Errorf("error is %d bytes long; the body should be cut short", len(msg))
			}
			if strings.Contains(msg, "493817") || strings.Contains(msg, testMsg.To) {
				t.Errorf("error %q leaks the code or the number", msg)
			}
			if strings.ContainsAny(msg, "\n\x1b") {
				t.Errorf("error %q holds control characters", msg)
			}
		})
	}
}

func TestWebhookTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body) // lets the server notice the client going away
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	w := newTestWebhook(t, srv.URL+"/hook?token=s3cr3t", nil)

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := w.Send(ctx, testMsg)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Send error %v; want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Send took %s after a 100ms deadline", d)
	}
	if strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("error %q repeats the URL's token", err)
	}

	// The client's own timeout works as well.
	w.Client = &http.Client{Timeout: 100 * time.Millisecond}
	if err := w.Send(context.Background(), testMsg); err == nil {
		t.Fatal("Send succeeded against a server that never answers")
	}
}

func TestWebhookRefusesBadMessages(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("request made for an invalid message")
	}))
	defer srv.Close()
	w := newTestWebhook(t, srv.URL, nil)
	for _, m := range []Message{
		{To: "015123456789", Text: "x"},
		{To: "+49 151 23456789", Text: "x"},
		{To: "+4915123456789", Text: ""},
		{To: "+4915123456789", Text: strings.Repeat("x", MaxTextLen+1)},
		{To: "+4915123456789", Text: "\xff"},
	} {
		if err := w.Send(context.Background(), m); !errors.Is(err, ErrInvalidMessage) {
			t.Errorf("Send(%q, %d chars) error %v; want ErrInvalidMessage", m.To, len(m.Text), err)
		}
	}
}

func TestNewWebhook(t *testing.T) {
	tests := []struct {
		url    string
		secret []byte
		ok     bool
	}{
		{"https://sms.example.com/hook", testSecret, true},
		{"https://sms.example.com:8443/hook?x=1", testSecret, true},
		{"http://127.0.0.1:8080/hook", testSecret, true},
		{"http://127.1.2.3/hook", testSecret, true},
		{"http://localhost:9000/", testSecret, true},
		{"http://[::1]:9000/", testSecret, true},
		{"http://sms.example.com/hook", testSecret, false}, // https required
		{"http://10.0.0.1/hook", testSecret, false},
		{"http://localhost.example.com/", testSecret, false},
		{"ftp://sms.example.com/", testSecret, false},
		{"https:///nohost", testSecret, false},
		{"/relative", testSecret, false},
		{"", testSecret, false},
		{"https://sms.example.com/hook#frag", testSecret, false},
		{"https://sms.example.com/hook", testSecret[:31], false}, // secret too short
		{"https://sms.example.com/hook", nil, false},
	}
	for _, tc := range tests {
		w, err := NewWebhook(tc.url, tc.secret, nil)
		if (err == nil) != tc.ok {
			t.Errorf("NewWebhook(%q, %d-byte secret) error %v; want ok=%v", tc.url, len(tc.secret), err, tc.ok)
			continue
		}
		if err != nil {
			if !strings.HasPrefix(err.Error(), "sms: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
			continue
		}
		if w.Client == nil || w.Client.Timeout == 0 || w.Now == nil {
			t.Errorf("NewWebhook(%q): no default client with a timeout or no clock", tc.url)
		}
	}
	// The secret is copied.
	s := bytes.Clone(testSecret)
	w, _ := NewWebhook("https://sms.example.com/", s, nil)
	s[0] ^= 0xff
	if !bytes.Equal(w.Secret, testSecret) {
		t.Error("NewWebhook kept the caller's secret slice")
	}
}

func TestWebhookConcurrent(t *testing.T) {
	rc := newReceiver(t, false)
	w := newTestWebhook(t, rc.url(), nil)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			if err := w.Send(context.Background(), testMsg); err != nil {
				t.Errorf("Send: %v", err)
			}
		})
	}
	wg.Wait()
	if n := len(rc.requests()); n != 16 {
		t.Errorf("receiver got %d requests; want 16", n)
	}
	var _ Sender = w
}
