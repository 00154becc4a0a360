package flows

import (
	"slices"

	"github.com/lockstep-id/lockstep/storage"
)

// The acr ladder, lowest to highest, as published in acr_values_supported.
const (
	// ACRPassword: one factor (a password).
	ACRPassword = "urn:lockstep:acr:pwd"
	// ACRMultiFactor: two distinct factors.
	ACRMultiFactor = "urn:lockstep:acr:mfa"
	// ACRPhishingResistant: multi-factor with a phishing-resistant authenticator (WebAuthn).
	ACRPhishingResistant = "urn:lockstep:acr:phr"
)

// ACRLadder lists the levels lowest first.
var ACRLadder = []string{ACRPassword, ACRMultiFactor, ACRPhishingResistant}

// ACRRank is the position of acr on the ladder, or -1 for a value we do not know.
func ACRRank(acr string) int { return slices.Index(ACRLadder, acr) }

// AMR lists the RFC 8176 methods of the proven factors, in the order proven, with
// "mfa" added when two or more distinct factors were used.
func AMR(proofs []storage.FactorProof) []string {
	var amr []string
	for _, p := range proofs {
		if !slices.Contains(amr, p.Method) {
			amr = append(amr, p.Method)
		}
	}
	if len(amr) >= 2 {
		amr = append(amr, "mfa")
	}
	return amr
}

// ACR is the highest level the proven factors actually meet ("" for none).
func ACR(proofs []storage.FactorProof) string {
	amr := AMR(proofs)
	switch {
	case len(amr) == 0:
		return ""
	case slices.Contains(amr, "mfa") && (slices.Contains(amr, "hwk") || slices.Contains(amr, "swk")):
		return ACRPhishingResistant
	case slices.Contains(amr, "mfa"):
		return ACRMultiFactor
	default:
		return ACRPassword
	}
}
