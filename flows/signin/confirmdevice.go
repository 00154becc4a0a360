package signin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/flows/email"
	"github.com/lockstep-id/lockstep/flows/factor"
	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/templates"
)

// New-device confirmation (MFA-9): a user without a second factor who signs in
// from a browser and an address never confirmed before gets an email with a code
// and a link, and the sign-in waits in FlowConfirmDevice until one of them is used.
// The code is bound to the flow (its key holds the flow id), works once, for
// EmailCodes.TTL, and dies after a few wrong tries. The link carries the flow id and
// the same code, so it is no easier to guess than the form; it may be opened in
// another browser (a phone's mail app): then it marks the flow confirmed
// (FlowDeviceConfirmed) and the waiting browser goes on when the user returns.

const (
	msgDeviceWait    = "device.wait"
	msgDeviceCap     = "device.cap"
	msgDeviceNotSent = "device.not_sent"
	msgDeviceWrong   = "device.wrong"
	msgDeviceExpired = "device.expired"
	msgDeviceUsed    = "device.used"
	msgDeviceTries   = "device.tries"
	msgDeviceShape   = "device.shape"
)

func deviceKey(f flows.Flow) string { return "device:flow:" + f.ID }

// startDeviceConfirmation holds the flow until the browser is confirmed by email.
func (s *Handlers) startDeviceConfirmation(ctx context.Context, w http.ResponseWriter, r *http.Request, f flows.Flow) (flows.Result, error) {
	if err := f.MoveTo(flows.StateConfirmDevice); err != nil {
		return flows.Result{}, err
	}
	if err := s.Advance(ctx, &f); err != nil {
		return flows.Result{}, err
	}
	s.Audit(ctx, r, "device.unknown", f.UserID, f.ClientID, map[string]string{"browser": flows.BrowserLabel(r.UserAgent())})
	refusal, err := s.sendDeviceEmail(ctx, r, f)
	if err != nil {
		return flows.Result{}, err
	}
	if refusal != "" {
		p, err := s.confirmDevicePage(ctx, f)
		if err != nil {
			return flows.Result{}, err
		}
		p.Error = refusal
		return flows.Result{}, s.Render(w, http.StatusTooManyRequests, func() error { return s.Pages.ConfirmDevice(w, p) })
	}
	return flows.RedirectTo(s.StepURL(f)), nil
}

// sendDeviceEmail emails a new code and link for the flow. It returns what to tell
// the user when nothing was sent ("" when it was).
func (s *Handlers) sendDeviceEmail(ctx context.Context, r *http.Request, f flows.Flow) (string, error) {
	user, err := s.Store.GetUser(ctx, f.UserID)
	if err != nil {
		return "", fmt.Errorf("load user: %w", err)
	}
	code, err := s.EmailCodes.Issue(ctx, deviceKey(f), f.UserID, user.Email)
	switch {
	case errors.Is(err, factor.ErrResendTooSoon):
		return msgDeviceWait, nil
	case errors.Is(err, factor.ErrDailyCap):
		return msgDeviceCap, nil
	case err != nil:
		return "", err
	}
	link := s.BaseURL + s.Path(PathConfirmDeviceLink) + "?" + url.Values{"flow": {f.ID}, "code": {code}}.Encode()
	ctx = s.BrandFor(ctx, user) // the email is the user's, in their organisation's brand
	text := s.T(ctx, "mail.new_device.text", "Product", s.Product(ctx), "Browser", s.BrowserName(ctx, r.UserAgent()),
		"Address", s.ClientIP(r), "Code", code, "Link", link, "Minutes", int(s.EmailCodes.TTL.Minutes()))
	if err := s.Mail.Send(ctx, email.Message{To: user.Email, Subject: s.T(ctx, "mail.new_device.subject"), Text: text}); err != nil {
		s.Log.ErrorContext(ctx, "confirmation email not sent", "user_id", f.UserID, "error", err)
		return msgDeviceNotSent, nil
	}
	s.Audit(ctx, r, "device.confirmation_sent", f.UserID, f.ClientID, nil)
	return "", nil
}

