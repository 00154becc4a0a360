package orgs

import (
	"context"
	"fmt"
	"time"

	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/storage"
)

// RuleStore is what Rules reads and writes.
type RuleStore interface {
	GetOrganisation(ctx context.Context, id string) (storage.Organisation, error)
	GetUser(ctx context.Context, id string) (storage.User, error)
	UpdateUser(ctx context.Context, u storage.User) error
}

// Rules tell the sign-in's policy what a user's organisation asks of them
// (flows.CompanyRules): whether its policy covers the user, and the deadline the
// store fixed when it started to. A user in no organisation gets the zero rule
// (the server-wide settings); a member the policy does not cover is offered the
// set-up at their first sign-in, once.
type Rules struct {
	Store RuleStore
	Now   func() time.Time
}

// RuleFor reads u's organisation (one round trip, only for users in one).
func (r Rules) RuleFor(ctx context.Context, u storage.User) (flows.Company, error) {
	if u.OrgID == "" {
		return flows.Company{}, nil
	}
	o, err := r.Store.GetOrganisation(ctx, u.OrgID)
	if err != nil {
		return flows.Company{}, fmt.Errorf("load organisation %q: %w", u.OrgID, err)
	}
	if !Covered(o, u) {
		return flows.Company{FirstSignIn: u.SetupOfferedAt.IsZero()}, nil
	}
	return flows.Company{Covered: true, Deadline: u.MFADeadline}, nil
}

// SetupOffered records that the user answered the first sign-in's offer.
func (r Rules) SetupOffered(ctx context.Context, userID string) error {
	u, err := r.Store.GetUser(ctx, userID)
	if err != nil {
		return fmt.Errorf("load user: %w", err)
	}
	if !u.SetupOfferedAt.IsZero() {
		return nil
	}
	u.SetupOfferedAt = r.Now().UTC()
	if err := r.Store.UpdateUser(ctx, u); err != nil {
		return fmt.Errorf("note the set-up offer: %w", err)
	}
	return nil
}
