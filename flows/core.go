package flows

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/lockstep-id/lockstep/flows/email"
	"github.com/lockstep-id/lockstep/flows/factor"
	"github.com/lockstep-id/lockstep/flows/sms"
	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/templates"
)

// Limits bound failed sign-in attempts within Window: passwords per account and per
// address, second-factor codes per user and per address.
type Limits struct {
	AccountFailures      int
	IPFailures           int
	SecondFactorFailures int
	SecondFactorIP       int
	Window               time.Duration
}

// Core is what every journey shares: the flow store and the state machine's
// moves, the SSO session and its cookies, the policy (Next), trust records,
// audit and notifications. The journeys (signin, enrol, consent, account) embed
// it and add their own pages.
type Core struct {
	Store Store
	// Clients reads clients, cached; the provider shares it.
	Clients interface {
		GetClient(ctx context.Context, id string) (storage.Client, error)
	}
	Pages           *templates.Renderer
	Cookies         *Cookies
	Now             func() time.Time
	Log             *slog.Logger
	Limits          Limits
	SessionLifetime time.Duration
	FlowLifetime    time.Duration
	// Prefix is the issuer's path, under which every page lives; ResumePath and
	// LogoutPath are the provider's endpoints (absolute paths) the pages lead to.
	Prefix     string
	ResumePath string
	LogoutPath string
	// Mail sends security notifications (nil: none).
	Mail email.Sender
	// SMS sends text-message codes (nil: no SMS factor); SMSCodes issues and checks them.
	SMS      sms.Sender
	SMSCodes *factor.Codes
	// EmailCodes issues the codes and links of new-device confirmation and of the
	// two-step verification reset; nil turns both off.
	EmailCodes *factor.Codes
	// DeviceCookies holds the long-lived device token of remembered and known browsers.
	DeviceCookies *Cookies
	// RememberDays offers "don't ask again on this device" for that many days (0: never).
	RememberDays int
	// TrustedIPs lets a user skip the second factor from an address where they
	// entered one (MFA-8).
	TrustedIPs bool
	// ConfirmNewDevices asks a user without a second factor to confirm a new
	// browser and address by email (MFA-9).
	ConfirmNewDevices bool
	// BaseURL is the issuer's scheme and host, for links in emails.
	BaseURL string
	// EnrolOnSpot lets a user who lacks a required second factor enrol one during
	// the sign-in; otherwise the client gets unmet_authentication_requirements.
	EnrolOnSpot bool
	// ProductName names the service in notifications (the pages take it from Pages).
	ProductName string
	// ClientIP is the caller's address as the trusted-proxy rules allow.
	ClientIP func(*http.Request) string
	// CompanyRules tell the policy what a user's organisation asks of them
	// (nil: no organisations).
	CompanyRules CompanyRules
	// Orgs reads a user's organisation for its brand (BrandFor; nil: the
	// server's brand for everyone).
	Orgs interface {
		GetOrganisation(ctx context.Context, id string) (storage.Organisation, error)
	}
	// pages are the step pages by state, from the journeys' routes (Mount).
	pages map[State]Route
}

// Page is the common part of every page's data, in the request's language.
func (s *Core) Page(ctx context.Context, title string) templates.Page {
	return s.Pages.Page(ctx, title)
}

// T translates a catalogue key into the request's language (for texts that
// are not pages: text messages, emails).
func (s *Core) T(ctx context.Context, id string, args ...any) string {
	return s.Pages.T(ctx, id, args...)
}

// N translates a catalogue key with plural forms for n ({{.Count}}) into the
// request's language.
func (s *Core) N(ctx context.Context, id string, n int, args ...any) string {
	return s.Pages.N(ctx, id, n, args...)
}

// Date formats a day for the request's language ("3 December 2026", "3 de diciembre de 2026").
func (s *Core) Date(ctx context.Context, t time.Time) string {
	return s.Pages.Date(ctx, t)
}

// DateTime formats a moment for the request's language ("3 December 2026, 14:05 UTC").
func (s *Core) DateTime(ctx context.Context, t time.Time) string {
	return s.Pages.Localizer(ctx).DateTime(t)
}

// Audit appends to the audit log (the request's buffer); a failure is logged.
func (s *Core) Audit(ctx context.Context, r *http.Request, typ, userID, clientID string, detail map[string]string) {
	err := AppendAudit(ctx, s.Store, storage.AuditEvent{
		ID: newID(), At: s.Now().UTC(), Type: typ, UserID: userID, ClientID: clientID,
		IP: s.ClientIP(r), Detail: detail,
	})
	if err != nil {
		s.Log.ErrorContext(ctx, "audit append failed", "type", typ, "error", err)
	}
}

// Render writes a page that must not be cached with status.
func (s *Core) Render(w http.ResponseWriter, status int, render func() error) error {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	return render()
}
