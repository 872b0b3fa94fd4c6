package mockserver_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spacedog-oss/batchkit/internal/subreq"
	"github.com/spacedog-oss/batchkit/mockserver"
	"github.com/spacedog-oss/batchkit/spec"
)

// What the mock adds for frontend developers, each through its real
// interface: HTTP.

func TestCORSPreflightIsAnsweredOnEveryRoute(t *testing.T) {
	m := newMock(t, mockserver.Config{CORSOrigins: []string{"*"}})
	for _, path := range []string{"/1/batch", "/1/data/product/x", "/v1/data"} {
		r := m.do("OPTIONS", path, nil, "Origin", "http://localhost:3000", "Access-Control-Request-Method", "POST",
			"Access-Control-Request-Headers", "authorization, content-type, x-spacedog-app, x-evil")
		h := r.header
		if r.status != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != "*" ||
			!strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") ||
			!strings.Contains(h.Get("Access-Control-Allow-Headers"), "x-spacedog-app") ||
			strings.Contains(h.Get("Access-Control-Allow-Headers"), "x-evil") {
			t.Errorf("preflight of %s: %d %v", path, r.status, h)
		}
	}
	r := m.do("POST", "/1/batch", "[]", "Origin", "http://localhost:3000")
	if r.header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("a batch's reply is not readable cross-origin: %v", r.header)
	}
}

func TestCORSOriginsCanBeListedOrDefaultToLocalPages(t *testing.T) {
	listed := newMock(t, mockserver.Config{CORSOrigins: []string{"http://app.test"}})
	if r := listed.do("GET", "/1/data", nil, "Origin", "http://app.test"); r.header.Get("Access-Control-Allow-Origin") != "http://app.test" {
		t.Errorf("a listed origin: %v", r.header)
	}
	if r := listed.do("GET", "/1/data", nil, "Origin", "http://evil.test"); r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("an origin not listed: %v", r.header)
	}
	if r := listed.do("OPTIONS", "/1/data", nil, "Origin", "http://evil.test", "Access-Control-Request-Method", "GET"); r.status != http.StatusForbidden {
		t.Errorf("a preflight from an origin not listed: %d", r.status)
	}
	local := newMock(t, mockserver.Config{})
	r := local.do("OPTIONS", "/1/batch", nil, "Origin", "http://app.test", "Access-Control-Request-Method", "POST")
	if r.status != http.StatusForbidden || r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("by default, a preflight from a page not local: %d %v", r.status, r.header)
	}
}

func TestAdminHealthResetAndState(t *testing.T) {
	m := newMock(t, mockserver.Config{})
	if r := m.do("GET", "/_mock/health", nil); r.status != 200 || r.json(t).(obj)["status"] != "ok" {
		t.Errorf("health: %d %s", r.status, r.body)
	}
	m.doHost("shop.localhost", "POST", "/1/data/product?id=a", obj{"n": 1})
	m.doHost("blog.localhost", "POST", "/1/data/post?id=b", obj{"n": 2})
	st := m.do("GET", "/_mock/state", nil).json(t).(obj)
	if st["shop"].(obj)["product"].([]any)[0].(obj)["n"] != jsonNumber(1) || st["blog"] == nil {
		t.Errorf("state: %v", st)
	}
	if only := m.do("GET", "/_mock/state?backend=blog", nil).json(t).(obj); len(only) != 1 || only["blog"] == nil {
		t.Errorf("state of blog: %v", only)
	}
	if r := m.do("POST", "/_mock/reset?backend=shop", nil); r.status != 200 {
		t.Fatalf("reset shop: %d", r.status)
	}
	if m.doHost("shop.localhost", "GET", "/1/data/product/a", nil).status != 404 || m.doHost("blog.localhost", "GET", "/1/data/post/b", nil).status != 200 {
		t.Error("reset of shop did not empty shop alone")
	}
	m.do("POST", "/_mock/reset", nil)
	if st := m.do("GET", "/_mock/state", nil).json(t).(obj); len(st) != 0 {
		t.Errorf("after a full reset: %v", st)
	}
}

