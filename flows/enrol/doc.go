// Package enrol sets up a second factor during a sign-in that needs one (the
// policy's Enrol outcome): an authenticator app or a phone number, then a first
// set of recovery codes. The code that activates the factor also proves it for
// that sign-in. The account pages reuse its set-up pieces (ConfirmTOTP, WriteQR,
// the phone form), so a factor is set up the same way in both places.
package enrol
