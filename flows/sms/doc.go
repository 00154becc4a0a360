// Package sms holds phone-number handling and text-message delivery for the SMS
// second factor (SPEC MFA-4, MFA-5).
//
// # Phone numbers
//
// The enrolment page offers a country-prefix selector fed by Countries and a field
// for the national number; Normalize validates the pair with Google's
// libphonenumber metadata (github.com/nyaruka/phonenumbers) and returns the E.164
// form that is stored ("+4915123456789"). Only numbers that can be mobile are
// accepted. Pages and logs show numbers through Mask ("+49 ••• ••• 89").
//
// # Senders
//
// Sender is the one-method interface the flows use. There are three:
//
//   - Outbox: development and tests. Keeps the newest messages in memory for the
//     dev-mode outbox page, logs "sms to <masked number>" and never the text.
//   - Webhook: POSTs a signed JSON document to a URL the operator runs, which
//     forwards it to any SMS gateway. Described below.
//   - Twilio: Twilio's Messages REST API, or any API compatible with it.
//
// Message texts hold one-time codes: no sender logs them or puts them in an error,
// and errors show numbers masked.
//
// # Webhook signature scheme
//
// Each message is one HTTPS POST to the configured URL with this JSON body:
//
//	{"to":"+4915123456789","text":"Your Lockstep code is 123456","id":"msg_5f0c…","sent_at":"2026-01-02T15:04:05Z"}
//
// "to" is the E.164 recipient, "text" the message, "id" a random id unique to
// the message (32 hex digits after "msg_"), "sent_at" the RFC 3339 UTC send time.
// Receivers should ignore fields they do not know. The request carries:
//
//	Content-Type: application/json
//	X-Lockstep-Timestamp: 1767366245
//	X-Lockstep-Signature: sha256=3f1d…(64 lower-case hex digits)
//
// The timestamp is the send time in unix seconds, in decimal without sign or
// leading zeros. The signature is the hex-encoded HMAC-SHA256, keyed with the
// shared secret (the raw bytes as configured, at least 32 of them), of the
// timestamp, a full stop, and the request body exactly as received:
//
//	signature = "sha256=" + hex(HMAC-SHA256(secret, timestamp + "." + body))
//
// To verify, a receiver:
//
//  1. reads the raw body (before any JSON decoding, which would change bytes);
//  2. checks that the timestamp is within a few minutes of its own clock (five by
//     default), which bounds replays;
//  3. computes the HMAC over timestamp + "." + body and compares it with the
//     header in constant time (hmac.Equal, crypto.timingSafeEqual,
//     hmac.compare_digest, ...);
//  4. answers 2xx only once it has accepted the message. Any other status, or no
//     answer within the sender's timeout (10 s by default), is a failed send that
//     the user sees as "could not send the code".
//
// Because the signature covers the timestamp, a captured request cannot be
// re-sent with a fresh one; to refuse even replays inside the window, remember
// the ids of recent messages. Go receivers can call VerifyWebhook, which does
// steps 1 to 3:
//
//	secret := []byte(os.Getenv("LOCKSTEP_SMS_WEBHOOK_SECRET"))
//	http.HandleFunc("POST /sms", func(w http.ResponseWriter, r *http.Request) {
//		body, err := sms.VerifyWebhook(r, secret, 5*time.Minute, time.Now())
//		if err != nil {
//			http.Error(w, "bad signature", http.StatusUnauthorized)
//			return
//		}
//		var p sms.WebhookPayload
//		if err := json.Unmarshal(body, &p); err != nil {
//			http.Error(w, "bad body", http.StatusBadRequest)
//			return
//		}
//		if seenRecently(p.ID) { // optional replay guard
//			w.WriteHeader(http.StatusNoContent)
//			return
//		}
//		if err := gateway.Send(r.Context(), p.To, p.Text); err != nil {
//			http.Error(w, "gateway failed", http.StatusBadGateway)
//			return
//		}
//		w.WriteHeader(http.StatusNoContent)
//	})
//
// The same check in a shell, for a body saved to body.json and a secret that is
// printable text (openssl -hmac takes the key as a string):
//
//	printf '%s.' "$TIMESTAMP" | cat - body.json | openssl dgst -sha256 -hmac "$SECRET"
package sms
