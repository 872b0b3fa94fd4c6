package mockserver_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/spacedog-oss/batchkit/internal/subreq"
	"github.com/spacedog-oss/batchkit/mockserver"
	"github.com/spacedog-oss/batchkit/mockserver/internal/proxy"
	"github.com/spacedog-oss/batchkit/spec"
)

// proxied is a mock in front of a backend handler, and the backend's URL.
func proxied(t *testing.T, backend http.Handler, cfg mockserver.Config) (*mock, string) {
	t.Helper()
	be := httptest.NewServer(backend)
	t.Cleanup(be.Close)
	target, err := mockserver.ParseProxy(be.URL)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Proxy = target
	return newMock(t, cfg), be.URL
}

func violationsOf(t *testing.T, m *mock) []mockserver.Violation {
	t.Helper()
	var vs []mockserver.Violation
	decode(t, m.do("GET", "/_mock/violations", nil).body, &vs)
	return vs
}

func TestTheProxyPassesAConformingBackendsRepliesOnUnchanged(t *testing.T) {
	for _, profile := range spec.Profiles() {
		backend, err := mockserver.New(mockserver.Config{Profile: profile})
		if err != nil {
			t.Fatal(err)
		}
		m, beURL := proxied(t, backend, mockserver.Config{Profile: profile})
		created := m.do("POST", "/1/data/t?id=k", obj{"n": 1})
		if created.status >= 300 {
			t.Fatalf("%s: create through the proxy: %d %s", profile, created.status, created.body)
		}
		r := m.batch("", subreq.Get("/1/data/t/k"), subreq.Delete("/1/data/t/nope"), subreq.Get("/1/nothing"), sub{"METHOD": "GET"})
		direct, err := http.Post(beURL+"/1/batch", "application/json", strings.NewReader(
			`[{"method":"GET","path":"/1/data/t/k"},{"method":"DELETE","path":"/1/data/t/nope"},{"method":"GET","path":"/1/nothing"},{"METHOD":"GET"}]`))
		if err != nil {
			t.Fatal(err)
		}
		want, err := io.ReadAll(direct.Body)
		direct.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if string(r.body) != string(want) || r.status != direct.StatusCode {
			t.Errorf("%s: through the proxy %d %s\nfrom the backend %d %s", profile, r.status, r.body, direct.StatusCode, want)
		}
		if vs := violationsOf(t, m); len(vs) != 0 {
			t.Errorf("%s: violations of a conforming backend: %+v", profile, vs)
		}
		var journal []mockserver.Entry
		decode(t, m.do("GET", "/_mock/requests", nil).body, &journal)
		if len(journal) != 2 || journal[0].Path != "/1/batch" || journal[0].Status != 200 {
			t.Errorf("%s: the journal in front of the backend: %+v", profile, journal)
		}
	}
}

// breakResult makes the backend's batch result at index break the reply
// shape of its operation: a GET's meta.version becomes a string.
func breakResult(next http.Handler, index int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		var results []map[string]any
		if r.URL.Path == "/1/batch" && json.Unmarshal(body, &results) == nil && index < len(results) {
			if meta, ok := results[index]["meta"].(map[string]any); ok {
				meta["version"] = "one"
			}
			var err error
			if body, err = json.Marshal(results); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(rec.Code)
		w.Write(body)
	})
}

