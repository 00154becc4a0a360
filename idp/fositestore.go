package idp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
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
	records []record
	// forms are the PKCE and OpenID Connect records, which go into their code's row.
	forms []record
	reads []storage.Token
	// consume is the authorization code to spend with the writes, "" for none.
	consume string
}

// record is a token row and the request its Data is marshalled from, kept apart
// until the batch is stored so that a code's request can take its PKCE and OpenID
// Connect forms (storedRequest.PKCEForm, OIDCForm) first: one row instead of three.
type record struct {
	row storage.Token
	req storedRequest
}

type tokenBatchKey struct{}

// codeRecords are the kinds of the rows an authorization code's PKCE and OpenID
// Connect records had before they moved into the code's row; spending a code
// still deletes such rows.
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
	ts, err := s.tokens(b)
	if err != nil {
		return err
	}
	if b.consume != "" {
		err = s.store.ConsumeTokenCreating(ctx, storage.TokenAuthorizeCode, b.consume, codeRecords, ts)
	} else {
		err = s.store.CreateTokens(ctx, ts)
	}
	if err != nil {
		return fmt.Errorf("store tokens: %w", err)
	}
	b.records, b.forms, b.consume = nil, nil, ""
	return nil
}

// tokens are the batch's rows: each code's request gets its PKCE and OpenID Connect
// forms before it is marshalled; a form whose code is not in the batch (fosite
// always creates them together) becomes a row of its own.
func (s *fositeStore) tokens(b *tokenBatch) ([]storage.Token, error) {
	rs := slices.Clone(b.records)
	for _, f := range b.forms {
		i := slices.IndexFunc(rs, func(r record) bool {
			return r.row.Kind == storage.TokenAuthorizeCode && r.row.Signature == f.row.Signature
		})
		if i < 0 {
			rs = append(rs, f)
			continue
		}
		form := f.req.Form
		if f.row.Kind == storage.TokenPKCE {
			rs[i].req.PKCEForm = &form
		} else {
			rs[i].req.OIDCForm = &form
		}
	}
	ts := make([]storage.Token, len(rs))
	for i, r := range rs {
		t, err := r.token()
		if err != nil {
			return nil, err
		}
		ts[i] = t
	}
	return ts, nil
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
	// PKCEForm and OIDCForm, in a code's row, are its PKCE and OpenID Connect
	// records: the same request with these form fields (absent: no such record).
	PKCEForm *url.Values `json:"pkce_form,omitempty"`
	OIDCForm *url.Values `json:"oidc_form,omitempty"`
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
	r, err := s.record(kind, signature, req)
	if err != nil {
		return err
	}
	b := batchOf(ctx)
	switch {
	case b != nil && (kind == storage.TokenPKCE || kind == storage.TokenOIDC):
		b.forms = append(b.forms, r)
	case b != nil:
		b.records = append(b.records, r)
	default:
		t, err := r.token()
		if err != nil {
			return err
		}
		return s.store.CreateToken(ctx, t)
	}
	return nil
}

// record is what storing req writes; its session is marshalled now, as fosite
// stores it.
func (s *fositeStore) record(kind storage.TokenKind, signature string, req fosite.Requester) (record, error) {
	sr, err := newStoredRequest(req)
	if err != nil {
		return record{}, err
	}
	exp := s.now().Add(24 * time.Hour)
	if t := expiryFor(kind, req); !t.IsZero() {
		exp = t
	}
	return record{row: storage.Token{
		Kind:      kind,
		Signature: signature,
		RequestID: req.GetID(),
		ClientID:  req.GetClient().GetID(),
		Subject:   req.GetSession().GetSubject(),
		Active:    true,
		CreatedAt: s.now(),
		ExpiresAt: exp,
	}, req: sr}, nil
}

