package selftest

import (
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spacedog-oss/batchkit/suites/internal/harness"
	"github.com/spacedog-oss/batchkit/suites/internal/summary"
)

// A run out of time, and a target that is not there, end at once: every
// spec left reported as not run, with one line that says why, and a
// complete report.
func TestARunThatCannotGoOnReportsTheSpecsLeftAsNotRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the suites")
	}
	bin := harness.Binary(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	nowhere := "http://" + l.Addr().String()
	l.Close() // a port that refuses connections
	for _, tc := range []struct {
		name string
		args []string
		says string
	}{
		{"out of time", []string{"--run-timeout=1ns"}, "specs not run: the run's deadline passed (--run-timeout=1ns)"},
		{"a target that is down", []string{"--target=" + nowhere}, "specs not run: the target is down: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reports := filepath.Join(t.TempDir(), "reports")
			srv := variant{}.serve(t)
			defer srv.Close()
			args := append([]string{"--ginkgo.no-color", "--target=" + srv.URL, "--report-dir=" + reports}, tc.args...)
			out, passed := harness.Run(t, bin, "", harness.WithoutStepSummary(os.Environ()), args...)
			if passed {
				t.Fatalf("the run passed\n%s", harness.Tail(out))
			}
			md := readReport(t, reports, out)
			res := readResults(t, reports, md, out)
			if res.Verdict != summary.VerdictIncomplete || res.NotRun == 0 {
				t.Errorf("verdict %q, %d specs not run; want incomplete", res.Verdict, res.NotRun)
			}
			if !strings.Contains(string(md), tc.says) {
				t.Errorf("conformance.md does not say %q:\n%s", tc.says, md)
			}
			// One line for the whole run, not one per spec.
			if n := strings.Count(string(out), strings.TrimPrefix(tc.says, "specs not run: ")); n > 2 {
				t.Errorf("the output says %q %d times", tc.says, n)
			}
		})
	}
}

// readReport reads a run's conformance.md.
func readReport(t *testing.T, reports string, out []byte) []byte {
	t.Helper()
	md, err := os.ReadFile(filepath.Join(reports, summary.MarkdownFile))
	if err != nil {
		t.Fatalf("no conformance.md: %v\n%s", err, harness.Tail(out))
	}
	return md
}

// A run whose time ends while a spec waits for a reply reports that spec
// as not run, not as failed: the run's end is not the target's doing.
func TestASpecCutOffByTheRunsEndIsNotRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the suites")
	}
	t.Parallel() // mostly waiting on its slow target
	bin := harness.Binary(t)
	slow := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(150 * time.Millisecond)
			next.ServeHTTP(w, r)
		})
	}
	srv := variant{wrap: slow}.serve(t)
	defer srv.Close()
	reports := filepath.Join(t.TempDir(), "reports")
	out, passed := harness.Run(t, bin, "", harness.WithoutStepSummary(os.Environ()),
		"--ginkgo.no-color", "--target="+srv.URL, "--report-dir="+reports, "--run-timeout=4s", "--ginkgo.label-filter=!generative && !concurrency")
	if passed {
		t.Fatalf("the run passed\n%s", harness.Tail(out))
	}
	md := readReport(t, reports, out)
	res := readResults(t, reports, md, out)
	if res.Verdict != summary.VerdictIncomplete || res.NotRun == 0 || res.Counts.Fail != 0 {
		t.Errorf("verdict %q, %d specs not run, %d FAIL; want incomplete and none failed\n%s", res.Verdict, res.NotRun, res.Counts.Fail, md)
	}
}