func TestTheProxyRecordsEachViolationWithItsIndexAndPointer(t *testing.T) {
	backend, err := mockserver.New(mockserver.Config{})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var logged strings.Builder
	m, _ := proxied(t, breakResult(backend, 1), mockserver.Config{Logger: slog.New(slog.NewTextHandler(&lockedWriter{mu: &mu, w: &logged}, nil))})
	m.do("POST", "/1/data/t?id=k", obj{"n": 1})
	r := m.batch("", subreq.Post("/1/data/t", obj{"n": 2}), subreq.Get("/1/data/t/k"), subreq.Get("/1/data/t/k"))
	if r.status != http.StatusOK || !strings.Contains(string(r.body), `"version":"one"`) {
		t.Fatalf("the broken reply is not passed on unchanged: %d %s", r.status, r.body)
	}
	vs := violationsOf(t, m)
	if len(vs) != 1 {
		t.Fatalf("violations %+v, want one, for result [1]", vs)
	}
	v := vs[0]
	if v.Index != 1 || v.Operation != "getObject" || v.Pointer != "/meta/version" || v.Path != "/1/batch" || v.Status != 200 {
		t.Errorf("violation %+v, want result [1] of getObject at /meta/version", v)
	}
	if len(v.Request) == 0 || len(v.Response) == 0 || v.Message == "" {
		t.Errorf("the violation lacks its request, reply or message: %+v", v)
	}
	if v.ID != 1 {
		t.Errorf("the first violation is numbered %d, want 1", v.ID)
	}
	mu.Lock()
	log := logged.String()
	mu.Unlock()
	if !strings.Contains(log, "level=WARN") || !strings.Contains(log, "contract violation") || !strings.Contains(log, "index=1") {
		t.Errorf("no WARN line for the violation:\n%s", log)
	}
	var health map[string]any
	decode(t, m.do("GET", "/_mock/health", nil).body, &health)
	if health["violations"] != float64(1) {
		t.Errorf("health = %v, want a count of 1 violation", health)
	}
	m.do("DELETE", "/_mock/violations", nil)
	if vs := violationsOf(t, m); len(vs) != 0 {
		t.Errorf("DELETE left %d violations", len(vs))
	}
	if m.srv.Violations() != 1 {
		t.Errorf("Violations() = %d after DELETE, want the 1 seen since start", m.srv.Violations())
	}
	m.batch("", subreq.Get("/1/data/t/k"), subreq.Get("/1/data/t/k"))
	if vs := violationsOf(t, m); len(vs) != 1 {
		t.Errorf("after a DELETE and a broken batch, %d violations, want 1", len(vs))
	} else if vs[0].ID != 2 {
		t.Errorf("after a DELETE, the next violation is numbered %d, want 2: the numbers go on", vs[0].ID)
	}
}

func TestTheProxyNeverFollowsAURLInABatch(t *testing.T) {
	var hits atomic.Int64
	canary := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer canary.Close()
	var seen atomic.Value
	backend, err := mockserver.New(mockserver.Config{})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := proxied(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("the backend reading the batch: %v", err)
		}
		seen.Store(string(body))
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		backend.ServeHTTP(w, r)
	}), mockserver.Config{})
	sent := `[{"method":"GET","path":"` + canary.URL + `/1/data"},{"method":"GET","path":"//` + strings.TrimPrefix(canary.URL, "http://") + `/1/data"}]`
	m.do("POST", "/1/batch?stopOnError=false", sent)
	if hits.Load() != 0 {
		t.Errorf("the proxy or the backend called out to a URL in a batch")
	}
	if seen.Load() != sent {
		t.Errorf("the backend got %v, want the batch as it came: %s", seen.Load(), sent)
	}
}

func TestTheProxyKeepsFaultsCORSAndAnswers502WhenTheBackendIsDown(t *testing.T) {
	backend, err := mockserver.New(mockserver.Config{})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := proxied(t, backend, mockserver.Config{CORSOrigins: []string{"*"},
		Faults: []mockserver.Fault{{Method: "GET", Path: "/1/data/slow", Status: 503}}})
	if r := m.do("GET", "/1/data/slow", nil); r.status != 503 {
		t.Errorf("a fault rule in front of the backend: %d %s", r.status, r.body)
	}
	if r := m.do("GET", "/1/data", nil, "Origin", "http://page.example"); r.header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("CORS in front of the backend: %v", r.header)
	}
	// A batch goes to the backend whole: a rule for its items, which could
	// never apply, is refused, naming the field.
	for _, method := range []string{"PUT", "POST"} {
		r := m.do(method, "/_mock/faults", `[{"path":"/1/data/*","status":503},{"path":"/1/data/*","index":1,"status":503}]`)
		if msg := assertEnvelope(t, r.json(t), 400); !strings.Contains(msg, "rule [1]: field [index]: in front of a backend") {
			t.Errorf("%s of a rule for batch items in front of a backend: %d %s", method, r.status, r.body)
		}
	}
	if got := m.do("GET", "/_mock/faults", nil).body; !strings.Contains(string(got), "/1/data/slow") || strings.Contains(string(got), `"index"`) {
		t.Errorf("the rules in force after a refused body: %s", got)
	}
	nowhere, err := mockserver.ParseProxy("http://127.0.0.1:9")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mockserver.New(mockserver.Config{Proxy: nowhere, Faults: []mockserver.Fault{{Path: "/1/data/*", Index: ptr(0), Status: 503}}}); err == nil ||
		!strings.Contains(err.Error(), "field [index]") {
		t.Errorf("New in front of a backend, with a rule for batch items: %v", err)
	}
	gone := httptest.NewServer(http.NotFoundHandler())
	target, err := mockserver.ParseProxy(gone.URL)
	gone.Close()
	if err != nil {
		t.Fatal(err)
	}
	down := newMock(t, mockserver.Config{Proxy: target})
	r := down.do("GET", "/1/data", nil)
	if msg := assertEnvelope(t, r.json(t), 502); !strings.Contains(msg, "did not answer") {
		t.Errorf("a backend that is down: %d %s", r.status, r.body)
	}
	for _, bad := range []string{"ftp://x", "localhost:8080", "http://", "http://x/?q=1"} {
		if _, err := mockserver.ParseProxy(bad); err == nil {
			t.Errorf("ParseProxy(%q) took it", bad)
		}
	}
}

