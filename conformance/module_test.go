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

// One test function calls Test for both profiles, in parallel subtests:
// each run is a process of its own, and both pass the mock, each writing
// its reports and its log.
func TestABackendsTestRunsBothProfilesAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs another module's test")
	}
	reports := t.TempDir()
	out, ok := goIn(t, []string{"BACKEND_REPORT_DIR=" + reports}, "test", "-count=1", "-v", "-run", "^TestTheBackendConforms$", ".")
	if !ok {
		t.Fatalf("the backend's test failed against the mock:\n%s", out)
	}
	for _, profile := range []string{"doc", "spacedog-2016"} {
		dir := filepath.Join(reports, profile)
		if conforms, failed := results(t, dir); !conforms || len(failed) > 0 {
			t.Errorf("%s: results.json: conforms %v, failed rules %v", profile, conforms, failed)
		}
		if got := profileOf(t, dir); got != profile {
			t.Errorf("%s: results.json names the profile %q", profile, got)
		}
		for _, f := range []string{"conformance.md", "conformance.html", "junit.xml", "conformance.log"} {
			if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
				t.Errorf("%s: no %s in the report folder: %v", profile, f, err)
			}
		}
		if !strings.Contains(out, "--- PASS: TestTheBackendConforms/"+profile) || !strings.Contains(out, "conformance: conforms") {
			t.Errorf("%s: the test's log does not say it passed, with the verdict:\n%s", profile, out)
		}
	}
}

// A failing run says so first: its verdict and the rule it broke lead
// the test's output, which stays short (the suites' log is in the report
// folder); the rerun it gives runs the failure alone again, and writes
// into the rerun folder, never over the run's reports.
func TestABackendsTestFailsAHandlerThatBreaksORD1(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs another module's test")
	}
	reports := t.TempDir()
	env := []string{"BACKEND_REPORT_DIR=" + reports, "BACKEND_EXPECT_FAILURE=1"}
	out, ok := goIn(t, env, "test", "-count=1", "-run", "^TestASwappingBackendFails$", ".")
	if ok {
		t.Fatalf("the backend's test passed a handler that swaps results:\n%s", out)
	}
	lines := strings.Split(out, "\n")
	head := strings.Join(lines[:min(4, len(lines))], "\n")
	if !strings.Contains(head, "does not conform") || !strings.Contains(head, "ORD-1") {
		t.Errorf("the output's first lines do not give the verdict and ORD-1:\n%s", out)
	}
	if len(lines) > 40 {
		t.Errorf("the failing test prints %d lines; want the verdict, not the suites' log:\n%s", len(lines), out)
	}
	dir := filepath.Join(reports, "doc")
	for _, f := range []string{filepath.Join(dir, "conformance.md"), filepath.Join(dir, "conformance.log")} {
		if !strings.Contains(out, f) {
			t.Errorf("the output does not name %s:\n%s", f, out)
		}
	}
	if conforms, failed := results(t, dir); conforms || !slices.Contains(failed, "ORD-1") {
		t.Errorf("results.json: conforms %v, failed rules %v; want ORD-1 failed", conforms, failed)
	}

	_, rerun, found := strings.Cut(out, "rerun the first failure alone: ")
	rerun, _, _ = strings.Cut(rerun, "\n")
	if !found || !strings.HasPrefix(rerun, "go test -run '^TestASwappingBackendFails$' . -args -ginkgo.label-filter=ORD-1") {
		t.Fatalf("no go test command reruns the failure:\n%s", out)
	}
	full, err := os.ReadFile(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", "-c", strings.Replace(rerun, "go test", "go test -count=1", 1))
	cmd.Dir = backend
	cmd.Env = append(os.Environ(), append([]string{"GOWORK=off", "GOFLAGS=-mod=readonly"}, env...)...)
	again, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(again), "ORD-1") {
		t.Errorf("the rerun does not fail on ORD-1 again (%v):\n%s", err, again)
	}
	if after, err := os.ReadFile(filepath.Join(dir, "results.json")); err != nil || !bytes.Equal(after, full) {
		t.Errorf("the rerun changed the run's results.json (%v)", err)
	}
	if conforms, failed := results(t, filepath.Join(dir, "rerun")); conforms || !slices.Equal(failed, []string{"ORD-1"}) {
		t.Errorf("the rerun's results.json: conforms %v, failed rules %v; want ORD-1 alone", conforms, failed)
	}
}

// profileOf reads the profile of a run's results.json.
func profileOf(t *testing.T, dir string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r struct{ Profile string }
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	return r.Profile
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
