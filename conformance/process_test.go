package conformance_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The tests of how Test runs the suites in a child process, through the
// backend's module: each runs the suites for ORD-1 alone, and counts the
// processes that served the backend's handler by BACKEND_SERVED.

// servedBy is the pids of the processes that served the handler, one a
// line of the file that BACKEND_SERVED names.
func servedBy(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return strings.Fields(string(data))
}

// go test -count=2 runs the test twice, and each run its suites: two
// child processes serve the handler, not one followed by a run that reads
// the first one's reports.
func TestEachIterationOfCountRunsTheSuites(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs another module's test")
	}
	reports, servedLog := t.TempDir(), filepath.Join(t.TempDir(), "served")
	out, ok := goIn(t, []string{"BACKEND_REPORT_DIR=" + reports, "BACKEND_SERVED=" + servedLog},
		"test", "-count=2", "-v", "-run", "^TestTheBackendKeepsORD1$", ".")
	if !ok {
		t.Fatalf("the backend's test failed:\n%s", out)
	}
	pids := servedBy(t, servedLog)
	if slices.Sort(pids); len(slices.Compact(pids)) != 2 {
		t.Errorf("go test -count=2 ran the suites in %d processes (%v), want 2:\n%s", len(pids), pids, out)
	}
	if n := strings.Count(out, "--- PASS: TestTheBackendKeepsORD1"); n != 2 {
		t.Errorf("the test passed %d times, want 2:\n%s", n, out)
	}
}

// A child whose test takes another path than its parent's runs no suites:
// the test fails, saying so, rather than pass on the reports of an
// earlier run in the same folder.
func TestAChildThatRunsNoSuitesFailsTheTest(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs another module's test")
	}
	reports := t.TempDir()
	// An earlier run that conforms leaves its reports in reports/doc.
	if out, ok := goIn(t, []string{"BACKEND_REPORT_DIR=" + reports}, "test", "-count=1", "-run", "^TestTheBackendKeepsORD1$", "."); !ok {
		t.Fatalf("the backend's test failed:\n%s", out)
	}
	out, ok := goIn(t, []string{"BACKEND_REPORT_DIR=" + reports, "BACKEND_EXPECT_FAILURE=1"},
		"test", "-count=1", "-run", "^TestAChildThatTakesAnotherPath$", ".")
	if ok {
		t.Fatalf("the test passed, its child having run no suites:\n%s", out)
	}
	if !strings.Contains(out, "ended without running the suites") {
		t.Errorf("the failure does not say the child ran no suites:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(reports, "doc", "results.json")); !os.IsNotExist(err) {
		t.Errorf("the earlier run's results.json is still in the folder (%v): a reader would take it for this run's", err)
	}
}

// go test -short runs the child in short mode too: a test that runs in
// short mode only runs its suites.
func TestShortModeReachesTheChild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs another module's test")
	}
	servedLog := filepath.Join(t.TempDir(), "served")
	out, ok := goIn(t, []string{"BACKEND_SERVED=" + servedLog}, "test", "-short", "-count=1", "-run", "^TestInShortModeOnly$", ".")
	if !ok {
		t.Fatalf("the test failed in short mode:\n%s", out)
	}
	if pids := servedBy(t, servedLog); len(pids) != 1 {
		t.Errorf("the handler was served by %d processes, want the child alone:\n%s", len(pids), out)
	}
}

// The child unsets the variable it was called by: the processes that its
// test starts are not children of Test.
func TestTheChildsEnvironmentIsNotInherited(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs another module's test")
	}
	out, ok := goIn(t, nil, "test", "-count=1", "-run", "^TestTheChildsOwnProcessesAreNoChildren$", ".")
	if !ok {
		t.Fatalf("the backend's test failed:\n%s", out)
	}
}

// A run longer than go test's deadline stops itself before it: its
// reports say what it did not run, and its lane of types is given back,
// rather than go test killing it with no report and its lease held.
func TestARunStopsBeforeGoTestsDeadline(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs another module's test")
	}
	reports, leases := t.TempDir(), filepath.Join(t.TempDir(), "leases")
	out, ok := goIn(t, []string{"BACKEND_REPORT_DIR=" + reports, "BACKEND_EXPECT_FAILURE=1", "BACKEND_LEASES=" + leases},
		"test", "-count=1", "-timeout=15s", "-run", "^TestASlowBackend$", ".")
	if ok {
		t.Fatalf("the backend's test passed a run that was not run whole:\n%s", out)
	}
	if strings.Contains(out, "test timed out") || !strings.Contains(out, "incomplete") {
		t.Errorf("the test's output does not give the incomplete verdict:\n%s", out)
	}
	if !strings.Contains(out, "go test's deadline") {
		t.Errorf("the test's output does not say the run was stopped at go test's deadline:\n%s", out)
	}
	dir := filepath.Join(reports, "doc")
	if conforms, _ := results(t, dir); conforms {
		t.Errorf("results.json says the run conforms")
	}
	if data, err := os.ReadFile(filepath.Join(dir, "results.json")); err != nil || !strings.Contains(string(data), "not run: the run's deadline passed") {
		t.Errorf("results.json does not say specs were not run, the run's deadline passed (%v)", err)
	}
	if log, err := os.ReadFile(filepath.Join(dir, "conformance.log")); err != nil || !strings.Contains(string(log), "go test's deadline leaves the run") {
		t.Errorf("the suites' log does not say go test's deadline shortened the run (%v):\n%s", err, log)
	}
	// Taken, then given back: the last request on the leases is the PUT
	// that frees the lane.
	if methods := servedBy(t, leases); len(methods) < 2 || methods[len(methods)-1] != "PUT" {
		t.Errorf("the requests on the leases, %v, do not end with the PUT that gives the lane back", methods)
	}
}

// Two calls of Test at once with one ReportDir: one runs, the other fails
// at once, naming the folder, rather than both writing over each other's
// reports.
func TestTwoRunsAtOnceCannotShareAReportFolder(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs another module's test")
	}
	reports := t.TempDir()
	out, ok := goIn(t, []string{"BACKEND_REPORT_DIR=" + reports, "BACKEND_EXPECT_FAILURE=1"},
		"test", "-count=1", "-v", "-run", "^TestTwoRunsAtOnceInOneFolder$", ".")
	if ok {
		t.Fatalf("two runs at once in one folder both passed:\n%s", out)
	}
	passed, failed := strings.Count(out, "--- PASS: TestTwoRunsAtOnceInOneFolder/"), strings.Count(out, "--- FAIL: TestTwoRunsAtOnceInOneFolder/")
	if passed != 1 || failed != 1 {
		t.Errorf("%d subtests passed and %d failed, want one of each:\n%s", passed, failed, out)
	}
	if !strings.Contains(out, "ReportDir "+filepath.Join(reports, "doc")+" is in use") {
		t.Errorf("the failure does not say the folder is in use:\n%s", out)
	}
	if conforms, _ := results(t, filepath.Join(reports, "doc")); !conforms {
		t.Errorf("the run that went on does not conform in its results.json")
	}
}
