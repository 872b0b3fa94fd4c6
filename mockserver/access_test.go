package mockserver_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/spacedog-oss/batchkit/mockserver"
	"github.com/spacedog-oss/batchkit/spec"
)

// What keeps a mock on a developer's machine safe from the pages of the
// browser beside it: the Host check, CORS for local pages, the admin
// routes for no other origin, no write from a foreign page, the token.

// A page of an allowed origin may send any method and header: a header
// left out of a preflight fails in the browser, unseen (a test's own
// X-Test-Id, a tracing header), where the mock's answer says what is wrong.
func TestCORSPreflightIsAnsweredOnEveryRoute(t *testing.T) {
	m := newMock(t, mockserver.Config{CORSOrigins: []string{"*"}})
	for _, path := range []string{"/1/batch", "/1/data/product/x", "/v1/data"} {
		r := m.do("OPTIONS", path, nil, "Origin", "http://localhost:3000", "Access-Control-Request-Method", "POST",
			"Access-Control-Request-Headers", "authorization, content-type, x-spacedog-app, x-test-id, traceparent")
		h := r.header
		if r.status != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != "*" ||
			!strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") ||
			!strings.Contains(h.Get("Access-Control-Allow-Headers"), "x-spacedog-app") ||
			!strings.Contains(h.Get("Access-Control-Allow-Headers"), "x-test-id") ||
			!strings.Contains(h.Get("Access-Control-Allow-Headers"), "traceparent") {
			t.Errorf("preflight of %s: %d %v", path, r.status, h)
		}
	}
	if r := m.do("OPTIONS", "/1/data", nil, "Origin", "http://localhost:3000", "Access-Control-Request-Method", "PATCH"); r.status != http.StatusNoContent ||
		r.header.Get("Access-Control-Allow-Methods") != "PATCH" {
		t.Errorf("a preflight of a PATCH, which the mock answers 405 with its envelope: %d %v", r.status, r.header)
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

func TestAHostNotOfThisMachineNorAllowedGets403NamingTheFlag(t *testing.T) {
	for _, profile := range spec.Profiles() {
		m := newMock(t, mockserver.Config{Profile: profile, AllowedHosts: []string{}})
		for _, host := range []string{"attacker.example:8080", "attacker.example", "localhost.attacker.example", "blog.spacedog.io"} {
			for _, path := range []string{"/_mock/state", "/1/data"} {
				r := m.doHost(host, "GET", path, nil)
				if r.status != http.StatusForbidden || !strings.Contains(string(r.body), "--allowed-hosts") {
					t.Errorf("%s: Host %s: %d %s", profile, host, r.status, r.body)
					continue
				}
				if path == "/1/data" {
					assertEnvelopeIn(t, profile, r.json(t), http.StatusForbidden)
				}
			}
		}
		for _, host := range []string{"", "127.0.0.1", "localhost:8080", "shop.localhost", "shop.localhost.", "[::1]:9000", "10.0.0.7:8080"} {
			if r := m.doHost(host, "GET", "/_mock/health", nil); r.status != http.StatusOK {
				t.Errorf("%s: Host %q of this machine: %d %s", profile, host, r.status, r.body)
			}
		}
	}
}

func TestAllowedHostsNameHostsDomainsOrAny(t *testing.T) {
	m := newMock(t, mockserver.Config{AllowedHosts: []string{"mock.test", ".spacedog.io"}})
	for host, want := range map[string]int{
		"mock.test": 200, "MOCK.test:8080": 200, "sub.mock.test": 403,
		"spacedog.io": 200, "blog.spacedog.io": 200, "evilspacedog.io": 403,
	} {
		if r := m.doHost(host, "GET", "/1/data", nil); r.status != want {
			t.Errorf("Host %s: %d, want %d", host, r.status, want)
		}
	}
	// A backend named by an allowed Host keeps its own data (CONTRACT §1).
	m.doHost("blog.spacedog.io", "POST", "/1/data/post?id=a", obj{"n": 1})
	if r := m.doHost("blog.localhost", "GET", "/1/data/post/a", nil); r.status != 200 {
		t.Errorf("the blog backend, by blog.localhost: %d", r.status)
	}
	anyHost := newMock(t, mockserver.Config{AllowedHosts: []string{"*"}})
	if r := anyHost.doHost("whatever.example", "GET", "/1/data", nil); r.status != 200 {
		t.Errorf("--allowed-hosts *: %d", r.status)
	}
}

func TestByDefaultCORSAllowsLocalPagesOnly(t *testing.T) {
	m := newMock(t, mockserver.Config{})
	for _, origin := range []string{"http://localhost:5173", "https://localhost", "http://127.0.0.1:3000", "http://app.localhost:8000", "http://[::1]:4200"} {
		if r := m.do("GET", "/1/data", nil, "Origin", origin); r.header.Get("Access-Control-Allow-Origin") != origin {
			t.Errorf("local page %s: %v", origin, r.header)
		}
		r := m.do("OPTIONS", "/1/batch", nil, "Origin", origin, "Access-Control-Request-Method", "POST")
		if r.status != http.StatusNoContent || r.header.Get("Access-Control-Allow-Origin") != origin {
			t.Errorf("preflight from local page %s: %d %v", origin, r.status, r.header)
		}
	}
	for _, origin := range []string{"https://evil.example", "http://localhost.evil.example", "null", "file://", "http://127.0.0.1.nip.io"} {
		r := m.do("GET", "/1/data", nil, "Origin", origin)
		if r.status != 200 || r.header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("a read from %s: %d %v", origin, r.status, r.header)
		}
		if r := m.do("OPTIONS", "/1/batch", nil, "Origin", origin, "Access-Control-Request-Method", "POST"); r.status != http.StatusForbidden {
			t.Errorf("preflight from %s: %d %v", origin, r.status, r.header)
		}
	}
}

func TestTheAdminRoutesAnswerNoOtherOrigin(t *testing.T) {
	m := newMock(t, mockserver.Config{CORSOrigins: []string{"*"}}) // even so
	m.do("POST", "/1/data/thing?id=kept", obj{"n": 1})
	changes := m.srv.Changes()
	if r := m.do("OPTIONS", "/_mock/reset", nil, "Origin", "https://evil.example", "Access-Control-Request-Method", "POST"); r.status != http.StatusForbidden || r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight of reset: %d %v", r.status, r.header)
	}
	foreign := [][]string{
		{"Origin", "https://evil.example"},
		{"Origin", "http://localhost:3000"}, // local, but another origin
		{"Origin", "null"},
		{"Sec-Fetch-Site", "cross-site"},
		{"Sec-Fetch-Site", "same-site"},
	}
	routes := [][2]string{{"POST", "/_mock/reset"}, {"PUT", "/_mock/faults"}, {"DELETE", "/_mock/faults"},
		{"DELETE", "/_mock/requests"}, {"DELETE", "/_mock/violations"}, {"GET", "/_mock/state"}, {"GET", "/_mock/requests"}}
	for _, h := range foreign {
		for _, route := range routes {
			r := m.do(route[0], route[1], `[{"path":"/1/data","status":503}]`, h...)
			if r.status != http.StatusForbidden || r.header.Get("Access-Control-Allow-Origin") != "" {
				t.Errorf("%s %s with %v: %d %v", route[0], route[1], h, r.status, r.header)
				continue
			}
			checkEnvelope(t, r.json(t), http.StatusForbidden, true)
		}
	}
	if faults := string(m.do("GET", "/_mock/faults", nil).body); m.srv.Changes() != changes || strings.Contains(faults, "503") {
		t.Fatal("a refused admin request changed something")
	}
	same := strings.Replace(m.url, "127.0.0.1", "localhost", 1)
	for _, h := range [][]string{{}, {"Origin", m.url, "Sec-Fetch-Site", "same-origin"}, {"Sec-Fetch-Site", "none"}} {
		if r := m.do("GET", "/_mock/state", nil, h...); r.status != 200 || r.header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("state with %v: %d %v", h, r.status, r.header)
		}
	}
	if r := m.do("GET", "/_mock/state", nil, "Origin", same); r.status != http.StatusForbidden {
		t.Errorf("an origin of another host name (%s) is another origin: %d", same, r.status)
	}
	if r := m.do("POST", "/_mock/reset", nil, "Origin", m.url); r.status != 200 || m.srv.Changes() == changes {
		t.Errorf("a reset from the mock's own origin: %d", r.status)
	}
}

