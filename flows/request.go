package flows

import (
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// RequestError is an authorization request parameter we refuse; Hint says why.
type RequestError struct{ Hint string }

func (e *RequestError) Error() string { return "invalid request: " + e.Hint }

// ParseAuthRequest reads and validates the authentication parameters of an
// authorization request (OIDC Core 3.1.2.1): prompt, max_age, acr_values, claims.
func ParseAuthRequest(form url.Values) (AuthRequest, error) {
	var areq AuthRequest
	prompts := strings.Fields(form.Get("prompt"))
	for _, pr := range prompts {
		if !slices.Contains([]string{"none", "login", "consent", "select_account"}, pr) {
			return areq, &RequestError{"Unknown prompt value " + strconv.Quote(pr) + "."}
		}
	}
	areq.PromptNone = slices.Contains(prompts, "none")
	areq.PromptLogin = slices.Contains(prompts, "login")
	if areq.PromptNone && len(prompts) > 1 {
		return areq, &RequestError{"prompt=none cannot be combined with other values."}
	}
	if form.Has("max_age") {
		n, err := strconv.ParseUint(form.Get("max_age"), 10, 31)
		if err != nil {
			return areq, &RequestError{"max_age must be a non-negative whole number of seconds."}
		}
		d := time.Duration(n) * time.Second
		areq.MaxAge = &d
	}
	areq.ACRValues = strings.Fields(form.Get("acr_values"))
	if c := form.Get("claims"); c != "" {
		essential, err := essentialACR(c)
		if err != nil {
			return areq, err
		}
		areq.EssentialACR = essential
	}
	return areq, nil
}

// essentialACR extracts the acr values of an essential acr claim request
// (OIDC Core 5.5.1.1) from the claims parameter.
func essentialACR(claims string) ([]string, error) {
	type claimReq struct {
		Essential bool     `json:"essential"`
		Value     string   `json:"value"`
		Values    []string `json:"values"`
	}
	var parsed map[string]map[string]*claimReq
	if err := json.Unmarshal([]byte(claims), &parsed); err != nil {
		return nil, &RequestError{"The claims parameter is not valid JSON."}
	}
	var out []string
	for _, member := range []string{"id_token", "userinfo"} {
		acr := parsed[member]["acr"]
		if acr == nil || !acr.Essential {
			continue
		}
		if acr.Value != "" {
			out = append(out, acr.Value)
		}
		out = append(out, acr.Values...)
	}
	return out, nil
}
