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
//     every connection scans them back in UTC. "Unset" signing-key times are NULL,
//     so a partial unique index can allow one active key per algorithm.
//   - String lists are text[]; FactorProof lists and audit Detail are jsonb (read
//     whole, never queried into); Token.Data and key material are bytea. A nil
//     slice is stored as NULL and comes back nil.
//   - tokens has primary key (kind, signature), so fosite's separate token tables
//     share one table; (kind, request_id) and (kind, subject) serve family and
//     subject revocation, expires_at the cleanup. Emails are stored as given (the
//     caller lower-cases them) under a unique index.
//   - audit carries an identity column, seq, so events with equal timestamps list in
//     reverse order of appending; it is indexed for the user, client and time filters.
//   - Sort keys that are text use COLLATE "C", so lists come back in Go's byte
//     order whatever the database collation.
//
// Concurrency: every operation that must be atomic is a single statement whose row
// lock serialises racing callers (ConsumeToken, UpdateFlow, HitThrottle, UseNonce),
// or, for AddSigningKey, one transaction. This holds across any number of nodes
// sharing the database. Statements are static text where possible so pgx's
// statement cache prepares each once per connection, and the success path of every
// call but the rare AddSigningKey is one round trip.
package postgres
