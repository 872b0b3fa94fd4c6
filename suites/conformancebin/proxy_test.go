package conformancebin

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/spacedog-oss/batchkit/mockserver"
	"github.com/spacedog-oss/batchkit/suites/internal/defect"
	"github.com/spacedog-oss/batchkit/suites/internal/harness"
)

// The suites run through the validating proxy (spacedog-mock --proxy) in
// front of a conforming backend: the proxy sees no violation. In front of
// a backend whose object reads break their schema inside batches, it
// records each with its index.
func TestTheSuitesThroughTheValidatingProxy(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the suites' binary and runs it")
	}
	dir := alone(t, harness.Binary(t))
	for _, tc := range []struct {
		name   string
		wrap   func(http.Handler) http.Handler
		broken bool
	}{
		{name: "a conforming backend"},
		{name: "a backend whose batched reads lose meta.version", wrap: defect.DropVersionInBatches, broken: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			backend, err := mockserver.New(mockserver.Config{})
			if err != nil {
				t.Fatal(err)
			}
			var h http.Handler = backend
			if tc.wrap != nil {
				h = tc.wrap(backend)
			}
			be := httptest.NewServer(h)
			defer be.Close()
			target, err := mockserver.ParseProxy(be.URL)
			if err != nil {
				t.Fatal(err)
			}
			proxy, err := mockserver.New(mockserver.Config{Proxy: target})
			if err != nil {
				t.Fatal(err)
			}
			front := httptest.NewServer(proxy)
			defer front.Close()
			env := []string{"HOME=" + dir, "PATH=" + dir} // no GITHUB_STEP_SUMMARY of the kit's own
			out, passed := harness.Run(t, "./spacedog-conformance", dir, env, "--target="+front.URL, "--ginkgo.no-color",
				"--username=fred", "--password=secret", "--username2=vince", "--password2=secret2")
			resp, verr := http.Get(front.URL + "/_mock/violations")
			if verr != nil {
				t.Fatal(verr)
			}
			var vs []mockserver.Violation
			derr := json.NewDecoder(resp.Body).Decode(&vs)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || derr != nil {
				t.Fatalf("GET /_mock/violations: %d, %v", resp.StatusCode, derr)
			}
			if !tc.broken {
				if !passed || len(vs) != 0 {
					t.Fatalf("suites passed: %v; violations %+v\n%s", passed, vs, harness.Tail(out))
				}
				return
			}
			found := false
			for _, v := range vs {
				if v.Index >= 0 && v.Operation == "getObject" && v.Pointer != "" {
					found = true
				}
			}
			if !found || proxy.Violations() == 0 {
				t.Errorf("the proxy did not name a broken batch result: %+v", vs)
			}
		})
	}
}
