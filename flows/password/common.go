package password

import (
	_ "embed"
	"strings"
)

// commonPasswords is SecLists' Passwords/Common-Credentials/10k-most-common.txt
// (github.com/danielmiessler/SecLists at commit 4f84b3c, MIT licence, copyright
// Daniel Miessler; see common-passwords.LICENSE): the 10,000 passwords most often
// found in breaches, one a line, shipped inside the binary.
//
//go:embed common-passwords.txt
var commonPasswords string

// common holds the list lower-cased, so a capital letter does not make a listed
// password acceptable.
var common = func() map[string]struct{} {
	m := make(map[string]struct{}, 10000)
	for _, line := range strings.Split(commonPasswords, "\n") {
		if line = strings.TrimRight(line, "\r"); line != "" {
			m[strings.ToLower(line)] = struct{}{}
		}
	}
	return m
}()

// IsCommon reports whether pw, ignoring case, is one of the 10,000 most common
// passwords.
func IsCommon(pw string) bool {
	_, ok := common[strings.ToLower(pw)]
	return ok
}
