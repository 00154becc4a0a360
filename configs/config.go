package configs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// MinSecretLen is the minimum length, in characters, of Config.Secret. The secret
// is the root of every derived key, so it needs at least 32 characters of entropy.
const MinSecretLen = 32

// Config is Lockstep's whole configuration. A zero field in the YAML file or the
// environment means "use the default".
type Config struct {
	// Issuer is the OIDC issuer URL (env LOCKSTEP_ISSUER).
	Issuer string `yaml:"issuer"`
	// Listen is the host:port the HTTP server binds (env LOCKSTEP_LISTEN).
	Listen string `yaml:"listen"`
	// DSN selects the store: "" or "memory" for the in-memory store, else a
	// postgres:// URL (env LOCKSTEP_DSN).
	DSN string `yaml:"dsn"`
	// Secret derives the cookie keys, the key-encryption key and the
	// client-secret hashing key (env LOCKSTEP_SECRET). Format, LogValue and
	// MarshalJSON leave it out.
	Secret string `yaml:"secret"`
	// Dev enables dev mode (env LOCKSTEP_DEV): http issuers and a generated
	// secret are accepted.
	Dev bool `yaml:"dev"`
	// LogLevel is debug, info, warn or error (env LOCKSTEP_LOG_LEVEL).
	LogLevel string `yaml:"log_level"`
	// LogFormat is json or text (env LOCKSTEP_LOG_FORMAT); text by default in dev mode.
	LogFormat string `yaml:"log_format"`
	// TrustedProxies are the CIDRs whose X-Forwarded-For is believed.
	TrustedProxies []string       `yaml:"trusted_proxies"`
	Password       PasswordConfig `yaml:"password"`
	Tokens         TokenConfig    `yaml:"tokens"`
	Session        SessionConfig  `yaml:"session"`
	Throttle       ThrottleConfig `yaml:"throttle"`
	MFA            MFAConfig      `yaml:"mfa"`
	Email          EmailConfig    `yaml:"email"`
	SMS            SMSConfig      `yaml:"sms"`
	Admin          AdminConfig    `yaml:"admin"`
	I18n           I18nConfig     `yaml:"i18n"`
	Branding       BrandingConfig `yaml:"branding"`
}

// I18nConfig chooses the language when neither the sign-in (ui_locales), the
// language switcher's cookie nor the browser (Accept-Language) decides.
type I18nConfig struct {
	// DefaultLanguage is one of the shipped languages: en (default), es, nl or nb.
	DefaultLanguage string `yaml:"default_language"`
}

// BrandingConfig is the name, logo, colour and support contact the hosted
// pages, the emails and the authenticator-app label show.
type BrandingConfig struct {
	// ProductName replaces "Lockstep" on the pages, in emails and as the
	// authenticator-app issuer label.
	ProductName string `yaml:"product_name"`
	// Logo is an SVG, PNG, JPEG or WebP file Lockstep serves at /static/brand/logo
	// (same origin, so the strict Content-Security-Policy holds). Empty: the
	// built-in mark.
	Logo string `yaml:"logo"`
	// AccentColor (#rrggbb) colours buttons and links, through /static/brand.css.
	AccentColor string `yaml:"accent_color"`
	// SupportContact (an email address or a URL) is shown on the error and reset pages.
	SupportContact string `yaml:"support_contact"`
}

// ShippedLanguages are the languages i18n.default_language accepts.
var ShippedLanguages = []string{"en", "es", "nl", "nb"}

// LogoTypes are the logo files branding.logo accepts, by extension.
var LogoTypes = map[string]string{".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp"}

// AdminConfig is the admin console's and API's sign-in requirement.
type AdminConfig struct {
	// MinACR is the lowest acr an administrator's session must reach:
	// urn:lockstep:acr:mfa (default) or urn:lockstep:acr:phr.
	MinACR string `yaml:"min_acr"`
}

// AdminACRs are the levels admin.min_acr accepts.
var AdminACRs = []string{"urn:lockstep:acr:mfa", "urn:lockstep:acr:phr"}

