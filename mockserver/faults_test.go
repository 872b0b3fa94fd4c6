package mockserver_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
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
	e := entries[len(entries)-1]
	if !e.Dropped || len(e.SubRequests) != 3 || e.SubRequests[1].Status != 200 || e.FaultRule != 1 {
		t.Fatalf("journal: %+v", e)
	}
	if unrun := e.SubRequests[2]; unrun.Status != 0 || !strings.Contains(unrun.NotRun, "dropped the connection after 2 items") ||
		unrun.Method != "POST" || unrun.Path != "/1/data/t" || unrun.Query != "id=c" {
		t.Errorf("the item the drop left unrun: %+v", unrun)
	}
}

func ptr[T any](v T) *T { return &v }

func TestBadFaultRulesAreRefusedNamingTheRuleAndTheField(t *testing.T) {
	m := newMock(t, mockserver.Config{})
	for rules, want := range map[string]string{
		`{}`:                                            "a JSON array of rules, not an object",
		`[{"path":"/1/data"}]`:                          "rule [0]: does nothing",
		`[{"path":"1/data","status":500}]`:              "rule [0]: field [path]",
		`[{"path":"/1/[","status":500}]`:                "rule [0]: field [path]",
		`[{"path":"/1/data","status":200}]`:             "rule [0]: field [status]: 200",
		`[{"path":"/1/data","delay":"ever"}]`:           "rule [0]: field [delay]",
		`[{"path":"/1/data","delay":"2h"}]`:             "rule [0]: field [delay]: 2h0m0s",
		`[{"path":"/1/batch","dropAfter":1,"index":0}]`: "rule [0]: field [dropAfter]",
		`[{"path":"/x","status":500},{"path":"/1/data","status":500,"color":"red"}]`: "rule [1]: field [color] is not a field of a rule",
		`[{"path":"/1/data","Status":500}]`:                                          "field [Status] is not a field of a rule (names are case-sensitive: status)",
		`[{"path":"/1/data","status":"503"}]`:                                        `rule [0]: field [status]: "503" is not a whole number`,
		`[{"path":"/1/data","status":503,"times":-1}]`:                               "rule [0]: field [times]: -1",
		`[{"path":"/1/data","status":503,"after":-2}]`:                               "rule [0]: field [after]: -2",
		`[{"path":"/1/data","status":503,"times":1.5}]`:                              "rule [0]: field [times]: 1.5 is not a whole number",
		`[{"path":"/1/data","status":503,"headers":{"X Test":"a"}}]`:                 "rule [0]: field [headers]",
		`[{"path":"/1/data","status":503,"headers":{"X-Test":1}}]`:                   "rule [0]: field [headers]: {\"X-Test\":1} is not an object of strings",
		`[{"path":"/1/data","status":503,"headers":{"X-Test":"a\r\nb"}}]`:            "rule [0]: field [headers/X-Test]: the value holds CR",
		`[{"path":"/1/data","status":503,"backend":7}]`:                              "rule [0]: field [backend]: 7 is not a string",
		`[{"path":"/1/batch","status":503,"dropAfter":1}]`:                           "rule [0]: fields [status] and [dropAfter]",
		`[3]`:                              "rule [0]: a rule is a JSON object, not a number",
		`[{"path":"/1/data","status":503}`: "fault rules are a JSON array of rules: unexpected end of JSON input",
	} {
		r := m.do("PUT", "/_mock/faults", rules)
		if r.status != 400 {
			t.Errorf("%s: %d", rules, r.status)
			continue
		}
		if msg := assertEnvelope(t, r.json(t), 400); !strings.Contains(msg, want) {
			t.Errorf("%s: %q, want it to say %q", rules, msg, want)
		}
	}
	if r := m.do("POST", "/_mock/faults", `[{"path":"/x","status":500},{"path":"/y"}]`); r.status != 400 || !strings.Contains(string(r.body), "rule [1]") {
		t.Errorf("POST of a bad rule: %d %s", r.status, r.body)
	}
	if got := m.do("GET", "/_mock/faults", nil); string(got.body) != "[]" {
		t.Errorf("a refused rule is in force: %s", got.body)
	}
	if _, err := mockserver.New(mockserver.Config{Faults: []mockserver.Fault{{Path: "x"}}}); err == nil {
		t.Error("New took a bad rule")
	}
}

// addFault adds rules with POST /_mock/faults and returns them numbered.
func addFault(t *testing.T, m *mock, rules any) []mockserver.FaultState {
	t.Helper()
	r := m.do("POST", "/_mock/faults", rules)
	if r.status != http.StatusCreated {
		t.Fatalf("POST /_mock/faults: %d %s", r.status, r.body)
	}
	var added []mockserver.FaultState
	decode(t, r.body, &added)
	return added
}

