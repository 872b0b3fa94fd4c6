package spec

import (
	"net/http"
	"strings"
	"testing"
)

func TestInspectNamesEachBrokenResultItsOperationAndItsField(t *testing.T) {
	sp, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	items := []byte(`[{"method":"POST","path":"/1/data/t","content":{}},{"method":"GET","path":"/1/data/t/k"},{"method":"GET","path":"/1/data/t"}]`)
	saved := `{"success":true,"status":200,"id":"k","type":"t","location":"http://h/1/data/t/k","version":1}`
	object := `{"meta":{"id":"k","type":"t","version":"one","createdBy":"a","updatedBy":"a","createdAt":"2016-05-24T19:05:53.068Z","updatedAt":"2016-05-24T19:05:53.068Z"}}`
	listing := `{"results":[]}`
	reply := []byte("[" + saved + "," + object + "," + listing + "]")
	json := http.Header{"Content-Type": {"application/json"}}
	fs := sp.Inspect("POST", "/1/batch", items, 200, json, reply)
	if len(fs) != 2 {
		t.Fatalf("findings %v, want results 1 and 2", fs)
	}
	if f := fs[0]; f.Index != 1 || f.Operation != "getObject" || f.Pointer != "/meta/version" {
		t.Errorf("first finding: index %d, operation %q, pointer %q (%v); want 1, getObject, /meta/version", f.Index, f.Operation, f.Pointer, f.Err)
	}
	if f := fs[1]; f.Index != 2 || f.Operation != "listObjects" || f.Keyword != "required" {
		t.Errorf("second finding: index %d, operation %q, keyword %q (%v); want 2, listObjects, required", f.Index, f.Operation, f.Keyword, f.Err)
	}
	if fs := sp.Inspect("POST", "/1/batch", items, 200, json, []byte("["+saved+"]")); len(fs) != 0 {
		t.Errorf("a reply that keeps the spec: %v", fs)
	}
}

// A 405 is judged by the operation that describes it, directly and as a
// batch result, in each profile: a reply the document describes passes, a
// 404 in its place or an error of the other profile's shape is a finding
// that names the operation.
func TestInspectJudgesA405ByTheOperationThatDescribesIt(t *testing.T) {
	json := http.Header{"Content-Type": {"application/json"}}
	for _, tc := range []struct {
		profile, good, other string
		allow                string // a header the profile describes, or ""
	}{
		{Doc,
			`{"success":false,"status":405,"error":{"type":"io.spacedog.services.MethodNotAllowedException","message":"method [PATCH] not allowed"}}`,
			`{"success":false,"status":405,"error":{"message":"method [PATCH] not valid for path [/1/data/t/k]"}}`,
			"GET, PUT, DELETE"},
		{SpaceDog2016,
			`{"success":false,"status":405,"error":{"message":"method [PATCH] not valid for path [/1/data/t/k]"}}`,
			`{"success":false,"status":405,"error":{"type":"io.spacedog.services.MethodNotAllowedException","message":"method [PATCH] not allowed"}}`,
			""},
	} {
		sp, err := LoadProfile(tc.profile)
		if err != nil {
			t.Fatal(err)
		}
		header := json.Clone()
		if tc.allow != "" {
			header.Set("Allow", tc.allow)
		}
		if fs := sp.Inspect("PATCH", "/1/data/t/k", nil, 405, header, []byte(tc.good)); len(fs) != 0 {
			t.Errorf("%s: a described 405: %v", tc.profile, fs)
		}
		if fs := sp.Inspect("PATCH", "/1/data/t/k", nil, 405, json, []byte(tc.other)); len(fs) != 1 || fs[0].Operation != "patchObjectNotAllowed" {
			t.Errorf("%s: the other profile's 405: %v, want one finding by patchObjectNotAllowed", tc.profile, fs)
		}
		// ERR-2 is a SHOULD: a 404 is allowed there, any other status is not.
		notFound := `{"success":false,"status":404,"error":{"type":"t","message":"no route"}}`
		if fs := sp.Inspect("GET", "/1/batch", nil, 404, json, []byte(notFound)); len(fs) != 0 {
			t.Errorf("%s: GET /1/batch answered 404: %v, want none", tc.profile, fs)
		}
		badRequest := `{"success":false,"status":400,"error":{"type":"t","message":"no"}}`
		if fs := sp.Inspect("GET", "/1/batch", nil, 400, json, []byte(badRequest)); len(fs) != 1 || fs[0].Operation != "getBatchNotAllowed" {
			t.Errorf("%s: GET /1/batch answered 400: %v, want one finding by getBatchNotAllowed", tc.profile, fs)
		}
		if tc.allow != "" {
			bad := json.Clone()
			bad.Set("Allow", "get put")
			if fs := sp.Inspect("PATCH", "/1/data/t/k", nil, 405, bad, []byte(tc.good)); len(fs) != 1 {
				t.Errorf("%s: an Allow header that lists no method: %v, want one finding", tc.profile, fs)
			}
		}
		// In a batch: the result of a PATCH, and of a nested GET of the
		// batch, which is refused before its method is looked at (ERR-6).
		items := []byte(`[{"method":"PATCH","path":"/1/data/t/k"},{"method":"GET","path":"/1/batch"}]`)
		nested := `{"success":false,"status":400,"error":{"type":"java.lang.IllegalArgumentException","message":"batch item [1]: field [path]: a batch cannot hold a batch (/1/batch)"}}`
		reply := func(results ...string) []byte {
			raw := []byte("[" + strings.Join(results, ",") + "]")
			if tc.profile == SpaceDog2016 {
				raw = []byte(`{"success":true,"status":200,"responses":` + string(raw) + `}`)
			}
			return raw
		}
		if fs := sp.Inspect("POST", "/1/batch", items, 200, json, reply(tc.good, nested)); len(fs) != 0 {
			t.Errorf("%s: a batch with a described 405: %v", tc.profile, fs)
		}
		if fs := sp.Inspect("POST", "/1/batch", items, 200, json, reply(tc.other, nested)); len(fs) != 1 || fs[0].Index != 0 || fs[0].Operation != "patchObjectNotAllowed" {
			t.Errorf("%s: a batch with the other profile's 405: %v, want one finding, result 0, by patchObjectNotAllowed", tc.profile, fs)
		}
	}
}
