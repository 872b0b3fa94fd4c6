package mockserver_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v4"

	"github.com/spacedog-oss/batchkit/mockserver"
	"github.com/spacedog-oss/batchkit/spec"
)

// The document each profile serves is what a client, a linter or a code
// generator reads: it must be valid as served, not only as the mock loads it.
func TestServedSpecIsValid(t *testing.T) {
	for _, profile := range spec.Profiles() {
		t.Run(profile, func(t *testing.T) {
			data := servedSpec(t, profile)
			doc, err := openapi3.NewLoader().LoadFromData(data)
			if err != nil {
				t.Fatalf("kin-openapi does not load it: %v", err)
			}
			if err := doc.Validate(context.Background(), openapi3.EnableExamplesValidation()); err != nil {
				t.Errorf("kin-openapi does not validate it: %v", err)
			}
			var root yaml.Node
			if err := yaml.Unmarshal(data, &root); err != nil {
				t.Fatal(err)
			}
			for _, p := range refSiblings(&root, "") {
				t.Errorf("$ref with siblings: %s", p)
			}
			exs := examples(doc)
			for _, want := range []string{"POST /1/batch request application/json example page", "POST /1/batch 200 application/json example page"} {
				if _, ok := exs[want]; !ok {
					t.Errorf("the walk finds no %q", want)
				}
			}
			for _, where := range slices.Sorted(maps.Keys(exs)) {
				if err := exs[where].check(); err != nil {
					t.Errorf("%s does not match its schema: %v", where, err)
				}
			}
		})
	}
}

// The checks above can fail: a sibling of $ref and a broken example are found.
func TestServedSpecChecksFindWhatTheyLookFor(t *testing.T) {
	var root yaml.Node
	if err := yaml.Unmarshal([]byte("a:\n  b/c:\n    - {x: 1}\n    - {$ref: '#/x', type: array, items: {}}\n"), &root); err != nil {
		t.Fatal(err)
	}
	if got := refSiblings(&root, ""); len(got) != 1 || !strings.HasPrefix(got[0], "/a/b~1c/1 ") {
		t.Errorf("refSiblings = %q, want one at /a/b~1c/1", got)
	}
	doc, err := openapi3.NewLoader().LoadFromData(servedSpec(t, spec.SpaceDog2016))
	if err != nil {
		t.Fatal(err)
	}
	mt := doc.Paths.Value("/1/batch").Post.Responses.Value("200").Value.Content.Get("application/json")
	mt.Examples["page"].Value.Value = []any{} // the doc profile's reply, not the 2016 envelope
	if err := examples(doc)["POST /1/batch 200 application/json example page"].check(); err == nil {
		t.Error("a bare array passes as the 2016 batch reply")
	}
}

func servedSpec(t *testing.T, profile string) []byte {
	t.Helper()
	srv, err := mockserver.New(mockserver.Config{Profile: profile})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	res, err := http.Get(ts.URL + "/_mock/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET /_mock/openapi.yaml: %d %v\n%.300s", res.StatusCode, err, data)
	}
	return data
}

// refSiblings lists the JSON pointers of the mappings that hold $ref and
// another key: OpenAPI 3.0 ignores a $ref's siblings, so a reader sees
// something other than what the document seems to say.
func refSiblings(n *yaml.Node, at string) []string {
	var out []string
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			out = append(out, refSiblings(c, at)...)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			out = append(out, refSiblings(c, at+"/"+strconv.Itoa(i))...)
		}
	case yaml.MappingNode:
		var keys []string
		for i := 0; i+1 < len(n.Content); i += 2 {
			keys = append(keys, n.Content[i].Value)
		}
		if slices.Contains(keys, "$ref") && len(keys) > 1 {
			out = append(out, fmt.Sprintf("%s holds %v", at, keys))
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			out = append(out, refSiblings(n.Content[i+1], at+"/"+pointerEscape(n.Content[i].Value))...)
		}
	case yaml.AliasNode:
		out = append(out, refSiblings(n.Alias, at)...)
	}
	return out
}

