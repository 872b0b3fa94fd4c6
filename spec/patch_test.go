package spec

import (
	"encoding/json"
	"net/http"
	"testing"

	"go.yaml.in/yaml/v4"
)

// The examples of RFC 7386, appendix A.
func TestMergePatchFollowsRFC7386(t *testing.T) {
	for _, tc := range []struct{ target, patch, want string }{
		{`{"a":"b"}`, `{"a":"c"}`, `{"a":"c"}`},
		{`{"a":"b"}`, `{"b":"c"}`, `{"a":"b","b":"c"}`},
		{`{"a":"b"}`, `{"a":null}`, `{}`},
		{`{"a":"b","b":"c"}`, `{"a":null}`, `{"b":"c"}`},
		{`{"a":["b"]}`, `{"a":"c"}`, `{"a":"c"}`},
		{`{"a":"c"}`, `{"a":["b"]}`, `{"a":["b"]}`},
		{`{"a":{"b":"c"}}`, `{"a":{"b":"d","c":null}}`, `{"a":{"b":"d"}}`},
		{`{"a":[{"b":"c"}]}`, `{"a":[1]}`, `{"a":[1]}`},
		{`["a","b"]`, `["c","d"]`, `["c","d"]`},
		{`{"a":"b"}`, `["c"]`, `["c"]`},
		{`{"a":"foo"}`, `null`, `null`},
		{`{"a":"foo"}`, `"bar"`, `"bar"`},
		{`{"e":null}`, `{"a":1}`, `{"a":1,"e":null}`},
		{`[1,2]`, `{"a":"b","c":null}`, `{"a":"b"}`},
		{`{}`, `{"a":{"bb":{"ccc":null}}}`, `{"a":{"bb":{}}}`},
	} {
		out, err := applyPatch([]byte(tc.target), []byte(tc.patch))
		if err != nil {
			t.Fatalf("%s + %s: %v", tc.target, tc.patch, err)
		}
		var got, want any
		if err := yaml.Unmarshal(out, &got); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(tc.want), &want); err != nil {
			t.Fatalf("want %s: %v", tc.want, err)
		}
		// Two failed encodings would compare equal.
		gj, err := json.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		wj, err := json.Marshal(want)
		if err != nil {
			t.Fatal(err)
		}
		if string(gj) != string(wj) {
			t.Errorf("%s + %s = %s, want %s", tc.target, tc.patch, gj, wj)
		}
	}
}

func TestTheProfilesDifferAsTheContractSays(t *testing.T) {
	doc, err := LoadProfile(Doc)
	if err != nil {
		t.Fatal(err)
	}
	old, err := LoadProfile(SpaceDog2016)
	if err != nil {
		t.Fatal(err)
	}
	created := func(s *Spec) []string {
		var codes []string
		for code := range s.Doc.Paths.Value("/1/data/{type}").Post.Responses.Map() {
			if code < "300" {
				codes = append(codes, code)
			}
		}
		return codes
	}
	if c := created(doc); len(c) != 1 || c[0] != "200" {
		t.Errorf("doc creates with %v, want 200", c)
	}
	if c := created(old); len(c) != 1 || c[0] != "201" {
		t.Errorf("spacedog-2016 creates with %v, want 201", c)
	}
	listing := []byte(`{"total":0,"results":[]}`)
	if err := doc.checkSchema("Listing", 0, listing); err != nil {
		t.Errorf("doc: %v", err)
	}
	if err := old.checkSchema("Listing", 0, listing); err == nil {
		t.Error("spacedog-2016 takes a listing without took")
	}
	bare := []byte(`{"success":false,"status":404}`)
	route, err := old.FindRoute("GET", "/1/data/t/x")
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest("GET", "/1/data/t/x", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := old.CheckResponse(route, req, 404, http.Header{}, bare); err != nil {
		t.Errorf("spacedog-2016 refuses its bare 404: %v", err)
	}
	if route, err = doc.FindRoute("GET", "/1/data/t/x"); err != nil {
		t.Fatal(err)
	}
	if err := doc.CheckResponse(route, req, 404, http.Header{}, bare); err == nil {
		t.Error("doc takes a 404 without error")
	}
	if d := old.OpenAPISchema("SubRequest").Properties["body"].Value.Description; d == doc.OpenAPISchema("SubRequest").Properties["body"].Value.Description {
		t.Errorf("spacedog-2016 does not say body is ignored: %q", d)
	}
	if _, err := LoadProfile("v3"); err == nil {
		t.Error("an unknown profile loaded")
	}
	if y, err := YAML(SpaceDog2016); err != nil || len(y) == 0 {
		t.Errorf("YAML(spacedog-2016): %v", err)
	}
}
