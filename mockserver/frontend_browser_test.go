package mockserver_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

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
			reports := make(chan string, 1)
			app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/report":
					reports <- readReport(t, r)
				case "/":
					w.Header().Set("Content-Type", "text/html; charset=utf-8")
					io.WriteString(w, strings.ReplaceAll(appPage, "MOCK", m.url))
				default:
					http.NotFound(w, r)
				}
			}))
			defer app.Close()
			port := portOf(t, app)
			stop := startChromium(t, chromium, "http://app.localhost:"+port+"/") // another origin than the mock's 127.0.0.1
			defer stop()
			if got := waitReport(t, reports); got != want {
				t.Errorf("the app's flow:\n got %s\nwant %s", got, want)
			}
		})
	}
}
