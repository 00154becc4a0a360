package factor

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"

	"github.com/lockstep-id/lockstep/storage"
)

// AMRTOTP is the RFC 8176 amr value of an authenticator-app code.
const AMRTOTP = "otp"

// TOTP parameters (see the package documentation).
const (
	TOTPDigits     = 6
	TOTPPeriod     = 30 * time.Second
	TOTPSkew       = 1  // steps accepted either side of the current one
	TOTPSecretSize = 20 // bytes
)

// DefaultIssuer is the issuer shown in authenticator apps when TOTP.Issuer is empty.
const DefaultIssuer = "Lockstep"

// DefaultDeviceName names a device when the user gave no name.
const DefaultDeviceName = "Authenticator app"

// MaxDeviceNameLen is the longest device name, in characters.
const MaxDeviceNameLen = 64

// MaxQRSize bounds the QR image edge, in pixels.
const MaxQRSize = 1024

// TOTPStore is the part of storage.TOTPStore the TOTP factor uses.
type TOTPStore interface {
	CreateTOTPDevice(ctx context.Context, d storage.TOTPDevice) error
	GetTOTPDevice(ctx context.Context, id string) (storage.TOTPDevice, error)
	ListTOTPDevices(ctx context.Context, userID string) ([]storage.TOTPDevice, error)
	ActivateTOTPDevice(ctx context.Context, id string, step int64, at time.Time, revokeOthers bool) error
	AdvanceTOTPStep(ctx context.Context, id string, step int64, at time.Time) error
	RenameTOTPDevice(ctx context.Context, id, name string) error
	DeleteTOTPDevice(ctx context.Context, id string) error
}

var _ TOTPStore = storage.TOTPStore(nil)

// TOTP is the authenticator-app factor (SPEC MFA-1, MFA-2).
type TOTP struct {
	Store  TOTPStore
	Sealer Sealer // encrypts secrets at rest
	Issuer string // shown in the authenticator app; DefaultIssuer when empty
	Now    func() time.Time
}

// Enrolment is what the user sees while linking a new device.
type Enrolment struct {
	DeviceID string
	Name     string
	// Secret is the base32 secret (no padding) for manual entry; show it with
	// GroupedSecret.
	Secret string
	// URI is the otpauth:// key URI, for the QR code and the "use this phone" link.
	URI string
}

// GroupedSecret is Secret in groups of four characters separated by spaces,
// the way authenticator apps accept it for manual entry.
func (e Enrolment) GroupedSecret() string {
	var b strings.Builder
	for i := 0; i < len(e.Secret); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(e.Secret[i:min(i+4, len(e.Secret))])
	}
	return b.String()
}

// Device is an active authenticator app as listed in account settings.
type Device struct {
	ID          string
	Name        string
	CreatedAt   time.Time
	ConfirmedAt time.Time
	LastUsedAt  time.Time
}

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// Begin creates an inactive device with a fresh secret for userID and returns
// what to show. accountName labels the entry in the app (usually the email);
// deviceName is the user's name for the device (DefaultDeviceName when blank).
// Pending devices of the user older than a day are deleted on the way.
func (t *TOTP) Begin(ctx context.Context, userID, accountName, deviceName string) (Enrolment, error) {
	name, err := cleanDeviceName(deviceName)
	if err != nil {
		return Enrolment{}, err
	}
	// The key URI label is "issuer:account"; neither part may hold a colon.
	if accountName == "" || strings.Contains(accountName, ":") || strings.Contains(t.issuer(), ":") {
		return Enrolment{}, fmt.Errorf("factor: issuer %q or account %q is empty or contains a colon", t.issuer(), accountName)
	}
	now := t.now()
	if err := t.prunePending(ctx, userID, now.Add(-24*time.Hour)); err != nil {
		return Enrolment{}, err
	}
	secret := make([]byte, TOTPSecretSize)
	_, _ = rand.Read(secret) // never fails (crypto/rand)
	id := newDeviceID()
	d := storage.TOTPDevice{
		ID:        id,
		UserID:    userID,
		Name:      name,
		SecretEnc: t.Sealer.Seal(encodePayload(secret, accountName), sealAAD(userID, id)),
		CreatedAt: now,
	}
	e, err := t.enrolment(d.ID, name, secret, accountName)
	if err != nil {
		return Enrolment{}, err
	}
	if err := t.Store.CreateTOTPDevice(ctx, d); err != nil {
		return Enrolment{}, fmt.Errorf("factor: create totp device: %w", err)
	}
	return e, nil
}