func TestAWriteFromAPageCORSDoesNotAllowIsRefusedBeforeItRuns(t *testing.T) {
	for _, profile := range spec.Profiles() {
		m := newMock(t, mockserver.Config{Profile: profile})
		m.do("POST", "/1/data/thing?id=a", obj{"n": 1})
		changes := m.srv.Changes()
		writes := []struct{ method, path, body, contentType string }{
			{"POST", "/1/data/thing?id=b", `{"n":2}`, "text/plain"}, // a form or a no-cors fetch
			{"POST", "/1/data/thing", `{"n":2}`, "application/x-www-form-urlencoded"},
			{"PUT", "/1/data/thing/a", `{"n":3}`, "application/json"},
			{"DELETE", "/1/data/thing/a", "", ""},
			{"DELETE", "/1/data/thing", "", ""},
			{"POST", "/1/batch", `[{"method":"DELETE","path":"/1/data/thing/a"}]`, "text/plain"},
		}
		for _, origin := range []string{"https://evil.example", "null"} {
			for _, wr := range writes {
				r := m.do(wr.method, wr.path, wr.body, "Origin", origin, "Content-Type", wr.contentType)
				if r.status != http.StatusForbidden || !strings.Contains(string(r.body), "--cors-origins") {
					t.Errorf("%s: %s %s from %s: %d %s", profile, wr.method, wr.path, origin, r.status, r.body)
					continue
				}
				assertEnvelopeIn(t, profile, r.json(t), http.StatusForbidden)
			}
		}
		if m.srv.Changes() != changes {
			t.Errorf("%s: a refused write changed the data", profile)
		}
		if r := m.do("GET", "/1/data/thing/a", nil, "Origin", "https://evil.example"); r.status != 200 {
			t.Errorf("%s: a read is governed by CORS alone: %d", profile, r.status)
		}
		if r := m.do("POST", "/1/batch", `[{"method":"GET","path":"/1/data/thing/a"}]`, "Origin", "http://localhost:5173"); r.status != 200 {
			t.Errorf("%s: a batch from a local page: %d %s", profile, r.status, r.body)
		}
	}
	open := newMock(t, mockserver.Config{CORSOrigins: []string{"*"}})
	if r := open.do("POST", "/1/data/thing", obj{"n": 1}, "Origin", "https://evil.example"); r.status != 200 {
		t.Errorf("--cors-origins '*' lets any page write: %d", r.status)
	}
}

