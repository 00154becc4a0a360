// Package app is Lockstep's composition root: it builds the store-backed login
// journeys (flows and its journey packages) and the provider (idp) from a
// validated configuration, and hands back the HTTP handler.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lockstep-id/lockstep/admin"
	"github.com/lockstep-id/lockstep/adminapi"
	"github.com/lockstep-id/lockstep/configs"
	"github.com/lockstep-id/lockstep/console"
	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/flows/account"
	"github.com/lockstep-id/lockstep/flows/consent"
	"github.com/lockstep-id/lockstep/flows/email"
	"github.com/lockstep-id/lockstep/flows/enrol"
	"github.com/lockstep-id/lockstep/flows/factor"
	"github.com/lockstep-id/lockstep/flows/password"
	"github.com/lockstep-id/lockstep/flows/profile"
	"github.com/lockstep-id/lockstep/flows/recover"
	"github.com/lockstep-id/lockstep/flows/signin"
	"github.com/lockstep-id/lockstep/flows/sms"
	"github.com/lockstep-id/lockstep/i18n"
	"github.com/lockstep-id/lockstep/idp"
	"github.com/lockstep-id/lockstep/orgs"
	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/templates"
)

// Server is a built Lockstep: the provider and its HTTP handler.
type Server struct {
	Provider *idp.Provider
	// Core is the login journeys' shared core; Recovery the recovery codes.
	Core     *flows.Core
	Recovery *factor.Recovery
	Keys     *idp.KeyManager
	Handler  http.Handler
	// Outbox holds the notifications when no SMTP server is configured.
	Outbox *email.Outbox
}

// deviceCookieMaxAge is the device cookie's lifetime: 400 days, the longest
// browsers keep a cookie. What it names on the server expires sooner.
const deviceCookieMaxAge = 400 * 24 * 60 * 60

// smsSender is the configured text-message sender, nil when SMS is off, with the
// outbox when it is one.
func smsSender(cfg configs.Config, log *slog.Logger) (sms.Sender, *sms.Outbox, error) {
	switch cfg.SMSSender() {
	case "outbox":
		o := sms.NewOutbox(100, log)
		return o, o, nil
	case "webhook":
		w, err := sms.NewWebhook(cfg.SMS.WebhookURL, []byte(cfg.SMS.WebhookSecret), nil)
		if err != nil {
			return nil, nil, fmt.Errorf("sms: %w", err)
		}
		return w, nil, nil
	case "twilio":
		tw := sms.Twilio{BaseURL: cfg.SMS.TwilioBaseURL, AccountSID: cfg.SMS.TwilioAccountSID, AuthToken: cfg.SMS.TwilioAuthToken}
		if strings.HasPrefix(cfg.SMS.TwilioFrom, "MG") { // a messaging service picks the sender
			tw.MessagingServiceSID = cfg.SMS.TwilioFrom
		} else {
			tw.From = cfg.SMS.TwilioFrom
		}
		t, err := sms.NewTwilio(tw)
		if err != nil {
			return nil, nil, fmt.Errorf("sms: %w", err)
		}
		return t, nil, nil
	}
	return nil, nil, nil
}

