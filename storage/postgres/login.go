package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/lockstep-id/lockstep/storage"
)

// lookupLoginSQL reads the throttle counts for every key ($2) whatever the email,
// and, when the email ($1) is a user's, the user with their factor summary and
// consent for the client ($4): one statement, so an unknown email costs the same
// round trip as a known one. lookupLoginByIDSQL is the same for a user id ($1).
var lookupLoginSQL = `SELECT
	ARRAY(SELECT coalesce(t.count, 0) FROM unnest($2::text[]) WITH ORDINALITY AS k(key, n)
		LEFT JOIN throttle t ON t.key = k.key AND t.reset_at > $3 ORDER BY k.n),
	u.id, u.email, u.password_hash, u.given_name, u.family_name, u.disabled, u.created_at, u.updated_at,
	u.org_id, u.groups, u.mfa_deadline, u.setup_offered_at, u.email_verified, u.totp, u.webauthn, u.phone, u.recovery_codes, u.scopes, u.granted_at
FROM (SELECT 1) AS one LEFT JOIN LATERAL (
	SELECT users.*,` + factorSummaryColumns("users.id") + `,
		c.scopes, c.granted_at
	FROM users LEFT JOIN consents c ON c.user_id = users.id AND c.client_id = $4
	WHERE users.email = $1) AS u ON true`

var lookupLoginByIDSQL = strings.Replace(lookupLoginSQL, "WHERE users.email = $1", "WHERE users.id = $1", 1)

func (s *Store) LookupLogin(ctx context.Context, q storage.LoginLookup) (storage.Login, error) {
	var (
		l                                     storage.Login
		id, email, hash, given, family, orgID *string
		disabled, verified, totp              *bool
		webauthn, phone                       *bool
		recoveryCodes                         *int
		created, updated, deadline, grantedAt *time.Time
		offered                               *time.Time
		scopes, groups                        []string
	)
	query, who := lookupLoginSQL, q.Email
	switch {
	case (q.Email == "") == (q.UserID == ""):
		return storage.Login{}, fmt.Errorf("postgres: look up login: give an email or a user id, one of them: %w", storage.ErrInvalid)
	case q.UserID != "":
		query, who = lookupLoginByIDSQL, q.UserID
	}
	err := s.pool.QueryRow(ctx, query, who, q.ThrottleKeys, q.Now, q.ClientID).Scan(&l.Throttles,
		&id, &email, &hash, &given, &family, &disabled, &created, &updated, &orgID, &groups, &deadline, &offered, &verified, &totp, &webauthn, &phone, &recoveryCodes, &scopes, &grantedAt)
	if err != nil {
		return storage.Login{}, fmt.Errorf("postgres: look up login of %q: %w", who, unavailable(err))
	}
	if id == nil {
		return l, nil
	}
	l.Found = true
	l.User = storage.User{ID: *id, Email: *email, EmailVerified: *verified, PasswordHash: *hash, GivenName: *given, FamilyName: *family,
		Disabled: *disabled, CreatedAt: *created, UpdatedAt: *updated, OrgID: *orgID, Groups: groups,
		MFADeadline: fromNullTime(deadline), SetupOfferedAt: fromNullTime(offered)}
	l.Factors = storage.FactorSummary{TOTP: *totp, WebAuthn: *webauthn, Phone: *phone, RecoveryCodes: *recoveryCodes}
	if grantedAt != nil {
		l.Consent = &storage.Consent{UserID: *id, ClientID: q.ClientID, Scopes: scopes, GrantedAt: *grantedAt}
	}
	return l, nil
}
