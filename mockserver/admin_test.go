package mockserver_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/spacedog-oss/batchkit/internal/subreq"
	"github.com/spacedog-oss/batchkit/mockserver"
	"github.com/spacedog-oss/batchkit/spec"
)

// The admin routes, and the page at /_mock/ as a browser without
// JavaScript gets it.

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
		want, err := spec.YAML(profile)
		if err != nil {
			t.Fatal(err)
		}
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

// The admin routes speak the doc profile's words in every profile, a body
// they cannot read included.
func TestAnAdminBodyOverTheLimitIsRefusedInTheDocProfilesWords(t *testing.T) {
	for _, profile := range spec.Profiles() {
		m := newMock(t, mockserver.Config{Profile: profile, MaxBody: 64})
		big := `[{"path":"/1/data","status":503,"message":"` + strings.Repeat("x", 100) + `"}]`
		for _, method := range []string{"PUT", "POST"} {
			r := m.do(method, "/_mock/faults", big)
			assertEnvelope(t, r.json(t), http.StatusRequestEntityTooLarge)
			if typ := r.json(t).(obj)["error"].(obj)["type"]; typ != "io.spacedog.services.PayloadTooLargeException" {
				t.Errorf("%s: %s /_mock/faults of %d bytes: type %v, want the doc profile's", profile, method, len(big), typ)
			}
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

const xss = `<script>alert(1)</script><img src=x onerror=alert(2)>`

func TestThePageRendersTheJournalDataAndFaultsWithoutJavaScript(t *testing.T) {
	m := newMock(t, mockserver.Config{Faults: []mockserver.Fault{{Method: "GET", Path: "/1/data/slow/*", Status: 503}}})
	m.do("POST", "/1/data/product?id=p1", obj{"name": "Thunder Buzz"})
	m.batch("", obj{"method": "GET", "path": "/1/data/product/p1"}, obj{"method": "GET", "path": "/1/data/product/none"})
	m.batch("stopOnError=true", obj{"POST": "/v1/data/product"}, obj{"method": "DELETE", "path": "/1/data/product/p1?x=1"})
	r := m.do("GET", "/_mock/?backend=default&type=product", nil)
	if r.status != 200 || r.header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("the page: %d %v", r.status, r.header)
	}
	page := string(r.body)
	for _, want := range []string{
		`<tbody class="entry fail" id="r2">`, // the batch, its failing item marked
		`2 items, <b>1 failed</b>`,
		`<tr class="item fail">`,
		`/1/data/product/none`,
		`<td class="status s4">404</td>`,
		`data-type="product">product</a> <span class="count">1</span>`, // a type and its count
		`&#34;name&#34;: &#34;Thunder Buzz&#34;`,                       // the objects of the type chosen
		`/1/data/slow/*`,                                               // the fault rule in force
		`<tr class="item fail malformed"><td></td><td colspan="3">item 0 <b>malformed</b></td><td class="method"></td>`,
		`<summary>{&#34;POST&#34;:&#34;/v1/data/product&#34;}</summary>`, // as written
		`<tr class="item notrun"><td></td><td colspan="3">item 1 <b>not run</b></td><td class="method">DELETE</td>`,
		`<summary>/1/data/product/p1?x=1</summary><p class="note">stopOnError: item [0] failed, and the batch stopped there</p>`,
		`<td class="status notrun">—</td>`,
		`2 items, <b>1 failed</b>, <b class="notrun">1 not run</b>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s:\n%s", want, page)
		}
	}
}

func TestThePageEscapesWhatClientsSent(t *testing.T) {
	m := newMock(t, mockserver.Config{})
	m.do("POST", "/1/data/thing?id=x", obj{"name": xss})
	m.do("GET", "/1/data/thing/"+strings.ReplaceAll(strings.ReplaceAll(xss, " ", "%20"), "<", "%3C"), nil)
	m.batch("", obj{"method": "GET", "path": "/1/data/" + xss})
	page := string(m.do("GET", "/_mock/?backend=default&type=thing", nil).body)
	if strings.Contains(page, "<script>alert") || strings.Contains(page, "<img") {
		t.Errorf("a client's markup is in the page as markup:\n%s", page)
	}
	if !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("the payload is not shown as text:\n%s", page)
	}
}

func TestThePageAndItsFilesComeWithAStrictPolicy(t *testing.T) {
	m := newMock(t, mockserver.Config{})
	for path, ctype := range map[string]string{"/_mock/": "text/html", "/_mock/page.js": "text/javascript", "/_mock/page.css": "text/css"} {
		r := m.do("GET", path, nil)
		csp := r.header.Get("Content-Security-Policy")
		if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), ctype) || r.header.Get("X-Content-Type-Options") != "nosniff" ||
			!strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'self'") {
			t.Errorf("%s: %d %v", path, r.status, r.header)
		}
	}
	if page := string(m.do("GET", "/_mock/", nil).body); strings.Contains(page, "<script>") || strings.Contains(page, "onclick=") {
		t.Errorf("the page has inline script:\n%s", page)
	}
}

func TestThePageOfAnotherOriginIsRefused(t *testing.T) {
	m := newMock(t, mockserver.Config{})
	for _, h := range [][]string{{"Sec-Fetch-Site", "cross-site"}, {"Origin", "http://evil.test"}} {
		if r := m.do("GET", "/_mock/", nil, h...); r.status != http.StatusForbidden {
			t.Errorf("the page with %s: %d", h, r.status)
		}
	}
}

// With an admin token, the page opens without it but shows no data until
// given it; its data routes keep needing it.
func TestWithATokenThePageShowsNoDataUntilGivenIt(t *testing.T) {
	m := newMock(t, mockserver.Config{AdminToken: "s3cret"})
	m.do("POST", "/1/data/thing?id=private", obj{"secret": "kept"})
	r := m.do("GET", "/_mock/", nil)
	if r.status != 200 || strings.Contains(string(r.body), "private") || !strings.Contains(string(r.body), `data-locked="locked"`) {
		t.Errorf("the page without the token: %d\n%s", r.status, r.body)
	}
	if r := m.do("GET", "/_mock/page.js", nil); r.status != 200 {
		t.Errorf("the page's script without the token: %d", r.status)
	}
	if r := m.do("GET", "/_mock/requests?since=0&wait=1s", nil); r.status != http.StatusUnauthorized {
		t.Errorf("the journal without the token: %d", r.status)
	}
	if r := m.do("GET", "/_mock/", nil, mockserver.TokenHeader, "s3cret"); !strings.Contains(string(r.body), "/1/data/thing") {
		t.Errorf("the page with the token:\n%s", r.body)
	}
}

// HEAD answers wherever GET does, with GET's status and headers and no
// body: a health check or a link checker sees what a browser would.
func TestHEADAnswersWhereverGETDoes(t *testing.T) {
	m := newMock(t, mockserver.Config{Faults: []mockserver.Fault{{Method: "GET", Path: "/1/data/flaky", Status: 503}}})
	m.do("POST", "/1/data/thing?id=x", obj{"n": 1})
	for _, path := range []string{"/1/data", "/1/data/thing", "/1/data/thing/x", "/1/data/thing/none", "/v1/data/thing/x/", "/1/data/flaky",
		"/1/batch", "/1/login", "/_mock/", "/_mock/page.js", "/_mock/page.css", "/_mock/health", "/_mock/requests", "/_mock/requests/count",
		"/_mock/state", "/_mock/faults", "/_mock/faults/1", "/_mock/openapi.yaml", "/_mock/violations", "/_mock/nothing", "/"} {
		get, head := m.do("GET", path, nil), m.do("HEAD", path, nil)
		if head.status != get.status || len(head.body) != 0 || head.header.Get("Content-Type") != get.header.Get("Content-Type") ||
			head.header.Get("Location") != get.header.Get("Location") {
			t.Errorf("HEAD %s: %d %v %q; GET: %d %v", path, head.status, head.header, head.body, get.status, get.header)
		}
	}
	var entries []mockserver.Entry
	decode(t, m.do("GET", "/_mock/requests?path=/1/data/thing/x", nil).body, &entries)
	if len(entries) != 4 || entries[0].Method != "HEAD" || entries[0].Status != 200 || entries[1].Method != "GET" { // /1/ and /v1/
		t.Errorf("the journal of a HEAD: %+v", entries)
	}
}

// A browser opening the mock's address, or /_mock, finds the page; a
// tool's GET / is the API's 404, as SpaceDog answered it.
func TestTheRootAndMockLeadABrowserToThePage(t *testing.T) {
	m := newMock(t, mockserver.Config{})
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	browsers := [][]string{
		{"Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
		{"Sec-Fetch-Dest", "document"},
	}
	for _, path := range []string{"/", "/_mock"} {
		for _, h := range browsers {
			req, err := http.NewRequest("GET", m.url+path, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set(h[0], h[1])
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/_mock/" {
				t.Errorf("GET %s with %s: %d %v", path, h, resp.StatusCode, resp.Header)
			}
		}
	}
	if r := m.do("GET", "/", nil, browsers[0]...); r.status != 200 || !strings.Contains(string(r.body), "<title>spacedog-mock</title>") {
		t.Errorf("GET / in a browser, followed: %d %.200s", r.status, r.body)
	}
	for _, method := range []string{"GET", "POST"} {
		if r := m.do(method, "/", nil, "Accept", "application/json"); r.status != http.StatusNotFound {
			t.Errorf("a tool's %s / is the API's: %d %s", method, r.status, r.body)
		} else {
			assertEnvelope(t, r.json(t), http.StatusNotFound)
		}
	}
}
