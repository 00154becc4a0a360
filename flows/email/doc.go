// Package email sends Lockstep's emails: security notifications (ACC-7),
// new-device confirmation (MFA-9) and two-factor reset links (MFA-10).
//
// Callers depend on the one-method Sender interface and are handed one of two
// implementations, built in cmd:
//
//   - SMTP delivers through an SMTP server with github.com/wneessen/go-mail.
//   - Outbox records messages in memory instead (dev mode and tests), keeps the
//     newest N for the dev outbox page (Messages) and for tests (Last), and logs
//     one line per message: "email to a***@example.com: <subject>". The body is
//     never logged, since it holds codes and links; for the same reason a
//     subject must never carry one.
//
// Both validate a Message the same way before anything else (Message.Validate,
// errors wrap ErrInvalidMessage): exactly one recipient address, no CR, LF or
// other control characters in To or Subject (header injection), a non-empty
// Text. So a message that dev mode accepts is one production accepts.
//
// # SMTP
//
// NewSMTP checks the configuration once (errors wrap ErrInvalidConfig) and does
// not connect. Each Send opens its own connection, runs one transaction and
// closes it, so an SMTP is safe for concurrent use and holds no connection
// between messages; Lockstep sends few emails, so a pool would buy nothing.
//
// The message is UTF-8, quoted-printable, with From, To, Subject, Date,
// Message-ID ("<random@domain-of-From>"), MIME-Version and
// "Auto-Submitted: auto-generated" headers. With HTML set it is
// multipart/alternative: the text part first, the HTML part second. The
// envelope sender is From's address.
//
// TLS modes:
//
//   - "starttls" (the default): plain connect, then STARTTLS, which is
//     mandatory. A server that does not offer it is refused, so a
//     man in the middle cannot downgrade the connection. Usually port 587.
//   - "tls": TLS from the first byte (RFC 8314 "implicit TLS"), port 465.
//   - "none": plain text. Only to a loopback host ("localhost", 127.0.0.0/8,
//     ::1), unless InsecureAllowPlaintext is set; credentials are never sent in
//     plain text to anything but a loopback host.
//
// The server's certificate is always verified against the system roots for
// Host, with TLS 1.2 or later. With Username set, Send authenticates with AUTH
// PLAIN (LOGIN if the server offers no PLAIN), and fails if the server offers
// no AUTH at all.
//
// Timeout bounds each step (connecting, each command, the data); the context
// passed to Send bounds the whole delivery: when it ends the connection is
// closed and the error wraps ctx.Err(). Send errors are wrapped with %w (a
// server's refusal is a *gomail.SendError, whose IsTemp tells a 4xx from a
// 5xx), name the recipient only in redacted form and never hold the body. Once
// the server has accepted the data, Send reports success even if the
// connection then fails, so a caller that retries on error does not deliver
// the message twice. Nothing in this package retries.
//
// # Mailpit
//
// docker-compose.yml runs Mailpit, which accepts any message on port 1025
// without TLS or authentication and shows it at http://localhost:8025.
//
// Lockstep on the host (outside compose):
//
//	email.SMTPConfig{Host: "localhost", Port: 1025, TLS: "none",
//		From: "Lockstep <no-reply@lockstep.localhost>"}
//
// Lockstep inside compose reaches Mailpit by its service name, which is not a
// loopback host, so "none" needs the explicit opt-in:
//
//	email.SMTPConfig{Host: "mailpit", Port: 1025, TLS: "none",
//		InsecureAllowPlaintext: true, From: "Lockstep <no-reply@lockstep.localhost>"}
//
// Leave Username empty: Mailpit wants none, and NewSMTP refuses credentials over
// plain text to a non-loopback host.
//
// # Tests
//
// The tests run a real SMTP server (github.com/emersion/go-smtp) on 127.0.0.1
// and check the envelope, headers and MIME structure it receives, AUTH,
// rejected recipients, stalled servers against the context, and STARTTLS and
// implicit TLS with a throwaway CA. Code that sends email tests against an
// Outbox and reads the message back with Last.
package email