func faultState(t *testing.T, m *mock, id int64) mockserver.FaultState {
	t.Helper()
	r := m.do("GET", fmt.Sprintf("/_mock/faults/%d", id), nil)
	if r.status != 200 {
		t.Fatalf("GET /_mock/faults/%d: %d %s", id, r.status, r.body)
	}
	var f mockserver.FaultState
	decode(t, r.body, &f)
	return f
}

// The retry test of docs/mock.md: the first batch fails, the retry runs.
func TestAFaultRuleFailsOnceThenTheRetrySucceeds(t *testing.T) {
	m := newMock(t, mockserver.Config{})
	rule := addFault(t, m, obj{"method": "POST", "path": "/1/batch", "status": 503, "times": 1})[0]
	if rule.ID != 1 || rule.Times != 1 || rule.Matched != 0 {
		t.Fatalf("the rule added: %+v", rule)
	}
	cart := []any{subreq.Post("/1/data/order?id=o1", obj{"total": 12}), subreq.Put("/1/data/cart/c1", obj{"items": []any{}})}
	if r := m.batch("", cart...); r.status != 503 || !strings.Contains(assertEnvelope(t, r.json(t), 503), "fault injected") {
		t.Fatalf("the first batch: %d %s", r.status, r.body)
	}
	if r := m.batch("", cart...); r.status != 200 {
		t.Fatalf("the retry: %d %s", r.status, r.body)
	}
	if m.do("GET", "/1/data/order/o1", nil).status != 200 {
		t.Error("the retry did not create the order")
	}
	if f := faultState(t, m, rule.ID); f.Matched != 2 || f.Applied != 1 {
		t.Errorf("the rule's counts: %+v, want 2 matched, 1 applied", f)
	}
	var batches []mockserver.Entry
	decode(t, m.do("GET", "/_mock/requests?path=/1/batch", nil).body, &batches)
	if len(batches) != 2 || batches[0].Status != 200 || batches[1].Status != 503 {
		t.Fatalf("the journal's batches: %+v", batches)
	}
	failed := batches[1]
	if !failed.Fault || failed.FaultRule != rule.ID || len(failed.SubRequests) != 2 {
		t.Fatalf("the failed batch in the journal: %+v", failed)
	}
	for i, want := range []string{"POST /1/data/order?id=o1", "PUT /1/data/cart/c1"} {
		it := failed.SubRequests[i]
		if got := it.Method + " " + it.Path + query(it.Query); got != want || it.Status != 0 || !strings.Contains(it.NotRun, "a fault rule answered the batch") {
			t.Errorf("item %d of the failed batch: %+v, want %s, not run", i, it, want)
		}
	}
	if batches[0].Fault || batches[0].FaultRule != 0 {
		t.Errorf("the retry is marked as faulted: %+v", batches[0])
	}
}

func query(q string) string {
	if q == "" {
		return ""
	}
	return "?" + q
}

func TestAFaultRuleAppliesAfterSomeMatchesAndForSomeTimes(t *testing.T) {
	m := newMock(t, mockserver.Config{})
	m.do("POST", "/1/data/t?id=x", obj{})
	addFault(t, m, obj{"method": "GET", "path": "/1/data/t/*", "status": 500, "after": 2, "times": 2})
	var got []int
	for range 6 {
		got = append(got, m.do("GET", "/1/data/t/x", nil).status)
	}
	if want := []int{200, 200, 500, 500, 200, 200}; !slices.Equal(got, want) {
		t.Errorf("statuses %v, want %v", got, want)
	}
	// A spent rule lets the next one apply; rules are tried in order.
	m.do("PUT", "/_mock/faults", `[{"path":"/1/data/t/x","status":503,"times":1},{"path":"/1/data/t/x","status":502}]`)
	got = got[:0]
	for range 3 {
		got = append(got, m.do("GET", "/1/data/t/x", nil).status)
	}
	if want := []int{503, 502, 502}; !slices.Equal(got, want) {
		t.Errorf("two rules in order: %v, want %v", got, want)
	}
}

