package conformancebin

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/spacedog-oss/batchkit/internal/flagenv"
	"github.com/spacedog-oss/batchkit/suites/internal/harness"
)

// Each setting of the suites is an input that reaches them as its
// variable: the step runs a stand-in for the binary that prints the
// SPACEDOG_ variables it gets, every input set to a value of its own. The
// settings are the binary's, from its --help: one added to the suites
// without its input fails here.
func TestEachSettingInputReachesTheSuites(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the suites' binary")
	}
	dir := t.TempDir()
	stub := filepath.Join(dir, "spacedog-conformance")
	if err := os.WriteFile(stub, []byte("#!/bin/sh\nenv | grep '^SPACEDOG_' | sort\nprintf '%s\\n' \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	env := []string{"INPUT_BINARY=" + stub}
	want := map[string]string{}
	for i, name := range settingsOf(t, harness.Binary(t)) {
		value := fmt.Sprintf("value-%d of %s", i, name)
		if name == "report-dir" { // also a folder the step makes
			value = filepath.Join(dir, "reports")
		}
		env = append(env, "INPUT_"+strings.ToUpper(strings.ReplaceAll(name, "-", "_"))+"="+value)
		want[name] = value
	}
	out, passed := runAction(t, dir, env...)
	if !passed {
		t.Fatalf("the step failed:\n%s", out)
	}
	for name, value := range want {
		line := flagenv.Name("SPACEDOG_", name) + "=" + value
		if name == "report-dir" {
			line = "--report-dir=" + value // the step's own flag, beside its junit.xml
		}
		if !bytes.Contains(append([]byte("\n"), out...), []byte("\n"+line+"\n")) {
			t.Errorf("the suites do not get %s:\n%s", line, out)
		}
	}
}

// args is a list, one argument a line, so that an argument may hold
// spaces: here a label filter of two rules.
func TestTheActionTakesArgsOneALine(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the suites' binary and runs it")
	}
	srv := serveMock(t, nil)
	dir := t.TempDir()
	out, passed := runAction(t, dir, "INPUT_TARGET="+srv.URL, "INPUT_BINARY="+harness.Binary(t),
		"INPUT_ARGS=--ginkgo.label-filter=ORD-1 || STOP-2\n\n--ginkgo.seed=7\n")
	if !passed {
		t.Fatalf("the step failed:\n%s", harness.Tail(out))
	}
	ran := rulesRun(t, filepath.Join(dir, "report"))
	if !slices.Equal(ran, []string{"ORD-1", "STOP-2"}) {
		t.Errorf("the run checked %v, want ORD-1 and STOP-2 alone", ran)
	}
}

// rulesRun are the rules a run's results.json shows checked.
func rulesRun(t *testing.T, dir string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Rules []struct{ ID, Outcome string }
		Seed  int64
	}
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, rule := range r.Rules {
		if rule.Outcome != "skipped" {
			ids = append(ids, rule.ID)
		}
	}
	return ids
}

// Two jobs of a matrix, one per profile, in one job of the workflow: each
// passes, and each names its artifact otherwise (upload-artifact@v4 takes
// a name once per workflow run); an artifact-name input is taken as it is.
func TestEachJobOfAMatrixNamesItsOwnArtifact(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the suites' binary and runs it twice")
	}
	bin := harness.Binary(t)
	names := map[string]string{}
	for _, profile := range []string{"doc", "spacedog-2016"} {
		srv := serveMockOf(t, profile)
		dir := t.TempDir()
		out, passed := runAction(t, dir, "GITHUB_JOB=conformance", "INPUT_TARGET="+srv.URL, "INPUT_PROFILE="+profile,
			"INPUT_BINARY="+bin, "INPUT_ARGS=--ginkgo.label-filter=ORD-1")
		if !passed {
			t.Fatalf("%s: the step failed:\n%s", profile, harness.Tail(out))
		}
		names[profile] = output(t, dir, "artifact-name")
	}
	valid := regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
	for profile, name := range names {
		if !valid.MatchString(name) || !strings.Contains(name, "conformance") || !strings.Contains(name, profile) {
			t.Errorf("%s: the artifact name %q", profile, name)
		}
	}
	if names["doc"] == names["spacedog-2016"] {
		t.Errorf("both jobs name their artifact %q", names["doc"])
	}

	dir := t.TempDir()
	runAction(t, dir, "INPUT_TARGET=http://127.0.0.1:9", "INPUT_BINARY="+bin, "INPUT_ARTIFACT_NAME=staging-report")
	if got := output(t, dir, "artifact-name"); got != "staging-report" {
		t.Errorf("artifact-name: staging-report gives the artifact %q", got)
	}
}

