// Package configs loads and validates Lockstep's configuration (spec OPS-3).
//
// A configuration comes from three layers, later ones winning:
//
//  1. a YAML file (lockstep.example.yaml documents every field; dev.yaml is the
//     dev-mode file), decoded strictly so a misspelt key is an error rather than a
//     silently ignored setting;
//  2. LOCKSTEP_* environment variables, so secrets and per-deployment values need
//     not live in the file;
//  3. defaults for every field still unset.
//
// Validate refuses an insecure configuration outside dev mode. Neither the secret
// nor a database password appears in Validate's errors, in fmt or slog output of
// a Config, or in its JSON; Redacted gives a copy without them for anything else.
package configs
