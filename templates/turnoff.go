package templates

import "io"

// TurnOffPage asks before two-step verification is turned off (ACC-4): it lists
// everything that will be removed and posts confirm=yes to Action. Refused, it
// says why instead (the organisation requires two-step verification).
type TurnOffPage struct {
	Page
	Action    string
	CancelURL string

	Apps              []string
	Keys              []string
	Phone             string
	RecoveryUnused    int
	RememberedDevices int
	TrustedAddresses  int
	OtherSessions     int

	Error string
	// Refused: the organisation's policy requires two-step verification.
	Refused  bool
	Deadline string // when the organisation's requirement started or starts
}

// TurnOff renders the page that turns two-step verification off.
func (r *Renderer) TurnOff(w io.Writer, p TurnOffPage) error {
	if p.Title == "" {
		p.Title = "Turn off two-step verification"
	}
	return r.render(w, pageTurnOff, p)
}