// output reads one of the step's outputs from GITHUB_OUTPUT.
func output(t *testing.T, dir, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "outputs"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, name+"="); ok {
			return v
		}
	}
	t.Fatalf("no output %s in %q", name, data)
	return ""
}

// The README's uses: spacedog-oss/batchkit@v1 takes the newest release
// v1.X.Y, @v1.2 the newest v1.2.Y, and @v1.2.0 that release: each is
// downloaded from the repository's releases (a fake GitHub here), checked
// against its SHA256SUMS, and run.
func TestTheActionDownloadsTheReleaseItsRefNames(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the suites' binary and runs it")
	}
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		t.Skip("the action's archives are for Linux and macOS runners")
	}
	gh := fakeGitHub(t, harness.Binary(t), "v2.0.0", "v1.11.0-rc.1", "v1.10.1", "v1.2.3", "v1.2.0", "v1.9.9")
	target := serveMock(t, nil)
	for _, tc := range []struct{ ref, want string }{
		{"v1", "v1.10.1"},
		{"v1.2", "v1.2.3"},
		{"v1.2.0", "v1.2.0"},
	} {
		t.Run("@"+tc.ref, func(t *testing.T) {
			dir := t.TempDir()
			out, passed := runAction(t, dir, "INPUT_TARGET="+target.URL, "ACTION_REF="+tc.ref, "ACTION_REPOSITORY=spacedog-oss/batchkit",
				"GITHUB_API_URL="+gh.URL+"/api", "GITHUB_SERVER_URL="+gh.URL, "GITHUB_TOKEN=t0ken", "RUNNER_TEMP="+dir,
				"RUNNER_OS="+map[string]string{"linux": "Linux", "darwin": "macOS"}[runtime.GOOS],
				"RUNNER_ARCH="+map[string]string{"amd64": "X64", "arm64": "ARM64"}[runtime.GOARCH],
				"INPUT_ARGS=--ginkgo.label-filter=ORD-1")
			if !passed {
				t.Fatalf("the step failed:\n%s", harness.Tail(out))
			}
			archive := fmt.Sprintf("/spacedog-oss/batchkit/releases/download/%s/spacedog-batchkit_%s_%s_%s.tar.gz", tc.want, tc.want, runtime.GOOS, runtime.GOARCH)
			if got := gh.downloads(); !slices.Contains(got, archive) || len(got) != 2 {
				t.Errorf("downloaded %q, want %s and its SHA256SUMS", got, archive)
			}
			if bytes.Contains(out, []byte("t0ken")) {
				t.Errorf("the step printed the token:\n%s", harness.Tail(out))
			}
		})
	}
}

// github is a fake of GitHub's release API and downloads.
type github struct {
	*httptest.Server
	mu  sync.Mutex
	got []string
}

func (g *github) downloads() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := g.got
	g.got = nil
	return out
}

// fakeGitHub serves the releases of spacedog-oss/batchkit, each with the
// archive of bin for this machine's platform, and its SHA256SUMS beside
// another platform's line.
func fakeGitHub(t *testing.T, bin string, tags ...string) *github {
	t.Helper()
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	var releases []map[string]any
	for _, tag := range tags {
		var sums strings.Builder
		fmt.Fprintf(&sums, "%064d  spacedog-batchkit_%s_windows_amd64.zip\n", 0, tag)
		name := "spacedog-batchkit_" + tag + "_" + runtime.GOOS + "_" + runtime.GOARCH
		archive := tarGz(t, name+"/spacedog-conformance", data)
		files["/spacedog-oss/batchkit/releases/download/"+tag+"/"+name+".tar.gz"] = archive
		sum := sha256.Sum256(archive)
		fmt.Fprintf(&sums, "%s  %s.tar.gz\n", hex.EncodeToString(sum[:]), name)
		files["/spacedog-oss/batchkit/releases/download/"+tag+"/SHA256SUMS"] = []byte(sums.String())
		releases = append(releases, map[string]any{"tag_name": tag, "name": tag, "prerelease": strings.Contains(tag, "-")})
	}
	list, err := json.MarshalIndent(releases, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	g := &github{}
	g.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/repos/spacedog-oss/batchkit/releases" {
			if r.Header.Get("Authorization") != "Bearer t0ken" {
				http.Error(w, "the token is missing", http.StatusUnauthorized)
				return
			}
			w.Write(list)
			return
		}
		body, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		g.mu.Lock()
		g.got = append(g.got, r.URL.Path)
		g.mu.Unlock()
		w.Write(body)
	}))
	t.Cleanup(g.Close)
	return g
}

