// Package gctune holds the garbage-collector setting of processes that hash
// passwords, so that the server and the load generator that measures it against
// argon2id alone run with the same one (a different setting makes the comparison
// unfair).
package gctune

import (
	"os"
	"runtime/debug"
)

// hashingGCPercent is the GOGC of a process that hashes passwords: every argon2id
// hash allocates its whole memory cost (19 MiB by default) on a small live heap,
// so the default GOGC collects after nearly every hash. The hasher's concurrency
// bound keeps the larger heap target bounded.
const hashingGCPercent = 400

// ForHashing applies hashingGCPercent unless the GOGC environment variable is set,
// which an operator's choice wins over.
func ForHashing() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(hashingGCPercent)
	}
}
