package spec

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/spacedog-oss/batchkit/fixtures"
)

// The compiled checks and kin-openapi, the validator of record, must give
// the same verdict on every request, and name the same parameter or field.

var paramValues = []string{"", "0", "1", "-1", "+5", "05", "1.5", "1e3", "2147483647", "2147483648",
	"9223372036854775807", "9223372036854775808", "abc", "true", "TRUE", "True", "t", "1 ", "x y",
	"product", "1bad", "a/b", "_x", "x.y~z", strings.Repeat("a", 64), strings.Repeat("a", 65), "é"}

// kinVerdict validates a request with kin-openapi: "" when it passes, else
// the parameter or body pointer it names.
func kinVerdict(t *testing.T, route *Route, query url.Values, body []byte) string {
	t.Helper()
	req := &http.Request{Method: route.Method, URL: &url.URL{Path: route.Path, RawQuery: query.Encode()}, Header: http.Header{}}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.ContentLength = int64(len(body))
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: route.PathParams, QueryParams: query,
		Route: route.Route, Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
			SkipSettingDefaults: true, ExcludeRequestBody: route.OperationID() == "batch"}}
	err := openapi3filter.ValidateRequest(context.Background(), in)
	if err == nil {
		return ""
	}
	var re *openapi3filter.RequestError
	if !errors.As(err, &re) {
		t.Fatalf("kin-openapi: %v", err)
	}
	if re.Parameter != nil {
		return re.Parameter.In + " " + re.Parameter.Name
	}
	var se *openapi3.SchemaError
	if errors.As(re.Err, &se) && len(se.JSONPointer()) > 0 {
		return "body " + strings.Join(se.JSONPointer(), "/")
	}
	return "body"
}

func ourVerdict(route *Route, query url.Values, body []byte) string {
	if err := route.Checks.CheckParams(route.PathParams, query); err != nil {
		return err.In + " " + err.Name
	}
	if !route.Checks.TakesBody() || route.OperationID() == "batch" {
		return ""
	}
	if err := route.Checks.CheckRawBody(body); err != nil {
		if len(err.Pointer) > 0 {
			return "body " + strings.Join(err.Pointer, "/")
		}
		return "body"
	}
	return ""
}

func TestCompiledChecksAgreeWithKinOpenAPIOnParameters(t *testing.T) {
	for _, profile := range Profiles() {
		s, err := LoadProfile(profile)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(1, 2))
		n := 0
		for _, path := range s.Doc.Paths.InMatchingOrder() {
			for method, op := range s.Doc.Paths.Value(path).Operations() {
				var names []string
				for _, p := range slices.Concat(s.Doc.Paths.Value(path).Parameters, op.Parameters) {
					if p.Value.In == "query" {
						names = append(names, p.Value.Name)
					}
				}
				names = append(names, "unknown")
				for range 400 {
					raw := path
					for _, name := range []string{"type", "id"} {
						raw = strings.ReplaceAll(raw, "{"+name+"}", url.PathEscape(pick(rng, paramValues[1:])))
					}
					route, err := s.FindRoute(method, raw)
					if err != nil {
						continue
					}
					query := url.Values{}
					for _, name := range names {
						if rng.IntN(3) == 0 {
							query.Set(name, pick(rng, paramValues))
						}
					}
					body := []byte(pick(rng, []string{`{}`, `{"a":1,"meta":{}}`, `[]`, `1`, `"x"`, `null`, `true`}))
					if rng.IntN(4) == 0 {
						body = nil
					}
					kin, ours := kinVerdict(t, route, query, body), ourVerdict(route, query, body)
					if kin != ours {
						t.Errorf("%s %s %s ?%s body %s: kin-openapi %q, compiled %q", profile, method, raw, query.Encode(), body, kin, ours)
					}
					n++
				}
			}
		}
		if n < 1000 {
			t.Errorf("%s: only %d requests compared", profile, n)
		}
	}
}

func pick(rng *rand.Rand, from []string) string { return from[rng.IntN(len(from))] }

// TestCompiledSubRequestAgreesWithKinOpenAPI: every item of the fixtures
// and the hostile corpus, and variations, get the same verdict and the
// same field from both.
func TestCompiledSubRequestAgreesWithKinOpenAPI(t *testing.T) {
	s, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	compiled, err := s.CompiledSchema("SubRequest")
	if err != nil {
		t.Fatal(err)
	}
	items := subRequestCorpus(t)
	for _, item := range items {
		var v any
		dec := json.NewDecoder(bytes.NewReader(item))
		dec.UseNumber()
		if dec.Decode(&v) != nil {
			continue
		}
		// As the mock validates an item: the payload's schema takes any
		// value, so a placeholder stands in for it.
		if m, ok := v.(map[string]any); ok {
			for _, name := range []string{"content", "body"} {
				if _, ok := m[name]; ok {
					m[name] = true
				}
			}
		}
		kin := ""
		if err := s.OpenAPISchema("SubRequest").VisitJSON(v, openapi3.DisableSchemaErrorDetails()); err != nil {
			var se *openapi3.SchemaError
			if !errors.As(err, &se) {
				t.Fatalf("%s: %v", item, err)
			}
			kin = "field " + strings.Join(se.JSONPointer(), "/")
		}
		ours := ""
		if err := compiled.Check(v); err != nil {
			ours = "field " + strings.Join(err.Pointer, "/")
		}
		if kin != ours {
			t.Errorf("%s: kin-openapi %q, compiled %q", item, kin, ours)
		}
	}
	if len(items) < 200 {
		t.Errorf("only %d items compared", len(items))
	}
}

func subRequestCorpus(t *testing.T) [][]byte {
	var out [][]byte
	cases, err := fixtures.Hostile()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		var items []json.RawMessage
		if json.Unmarshal(c.Items, &items) == nil {
			for _, it := range items {
				out = append(out, it)
			}
		}
	}
	values := []string{`"GET"`, `"get"`, `"G E T"`, `""`, `"DELETE\r\n"`, `1`, `null`, `true`, `[]`, `{}`,
		`"/1/data"`, `"1/data"`, `"http://x/1/data"`, `{"a":"b"}`, `{"a":1}`, `{"a":[1,"x",true]}`, `{"a":[{}]}`,
		`{"a":null}`, `{"a":{"b":1}}`, `["x"]`}
	rng := rand.New(rand.NewPCG(3, 4))
	fields := []string{"method", "path", "parameters", "headers", "content", "body", "Method", "other"}
	for range 600 {
		var b strings.Builder
		b.WriteString("{")
		for _, f := range fields {
			if rng.IntN(2) == 0 {
				continue
			}
			if b.Len() > 1 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, "%q:%s", f, pick(rng, values))
		}
		b.WriteString("}")
		out = append(out, []byte(b.String()))
	}
	return out
}