// MailSender is SMTP when configured, else an outbox that keeps and logs.
func MailSender(cfg configs.EmailConfig, log *slog.Logger) (email.Sender, *email.Outbox, error) {
	if cfg.SMTPHost == "" {
		o := email.NewOutbox(email.DefaultOutboxSize, log)
		return o, o, nil
	}
	s, err := email.NewSMTP(email.SMTPConfig{
		Host: cfg.SMTPHost, Port: cfg.SMTPPort, Username: cfg.SMTPUsername, Password: cfg.SMTPPassword,
		From: cfg.From, TLS: cfg.TLS, InsecureAllowPlaintext: cfg.AllowPlaintext,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("email: %w", err)
	}
	return s, nil, nil
}

// PasswordHasher builds the argon2id hasher the configuration asks for.
func PasswordHasher(c configs.PasswordConfig) *password.Hasher {
	p := password.DefaultParams()
	p.MemoryKiB, p.Iterations, p.Parallelism = c.MemoryKiB, c.Iterations, c.Parallelism
	return password.NewHasher(p, c.MaxConcurrent)
}

// Brand reads the configuration's branding (the logo file is read once, here).
func Brand(c configs.BrandingConfig) (templates.Brand, error) {
	b := templates.Brand{ProductName: c.ProductName, AccentColor: c.AccentColor, SupportContact: c.SupportContact}
	if c.Logo != "" {
		logo, err := os.ReadFile(c.Logo)
		if err != nil {
			return b, fmt.Errorf("branding.logo: %w", err)
		}
		b.Logo, b.LogoType = logo, configs.LogoTypes[strings.ToLower(filepath.Ext(c.Logo))]
	}
	return b, nil
}

// Pages builds the hosted pages and emails of the configuration: its
// languages, its branding, its issuer's language switcher and links.
func Pages(cfg configs.Config) (*templates.Renderer, templates.Brand, error) {
	brand, err := Brand(cfg.Branding)
	if err != nil {
		return nil, brand, err
	}
	cat, err := i18n.Load(cfg.I18n.DefaultLanguage)
	if err != nil {
		return nil, brand, err
	}
	iss, err := url.Parse(cfg.Issuer)
	if err != nil {
		return nil, brand, fmt.Errorf("issuer: %w", err)
	}
	pages, err := templates.NewWith(cat, templates.Options{Brand: brand, Dev: cfg.Dev,
		LanguagePath: strings.TrimSuffix(iss.Path, "/") + idp.PathLanguage, BaseURL: iss.Scheme + "://" + iss.Host})
	if err != nil {
		return nil, brand, fmt.Errorf("templates: %w", err)
	}
	return pages, brand, nil
}

// productName is the name pages, emails and authenticator apps show.
func productName(b templates.Brand) string {
	if b.ProductName == "" {
		return templates.DefaultProductName
	}
	return b.ProductName
}

// Build wires a Lockstep server from a validated configuration and an open store.
// It creates signing keys on first start.
//
// tweaks adjust the provider options before composition (dev mode uses it for the
// home page's hints).
func Build(ctx context.Context, cfg configs.Config, store storage.Storage, log *slog.Logger, now func() time.Time, tweaks ...func(*idp.Options)) (*Server, error) {
	pages, brand, err := Pages(cfg)
	if err != nil {
		return nil, err
	}
	keys, err := idp.NewKeyManager(store, idp.DeriveKey(cfg.Secret, "key-encryption", 32), cfg.Tokens.KeyRetention, now)
	if err != nil {
		return nil, err
	}
	if err := keys.Init(ctx); err != nil {
		return nil, fmt.Errorf("signing keys: %w", err)
	}
	var proxies []netip.Prefix
	for _, c := range cfg.TrustedProxies {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: %w", c, err)
		}
		proxies = append(proxies, p)
	}
	iss, err := url.Parse(cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("issuer: %w", err)
	}
	cookiePath := iss.Path
	if cookiePath == "" {
		cookiePath = "/"
	}
	prefix := strings.TrimSuffix(iss.Path, "/")
	errorPages := &flows.ErrorPages{Pages: pages, Log: log, RequestID: idp.RequestID}
	mail, outbox, err := MailSender(cfg.Email, log)
	if err != nil {
		return nil, err
	}
	mail = email.WithHTML(mail, pages.EmailHTML) // every email also in HTML, branded, in the reader's language
	if outbox != nil && !cfg.Dev {
		log.Warn("no email.smtp_host: security notifications are only logged, not delivered")
	}
	// WebAuthn needs a domain as its relying-party id; an issuer on a bare IP address
	// (allowed for local testing) runs without security keys.
	var webAuthn *factor.WebAuthn
	if net.ParseIP(iss.Hostname()) == nil {
		if webAuthn, err = factor.NewWebAuthn(iss.Hostname(), productName(brand), []string{iss.Scheme + "://" + iss.Host}, store, now); err != nil {
			return nil, fmt.Errorf("webauthn: %w", err)
		}
	} else {
		log.Warn("the issuer's host is an IP address: security keys and passkeys are off", "issuer", cfg.Issuer)
	}
	smsSender, smsOutbox, err := smsSender(cfg, log)
	if err != nil {
		return nil, err
	}
	clients := idp.NewClientCache(store, now)
	sealer, err := factor.NewAEADSealer(idp.DeriveKey(cfg.Secret, "totp-secrets", 32))
	if err != nil {
		return nil, err
	}
	core := &flows.Core{
		Store:   store,
		Clients: clients,
		Pages:   pages,
		Cookies: flows.NewCookies(cfg.Session.CookieName, idp.DeriveKey(cfg.Secret, "cookie-hash", 64),
			idp.DeriveKey(cfg.Secret, "cookie-block", 32), cookiePath, iss.Scheme == "https", int(cfg.Session.Lifetime.Seconds())),
		Now: now,
		Log: log,
		Limits: flows.Limits{
			AccountFailures: cfg.Throttle.AccountFailures, IPFailures: cfg.Throttle.IPFailures,
			SecondFactorFailures: cfg.MFA.CodeFailures, SecondFactorIP: cfg.MFA.CodeIPFailures,
			Window: cfg.Throttle.Window,
		},
		EnrolOnSpot:     cfg.MFA.EnrolOnSpot(),
		Mail:            mail,
		SessionLifetime: cfg.Session.Lifetime,
		FlowLifetime:    cfg.Session.FlowLifetime,
		Prefix:          prefix,
		ResumePath:      prefix + idp.PathResume,
		LogoutPath:      prefix + idp.PathEndSession,
		ProductName:     productName(brand),
		ClientIP:        idp.ClientIP(proxies),
		DeviceCookies: flows.NewCookies(cfg.Session.CookieName+"_device", idp.DeriveKey(cfg.Secret, "device-cookie-hash", 64),
			idp.DeriveKey(cfg.Secret, "device-cookie-block", 32), cookiePath, iss.Scheme == "https", deviceCookieMaxAge),
		RememberDays:      cfg.MFA.RememberDays(),
		TrustedIPs:        cfg.MFA.TrustedIPs,
		ConfirmNewDevices: cfg.MFA.ConfirmNewDevices,
		BaseURL:           iss.Scheme + "://" + iss.Host,
	}
	if smsSender != nil {
		core.SMS = smsSender
		core.SMSCodes = &factor.Codes{
			Store: store, Channel: "sms", Key: idp.DeriveKey(cfg.Secret, "sms-codes", 32),
			TTL: cfg.SMS.CodeLifetime, Cooldown: cfg.SMS.ResendCooldown, MaxAttempts: cfg.SMS.MaxAttempts,
			DailyPerUser: cfg.SMS.DailyPerUser, DailyPerDestination: cfg.SMS.DailyPerNumber, Now: now,
		}
	}
	// Codes and links by email need a mailbox that receives them: SMTP, or the
	// outbox page of dev mode.
	if outbox == nil || cfg.Dev {
		core.EmailCodes = &factor.Codes{
			Store: store, Channel: "email", Key: idp.DeriveKey(cfg.Secret, "email-codes", 32),
			TTL: 30 * time.Minute, Cooldown: 30 * time.Second, MaxAttempts: 5,
			DailyPerUser: 10, DailyPerDestination: 10, Now: now,
		}
	}
	core.CompanyRules = orgs.Rules{Store: store, Now: now}
	core.Orgs = store
	hasher := PasswordHasher(cfg.Password)
	totp := &factor.TOTP{Store: store, Sealer: sealer, Issuer: productName(brand), Now: now}
	recovery := &factor.Recovery{Store: store, Key: idp.DeriveKey(cfg.Secret, "recovery-codes", 32), Now: now}
	codesSealer, err := factor.NewAEADSealer(idp.DeriveKey(cfg.Secret, "setup-recovery-codes", 32))
	if err != nil {
		return nil, err
	}
	setup := &enrol.Handlers{Core: core, Store: store, TOTP: totp, Recovery: recovery, Sealer: codesSealer}
	agree := &consent.Handlers{Core: core, Store: store}
	adminPages, err := templates.NewAdmin()
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	adminSvc := &admin.Service{Store: store, Secrets: idp.ClientSecretHasher(cfg.Secret), Passwords: hasher, Removal: core, Now: now}
	var routes []flows.Route
	for _, j := range []interface{ Routes() []flows.Route }{
		&signin.Handlers{Core: core, Store: store, Hasher: hasher, TOTP: totp, Recovery: recovery, WebAuthn: webAuthn},
		setup,
		agree,
		&account.Handlers{Core: core, Store: store, Hasher: hasher, TOTP: totp, Recovery: recovery, WebAuthn: webAuthn, Enrol: setup},
		&profile.Handlers{Core: core, Store: store},
		&recover.Handlers{Core: core, Store: store, Hasher: hasher},
		&console.Handlers{Core: core, Service: adminSvc, Roles: store, Console: adminPages, MinACR: cfg.Admin.MinACR},
	} {
		routes = append(routes, core.Mount(j.Routes())...)
	}
	api := &adminapi.API{Service: adminSvc, Sessions: core, Roles: store, MinACR: cfg.Admin.MinACR,
		Notify: core.Notify, Log: log, Base: prefix + adminapi.Path}
	opt := idp.Options{
		Issuer:  cfg.Issuer,
		Store:   store,
		Clients: clients,
		Flows:   core,
		Consent: agree,
		Routes:  routes,
		Mounts: []idp.Mount{{Prefix: adminapi.Path, Build: func(p *idp.Provider) http.Handler {
			api.Tokens = p
			return api.Handler()
		}}},
		ErrorPages:            errorPages,
		Outbox:                outbox,
		SMSOutbox:             smsOutbox,
		Keys:                  keys,
		Pages:                 pages,
		Log:                   log,
		Now:                   now,
		TokenKey:              idp.DeriveKey(cfg.Secret, "token-hmac", 32),
		ClientSecrets:         idp.ClientSecretHasher(cfg.Secret),
		SigningAlgorithm:      cfg.Tokens.SigningAlgorithm,
		AccessTokenLifespan:   cfg.Tokens.AccessTokenLifespan,
		RefreshTokenLifespan:  cfg.Tokens.RefreshTokenLifespan,
		IDTokenLifespan:       cfg.Tokens.IDTokenLifespan,
		AuthorizeCodeLifespan: cfg.Tokens.AuthorizeCodeLifespan,
		Dev:                   cfg.Dev,
	}
	for _, t := range tweaks {
		t(&opt)
	}
	p, err := idp.New(opt)
	if err != nil {
		return nil, err
	}
	return &Server{Provider: p, Core: core, Recovery: recovery, Keys: keys, Handler: p.Handler(), Outbox: outbox}, nil
}
