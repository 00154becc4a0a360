package configs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

const testSecret = "0123456789abcdefghijklmnopqrstuvwxyz-TOPSECRET"

// validProd is a configuration that passes Validate outside dev mode.
func validProd() Config {
	c := Default()
	c.Issuer = "https://login.example.com"
	c.Secret = testSecret
	return c
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		// want holds substrings of the expected errors; none means valid.
		want []string
	}{
		{"valid production", func(*Config) {}, nil},
		{"valid dev without secret", func(c *Config) { c.Dev, c.Secret, c.Issuer = true, "", "http://lockstep.test:8080" }, nil},
		{"issuer missing", func(c *Config) { c.Issuer = "" }, []string{"issuer is required"}},
		{"issuer relative", func(c *Config) { c.Issuer = "/login" }, []string{"issuer must be an absolute"}},
		{"issuer bad scheme", func(c *Config) { c.Issuer = "ftp://login.example.com" }, []string{"issuer must be an absolute http(s) URL"}},
		{"issuer with query", func(c *Config) { c.Issuer = "https://login.example.com/?tenant=a" }, []string{"query or fragment"}},
		{"issuer with fragment", func(c *Config) { c.Issuer = "https://login.example.com/#x" }, []string{"query or fragment"}},
		{"issuer with empty fragment", func(c *Config) { c.Issuer = "https://login.example.com#" }, []string{"query or fragment"}},
		{"issuer with user info", func(c *Config) { c.Issuer = "https://admin@login.example.com" }, []string{"user information"}},
		{"issuer http outside dev", func(c *Config) { c.Issuer = "http://login.example.com" }, []string{"must use https outside dev mode"}},
		{"issuer http localhost", func(c *Config) { c.Issuer = "http://localhost:8080" }, nil},
		{"issuer http 127.0.0.1", func(c *Config) { c.Issuer = "http://127.0.0.1:8080/oidc" }, nil},
		{"issuer http [::1]", func(c *Config) { c.Issuer = "http://[::1]:8080" }, nil},
		{"issuer https with path", func(c *Config) { c.Issuer = "https://example.com/tenants/a" }, nil},
		{"admin console at phr", func(c *Config) { c.Admin.MinACR = "urn:lockstep:acr:phr" }, nil},
		{"admin console at pwd", func(c *Config) { c.Admin.MinACR = "urn:lockstep:acr:pwd" }, []string{"admin.min_acr must be one of"}},
		{"secret missing outside dev", func(c *Config) { c.Secret = "" }, []string{"secret is required outside dev mode"}},
		{"secret short outside dev", func(c *Config) { c.Secret = "short-TOPSECRET" }, []string{"at least 32 characters"}},
		{"secret short in dev", func(c *Config) { c.Dev, c.Secret = true, "short-TOPSECRET" }, []string{"at least 32 characters"}},
		{"secret of 32 characters", func(c *Config) { c.Secret = strings.Repeat("é", 32) }, nil},
		{"listen without port", func(c *Config) { c.Listen = "8080" }, []string{"listen must be host:port"}},
		{"listen named port", func(c *Config) { c.Listen = ":http" }, []string{"listen port must be a number"}},
		{"listen port too large", func(c *Config) { c.Listen = "localhost:65536" }, []string{"listen port must be a number"}},
		{"dsn postgres", func(c *Config) { c.DSN = "postgres://lockstep:pw@db:5432/lockstep" }, nil},
		{"dsn other database", func(c *Config) { c.DSN = "mysql://u:pw@db/x" }, []string{"dsn must be"}},
		{"dsn key=value", func(c *Config) { c.DSN = "host=db password=pw" }, []string{"dsn must be"}},
		{"trusted proxies valid", func(c *Config) { c.TrustedProxies = []string{"10.0.0.0/8", "::1/128"} }, nil},
		{"trusted proxy without mask", func(c *Config) { c.TrustedProxies = []string{"10.0.0.0/8", "10.1.2.3"} }, []string{`"10.1.2.3" is not a CIDR`}},
		{"log level", func(c *Config) { c.LogLevel = "verbose" }, []string{"log_level must be"}},
		{"log format", func(c *Config) { c.LogFormat = "xml" }, []string{"log_format must be"}},
		{"password memory too small", func(c *Config) { c.Password.MemoryKiB = 4096 }, []string{"password.memory_kib"}},
		{"password memory too large", func(c *Config) { c.Password.MemoryKiB = 2 << 20 }, []string{"password.memory_kib"}},
		{"password iterations", func(c *Config) { c.Password.Iterations = 11 }, []string{"password.iterations"}},
		{"password parallelism zero", func(c *Config) { c.Password.Parallelism = 0 }, []string{"password.parallelism"}},
		{"password parallelism too large", func(c *Config) { c.Password.Parallelism = 17 }, []string{"password.parallelism"}},
		{"password max concurrent", func(c *Config) { c.Password.MaxConcurrent = 0 }, []string{"password.max_concurrent"}},
		{"access lifespan negative", func(c *Config) { c.Tokens.AccessTokenLifespan = -time.Minute }, []string{"tokens.access_token_lifespan must be positive"}},
		{"refresh lifespan zero", func(c *Config) { c.Tokens.RefreshTokenLifespan = 0 }, []string{"tokens.refresh_token_lifespan must be positive"}},
		{"session lifetimes zero", func(c *Config) { c.Session.Lifetime, c.Session.FlowLifetime = 0, 0 }, []string{"session.lifetime", "session.flow_lifetime"}},
		{"key retention too short", func(c *Config) { c.Tokens.IDTokenLifespan = 3 * time.Hour }, []string{"tokens.key_retention must be at least 3h0m0s"}},
		{"signing algorithm", func(c *Config) { c.Tokens.SigningAlgorithm = "HS256" }, []string{"tokens.signing_algorithm"}},
		{"signing algorithm ES256", func(c *Config) { c.Tokens.SigningAlgorithm = "ES256" }, nil},
		{"cookie name", func(c *Config) { c.Session.CookieName = "bad name;" }, []string{"session.cookie_name"}},
		{"throttle", func(c *Config) { c.Throttle.AccountFailures, c.Throttle.IPFailures, c.Throttle.Window = 0, -1, 0 }, []string{"throttle.account_failures", "throttle.ip_failures", "throttle.window"}},
		{"sms outbox outside dev", func(c *Config) { c.SMS.Sender = "outbox" }, []string{"sms.sender outbox only logs codes"}},
		{"sms outbox in dev", func(c *Config) { c.Dev, c.SMS.Sender = true, "outbox" }, nil},
		{"sms unknown sender", func(c *Config) { c.SMS.Sender = "pigeon" }, []string{"sms.sender must be"}},
		{"sms webhook short secret", func(c *Config) {
			c.SMS.Sender, c.SMS.WebhookURL, c.SMS.WebhookSecret = "webhook", "https://sms.example/hook", "short"
		}, []string{"sms.webhook_secret of at least 32"}},
		{"sms webhook", func(c *Config) {
			c.SMS.Sender, c.SMS.WebhookURL, c.SMS.WebhookSecret = "webhook", "https://sms.example/hook", strings.Repeat("s", 32)
		}, nil},
		{"sms twilio incomplete", func(c *Config) { c.SMS.Sender, c.SMS.TwilioAccountSID = "twilio", "AC123" }, []string{"sms.twilio_auth_token"}},
		{"sms code lifetime", func(c *Config) { c.SMS.CodeLifetime = time.Hour }, []string{"sms.code_lifetime"}},
		{"sms caps", func(c *Config) { c.SMS.DailyPerNumber = 0 }, []string{"sms.daily_per_number"}},
		{"remember days too many", func(c *Config) { days := 401; c.MFA.RememberDeviceDays = &days }, []string{"mfa.remember_device_days"}},
		{"remember days off", func(c *Config) { days := 0; c.MFA.RememberDeviceDays = &days }, nil},
		{"confirm new devices without smtp", func(c *Config) { c.MFA.ConfirmNewDevices = true }, []string{"mfa.confirm_new_devices needs email.smtp_host"}},
		{"confirm new devices with smtp", func(c *Config) { c.MFA.ConfirmNewDevices, c.Email.SMTPHost = true, "smtp.example.com" }, nil},
		{"several problems at once", func(c *Config) { c.Issuer, c.Secret, c.LogLevel = "http://example.com", "", "loud" }, []string{"https outside dev", "secret is required", "log_level"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validProd()
			tt.mutate(&c)
			err := c.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want errors containing %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %q, want it to contain %q", err, w)
				}
			}
			if got, want := len(err.(interface{ Unwrap() []error }).Unwrap()), len(tt.want); got != want {
				t.Errorf("Validate() returned %d errors, want %d: %v", got, want, err)
			}
			if strings.Contains(err.Error(), "TOPSECRET") {
				t.Errorf("Validate() error reveals the secret: %v", err)
			}
			if c.DSN != "" && strings.Contains(err.Error(), c.DSN) {
				t.Errorf("Validate() error reveals the DSN: %v", err)
			}
		})
	}
}

