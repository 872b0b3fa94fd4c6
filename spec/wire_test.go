package spec

import (
	"encoding/json"
	"testing"
)

// formatOf is the profile's format; the zero Wire would test nothing.
func formatOf(t *testing.T, profile string) Wire {
	t.Helper()
	w, err := wireOf(profile)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestFormats(t *testing.T) {
	doc := formatOf(t, "doc")
	old := formatOf(t, "spacedog-2016")
	if _, err := wireOf("v3"); err == nil {
		t.Error("an unknown profile has a format")
	}
	if r, err := doc.Results([]byte(`[{"a":1}]`)); err != nil || len(r) != 1 {
		t.Errorf("doc results: %v %v", r, err)
	}
	if _, err := doc.Results([]byte(`{"success":true,"status":200,"responses":[]}`)); err == nil {
		t.Error("doc took an envelope")
	}
	if r, err := old.Results([]byte(`{"success":true,"status":200,"responses":[{"a":1}]}`)); err != nil || len(r) != 1 {
		t.Errorf("2016 results: %v %v", r, err)
	}
	for _, bad := range []string{`[]`, `{"success":true,"status":200}`, `{"status":200,"responses":[]}`} {
		if _, err := old.Results([]byte(bad)); err == nil {
			t.Errorf("2016 took %s", bad)
		}
	}
	wrapped := json.RawMessage(`{"success":true,"status":200,"content":{"a":1}}`)
	if got := string(old.Alone("get", wrapped)); got != `{"a":1}` {
		t.Errorf("2016 unwrapped %s", got)
	}
	if got := string(old.Alone("DELETE", wrapped)); got != string(wrapped) {
		t.Errorf("2016 unwrapped a DELETE: %s", got)
	}
	if got := string(doc.Alone("GET", wrapped)); got != string(wrapped) {
		t.Errorf("doc unwrapped %s", got)
	}
}

func TestResultStatus(t *testing.T) {
	for raw, want := range map[string]int{`{"success":false,"status":404}`: 404, `{"name":"x","meta":{}}`: 200, `{"total":0,"results":[]}`: 200} {
		if got := ResultStatus(json.RawMessage(raw)); got != want {
			t.Errorf("ResultStatus(%s) = %d, want %d", raw, got, want)
		}
	}
}

func TestMembersAreReadByTheirExactNames(t *testing.T) {
	if got := ResultStatus(json.RawMessage(`{"STATUS":404,"name":"x"}`)); got != 200 {
		t.Errorf("a representation with a STATUS field read as %d", got)
	}
	old := formatOf(t, "spacedog-2016")
	if _, err := old.Results([]byte(`{"Success":true,"Status":200,"Responses":[]}`)); err == nil {
		t.Error("2016 took an envelope with other member names")
	}
	wrapped := json.RawMessage(`{"success":true,"status":200,"Content":{"a":1}}`)
	if got := string(old.Alone("GET", wrapped)); got != string(wrapped) {
		t.Errorf("2016 unwrapped a Content member: %s", got)
	}
}