// SMSConfig says how text-message codes are sent (MFA-4, MFA-5).
type SMSConfig struct {
	// Sender is outbox (keep and log, dev mode only), webhook or twilio. Empty: the
	// outbox in dev mode; otherwise no SMS second factor is offered.
	Sender string `yaml:"sender"`
	// WebhookURL receives POSTed JSON signed with WebhookSecret (env
	// LOCKSTEP_SMS_WEBHOOK_SECRET, at least 32 characters).
	WebhookURL    string `yaml:"webhook_url"`
	WebhookSecret string `yaml:"webhook_secret"`
	// Twilio-compatible REST API: account SID, auth token (env
	// LOCKSTEP_TWILIO_AUTH_TOKEN), sender number or messaging service, and an
	// optional base URL for compatible providers.
	TwilioAccountSID string `yaml:"twilio_account_sid"`
	TwilioAuthToken  string `yaml:"twilio_auth_token"`
	TwilioFrom       string `yaml:"twilio_from"`
	TwilioBaseURL    string `yaml:"twilio_base_url"`
	// CodeLifetime (default 5m), ResendCooldown (default 30s), MaxAttempts per
	// code (default 5), and daily caps per user and per number (default 10 each).
	CodeLifetime   time.Duration `yaml:"code_lifetime"`
	ResendCooldown time.Duration `yaml:"resend_cooldown"`
	MaxAttempts    int           `yaml:"max_attempts"`
	DailyPerUser   int           `yaml:"daily_per_user"`
	DailyPerNumber int           `yaml:"daily_per_number"`
}

// SMSSender is the effective sender ("" when SMS is off).
func (c Config) SMSSender() string {
	if c.SMS.Sender == "" && c.Dev {
		return "outbox"
	}
	return c.SMS.Sender
}

// EmailConfig says how security notifications are sent. Without an SMTP host they
// go to an outbox in memory and the log (the dev-mode outbox page shows them).
type EmailConfig struct {
	SMTPHost     string `yaml:"smtp_host"`
	SMTPPort     int    `yaml:"smtp_port"`
	SMTPUsername string `yaml:"smtp_username"`
	// SMTPPassword: prefer env LOCKSTEP_SMTP_PASSWORD. Redacted and String leave it out.
	SMTPPassword string `yaml:"smtp_password"`
	// TLS is starttls (default), tls (implicit, port 465) or none (only for a local
	// catcher such as Mailpit; needs allow_plaintext for a host that is not loopback).
	TLS            string `yaml:"tls"`
	AllowPlaintext bool   `yaml:"allow_plaintext"`
	From           string `yaml:"from"`
}

// MFAConfig holds the second-factor settings.
type MFAConfig struct {
	// EnrolDuringSignIn lets a user who lacks a second factor that a client requires
	// set one up during the sign-in; when false the client gets
	// unmet_authentication_requirements. Default true.
	EnrolDuringSignIn *bool `yaml:"enrol_during_sign_in"`
	// CodeFailures locks second-factor codes for a user after this many wrong codes
	// within the throttle window; CodeIPFailures does the same per client address.
	CodeFailures   int `yaml:"code_failures"`
	CodeIPFailures int `yaml:"code_ip_failures"`
	// RememberDeviceDays offers "don't ask again on this device" for that many days
	// after a second factor (MFA-7); 0 does not offer it. Default 30.
	RememberDeviceDays *int `yaml:"remember_device_days"`
	// TrustedIPs lets a user with a second factor skip it from an address where
	// they set it up or entered a code (MFA-8). Default false.
	TrustedIPs bool `yaml:"trusted_ips"`
	// ConfirmNewDevices makes a user without a second factor confirm, by a link or
	// code sent by email, a sign-in from a browser and address not seen before
	// (MFA-9). Needs email.smtp_host outside dev mode. Default false.
	ConfirmNewDevices bool `yaml:"confirm_new_devices"`
}

// RememberDays is the effective remember_device_days.
func (m MFAConfig) RememberDays() int {
	if m.RememberDeviceDays == nil {
		return 30 // before defaults are filled
	}
	return *m.RememberDeviceDays
}

// EnrolOnSpot reports the effective enrol_during_sign_in.
func (m MFAConfig) EnrolOnSpot() bool { return m.EnrolDuringSignIn == nil || *m.EnrolDuringSignIn }

// SetEnrolOnSpot sets enrol_during_sign_in.
func (m *MFAConfig) SetEnrolOnSpot(on bool) { m.EnrolDuringSignIn = &on }

// PasswordConfig holds the argon2id parameters (spec FLOW-2).
type PasswordConfig struct {
	MemoryKiB   uint32 `yaml:"memory_kib"`
	Iterations  uint32 `yaml:"iterations"`
	Parallelism uint8  `yaml:"parallelism"`
	// MaxConcurrent bounds simultaneous hash computations, so that a burst of
	// logins cannot need more than MaxConcurrent*MemoryKiB of memory.
	MaxConcurrent int `yaml:"max_concurrent"`
}

