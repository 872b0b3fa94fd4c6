package spec

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v4"
)

// The rendered spacedog-2016 document says each difference of CONTRACT §7,
// and the doc document does not.

// schemaOf is the JSON schema of an operation's response, or nil.
func schemaOf(s *Spec, path, method, status string) *openapi3.Schema {
	op := s.Doc.Paths.Value(path).GetOperation(method)
	resp := op.Responses.Value(status)
	if resp == nil {
		return nil
	}
	mt := resp.Value.Content.Get("application/json")
	if mt == nil || mt.Schema == nil {
		return nil
	}
	return mt.Schema.Value
}

// takes reports whether a schema takes a JSON document.
func takes(s *openapi3.Schema, body string) bool {
	var v any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		panic(err)
	}
	return s != nil && s.VisitJSON(v, openapi3.VisitAsResponse()) == nil
}

func statuses(s *Spec, path, method string) []string {
	op := s.Doc.Paths.Value(path).GetOperation(method)
	codes := slices.Collect(func(yield func(string) bool) {
		for code := range op.Responses.Map() {
			if !yield(code) {
				return
			}
		}
	})
	slices.Sort(codes)
	return codes
}

func bothProfiles(t *testing.T) (doc, old *Spec) {
	t.Helper()
	doc, err := LoadProfile(Doc)
	if err != nil {
		t.Fatal(err)
	}
	old, err = LoadProfile(SpaceDog2016)
	if err != nil {
		t.Fatal(err)
	}
	return doc, old
}

const savedBody = `{"success":true,"status":%d,"id":"x","type":"product","location":"https://mybackend.spacedog.io/1/data/product/x","version":%d}`

func TestProfile2016_SavedStatusIsPerOperation(t *testing.T) {
	doc, old := bothProfiles(t)
	for _, tc := range []struct {
		s                    *Spec
		path, method, status string
		takes201, takes200   bool
	}{
		{doc, "/1/data/{type}", "POST", "200", false, true},
		{doc, "/1/data/{type}/{id}", "PUT", "200", false, true},
		{old, "/1/data/{type}", "POST", "201", true, false},
		{old, "/1/data/{type}/{id}", "PUT", "200", false, true},
	} {
		sc := schemaOf(tc.s, tc.path, tc.method, tc.status)
		if sc == nil {
			t.Errorf("%s: %s %s has no %s", tc.s.Profile, tc.method, tc.path, tc.status)
			continue
		}
		if got := takes(sc, fmt.Sprintf(savedBody, 201, 1)); got != tc.takes201 {
			t.Errorf("%s: %s %s %s takes a saved status 201: %v", tc.s.Profile, tc.method, tc.path, tc.status, got)
		}
		if got := takes(sc, fmt.Sprintf(savedBody, 200, 2)); got != tc.takes200 {
			t.Errorf("%s: %s %s %s takes a saved status 200: %v", tc.s.Profile, tc.method, tc.path, tc.status, got)
		}
	}
}

func TestProfile2016_APostWithAnExistingIDOverwrites(t *testing.T) {
	doc, old := bothProfiles(t)
	if !slices.Contains(statuses(doc, "/1/data/{type}", "POST"), "409") {
		t.Error("doc: createObject has no 409 (DATA-5)")
	}
	got := statuses(old, "/1/data/{type}", "POST")
	if slices.Contains(got, "409") || slices.Contains(got, "200") || !slices.Contains(got, "201") {
		t.Errorf("spacedog-2016: createObject answers %v, want 201 and no 200 or 409", got)
	}
	if d := old.Doc.Paths.Value("/1/data/{type}").Post.Description; !strings.Contains(d, "overwritten") {
		t.Errorf("spacedog-2016: createObject does not say an existing id is overwritten: %q", d)
	}
	// An overwrite's saved body has the next version and still says 201.
	if !takes(schemaOf(old, "/1/data/{type}", "POST", "201"), fmt.Sprintf(savedBody, 201, 2)) {
		t.Error("spacedog-2016: an overwrite's 201 with version 2 is refused")
	}
}

