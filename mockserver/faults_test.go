package mockserver_test

import (
	"bytes"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/spacedog-oss/batchkit/internal/subreq"
	"github.com/spacedog-oss/batchkit/mockserver"
)

func TestFaultRulesAnswerStatusesDelayAndDrop(t *testing.T) {
	m := newMock(t, mockserver.Config{})
	m.do("POST", "/1/data/thing?id=x", obj{})
	rules := `[{"method":"GET","path":"/1/data/thing/*","index":1,"status":503,"message":"try later"},
	           {"method":"DELETE","path":"/1/data/*/*","status":500},
	           {"path":"/1/data/slow","delay":"30ms"}]`
	if r := m.do("PUT", "/_mock/faults", rules); r.status != 200 {
		t.Fatalf("PUT faults: %d %s", r.status, r.body)
	}
	// Rules match the path as routed: the legacy root and a trailing slash too.
	res := m.batch("", subreq.Get("/1/data/thing/x"), subreq.Get("/v1/data/thing/x/"), subreq.Get("/1/data/thing/x")).results(t)
	if got := statuses(res); got[0] != "200" || got[1] != "503" || got[2] != "200" {
		t.Errorf("the rule for item 1: %v", got)
	}
	if msg := assertEnvelope(t, res[1], 503); msg != "try later" {
		t.Errorf("message %q", msg)
	}
	if r := m.do("DELETE", "/1/data/thing/x", nil); r.status != 500 {
		t.Errorf("a direct DELETE: %d", r.status)
	}
	if m.do("GET", "/1/data/thing/x", nil).status != 200 {
		t.Error("a faulted DELETE ran")
	}
	start := time.Now()
	m.do("GET", "/1/data/slow", nil)
	if time.Since(start) < 30*time.Millisecond {
		t.Error("the delay was not applied")
	}
	var got []mockserver.Fault
	decode(t, m.do("GET", "/_mock/faults", nil).body, &got)
	if len(got) != 3 {
		t.Errorf("GET faults: %+v", got)
	}
	m.do("DELETE", "/_mock/faults", nil)
	if r := m.do("DELETE", "/1/data/thing/x", nil); r.status != 200 {
		t.Errorf("after clearing the faults: %d", r.status)
	}
}

func TestABatchCanBeDroppedAfterSomeSubRequests(t *testing.T) {
	m := newMock(t, mockserver.Config{Faults: []mockserver.Fault{{Path: "/1/batch", DropAfter: ptr(2)}}})
	items := mustJSON(t, []any{subreq.Post("/1/data/t?id=a", obj{}), subreq.Post("/1/data/t?id=b", obj{}), subreq.Post("/1/data/t?id=c", obj{})})
	resp, err := http.Post(m.url+"/1/batch", "application/json", bytes.NewReader(items))
	if err == nil {
		body, rerr := io.ReadAll(resp.Body)
		resp.Body.Close()
		if rerr == nil {
			t.Fatalf("the batch was answered: %d %s", resp.StatusCode, body)
		}
	}
	for id, want := range map[string]int{"a": 200, "b": 200, "c": 404} {
		if got := m.do("GET", "/1/data/t/"+id, nil).status; got != want {
			t.Errorf("%s: %d, want %d: the first two items applied, the third not", id, got, want)
		}
	}
	var entries []mockserver.Entry
	decode(t, m.do("GET", "/_mock/requests", nil).body, &entries)
	if e := entries[len(entries)-1]; !e.Dropped || len(e.SubRequests) != 2 {
		t.Errorf("journal: %+v", e)
	}
}

func ptr[T any](v T) *T { return &v }

func TestBadFaultRulesAreRefusedWithTheirIndex(t *testing.T) {
	m := newMock(t, mockserver.Config{})
	for _, rules := range []string{
		`{}`, `[{"path":"/1/data"}]`, `[{"path":"1/data","status":500}]`, `[{"path":"/1/[","status":500}]`,
		`[{"path":"/1/data","status":200}]`, `[{"path":"/1/data","delay":"forever"}]`, `[{"path":"/1/data","delay":"2h"}]`,
		`[{"path":"/1/data","status":500,"color":"red"}]`, `[{"path":"/1/batch","dropAfter":1,"index":0}]`,
	} {
		r := m.do("PUT", "/_mock/faults", rules)
		if r.status != 400 {
			t.Errorf("%s: %d", rules, r.status)
			continue
		}
		assertEnvelope(t, r.json(t), 400)
	}
	if _, err := mockserver.New(mockserver.Config{Faults: []mockserver.Fault{{Path: "x"}}}); err == nil {
		t.Error("New took a bad rule")
	}
}