// SigningAlgorithms are the algorithms the server keeps a signing key for and
// publishes: tokens.signing_algorithm and a client's own ID token algorithm each
// choose one of them.
var SigningAlgorithms = []string{"RS256", "ES256"}

// TokenConfig holds token lifespans and signing settings.
type TokenConfig struct {
	AccessTokenLifespan   time.Duration `yaml:"access_token_lifespan"`
	RefreshTokenLifespan  time.Duration `yaml:"refresh_token_lifespan"`
	IDTokenLifespan       time.Duration `yaml:"id_token_lifespan"`
	AuthorizeCodeLifespan time.Duration `yaml:"authorize_code_lifespan"`
	// SigningAlgorithm (RS256 or ES256) picks the key that signs ID tokens;
	// both public keys are always published.
	SigningAlgorithm string `yaml:"signing_algorithm"`
	// KeyRetention is how long a retired public key stays in the JWKS, so tokens
	// it signed still verify until they expire.
	KeyRetention time.Duration `yaml:"key_retention"`
}

// SessionConfig holds SSO session and login-flow settings.
type SessionConfig struct {
	Lifetime     time.Duration `yaml:"lifetime"`
	FlowLifetime time.Duration `yaml:"flow_lifetime"`
	CookieName   string        `yaml:"cookie_name"`
}

// ThrottleConfig holds the failed-login limits per window.
type ThrottleConfig struct {
	AccountFailures int           `yaml:"account_failures"`
	IPFailures      int           `yaml:"ip_failures"`
	Window          time.Duration `yaml:"window"`
}

// Default returns the defaults for every field. Issuer is empty and Dev false, so
// the result does not validate until an issuer and a secret are set.
func Default() Config {
	var c Config
	c.fillDefaults()
	return c
}

// Load reads the YAML file at path ("" for none), applies the LOCKSTEP_*
// variables read through getenv (nil for none), then fills defaults. It does not
// validate: dev mode may first have to generate a secret; call Validate next.
func Load(path string, getenv func(string) string) (Config, error) {
	var c Config
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return Config{}, fmt.Errorf("configs: %w", err)
		}
		if err := decodeStrict(data, &c); err != nil {
			return Config{}, fmt.Errorf("configs: %s: %w", path, err)
		}
	}
	if getenv != nil {
		if err := c.applyEnv(getenv); err != nil {
			return Config{}, fmt.Errorf("configs: %w", err)
		}
	}
	c.fillDefaults()
	return c, nil
}

// decodeStrict decodes exactly one YAML document; unknown keys are errors so a
// typo cannot silently leave a security setting at its default.
func decodeStrict(data []byte, c *Config) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
		return nil
	case err != nil:
		return err
	default:
		return errors.New("the file holds more than one YAML document")
	}
}

func (c *Config) applyEnv(getenv func(string) string) error {
	for _, v := range []struct {
		name string
		dst  *string
	}{
		{"LOCKSTEP_ISSUER", &c.Issuer},
		{"LOCKSTEP_LISTEN", &c.Listen},
		{"LOCKSTEP_DSN", &c.DSN},
		{"LOCKSTEP_SECRET", &c.Secret},
		{"LOCKSTEP_SMTP_PASSWORD", &c.Email.SMTPPassword},
		{"LOCKSTEP_SMS_WEBHOOK_SECRET", &c.SMS.WebhookSecret},
		{"LOCKSTEP_TWILIO_AUTH_TOKEN", &c.SMS.TwilioAuthToken},
		{"LOCKSTEP_LOG_LEVEL", &c.LogLevel},
		{"LOCKSTEP_LOG_FORMAT", &c.LogFormat},
	} {
		if s := getenv(v.name); s != "" {
			*v.dst = s
		}
	}
	switch s := getenv("LOCKSTEP_DEV"); strings.ToLower(s) {
	case "":
	case "true", "1":
		c.Dev = true
	case "false", "0":
		c.Dev = false
	default:
		return fmt.Errorf("LOCKSTEP_DEV must be true, 1, false or 0, not %q", s)
	}
	return nil
}

