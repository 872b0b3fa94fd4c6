package conformance_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The backend is testdata/backend: a module of its own that requires the kit
// (by a replace directive) and calls Test from its test, as a Go backend's
// repository would. It runs with its own go.mod, by the go command.
const backend = "testdata/backend"

const kit = "github.com/spacedog-oss/batchkit"

// goIn runs the go command in the backend's module, with the environment
// given, and returns its combined output and whether it succeeded.
func goIn(t *testing.T, env []string, args ...string) (string, bool) {
	t.Helper()
	return goInDir(t, backend, env, args...)
}

// goInDir runs the go command in the module of dir.
func goInDir(t *testing.T, dir string, env []string, args ...string) (string, bool) {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command:", err)
	}
	cmd := exec.Command(gobin, args...)
	cmd.Dir = dir
	// Its own go.mod, read only: a go.work above or a -mod=mod from the
	// caller's GOFLAGS would hide a stale one.
	cmd.Env = append(os.Environ(), append([]string{"GOWORK=off", "GOFLAGS=-mod=readonly"}, env...)...)
	out, err := cmd.CombinedOutput()
	if _, exited := err.(*exec.ExitError); err != nil && !exited {
		t.Fatalf("go %s: %v", strings.Join(args, " "), err)
	}
	return string(out), err == nil
}

// results reads the run's results.json: its verdict and its failed rules.
func results(t *testing.T, dir string) (conforms bool, failed []string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatalf("no results.json from the run: %v", err)
	}
	var r struct {
		Conforms bool `json:"conforms"`
		Rules    []struct {
			ID      string `json:"id"`
			Outcome string `json:"outcome"`
		} `json:"rules"`
	}
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatalf("results.json: %v", err)
	}
	for _, rule := range r.Rules {
		if rule.Outcome == "fail" {
			failed = append(failed, rule.ID)
		}
	}
	return r.Conforms, failed
}

func TestABackendsTestPassesTheMockAsAHandler(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs another module's test")
	}
	reports := t.TempDir()
	out, ok := goIn(t, []string{"BACKEND_REPORT_DIR=" + reports}, "test", "-count=1", "-run", "^TestTheBackendConforms$", ".")
	if !ok {
		t.Fatalf("the backend's test failed against the mock:\n%s", out)
	}
	if conforms, failed := results(t, reports); !conforms || len(failed) > 0 {
		t.Errorf("results.json: conforms %v, failed rules %v", conforms, failed)
	}
	for _, f := range []string{"conformance.md", "conformance.html", "junit.xml"} {
		if _, err := os.Stat(filepath.Join(reports, f)); err != nil {
			t.Errorf("no %s in the report folder: %v", f, err)
		}
	}
}

func TestABackendsTestFailsAHandlerThatBreaksORD1(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs another module's test")
	}
	reports := t.TempDir()
	out, ok := goIn(t, []string{"BACKEND_REPORT_DIR=" + reports, "BACKEND_EXPECT_FAILURE=1"},
		"test", "-count=1", "-run", "^TestASwappingBackendFails$", ".")
	if ok {
		t.Fatalf("the backend's test passed a handler that swaps results:\n%s", out)
	}
	if !strings.Contains(out, "ORD-1") {
		t.Errorf("the failing test's output does not name ORD-1:\n%s", out)
	}
	if conforms, failed := results(t, reports); conforms || !slices.Contains(failed, "ORD-1") {
		t.Errorf("results.json: conforms %v, failed rules %v; want ORD-1 failed", conforms, failed)
	}
}

func TestASecondRunInOneProcessFailsSayingWhy(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs another module's test")
	}
	out, ok := goIn(t, []string{"BACKEND_EXPECT_FAILURE=1"}, "test", "-count=1", "-run", "^TestASecondRunIsRefused$", ".")
	if ok || !strings.Contains(out, "--- FAIL: TestASecondRunIsRefused/second") || !strings.Contains(out, "once per process") {
		t.Errorf("a second Test in one process: want its subtest failed, saying the suites run once per process:\n%s", out)
	}
	if strings.Contains(out, "--- FAIL: TestASecondRunIsRefused/first") {
		t.Errorf("the first run failed too:\n%s", out)
	}
}

// A backend that imports the API gains in its go.mod only modules the kit
// itself requires, and none of the kit's CI tools (tools/ci/go.mod: oasdiff
// and its cobra, viper, cloud.google.com/go, ...) in its module graph.
func TestABackendsGoModGainsOnlyWhatTheAPINeeds(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command on another module")
	}
	if out, ok := goIn(t, nil, "mod", "tidy", "-diff"); !ok {
		t.Fatalf("the backend's go.mod is not tidy:\n%s", out)
	}
	own := requirements(t, filepath.Join(backend, "go.mod"))
	kits := requirements(t, "../go.mod")
	for _, m := range []string{kit, "github.com/onsi/ginkgo/v2", "github.com/onsi/gomega", "github.com/getkin/kin-openapi"} {
		if !slices.Contains(own, m) {
			t.Errorf("the backend's go.mod lacks %s: %v", m, own)
		}
	}
	for _, m := range own {
		if m != kit && !slices.Contains(kits, m) {
			t.Errorf("the backend's go.mod requires %s, which the kit's go.mod does not", m)
		}
	}
	graph := moduleGraph(t, backend)
	// The tools' modules are those of tools/ci/go.mod that the kit's own
	// module graph lacks: oasdiff's.
	kitGraph := moduleGraph(t, "..")
	var toolsOnly []string
	for _, m := range requirements(t, "../tools/ci/go.mod") {
		if !slices.Contains(kitGraph, m) {
			toolsOnly = append(toolsOnly, m)
		}
	}
	for _, m := range append(toolsOnly, "github.com/oasdiff/oasdiff", "github.com/spf13/cobra", "github.com/spf13/viper", "cloud.google.com/go") {
		if slices.Contains(graph, m) {
			t.Errorf("the backend's module graph holds %s, one of the kit's CI tools' modules", m)
		}
	}
	if len(toolsOnly) < 10 {
		t.Errorf("tools/ci/go.mod has %d modules of its own; want its oasdiff requirements to check against", len(toolsOnly))
	}
}

// moduleGraph is the paths of go list -m all in the module of dir.
func moduleGraph(t *testing.T, dir string) []string {
	t.Helper()
	out, ok := goInDir(t, dir, nil, "list", "-m", "-f", "{{.Path}}", "all")
	if !ok {
		t.Fatalf("go list -m all in %s:\n%s", dir, out)
	}
	return strings.Fields(out)
}

// requirements are the module paths a go.mod file requires.
func requirements(t *testing.T, gomod string) []string {
	t.Helper()
	out, err := exec.Command("go", "mod", "edit", "-json", gomod).Output()
	if err != nil {
		t.Fatalf("go mod edit -json %s: %v", gomod, err)
	}
	var f struct{ Require []struct{ Path string } }
	if err := json.NewDecoder(bytes.NewReader(out)).Decode(&f); err != nil {
		t.Fatalf("%s: %v", gomod, err)
	}
	var paths []string
	for _, r := range f.Require {
		paths = append(paths, r.Path)
	}
	return paths
}
