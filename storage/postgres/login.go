package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lockstep-id/lockstep/storage"
)

// lookupLoginSQL reads in one statement the throttle counts for every key ($2)
// whatever the email, the flow $5 when there is one, and, when the email ($1) is
// a user's, the user with their factor summary, their consent for the client (the
// flow's, else $4) and, when $6, their authenticator apps, one a row (a user
// without any, or no user, is one row): an unknown email costs the same round
// trip as a known one, and a step's flow none of its own. lookupLoginByIDSQL is
// the same for a user id ($1), or the flow's user when $1 is NULL.
var lookupLoginSQL = `SELECT
	ARRAY(SELECT coalesce(t.count, 0) FROM unnest($2::text[]) WITH ORDINALITY AS k(key, n)
		LEFT JOIN throttle t ON t.key = k.key AND t.reset_at > $3 ORDER BY k.n),
	f.id IS NOT NULL, coalesce(f.browser_hash, ''), coalesce(f.client_id, ''), coalesce(f.authorize_query, ''), f.requested_at,
	coalesce(f.state, ''), coalesce(f.user_id, ''), f.proven, f.expires_at, coalesce(f.version, 0), coalesce(f.kind, ''),
	coalesce(f.declined, false), coalesce(f.return_to, ''), coalesce(f.reset, false),
	u.id, u.email, u.password_hash, u.given_name, u.family_name, u.disabled, u.created_at, u.updated_at,
	u.org_id, u.groups, u.mfa_deadline, u.setup_offered_at, u.email_verified, u.totp, u.webauthn, u.phone, u.recovery_codes, u.scopes, u.granted_at,
	d.id, d.name, d.secret_enc, d.active, d.last_step, d.created_at, d.confirmed_at, d.last_used_at
FROM (SELECT 1) AS one
LEFT JOIN flows f ON f.id = $5
LEFT JOIN LATERAL (
	SELECT users.*,` + factorSummaryColumns("users.id") + `,
		c.scopes, c.granted_at
	FROM users LEFT JOIN consents c ON c.user_id = users.id AND c.client_id = coalesce(f.client_id, $4)
	WHERE users.email = $1) AS u ON true
LEFT JOIN LATERAL (SELECT * FROM totp_devices WHERE $6 AND user_id = u.id) AS d ON true
ORDER BY d.created_at, d.id COLLATE "C"`

var lookupLoginByIDSQL = strings.Replace(lookupLoginSQL, "WHERE users.email = $1", "WHERE users.id = coalesce($1, f.user_id)", 1)

func (s *Store) LookupLogin(ctx context.Context, q storage.LoginLookup) (storage.Login, error) {
	query, who, what := lookupLoginSQL, any(q.Email), q.Email
	switch {
	case q.Email != "" && q.UserID != "", q.Email == "" && q.UserID == "" && q.FlowID == "", q.FlowID != "" && q.ClientID != "":
		return storage.Login{}, fmt.Errorf("postgres: look up login: give an email or a user id (or neither, with a flow), and a client only without a flow: %w", storage.ErrInvalid)
	case q.UserID != "":
		query, who, what = lookupLoginByIDSQL, q.UserID, q.UserID
	case q.Email == "":
		query, who, what = lookupLoginByIDSQL, nil, "the user of flow "+q.FlowID
	}
	rows, err := s.pool.Query(ctx, query, who, q.ThrottleKeys, q.Now, q.ClientID, q.FlowID, q.TOTPDevices)
	if err != nil {
		return storage.Login{}, fmt.Errorf("postgres: look up login of %s: %w", what, unavailable(err))
	}
	var l storage.Login
	first := true
	for rows.Next() {
		if err := scanLogin(rows, &l, first); err != nil {
			rows.Close()
			return storage.Login{}, fmt.Errorf("postgres: look up login of %s: %w", what, unavailable(err))
		}
		first = false
	}
	if err := rows.Err(); err != nil {
		return storage.Login{}, fmt.Errorf("postgres: look up login of %s: %w", what, unavailable(err))
	}
	client := q.ClientID
	if l.Flow != nil {
		l.Flow.ID, client = q.FlowID, l.Flow.ClientID
	}
	if l.Consent != nil {
		l.Consent.UserID, l.Consent.ClientID = l.User.ID, client
	}
	return l, nil
}

// scanLogin reads one row of lookupLoginSQL into l: all of it from the first
// row, only the next authenticator app from the others.
func scanLogin(row pgx.Row, l *storage.Login, first bool) error {
	var (
		flowFound                             bool
		f                                     storage.Flow
		requested, expires                    *time.Time
		id, email, hash, given, family, orgID *string
		disabled, verified, totp              *bool
		webauthn, phone                       *bool
		recoveryCodes                         *int
		created, updated, deadline, grantedAt *time.Time
		offered                               *time.Time
		scopes, groups                        []string
		deviceID, deviceName                  *string
		secret                                []byte
		active                                *bool
		step                                  *int64
		deviceCreated, confirmed, used        *time.Time
	)
	err := row.Scan(&l.Throttles,
		&flowFound, &f.BrowserHash, &f.ClientID, &f.AuthorizeQuery, &requested, &f.State, &f.UserID, &f.Proven, &expires, &f.Version, &f.Kind, &f.Declined, &f.ReturnTo, &f.Reset,
		&id, &email, &hash, &given, &family, &disabled, &created, &updated, &orgID, &groups, &deadline, &offered, &verified, &totp, &webauthn, &phone, &recoveryCodes, &scopes, &grantedAt,
		&deviceID, &deviceName, &secret, &active, &step, &deviceCreated, &confirmed, &used)
	if err != nil {
		return err
	}
	if deviceID != nil {
		l.TOTPDevices = append(l.TOTPDevices, storage.TOTPDevice{ID: *deviceID, UserID: *id, Name: *deviceName, SecretEnc: secret, Active: *active,
			LastStep: *step, CreatedAt: *deviceCreated, ConfirmedAt: fromNullTime(confirmed), LastUsedAt: fromNullTime(used)})
	}
	if !first {
		return nil
	}
	if flowFound {
		f.RequestedAt, f.ExpiresAt = *requested, *expires
		utcProofs(f.Proven)
		l.Flow = &f
	}
	if id == nil {
		return nil
	}
	l.Found = true
	l.User = storage.User{ID: *id, Email: *email, EmailVerified: *verified, PasswordHash: *hash, GivenName: *given, FamilyName: *family,
		Disabled: *disabled, CreatedAt: *created, UpdatedAt: *updated, OrgID: *orgID, Groups: groups,
		MFADeadline: fromNullTime(deadline), SetupOfferedAt: fromNullTime(offered)}
	l.Factors = storage.FactorSummary{TOTP: *totp, WebAuthn: *webauthn, Phone: *phone, RecoveryCodes: *recoveryCodes}
	if grantedAt != nil {
		l.Consent = &storage.Consent{Scopes: scopes, GrantedAt: *grantedAt}
	}
	return nil
}