func (c *Config) fillDefaults() {
	setDefault(&c.Listen, ":8080")
	setDefault(&c.LogLevel, "info")
	if c.Dev {
		setDefault(&c.LogFormat, "text")
	} else {
		setDefault(&c.LogFormat, "json")
	}

	// Same values as password.DefaultParams (OWASP's argon2id minimum); repeated
	// here so configs does not depend on the flows.
	setDefault(&c.Password.MemoryKiB, 19456)
	setDefault(&c.Password.Iterations, 2)
	setDefault(&c.Password.Parallelism, 1)
	setDefault(&c.Password.MaxConcurrent, runtime.NumCPU())

	t := &c.Tokens
	setDefault(&t.AccessTokenLifespan, time.Hour)
	setDefault(&t.RefreshTokenLifespan, 720*time.Hour)
	setDefault(&t.IDTokenLifespan, time.Hour)
	setDefault(&t.AuthorizeCodeLifespan, time.Minute)
	setDefault(&t.SigningAlgorithm, "RS256")
	setDefault(&t.KeyRetention, max(t.AccessTokenLifespan, t.IDTokenLifespan)+time.Hour)

	setDefault(&c.Session.Lifetime, 24*time.Hour)
	setDefault(&c.Session.FlowLifetime, 30*time.Minute)
	setDefault(&c.Session.CookieName, "lockstep_session")
	setDefault(&c.Admin.MinACR, AdminACRs[0])
	setDefault(&c.I18n.DefaultLanguage, "en")

	setDefault(&c.Throttle.AccountFailures, 10)
	setDefault(&c.Throttle.IPFailures, 50)
	setDefault(&c.Throttle.Window, 15*time.Minute)

	setDefault(&c.Email.SMTPPort, 587)
	setDefault(&c.Email.TLS, "starttls")
	setDefault(&c.Email.From, "Lockstep <no-reply@localhost>")

	if c.MFA.EnrolDuringSignIn == nil {
		on := true
		c.MFA.EnrolDuringSignIn = &on
	}
	if c.MFA.RememberDeviceDays == nil {
		days := 30
		c.MFA.RememberDeviceDays = &days
	}
	setDefault(&c.MFA.CodeFailures, 10)
	setDefault(&c.MFA.CodeIPFailures, 50)

	setDefault(&c.SMS.CodeLifetime, 5*time.Minute)
	setDefault(&c.SMS.ResendCooldown, 30*time.Second)
	setDefault(&c.SMS.MaxAttempts, 5)
	setDefault(&c.SMS.DailyPerUser, 10)
	setDefault(&c.SMS.DailyPerNumber, 10)
}

func setDefault[T comparable](dst *T, def T) {
	var zero T
	if *dst == zero {
		*dst = def
	}
}

// UsesMemory reports whether the configuration selects the in-memory store.
func (c Config) UsesMemory() bool {
	return c.DSN == "" || c.DSN == "memory"
}

