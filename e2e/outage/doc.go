// Package outage holds process-level tests that stop and start a throwaway
// PostgreSQL cluster (initdb and pg_ctl from Debian's postgresql binaries) under a
// running Lockstep: during the outage pages answer 503 "try again shortly", the
// OAuth endpoints 503 temporarily_unavailable and /readyz not ready; afterwards the
// same process serves again.
package outage
