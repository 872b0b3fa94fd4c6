package mockserver_test

import (
	"bytes"
	"context"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spacedog-oss/batchkit/mockserver"
)

var pageScreenshot = flag.String("page-screenshot", "", "write a screenshot of /_mock/ to this PNG (docs/mock-page.png)")

// probeHelpers are the probes' own: report what the page shows, the framed
// page's document, and wait until a condition holds.
const probeHelpers = `const report = (s) => fetch("/report", {method: "POST", body: s});
const doc = () => document.getElementById("f").contentDocument;
const until = (cond) => new Promise((ok) => { const t = setInterval(() => { const v = cond(); if (v) { clearInterval(t); ok(v); } }, 10); });
`

// probePage frames the mock's page, same origin, and reports what it
// shows: once it is live, and once it shows a batch with a failing item,
// which it opens and filters as a developer would.
const probePage = `<!doctype html><iframe id=f src="/_mock/#token=s3cret" width=1200 height=800></iframe><script>
` + probeHelpers + `(async () => {
  await until(() => doc() && doc().body && doc().body.dataset.live === "on");
  const ready = Number(doc().body.dataset.polls || 0);
  await report("ready");
  const batch = await until(() => [...doc().querySelectorAll("tbody.entry.fail")].find((tb) => tb.textContent.includes("/1/batch")));
  const out = ["polls " + (Number(doc().body.dataset.polls) - ready)];
  const head = batch.querySelector("tr.head");
  const text = (c) => (c.querySelector("summary") || c).textContent.replace(/\s+/g, " ").trim();
  out.push("batch " + [...head.cells].slice(4, 7).map(text).join(" | "));
  for (const row of batch.querySelectorAll("tr.item")) {
    out.push((row.classList.contains("fail") ? "FAILED " : "ok ") + [...row.cells].slice(1, 5).map(text).join(" "));
  }
  const failing = batch.querySelector("tr.item.fail");
  failing.cells[1].click(); // a click on the row opens its request and result
  const details = failing.querySelector("details");
  out.push("open " + details.open + " result " + JSON.stringify(details.querySelectorAll("pre")[1].textContent.includes("not found")) +
    " request " + JSON.stringify(details.querySelectorAll("pre")[0].textContent.includes("/1/data/thing/missing")));
  const status = doc().getElementById("f-status");
  status.value = "fail";
  status.dispatchEvent(new Event("input", {bubbles: true}));
  out.push("failures shown " + [...doc().querySelectorAll("tbody.entry")].filter((tb) => !tb.hidden).length);
  await until(() => doc().querySelector("#backends a"));
  out.push("types " + doc().querySelector("#backends").innerText.replace(/\s+/g, " ").trim());
  await report(out.join("\n"));
})().catch((e) => report("error " + e));
</script>`

// The page in a real browser: a batch with a failing item sent to the
// mock shows in the open page, its item marked, its result on a click,
// brought by the page's waiting poll and no reload.
func TestInChromiumThePageShowsABatchAndItsFailingItemAsItArrives(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Chromium")
	}
	chromium := chromiumPath(t)
	srv, err := mockserver.New(mockserver.Config{AdminToken: "s3cret", SelfCheck: func(err error) { t.Error(err) }})
	if err != nil {
		t.Fatal(err)
	}
	ts, reports := probeServer(t, srv, probePage)
	m := &mock{t: t, srv: srv, url: ts.URL}
	m.do("GET", "/1/data", nil) // a request before: the failures filter hides it

	stop := startChromium(t, chromium, ts.URL+"/probe")
	defer stop()
	if got := waitReport(t, reports); got != "ready" {
		t.Fatalf("the page did not go live: %s", got)
	}
	sent := time.Now()
	m.batch("", obj{"method": "POST", "path": "/1/data/thing?id=t1", "content": obj{"n": 1}},
		obj{"method": "GET", "path": "/1/data/thing/missing"},
		obj{"method": "GET", "path": "/1/data/thing/t1"})
	got := waitReport(t, reports)
	t.Logf("the page showed the batch %v after it was sent (the report's trip included):\n%s", time.Since(sent), got)
	for _, want := range []string{
		"polls 1\n", // the poll waiting when the batch came brought it: no reload, no timer
		"batch POST | /1/batch 3 items, 1 failed | 200",
		"ok item 0 POST /1/data/thing?id=t1",
		"FAILED item 1 GET /1/data/thing/missing 404",
		"ok item 2 GET /1/data/thing/t1",
		"open true result true request true",
		"failures shown 1",
		"types default thing 1",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the page lacks %q:\n%s", want, got)
		}
	}
	if *pageScreenshot != "" {
		screenshot(t, chromium, srv, *pageScreenshot)
	}
}

