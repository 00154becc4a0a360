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
// Every request that drives fosite begins a batch and commits it (tokenBatch).
type fositeStore struct {
	store   tokenStore
	clients *ClientCache
	now     func() time.Time
	// codeSignature is the authorization code's signature, under which the code's
	// PKCE and OpenID Connect records are kept too, so one read finds all three.
	codeSignature func(ctx context.Context, code string) string
}

// tokenBatch is one request's use of the fosite store, opened by begin and ended by
// commit (or take). fosite's storage methods get only a context, so the batch
// travels in it; the token methods find it there and refuse to work without an
// open one (errNoBatch), so a request that drives fosite must open one, and a
// write can never be lost to a batch that was already stored.
//
// What each method does with the batch is fixed, whatever the request:
//   - what fosite creates (a code with its PKCE and OpenID Connect records, access
//     and refresh tokens) and the spending of a code or a refresh token wait in it,
//     so a request that fails stores nothing and one that succeeds spends and
//     stores in one statement;
//   - reading a code reads its PKCE and OpenID Connect records with it, and the
//     batch keeps them for the reads that follow in the same request;
//   - the revocations and the client assertion's jti happen at once: fosite acts
//     on a known jti (a replay), and the revocations that answer a reused code or
//     refresh token must outlast the request they fail.
type tokenBatch struct {
	records []record
	// forms are the PKCE and OpenID Connect records, which go into their code's row.
	forms []record
	reads []storage.Token
	// consume is the authorization code to spend with the writes, "" for none.
	consume string
	// rotate is the refresh token a refresh grant spends with its writes ("" for
	// none), and family the grant's request id.
	rotate, family string
	// ended is set by commit and take, which hand the writes on: a later one would
	// be lost.
	ended bool
}

// record is a token row and the request its Data is marshalled from, kept apart
// until the batch is stored so that a code's request can take its PKCE and OpenID
// Connect forms (storedRequest.PKCEForm, OIDCForm) first: one row instead of three.
type record struct {
	row storage.Token
	req storedRequest
}

type tokenBatchKey struct{}

// errNoBatch refuses a token method used where the request has no open batch.
var errNoBatch = errors.New("fosite store: no open token batch")

// codeRecords are the kinds of the rows an authorization code's PKCE and OpenID
// Connect records had before they moved into the code's row; spending a code
// still deletes such rows.
var codeRecords = []storage.TokenKind{storage.TokenPKCE, storage.TokenOIDC}

// begin opens the request's batch, to pass to fosite in the returned context.
//
// fosite's own seam for this, storage.Transactional, does not fit: fosite begins
// and commits its transactions inside a few handlers (around the code grant's and
// the refresh grant's token writes and the refresh reuse revocations), none around
// the authorize response's records, and commits the code grant's before the
// OpenID Connect handler has issued the ID token; and a sign-in stores its records
// in a transaction of its own (take). So fositeStore does not implement it, which
// leaves fosite's MaybeBeginTx and MaybeCommitTx doing nothing, and the endpoints
// begin and commit around the whole request instead.
func (s *fositeStore) begin(ctx context.Context) (context.Context, *tokenBatch) {
	b := &tokenBatch{}
	return context.WithValue(ctx, tokenBatchKey{}, b), b
}

// batchOf is the request's open batch, for the token method op.
func batchOf(ctx context.Context, op string) (*tokenBatch, error) {
	b, _ := ctx.Value(tokenBatchKey{}).(*tokenBatch)
	switch {
	case b == nil:
		return nil, fmt.Errorf("%s: %w in the context (fositeStore.begin opens one)", op, errNoBatch)
	case b.ended:
		return nil, fmt.Errorf("%s: %w: the request's batch was stored already", op, errNoBatch)
	}
	return b, nil
}

// commit ends the batch and stores what it collected, spending the code the tokens
// were issued for in the same statement when there is one: of concurrent
// redemptions only the one that spends the code stores anything, and the others
// get storage.ErrConflict. A batch with nothing to store costs no round trip.
func (s *fositeStore) commit(ctx context.Context, b *tokenBatch) error {
	ts, err := b.end()
	if err != nil {
		return err
	}
	switch {
	case b.consume != "":
		err = s.store.ConsumeTokenCreating(ctx, storage.TokenAuthorizeCode, b.consume, codeRecords, ts)
	case b.rotate != "":
		return s.rotate(ctx, b, ts)
	case len(ts) > 0:
		err = s.store.CreateTokens(ctx, ts)
	}
	if err != nil {
		return fmt.Errorf("store tokens: %w", err)
	}
	return nil
}

