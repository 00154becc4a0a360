package sms

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testSID   = "AC0123456789abcdef0123456789abcdef"
	testToken = "auth-token-0123456789"
	testMGSID = "MG0123456789abcdef0123456789abcdef"
)

// fakeTwilio is a real HTTP server speaking the part of Twilio's Messages API the
// sender uses, strict about the request format.
type fakeTwilio struct {
	t   *testing.T
	srv *httptest.Server

	mu    sync.Mutex
	forms []url.Values
	// reply, if set, answers instead of the 201 success.
	reply func(w http.ResponseWriter)
}

func newFakeTwilio(t *testing.T, prefix string) *fakeTwilio {
	ft := &fakeTwilio{t: t}
	ft.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ft.serve(w, r, prefix)
	}))
	t.Cleanup(ft.srv.Close)
	return ft
}

func twilioError(w http.ResponseWriter, status, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"code": %d, "message": %q, "more_info": "https://www.twilio.com/docs/errors/%d", "status": %d}`,
		code, msg, code, status)
}

func (ft *fakeTwilio) serve(w http.ResponseWriter, r *http.Request, prefix string) {
	t := ft.t
	if r.Method != http.MethodPost {
		t.Errorf("twilio: method %s; want POST", r.Method)
		twilioError(w, 405, 20004, "Method not allowed")
		return
	}
	if want := prefix + "/2010-04-01/Accounts/" + testSID + "/Messages.json"; r.URL.Path != want {
		t.Errorf("twilio: path %s; want %s", r.URL.Path, want)
		twilioError(w, 404, 20404, "The requested resource was not found")
		return
	}
	user, pass, ok := r.BasicAuth()
	if !ok || user != testSID || pass != testToken {
		twilioError(w, 401, 20003, "Authenticate")
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		t.Errorf("twilio: Content-Type %q", r.Header.Get("Content-Type"))
		twilioError(w, 400, 20001, "bad content type")
		return
	}
	raw, _ := io.ReadAll(r.Body)
	form, err := url.ParseQuery(string(raw))
	if err != nil {
		t.Errorf("twilio: body %q: %v", raw, err)
		twilioError(w, 400, 20001, "bad form")
		return
	}
	for k := range form {
		switch k {
		case "To", "From", "MessagingServiceSid", "Body":
		default:
			t.Errorf("twilio: unexpected form field %q", k)
		}
		if len(form[k]) != 1 {
			t.Errorf("twilio: field %q given %d times", k, len(form[k]))
		}
	}
	if form.Get("To") == "" || form.Get("Body") == "" {
		twilioError(w, 400, 21604, "A 'To' phone number is required.")
		return
	}
	if (form.Get("From") == "") == (form.Get("MessagingServiceSid") == "") {
		t.Errorf("twilio: want exactly one of From and MessagingServiceSid, got %v", form)
		twilioError(w, 400, 21603, "A 'From' phone number is required.")
		return
	}
	ft.mu.Lock()
	ft.forms = append(ft.forms, form)
	n, reply := len(ft.forms), ft.reply
	ft.mu.Unlock()
	if reply != nil {
		reply(w)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	fmt.Fprintf(w, `{"sid": "SM%032d", "status": "queued", "to": %q, "body": %q, "account_sid": %q}`,
		n, form.Get("To"), form.Get("Body"), testSID)
}

func (ft *fakeTwilio) got() []url.Values {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	return append([]url.Values(nil), ft.forms...)
}

func newTestTwilio(t *testing.T, cfg Twilio) *Twilio {
	t.Helper()
	tw, err := NewTwilio(cfg)
	if err != nil {
		t.Fatalf("NewTwilio: %v", err)
	}
	return tw
}

func TestTwilioSend(t *testing.T) {
	tests := []struct {
		name   string
		prefix string // path prefix of a compatible API
		cfg    Twilio
		want   url.Values
	}{
		{"From", "", Twilio{AccountSID: testSID, AuthToken: testToken, From: "+15005550006"},
			url.Values{"To": {testMsg.To}, "From": {"+15005550006"}, "Body": {testMsg.Text}}},
		{"MessagingServiceSid", "", Twilio{AccountSID: testSID, AuthToken: testToken, MessagingServiceSID: testMGSID},
			url.Values{"To": {testMsg.To}, "MessagingServiceSid": {testMGSID}, "Body": {testMsg.Text}}},
		{"alphanumeric sender, base path", "/api/laml", Twilio{AccountSID: testSID, AuthToken: testToken, From: "Lockstep"},
			url.Values{"To": {testMsg.To}, "From": {"Lockstep"}, "Body": {testMsg.Text}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ft := newFakeTwilio(t, tc.prefix)
			cfg := tc.cfg
			cfg.BaseURL = ft.srv.URL + tc.prefix + "/"
			tw := newTestTwilio(t, cfg)
			sid, err := tw.SendMessage(context.Background(), testMsg)
			if err != nil {
				t.Fatalf("SendMessage: %v", err)
			}
			if sid != "SM00000000000000000000000000000001" {
				t.Errorf("sid %q", sid)
			}
			if err := tw.Send(context.Background(), Message{To: "+12015550123", Text: "Code: 1 2 3 & more=ü"}); err != nil {
				t.Fatalf("Send: %v", err)
			}
			got := ft.got()
			if len(got) != 2 {
				t.Fatalf("server got %d messages; want 2", len(got))
			}
			if got[0].Encode() != tc.want.Encode() {
				t.Errorf("form %v; want %v", got[0], tc.want)
			}
			if got[1].Get("Body") != "Code: 1 2 3 & more=ü" || got[1].Get("To") != "+12015550123" {
				t.Errorf("second form %v: special characters not encoded", got[1])
			}
		})
	}
}

func TestTwilioErrors(t *testing.T) {
	tests := []struct {
		name    string
		reply   func(w http.ResponseWriter)
		token   string
		wantSub []string
		code    int
	}{
		{"invalid To", func(w http.ResponseWriter) {
			twilioError(w, 400, 21211, "Invalid 'To' Phone Number: "+testMsg.To)
		}, testToken, []string{"21211", "Invalid 'To' Phone Number", "HTTP 400", "+49 ••• ••• 89"}, 21211},
		{"wrong token", nil, "wrong-token", []string{"HTTP 401", "20003", "Authenticate"}, 20003},
		{"rate limited", func(w http.ResponseWriter) {
			twilioError(w, 429, 20429, "Too Many Requests")
		}, testToken, []string{"HTTP 429", "20429"}, 20429},
		{"non-JSON gateway error", func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusBadGateway)
			_, _ = io.WriteString(w, "<html>"+strings.Repeat("bad gateway ", 100)+"</html>")
		}, testToken, []string{"HTTP 502", "bad gateway", "…"}, 0},
		{"200 is fine too", func(w http.ResponseWriter) {
			_, _ = io.WriteString(w, `{"sid":"SMx"}`)
		}, testToken, nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ft := newFakeTwilio(t, "")
			ft.reply = tc.reply
			tw := newTestTwilio(t, Twilio{BaseURL: ft.srv.URL, AccountSID: testSID, AuthToken: tc.token, From: "+15005550006"})
			err := tw.Send(context.Background(), testMsg)
			if tc.wantSub == nil {
				if err != nil {
					t.Fatalf("Send: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Send succeeded")
			}
			if !errors.Is(err, ErrProvider) {
				t.Errorf("error %v does not wrap ErrProvider", err)
			}
			var te *TwilioError
			if !errors.As(err, &te) || te.Code != tc.code {
				t.Errorf("error %#v; want a *TwilioError with code %d", err, tc.code)
			}
			msg := err.Error()
			for _, s := range tc.wantSub {
				if !strings.Contains(msg, s) {
					t.Errorf("error %q does not contain %q", msg, s)
				}
			}
			for _, leak := range []string{testMsg.To, "493817", testToken} {
				if strings.Contains(msg, leak) {
					t.Errorf("error %q leaks %q", msg, leak)
				}
			}
			if len(msg) > 250 {
				t.Errorf("error is %d bytes long", len(msg))
			}
		})
	}
}

func TestTwilioTimeout(t *testing.T) {
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
	tw := newTestTwilio(t, Twilio{BaseURL: srv.URL, AccountSID: testSID, AuthToken: testToken, From: "+15005550006"})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := tw.Send(ctx, testMsg); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Send error %v; want context.DeadlineExceeded", err)
	}
}

func TestNewTwilio(t *testing.T) {
	ok := Twilio{AccountSID: testSID, AuthToken: testToken, From: "+15005550006"}
	with := func(f func(*Twilio)) Twilio { c := ok; f(&c); return c }
	tests := []struct {
		name string
		cfg  Twilio
		ok   bool
	}{
		{"minimal", ok, true},
		{"messaging service", with(func(c *Twilio) { c.From, c.MessagingServiceSID = "", testMGSID }), true},
		{"short code", with(func(c *Twilio) { c.From = "12345" }), true},
		{"alphanumeric sender", with(func(c *Twilio) { c.From = "Lockstep ID" }), true},
		{"loopback http", with(func(c *Twilio) { c.BaseURL = "http://127.0.0.1:8080" }), true},
		{"https compatible API with path", with(func(c *Twilio) { c.BaseURL = "https://example.signalwire.com/api/laml" }), true},
		{"plain http", with(func(c *Twilio) { c.BaseURL = "http://api.twilio.com" }), false},
		{"query in base URL", with(func(c *Twilio) { c.BaseURL = "https://api.example.com/?x=1" }), false},
		{"credentials in base URL", with(func(c *Twilio) { c.BaseURL = "https://u:p@api.example.com" }), false},
		{"no account", with(func(c *Twilio) { c.AccountSID = "" }), false},
		{"account with slash", with(func(c *Twilio) { c.AccountSID = "AC1/../x" }), false},
		{"no token", with(func(c *Twilio) { c.AuthToken = "" }), false},
		{"token with newline", with(func(c *Twilio) { c.AuthToken = "a\nb" }), false},
		{"no sender", with(func(c *Twilio) { c.From = "" }), false},
		{"both senders", with(func(c *Twilio) { c.MessagingServiceSID = testMGSID }), false},
		{"sender too long", with(func(c *Twilio) { c.From = "LockstepIdentity" }), false},
		{"sender national number", with(func(c *Twilio) { c.From = "0151 23456789" }), false},
		{"sender two digits", with(func(c *Twilio) { c.From = "12" }), false},
	}
	for _, tc := range tests {
		tw, err := NewTwilio(tc.cfg)
		if (err == nil) != tc.ok {
			t.Errorf("%s: NewTwilio error %v; want ok=%v", tc.name, err, tc.ok)
			continue
		}
		if err != nil {
			if strings.Contains(err.Error(), testToken) {
				t.Errorf("%s: error %q repeats the token", tc.name, err)
			}
			continue
		}
		if tw.Client == nil || tw.BaseURL == "" {
			t.Errorf("%s: defaults not filled: %+v", tc.name, tw)
		}
	}
	tw, _ := NewTwilio(ok)
	if tw.BaseURL != DefaultTwilioBaseURL {
		t.Errorf("BaseURL %q; want %q", tw.BaseURL, DefaultTwilioBaseURL)
	}
	if got := tw.endpoint(); got != "https://api.twilio.com/2010-04-01/Accounts/"+testSID+"/Messages.json" {
		t.Errorf("endpoint %q", got)
	}
	var _ Sender = tw
}