// screenshot writes a PNG of the page as a browser shows it, a mock with
// no token serving the same data.
func screenshot(t *testing.T, chromium string, from *mockserver.Server, path string) {
	m := newMock(t, mockserver.Config{Faults: []mockserver.Fault{{Method: "DELETE", Path: "/1/data/order/*", Status: 503}}})
	m.do("POST", "/1/data/product?id=thunder", obj{"name": "Thunder Buzz", "price": "$13.45"})
	m.do("POST", "/1/data/product?id=lightning", obj{"name": "Lightning Bolt", "price": "$9.90"})
	m.do("GET", "/1/data/product", nil)
	m.batch("stopOnError=true", obj{"method": "PUT", "path": "/1/data/product/thunder", "content": obj{"price": "$12.00"}},
		obj{"method": "GET", "path": "/1/data/product/thunderr"},
		obj{"method": "POST", "path": "/1/data/order?id=o1", "content": obj{"product": "thunder", "qty": 2}})
	m.do("DELETE", "/1/data/order/o1", nil)
	m.do("POST", "/1/data/order", obj{"product": "thunder"}, "Origin", "http://192.168.1.5:3000")
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars", "--user-data-dir="+t.TempDir(),
		"--screenshot="+abs, "--window-size=1280,900", m.url+"/_mock/?backend=default&type=product").CombinedOutput()
	if err != nil {
		t.Fatalf("screenshot: %v\n%s", err, out)
	}
	t.Logf("wrote %s", abs)
}

// startChromium opens a page in headless Chromium, and returns how to
// stop it.
func startChromium(t *testing.T, chromium, url string) (stop func()) {
	t.Helper()
	cmd := exec.Command(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--user-data-dir="+t.TempDir(), "--enable-logging=stderr", "--v=0",
		"--host-resolver-rules=MAP evil.test 127.0.0.1, MAP app.localhost 127.0.0.1", url)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("chromium's console:\n%s", consoleLines(stderr.String()))
		}
	}
}

// waitReport is the page's next report; the test's own deadline bounds it.
func waitReport(t *testing.T, reports <-chan string) string {
	t.Helper()
	select {
	case r := <-reports:
		return r
	case <-time.After(30 * time.Second):
		t.Fatal("the page did not report")
	}
	return ""
}