// Pending shows a pending (inactive) device of userID again, for page reloads.
// Anything else (unknown id, another user's device, an active device) gives
// ErrNotPending.
func (t *TOTP) Pending(ctx context.Context, userID, deviceID string) (Enrolment, error) {
	d, secret, account, err := t.pending(ctx, userID, deviceID)
	if err != nil {
		return Enrolment{}, err
	}
	return t.enrolment(d.ID, d.Name, secret, account)
}

// LatestPending shows the newest pending device of userID created after since,
// so a set-up that comes back to its first step (Back, a second tab) shows the
// key the user may already have scanned instead of making another. None gives
// ErrNotPending.
func (t *TOTP) LatestPending(ctx context.Context, userID string, since time.Time) (Enrolment, error) {
	all, err := t.Store.ListTOTPDevices(ctx, userID)
	if err != nil {
		return Enrolment{}, fmt.Errorf("factor: list totp devices: %w", err)
	}
	var latest *storage.TOTPDevice
	for i, d := range all {
		if !d.Active && d.UserID == userID && d.CreatedAt.After(since) && (latest == nil || d.CreatedAt.After(latest.CreatedAt)) {
			latest = &all[i]
		}
	}
	if latest == nil {
		return Enrolment{}, ErrNotPending
	}
	return t.Pending(ctx, userID, latest.ID)
}

// QRCodePNG renders e.URI as a size×size PNG QR code.
func (t *TOTP) QRCodePNG(e Enrolment, size int) ([]byte, error) {
	if size < 1 || size > MaxQRSize {
		return nil, fmt.Errorf("factor: QR size %d out of range 1..%d", size, MaxQRSize)
	}
	key, err := otp.NewKeyFromURL(e.URI)
	if err != nil {
		return nil, fmt.Errorf("factor: QR code: %w", err)
	}
	img, err := key.Image(size, size)
	if err != nil {
		return nil, fmt.Errorf("factor: QR code: %w", err)
	}
	// 8-bit grey instead of the barcode's 16-bit model keeps the file small.
	gray := image.NewGray(img.Bounds())
	draw.Draw(gray, gray.Bounds(), img, img.Bounds().Min, draw.Src)
	var buf bytes.Buffer
	if err := png.Encode(&buf, gray); err != nil {
		return nil, fmt.Errorf("factor: QR code: %w", err)
	}
	return buf.Bytes(), nil
}

// Confirm activates a pending device of userID if code is right for it (current
// step ±1). The accepted step becomes the device's LastStep, so the same code
// does not work again at sign-in. With revokeOthers every other device of the
// user is deleted in the same store call.
func (t *TOTP) Confirm(ctx context.Context, userID, deviceID, code string, revokeOthers bool) error {
	c, err := parseTOTPCode(code)
	if err != nil {
		return err
	}
	d, secret, _, err := t.pending(ctx, userID, deviceID)
	if err != nil {
		return err
	}
	now := t.now()
	step, ok := matchStep(secret, c, now)
	if !ok {
		return ErrWrongCode
	}
	switch err := t.Store.ActivateTOTPDevice(ctx, d.ID, step, now, revokeOthers); {
	case errors.Is(err, storage.ErrConflict), errors.Is(err, storage.ErrNotFound):
		return ErrNotPending // confirmed or removed meanwhile
	case err != nil:
		return fmt.Errorf("factor: activate totp device: %w", err)
	}
	return nil
}

// Verify checks code against every active device of userID and returns the id of
// the device it belongs to. The matching step is recorded atomically, so a code
// is accepted once: the same code again, or a code for an older step, gives
// ErrCodeUsed. A wrong code gives ErrWrongCode, a user without active devices
// ErrNoDevice, a badly shaped code ErrMalformedCode.
func (t *TOTP) Verify(ctx context.Context, userID, code string) (deviceID string, err error) {
	c, err := parseTOTPCode(code)
	if err != nil {
		return "", err
	}
	devices, err := t.Store.ListTOTPDevices(ctx, userID)
	if err != nil {
		return "", fmt.Errorf("factor: list totp devices: %w", err)
	}
	return t.verify(ctx, userID, c, devices)
}

// VerifyAmong is Verify with the user's devices as the caller read them
// (ListTOTPDevices' answer, or storage.Login.TOTPDevices), to spare a read. It
// is as safe: the step a code is accepted for is recorded atomically against
// the stored device, so a device that was used or removed meanwhile does not
// take the code.
func (t *TOTP) VerifyAmong(ctx context.Context, userID, code string, devices []storage.TOTPDevice) (deviceID string, err error) {
	c, err := parseTOTPCode(code)
	if err != nil {
		return "", err
	}
	return t.verify(ctx, userID, c, devices)
}

