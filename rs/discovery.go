package rs

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// maxBody caps what is read from the issuer's discovery, JWKS and introspection
// responses.
const maxBody = 1 << 20

// defaultHTTPClient is used when a constructor is given a nil client: unlike
// http.DefaultClient it has a timeout.
var defaultHTTPClient = &http.Client{Timeout: 10 * time.Second}

func orDefault(c *http.Client) *http.Client {
	if c == nil {
		return defaultHTTPClient
	}
	return c
}

// discovery is the part of the issuer's OpenID Provider metadata this package uses.
type discovery struct {
	Issuer                string   `json:"issuer"`
	JWKSURI               string   `json:"jwks_uri"`
	IntrospectionEndpoint string   `json:"introspection_endpoint"`
	ACRValuesSupported    []string `json:"acr_values_supported"`
}

// discover fetches ISSUER/.well-known/openid-configuration and checks that it
// names the same issuer (OpenID Connect Discovery 1.0, section 4.3).
func discover(ctx context.Context, client *http.Client, issuer string) (*discovery, error) {
	if issuer == "" {
		return nil, fmt.Errorf("rs: issuer is empty")
	}
	u := strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
	var d discovery
	if err := getJSON(ctx, client, u, &d); err != nil {
		return nil, fmt.Errorf("rs: discovery: %w", err)
	}
	if d.Issuer != issuer {
		return nil, fmt.Errorf("rs: discovery at %s names issuer %q, want %q", u, d.Issuer, issuer)
	}
	return &d, nil
}

func getJSON(ctx context.Context, client *http.Client, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	return decodeResponse(resp, v)
}

func decodeResponse(resp *http.Response, v any) error {
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return fmt.Errorf("%s: read: %w", resp.Request.URL, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", resp.Request.URL, resp.Status)
	}
	if len(body) > maxBody {
		return fmt.Errorf("%s: response larger than %d bytes", resp.Request.URL, maxBody)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%s: %w", resp.Request.URL, err)
	}
	return nil
}
