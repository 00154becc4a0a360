// Package consent asks a signed-in user to allow a client the scopes it asks
// for, and tells the provider whether that is needed (NeedsConsent). A
// remembered consent covers the scopes consented to and no more; first-party
// clients skip the page; prompt=consent always shows it.
package consent