func (s *Handlers) confirmDevicePage(ctx context.Context, f flows.Flow) (templates.ConfirmDevicePage, error) {
	p := templates.ConfirmDevicePage{
		Page: s.Page(ctx, "login.reverify_heading"), Action: s.Path(PathConfirmDevice), FlowID: f.ID,
		ClientName: s.ClientName(ctx, f.ClientID), ResendAction: s.Path(PathConfirmDeviceResend),
	}
	st, err := s.EmailCodes.Status(ctx, deviceKey(f))
	if err != nil {
		return p, err
	}
	p.EmailMasked, p.ResendWait = maskEmail(st.Sent.Destination), flows.WaitSeconds(st.Wait)
	return p, nil
}

// ConfirmDevicePage asks for the emailed code; a flow confirmed by the link in
// another browser goes on from here.
func (s *Handlers) ConfirmDevicePage(w http.ResponseWriter, r *http.Request) (flows.Result, error) {
	ctx := r.Context()
	f, err := s.LoadFlow(ctx, r, r.URL.Query().Get("flow"))
	if err != nil {
		return flows.Result{}, err
	}
	switch f.Current() {
	case flows.StateDeviceConfirmed:
		return s.deviceConfirmed(ctx, w, r, f)
	case flows.StateConfirmDevice:
	default:
		return flows.RedirectTo(s.StepURL(f)), nil
	}
	p, err := s.confirmDevicePage(ctx, f)
	if err != nil {
		return flows.Result{}, err
	}
	if r.URL.Query().Get("notice") == "sent" {
		p.Notice = "device.sent_again"
	}
	return flows.Result{}, s.Render(w, http.StatusOK, func() error { return s.Pages.ConfirmDevice(w, p) })
}

// deviceConfirmed remembers this browser and address for the user and goes on.
func (s *Handlers) deviceConfirmed(ctx context.Context, w http.ResponseWriter, r *http.Request, f flows.Flow) (flows.Result, error) {
	if err := s.RememberKnownBrowser(ctx, w, r, f.UserID); err != nil {
		return flows.Result{}, err
	}
	s.Audit(ctx, r, "device.confirmed", f.UserID, f.ClientID, nil)
	s.Notify(r, f.UserID, "device.new")
	return s.Proceed(ctx, w, r, f, nil)
}

// ConfirmDeviceSubmit checks the emailed code.
func (s *Handlers) ConfirmDeviceSubmit(w http.ResponseWriter, r *http.Request) (flows.Result, error) {
	ctx := r.Context()
	f, res, ok, err := s.FlowAt(r, flows.StateConfirmDevice)
	if !ok {
		return res, err
	}
	if _, err := s.EmailCodes.Check(ctx, deviceKey(f), f.UserID, r.PostForm.Get("code")); err != nil {
		msg := deviceCodeMessage(err)
		if msg == "" {
			return flows.Result{}, err
		}
		s.Audit(ctx, r, "device.confirmation_failed", f.UserID, f.ClientID, map[string]string{"reason": err.Error()})
		p, perr := s.confirmDevicePage(ctx, f)
		if perr != nil {
			return flows.Result{}, perr
		}
		p.Error = msg
		return flows.Result{}, s.Render(w, http.StatusUnauthorized, func() error { return s.Pages.ConfirmDevice(w, p) })
	}
	return s.deviceConfirmed(ctx, w, r, f)
}

// ConfirmDeviceResend emails a new code.
func (s *Handlers) ConfirmDeviceResend(w http.ResponseWriter, r *http.Request) (flows.Result, error) {
	ctx := r.Context()
	f, res, ok, err := s.FlowAt(r, flows.StateConfirmDevice)
	if !ok {
		return res, err
	}
	refusal, err := s.sendDeviceEmail(ctx, r, f)
	if err != nil {
		return flows.Result{}, err
	}
	if refusal == "" {
		return flows.RedirectTo(s.Path(PathConfirmDevice) + "?flow=" + url.QueryEscape(f.ID) + "&notice=sent"), nil
	}
	p, err := s.confirmDevicePage(ctx, f)
	if err != nil {
		return flows.Result{}, err
	}
	p.Error = refusal
	return flows.Result{}, s.Render(w, http.StatusTooManyRequests, func() error { return s.Pages.ConfirmDevice(w, p) })
}