func TestProfile2016_DeletingEveryObjectIsNotImplemented(t *testing.T) {
	doc, old := bothProfiles(t)
	if got := statuses(doc, "/1/data", "DELETE"); !slices.Contains(got, "200") || slices.Contains(got, "501") {
		t.Errorf("doc: deleteAllObjects answers %v", got)
	}
	if got := statuses(old, "/1/data", "DELETE"); slices.Contains(got, "200") || !slices.Contains(got, "501") {
		t.Errorf("spacedog-2016: deleteAllObjects answers %v, want 501 and never 200", got)
	}
	sc := schemaOf(old, "/1/data", "DELETE", "501")
	if !takes(sc, `{"success":false,"status":501}`) {
		t.Error("spacedog-2016: the bare 501 is refused")
	}
	for _, body := range []string{`{"success":false,"status":500}`, `{"success":false,"status":501,"error":{"type":"t","message":"m"}}`} {
		if takes(sc, body) {
			t.Errorf("spacedog-2016: the 501 takes %s", body)
		}
	}
}

func TestProfile2016_DeletingATypesObjectsCountsThem(t *testing.T) {
	doc, old := bothProfiles(t)
	deleted := `{"success":true,"status":200,"totalDeleted":2}`
	if sc := schemaOf(old, "/1/data/{type}", "DELETE", "200"); !takes(sc, deleted) || takes(sc, `{"success":true,"status":200}`) {
		t.Error("spacedog-2016: deleteObjects' 200 does not require totalDeleted")
	}
	if !takes(schemaOf(doc, "/1/data/{type}", "DELETE", "200"), `{"success":true,"status":200}`) {
		t.Error("doc: deleteObjects' 200 refuses the plain success")
	}
	if !takes(old.OpenAPISchema("BatchResult"), deleted) {
		t.Error("spacedog-2016: a batch result refuses totalDeleted")
	}
}

func TestProfile2016_RouteErrorsHaveNoType(t *testing.T) {
	doc, old := bothProfiles(t)
	for _, body := range []string{
		`{"success":false,"status":404,"error":{"message":"[/1/nothing] not a valid path"}}`,
		`{"success":false,"status":405,"error":{"message":"method [PUT] not valid for path [/1/data]"}}`,
	} {
		if err := old.CheckEnvelope(0, []byte(body)); err != nil {
			t.Errorf("spacedog-2016 refuses the route error %s: %v", body, err)
		}
		if !takes(old.OpenAPISchema("BatchResult"), body) {
			t.Errorf("spacedog-2016: a batch result refuses %s", body)
		}
		if err := doc.CheckEnvelope(0, []byte(body)); err == nil {
			t.Errorf("doc takes an error without type: %s", body)
		}
	}
	// Each method a path lacks is described by a 405 that is a route error,
	// without the Allow header the 2016 server did not send; no POST of the
	// batch gets a 405.
	n := 0
	for path, item := range old.Doc.Paths.Map() {
		for method, op := range item.Operations() {
			if !MethodNotAllowed(op) {
				if op.Responses.Value("405") != nil {
					t.Errorf("spacedog-2016: %s %s, which runs, documents a 405", method, path)
				}
				continue
			}
			n++
			sc := schemaOf(old, path, method, "405")
			if !takes(sc, `{"success":false,"status":405,"error":{"message":"method [GET] not valid for path [/1/batch]"}}`) ||
				takes(sc, `{"success":false,"status":405,"error":{"type":"io.spacedog.services.MethodNotAllowedException","message":"m"}}`) {
				t.Errorf("spacedog-2016: the 405 of %s %s is not a route error without type", method, path)
			}
			if h := op.Responses.Value("405").Value.Headers; len(h) > 0 {
				t.Errorf("spacedog-2016: the 405 of %s %s promises headers %v", method, path, h)
			}
		}
	}
	if n == 0 {
		t.Error("spacedog-2016 describes no 405")
	}
}