func TestLoadNoFileIsDefault(t *testing.T) {
	c, err := Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, Default()) {
		t.Errorf("Load(\"\", nil) = %+v, want Default()", redactedConfig(c))
	}
	d := Default()
	if d.Listen != ":8080" || d.LogFormat != "json" || d.Password.MaxConcurrent != runtime.NumCPU() ||
		d.Tokens.KeyRetention != 2*time.Hour || !d.UsesMemory() {
		t.Errorf("Default() = %+v", redactedConfig(d))
	}
}

func TestLoadYAML(t *testing.T) {
	c, err := Load(writeFile(t, `
issuer: https://id.example.org
dsn: postgres://lockstep@db/lockstep
trusted_proxies: [10.0.0.0/8]
password:
  memory_kib: 65536
  max_concurrent: 0 # zero means default
tokens:
  access_token_lifespan: 3h
  signing_algorithm: ES256
session:
  flow_lifetime: 10m
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Issuer = "https://id.example.org"
	want.DSN = "postgres://lockstep@db/lockstep"
	want.TrustedProxies = []string{"10.0.0.0/8"}
	want.Password.MemoryKiB = 65536
	want.Tokens.AccessTokenLifespan = 3 * time.Hour
	want.Tokens.KeyRetention = 4 * time.Hour // derived from the longer lifespan
	want.Tokens.SigningAlgorithm = "ES256"
	want.Session.FlowLifetime = 10 * time.Minute
	if !reflect.DeepEqual(c, want) {
		t.Errorf("Load() =\n%+v\nwant\n%+v", redactedConfig(c), redactedConfig(want))
	}
	if c.UsesMemory() {
		t.Error("UsesMemory() = true for a postgres DSN")
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown top-level field", "isuer: https://x\n", "field isuer not found"},
		{"unknown nested field", "tokens:\n  access_lifespan: 1h\n", "field access_lifespan not found"},
		{"duration without unit", "throttle:\n  window: 900\n", "into time.Duration"},
		{"duration in words", "session:\n  lifetime: one day\n", "into time.Duration"},
		{"wrong type", "dev: maybe\n", "bool"},
		{"two documents", "dev: true\n---\ndev: false\n", "more than one YAML document"},
		{"not a mapping", "- a\n- b\n", "cannot unmarshal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(writeFile(t, tt.yaml), nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load() error = %v, want one containing %q", err, tt.want)
			}
		})
	}

	t.Run("missing file", func(t *testing.T) {
		_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"), nil)
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Load() error = %v, want fs.ErrNotExist", err)
		}
	})
	t.Run("empty file", func(t *testing.T) {
		c, err := Load(writeFile(t, "# only a comment\n"), nil)
		if err != nil || !reflect.DeepEqual(c, Default()) {
			t.Errorf("Load() = %+v, %v; want Default(), nil", redactedConfig(c), err)
		}
	})
}

func TestLoadEnv(t *testing.T) {
	path := writeFile(t, `
issuer: https://file.example.com
listen: ":9000"
dsn: memory
log_level: warn
`)
	env := map[string]string{
		"LOCKSTEP_ISSUER":     "https://env.example.com",
		"LOCKSTEP_LISTEN":     "127.0.0.1:9999",
		"LOCKSTEP_DSN":        "postgres://u:pw@db/x",
		"LOCKSTEP_SECRET":     testSecret,
		"LOCKSTEP_LOG_LEVEL":  "debug",
		"LOCKSTEP_LOG_FORMAT": "text",
		"LOCKSTEP_DEV":        "1",
	}
	c, err := Load(path, mapEnv(env))
	if err != nil {
		t.Fatal(err)
	}
	if c.Issuer != env["LOCKSTEP_ISSUER"] || c.Listen != env["LOCKSTEP_LISTEN"] || c.DSN != env["LOCKSTEP_DSN"] ||
		c.Secret != testSecret || c.LogLevel != "debug" || c.LogFormat != "text" || !c.Dev {
		t.Errorf("Load() with env = %+v", redactedConfig(c))
	}

	// An empty variable does not override the file.
	c, err = Load(path, mapEnv(map[string]string{"LOCKSTEP_ISSUER": ""}))
	if err != nil || c.Issuer != "https://file.example.com" {
		t.Errorf("Load() with empty LOCKSTEP_ISSUER = %q, %v", c.Issuer, err)
	}

	for _, tt := range []struct {
		file, env string
		want      bool
	}{
		{"false", "true", true},
		{"false", "TRUE", true},
		{"false", "1", true},
		{"true", "false", false},
		{"true", "0", false},
		{"true", "", true},
	} {
		c, err := Load(writeFile(t, "dev: "+tt.file), mapEnv(map[string]string{"LOCKSTEP_DEV": tt.env}))
		if err != nil || c.Dev != tt.want {
			t.Errorf("dev: %s, LOCKSTEP_DEV=%q: Dev = %v, %v; want %v", tt.file, tt.env, c.Dev, err, tt.want)
		}
	}
	if _, err := Load("", mapEnv(map[string]string{"LOCKSTEP_DEV": "yes"})); err == nil || !strings.Contains(err.Error(), "LOCKSTEP_DEV") {
		t.Errorf("Load() with LOCKSTEP_DEV=yes: error = %v, want one naming LOCKSTEP_DEV", err)
	}
}

func TestLogFormatDefaultFollowsDev(t *testing.T) {
	c, _ := Load("", mapEnv(map[string]string{"LOCKSTEP_DEV": "true"}))
	if c.LogFormat != "text" {
		t.Errorf("dev LogFormat = %q, want text", c.LogFormat)
	}
	c, _ = Load(writeFile(t, "dev: true\nlog_format: json\n"), nil)
	if c.LogFormat != "json" {
		t.Errorf("dev with log_format json: LogFormat = %q, want json", c.LogFormat)
	}
}

func TestDevYAML(t *testing.T) {
	c, err := Load("dev.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Issuer != "http://localhost:8080" || c.Listen != "localhost:8080" || !c.UsesMemory() || !c.Dev || c.LogFormat != "text" {
		t.Errorf("dev.yaml = %+v", redactedConfig(c))
	}
	// The caller generates the secret in dev mode, so none is needed here.
	if err := c.Validate(); err != nil {
		t.Errorf("dev.yaml does not validate: %v", err)
	}
}

// The example's values are documented as the defaults, so they must be.
func TestExampleYAMLShowsDefaults(t *testing.T) {
	c, err := Load("lockstep.example.yaml", mapEnv(map[string]string{"LOCKSTEP_SECRET": testSecret}))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("example with LOCKSTEP_SECRET does not validate: %v", err)
	}
	// These differ on purpose: a real issuer, an explicit store, a concrete CPU count.
	c.Issuer, c.Secret, c.DSN, c.TrustedProxies, c.Password.MaxConcurrent = "", "", "", nil, runtime.NumCPU()
	if !reflect.DeepEqual(c, Default()) {
		t.Errorf("example =\n%+v\nDefault() =\n%+v", redactedConfig(c), redactedConfig(Default()))
	}
}

// Every field must appear in the example, so the example documents them all.
func TestExampleYAMLHasEveryField(t *testing.T) {
	data, err := os.ReadFile("lockstep.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var walk func(reflect.Type, map[string]any, string)
	walk = func(typ reflect.Type, m map[string]any, prefix string) {
		for f := range typ.Fields() {
			key := f.Tag.Get("yaml")
			v, ok := m[key]
			if !ok {
				t.Errorf("lockstep.example.yaml lacks %s%s", prefix, key)
				continue
			}
			if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeFor[time.Duration]() {
				sub, _ := v.(map[string]any)
				walk(f.Type, sub, prefix+key+".")
			}
		}
	}
	walk(reflect.TypeFor[Config](), doc, "")
}

func TestRedacted(t *testing.T) {
	tests := []struct{ dsn, want string }{
		{"", ""},
		{"memory", "memory"},
		{"postgres://lockstep@db:5432/lockstep", "postgres://lockstep@db:5432/lockstep"},
		{"postgres://lockstep:TOPSECRET@db:5432/lockstep", "postgres://lockstep:xxxxx@db:5432/lockstep"},
		{"postgres://db/lockstep?password=TOPSECRET&sslmode=require", "postgres://db/lockstep?password=xxxxx&sslmode=require"},
		{"postgres://db/x?sslpassword=TOPSECRET", "postgres://db/x?sslpassword=xxxxx"},
		{"host=db password=TOPSECRET", "REDACTED"},
		{"postgres://u:TOP%zzSECRET@db/x", "REDACTED"},
	}
	for _, tt := range tests {
		c := validProd()
		c.DSN = tt.dsn
		c.TrustedProxies = []string{"10.0.0.0/8"}
		r := c.Redacted()
		if r.DSN != tt.want || r.Secret != "" {
			t.Errorf("Redacted() DSN = %q, Secret = %q; want %q, \"\"", r.DSN, r.Secret, tt.want)
		}
		r.TrustedProxies[0] = "changed"
		if c.Secret != testSecret || c.DSN != tt.dsn || c.TrustedProxies[0] != "10.0.0.0/8" {
			t.Errorf("Redacted() changed the original: %+v", redactedConfig(c))
		}
	}
}

func TestSecretNeverPrinted(t *testing.T) {
	c := validProd()
	c.DSN = "postgres://lockstep:TOPSECRET@db/lockstep"
	c.Email.SMTPPassword = "TOPSECRET-smtp"
	var jsonLog, textLog bytes.Buffer
	slog.New(slog.NewJSONHandler(&jsonLog, nil)).Info("config", "config", c)
	slog.New(slog.NewTextHandler(&textLog, nil)).Info("config", "config", c)
	marshalled, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{
		"String":       c.String(),
		"%v":           fmt.Sprintf("%v", c),
		"%+v":          fmt.Sprintf("%+v", c),
		"%#v":          fmt.Sprintf("%#v", c),
		"%s":           fmt.Sprintf("%s", c),
		"%v of &c":     fmt.Sprintf("%v", &c),
		"slog JSON":    jsonLog.String(),
		"slog text":    textLog.String(),
		"json.Marshal": string(marshalled),
	}
	for name, out := range outputs {
		if strings.Contains(out, "TOPSECRET") {
			t.Errorf("%s reveals a secret: %s", name, out)
		}
		if !strings.Contains(out, "login.example.com") {
			t.Errorf("%s lost the other fields: %s", name, out)
		}
	}
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "lockstep.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func mapEnv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestBrandingAndLanguageValidation(t *testing.T) {
	dir := t.TempDir()
	logo := filepath.Join(dir, "logo.svg")
	if err := os.WriteFile(logo, []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		edit func(*Config)
		want string // "" = valid
	}{
		{"defaults", func(*Config) {}, ""},
		{"a full brand", func(c *Config) {
			c.I18n.DefaultLanguage = "nb"
			c.Branding = BrandingConfig{ProductName: "Review Shop ID", Logo: logo, AccentColor: "#0f766e", SupportContact: "help@example.com"}
		}, ""},
		{"an unshipped language", func(c *Config) { c.I18n.DefaultLanguage = "fi" }, "i18n.default_language"},
		{"a named colour", func(c *Config) { c.Branding.AccentColor = "teal" }, "branding.accent_color"},
		{"css in the colour", func(c *Config) { c.Branding.AccentColor = "#fff;}body{" }, "branding.accent_color"},
		{"a missing logo", func(c *Config) { c.Branding.Logo = filepath.Join(dir, "nope.png") }, "branding.logo"},
		{"a logo that is no image", func(c *Config) { c.Branding.Logo = filepath.Join(dir, "logo.html") }, "branding.logo"},
		{"a name with a colon", func(c *Config) { c.Branding.ProductName = "Acme: ID" }, "branding.product_name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			c.Issuer, c.Secret = "https://id.example.com", strings.Repeat("s", MinSecretLen)
			tt.edit(&c)
			err := c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate() = %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Validate() = %v, want an error about %s", err, tt.want)
			}
		})
	}
}
