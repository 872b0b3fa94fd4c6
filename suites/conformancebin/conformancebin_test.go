// Package conformancebin proves that the suites' binary runs alone, without
// Go or sources.
//
// Built by `make conformance-bin` and copied into an empty folder, with
// only SPACEDOG_* variables in its environment, it passes against the mock,
// fails against a broken server, and writes its reports.
package conformancebin

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/spacedog-oss/batchkit/suites/internal/defect"
	"github.com/spacedog-oss/batchkit/suites/internal/harness"
)

func TestMain(m *testing.M) { harness.Main(m) }

func TestTheBinaryJudgesAServerOnItsOwn(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the suites' binary and runs it twice")
	}
	bin := harness.Binary(t)
	for _, tc := range []struct {
		name   string
		wrap   func(http.Handler) http.Handler
		passes bool
		says   string // a line of conformance.md
	}{
		{name: "the mock", passes: true, says: "| ORD-1 | MUST | pass |"},
		{name: "batch results out of order", wrap: defect.SwapFirstTwoResults(1), says: "| ORD-1 | MUST | FAIL |"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := serveMock(t, tc.wrap)

			dir := alone(t, bin)
			env := []string{"HOME=" + dir, "PATH=" + dir,
				"SPACEDOG_USERNAME=fred", "SPACEDOG_PASSWORD=secret",
				"SPACEDOG_USERNAME2=vince", "SPACEDOG_PASSWORD2=secret2"}
			out, passed := harness.Run(t, "./spacedog-conformance", dir, env, "--target="+srv.URL,
				"--ginkgo.no-color", "--ginkgo.junit-report=junit.xml", "--report-dir=reports")
			summary, err := os.ReadFile(filepath.Join(dir, "reports", "conformance.md"))
			if passed != tc.passes {
				t.Fatalf("run passed: %v, want %v\n%s\n%s", passed, tc.passes, summary, harness.Tail(out))
			}
			if err != nil || !bytes.Contains(summary, []byte("\n"+tc.says+" ")) {
				t.Errorf("reports/conformance.md does not say %q (%v):\n%s\n%s", tc.says, err, summary, harness.Tail(out))
			}
			junit, err := os.ReadFile(filepath.Join(dir, "junit.xml"))
			if err != nil || !bytes.Contains(junit, []byte("<testsuites")) {
				t.Errorf("no JUnit report in junit.xml (%v):\n%.300s", err, junit)
			}
		})
	}
}

// serveMock serves a mock behind wrap (none: the mock as it is) until the
// test ends.
func serveMock(t *testing.T, wrap func(http.Handler) http.Handler) *httptest.Server {
	t.Helper()
	return defect.ServeMock(t, "", wrap)
}

// serveMockOf serves a mock of the profile until the test ends.
func serveMockOf(t *testing.T, profile string) *httptest.Server {
	t.Helper()
	return defect.ServeMock(t, profile, nil)
}

// serveHandler serves h until the test ends.
func serveHandler(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// alone copies the binary into an empty folder and returns the folder.
func alone(t *testing.T, bin string) string {
	t.Helper()
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "spacedog-conformance"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}
