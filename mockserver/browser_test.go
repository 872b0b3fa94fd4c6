package mockserver_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/spacedog-oss/batchkit/internal/testtool"
	"github.com/spacedog-oss/batchkit/mockserver"
)

// In a real browser, with the command's defaults: a page of another site
// can read nothing of the mock and change nothing, by fetch, by a no-cors
// POST or by a form; a local page creates, reads and batches as before.
func TestInChromiumAForeignPageFailsAndALocalPageWorks(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Chromium")
	}
	chromium := chromiumPath(t)
	m := newMock(t, mockserver.Config{AllowedHosts: []string{}})
	m.do("POST", "/1/data/thing?id=kept", obj{"n": 1})
	changes := m.srv.Changes()

	foreign := `<!doctype html><iframe name=sink></iframe>
<form id=f method=POST enctype=text/plain target=sink action="MOCK/1/data/thing?id=form"><input name='{"n":2,"pad":"' value='"}'></form>
<pre id=out></pre><script>
const out = [];
(async () => {
  try { const r = await fetch("MOCK/_mock/state"); out.push("state read " + r.status + " " + (await r.text()).length); }
  catch (e) { out.push("state blocked"); }
  try { await fetch("MOCK/_mock/reset", {method: "POST", mode: "no-cors"}); out.push("reset sent"); }
  catch (e) { out.push("reset blocked"); }
  await new Promise(done => { document.querySelector("iframe").onload = done; document.getElementById("f").submit(); });
  out.push("form sent");
  await fetch("/report", {method: "POST", body: "DONE " + out.join("; ")});
})();
</script>`
	local := `<!doctype html><pre id=out></pre><script>
(async () => {
  const out = [];
  try {
    const json = {"Content-Type": "application/json"};
    let r = await fetch("MOCK/1/data/thing?id=page", {method: "POST", headers: json, body: JSON.stringify({n: 3})});
    out.push("create " + r.status);
    r = await fetch("MOCK/1/data/thing/page");
    out.push("read " + r.status + " n=" + (await r.json()).n);
    r = await fetch("MOCK/1/batch", {method: "POST", headers: json, body: JSON.stringify([{method: "GET", path: "/1/data/thing/kept"}])});
    out.push("batch " + r.status + " kept=" + JSON.stringify(await r.json()).includes('"kept"'));
  } catch (e) { out.push("error " + e); }
  await fetch("/report", {method: "POST", body: "DONE " + out.join("; ")});
})();
</script>`
	reports := make(chan string, 2)
	pages := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/report" {
			reports <- readReport(t, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		page := local
		if strings.HasPrefix(r.Host, "evil.test") {
			page = foreign
		}
		fmt.Fprint(w, strings.ReplaceAll(page, "MOCK", m.url))
	}))
	defer pages.Close()
	port := portOf(t, pages)

	got := runPage(t, chromium, "http://evil.test:"+port+"/", reports)
	if !strings.Contains(got, "state blocked") || !strings.Contains(got, "form sent") {
		t.Errorf("the foreign page: %s", got)
	}
	if m.srv.Changes() != changes {
		t.Errorf("the foreign page changed the mock's data: %s", m.do("GET", "/_mock/state", nil).body)
	}
	if r := m.do("GET", "/1/data/thing/kept", nil); r.status != 200 {
		t.Errorf("the data was reset: %d", r.status)
	}

	got = runPage(t, chromium, "http://localhost:"+port+"/", reports)
	if !strings.Contains(got, "create 200; read 200 n=3; batch 200 kept=true") {
		t.Errorf("the local page: %s", got)
	}
}

// chromiumPath finds Chromium: a skip without it, a failure in CI.
func chromiumPath(t *testing.T) string {
	t.Helper()
	return testtool.Path(t, testtool.Chromium...)
}

// readReport is the body a page's script posted to /report; a body cut
// short fails the test rather than passing as a report.
func readReport(t *testing.T, r *http.Request) string {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		t.Errorf("reading the page's report: %v", err)
	}
	return string(body)
}

// portOf is the port a test server listens on.
func portOf(t *testing.T, ts *httptest.Server) string {
	t.Helper()
	_, port, err := net.SplitHostPort(ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// runPage opens a page in headless Chromium, evil.test resolving to this
// machine, and returns what its script reports once it has run to its end.
func runPage(t *testing.T, chromium, url string, reports <-chan string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--user-data-dir="+t.TempDir(),
		"--host-resolver-rules=MAP evil.test 127.0.0.1", url)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		cmd.Process.Kill()
		<-exited
	}()
	select {
	case report := <-reports:
		return report
	case err := <-exited:
		t.Fatalf("chromium %s ended before the page reported: %v\n%s", url, err, stderr.Bytes())
	case <-ctx.Done():
		t.Fatalf("the page %s did not report", url)
	}
	return ""
}
