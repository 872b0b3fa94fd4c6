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

// probePage frames the mock's page, same origin, and reports what it
// shows: once it is live, and once it shows a batch with a failing item,
// which it opens and filters as a developer would.
const probePage = `<!doctype html><iframe id=f src="/_mock/#token=s3cret" width=1200 height=800></iframe><script>
const report = (s) => fetch("/report", {method: "POST", body: s});
const doc = () => document.getElementById("f").contentDocument;
const until = (cond) => new Promise((ok) => { const t = setInterval(() => { const v = cond(); if (v) { clearInterval(t); ok(v); } }, 10); });
(async () => {
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
	reports := make(chan string, 2)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/probe":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, probePage)
		case "/favicon.ico": // the probe's: not the app's request
			w.WriteHeader(http.StatusNoContent)
		case "/report":
			reports <- readReport(t, r)
		default:
			srv.ServeHTTP(w, r)
		}
	}))
	defer ts.Close()
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
	m.batch("", obj{"method": "PUT", "path": "/1/data/product/thunder", "content": obj{"price": "$12.00"}},
		obj{"method": "GET", "path": "/1/data/product/thunderr"},
		obj{"method": "POST", "path": "/1/data/order?id=o1", "content": obj{"product": "thunder", "qty": 2}})
	m.do("DELETE", "/1/data/order/o1", nil)
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
		if strings.Contains(line, "CONSOLE") || strings.Contains(line, "Uncaught") || strings.Contains(line, "ERROR") {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}