func pointerEscape(key string) string {
	return strings.ReplaceAll(strings.ReplaceAll(key, "~", "~0"), "/", "~1")
}

// example is a value the document gives as an example of a schema.
type example struct {
	schema   *openapi3.Schema
	value    any
	response bool // read as a response body (readOnly allowed, writeOnly not)
}

func (e example) check() error {
	// Round-trip through JSON so the values have the types a decoder gives.
	raw, err := json.Marshal(e.value)
	if err != nil {
		return err
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return err
	}
	opt := openapi3.VisitAsRequest()
	if e.response {
		opt = openapi3.VisitAsResponse()
	}
	return e.schema.VisitJSON(v, opt)
}

// examples walks every example of the document, keyed by where it is:
// media types' example and examples, parameters', and schemas' example at
// any depth (properties, items, allOf, anyOf, oneOf, not,
// additionalProperties).
func examples(doc *openapi3.T) map[string]example {
	out := map[string]example{}
	seen := map[*openapi3.Schema]bool{}
	var schema func(where string, ref *openapi3.SchemaRef, response bool)
	schema = func(where string, ref *openapi3.SchemaRef, response bool) {
		if ref == nil || ref.Value == nil || seen[ref.Value] {
			return
		}
		s := ref.Value
		seen[s] = true
		if s.Example != nil {
			out[where+" example"] = example{s, s.Example, response}
		}
		for _, name := range slices.Sorted(maps.Keys(s.Properties)) {
			schema(where+" property "+name, s.Properties[name], response)
		}
		schema(where+" items", s.Items, response)
		schema(where+" not", s.Not, response)
		schema(where+" additionalProperties", s.AdditionalProperties.Schema, response)
		for kind, list := range map[string]openapi3.SchemaRefs{"allOf": s.AllOf, "anyOf": s.AnyOf, "oneOf": s.OneOf} {
			for i, r := range list {
				schema(fmt.Sprintf("%s %s %d", where, kind, i), r, response)
			}
		}
	}
	media := func(where string, content openapi3.Content, response bool) {
		for ct, mt := range content {
			if mt.Schema == nil {
				continue
			}
			if mt.Example != nil {
				out[where+" "+ct+" example"] = example{mt.Schema.Value, mt.Example, response}
			}
			for name, ex := range mt.Examples {
				out[where+" "+ct+" example "+name] = example{mt.Schema.Value, ex.Value.Value, response}
			}
		}
	}
	parameter := func(where string, p *openapi3.Parameter) {
		if p.Schema == nil {
			return
		}
		if p.Example != nil {
			out[where+" parameter "+p.Name+" example"] = example{p.Schema.Value, p.Example, false}
		}
		for name, ex := range p.Examples {
			out[where+" parameter "+p.Name+" example "+name] = example{p.Schema.Value, ex.Value.Value, false}
		}
	}
	for path, item := range doc.Paths.Map() {
		for _, p := range item.Parameters {
			parameter(path, p.Value)
		}
		for method, op := range item.Operations() {
			where := method + " " + path
			for _, p := range op.Parameters {
				parameter(where, p.Value)
			}
			if op.RequestBody != nil {
				media(where+" request", op.RequestBody.Value.Content, false)
			}
			for status, resp := range op.Responses.Map() {
				media(where+" "+status, resp.Value.Content, true)
			}
		}
	}
	for name, p := range doc.Components.Parameters {
		parameter("parameters "+name, p.Value)
	}
	for name, rb := range doc.Components.RequestBodies {
		media("requestBodies "+name, rb.Value.Content, false)
	}
	for name, resp := range doc.Components.Responses {
		media("responses "+name, resp.Value.Content, true)
	}
	for _, name := range slices.Sorted(maps.Keys(doc.Components.Schemas)) {
		// A component schema is read in requests and responses alike.
		schema("schema "+name, doc.Components.Schemas[name], true)
	}
	return out
}