func TestAdminRoutesAnswerEnvelopesAndServeTheSpec(t *testing.T) {
	for _, profile := range spec.Profiles() {
		m := newMock(t, mockserver.Config{Profile: profile})
		r := m.do("GET", "/_mock/openapi.yaml", nil)
		want, _ := spec.YAML(profile)
		if r.status != 200 || !bytes.Equal(r.body, want) || !strings.Contains(r.header.Get("Content-Type"), "yaml") {
			t.Errorf("%s: openapi.yaml %d %s", profile, r.status, r.header.Get("Content-Type"))
		}
		if r := m.do("GET", "/_mock/nothing", nil); r.status != 404 || !strings.Contains(assertEnvelope(t, r.json(t), 404), "/_mock/health") {
			t.Errorf("an unknown admin route: %d %s", r.status, r.body)
		}
		if r := m.do("DELETE", "/_mock/health", nil); r.status != 405 || r.header.Get("Allow") != "GET" {
			t.Errorf("a wrong method: %d %v", r.status, r.header)
		}
	}
}

func TestSEC2_AdminRoutesAreNotReachableFromABatch(t *testing.T) {
	m := newMock(t, mockserver.Config{})
	m.do("POST", "/1/data/thing?id=x", obj{})
	res := m.batch("", sub{"method": "POST", "path": "/_mock/reset"}, subreq.Get("/_mock/state"), sub{"method": "PUT", "path": "/_mock/faults", "content": []any{}}).results(t)
	for _, r := range res {
		assertEnvelope(t, r, 404)
	}
	if m.do("GET", "/1/data/thing/x", nil).status != 200 {
		t.Error("a batch reset the data")
	}
}

func TestTheJournalListsRequestsNewestFirstWithBatchItems(t *testing.T) {
	m := newMock(t, mockserver.Config{JournalSize: 3})
	m.do("POST", "/1/data/thing?id=x", obj{})
	m.do("POST", "/1/batch?stopOnError=false", []any{subreq.Get("/1/data/thing/x"), subreq.Get("/1/data/thing/nope"), sub{"method": "GET"}})
	var entries []mockserver.Entry
	decode(t, m.do("GET", "/_mock/requests", nil).body, &entries)
	if len(entries) != 2 || entries[0].Path != "/1/batch" || entries[1].Path != "/1/data/thing" {
		t.Fatalf("journal: %+v", entries)
	}
	b := entries[0]
	if b.Status != 200 || b.Query != "stopOnError=false" || len(b.SubRequests) != 3 || b.DurationMs < 0 {
		t.Errorf("batch entry: %+v", b)
	}
	for i, want := range []int{200, 404, 400} {
		if s := b.SubRequests[i]; s.Index != i || s.Status != want {
			t.Errorf("item %d: %+v, want status %d", i, s, want)
		}
	}
	if b.SubRequests[0].Method != "GET" || b.SubRequests[0].Path != "/1/data/thing/x" {
		t.Errorf("item 0: %+v", b.SubRequests[0])
	}
	if !strings.Contains(string(b.SubRequests[1].Result), "not found") || !strings.Contains(string(b.Request), `"path":"/1/data/thing/nope"`) ||
		!strings.HasPrefix(string(b.Response), "[") {
		t.Errorf("bodies: request %s, response %s, item 1 %s", b.Request, b.Response, b.SubRequests[1].Result)
	}
	m.do("POST", "/1/data/thing", obj{"pad": strings.Repeat("x", 5000)})
	var big []mockserver.Entry
	decode(t, m.do("GET", "/_mock/requests", nil).body, &big)
	if req := string(big[0].Request); !strings.Contains(req, "bytes in all") || len(req) > 5000 {
		t.Errorf("a large body is kept whole in the journal: %d bytes", len(req))
	}
	for range 5 {
		m.do("GET", "/1/data", nil)
	}
	decode(t, m.do("GET", "/_mock/requests", nil).body, &entries)
	if len(entries) != 3 {
		t.Errorf("a journal of size 3 holds %d", len(entries))
	}
	m.do("DELETE", "/_mock/requests", nil)
	decode(t, m.do("GET", "/_mock/requests", nil).body, &entries)
	if len(entries) != 0 {
		t.Errorf("after DELETE: %d entries", len(entries))
	}
}

