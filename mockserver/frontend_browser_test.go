package mockserver_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/spacedog-oss/batchkit/internal/subreq"
	"github.com/spacedog-oss/batchkit/mockserver"
	"github.com/spacedog-oss/batchkit/spec"
)

// appPage is a frontend on another origin: it signs in, then creates,
// reads, updates, deletes and batches with fetch and Basic credentials,
// and reports each status and what it read.
const appPage = `<!doctype html><script>
(async () => {
  const out = [];
  try {
    const auth = {"Authorization": "Basic " + btoa("fred:secret")};
    const json = {...auth, "Content-Type": "application/json"};
    const call = async (method, path, body) => {
      const r = await fetch("MOCK" + path, {method, headers: body ? json : auth, body: body && JSON.stringify(body)});
      return [r.status, await r.json()];
    };
    let [status, body] = await call("GET", "/1/login");
    out.push("login " + status);
    [status] = await call("POST", "/1/data/todo?id=t1", {title: "write tests"});
    out.push("create " + status);
    [status, body] = await call("GET", "/1/data/todo/t1");
    out.push("read " + status + " " + body.title);
    [status] = await call("PUT", "/1/data/todo/t1", {title: "write more tests"});
    out.push("update " + status);
    [status, body] = await call("POST", "/1/batch", [
      {method: "GET", path: "/1/data/todo/t1"},
      {method: "DELETE", path: "/1/data/todo/t1"},
      {method: "GET", path: "/1/data/todo/t1"}]);
    const results = Array.isArray(body) ? body : body.responses;
    out.push("batch " + status + (Array.isArray(body) ? " list" : " envelope") + " " +
      results.map((x) => x.status === undefined ? "object " + x.title : x.status).join(","));
    [status] = await call("DELETE", "/1/data/todo/t1");
    out.push("delete again " + status);
  } catch (e) { out.push("error " + e); }
  await fetch("/report", {method: "POST", body: out.join("; ")});
})();
</script>`

// A frontend's whole flow in a real browser, from a page of another
// origin the default CORS allows (a local one), in both profiles.
func TestInChromiumAFrontendOnAnotherOriginSignsInWritesReadsAndBatches(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Chromium")
	}
	chromium := chromiumPath(t)
	for profile, want := range map[string]string{
		spec.Doc:          "login 200; create 200; read 200 write tests; update 200; batch 200 list object write more tests,200,404; delete again 404",
		spec.SpaceDog2016: "login 200; create 201; read 200 write tests; update 200; batch 200 envelope 200,200,404; delete again 404",
	} {
		t.Run(profile, func(t *testing.T) {
			m := newMock(t, mockserver.Config{Profile: profile, Users: map[string]string{"fred": "secret"}, AllowedHosts: []string{}})
			app, reports := appServer(t, appPage, m.url)
			stop := startChromium(t, chromium, app) // another origin than the mock's 127.0.0.1
			defer stop()
			if got := waitReport(t, reports); got != want {
				t.Errorf("the app's flow:\n got %s\nwant %s", got, want)
			}
		})
	}
}

// retryPage is a frontend's checkout on another origin: it sends the cart
// as a batch, with the test's own X-Test-Id, and retries once on a 503,
// as its code would on any 5xx; it reports what it met.
const retryPage = `<!doctype html><script>
(async () => {
  const out = [];
  try {
    const cart = [{method: "POST", path: "/1/data/order?id=o1", content: {total: 12}}, {method: "DELETE", path: "/1/data/cart/c1"}];
    const send = () => fetch("MOCK/1/batch?stopOnError=true", {method: "POST",
      headers: {"Content-Type": "application/json", "X-Test-Id": "checkout-1"}, body: JSON.stringify(cart)});
    let r = await send();
    out.push("first " + r.status);
    if (r.status >= 500) {
      await new Promise((ok) => setTimeout(ok, 50));
      r = await send();
      out.push("retry " + r.status + " " + (await r.json()).map((x) => x.status).join(","));
    }
  } catch (e) { out.push("error " + e); }
  await fetch("/report", {method: "POST", body: out.join("; ")});
})();
</script>`