// verify checks the parsed code c against the active ones of devices of userID.
func (t *TOTP) verify(ctx context.Context, userID string, c []byte, devices []storage.TOTPDevice) (deviceID string, err error) {
	now := t.now()
	active, used, expired := 0, false, false
	var openErr error
	for _, d := range devices {
		if !d.Active || d.UserID != userID {
			continue
		}
		active++
		secret, _, err := t.open(d)
		if err != nil {
			openErr = err // one broken device must not lock out the others
			continue
		}
		step, ok := matchStep(secret, c, now)
		if !ok {
			expired = expired || matchedRecently(secret, c, now)
			continue
		}
		if step <= d.LastStep {
			used = true
			continue
		}
		switch err := t.Store.AdvanceTOTPStep(ctx, d.ID, step, now); {
		case err == nil:
			return d.ID, nil
		case errors.Is(err, storage.ErrConflict):
			used = true // a concurrent request took this step
		case errors.Is(err, storage.ErrNotFound):
			// removed meanwhile
		default:
			return "", fmt.Errorf("factor: advance totp step: %w", err)
		}
	}
	switch {
	case used:
		return "", ErrCodeUsed
	case openErr != nil:
		return "", openErr
	case active == 0:
		return "", ErrNoDevice
	case expired:
		return "", ErrCodeExpired
	default:
		return "", ErrWrongCode
	}
}

// Devices lists the active devices of userID, oldest first.
func (t *TOTP) Devices(ctx context.Context, userID string) ([]Device, error) {
	all, err := t.Store.ListTOTPDevices(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("factor: list totp devices: %w", err)
	}
	var out []Device
	for _, d := range all {
		if d.Active && d.UserID == userID {
			out = append(out, Device{ID: d.ID, Name: d.Name, CreatedAt: d.CreatedAt,
				ConfirmedAt: d.ConfirmedAt, LastUsedAt: d.LastUsedAt})
		}
	}
	return out, nil
}

// Remove deletes a device (active or pending) of userID. Another user's device,
// or an unknown id, gives ErrUnknownDevice.
func (t *TOTP) Remove(ctx context.Context, userID, deviceID string) error {
	return t.onOwnDevice(ctx, userID, deviceID, "delete", func() error {
		return t.Store.DeleteTOTPDevice(ctx, deviceID)
	})
}

// Rename names one of the user's devices; a blank name becomes the default one.
func (t *TOTP) Rename(ctx context.Context, userID, deviceID, name string) error {
	name, err := cleanDeviceName(name)
	if err != nil {
		return err
	}
	return t.onOwnDevice(ctx, userID, deviceID, "rename", func() error {
		return t.Store.RenameTOTPDevice(ctx, deviceID, name)
	})
}

// onOwnDevice runs change on a device only if it belongs to userID; a missing or
// foreign device, before or during the change, is ErrUnknownDevice.
func (t *TOTP) onOwnDevice(ctx context.Context, userID, deviceID, what string, change func() error) error {
	d, err := t.Store.GetTOTPDevice(ctx, deviceID)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return ErrUnknownDevice
	case err != nil:
		return fmt.Errorf("factor: get totp device: %w", err)
	case d.UserID != userID:
		return ErrUnknownDevice
	}
	switch err := change(); {
	case errors.Is(err, storage.ErrNotFound):
		return ErrUnknownDevice
	case err != nil:
		return fmt.Errorf("factor: %s totp device: %w", what, err)
	}
	return nil
}

func (t *TOTP) now() time.Time {
	if t.Now != nil {
		return t.Now().UTC()
	}
	return time.Now().UTC()
}

func (t *TOTP) issuer() string {
	if t.Issuer != "" {
		return t.Issuer
	}
	return DefaultIssuer
}

func (t *TOTP) enrolment(id, name string, secret []byte, account string) (Enrolment, error) {
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer:      t.issuer(),
		AccountName: account,
		Period:      uint(TOTPPeriod / time.Second),
		Digits:      otp.DigitsSix,
		Algorithm:   otp.AlgorithmSHA1,
		Secret:      secret,
	})
	if err != nil {
		return Enrolment{}, fmt.Errorf("factor: totp key: %w", err)
	}
	return Enrolment{DeviceID: id, Name: name, Secret: b32.EncodeToString(secret), URI: key.URL()}, nil
}

