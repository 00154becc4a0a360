// Package admin is the operations an operator performs on clients and users:
// registering and changing clients, rotating their secrets, creating and
// disabling users. The lockstep command line calls it, and so will the admin
// API, so that both apply the same validation and the same side effects (a
// disabled user keeps no session and no token) rather than each its own copy.
//
// It works on the storage interfaces and takes the hashers as parameters; it does
// not import idp, which serves the protocol.
package admin