func decode(t *testing.T, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%v: %s", err, data)
	}
}

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
	items, _ := json.Marshal([]any{subreq.Post("/1/data/t?id=a", obj{}), subreq.Post("/1/data/t?id=b", obj{}), subreq.Post("/1/data/t?id=c", obj{})})
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

func TestLatencyIsAddedToEveryAPIResponse(t *testing.T) {
	l, err := mockserver.ParseLatency("20ms-40ms")
	if err != nil || l.Min != 20*time.Millisecond || l.Max != 40*time.Millisecond {
		t.Fatalf("ParseLatency: %v %v", l, err)
	}
	for _, bad := range []string{"fast", "40ms-20ms", "-5ms", "2h"} {
		if _, err := mockserver.ParseLatency(bad); err == nil {
			t.Errorf("ParseLatency(%q) took it", bad)
		}
	}
	m := newMock(t, mockserver.Config{Latency: l})
	start := time.Now()
	m.do("GET", "/1/data", nil)
	if time.Since(start) < 20*time.Millisecond {
		t.Error("no latency added")
	}
}

func TestEnforcedCredentialsGive401PerSubRequest(t *testing.T) {
	m := newMock(t, mockserver.Config{Users: map[string]string{"fred": "secret", "vince": "hi"}})
	if r := m.do("GET", "/1/data", nil); r.status != 401 {
		t.Errorf("no credentials: %d", r.status)
	} else {
		assertEnvelope(t, r.json(t), 401)
	}
	if r := m.do("GET", "/1/data", nil, "Authorization", "Basic ZnJlZDp3cm9uZw=="); r.status != 401 { // fred:wrong
		t.Errorf("a wrong password: %d", r.status)
	}
	if r := m.do("GET", "/1/data", nil, "Authorization", basic("fred")); r.status != 200 {
		t.Errorf("fred's credentials: %d", r.status)
	}
	r := m.do("POST", "/1/batch", []any{
		subreq.Post("/1/data/t?id=a", obj{}),
		subreq.Post("/1/data/t?id=b", obj{}).With("headers", obj{"Authorization": "Basic dmluY2U6aGk="}),
		subreq.Post("/1/data/t?id=c", obj{}).With("headers", obj{"Authorization": "Basic dmluY2U6d3Jvbmc="}),
	})
	res := r.results(t)
	if got := statuses(res); got[0] != "401" || got[1] != "200" || got[2] != "401" {
		t.Errorf("a batch without credentials: %v", got)
	}
	if got := statuses(m.do("POST", "/1/batch", []any{subreq.Get("/1/data/t/b")}, "Authorization", "Basic dmluY2U6aGk=").results(t)); got[0] != "200" {
		t.Errorf("with the batch's credentials: %v", got)
	}
}

func TestOneLogLinePerRequestWithSubRequestStatuses(t *testing.T) {
	var mu sync.Mutex
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&lockedWriter{mu: &mu, w: &buf}, nil))
	m := newMock(t, mockserver.Config{Logger: logger})
	m.do("POST", "/1/batch", []any{subreq.Get("/1/data/t/x"), sub{"method": "GET"}})
	m.do("GET", "/1/data", nil)
	mu.Lock()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	mu.Unlock()
	if len(lines) != 2 {
		t.Fatalf("%d lines: %q", len(lines), lines)
	}
	var first map[string]any
	decode(t, []byte(lines[0]), &first)
	if first["path"] != "/1/batch" || first["status"] != float64(200) || first["subStatuses"] == nil {
		t.Errorf("batch line: %v", first)
	}
	if s := first["subStatuses"].([]any); s[0] != float64(404) || s[1] != float64(400) {
		t.Errorf("sub statuses %v", s)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