// rotate spends the refresh token, ends the family's earlier access tokens and
// stores the successors in one statement, so of concurrent refreshes exactly one
// stores new tokens, and the ones that lose then revoke the family, the winner's
// new tokens with it (they share the request id): a refresh token used twice
// leaves nothing alive, however the two requests interleave.
func (s *fositeStore) rotate(ctx context.Context, b *tokenBatch, ts []storage.Token) error {
	err := s.store.SpendRefreshToken(ctx, b.rotate, b.family, ts)
	if errors.Is(err, storage.ErrConflict) {
		for _, kind := range []storage.TokenKind{storage.TokenRefresh, storage.TokenAccess} {
			if rerr := s.store.DeactivateTokensByRequestID(ctx, kind, b.family); rerr != nil {
				return fmt.Errorf("revoke a reused refresh token's family: %w", rerr)
			}
		}
	}
	if err != nil {
		return fmt.Errorf("rotate refresh token: %w", err)
	}
	return nil
}

// take ends the batch and returns its rows, for a sign-in that stores them in its
// own transaction with the spent flow. Only commit spends a code, so a batch that
// spends one cannot be taken.
func (s *fositeStore) take(b *tokenBatch) ([]storage.Token, error) {
	if b.consume != "" || b.rotate != "" {
		return nil, errors.New("fosite store: a token batch that spends a code or a refresh token must be committed")
	}
	return b.end()
}

// end marks the batch ended and returns its rows: each code's request gets its
// PKCE and OpenID Connect forms before it is marshalled; a form whose code is not
// in the batch (fosite always creates them together) becomes a row of its own.
func (b *tokenBatch) end() ([]storage.Token, error) {
	if b.ended {
		return nil, fmt.Errorf("end: %w: it was stored already", errNoBatch)
	}
	b.ended = true
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

// SetClientAssertionJWT records the jti at once (see tokenBatch).
func (s *fositeStore) SetClientAssertionJWT(ctx context.Context, jti string, exp time.Time) error {
	if _, err := batchOf(ctx, "record client assertion"); err != nil {
		return err
	}
	err := s.store.UseNonce(ctx, "jti:"+jti, exp, s.now())
	if errors.Is(err, storage.ErrConflict) {
		return fosite.ErrJTIKnown
	}
	return err
}

// create adds the record of req to the request's batch.
func (s *fositeStore) create(ctx context.Context, kind storage.TokenKind, signature string, req fosite.Requester) error {
	b, err := batchOf(ctx, "create "+string(kind))
	if err != nil {
		return err
	}
	r, err := s.record(kind, signature, req)
	if err != nil {
		return err
	}
	if kind == storage.TokenPKCE || kind == storage.TokenOIDC {
		b.forms = append(b.forms, r)
	} else {
		b.records = append(b.records, r)
	}
	return nil
}

// record is what storing req writes. The session is marshalled now, since fosite
// goes on changing it after storing the request (the ID token's claims); the rest
// of req is the copy fosite made for storage (Sanitize).
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
// the same token request asks for next; the batch keeps them, so within a request
// each is read once.
func (s *fositeStore) read(ctx context.Context, kind storage.TokenKind, signature string) (storage.Token, error) {
	b, err := batchOf(ctx, "read "+string(kind))
	if err != nil {
		return storage.Token{}, err
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

// InvalidateAuthorizeCodeSession spends the code with the batch's commit, which
// spends it and stores the new tokens in one statement: of concurrent redemptions
// exactly one succeeds and stores anything, and the others' conflict becomes
// invalid_grant at the token endpoint.
//
// The code's PKCE and OpenID Connect records go in the same step: the token request
// read them with the code (see read) and nothing needs them afterwards, so fosite's
// own deletes of them have nothing left to do.
func (s *fositeStore) InvalidateAuthorizeCodeSession(ctx context.Context, code string) error {
	b, err := batchOf(ctx, "spend authorization code")
	if err != nil {
		return err
	}
	b.consume = code
	return nil
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
	if _, err := batchOf(ctx, "delete access token"); err != nil {
		return err
	}
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
	if _, err := batchOf(ctx, "delete refresh token"); err != nil {
		return err
	}
	return s.store.DeleteToken(ctx, storage.TokenRefresh, signature)
}

// RotateRefreshToken spends the refresh token with the batch's commit (rotate),
// together with storing its successors, instead of at once: spent at once, a
// concurrent refresh that lost could revoke the family before the winner stored
// its new tokens, which then stayed alive. A token fosite already found spent is
// reuse, answered by fosite's own revocation before it gets here.
func (s *fositeStore) RotateRefreshToken(ctx context.Context, requestID, signature string) error {
	b, err := batchOf(ctx, "rotate refresh token")
	if err != nil {
		return err
	}
	b.rotate, b.family = signature, requestID
	return nil
}

// RevokeRefreshToken and RevokeAccessToken revoke at once (see tokenBatch).
func (s *fositeStore) RevokeRefreshToken(ctx context.Context, requestID string) error {
	if _, err := batchOf(ctx, "revoke refresh tokens"); err != nil {
		return err
	}
	return s.store.DeactivateTokensByRequestID(ctx, storage.TokenRefresh, requestID)
}

func (s *fositeStore) RevokeAccessToken(ctx context.Context, requestID string) error {
	if _, err := batchOf(ctx, "revoke access tokens"); err != nil {
		return err
	}
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
