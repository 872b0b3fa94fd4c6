package model

import (
	"strconv"
	"strings"
	"testing"

	"github.com/spacedog-oss/batchkit/spec"
)

// One object's life, reply by reply, as a linearizability check steps it:
// each reply judged from the state before it, the state after it returned.
func TestAnObjectStepsThroughItsLife(t *testing.T) {
	fred := Auth{Header: Basic("fred"), User: "fred"}
	const at = "2016-05-24T19:05:53.068Z"
	for _, profile := range spec.Profiles() {
		m := newModel(t, profile)
		created := strconv.Itoa(m.wire.Created)
		saved := func(status string, version int) string {
			return `{"success":true,"status":` + status + `,"id":"k","type":"t","location":"http://alpha.localhost/1/data/t/k","version":` + strconv.Itoa(version) + `}`
		}
		var s Object
		for i, step := range []struct {
			r      Request
			status int
			body   string
			ok     bool
		}{
			{req("GET", "/1/data/t/k", "", ""), 404, `{"success":false,"status":404,"error":{"type":"x","message":"object [k] of type [t] not found"}}`, profile == spec.Doc},
			{req("POST", "/1/data/t", "id=k", `{"a":1}`), m.wire.Created, saved(created, 1), true},
			{req("GET", "/1/data/t/k", "", ""), 200, `{"a":1,"meta":{"id":"k","type":"t","version":1,"createdBy":"fred","updatedBy":"fred","createdAt":"` + at + `","updatedAt":"` + at + `"}}`, true},
			{req("PUT", "/1/data/t/k", "version=2", `{"b":2}`), 409, `{"success":false,"status":409,"error":{"type":"x","message":"version"}}`, true},
			{req("PUT", "/1/data/t/k", "", `{"b":2}`), 200, saved("200", 2), true},
			{req("GET", "/1/data/t/k", "", ""), 200, `{"a":1,"b":2,"meta":{"id":"k","type":"t","version":2,"createdBy":"fred","updatedBy":"fred","createdAt":"` + at + `","updatedAt":"` + at + `"}}`, true},
			{req("DELETE", "/1/data/t", "", ""), 200, `{"success":true,"status":200,"totalDeleted":3}`, profile == spec.SpaceDog2016},
		} {
			next, problems := m.TryObject(s, host, "t", "k", step.r, fred, -1, step.status, []byte(step.body))
			if (len(problems) == 0) != step.ok {
				t.Errorf("%s step %d %s: problems %q, want ok %v", profile, i, step.r, problems, step.ok)
			}
			s = next
		}
		if s.Exists {
			t.Errorf("%s: the type's delete left the object: %v", profile, s)
		}
	}
}

// The same reply judged from two states: the rules decide by the state.
func TestAReplyIsJudgedByTheStateItComesFrom(t *testing.T) {
	m := newModel(t, spec.Doc)
	fred := Auth{Header: Basic("fred"), User: "fred"}
	v1 := Object{Exists: true, Fields: `{"a":1}`, Version: 1, CreatedBy: "fred", UpdatedBy: "fred"}
	v2 := Object{Exists: true, Fields: `{"a":2}`, Version: 2, CreatedBy: "fred", UpdatedBy: "fred"}
	update := req("PUT", "/1/data/t/k", "version=1", `{"a":3}`)
	ok := `{"success":true,"status":200,"id":"k","type":"t","location":"http://alpha.localhost/1/data/t/k","version":2}`
	after, problems := m.TryObject(v1, host, "t", "k", update, fred, -1, 200, []byte(ok))
	if len(problems) > 0 || after.Version != 2 || after.Fields != `{"a":3}` || after.UpdatedAt != "" {
		t.Errorf("from version 1: %v %q", after, problems)
	}
	if _, problems := m.TryObject(v2, host, "t", "k", update, fred, -1, 200, []byte(ok)); len(problems) == 0 {
		t.Error("an update of version 1 succeeded from version 2")
	}
	// No answer: the update is applied, nothing is judged.
	if after, problems := m.TryObject(v1, host, "t", "k", update, fred, -1, Unanswered, nil); len(problems) > 0 || after.Version != 2 {
		t.Errorf("unanswered: %v %q", after, problems)
	}
	if v1 == v2 || v1.Hash() == v2.Hash() || v1 != (Object{Exists: true, Fields: `{"a":1}`, Version: 1, CreatedBy: "fred", UpdatedBy: "fred"}) {
		t.Error("states compare by value, and hash apart")
	}
	if !strings.Contains(v2.String(), "version 2") || (Object{}).String() != "absent" {
		t.Errorf("%s; %s", v2, Object{})
	}
}
