// Package profile is the account's profile page (ACC-6): the user's given and
// family names, checked by CheckName and stored at once, and their email
// address, changed only when a link sent to the new address is followed by the
// signed-in user it was sent for. The page asks for a fresh re-verification
// like every account page (flows.Core.RequireReverified).
package profile
