// Package postgres is the PostgreSQL backend of storage.Storage, built on a pgx/v5
// pool. Open connects; Migrate applies the embedded goose migrations in
// migrations/ and is a separate step (the "migrate" command), never a side effect
// of Open.
//
// Schema choices:
//
//   - One table per record type; columns mirror the struct fields. There are no
//     foreign keys: the memory backend has none, the conformance suite defines the
//     behaviour, and the hot paths (tokens) stay single-index inserts.
//   - Times are timestamptz (microsecond precision). Values go in as instants and
//     every connection scans them back in UTC. "Unset" (zero) times of signing
//     keys and TOTP devices, and a recovery code's used_at, are NULL; for keys that
//     lets a partial unique index allow one active key per algorithm.
//   - Client.MaxAuthAge is a bigint of nanoseconds (max_auth_age_ns), so every
//     time.Duration round-trips exactly, as in the memory backend.
//   - String lists are text[]; FactorProof lists and audit Detail are jsonb (read
//     whole, never queried into); Token.Data, key material and TOTP secrets are
//     bytea. A nil slice is stored as NULL and comes back nil, except in the
//     columns added to existing tables later (clients.default_acr_values), which
//     are NOT NULL DEFAULT '{}' so old rows need no rewrite: there nil goes in as
//     empty and comes back empty.
//   - tokens has primary key (kind, signature), so fosite's separate token tables
//     share one table; (kind, request_id) and (kind, subject) serve family and
//     subject revocation, expires_at the cleanup. Emails are stored as given (the
//     caller lower-cases them) under a unique index.
//   - totp_devices is indexed on (user_id, created_at) for listing and deleting a
//     user's devices; recovery_codes has primary key (user_id, hash) and holds
//     keyed hashes only.
//   - webauthn_credentials has the raw credential id (bytea) as primary key, so
//     ids are unique across users and list in bytes.Compare order; it is indexed
//     on (user_id, created_at) like totp_devices. SignCount, a uint32, is a bigint
//     checked to the uint32 range; an unused credential's last_used_at is NULL.
//   - ceremonies has primary key key and is indexed on expires_at for the cleanup.
//   - phone_numbers has primary key user_id (one verified number per user; the
//     column for "main or backup" is is_primary, primary being a reserved word);
//     one_time_codes has primary key key and holds keyed hashes only; trusts is
//     indexed on (user_id, created_at) and expires_at.
//   - organisations keeps its groups and covered groups as text[] in the order
//     the groups were added; users.org_id (empty for none), users.groups and
//     users.mfa_deadline (NULL for none) were added later, and users is indexed
//     on org_id for an organisation's members.
//   - audit carries an identity column, seq, so events with equal timestamps list in
//     reverse order of appending; it is indexed for the user, client and time filters.
//   - Sort keys that are text use COLLATE "C", so lists come back in Go's byte
//     order whatever the database collation.
//
// Concurrency: every operation that must be atomic is a single statement whose row
// lock serialises racing callers (ConsumeToken, ConsumeTokenCreating, CommitSignIn's flow update,
// HitThrottle, UseNonce, AdvanceTOTPStep, UseRecoveryCode, UseWebAuthnCredential,
// UseOneTimeCode, TakeCeremony's DELETE ... RETURNING), or one transaction that first takes a lock
// covering what a racing caller could touch: AddSigningKey locks the table,
// ActivateTOTPDevice with revokeOthers locks the user's devices in id order (so two
// devices activated at once cannot deadlock), ReplaceRecoveryCodes takes a per-user
// advisory lock (so two replaces cannot both survive), and the OrgStore calls and
// CreateUser into an organisation lock its row (FOR UPDATE to change it, FOR SHARE
// to add or move a member), so a policy change and a member joining take turns and
// the later one sees the earlier one's rows when it sets deadlines. This holds across any number
// of nodes sharing the database. Statements are static text where possible so pgx's
// statement cache prepares each once per connection, and the success path of every
// call but those rare transactions is one round trip. Batches (CreateTokens,
// AppendAudits) are one multi-row INSERT, so all or nothing.
package postgres