// A backend's 405 is judged by the document's description of it: the
// mock's own, in either profile, passes; a 404 where the route exists and
// lacks the method is a violation of the operation that describes the 405.
func TestTheProxyJudgesA405ByItsDescription(t *testing.T) {
	for _, profile := range spec.Profiles() {
		backend, err := mockserver.New(mockserver.Config{Profile: profile})
		if err != nil {
			t.Fatal(err)
		}
		// A 404 there is allowed (ERR-2 is a SHOULD); a 400 is not.
		batchGets400 := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/1/batch" && r.Method != http.MethodPost {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusBadRequest)
				w.Write([]byte(`{"success":false,"status":400,"error":{"type":"BadRequest","message":"POST only"}}`))
				return
			}
			backend.ServeHTTP(w, r)
		})
		m, _ := proxied(t, batchGets400, mockserver.Config{Profile: profile})
		if r := m.do("PATCH", "/1/data/t/k", obj{}); r.status != http.StatusMethodNotAllowed {
			t.Fatalf("%s: PATCH through the proxy: %d %s", profile, r.status, r.body)
		}
		m.batch("", sub{"method": "PUT", "path": "/1/data/t"})
		if vs := violationsOf(t, m); len(vs) != 0 {
			t.Errorf("%s: violations of the mock's own 405s: %+v", profile, vs)
		}
		if r := m.do("GET", "/1/batch", nil); r.status != http.StatusBadRequest {
			t.Fatalf("%s: GET /1/batch through the proxy: %d %s", profile, r.status, r.body)
		}
		vs := violationsOf(t, m)
		if len(vs) != 1 || vs[0].Operation != "getBatchNotAllowed" || vs[0].Status != http.StatusBadRequest {
			t.Errorf("%s: a 400 for GET /1/batch: %+v, want one violation of getBatchNotAllowed", profile, vs)
		}
	}
}

// A backend that takes a request and never answers is the proxy's 502
// naming it, within the proxy's bound: never a proxy that hangs.
func TestTheProxyAnswersABackendThatHangsWith502(t *testing.T) {
	hung := make(chan struct{}, 1)
	backend := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // so that the server sees the proxy go away
		hung <- struct{}{}
		<-r.Context().Done()
	})
	m, _ := proxied(t, backend, mockserver.Config{})
	r := m.batch("", subreq.Get("/1/data/t/k"))
	<-hung
	if r.status != http.StatusBadGateway || !strings.Contains(string(r.body), "did not answer") {
		t.Errorf("%d %s, want a 502 saying the backend did not answer", r.status, r.body)
	}
}

// Behind the proxy, a backend learns where the client sent its request, as
// from any reverse proxy: a mock backend then builds its locations on the
// client's host and serves the client's backend.
func TestTheProxySaysWhereTheClientSentItsRequest(t *testing.T) {
	backend, err := mockserver.New(mockserver.Config{})
	if err != nil {
		t.Fatal(err)
	}
	var seen http.Header
	var mu sync.Mutex
	m, _ := proxied(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = r.Header.Clone()
		mu.Unlock()
		backend.ServeHTTP(w, r)
	}), mockserver.Config{})
	r := m.doHost("shop.localhost:8080", "POST", "/1/data/t?id=k", obj{})
	if r.status >= 300 || !strings.Contains(string(r.body), `"location":"http://shop.localhost:8080/1/data/t/k"`) {
		t.Fatalf("a creation through the proxy: %d %s", r.status, r.body)
	}
	mu.Lock()
	told := seen
	mu.Unlock()
	if told.Get("X-Forwarded-Host") != "shop.localhost:8080" || told.Get("X-Forwarded-Proto") != "http" || told.Get("X-Forwarded-For") == "" {
		t.Errorf("the backend was told %v", told)
	}
	if got := m.doHost("other.localhost:8080", "GET", "/1/data/t/k", nil); got.status != http.StatusNotFound {
		t.Errorf("another backend through the proxy sees the object: %d %s", got.status, got.body)
	}
}