// Validate returns every problem found, joined with errors.Join, or nil. Outside
// dev mode it refuses what would be insecure in production (OPS-3). No message
// contains the secret or the DSN, which may hold a database password.
func (c Config) Validate() error {
	var errs []error
	add := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf(format, args...))
	}

	c.validateIssuer(add)
	if !slices.Contains(AdminACRs, c.Admin.MinACR) {
		add("admin.min_acr must be one of %s", strings.Join(AdminACRs, ", "))
	}

	switch {
	case c.Secret == "" && !c.Dev:
		add("secret is required outside dev mode; set LOCKSTEP_SECRET")
	case c.Secret != "" && utf8.RuneCountInString(c.Secret) < MinSecretLen:
		add("secret must be at least %d characters long", MinSecretLen)
	}

	if _, port, err := net.SplitHostPort(c.Listen); err != nil {
		add("listen must be host:port, such as \":8080\" or \"localhost:8080\", not %q", c.Listen)
	} else if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		add("listen port must be a number from 0 to 65535, not %q", port)
	}

	if !c.UsesMemory() {
		// The DSN itself is not quoted: it may contain a password.
		if u, err := url.Parse(c.DSN); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			add("dsn must be \"memory\" or a postgres:// URL")
		}
	}

	for _, p := range c.TrustedProxies {
		if _, err := netip.ParsePrefix(p); err != nil {
			add("trusted_proxies entry %q is not a CIDR such as 10.0.0.0/8", p)
		}
	}

	if !slices.Contains([]string{"debug", "info", "warn", "error"}, c.LogLevel) {
		add("log_level must be debug, info, warn or error, not %q", c.LogLevel)
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		add("log_format must be json or text, not %q", c.LogFormat)
	}

	p := c.Password
	if p.MemoryKiB < 8*1024 || p.MemoryKiB > 1024*1024 {
		add("password.memory_kib must be from 8192 (8 MiB) to 1048576 (1 GiB), not %d", p.MemoryKiB)
	}
	if p.Iterations < 1 || p.Iterations > 10 {
		add("password.iterations must be from 1 to 10, not %d", p.Iterations)
	}
	if p.Parallelism < 1 || p.Parallelism > 16 {
		add("password.parallelism must be from 1 to 16, not %d", p.Parallelism)
	}
	if p.MaxConcurrent < 1 {
		add("password.max_concurrent must be at least 1, not %d", p.MaxConcurrent)
	}

	t := c.Tokens
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"tokens.access_token_lifespan", t.AccessTokenLifespan},
		{"tokens.refresh_token_lifespan", t.RefreshTokenLifespan},
		{"tokens.id_token_lifespan", t.IDTokenLifespan},
		{"tokens.authorize_code_lifespan", t.AuthorizeCodeLifespan},
		{"tokens.key_retention", t.KeyRetention},
		{"session.lifetime", c.Session.Lifetime},
		{"session.flow_lifetime", c.Session.FlowLifetime},
		{"throttle.window", c.Throttle.Window},
	} {
		if d.v <= 0 {
			add("%s must be positive, not %s", d.name, d.v)
		}
	}
	if longest := max(t.AccessTokenLifespan, t.IDTokenLifespan); t.KeyRetention > 0 && t.KeyRetention < longest {
		add("tokens.key_retention must be at least %s, the longest access or ID token lifespan, so tokens signed by a retired key still verify", longest)
	}
	if !slices.Contains(SigningAlgorithms, t.SigningAlgorithm) {
		add("tokens.signing_algorithm must be %s, not %q", strings.Join(SigningAlgorithms, " or "), t.SigningAlgorithm)
	}

	if err := (&http.Cookie{Name: c.Session.CookieName}).Valid(); err != nil {
		add("session.cookie_name %q is not a valid cookie name", c.Session.CookieName)
	}

	if c.Email.SMTPPort < 1 || c.Email.SMTPPort > 65535 {
		add("email.smtp_port must be from 1 to 65535, not %d", c.Email.SMTPPort)
	}
	if !slices.Contains([]string{"starttls", "tls", "none"}, c.Email.TLS) {
		add("email.tls must be starttls, tls or none, not %q", c.Email.TLS)
	}
	if c.MFA.CodeFailures < 1 || c.MFA.CodeIPFailures < 1 {
		add("mfa.code_failures and mfa.code_ip_failures must be at least 1")
	}
	if d := c.MFA.RememberDays(); d < 0 || d > 400 {
		add("mfa.remember_device_days must be from 0 to 400, not %d", d)
	}
	if c.MFA.ConfirmNewDevices && c.Email.SMTPHost == "" && !c.Dev {
		add("mfa.confirm_new_devices needs email.smtp_host: the confirmation is sent by email")
	}
	c.validateSMS(add)
	c.validateBranding(add)
	if c.Throttle.AccountFailures < 1 {
		add("throttle.account_failures must be at least 1, not %d", c.Throttle.AccountFailures)
	}
	if c.Throttle.IPFailures < 1 {
		add("throttle.ip_failures must be at least 1, not %d", c.Throttle.IPFailures)
	}

	return errors.Join(errs...)
}

func (c Config) validateSMS(add func(string, ...any)) {
	m := c.SMS
	switch c.SMSSender() {
	case "", "outbox":
		if m.Sender == "outbox" && !c.Dev {
			add("sms.sender outbox only logs codes; it is for dev mode. Use webhook or twilio")
		}
	case "webhook":
		if m.WebhookURL == "" || utf8.RuneCountInString(m.WebhookSecret) < MinSecretLen {
			add("sms.sender webhook needs sms.webhook_url and an sms.webhook_secret of at least %d characters", MinSecretLen)
		}
	case "twilio":
		if m.TwilioAccountSID == "" || m.TwilioAuthToken == "" || m.TwilioFrom == "" {
			add("sms.sender twilio needs sms.twilio_account_sid, sms.twilio_auth_token and sms.twilio_from")
		}
	default:
		add("sms.sender must be outbox, webhook or twilio, not %q", m.Sender)
	}
	if m.CodeLifetime <= 0 || m.CodeLifetime > 15*time.Minute {
		add("sms.code_lifetime must be positive and at most 15m, not %s", m.CodeLifetime)
	}
	if m.ResendCooldown < 0 {
		add("sms.resend_cooldown must not be negative")
	}
	if m.MaxAttempts < 1 || m.DailyPerUser < 1 || m.DailyPerNumber < 1 {
		add("sms.max_attempts, sms.daily_per_user and sms.daily_per_number must be at least 1")
	}
}

