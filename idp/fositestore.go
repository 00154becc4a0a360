package idp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/oauth2"
	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/handler/pkce"

	"github.com/lockstep-id/lockstep/storage"
)

// fositeStore adapts storage.Storage to the storage interfaces fosite's handlers
// declare. It is the only place that turns fosite requests into storage records.
type fositeStore struct {
	store   storage.Storage
	clients *ClientCache
	now     func() time.Time
	// codeSignature is the authorization code's signature, under which the code's
	// PKCE and OpenID Connect records are kept too, so one read finds all three.
	codeSignature func(ctx context.Context, code string) string
}

// tokenBatch collects what one authorize or token request stores, so it reaches
// the store in one round trip when the request succeeds (and not at all when it
// fails), and holds the PKCE and OpenID Connect records read with the code.
type tokenBatch struct {
	writes []storage.Token
	reads  []storage.Token
	// consume is the authorization code to spend with the writes, "" for none.
	consume string
}

type tokenBatchKey struct{}

// codeRecords are the records kept under an authorization code's signature.
var codeRecords = []storage.TokenKind{storage.TokenPKCE, storage.TokenOIDC}

// withTokenBatch makes the fosite store buffer the tokens created under ctx until
// flush.
func withTokenBatch(ctx context.Context) (context.Context, *tokenBatch) {
	b := &tokenBatch{}
	return context.WithValue(ctx, tokenBatchKey{}, b), b
}

func batchOf(ctx context.Context) *tokenBatch {
	b, _ := ctx.Value(tokenBatchKey{}).(*tokenBatch)
	return b
}

// flush stores the buffered tokens, spending the code they were issued for in the
// same statement when there is one: of concurrent redemptions only the one that
// spends the code stores anything, and the others get storage.ErrConflict.
func (s *fositeStore) flush(ctx context.Context, b *tokenBatch) error {
	var err error
	if b.consume != "" {
		err = s.store.ConsumeTokenCreating(ctx, storage.TokenAuthorizeCode, b.consume, codeRecords, b.writes)
	} else {
		err = s.store.CreateTokens(ctx, b.writes)
	}
	if err != nil {
		return fmt.Errorf("store tokens: %w", err)
	}
	b.writes, b.consume = nil, ""
	return nil
}

var (
	_ fosite.Storage                     = (*fositeStore)(nil)
	_ oauth2.CoreStorage                 = (*fositeStore)(nil)
	_ oauth2.TokenRevocationStorage      = (*fositeStore)(nil)
	_ openid.OpenIDConnectRequestStorage = (*fositeStore)(nil)
	_ pkce.PKCERequestStorage            = (*fositeStore)(nil)
)

// storedRequest is the JSON form of a fosite request kept in storage.Token.Data.
type storedRequest struct {
	ID                string          `json:"id"`
	RequestedAt       time.Time       `json:"requested_at"`
	ClientID          string          `json:"client_id"`
	RequestedScope    []string        `json:"requested_scope"`
	GrantedScope      []string        `json:"granted_scope"`
	RequestedAudience []string        `json:"requested_audience"`
	GrantedAudience   []string        `json:"granted_audience"`
	Form              url.Values      `json:"form"`
	Session           json.RawMessage `json:"session"`
}