// pending loads a pending device of userID and opens its secret.
func (t *TOTP) pending(ctx context.Context, userID, deviceID string) (storage.TOTPDevice, []byte, string, error) {
	d, err := t.Store.GetTOTPDevice(ctx, deviceID)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return d, nil, "", ErrNotPending
	case err != nil:
		return d, nil, "", fmt.Errorf("factor: get totp device: %w", err)
	case d.UserID != userID || d.Active:
		return d, nil, "", ErrNotPending
	}
	secret, account, err := t.open(d)
	return d, secret, account, err
}

func (t *TOTP) open(d storage.TOTPDevice) (secret []byte, account string, err error) {
	plain, err := t.Sealer.Open(d.SecretEnc, sealAAD(d.UserID, d.ID))
	if err != nil {
		return nil, "", fmt.Errorf("factor: totp device %s: %w", d.ID, err)
	}
	secret, account, err = decodePayload(plain)
	if err != nil {
		return nil, "", fmt.Errorf("factor: totp device %s: %w", d.ID, err)
	}
	return secret, account, nil
}

// prunePending deletes the user's inactive devices created before cutoff.
func (t *TOTP) prunePending(ctx context.Context, userID string, cutoff time.Time) error {
	devices, err := t.Store.ListTOTPDevices(ctx, userID)
	if err != nil {
		return fmt.Errorf("factor: list totp devices: %w", err)
	}
	for _, d := range devices {
		if d.Active || d.UserID != userID || !d.CreatedAt.Before(cutoff) {
			continue
		}
		if err := t.Store.DeleteTOTPDevice(ctx, d.ID); err != nil && !errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("factor: delete stale totp device: %w", err)
		}
	}
	return nil
}

// parseTOTPCode trims surrounding whitespace and requires exactly six ASCII digits.
func parseTOTPCode(code string) ([]byte, error) {
	c := strings.TrimSpace(code)
	if len(c) != TOTPDigits {
		return nil, ErrMalformedCode
	}
	for i := 0; i < len(c); i++ {
		if c[i] < '0' || c[i] > '9' {
			return nil, ErrMalformedCode
		}
	}
	return []byte(c), nil
}

// matchStep computes the codes for the current step and TOTPSkew steps either
// side, compares each in constant time, and returns the latest step that matched.
func matchStep(secret []byte, code []byte, now time.Time) (int64, bool) {
	s := now.Unix() / int64(TOTPPeriod/time.Second)
	enc := b32.EncodeToString(secret)
	opts := hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}
	var best int64
	found := false
	for step := s - TOTPSkew; step <= s+TOTPSkew; step++ {
		if step < 0 {
			continue
		}
		want, err := hotp.GenerateCodeCustom(enc, uint64(step), opts)
		if err != nil { // cannot happen: enc is our own base32
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), code) == 1 {
			best, found = step, true
		}
	}
	return best, found
}

// expiredSteps is how far back a refused code is recognised as one that was right a
// little while ago, so the user is told it expired rather than that it is wrong.
const expiredSteps = 10

// matchedRecently reports whether code was the device's code for one of the
// expiredSteps steps before the accepted window. Such a code is still refused.
func matchedRecently(secret []byte, code []byte, now time.Time) bool {
	s := now.Unix()/int64(TOTPPeriod/time.Second) - TOTPSkew - 1
	enc := b32.EncodeToString(secret)
	opts := hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}
	match := false
	for step := s; step > s-expiredSteps && step >= 0; step-- {
		want, err := hotp.GenerateCodeCustom(enc, uint64(step), opts)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), code) == 1 {
			match = true
		}
	}
	return match
}

func cleanDeviceName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return DefaultDeviceName, nil
	}
	if !utf8.ValidString(name) || utf8.RuneCountInString(name) > MaxDeviceNameLen {
		return "", ErrInvalidName
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return "", ErrInvalidName
		}
	}
	return name, nil
}

func newDeviceID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// sealAAD binds a sealed secret to its device and user. Device ids are ours
// (base64url, no '/'), so the string is unambiguous.
func sealAAD(userID, deviceID string) string {
	return "lockstep/totp/" + deviceID + "/" + userID
}

// The sealed payload: a version byte, the secret, then the account label.
const payloadV1 = 1

func encodePayload(secret []byte, account string) []byte {
	p := make([]byte, 0, 1+len(secret)+len(account))
	p = append(p, payloadV1)
	p = append(p, secret...)
	return append(p, account...)
}

func decodePayload(p []byte) (secret []byte, account string, err error) {
	if len(p) < 1+TOTPSecretSize || p[0] != payloadV1 {
		return nil, "", errors.New("unknown sealed payload")
	}
	return p[1 : 1+TOTPSecretSize], string(p[1+TOTPSecretSize:]), nil
}
