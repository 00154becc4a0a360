package storage

import (
	"context"
	"fmt"
	"time"
)

// AdminStore keeps the platform administrators (users who may administer every
// client, user and organisation; organisation administrators are the members of
// an organisation's "administrators" group and need no record here) and answers
// the admin console's and API's searches.
type AdminStore interface {
	// SetPlatformAdmin grants (admin true) or revokes the role and appends audit in
	// the same atomic step. An unknown user gives ErrNotFound; granting a role
	// held or revoking one not held changes nothing but the audit.
	SetPlatformAdmin(ctx context.Context, userID string, admin bool, at time.Time, audit []AuditEvent) error
	// IsPlatformAdmin reports whether the user holds the role.
	IsPlatformAdmin(ctx context.Context, userID string) (bool, error)
	// ListPlatformAdmins returns the platform administrators ordered by ID.
	ListPlatformAdmins(ctx context.Context) ([]User, error)
	// SearchUsers returns the matching users ordered by ID.
	SearchUsers(ctx context.Context, q UserQuery) ([]User, error)
	// CountUsers counts the users SearchUsers would return without After and Limit.
	CountUsers(ctx context.Context, q UserQuery) (int, error)
	// QueryAudit returns matching events in ListAudit's order (newest first).
	QueryAudit(ctx context.Context, q AuditQuery) ([]AuditEvent, error)
	// RenameOrganisation sets the organisation's name and UpdatedAt and appends
	// audit in the same atomic step; ErrNotFound for an unknown organisation.
	RenameOrganisation(ctx context.Context, id, name string, now time.Time, audit []AuditEvent) error
}

// UserQuery narrows SearchUsers and CountUsers; zero fields match everything.
type UserQuery struct {
	// Email matches a part of the (lower-cased) email.
	Email string
	// OrgID matches the users of one organisation; Group those in one of its groups.
	OrgID string
	Group string
	// WithoutSecondFactor matches users with no active app, security key or phone.
	WithoutSecondFactor bool
	// DeadlineBefore, when set, matches users whose MFADeadline is set and before it.
	DeadlineBefore time.Time
	// After is the cursor: only users whose ID sorts after it.
	After string
	// Limit caps the result; zero or less means all.
	Limit int
}

// AuditQuery narrows QueryAudit; zero fields match everything.
type AuditQuery struct {
	UserID   string
	ClientID string
	Type     string
	// OrgID matches the events of the organisation's current users and the events
	// naming it (Detail["org"]).
	OrgID string
	Since time.Time // inclusive
	Until time.Time // exclusive
	// Before is the cursor: the ID of an event; only events after it in the
	// newest-first order. An unknown ID gives ErrNotFound.
	Before string
	// Limit caps the result; zero or less means all.
	Limit int
}

// FieldError refuses the value of one field of a change (it matches ErrInvalid):
// Field names it as the admin API spells it, and Error is the message for the admin.
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return e.Message }
func (e *FieldError) Unwrap() error { return ErrInvalid }

// Invalid returns a FieldError for field with a formatted message.
func Invalid(field, format string, args ...any) error {
	return &FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
}