func (s *fositeStore) GetClient(ctx context.Context, id string) (fosite.Client, error) {
	c, err := s.clients.get(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, fosite.ErrNotFound.WithWrap(err)
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

func (s *fositeStore) ClientAssertionJWTValid(ctx context.Context, jti string) error {
	// Checked for real in SetClientAssertionJWT, which records the jti atomically.
	return nil
}

func (s *fositeStore) SetClientAssertionJWT(ctx context.Context, jti string, exp time.Time) error {
	err := s.store.UseNonce(ctx, "jti:"+jti, exp, s.now())
	if errors.Is(err, storage.ErrConflict) {
		return fosite.ErrJTIKnown
	}
	return err
}

func (s *fositeStore) create(ctx context.Context, kind storage.TokenKind, signature string, req fosite.Requester) error {
	data, err := marshalRequest(req)
	if err != nil {
		return err
	}
	exp := s.now().Add(24 * time.Hour)
	if t := expiryFor(kind, req); !t.IsZero() {
		exp = t
	}
	t := storage.Token{
		Kind:      kind,
		Signature: signature,
		RequestID: req.GetID(),
		ClientID:  req.GetClient().GetID(),
		Subject:   req.GetSession().GetSubject(),
		Active:    true,
		Data:      data,
		CreatedAt: s.now(),
		ExpiresAt: exp,
	}
	if b := batchOf(ctx); b != nil {
		b.writes = append(b.writes, t)
		return nil
	}
	return s.store.CreateToken(ctx, t)
}

// expiryFor is when a stored record can be deleted: the token's own expiry.
func expiryFor(kind storage.TokenKind, req fosite.Requester) time.Time {
	sess := req.GetSession()
	switch kind {
	case storage.TokenAccess:
		return sess.GetExpiresAt(fosite.AccessToken)
	case storage.TokenRefresh:
		return sess.GetExpiresAt(fosite.RefreshToken)
	default:
		return sess.GetExpiresAt(fosite.AuthorizeCode)
	}
}

func (s *fositeStore) get(ctx context.Context, kind storage.TokenKind, signature string, session fosite.Session) (fosite.Requester, storage.Token, error) {
	t, err := s.read(ctx, kind, signature)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, t, fosite.ErrNotFound.WithWrap(err)
	}
	if err != nil {
		return nil, t, err
	}
	req, err := s.unmarshalRequest(ctx, t.Data, session)
	return req, t, err
}

// read loads a token. Reading an authorization code also loads its PKCE and OpenID
// Connect records, which the same token request asks for next; within a request
// each is read once.
func (s *fositeStore) read(ctx context.Context, kind storage.TokenKind, signature string) (storage.Token, error) {
	b := batchOf(ctx)
	if b == nil {
		return s.store.GetToken(ctx, kind, signature)
	}
	for _, t := range b.reads {
		if t.Kind == kind && t.Signature == signature {
			return t, nil
		}
	}
	if kind != storage.TokenAuthorizeCode {
		return s.store.GetToken(ctx, kind, signature)
	}
	ts, err := s.store.GetTokens(ctx, signature, storage.TokenAuthorizeCode, storage.TokenPKCE, storage.TokenOIDC)
	if err != nil {
		return storage.Token{}, err
	}
	if len(ts) == 0 || ts[0].Kind != storage.TokenAuthorizeCode {
		return storage.Token{}, fmt.Errorf("authorization code: %w", storage.ErrNotFound)
	}
	// The code too: fosite reads it again before consuming it, and the consumption,
	// not that second read, is what decides between concurrent redemptions.
	b.reads = append(b.reads, ts...)
	return ts[0], nil
}

func marshalRequest(req fosite.Requester) ([]byte, error) {
	sess, err := json.Marshal(req.GetSession())
	if err != nil {
		return nil, fmt.Errorf("marshal session: %w", err)
	}
	return json.Marshal(storedRequest{
		ID:                req.GetID(),
		RequestedAt:       req.GetRequestedAt(),
		ClientID:          req.GetClient().GetID(),
		RequestedScope:    req.GetRequestedScopes(),
		GrantedScope:      req.GetGrantedScopes(),
		RequestedAudience: req.GetRequestedAudience(),
		GrantedAudience:   req.GetGrantedAudience(),
		Form:              req.GetRequestForm(),
		Session:           sess,
	})
}

func (s *fositeStore) unmarshalRequest(ctx context.Context, data []byte, session fosite.Session) (fosite.Requester, error) {
	var sr storedRequest
	if err := json.Unmarshal(data, &sr); err != nil {
		return nil, fmt.Errorf("unmarshal stored request: %w", err)
	}
	if session == nil {
		session = newSession()
	}
	if err := json.Unmarshal(sr.Session, session); err != nil {
		return nil, fmt.Errorf("unmarshal stored session: %w", err)
	}
	client, err := s.GetClient(ctx, sr.ClientID)
	if err != nil {
		return nil, err
	}
	return &fosite.Request{
		ID:                sr.ID,
		RequestedAt:       sr.RequestedAt,
		Client:            client,
		RequestedScope:    sr.RequestedScope,
		GrantedScope:      sr.GrantedScope,
		RequestedAudience: sr.RequestedAudience,
		GrantedAudience:   sr.GrantedAudience,
		Form:              sr.Form,
		Session:           session,
	}, nil
}

func (s *fositeStore) CreateAuthorizeCodeSession(ctx context.Context, code string, req fosite.Requester) error {
	return s.create(ctx, storage.TokenAuthorizeCode, code, req)
}

func (s *fositeStore) GetAuthorizeCodeSession(ctx context.Context, code string, session fosite.Session) (fosite.Requester, error) {
	req, t, err := s.get(ctx, storage.TokenAuthorizeCode, code, session)
	if err != nil {
		return nil, err
	}
	if !t.Active {
		// fosite needs the request too, to revoke what the first redemption issued.
		return req, fosite.ErrInvalidatedAuthorizeCode
	}
	return req, nil
}

// InvalidateAuthorizeCodeSession spends the code atomically: of concurrent
// redemptions exactly one succeeds, and the others' conflict becomes invalid_grant
// at the token endpoint. In a token request (a batch) the spending waits for flush,
// which spends the code and stores the new tokens in one statement, so a losing
// redemption stores nothing.
//
// The code's PKCE and OpenID Connect records go in the same step: the token request
// read them with the code (see read) and nothing needs them afterwards, so fosite's
// own deletes of them have nothing left to do.
func (s *fositeStore) InvalidateAuthorizeCodeSession(ctx context.Context, code string) error {
	if b := batchOf(ctx); b != nil {
		b.consume = code
		return nil
	}
	return s.store.ConsumeTokenCreating(ctx, storage.TokenAuthorizeCode, code, codeRecords, nil)
}

func (s *fositeStore) CreateAccessTokenSession(ctx context.Context, signature string, req fosite.Requester) error {
	return s.create(ctx, storage.TokenAccess, signature, req)
}

func (s *fositeStore) GetAccessTokenSession(ctx context.Context, signature string, session fosite.Session) (fosite.Requester, error) {
	req, t, err := s.get(ctx, storage.TokenAccess, signature, session)
	if err != nil {
		return nil, err
	}
	if !t.Active {
		return nil, fosite.ErrInactiveToken
	}
	return req, nil
}

func (s *fositeStore) DeleteAccessTokenSession(ctx context.Context, signature string) error {
	return s.store.DeleteToken(ctx, storage.TokenAccess, signature)
}

func (s *fositeStore) CreateRefreshTokenSession(ctx context.Context, signature, _ string, req fosite.Requester) error {
	return s.create(ctx, storage.TokenRefresh, signature, req)
}

func (s *fositeStore) GetRefreshTokenSession(ctx context.Context, signature string, session fosite.Session) (fosite.Requester, error) {
	req, t, err := s.get(ctx, storage.TokenRefresh, signature, session)
	if err != nil {
		return nil, err
	}
	if !t.Active {
		// Returned with the request so fosite can revoke the whole family.
		return req, fosite.ErrInactiveToken
	}
	return req, nil
}

func (s *fositeStore) DeleteRefreshTokenSession(ctx context.Context, signature string) error {
	return s.store.DeleteToken(ctx, storage.TokenRefresh, signature)
}

// RotateRefreshToken consumes the presented refresh token atomically. A caller that
// loses the race presented a token that is already spent: that is reuse, so the
// whole family is revoked before the refusal.
func (s *fositeStore) RotateRefreshToken(ctx context.Context, requestID, signature string) error {
	err := s.store.ConsumeToken(ctx, storage.TokenRefresh, signature)
	if errors.Is(err, storage.ErrConflict) {
		if rerr := s.revokeFamily(ctx, requestID); rerr != nil {
			return rerr
		}
		return fosite.ErrInactiveToken.WithWrap(err)
	}
	if err != nil {
		return err
	}
	return s.store.DeactivateTokensByRequestID(ctx, storage.TokenAccess, requestID)
}

func (s *fositeStore) revokeFamily(ctx context.Context, requestID string) error {
	if err := s.RevokeRefreshToken(ctx, requestID); err != nil {
		return err
	}
	return s.RevokeAccessToken(ctx, requestID)
}

func (s *fositeStore) RevokeRefreshToken(ctx context.Context, requestID string) error {
	return s.store.DeactivateTokensByRequestID(ctx, storage.TokenRefresh, requestID)
}

func (s *fositeStore) RevokeAccessToken(ctx context.Context, requestID string) error {
	return s.store.DeactivateTokensByRequestID(ctx, storage.TokenAccess, requestID)
}

// fosite keys the OpenID Connect session by the authorization code itself; the
// store keeps it under the code's signature, like the code and its PKCE record.
func (s *fositeStore) CreateOpenIDConnectSession(ctx context.Context, code string, req fosite.Requester) error {
	return s.create(ctx, storage.TokenOIDC, s.codeSignature(ctx, code), req)
}

func (s *fositeStore) GetOpenIDConnectSession(ctx context.Context, code string, req fosite.Requester) (fosite.Requester, error) {
	r, _, err := s.get(ctx, storage.TokenOIDC, s.codeSignature(ctx, code), req.GetSession())
	return r, err
}

// DeleteOpenIDConnectSession has nothing to do: the record went with the code
// (InvalidateAuthorizeCodeSession).
func (s *fositeStore) DeleteOpenIDConnectSession(context.Context, string) error { return nil }

func (s *fositeStore) CreatePKCERequestSession(ctx context.Context, signature string, req fosite.Requester) error {
	return s.create(ctx, storage.TokenPKCE, signature, req)
}

func (s *fositeStore) GetPKCERequestSession(ctx context.Context, signature string, session fosite.Session) (fosite.Requester, error) {
	r, _, err := s.get(ctx, storage.TokenPKCE, signature, session)
	return r, err
}

// DeletePKCERequestSession has nothing to do: the challenge goes with the code,
// whose atomic consumption also decides a race between two redemptions
// (InvalidateAuthorizeCodeSession: the loser gets a conflict, which the token
// endpoint reports as invalid_grant).
func (s *fositeStore) DeletePKCERequestSession(context.Context, string) error { return nil }