// Parallel tests each aim their rules at their own requests: by a header
// they send (a batch item carries its batch's, or its own), or by their
// backend. Requests of other tests are never faulted, and never counted.
func TestFaultRulesAimedByHeaderOrBackendLeaveOtherRequestsAlone(t *testing.T) {
	m := newMock(t, mockserver.Config{})
	m.do("POST", "/1/data/thing?id=t", obj{})
	m.do("POST", "/1/data/other?id=o", obj{})
	a := addFault(t, m, obj{"path": "/1/data/*", "status": 503, "times": 1, "headers": obj{"X-Test-Id": "a"}})[0]
	b := addFault(t, m, obj{"path": "/1/data/*", "status": 502, "times": 1, "headers": obj{"x-test-id": "b"}})[0]
	shop := addFault(t, m, obj{"method": "DELETE", "path": "/1/data/*/*", "status": 500, "backend": "shop"})[0]
	var wg sync.WaitGroup
	got := map[string][]int{}
	var mu sync.Mutex
	for _, id := range []string{"a", "b", ""} {
		wg.Go(func() {
			var statuses []int
			for range 3 {
				statuses = append(statuses, m.do("GET", "/1/data/thing", nil, "X-Test-Id", id).status)
			}
			mu.Lock()
			got[id] = statuses
			mu.Unlock()
		})
	}
	wg.Wait()
	for id, want := range map[string][]int{"a": {503, 200, 200}, "b": {502, 200, 200}, "": {200, 200, 200}} {
		if !slices.Equal(got[id], want) {
			t.Errorf("X-Test-Id %q: %v, want %v", id, got[id], want)
		}
	}
	for _, rule := range []mockserver.FaultState{a, b} {
		if f := faultState(t, m, rule.ID); f.Matched != 3 || f.Applied != 1 {
			t.Errorf("rule %d counted other tests' requests: %+v", rule.ID, f)
		}
	}
	// In a batch: the batch's header reaches its items, an item's own too.
	m.do("PUT", "/_mock/faults", `[{"path":"/1/data/thing","status":503,"headers":{"X-Test-Id":"c"}}]`)
	r := m.do("POST", "/1/batch", []any{subreq.Get("/1/data/thing"), sub{"method": "GET", "path": "/1/data/thing", "headers": obj{"X-Test-Id": "c"}}})
	if s := statuses(r.results(t)); !slices.Equal(s, []string{"200", "503"}) {
		t.Errorf("an item aimed at by its own header: %v", s)
	}
	r = m.do("POST", "/1/batch", []any{subreq.Get("/1/data/thing"), subreq.Get("/1/data/other")}, "X-Test-Id", "c")
	if s := statuses(r.results(t)); !slices.Equal(s, []string{"503", "200"}) {
		t.Errorf("items aimed at by their batch's header: %v", s)
	}
	m.do("PUT", "/_mock/faults", []any{shop.Fault})
	m.do("POST", "/1/data/x?id=1", obj{})
	m.doHost("shop.localhost", "POST", "/1/data/x?id=1", obj{})
	if r := m.do("DELETE", "/1/data/x/1", nil); r.status != 200 {
		t.Errorf("a rule of backend shop applied to the default backend: %d", r.status)
	}
	if r := m.doHost("shop.localhost", "DELETE", "/1/data/x/1", nil); r.status != 500 {
		t.Errorf("a rule of backend shop, in it: %d", r.status)
	}
}

// Of requests matching a rule at once, exactly Times are faulted.
func TestConcurrentRequestsFaultExactlyARulesTimes(t *testing.T) {
	m := newMock(t, mockserver.Config{})
	addFault(t, m, obj{"path": "/1/data", "status": 503, "after": 3, "times": 7})
	var faulted, passed atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 6 {
				switch s := m.do("GET", "/1/data", nil).status; s {
				case 503:
					faulted.Add(1)
				case 200:
					passed.Add(1)
				default:
					t.Errorf("status %d", s)
				}
			}
		})
	}
	wg.Wait()
	if faulted.Load() != 7 || passed.Load() != 41 {
		t.Errorf("%d faulted and %d passed of 48, want 7 and 41", faulted.Load(), passed.Load())
	}
	if f := faultState(t, m, 1); f.Matched != 48 || f.Applied != 7 {
		t.Errorf("counts %+v", f)
	}
}

