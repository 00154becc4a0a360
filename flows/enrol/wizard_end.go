package enrol

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/flows/factor"
	"github.com/lockstep-id/lockstep/flows/sms"
	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/templates"
)

// wizardPhone is the phone form inside the wizard: the first factor when the run
// has none yet (a user without an app), else a backup that can be skipped.
func (s *Handlers) wizardPhone(z wizard, first bool) PhoneSetup {
	ps := PhoneSetup{UserID: z.user.ID, ClientID: z.clientID(), FlowID: z.flowID(), Key: z.phoneKey(),
		Form: s.Path(PathSetupPhone), Resend: s.Path(PathSetupPhoneResend), Backup: !first,
		Steps: func(stage string) []templates.Step {
			step := stepPhone
			if stage == stageCode {
				step = stepPhoneCode
			}
			return s.wizardSteps(step, first)
		}}
	if first {
		ps.Back = s.wizardURL(z, PathSetup, nil)
	} else {
		ps.Skip = s.wizardURL(z, PathSetupCodes, nil)
	}
	if z.flow == nil {
		ps.Cancel = s.Path(flows.PathAccount)
	}
	return ps
}

// openPhone opens the run for its phone steps: first says the phone will be its
// first factor.
func (s *Handlers) openPhone(w http.ResponseWriter, r *http.Request) (z wizard, first bool, res flows.Result, ok bool, err error) {
	z, res, ok, err = s.openWizard(w, r, PathSetupPhone+"?change=1", flows.StateEnrol, flows.StateRecoveryCodes)
	if !ok {
		return z, false, res, false, err
	}
	if s.SMS == nil {
		return z, false, res, false, flows.ErrNoSMS
	}
	if z.flow != nil {
		return z, z.flow.Is(flows.StateEnrol), res, true, nil
	}
	on, err := s.hasSecondFactor(r.Context(), z.user.ID)
	return z, !on, res, err == nil, err
}

// SetupPhonePage is steps 5 and 6: a backup number and the code texted to it (or
// the first factor, for a user who has no authenticator app).
func (s *Handlers) SetupPhonePage(w http.ResponseWriter, r *http.Request) (flows.Result, error) {
	z, first, res, ok, err := s.openPhone(w, r)
	if !ok {
		return res, err
	}
	return flows.Result{}, s.ShowPhone(w, r, s.wizardPhone(z, first))
}

// SetupPhone takes the number, then the code; a proven number goes on to the
// recovery codes.
func (s *Handlers) SetupPhone(w http.ResponseWriter, r *http.Request) (flows.Result, error) {
	z, first, res, ok, err := s.openPhone(w, r)
	if !ok {
		return res, err
	}
	phone, ok, err := s.SubmitPhone(w, r, s.wizardPhone(z, first))
	if !ok {
		return flows.Result{}, err
	}
	if first {
		if err := s.proven(w, r, &z, storage.FactorProof{Method: factor.AMRSMS, At: phone.VerifiedAt}); err != nil {
			return flows.Result{}, err
		}
	}
	return flows.RedirectTo(s.wizardURL(z, PathSetupCodes, nil)), nil
}

// SetupPhoneResend texts a new code to the number being set up.
func (s *Handlers) SetupPhoneResend(w http.ResponseWriter, r *http.Request) (flows.Result, error) {
	z, first, res, ok, err := s.openPhone(w, r)
	if !ok {
		return res, err
	}
	return flows.Result{}, s.ResendPhone(w, r, s.wizardPhone(z, first))
}

// sealCodes keeps the run's new recovery codes, encrypted, until the user says
// they stored them: their page can be reloaded without making (and so killing)
// another set.
func (s *Handlers) sealCodes(ctx context.Context, z wizard, codes []string) error {
	plain, err := json.Marshal(codes)
	if err != nil {
		return err
	}
	key := z.codesKey()
	if err := s.Store.PutCeremony(ctx, key, s.Sealer.Seal(plain, key), s.Now().Add(codesTTL)); err != nil {
		return fmt.Errorf("keep recovery codes for their page: %w", err)
	}
	return nil
}

// takeCodes removes the run's sealed codes and returns them; found is false once
// they were confirmed as stored (or expired).
func (s *Handlers) takeCodes(ctx context.Context, z wizard) (codes []string, found bool, err error) {
	key := z.codesKey()
	sealed, err := s.Store.TakeCeremony(ctx, key, s.Now())
	if errors.Is(err, storage.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read recovery codes for their page: %w", err)
	}
	plain, err := s.Sealer.Open(sealed, key)
	if err != nil {
		return nil, false, err
	}
	return codes, true, json.Unmarshal(plain, &codes)
}

