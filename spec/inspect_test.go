package spec

import (
	"net/http"
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
