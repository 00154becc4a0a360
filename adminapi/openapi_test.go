package adminapi

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
)

type openAPIDoc struct {
	OpenAPI string                                 `json:"openapi"`
	Paths   map[string]map[string]openAPIOperation `json:"paths"`
}

type openAPIOperation struct {
	OperationID string `json:"operationId"`
	Parameters  []struct {
		Name string `json:"name"`
		In   string `json:"in"`
	} `json:"parameters"`
	Responses map[string]any `json:"responses"`
}

// TestOpenAPIMatchesRoutes checks that openapi.json documents exactly the
// routes the API serves, each with its path parameters and its 401 and 403.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	var doc openAPIDoc
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
	var documented, served []string
	ids := map[string]bool{}
	vars := regexp.MustCompile(`\{([a-z_]+)\}`)
	for path, ops := range doc.Paths {
		for method, op := range ops {
			documented = append(documented, strings.ToUpper(method)+" "+path)
			if op.OperationID == "" || ids[op.OperationID] {
				t.Errorf("%s %s: operationId %q missing or used twice", method, path, op.OperationID)
			}
			ids[op.OperationID] = true
			for _, code := range []string{"401", "403"} {
				if op.Responses[code] == nil {
					t.Errorf("%s %s does not document %s", method, path, code)
				}
			}
			var params []string
			for _, p := range op.Parameters {
				if p.In == "path" {
					params = append(params, p.Name)
				}
			}
			var want []string
			for _, m := range vars.FindAllStringSubmatch(path, -1) {
				want = append(want, m[1])
			}
			if !slices.Equal(params, want) {
				t.Errorf("%s %s: path parameters %v, want %v", method, path, params, want)
			}
		}
	}
	for _, rt := range (&API{}).routes() {
		served = append(served, rt.method+" "+rt.path)
	}
	slices.Sort(documented)
	slices.Sort(served)
	if !slices.Equal(documented, served) {
		t.Errorf("documented operations differ from the routes:\ndocumented %v\nserved     %v", documented, served)
	}
}
