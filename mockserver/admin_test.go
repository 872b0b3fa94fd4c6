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