func TestProfile2016_TheBatchReplyIsAnEnvelopeNotAnArray(t *testing.T) {
	doc, old := bothProfiles(t)
	sc := schemaOf(old, "/1/batch", "POST", "200")
	if sc.Type.Is("array") || sc.Items != nil || !sc.Type.Is("object") {
		t.Errorf("spacedog-2016: the batch reply's schema is %v with items %v", sc.Type, sc.Items)
	}
	if takes(sc, `[]`) || !takes(sc, `{"success":true,"status":200,"responses":[]}`) {
		t.Error("spacedog-2016: the batch reply's schema is not the envelope")
	}
	if !takes(schemaOf(doc, "/1/batch", "POST", "200"), `[]`) {
		t.Error("doc: the batch reply's schema is not an array")
	}
	// As written, not as kin-openapi resolves it: a $ref's siblings are
	// ignored by kin-openapi but read by linters and generators.
	y, err := YAML(SpaceDog2016)
	if err != nil {
		t.Fatal(err)
	}
	var raw any
	if err := yaml.Unmarshal(y, &raw); err != nil {
		t.Fatal(err)
	}
	written := raw
	for _, key := range []string{"paths", "/1/batch", "post", "responses", "200", "content", "application/json", "schema"} {
		m, _ := written.(map[string]any)
		written = m[key]
	}
	if m, _ := written.(map[string]any); len(m) != 1 || m["$ref"] != "#/components/schemas/BatchReply" {
		t.Errorf("spacedog-2016: the batch reply's schema is written %v, want the $ref alone", written)
	}
}

// example returns a named example's value of a response, or its only one.
func exampleOf(t *testing.T, s *Spec, path, method, status, name string) map[string]any {
	t.Helper()
	mt := s.Doc.Paths.Value(path).GetOperation(method).Responses.Value(status).Value.Content.Get("application/json")
	var v any = mt.Example
	if name != "" {
		ex := mt.Examples[name]
		if ex == nil {
			t.Fatalf("%s: %s %s %s has no example %q", s.Profile, method, path, status, name)
		}
		v = ex.Value.Value
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%s: %s %s %s example %q is %T", s.Profile, method, path, status, name, v)
	}
	return m
}

func errorOf(m map[string]any) (typ, message any) {
	e, _ := m["error"].(map[string]any)
	return e["type"], e["message"]
}

func TestProfile2016_ErrorsCarryTheServersClassesAndWords(t *testing.T) {
	_, old := bothProfiles(t)
	for _, tc := range []struct {
		path, method, status, name string
		typ, message               string
	}{
		{"/1/batch", "POST", "400", "tooMany", "java.lang.RuntimeException", "batch are limited to 10 sub requests"},
		{"/1/batch", "POST", "400", "notAnObject", "java.lang.IllegalArgumentException", "not a json object but [NUMBER]"},
		{"/1/data/{type}/{id}", "DELETE", "404", "", "java.lang.RuntimeException", "object of type [product] and id [GVTkGHKsuJhkJMV-i2ke] not found"},
		{"/1/data/{type}/{id}", "PUT", "404", "", "io.spacedog.utils.NotFoundException", "object [GVTkGHKsuJhkJMV-i2ke] of type [product] not found"},
	} {
		typ, msg := errorOf(exampleOf(t, old, tc.path, tc.method, tc.status, tc.name))
		if typ != tc.typ || msg != tc.message {
			t.Errorf("%s %s %s: error %v %q, want %s %q", tc.method, tc.path, tc.status, typ, msg, tc.typ, tc.message)
		}
	}
	if typ, _ := errorOf(old.OpenAPISchema("ErrorEnvelope").Example.(map[string]any)); typ != "io.spacedog.utils.NotFoundException" {
		t.Errorf("spacedog-2016: the ErrorEnvelope example names %v", typ)
	}
	y, err := YAML(SpaceDog2016)
	if err != nil {
		t.Fatal(err)
	}
	for _, never := range []string{"io.spacedog.services.", "MethodNotAllowedException", "ConflictException", "PayloadTooLargeException"} {
		if strings.Contains(string(y), never) {
			t.Errorf("spacedog-2016 names %s, which the 2016 server did not have", never)
		}
	}
}