// tarGz is an archive of one executable file at name, in its folder.
func tarGz(t *testing.T, name string, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	gz, err := gzip.NewWriterLevel(&b, gzip.BestSpeed)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(gz)
	for _, h := range []*tar.Header{
		{Typeflag: tar.TypeDir, Name: filepath.Dir(name) + "/", Mode: 0o755},
		{Typeflag: tar.TypeReg, Name: name, Mode: 0o755, Size: int64(len(data))},
	} {
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// stubSuites is a stand-in for the suites' binary, in dir, that says it
// ran, prints its environment and passes.
func stubSuites(t *testing.T, dir string) string {
	t.Helper()
	stub := filepath.Join(dir, "spacedog-conformance")
	if err := os.WriteFile(stub, []byte("#!/bin/sh\necho --- suites\nenv\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return stub
}

// Jobs of a matrix whose entries differ in nothing the action's inputs
// say (a matrix over the runner's setup, say) still name their artifacts
// apart, by their index in the matrix and the matrix itself, which
// action.yml gives the step; a target's user info is never in a name.
func TestJobsOfAMatrixWithTheSameInputsNameTheirArtifactsApart(t *testing.T) {
	stub := stubSuites(t, t.TempDir())
	name := func(env ...string) string {
		t.Helper()
		dir := t.TempDir()
		out, passed := runAction(t, dir, append([]string{"GITHUB_JOB=conformance", "INPUT_BINARY=" + stub}, env...)...)
		if !passed {
			t.Fatalf("the step failed:\n%s", out)
		}
		return output(t, dir, "artifact-name")
	}
	target := "INPUT_TARGET=http://127.0.0.1:8080"
	first := name(target, "JOB_INDEX=0", `JOB_MATRIX={"go":"1.26","cache":true}`)
	second := name(target, "JOB_INDEX=1", `JOB_MATRIX={"go":"1.26","cache":false}`)
	if first == second {
		t.Errorf("two jobs of a matrix, with the same inputs, both name their artifact %q", first)
	}
	if again := name(target, "JOB_INDEX=0", `JOB_MATRIX={"go":"1.26","cache":true}`); again != first {
		t.Errorf("the same job names its artifact %q, then %q", first, again)
	}
	if other := name(target, "JOB_INDEX=0", `JOB_MATRIX={"go":"1.26","cache":false}`); other == first {
		t.Errorf("two matrix entries name their artifact %q", other)
	}

	dir := t.TempDir()
	out, _ := runAction(t, dir, "GITHUB_JOB=conformance", "INPUT_BINARY="+filepath.Join(dir, "fails"),
		"INPUT_TARGET=https://fred:pa55word@staging.example.com:8443/api")
	got := output(t, dir, "artifact-name")
	if strings.Contains(got, "fred") || strings.Contains(got, "pa55word") || !strings.Contains(got, "staging.example.com-8443") {
		t.Errorf("a target with user info names the artifact %q", got)
	}
	if bytes.Contains(out, []byte("pa55word")) {
		t.Errorf("the step printed the target's password:\n%s", out)
	}
}

// The token lists the releases, and nothing else sees it: neither the Go
// build of the suites at a branch, nor the suites (stand-ins for both
// print their environment).
func TestTheTokenReachesNeitherTheBuildNorTheSuites(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	// A go that prints its environment and builds, at -o, a binary that prints its own.
	fakeGo := "#!/bin/sh\necho '--- go'\nenv\nwhile [ $# -gt 0 ]; do [ \"$1\" = -o ] && out=$2; shift; done\n" +
		"mkdir -p \"$(dirname \"$out\")\" && printf '#!/bin/sh\\necho --- suites\\nenv\\n' >\"$out\" && chmod +x \"$out\"\n"
	if err := os.WriteFile(filepath.Join(bin, "go"), []byte(fakeGo), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, env := range [][]string{
		{"ACTION_PATH=" + dir, "ACTION_REF=main", "RUNNER_TEMP=" + dir, "PATH=" + bin + ":" + os.Getenv("PATH")},
		{"INPUT_BINARY=" + stubSuites(t, dir)},
	} {
		out, passed := runAction(t, dir, append(env, "INPUT_TARGET=http://127.0.0.1:9", "GITHUB_TOKEN=t0ken")...)
		if !passed || !bytes.Contains(out, []byte("--- suites\n")) {
			t.Fatalf("%q: the step failed, or ran nothing:\n%s", env, out)
		}
		if bytes.Contains(out, []byte("t0ken")) {
			t.Errorf("%q: the build or the suites saw the token:\n%s", env, out)
		}
	}
}