// Only a proxy on this machine is believed: from another peer, the
// X-Forwarded headers change neither the backend nor the locations.
func TestForwardedHeadersAreBelievedFromThisMachineOnly(t *testing.T) {
	srv, err := mockserver.New(mockserver.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		remote, want string
	}{
		{"127.0.0.1:5000", `"location":"https://public.example.com/1/data/t/`},
		{"192.0.2.7:5000", `"location":"http://api.example.com/1/data/t/`},
	} {
		req := httptest.NewRequest("POST", "http://api.example.com/1/data/t", strings.NewReader(`{}`))
		req.RemoteAddr = c.remote
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-Host", "public.example.com, inner.example.com")
		req.Header.Set("X-Forwarded-Proto", "https")
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if !strings.Contains(rec.Body.String(), c.want) {
			t.Errorf("from %s: %d %s, want %s", c.remote, rec.Code, rec.Body, c.want)
		}
	}
}

// A remote client's X-Forwarded headers never reach the backend: they
// would choose its tenant (X-Forwarded-Host) and its locations. The
// backend is told the Host the mock was sent, and the peer's own address;
// a proxy on this machine is believed, and its chain goes on.
func TestTheProxyPassesNoRemoteClientsForwardedHeadersOn(t *testing.T) {
	var seen http.Header
	var mu sync.Mutex
	m, _ := proxied(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = r.Header.Clone()
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"results":[],"total":0}`)
	}), mockserver.Config{})
	for _, c := range []struct {
		remote                string
		host, proto, fwd, xff string
	}{
		{"192.0.2.1:1234", "api.example.com", "http", "", "192.0.2.1"},
		{"127.0.0.1:1234", "victim.localhost:5173", "https", "for=10.9.9.9", "10.9.9.9, 127.0.0.1"},
	} {
		req := httptest.NewRequest("GET", "http://api.example.com/1/data/t", nil)
		req.RemoteAddr = c.remote
		req.Header.Set("X-Forwarded-Host", "victim.localhost:5173")
		req.Header.Set("X-Forwarded-Proto", "https")
		req.Header.Set("X-Forwarded-For", "10.9.9.9")
		req.Header.Set("Forwarded", "for=10.9.9.9")
		rec := httptest.NewRecorder()
		m.srv.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("from %s: %d %s", c.remote, rec.Code, rec.Body)
		}
		mu.Lock()
		told := seen
		mu.Unlock()
		if told.Get("X-Forwarded-Host") != c.host || told.Get("X-Forwarded-Proto") != c.proto ||
			told.Get("Forwarded") != c.fwd || strings.Join(told.Values("X-Forwarded-For"), ", ") != c.xff {
			t.Errorf("from %s, the backend was told X-Forwarded-Host %q, -Proto %q, -For %q, Forwarded %q; want %q, %q, %q, %q", c.remote,
				told.Get("X-Forwarded-Host"), told.Get("X-Forwarded-Proto"), told.Values("X-Forwarded-For"), told.Get("Forwarded"),
				c.host, c.proto, c.xff, c.fwd)
		}
	}
}

// docs/mock.md says the proxy's bound on an exchange as the code has it,
// in its limits table and where it tells the proxy.
func TestTheManualSaysTheProxysTimeout(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "mock.md"))
	if err != nil {
		t.Fatal(err)
	}
	secs := int(proxy.Timeout.Seconds())
	for _, says := range []string{
		fmt.Sprintf("| a proxied backend's reply (`--proxy`) | none | | %d s, 256 MiB |", secs),
		fmt.Sprintf("does not answer within %d s", secs),
	} {
		if !strings.Contains(strings.Join(strings.Fields(string(doc)), " "), says) {
			t.Errorf("docs/mock.md does not say %q", says)
		}
	}
}
