package spec

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

func TestDocumentLoadsAndValidates(t *testing.T) {
	s, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if s.Doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi = %q, want 3.0.3 (3.1 validation is many times slower in kin-openapi)", s.Doc.OpenAPI)
	}
}

// examples walks every example of the document with the schema it illustrates.
func examples(doc *openapi3.T) map[string]struct {
	schema *openapi3.Schema
	value  any
} {
	out := map[string]struct {
		schema *openapi3.Schema
		value  any
	}{}
	media := func(where string, content openapi3.Content) {
		for ct, mt := range content {
			if mt.Schema == nil {
				continue
			}
			for name, ex := range mt.Examples {
				out[where+" "+ct+" example "+name] = struct {
					schema *openapi3.Schema
					value  any
				}{mt.Schema.Value, ex.Value.Value}
			}
		}
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			where := method + " " + path
			if op.RequestBody != nil {
				media(where+" request", op.RequestBody.Value.Content)
			}
			for status, resp := range op.Responses.Map() {
				media(where+" "+status, resp.Value.Content)
			}
		}
	}
	for name, ref := range doc.Components.Schemas {
		if ref.Value.Example != nil {
			out["schema "+name] = struct {
				schema *openapi3.Schema
				value  any
			}{ref.Value, ref.Value.Example}
		}
	}
	return out
}

func TestEveryExampleMatchesItsSchema(t *testing.T) {
	for _, profile := range Profiles() {
		t.Run(profile, func(t *testing.T) { checkExamples(t, profile) })
	}
}

func checkExamples(t *testing.T, profile string) {
	s, err := LoadProfile(profile)
	if err != nil {
		t.Fatal(err)
	}
	exs := examples(s.Doc)
	want := []string{"POST /1/batch request application/json example page", "POST /1/batch 200 application/json example page"}
	if profile == Doc {
		want = append(want, "POST /1/batch 200 application/json example pageAsWritten")
	}
	for _, w := range want {
		if _, ok := exs[w]; !ok {
			t.Errorf("missing example %q", w)
		}
	}
	for name, ex := range exs {
		// Round-trip through JSON so the values have the types a decoder gives.
		raw, err := json.Marshal(ex.value)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatal(err)
		}
		if err := ex.schema.VisitJSON(v); err != nil {
			t.Errorf("%s does not match its schema: %v", name, err)
		}
	}
}

func TestAnExampleThatBreaksItsSchemaIsRejected(t *testing.T) {
	document, err := files.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(document), "message: object [GVTkGHKsuJhkJMV-i2ke] of type [product] not found", "message: ''", 1)
	if broken == string(document) {
		t.Fatal("the replaced example text is gone from openapi.yaml")
	}
	if _, err := parse([]byte(broken)); err == nil {
		t.Fatal("a document whose example breaks minLength loaded without error")
	}
}

func TestEveryOperationHasAnIDAndKnownRequirements(t *testing.T) {
	for _, profile := range Profiles() {
		t.Run(profile, func(t *testing.T) { checkOperations(t, profile) })
	}
}

func checkOperations(t *testing.T, profile string) {
	s, err := LoadProfile(profile)
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, r := range s.Rules() {
		if r.Level != "MUST" && r.Level != "SHOULD" {
			t.Errorf("rule %s has level %q", r.ID, r.Level)
		}
		known[r.ID] = true
	}
	for path, item := range s.Doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.OperationID == "" {
				t.Errorf("%s %s has no operationId", method, path)
			}
			ids := s.Requirements()[op.OperationID]
			if len(ids) == 0 {
				t.Errorf("%s has no x-requirements", op.OperationID)
			}
			for _, id := range ids {
				if !known[id] {
					t.Errorf("%s requires %s, which x-rules does not list", op.OperationID, id)
				}
			}
		}
	}
}

func TestNormalizePath(t *testing.T) {
	for in, want := range map[string]string{
		"/1/data":           "/1/data",
		"/1/data/":          "/1/data",
		"/v1/data/product":  "/1/data/product",
		"/v1/data/product/": "/1/data/product",
		"/v1":               "/1",
		"/":                 "/",
		"/v10/data":         "/v10/data",
	} {
		if got := NormalizePath(in); got != want {
			t.Errorf("NormalizePath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFindRoute(t *testing.T) {
	s, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		method, path, op string
		err              error
		allow            []string
	}{
		{"POST", "/1/batch", "batch", nil, nil},
		{"post", "/v1/batch/", "batch", nil, nil},
		{"GET", "/1/data", "listAllObjects", nil, nil},
		{"GET", "/1/data/product", "listObjects", nil, nil},
		{"Put", "/1/data/product/abc", "updateObject", nil, nil},
		{"GET", "/1/batch", "", ErrMethodNotAllowed, []string{"POST"}},
		{"PATCH", "/1/data/product/abc", "", ErrMethodNotAllowed, []string{"GET", "PUT", "DELETE"}},
		{"GET", "/1/nothing", "", ErrNoRoute, nil},
		{"GET", "/_mock/health", "", ErrNoRoute, nil},
	} {
		r, err := s.FindRoute(tc.method, tc.path)
		if tc.err != nil {
			var re *RouteError
			if !errors.Is(err, tc.err) || !errors.As(err, &re) || !slices.Equal(re.Allow, tc.allow) {
				t.Errorf("FindRoute(%s %s) = %v, want %v with Allow %v", tc.method, tc.path, err, tc.err, tc.allow)
			}
			continue
		}
		if err != nil || r.OperationID() != tc.op {
			t.Errorf("FindRoute(%s %s) = %v, %v; want %s", tc.method, tc.path, r, err, tc.op)
		}
	}
}