// A frontend's end-to-end test, as a team writes it against the mock: it
// aims a "fail once" rule at its own requests (its X-Test-Id), runs the
// app in a real browser, and asserts through the journal what the app
// sent: the batch twice, the first answered by the rule with its items
// unrun, the retry run whole; another test's requests untouched.
func TestInChromiumAFrontendRetriesAFailedBatchAndTheJournalSaysSo(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Chromium")
	}
	chromium := chromiumPath(t)
	m := newMock(t, mockserver.Config{AllowedHosts: []string{}})
	m.do("POST", "/1/data/cart?id=c1", obj{"items": []any{"thunder"}})
	rule := addFault(t, m, obj{"method": "POST", "path": "/1/batch", "status": 503, "times": 1, "headers": obj{"X-Test-Id": "checkout-1"}})[0]
	app, reports := appServer(t, retryPage, m.url)
	if r := m.batch("", subreq.Get("/1/data/cart/c1")); r.status != 200 { // another test's batch, meanwhile
		t.Fatalf("another test's batch: %d %s", r.status, r.body)
	}
	stop := startChromium(t, chromium, app)
	defer stop()
	if got, want := waitReport(t, reports), "first 503; retry 200 200,200"; got != want {
		t.Fatalf("the app met %q, want %q", got, want)
	}

	var batches []mockserver.Entry
	decode(t, m.do("GET", "/_mock/requests?method=POST&path=/1/batch&text=order", nil).body, &batches)
	if len(batches) != 2 {
		t.Fatalf("the journal holds %d of the app's batches, want 2: %+v", len(batches), batches)
	}
	retry, first := batches[0], batches[1]
	if first.Status != 503 || !first.Fault || first.FaultRule != rule.ID || len(first.SubRequests) != 2 ||
		first.SubRequests[0].NotRun == "" || first.SubRequests[1].NotRun == "" {
		t.Errorf("the first batch: %+v", first)
	}
	if retry.Status != 200 || retry.Fault || len(retry.SubRequests) != 2 || retry.SubRequests[0].Status != 200 || retry.SubRequests[1].Status != 200 {
		t.Errorf("the retry: %+v", retry)
	}
	for q, want := range map[string]int{
		"method=POST&path=/1/data/order":            2, // sent twice
		"method=POST&path=/1/data/order&status=2xx": 1, // run once
		"method=DELETE&path=/1/data/cart/c1":        2,
		"path=/1/data/cart/c1&status=2xx":           2, // the other test's read, and the retry's delete
	} {
		var count struct{ Count int }
		decode(t, m.do("GET", "/_mock/requests/count?"+q, nil).body, &count)
		if count.Count != want {
			t.Errorf("count?%s = %d, want %d", q, count.Count, want)
		}
	}
	if f := faultState(t, m, rule.ID); f.Matched != 2 || f.Applied != 1 {
		t.Errorf("the rule matched %d and applied %d times, want 2 and 1: the other test's batch was not its", f.Matched, f.Applied)
	}
	var entries []mockserver.Entry
	decode(t, m.do("GET", "/_mock/requests", nil).body, &entries)
	for _, e := range entries {
		if e.Refused != nil {
			t.Errorf("the app met a refusal: %+v", e.Refused)
		}
	}
}

// appServer serves a frontend's page, its MOCK standing for the mock's
// address, on another origin than the mock's 127.0.0.1: it returns the
// page's address at app.localhost and what the page reports, until the
// test ends.
func appServer(t *testing.T, page, mockURL string) (string, <-chan string) {
	t.Helper()
	reports := make(chan string, 1)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/report":
			reports <- readReport(t, r)
		case "/":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, strings.ReplaceAll(page, "MOCK", mockURL))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(app.Close)
	return "http://app.localhost:" + portOf(t, app) + "/", reports
}