func TestWithATokenEveryAdminRequestNeedsIt(t *testing.T) {
	m := newMock(t, mockserver.Config{AdminToken: "s3cret"})
	for _, h := range [][]string{{}, {"Authorization", "Bearer wrong"}, {"Authorization", "Basic czNjcmV0"}, {mockserver.TokenHeader, "s3cre"}} {
		r := m.do("GET", "/_mock/health", nil, h...)
		if r.status != http.StatusUnauthorized || !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("health with %v: %d %v", h, r.status, r.header)
			continue
		}
		checkEnvelope(t, r.json(t), http.StatusUnauthorized, true)
	}
	for _, h := range [][]string{{"Authorization", "Bearer s3cret"}, {mockserver.TokenHeader, "s3cret"}} {
		if r := m.do("POST", "/_mock/reset", nil, h...); r.status != 200 {
			t.Errorf("reset with %v: %d %s", h, r.status, r.body)
		}
	}
	if r := m.do("GET", "/1/data", nil); r.status != 200 {
		t.Errorf("the API needs no token: %d", r.status)
	}
}

// Proxy mode has the same guards, and its journal keeps no credentials.
func TestTheProxyIsGuardedAndItsJournalKeepsNoCredentials(t *testing.T) {
	backend, err := mockserver.New(mockserver.Config{})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := proxied(t, backend, mockserver.Config{AllowedHosts: []string{}})
	if r := m.do("POST", "/1/data/thing?id=x", obj{"n": 1}, "Origin", "https://evil.example"); r.status != http.StatusForbidden || backend.Changes() != 0 {
		t.Errorf("a foreign write through the proxy: %d, backend changes %d", r.status, backend.Changes())
	}
	if r := m.doHost("attacker.example", "GET", "/1/data", nil); r.status != http.StatusForbidden {
		t.Errorf("a rebinding Host through the proxy: %d", r.status)
	}
	if r := m.do("GET", "/_mock/requests", nil, "Origin", "https://evil.example"); r.status != http.StatusForbidden {
		t.Errorf("the journal to a foreign page: %d", r.status)
	}
	m.do("POST", "/1/data/thing?id=y", obj{"n": 1}, "Authorization", "Basic ZnJlZDpoaWRkZW4tcGFzc3dvcmQ=", "Cookie", "session=cookie-secret")
	m.do("GET", "/1/data/thing/y", nil, "Authorization", "Bearer bearer-secret", "Cookie", "session=cookie-secret")
	journal := string(m.do("GET", "/_mock/requests", nil).body) + string(m.do("GET", "/_mock/violations", nil).body)
	for _, secret := range []string{"ZnJlZDpoaWRkZW4tcGFzc3dvcmQ", "hidden-password", "bearer-secret", "cookie-secret", "Authorization", "Cookie"} {
		if strings.Contains(journal, secret) {
			t.Errorf("the journal keeps %q: %s", secret, journal)
		}
	}
	if !strings.Contains(journal, `"user":"fred"`) {
		t.Errorf("the journal names no user: %s", journal)
	}
}