// Tests add their own rules beside others' and take them out by number;
// PUT still replaces them all, and a listing can be sent back as it is.
func TestFaultRulesAreAddedListedAndRemovedByNumber(t *testing.T) {
	m := newMock(t, mockserver.Config{Faults: []mockserver.Fault{{Method: "GET", Path: "/1/data/a", Status: 500}}})
	for _, typ := range []string{"a", "b", "c", "d"} {
		m.do("POST", "/1/data/"+typ+"?id=x", obj{})
	}
	added := addFault(t, m, `[{"path":"/1/data/b","status":501},{"path":"/1/data/c","status":502}]`)
	if len(added) != 2 || added[0].ID != 2 || added[1].ID != 3 {
		t.Fatalf("added %+v, want rules 2 and 3 after the one of the Config", added)
	}
	one := addFault(t, m, `{"path":"/1/data/d","status":503}`)
	if len(one) != 1 || one[0].ID != 4 {
		t.Fatalf("one rule added: %+v", one)
	}
	if r := m.do("DELETE", "/_mock/faults/2", nil); r.status != 200 {
		t.Fatalf("DELETE /_mock/faults/2: %d %s", r.status, r.body)
	}
	for path, want := range map[string]int{"/1/data/a": 500, "/1/data/b": 200, "/1/data/c": 502, "/1/data/d": 503} {
		if got := m.do("GET", path, nil).status; got != want {
			t.Errorf("GET %s: %d, want %d", path, got, want)
		}
	}
	for _, path := range []string{"/_mock/faults/2", "/_mock/faults/x", "/_mock/faults/0"} {
		if r := m.do("DELETE", path, nil); r.status != 404 || !strings.Contains(assertEnvelope(t, r.json(t), 404), "GET /_mock/faults lists them") {
			t.Errorf("DELETE %s: %d %s", path, r.status, r.body)
		}
	}
	listing := m.do("GET", "/_mock/faults", nil).body
	var states []mockserver.FaultState
	decode(t, listing, &states)
	if len(states) != 3 || states[0].Matched != 1 || states[0].Applied != 1 {
		t.Fatalf("the listing: %s", listing)
	}
	r := m.do("PUT", "/_mock/faults", listing) // sent back as it came: id and counts are the mock's
	decode(t, r.body, &states)
	if r.status != 200 || len(states) != 3 || states[0].ID != 5 || states[0].Matched != 0 {
		t.Errorf("the listing sent back: %d %s", r.status, r.body)
	}
	if r := m.do("HEAD", "/_mock/faults/5", nil); r.status != 200 {
		t.Errorf("HEAD of a rule: %d", r.status)
	}
}

// PUT /_mock/faults replaces the rules in one step: a request that the
// rules before and after match is faulted by one or the other, never let
// through while they change. Each PUT holds many rules, so that a
// replacement that passed through an empty list would leave it long
// enough for the requests beside it to see.
func TestReplacingFaultRulesLeavesNoMomentWithoutThem(t *testing.T) {
	rules := make([]obj, 500)
	for i := range rules {
		rules[i] = obj{"method": "GET", "path": "/1/data", "status": 503, "message": fmt.Sprint("rule ", i)}
	}
	body := mustJSON(t, rules)
	m := newMock(t, mockserver.Config{})
	if r := m.do("PUT", "/_mock/faults", body); r.status != 200 {
		t.Fatalf("PUT faults: %d %s", r.status, r.body)
	}
	done := make(chan struct{})
	var passed, sent atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				sent.Add(1)
				if s := m.do("GET", "/1/data", nil).status; s != 503 {
					passed.Add(1)
				}
			}
		})
	}
	for range 40 {
		if r := m.do("PUT", "/_mock/faults", body); r.status != 200 {
			t.Errorf("PUT faults: %d %s", r.status, r.body)
		}
	}
	close(done)
	wg.Wait()
	if passed.Load() != 0 {
		t.Errorf("%d of %d requests passed unfaulted while the rules that match them were replaced", passed.Load(), sent.Load())
	}
}

// A rule does what it says: a HEAD rule holds for a HEAD, which runs as
// its GET (and a GET rule for both); a header given "" holds for a
// request carrying it, whatever its value, never for one without it.
func TestFaultRulesOnHEADAndOnAHeadersPresence(t *testing.T) {
	m := newMock(t, mockserver.Config{})
	for _, typ := range []string{"h", "g", "x"} {
		m.do("POST", "/1/data/"+typ, obj{})
	}
	addFault(t, m, `[{"method":"HEAD","path":"/1/data/h","status":503},
	                 {"method":"GET","path":"/1/data/g","status":502},
	                 {"path":"/1/data/x","headers":{"X-Test":""},"status":504}]`)
	for _, c := range []struct {
		method, path string
		headers      []string
		want         int
	}{
		{"HEAD", "/1/data/h", nil, 503},
		{"GET", "/1/data/h", nil, 200},
		{"GET", "/1/data/g", nil, 502},
		{"HEAD", "/1/data/g", nil, 502},
		{"GET", "/1/data/x", nil, 200},
		{"GET", "/1/data/x", []string{"X-Test", "run-7"}, 504},
		{"GET", "/1/data/x", []string{"x-test", ""}, 504},
		{"GET", "/1/data/x", []string{"X-Other", "a"}, 200},
	} {
		if r := m.do(c.method, c.path, nil, c.headers...); r.status != c.want {
			t.Errorf("%s %s %q: %d, want %d", c.method, c.path, c.headers, r.status, c.want)
		}
	}
	res := m.batch("", subreq.Get("/1/data/x"), subreq.Item{"method": "GET", "path": "/1/data/x", "headers": obj{"X-Test": "b"}}).results(t)
	if got := statuses(res); !slices.Equal(got, []string{"200", "504"}) {
		t.Errorf("a batch's items, the second carrying the header: %v", got)
	}
}