var hexColour = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

func (c Config) validateBranding(add func(string, ...any)) {
	if l := c.I18n.DefaultLanguage; l != "" && !slices.Contains(ShippedLanguages, l) {
		add("i18n.default_language must be one of %s, not %q", strings.Join(ShippedLanguages, ", "), l)
	}
	b := c.Branding
	if b.AccentColor != "" && !hexColour.MatchString(b.AccentColor) {
		add("branding.accent_color must be #rrggbb, not %q", b.AccentColor)
	}
	if b.Logo != "" {
		if _, ok := LogoTypes[strings.ToLower(filepath.Ext(b.Logo))]; !ok {
			add("branding.logo must be an .svg, .png, .jpg or .webp file, not %q", b.Logo)
		} else if st, err := os.Stat(b.Logo); err != nil || !st.Mode().IsRegular() {
			add("branding.logo %q is not a readable file", b.Logo)
		}
	}
	if utf8.RuneCountInString(b.ProductName) > 60 || strings.ContainsAny(b.ProductName, "\n\r:") {
		add("branding.product_name must be at most 60 characters, on one line, without a colon (it labels authenticator apps)")
	}
}

func (c Config) validateIssuer(add func(string, ...any)) {
	if c.Issuer == "" {
		add("issuer is required")
		return
	}
	u, err := url.Parse(c.Issuer)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		add("issuer must be an absolute http(s) URL such as https://login.example.com, not %q", c.Issuer)
		return
	}
	// OpenID Connect Discovery 1.0 §3: no query or fragment. Checked on the raw
	// string because url.URL does not record an empty fragment.
	if strings.ContainsAny(c.Issuer, "?#") {
		add("issuer must not have a query or fragment, not %q", c.Issuer)
	}
	if u.User != nil {
		add("issuer must not contain user information")
	}
	if u.Scheme == "http" && !c.Dev && !isLoopback(u.Hostname()) {
		add("issuer must use https outside dev mode (http is allowed only for localhost, 127.0.0.1 and [::1]), not %q", c.Issuer)
	}
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

// Redacted returns a copy fit for logging: Secret is blanked and any password in
// the DSN replaced by "xxxxx".
func (c Config) Redacted() Config {
	c.Secret = ""
	if c.SMS.WebhookSecret != "" {
		c.SMS.WebhookSecret = "xxxxx"
	}
	if c.SMS.TwilioAuthToken != "" {
		c.SMS.TwilioAuthToken = "xxxxx"
	}
	if c.Email.SMTPPassword != "" {
		c.Email.SMTPPassword = "xxxxx"
	}
	c.DSN = redactDSN(c.DSN)
	c.TrustedProxies = slices.Clone(c.TrustedProxies)
	return c
}

func redactDSN(dsn string) string {
	if dsn == "" || dsn == "memory" {
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" {
		// Not a URL (perhaps libpq's key=value form): it may hold a password
		// anywhere, so show none of it.
		return "REDACTED"
	}
	// libpq also accepts passwords as query parameters.
	q, changed := u.Query(), false
	for _, k := range []string{"password", "sslpassword"} {
		if q.Has(k) {
			q.Set(k, "xxxxx")
			changed = true
		}
	}
	if changed {
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// redactedConfig has Config's fields but none of its methods, so fmt and slog
// print it field by field instead of recursing into Format or LogValue.
type redactedConfig Config

// String returns the redacted configuration, field by field.
func (c Config) String() string {
	return fmt.Sprintf("%+v", c)
}

// Format makes every fmt verb (%v, %+v, %#v, %s…) print the redacted
// configuration, so a stray Printf cannot leak the secret.
func (c Config) Format(f fmt.State, verb rune) {
	fmt.Fprintf(f, fmt.FormatString(f, verb), redactedConfig(c.Redacted()))
}

// LogValue makes slog log the redacted configuration.
func (c Config) LogValue() slog.Value {
	return slog.AnyValue(redactedConfig(c.Redacted()))
}

// MarshalJSON encodes the redacted configuration, so a Config dumped as JSON
// (nested in another logged value, say) leaks no secret either.
func (c Config) MarshalJSON() ([]byte, error) {
	return json.Marshal(redactedConfig(c.Redacted()))
}