// Every refusal leaves a trace where a developer looks: a warning in the
// log and an entry in the journal (and so on the page), each saying what
// was refused, why, and the flag or variable that would allow it.
func TestEveryRefusalIsLoggedAndJournaledWithWhatWouldAllowIt(t *testing.T) {
	var mu sync.Mutex
	var logged bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&lockedWriter{mu: &mu, w: &logged}, nil))
	m := newMock(t, mockserver.Config{AllowedHosts: []string{}, AdminToken: "s3cret", Logger: logger})
	lan := "http://192.168.1.5:3000" // a page on the LAN: not a local origin
	refusals := []struct {
		send   func() reply
		status int
		reason string // in the journal's reason
		allow  string // in the journal's allow
	}{
		{func() reply { return m.doHost("spacedog:8080", "GET", "/1/data", nil) }, 403,
			"host [spacedog:8080] is not a name of this machine", "--allowed-hosts spacedog (SPACEDOG_MOCK_ALLOWED_HOSTS=spacedog"},
		{func() reply { return m.do("POST", "/1/batch", "[]", "Origin", lan) }, 403,
			"a POST from a page of origin [" + lan + "]", "--cors-origins " + lan + " (SPACEDOG_MOCK_CORS_ORIGINS=" + lan},
		{func() reply {
			return m.do("OPTIONS", "/1/batch", nil, "Origin", lan, "Access-Control-Request-Method", "POST")
		}, 403, "the preflight of a POST from a page of origin [" + lan + "]", "SPACEDOG_MOCK_CORS_ORIGINS=" + lan},
		{func() reply { return m.do("GET", "/1/data", nil, "Origin", lan, "Sec-Fetch-Mode", "cors") }, 200,
			"the browser hides the reply from the page", "SPACEDOG_MOCK_CORS_ORIGINS=" + lan},
		{func() reply { return m.do("GET", "/_mock/state", nil, "Origin", lan, mockserver.TokenHeader, "s3cret") }, 403,
			"an admin request from a page of origin [" + lan + "]", "the mock's own page, /_mock/"},
		{func() reply { return m.do("GET", "/_mock/state", nil, "Sec-Fetch-Site", "cross-site") }, 403,
			"an admin request from a page of another site", "the mock's own page"},
		{func() reply { return m.do("GET", "/_mock/state", nil) }, 401,
			"an admin request without the token", "--admin-token (SPACEDOG_MOCK_ADMIN_TOKEN)"},
		{func() reply { return m.do("GET", "/_mock/state", nil, "Authorization", "Bearer guess") }, 401,
			"an admin request with a wrong token", "X-Mock-Token: TOKEN"},
	}
	for i, want := range refusals {
		if r := want.send(); r.status != want.status {
			t.Fatalf("refusal %d: %d %s, want %d", i, r.status, r.body, want.status)
		}
	}
	var entries []mockserver.Entry
	decode(t, m.do("GET", "/_mock/requests", nil, mockserver.TokenHeader, "s3cret").body, &entries)
	if len(entries) != len(refusals) {
		t.Fatalf("the journal holds %d entries, want the %d refusals: %+v", len(entries), len(refusals), entries)
	}
	mu.Lock()
	lines := strings.Split(strings.TrimSpace(logged.String()), "\n")
	mu.Unlock()
	if len(lines) != len(refusals) {
		t.Fatalf("%d log lines, want one for each of the %d refusals:\n%s", len(lines), len(refusals), strings.Join(lines, "\n"))
	}
	for i, want := range refusals {
		e := entries[len(entries)-1-i]
		if e.Refused == nil || e.Status != want.status || !strings.Contains(e.Refused.Reason, want.reason) || !strings.Contains(e.Refused.Allow, want.allow) {
			t.Errorf("refusal %d in the journal: %+v %+v, want %q and %q", i, e, e.Refused, want.reason, want.allow)
			continue
		}
		var line map[string]any
		decode(t, []byte(lines[i]), &line)
		if line["level"] != "WARN" || line["msg"] != "refused" || line["reason"] != e.Refused.Reason || line["allow"] != e.Refused.Allow ||
			line["status"] != float64(want.status) || line["path"] != e.Path {
			t.Errorf("refusal %d in the log: %s", i, lines[i])
		}
	}
	// The page shows them, standing out, with what would allow each.
	page := string(m.do("GET", "/_mock/", nil, mockserver.TokenHeader, "s3cret").body)
	for _, want := range []string{`<tbody class="entry fail refused" id="r1">`, `<b class="tag-refused">refused</b>`,
		`To allow it: --allowed-hosts spacedog (SPACEDOG_MOCK_ALLOWED_HOSTS=spacedog`, `<tbody class="entry refused" id="r4">`} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	// A test finds them by status or by text.
	var count struct{ Count int }
	decode(t, m.do("GET", "/_mock/requests/count?text=SPACEDOG_MOCK_CORS_ORIGINS", nil, mockserver.TokenHeader, "s3cret").body, &count)
	if count.Count != 3 {
		t.Errorf("refusals naming SPACEDOG_MOCK_CORS_ORIGINS: %d, want 3", count.Count)
	}
}
