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
