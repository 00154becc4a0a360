package idp

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/compose"
	"github.com/ory/fosite/handler/oauth2"
	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/token/jwt"

	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/flows/email"
	"github.com/lockstep-id/lockstep/flows/sms"
	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/templates"
)

// Options configure the Provider. cmd builds them from configs.Config.
type Options struct {
	Issuer string
	Store  Store
	// Clients is the client cache shared with the login pages.
	Clients *ClientCache
	// Flows is the login journeys' core, Consent answers whether a user must
	// allow a client first, and Routes are the journeys' pages, mounted under
	// the issuer's path.
	Flows   *flows.Core
	Consent interface {
		NeedsConsent(ctx context.Context, userID string, client storage.Client, scopes []string, promptConsent bool, reads *flows.Reads) (bool, error)
	}
	Routes []flows.Route
	// Mounts are handlers served under a prefix (the admin API).
	Mounts []Mount
	// ErrorPages turns handler errors into pages.
	ErrorPages *flows.ErrorPages
	// Outbox and SMSOutbox, in dev mode, are shown at /dev/outbox.
	Outbox    *email.Outbox
	SMSOutbox *sms.Outbox
	Keys      *KeyManager
	Pages     *templates.Renderer
	Log       *slog.Logger
	Now       func() time.Time
	// TokenKey is the 32-byte HMAC key for opaque tokens and codes.
	TokenKey []byte
	// ClientSecrets hashes client secrets (keyed HMAC).
	ClientSecrets SecretHasher
	// SigningAlgorithm signs ID tokens: RS256 or ES256.
	SigningAlgorithm      string
	AccessTokenLifespan   time.Duration
	RefreshTokenLifespan  time.Duration
	IDTokenLifespan       time.Duration
	AuthorizeCodeLifespan time.Duration
	Dev                   bool
	// What the dev-mode home page offers to try.
	DevUser, DevPassword, DevClientID string
	DevHints                          []string
}

// Provider is the OpenID provider: fosite composed over our store, plus the
// endpoints fosite does not have (discovery, JWKS, userinfo, logout, the authorize
// dispatcher).
type Provider struct {
	opt    Options
	issuer *url.URL
	// prefix is the issuer's path; every endpoint lives under it.
	prefix     string
	oauth      fosite.OAuth2Provider
	idStrategy *openid.DefaultStrategy
	store      *fositeStore
}

// ClientCacheTTL is how long a node may use a client it loaded before reading it
// again; client changes take effect everywhere within it.
const ClientCacheTTL = 2 * time.Second

// Endpoint paths relative to the issuer.
const (
	PathAuthorize  = "/authorize"
	PathResume     = "/authorize/resume"
	PathToken      = "/oauth/token"
	PathUserinfo   = "/userinfo"
	PathIntrospect = "/oauth/introspect"
	PathRevoke     = "/oauth/revoke"
	PathJWKS       = "/.well-known/jwks.json"
	PathDiscovery  = "/.well-known/openid-configuration"
	PathEndSession = "/logout"
	PathStatic     = "/static/"
	// PathLanguage is where the language switcher sends its choice.
	PathLanguage = "/language"
)

// New composes the provider.
func New(opt Options) (*Provider, error) {
	iss, err := url.Parse(opt.Issuer)
	if err != nil {
		return nil, fmt.Errorf("issuer: %w", err)
	}
	p := &Provider{opt: opt, issuer: iss, prefix: strings.TrimSuffix(iss.Path, "/")}
	p.store = &fositeStore{store: opt.Store, clients: opt.Clients, now: opt.Now}

	cfg := &fosite.Config{
		IDTokenIssuer:               opt.Issuer,
		AccessTokenIssuer:           opt.Issuer,
		TokenURL:                    p.URL(PathToken),
		AccessTokenLifespan:         opt.AccessTokenLifespan,
		RefreshTokenLifespan:        opt.RefreshTokenLifespan,
		IDTokenLifespan:             opt.IDTokenLifespan,
		AuthorizeCodeLifespan:       opt.AuthorizeCodeLifespan,
		GlobalSecret:                opt.TokenKey,
		ClientSecretsHasher:         opt.ClientSecrets,
		EnforcePKCEForPublicClients: true,
		// Plain PKCE gives no protection against a leaked code; refuse it.
		EnablePKCEPlainChallengeMethod: false,
		ScopeStrategy:                  fosite.ExactScopeStrategy,
		AudienceMatchingStrategy:       fosite.DefaultAudienceMatchingStrategy,
		RefreshTokenScopes:             []string{"offline_access"},
		AllowedPromptValues:            []string{"none", "login", "consent"},
		MinParameterEntropy:            fosite.MinParameterEntropy,
		SendDebugMessagesToClients:     opt.Dev,
		TokenEntropy:                   32,
		// RFC 9068: scope is one space-separated string.
		JWTScopeClaimKey: jwt.JWTScopeFieldString,
	}
	keyGetter := func(ctx context.Context) (interface{}, error) {
		alg := opt.SigningAlgorithm
		if a, ok := ctx.Value(signingAlgKey{}).(string); ok && a != "" {
			alg = a // the client's id_token_signed_response_alg
		}
		return opt.Keys.SigningKey(ctx, alg)
	}
	p.idStrategy = compose.NewOpenIDConnectStrategy(keyGetter, cfg)
	signer := &jwt.DefaultSigner{GetPrivateKey: keyGetter}
	hmacStrategy := compose.NewOAuth2HMACStrategy(cfg)
	p.store.codeSignature = hmacStrategy.AuthorizeCodeSignature
	strategy := &compose.CommonStrategy{
		CoreStrategy: &tokenStrategy{
			HMACSHAStrategy: hmacStrategy,
			jwt:             &oauth2.DefaultJWTStrategy{Signer: signer, HMACSHAStrategy: hmacStrategy, Config: cfg},
			now:             opt.Now,
		},
		OpenIDConnectTokenStrategy: p.idStrategy,
		Signer:                     signer,
	}
	p.oauth = compose.Compose(cfg, p.store, strategy,
		compose.OAuth2AuthorizeExplicitFactory,
		compose.OAuth2ClientCredentialsGrantFactory,
		compose.OAuth2RefreshTokenGrantFactory,
		compose.OpenIDConnectExplicitFactory,
		compose.OpenIDConnectRefreshFactory,
		compose.OAuth2TokenIntrospectionFactory,
		compose.OAuth2TokenRevocationFactory,
		compose.OAuth2PKCEFactory,
	)
	return p, nil
}

// signingAlgKey carries a client's own signing algorithm to the key getter.
type signingAlgKey struct{}

// URL is the absolute URL of an endpoint path.
func (p *Provider) URL(path string) string {
	return strings.TrimSuffix(p.opt.Issuer, "/") + path
}

// Path is the absolute URL path of an endpoint (the issuer's path plus path).
func (p *Provider) Path(path string) string { return p.prefix + path }