// showCodes renders step 7 with the run's codes, keeping them for a reload.
func (s *Handlers) showCodes(w http.ResponseWriter, r *http.Request, z wizard, msg string) (flows.Result, error) {
	ctx := r.Context()
	codes, found, err := s.takeCodes(ctx, z)
	if err != nil {
		return flows.Result{}, err
	}
	if !found {
		return flows.RedirectTo(s.wizardURL(z, PathSetupDone, nil)), nil
	}
	if err := s.sealCodes(ctx, z, codes); err != nil {
		return flows.Result{}, err
	}
	first, err := s.phoneFirst(ctx, z)
	if err != nil {
		return flows.Result{}, err
	}
	p := templates.RecoveryCodesPage{Page: s.Page(ctx, "codes.heading"), Action: s.Path(PathSetupCodes),
		FlowID: z.flowID(), Codes: codes, Error: msg, Steps: s.wizardSteps(stepCodes, first)}
	status := http.StatusOK
	if msg != "" {
		status = http.StatusBadRequest
	}
	return flows.Result{}, s.Render(w, status, func() error { return s.Pages.RecoveryCodes(w, p) })
}

// phoneFirst reports whether the run's first factor was the phone (no app).
func (s *Handlers) phoneFirst(ctx context.Context, z wizard) (bool, error) {
	devices, err := s.TOTP.Devices(ctx, z.user.ID)
	return len(devices) == 0, err
}

// SetupCodesPage is step 7: the recovery codes, until the user confirms they
// stored them. It is the page of a sign-in in StateRecoveryCodes.
func (s *Handlers) SetupCodesPage(w http.ResponseWriter, r *http.Request) (flows.Result, error) {
	z, res, ok, err := s.openWizard(w, r, PathSetupCodes, flows.StateRecoveryCodes)
	if !ok {
		return res, err
	}
	return s.showCodes(w, r, z, "")
}

// SetupCodes goes on once the user ticked that the codes are stored.
func (s *Handlers) SetupCodes(w http.ResponseWriter, r *http.Request) (flows.Result, error) {
	z, res, ok, err := s.openWizard(w, r, PathSetupCodes, flows.StateRecoveryCodes)
	if !ok {
		return res, err
	}
	if r.PostForm.Get("stored") != "yes" {
		return s.showCodes(w, r, z, "codes.tick")
	}
	if _, _, err := s.takeCodes(r.Context(), z); err != nil {
		return flows.Result{}, err
	}
	s.Audit(r.Context(), r, "recovery_codes.stored", z.user.ID, z.clientID(), nil)
	return flows.RedirectTo(s.wizardURL(z, PathSetupDone, nil)), nil
}

// openDone opens the run's last page, which comes only after the codes were
// confirmed as stored.
func (s *Handlers) openDone(w http.ResponseWriter, r *http.Request) (wizard, flows.Result, bool, error) {
	z, res, ok, err := s.openWizard(w, r, PathSetupDone, flows.StateRecoveryCodes)
	if !ok {
		return z, res, false, err
	}
	codes, found, err := s.takeCodes(r.Context(), z)
	if err != nil {
		return z, res, false, err
	}
	if found {
		if err := s.sealCodes(r.Context(), z, codes); err != nil {
			return z, res, false, err
		}
		return z, flows.RedirectTo(s.wizardURL(z, PathSetupCodes, nil)), false, nil
	}
	return z, res, true, nil
}

// SetupDonePage says what is now set up and what apps will be told.
func (s *Handlers) SetupDonePage(w http.ResponseWriter, r *http.Request) (flows.Result, error) {
	ctx := r.Context()
	z, res, ok, err := s.openDone(w, r)
	if !ok {
		return res, err
	}
	p := s.wizardPage(ctx, z, "wizard.done_heading", "done", -1)
	p.Steps, p.CancelURL = nil, ""
	devices, err := s.TOTP.Devices(ctx, z.user.ID)
	if err != nil {
		return flows.Result{}, err
	}
	for _, d := range devices {
		p.Apps = append(p.Apps, d.Name)
	}
	phone, err := s.Store.GetPhoneNumber(ctx, z.user.ID)
	switch {
	case err == nil:
		p.Phone = sms.Mask(phone.E164)
	case !errors.Is(err, storage.ErrNotFound):
		return flows.Result{}, fmt.Errorf("load phone: %w", err)
	}
	if len(p.Apps) == 0 && p.Phone == "" { // nothing was turned on in this run
		return flows.RedirectTo(s.wizardURL(z, PathSetup, nil)), nil
	}
	if _, p.RecoveryCodes, err = s.Recovery.Remaining(ctx, z.user.ID); err != nil {
		return flows.Result{}, err
	}
	p.ACR = flows.ACRMultiFactor
	if z.flow != nil {
		p.Action = s.Path(PathSetupDone)
	} else {
		p.NextURL = s.Path(flows.PathAccount)
	}
	return s.renderWizard(w, http.StatusOK, p)
}

// SetupDone goes on with the sign-in once the set-up is complete.
func (s *Handlers) SetupDone(w http.ResponseWriter, r *http.Request) (flows.Result, error) {
	z, res, ok, err := s.openDone(w, r)
	if !ok {
		return res, err
	}
	if z.flow == nil {
		return flows.RedirectTo(s.Path(flows.PathAccount)), nil
	}
	return s.Proceed(r.Context(), w, r, *z.flow, nil)
}
