package summary

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"html"
	"image/png"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/spacedog-oss/batchkit/internal/testtool"
	"github.com/spacedog-oss/batchkit/mockserver"
	"github.com/spacedog-oss/batchkit/suites/internal/defect"
	"github.com/spacedog-oss/batchkit/suites/internal/harness"
)

func TestMain(m *testing.M) { harness.Main(m) }

var screenshot = flag.String("screenshot", "", "also save the failing run's page, as Chromium renders it, to this PNG `file`")

// TestAFailingRunsReports runs the suites against a server that answers
// batches of 8 or more with their first two results swapped (ORD-1), then checks what a team
// gets: conformance.md, results.json valid against its schema, the step
// summary of GitHub Actions, and conformance.html as headless Chromium
// renders it, naming the broken rule and showing a replay that, run in a
// shell, gets the broken reply again.
func TestAFailingRunsReports(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the suites and runs them")
	}
	dir := t.TempDir()
	bin := harness.Binary(t)
	mock, err := mockserver.New(mockserver.Config{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(defect.SwapFirstTwoResults(8)(mock))
	defer srv.Close()

	reports, step := filepath.Join(dir, "reports"), filepath.Join(dir, "step_summary.md")
	if err := os.WriteFile(step, []byte("## Build\n\nbuilt\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Only these settings: none of the machine's SPACEDOG_* variables.
	env := append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "GITHUB_STEP_SUMMARY=" + step}, users...)
	out, passed := harness.Run(t, bin, "", env, "--ginkgo.no-color", "--target="+srv.URL, "--report-dir="+reports)
	if passed {
		t.Fatalf("the suites passed a server that swaps batch results:\n%s", harness.Tail(out))
	}

	md, err := os.ReadFile(filepath.Join(reports, MarkdownFile))
	if err != nil || !bytes.Contains(md, []byte("\n| ORD-1 | MUST | FAIL |")) {
		t.Fatalf("conformance.md does not fail ORD-1 (%v):\n%s\n%s", err, md, harness.Tail(out))
	}
	if s, err := os.ReadFile(step); err != nil || !bytes.HasPrefix(s, []byte("## Build\n\nbuilt\n")) || !bytes.HasSuffix(s, md) {
		t.Errorf("the step summary is not the earlier one followed by conformance.md (%v):\n%.3000s", err, s)
	}
	data, err := os.ReadFile(filepath.Join(reports, JSONFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := validate(compileSchema(t), data); err != nil {
		t.Fatalf("results.json breaks its schema: %v", err)
	}
	res, err := ReadJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if res.Conforms || res.Target != srv.URL || res.Requests == 0 || res.Kit.Version == "" {
		t.Errorf("results.json: conforms %v, target %q, %d requests, version %q", res.Conforms, res.Target, res.Requests, res.Kit.Version)
	}
	failed := failedSpec(t, res, "ORD-1", "in request order")
	for _, secret := range []string{"it's secret", "secret2"} {
		if bytes.Contains(data, []byte(secret)) || bytes.Contains(md, []byte(secret)) {
			t.Errorf("a report shows the password %q", secret)
		}
	}

	t.Run("the replay gets the broken reply again", func(t *testing.T) {
		replayed := replay(t, failed.Exchanges)
		if !regexp.MustCompile(`^HTTP/1.1 200`).Match(replayed) {
			t.Fatalf("the replay's last request got:\n%s", replayed)
		}
		_, body, _ := bytes.Cut(replayed, []byte("\r\n\r\n"))
		var results []map[string]any
		if err := json.Unmarshal(body, &results); err != nil || len(results) < 8 || results[0]["id"] != "n1" || results[1]["id"] != "n0" {
			t.Errorf("the replay does not get the first two results swapped again (%v): %s", err, body)
		}
	})

	t.Run("Chromium shows the verdict, the broken rule and its replay", func(t *testing.T) {
		page := filepath.Join(reports, HTMLFile)
		chromium := browser(t)
		dom := render(t, chromium, dir, "--dump-dom", "file://"+page)
		text := words(html.UnescapeString(regexp.MustCompile(`(?s)<style.*?</style>|<[^>]*>`).ReplaceAllString(string(dom), " ")))
		verdict := strings.Index(text, srv.URL+" does not conform")
		if verdict < 0 || verdict > strings.Index(text, "ORD · Order and effects") {
			t.Errorf("the page does not give the verdict first:\n%.2000s", text)
		}
		if !regexp.MustCompile(`<details class="rule fail" id="ORD-1" open(="")?>`).Match(dom) {
			t.Errorf("ORD-1 is not shown open, as a failure:\n%.3000s", dom)
		}
		for _, s := range []string{"Failed: ORD-1", "FAIL ORD-1 MUST", failed.Message[:min(len(failed.Message), 60)],
			failed.Exchanges[len(failed.Exchanges)-1].Curl, failed.Rerun.Ginkgo, failed.Rerun.Binary} {
			if !strings.Contains(text, words(s)) {
				t.Errorf("the rendered page does not show %q", s)
			}
		}

		shot := filepath.Join(t.TempDir(), "failing.png")
		render(t, chromium, dir, "--screenshot="+shot, "--window-size=1280,1600", "file://"+page)
		if !redBanner(t, shot) {
			t.Errorf("the screenshot %s does not start with the failing verdict's red banner", shot)
		}
		if *screenshot != "" {
			png, err := os.ReadFile(shot)
			if err == nil {
				err = os.WriteFile(*screenshot, png, 0o644)
			}
			if err != nil {
				t.Error(err)
			}
		}
	})
}

// words is s with every run of spaces made one: text as a reader sees it.
func words(s string) string { return strings.Join(strings.Fields(s), " ") }

// users are the suites' users, as a run's environment gives them.
var users = []string{"SPACEDOG_USERNAME=fred", "SPACEDOG_PASSWORD=it's secret", "SPACEDOG_USERNAME2=vince", "SPACEDOG_PASSWORD2=secret2"}

// failedSpec is the failure of the rule's spec whose text holds text.
func failedSpec(t *testing.T, res Results, id, text string) Failure {
	t.Helper()
	for _, r := range res.Rules {
		for _, s := range r.Specs {
			if r.ID == id && strings.Contains(s.Text, text) && s.Failure != nil && len(s.Failure.Exchanges) > 0 {
				return *s.Failure
			}
		}
	}
	t.Fatalf("results.json has no failed %s spec %q with exchanges", id, text)
	return Failure{}
}

// replay runs the exchanges' curl commands in order, as a reader would,
// and returns what the last one printed.
func replay(t *testing.T, exs []Exchange) []byte {
	t.Helper()
	testtool.Paths(t, "bash", "curl")
	var out []byte
	for _, ex := range exs {
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		cmd := exec.CommandContext(ctx, "bash", "-c", ex.Curl)
		cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, users...)
		var err error
		out, err = cmd.Output()
		cancel()
		if err != nil {
			t.Fatalf("%v\n%s\n%s", err, ex.Curl, out)
		}
	}
	return out
}

// browser finds headless Chromium: a skip without it, a failure in CI.
func browser(t *testing.T) string {
	t.Helper()
	return testtool.Path(t, testtool.Chromium...)
}

// render runs headless Chromium with its own profile folder and returns
// what it printed.
func render(t *testing.T, chromium, dir string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	profile, err := os.MkdirTemp(dir, "chromium")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, chromium, append([]string{"--headless", "--disable-gpu", "--no-sandbox",
		"--no-first-run", "--user-data-dir=" + profile, "--hide-scrollbars"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.Bytes())
	}
	return out
}

// redBanner reports whether the screenshot's top rows are mostly the
// failing verdict's red (#cf222e).
func redBanner(t *testing.T, file string) bool {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s is not a PNG: %v", file, err)
	}
	b := img.Bounds()
	red, all := 0, 0
	for y := b.Min.Y + 2; y < b.Min.Y+12 && y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			all++
			if near(r>>8, 0xcf) && near(g>>8, 0x22) && near(bl>>8, 0x2e) {
				red++
			}
		}
	}
	return all > 0 && red*10 > all*9
}

func near(a, b uint32) bool { return a+8 >= b && b+8 >= a }