var errDeviceLinkGone = flows.UserError(http.StatusBadRequest, "msg.link_gone_heading",
	"device.link_gone", nil)

// ConfirmDeviceLinkPage shows the emailed link's "Yes, it's me" button, which
// posts the link's flow and code. Opening the link changes nothing, so mail
// scanners that fetch links cannot use it up.
func (s *Handlers) ConfirmDeviceLinkPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p := templates.MessagePage{
		Page: s.Page(r.Context(), "device.link_title"), Heading: "device.link_heading", Kind: templates.MessageInfo,
		Message:    "device.link_message",
		PostAction: s.Path(PathConfirmDeviceLink), Hidden: map[string]string{"flow": q.Get("flow"), "code": q.Get("code")},
		LinkLabel: "device.link_yes",
	}
	return s.Render(w, http.StatusOK, func() error { return s.Pages.Message(w, p) })
}

// ConfirmDeviceLinkSubmit is the link page's button. It uses the emailed code for
// the flow: in the browser that signs in, the sign-in goes on; elsewhere the flow
// is marked confirmed.
func (s *Handlers) ConfirmDeviceLinkSubmit(w http.ResponseWriter, r *http.Request) (flows.Result, error) {
	if err := flows.ParseForm(r); err != nil {
		return flows.Result{}, err
	}
	ctx := r.Context()
	rec, err := s.Store.GetFlow(ctx, r.PostForm.Get("flow"))
	f := flows.Flow{Flow: rec}
	if errors.Is(err, storage.ErrNotFound) || (err == nil && (!f.Is(flows.StateConfirmDevice) || !s.Now().Before(f.ExpiresAt))) {
		return flows.Result{}, errDeviceLinkGone
	}
	if err != nil {
		return flows.Result{}, fmt.Errorf("load flow: %w", err)
	}
	if _, err := s.EmailCodes.Check(ctx, deviceKey(f), f.UserID, r.PostForm.Get("code")); err != nil {
		if deviceCodeMessage(err) == "" {
			return flows.Result{}, err
		}
		s.Audit(ctx, r, "device.confirmation_failed", f.UserID, f.ClientID, map[string]string{"reason": err.Error(), "via": "link"})
		return flows.Result{}, errDeviceLinkGone
	}
	if bid := s.Cookies.BrowserID(r); bid != "" && flows.HashToken(bid) == f.BrowserHash {
		return s.deviceConfirmed(ctx, w, r, f)
	}
	if err := f.MoveTo(flows.StateDeviceConfirmed); err != nil {
		return flows.Result{}, err
	}
	if err := s.Advance(ctx, &f); err != nil {
		return flows.Result{}, err
	}
	s.Audit(ctx, r, "device.confirmed_elsewhere", f.UserID, f.ClientID, nil)
	p := templates.MessagePage{
		Page: s.Page(ctx, "device.confirmed_heading"), Heading: "device.confirmed_heading", Kind: templates.MessageSuccess,
		Message: "device.confirmed_message",
	}
	return flows.Result{}, s.Render(w, http.StatusOK, func() error { return s.Pages.Message(w, p) })
}

var emailCodeMessages = flows.SentCodeMessages{Wrong: msgDeviceWrong, Expired: msgDeviceExpired, Used: msgDeviceUsed,
	Tries: msgDeviceTries, Malformed: msgDeviceShape}

// deviceCodeMessage is what the user reads for a refused emailed code ("" for a fault).
func deviceCodeMessage(err error) string { return emailCodeMessages.Of(err) }

// maskEmail shows enough of an address for its owner to recognise it: "j•••@example.com".
func maskEmail(addr string) string {
	local, domain, ok := strings.Cut(addr, "@")
	if !ok || local == "" {
		return "your email address"
	}
	return string([]rune(local)[0]) + "•••@" + domain
}