// consoleLines are the lines of Chromium's log the page's console wrote.
func consoleLines(log string) string {
	var out []string
	for _, line := range strings.Split(log, "\n") {
		if (strings.Contains(line, "CONSOLE") || strings.Contains(line, "Uncaught") || strings.Contains(line, "ERROR")) && !strings.Contains(line, ":ERROR:dbus/") {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// probeServer serves a probe page at /probe beside the mock, of the mock's
// own origin as the page is, and the reports the probe posts to /report.
func probeServer(t *testing.T, mock http.Handler, probe string) (*httptest.Server, <-chan string) {
	t.Helper()
	reports := make(chan string, 4)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/probe":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, probe)
		case "/favicon.ico": // the probe's: not the app's request
			w.WriteHeader(http.StatusNoContent)
		case "/report":
			reports <- readReport(t, r)
		default:
			mock.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(ts.Close)
	return ts, reports
}

// probeToken opens the page of a mock with an admin token as a newcomer
// does, with no token in the address: the page asks for it; a wrong one is
// refused, the right one opens it; a reload keeps it for the tab.
const probeToken = `<!doctype html><iframe id=f src="/_mock/" width=1200 height=800></iframe><script>
` + probeHelpers + `const typeToken = (value) => { const d = doc(); d.getElementById("token").value = value; d.getElementById("unlock").requestSubmit(); };
(async () => {
  const out = [];
  await until(() => doc() && doc().getElementById("unlock") && !doc().getElementById("unlock").hidden);
  out.push("form shown, live says: " + doc().getElementById("live").textContent);
  typeToken("guess");
  out.push("wrong token: " + await until(() => doc().getElementById("unlock-error").textContent));
  typeToken("s3cret");
  await until(() => doc().body.dataset.live === "on");
  out.push("right token: form hidden " + doc().getElementById("unlock").hidden + ", note hidden " + doc().getElementById("locked").hidden);
  await report("ready");
  const batch = await until(() => [...doc().querySelectorAll("tbody.entry")].find((tb) => tb.textContent.includes("/1/batch")));
  out.push("batch " + batch.querySelector("tr.head td.status").textContent + " " + batch.querySelectorAll("tr.item").length + " items");
  const refused = doc().querySelector("tbody.entry.refused tr.refusal");
  out.push("the wrong token, refused: " + (refused ? refused.textContent.replace(/\s+/g, " ").trim() : "not shown"));
  doc().body.dataset.old = "yes";
  document.getElementById("f").contentWindow.location.reload();
  await until(() => doc() && doc().body && !doc().body.dataset.old && doc().body.dataset.live === "on");
  out.push("after a reload: form hidden " + doc().getElementById("unlock").hidden + ", rows " + doc().querySelectorAll("tbody.entry").length);
  await report(out.join("\n"));
})().catch((e) => report("error " + e));
</script>`

// With --admin-token, the page asks for the token, keeps it for the tab,
// and shows the requests: typed in its form, in a real browser.
func TestInChromiumThePageAsksForTheTokenAndKeepsItForTheTab(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Chromium")
	}
	chromium := chromiumPath(t)
	srv, err := mockserver.New(mockserver.Config{AdminToken: "s3cret", SelfCheck: func(err error) { t.Error(err) }})
	if err != nil {
		t.Fatal(err)
	}
	ts, reports := probeServer(t, srv, probeToken)
	stop := startChromium(t, chromium, ts.URL+"/probe")
	defer stop()
	if got := waitReport(t, reports); got != "ready" {
		t.Fatalf("the page did not open with the token: %s", got)
	}
	m := &mock{t: t, srv: srv, url: ts.URL}
	m.batch("", obj{"method": "GET", "path": "/1/data"}, obj{"method": "GET", "path": "/1/data/thing/none"})
	got := waitReport(t, reports)
	t.Logf("the page reported:\n%s", got)
	for _, want := range []string{
		"form shown, live says: locked: give the admin token",
		"wrong token: the token was refused",
		"right token: form hidden true, note hidden true",
		"batch 200 2 items",
		"the wrong token, refused: an admin request with a wrong token To allow it: the token of --admin-token (SPACEDOG_MOCK_ADMIN_TOKEN)",
		"after a reload: form hidden true, rows 2",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}

// probeItems reports, once the page shows three new requests, each one's
// rows as the developer reads them, and how many the refused filter keeps.
const probeItems = `<!doctype html><iframe id=f src="/_mock/" width=1200 height=800></iframe><script>
` + probeHelpers + `const text = (c) => (c.querySelector("summary") || c).textContent.replace(/\s+/g, " ").trim();
(async () => {
  await until(() => doc() && doc().body && doc().body.dataset.live === "on");
  await report("ready");
  await until(() => doc().querySelectorAll("tbody.entry").length >= 3);
  const out = [];
  for (const tb of [...doc().querySelectorAll("tbody.entry")].reverse()) {
    out.push("entry " + tb.className + ": " + [...tb.querySelector("tr.head").cells].slice(4, 7).map(text).join(" | "));
    for (const row of tb.querySelectorAll("tr.item, tr.refusal")) {
      out.push("  " + row.className + ": " + [...row.cells].slice(1).map(text).join(" | "));
    }
  }
  const status = doc().getElementById("f-status");
  status.value = "refused";
  status.dispatchEvent(new Event("input", {bubbles: true}));
  out.push("refused shown " + [...doc().querySelectorAll("tbody.entry")].filter((tb) => !tb.hidden).length);
  await report(out.join("\n"));
})().catch((e) => report("error " + e));
</script>`

// The page shows every item of a batch, each as it fared: those that ran,
// those stopOnError left unrun, marked so, a malformed one as it was
// written; and a refusal stands out, with what would allow it.
func TestInChromiumThePageShowsEveryItemAndEveryRefusal(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Chromium")
	}
	chromium := chromiumPath(t)
	srv, err := mockserver.New(mockserver.Config{SelfCheck: func(err error) { t.Error(err) }})
	if err != nil {
		t.Fatal(err)
	}
	ts, reports := probeServer(t, srv, probeItems)
	stop := startChromium(t, chromium, ts.URL+"/probe")
	defer stop()
	if got := waitReport(t, reports); got != "ready" {
		t.Fatalf("the page did not go live: %s", got)
	}
	m := &mock{t: t, srv: srv, url: ts.URL}
	m.batch("stopOnError=true", obj{"method": "GET", "path": "/1/data/thing/none"}, obj{"method": "POST", "path": "/1/data/thing?id=x", "content": obj{}})
	m.batch("", obj{"POST": "/v1/data/product", "body": obj{"name": "Mobby Dick"}})
	m.do("POST", "/1/data/thing", obj{}, "Origin", "http://192.168.1.5:3000")
	got := waitReport(t, reports)
	t.Logf("the page reported:\n%s", got)
	for _, want := range []string{
		"entry entry fail: POST | /1/batch?stopOnError=true 2 items, 1 failed, 1 not run | 200",
		"item fail: item 0 | GET | /1/data/thing/none | 404",
		"item notrun: item 1 not run | POST | /1/data/thing?id=x | —",
		`item fail malformed: item 0 malformed |  | {"POST":"/v1/data/product","body":{"name":"Mobby Dick"}} | 400`,
		"entry entry fail refused: POST | /1/data/thing refused | 403",
		"refusal: a POST from a page of origin [http://192.168.1.5:3000], which CORS does not allow: refused before it ran, " +
			"so that no foreign page changes the data To allow it: --cors-origins http://192.168.1.5:3000",
		"refused shown 1",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}
