// Package cluster holds process-level tests against a throwaway PostgreSQL cluster
// (initdb and pg_ctl from Debian's postgresql binaries) that each test starts
// itself: two built `lockstep serve` processes sharing one database, and a store
// outage (`pg_ctl stop -m fast`) under a running Lockstep, where pages answer 503
// "try again shortly", the OAuth endpoints 503 temporarily_unavailable and /readyz
// not ready, and afterwards the same process serves again.
package cluster
