// Package recover holds the pages an emailed link leads to when a user has no
// password to sign in with: the forgotten password (ACC-8) and the invitation of
// an admin-created user (ACC-9).
//
// Forgotten password: "Forgot your password?" on the sign-in page asks for the
// email address and always answers the same page, whether or not an account uses
// it. The answer never waits for the lookup: the account is looked up, the link
// stored and the email sent in the background, so neither the page nor its
// timing tells whether the account exists. Requests are counted per network
// address (shown when exceeded: it says nothing about accounts) and, silently,
// per typed address and per account, so nobody can flood a mailbox.
//
// Links carry a 256-bit token (flows/emaillink); only its hash is stored, bound
// to the account and the address it was sent to, for 30 minutes (a reset) or 7
// days (an invitation), and used once (storage.EmailLinkStore). The link's page
// asks for the new password (the rules of password.CheckNew); setting it spends
// the link and the user's other links of the same purpose. A reset then ends
// every session, refresh and access token, remembered device and trusted
// address of the user, notifies them and is audited. It proves only the
// mailbox, never a second factor: the next sign-in still asks for one
// (SECURITY-TESTS 18). A reset started from a sign-in goes back to that sign-in's
// password step when the link is opened in the same browser.
//
// A user without a password (invited, not yet accepted) cannot sign in with any
// password: the sign-in treats an empty hash like an unknown account.
package recover