func TestProfile2016_ThePagesReplyAndFailuresAreThe2016Servers(t *testing.T) {
	_, old := bothProfiles(t)
	page := exampleOf(t, old, "/1/batch", "POST", "200", "page")["responses"].([]any)
	if typ, msg := errorOf(page[3].(map[string]any)); typ != "java.lang.RuntimeException" || msg != "object of type [product] and id [GVTkGHKsuJhkJMV-i2ke] not found" {
		t.Errorf("the page's DELETE of a missing object answers %v %q", typ, msg)
	}
	failures := exampleOf(t, old, "/1/batch", "POST", "200", "failures")["responses"].([]any)
	var got []string
	for _, f := range failures {
		b, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(b))
	}
	want := []string{
		`{"error":{"message":"[/1/nothing?x=1] not a valid path"},"status":404,"success":false}`,
		`{"error":{"message":"method [patch] not valid for path [/1/data/product/x]"},"status":405,"success":false}`,
		`{"status":501,"success":false}`,
		`{"status":404,"success":false}`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("failures example:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestProfile2016_CredentialsAndElementsAreSaid(t *testing.T) {
	doc, old := bothProfiles(t)
	batch := old.Doc.Paths.Value("/1/batch").Post.Description
	for _, says := range []string{"checked once", "does not change who", "after the elements before it have run"} {
		if !strings.Contains(strings.Join(strings.Fields(batch), " "), says) {
			t.Errorf("spacedog-2016: the batch's description does not say %q", says)
		}
	}
	h := old.OpenAPISchema("SubRequest").Properties["headers"].Value.Description
	if h == doc.OpenAPISchema("SubRequest").Properties["headers"].Value.Description || !strings.Contains(h, "Authorization") {
		t.Errorf("spacedog-2016: SubRequest.headers does not say Authorization does not change who runs it: %q", h)
	}
	if !slices.Contains(statuses(old, "/1/batch", "POST"), "400") {
		t.Error("spacedog-2016: the batch has no 400")
	}
}

// The failures the 2016 document describes member by member forbid only
// the member they lack (error, or error.type): a server may add its own.
func TestProfile2016_FailuresForbidOnlyTheMemberTheyLack(t *testing.T) {
	_, old := bothProfiles(t)
	for _, tc := range []struct {
		schema       string
		takes, never []string
	}{
		{"BareFailure",
			[]string{`{"success":false,"status":404}`, `{"success":false,"status":404,"server":"example/1.0"}`},
			[]string{`{"success":false,"status":404,"error":{"type":"t","message":"m"}}`, `{"success":false,"status":404,"error":null}`}},
		{"NotImplemented",
			[]string{`{"success":false,"status":501}`, `{"success":false,"status":501,"server":"example/1.0"}`},
			[]string{`{"success":false,"status":501,"error":{"message":"m"}}`}},
		{"RouteError",
			[]string{`{"success":false,"status":404,"error":{"message":"[/x] not a valid path"}}`,
				`{"success":false,"status":405,"server":"example/1.0","error":{"message":"m","code":405,"documentation":"https://example.com/errors"}}`},
			[]string{`{"success":false,"status":404,"error":{"type":"t","message":"m"}}`, `{"success":false,"status":405,"error":{"type":null,"message":"m"}}`}},
	} {
		sc := old.OpenAPISchema(tc.schema)
		if sc == nil {
			t.Fatalf("spacedog-2016 has no %s", tc.schema)
		}
		for _, body := range tc.takes {
			if !takes(sc, body) {
				t.Errorf("%s refuses %s", tc.schema, body)
			}
		}
		for _, body := range tc.never {
			if takes(sc, body) {
				t.Errorf("%s takes %s", tc.schema, body)
			}
		}
	}
	// In the document as written, too: the keyword is not, never a closed
	// object, which would forbid what a server adds.
	y, err := YAML(SpaceDog2016)
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Components struct {
			Schemas map[string]map[string]any `yaml:"schemas"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(y, &raw); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"BareFailure", "NotImplemented", "RouteError"} {
		s := raw.Components.Schemas[name]
		if s == nil {
			t.Fatalf("spacedog-2016 as written has no schema %s", name)
		}
		if strings.Contains(fmt.Sprint(s), "additionalProperties") {
			t.Errorf("spacedog-2016: %s closes an object with additionalProperties: %v", name, s)
		}
	}
}