// token is the record's row with its request marshalled into Data.
func (r record) token() (storage.Token, error) {
	data, err := json.Marshal(r.req)
	if err != nil {
		return storage.Token{}, fmt.Errorf("marshal %s request: %w", r.row.Kind, err)
	}
	t := r.row
	t.Data = data
	return t, nil
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
	sr, t, err := s.stored(ctx, kind, signature)
	if errors.Is(err, fosite.ErrNotFound) && (kind == storage.TokenPKCE || kind == storage.TokenOIDC) {
		return s.getFromCode(ctx, kind, signature, session)
	}
	if err != nil {
		return nil, t, err
	}
	req, err := s.request(ctx, sr, session)
	return req, t, err
}

// getFromCode returns a PKCE or OpenID Connect record kept in its code's row. It
// goes with the code: a spent code has none, as when they were rows of their own.
func (s *fositeStore) getFromCode(ctx context.Context, kind storage.TokenKind, signature string, session fosite.Session) (fosite.Requester, storage.Token, error) {
	sr, t, err := s.stored(ctx, storage.TokenAuthorizeCode, signature)
	if err != nil {
		return nil, t, err
	}
	form := sr.PKCEForm
	if kind == storage.TokenOIDC {
		form = sr.OIDCForm
	}
	if form == nil || !t.Active {
		return nil, t, fosite.ErrNotFound.WithWrap(fmt.Errorf("%s record of a code: %w", kind, storage.ErrNotFound))
	}
	sr.Form = *form
	req, err := s.request(ctx, sr, session)
	return req, t, err
}

// stored reads a token and decodes its request; a missing one is fosite's not found.
func (s *fositeStore) stored(ctx context.Context, kind storage.TokenKind, signature string) (storedRequest, storage.Token, error) {
	t, err := s.read(ctx, kind, signature)
	if errors.Is(err, storage.ErrNotFound) {
		return storedRequest{}, t, fosite.ErrNotFound.WithWrap(err)
	}
	if err != nil {
		return storedRequest{}, t, err
	}
	sr, err := decodeRequest(t.Data)
	return sr, t, err
}

// read loads a token. Reading an authorization code also loads its PKCE and OpenID
// Connect records (rows of their own before they moved into the code's row), which
// the same token request asks for next; within a request each is read once.
func (s *fositeStore) read(ctx context.Context, kind storage.TokenKind, signature string) (storage.Token, error) {
	b := batchOf(ctx)
	if b == nil {
		return s.store.GetToken(ctx, kind, signature)
	}
	codeRead := false
	for _, t := range b.reads {
		if t.Kind == kind && t.Signature == signature {
			return t, nil
		}
		codeRead = codeRead || (t.Kind == storage.TokenAuthorizeCode && t.Signature == signature)
	}
	if codeRead {
		// Read with the code: it has no such record.
		return storage.Token{}, fmt.Errorf("%s record: %w", kind, storage.ErrNotFound)
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

// newStoredRequest is the stored form of a fosite request.
func newStoredRequest(req fosite.Requester) (storedRequest, error) {
	sess, err := json.Marshal(req.GetSession())
	if err != nil {
		return storedRequest{}, fmt.Errorf("marshal session: %w", err)
	}
	return storedRequest{
		ID:                req.GetID(),
		RequestedAt:       req.GetRequestedAt(),
		ClientID:          req.GetClient().GetID(),
		RequestedScope:    req.GetRequestedScopes(),
		GrantedScope:      req.GetGrantedScopes(),
		RequestedAudience: req.GetRequestedAudience(),
		GrantedAudience:   req.GetGrantedAudience(),
		Form:              req.GetRequestForm(),
		Session:           sess,
	}, nil
}

func decodeRequest(data []byte) (storedRequest, error) {
	var sr storedRequest
	if err := json.Unmarshal(data, &sr); err != nil {
		return sr, fmt.Errorf("unmarshal stored request: %w", err)
	}
	return sr, nil
}

// request rebuilds a fosite request from its stored form, into session.
func (s *fositeStore) request(ctx context.Context, sr storedRequest, session fosite.Session) (fosite.Requester, error) {
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
