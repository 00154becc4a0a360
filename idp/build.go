package idp

import (
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/lockstep-id/lockstep/configs"
	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/flows/email"
	"github.com/lockstep-id/lockstep/flows/factor"
	"github.com/lockstep-id/lockstep/flows/password"
	"github.com/lockstep-id/lockstep/flows/sms"
	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/templates"
)

// Server is a built Lockstep: the provider and its HTTP handler.
type Server struct {
	Provider *Provider
	Flows    *flows.Service
	Keys     *KeyManager
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

// mailSender is SMTP when configured, else an outbox that keeps and logs.
func mailSender(cfg configs.EmailConfig, log *slog.Logger) (email.Sender, *email.Outbox, error) {
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

// DeriveKey derives a purpose-bound key from the configured secret, so one secret
// yields independent keys for cookies, key encryption, tokens and client secrets.
func DeriveKey(secret, purpose string, n int) []byte {
	k, err := hkdf.Key(sha256.New, []byte(secret), nil, "lockstep "+purpose, n)
	if err != nil {
		panic(err) // only for n beyond 255*32 bytes
	}
	return k
}

// ClientSecretHasher is the hasher client secrets are stored with.
func ClientSecretHasher(secret string) SecretHasher {
	return SecretHasher{Key: DeriveKey(secret, "client-secret", 32)}
}

// PasswordHasher builds the argon2id hasher the configuration asks for.
func PasswordHasher(c configs.PasswordConfig) *password.Hasher {
	p := password.DefaultParams()
	p.MemoryKiB, p.Iterations, p.Parallelism = c.MemoryKiB, c.Iterations, c.Parallelism
	return password.NewHasher(p, c.MaxConcurrent)
}

// Build wires a Lockstep server from a validated configuration and an open store.
// It creates signing keys on first start.
//
// tweaks adjust the provider options before composition (dev mode uses it for the
// home page's hints).
func Build(ctx context.Context, cfg configs.Config, store storage.Storage, log *slog.Logger, now func() time.Time, tweaks ...func(*Options)) (*Server, error) {
	pages, err := templates.New()
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	keys, err := NewKeyManager(store, DeriveKey(cfg.Secret, "key-encryption", 32), cfg.Tokens.KeyRetention, now)
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
	errorPages := &flows.ErrorPages{Pages: pages, Log: log, Dev: cfg.Dev, RequestID: RequestID, ProductName: "Lockstep"}
	mail, outbox, err := mailSender(cfg.Email, log)
	if err != nil {
		return nil, err
	}
	if outbox != nil && !cfg.Dev {
		log.Warn("no email.smtp_host: security notifications are only logged, not delivered")
	}
	// WebAuthn needs a domain as its relying-party id; an issuer on a bare IP address
	// (allowed for local testing) runs without security keys.
	var webAuthn *factor.WebAuthn
	if net.ParseIP(iss.Hostname()) == nil {
		if webAuthn, err = factor.NewWebAuthn(iss.Hostname(), "Lockstep", []string{iss.Scheme + "://" + iss.Host}, store, now); err != nil {
			return nil, fmt.Errorf("webauthn: %w", err)
		}
	} else {
		log.Warn("the issuer's host is an IP address: security keys and passkeys are off", "issuer", cfg.Issuer)
	}
	smsSender, smsOutbox, err := smsSender(cfg, log)
	if err != nil {
		return nil, err
	}
	clients := NewClientCache(store, now)
	sealer, err := factor.NewAEADSealer(DeriveKey(cfg.Secret, "totp-secrets", 32))
	if err != nil {
		return nil, err
	}
	fl := &flows.Service{
		Store:   store,
		Clients: clients,
		Pages:   pages,
		Errors:  errorPages,
		Hasher:  PasswordHasher(cfg.Password),
		Cookies: flows.NewCookies(cfg.Session.CookieName, DeriveKey(cfg.Secret, "cookie-hash", 64),
			DeriveKey(cfg.Secret, "cookie-block", 32), cookiePath, iss.Scheme == "https", int(cfg.Session.Lifetime.Seconds())),
		Now: now,
		Log: log,
		Limits: flows.Limits{
			AccountFailures: cfg.Throttle.AccountFailures, IPFailures: cfg.Throttle.IPFailures,
			SecondFactorFailures: cfg.MFA.CodeFailures, SecondFactorIP: cfg.MFA.CodeIPFailures,
			Window: cfg.Throttle.Window,
		},
		TOTP:            &factor.TOTP{Store: store, Sealer: sealer, Issuer: "Lockstep", Now: now},
		Recovery:        &factor.Recovery{Store: store, Key: DeriveKey(cfg.Secret, "recovery-codes", 32), Now: now},
		EnrolOnSpot:     cfg.MFA.EnrolOnSpot(),
		Mail:            mail,
		WebAuthn:        webAuthn,
		SessionLifetime: cfg.Session.Lifetime,
		FlowLifetime:    cfg.Session.FlowLifetime,
		Paths:           FlowPaths(cfg.Issuer),
		ProductName:     "Lockstep",
		Dev:             cfg.Dev,
		ClientIP:        ClientIP(proxies),
		DeviceCookies: flows.NewCookies(cfg.Session.CookieName+"_device", DeriveKey(cfg.Secret, "device-cookie-hash", 64),
			DeriveKey(cfg.Secret, "device-cookie-block", 32), cookiePath, iss.Scheme == "https", deviceCookieMaxAge),
		RememberDays:      cfg.MFA.RememberDays(),
		TrustedIPs:        cfg.MFA.TrustedIPs,
		ConfirmNewDevices: cfg.MFA.ConfirmNewDevices,
		BaseURL:           iss.Scheme + "://" + iss.Host,
	}
	if smsSender != nil {
		fl.SMS = smsSender
		fl.SMSCodes = &factor.Codes{
			Store: store, Channel: "sms", Key: DeriveKey(cfg.Secret, "sms-codes", 32),
			TTL: cfg.SMS.CodeLifetime, Cooldown: cfg.SMS.ResendCooldown, MaxAttempts: cfg.SMS.MaxAttempts,
			DailyPerUser: cfg.SMS.DailyPerUser, DailyPerDestination: cfg.SMS.DailyPerNumber, Now: now,
		}
	}
	// Codes and links by email need a mailbox that receives them: SMTP, or the
	// outbox page of dev mode.
	if outbox == nil || cfg.Dev {
		fl.EmailCodes = &factor.Codes{
			Store: store, Channel: "email", Key: DeriveKey(cfg.Secret, "email-codes", 32),
			TTL: 30 * time.Minute, Cooldown: 30 * time.Second, MaxAttempts: 5,
			DailyPerUser: 10, DailyPerDestination: 10, Now: now,
		}
	}
	opt := Options{
		Issuer:                cfg.Issuer,
		Store:                 store,
		Clients:               clients,
		Flows:                 fl,
		Keys:                  keys,
		Pages:                 pages,
		Log:                   log,
		Now:                   now,
		TokenKey:              DeriveKey(cfg.Secret, "token-hmac", 32),
		ClientSecrets:         ClientSecretHasher(cfg.Secret),
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
	p, err := New(opt)
	if err != nil {
		return nil, err
	}
	p.outbox, p.smsOutbox = outbox, smsOutbox
	return &Server{Provider: p, Flows: fl, Keys: keys, Handler: p.Handler(errorPages), Outbox: outbox}, nil
}
