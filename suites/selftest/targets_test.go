package selftest

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/spacedog-oss/batchkit/suites/internal/defect"
	"github.com/spacedog-oss/batchkit/suites/internal/harness"
	"github.com/spacedog-oss/batchkit/suites/internal/summary"
)

// maxNoReply is the suites' own (suites/specs/health.go): how many requests
// without a usable reply a run takes before it takes the target as down.
const maxNoReply = 5

// The bounds the broken targets are judged with: short, so that each run
// takes seconds. A run then waits out at most maxNoReply request timeouts,
// each at most 1 s; the other specs are not run, or fail as fast as the
// target answers. With the defaults (10 s, see docs/judging.md), the
// same count bounds a hung target's cost at maxNoReply × 10 s.
var targetBounds = []string{"--request-timeout=1s", "--max-reply=1048576"}

// brokenTarget is a target that misbehaves on the wire, and the words the
// report must use for what it did.
type brokenTarget struct {
	name string
	wrap defect.Middleware
	says string
}

func brokenTargets(elsewhere string) []brokenTarget {
	return []brokenTarget{
		{"a hang before headers", defect.HangBeforeHeaders(), "no reply within 1s"},
		{"a hang mid-body", defect.HangMidBody(), "a body that stopped mid-way"},
		{"a trickle", defect.Trickle(100 * time.Millisecond), "a body still arriving after 1s"},
		{"a huge body", defect.HugeBody(2 << 30), "a reply over 1 MiB (--max-reply)"},
		{"a cut connection", defect.CutConnection(), "connection closed after 3 of"},
		{"endless chunks", defect.EndlessChunks(), "a reply over 1 MiB (--max-reply): 200 chunked"},
		{"a redirect loop", defect.RedirectLoop(), "a redirect loop"},
		{"a redirect to another host", defect.RedirectAway(elsewhere), "redirected to another host, not followed"},
		{"an HTML page from a proxy", defect.HTMLPage(), `an HTML page, not the API's JSON: 502 titled "502 Bad Gateway"`},
	}
}

// counting counts the batch requests a server gets: those a broken
// target misbehaves on.
func counting(n *atomic.Int64) defect.Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost && defect.IsBatch(r.URL.Path) {
				n.Add(1)
			}
			next.ServeHTTP(w, r)
		})
	}
}

func TestABrokenTargetFailsSpecsNeverTheRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the suites once per broken target")
	}
	bin := harness.Binary(t)
	var strayed atomic.Int64
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { strayed.Add(1) }))
	// Cleanups, since they wait for the parallel subtests.
	t.Cleanup(elsewhere.Close)
	t.Cleanup(func() {
		if n := strayed.Load(); n > 0 {
			t.Errorf("the suites followed a redirect to another host %d times", n)
		}
	})
	for _, bt := range brokenTargets(elsewhere.URL) {
		t.Run(bt.name, func(t *testing.T) {
			t.Parallel() // the hangs spend their time waiting out timeouts
			var met atomic.Int64
			dir := t.TempDir()
			junit := filepath.Join(dir, "junit.xml")
			reports := filepath.Join(dir, "reports")
			v := variant{name: bt.name, wrap: defect.Chain(counting(&met), bt.wrap),
				args: append([]string{"--ginkgo.junit-report=" + junit}, targetBounds...)}
			start := time.Now()
			md, out, passed := run(t, bin, reports, v)
			t.Logf("%s: the run took %s, %d batches met the defect", bt.name, time.Since(start).Round(10*time.Millisecond), met.Load())
			if passed {
				t.Fatalf("the run passed against %s\n%s", bt.name, harness.Tail(out))
			}
			res := readResults(t, reports, md, out)
			if !strings.Contains(string(md), bt.says) {
				t.Errorf("conformance.md does not say %q\n%s\n%s", bt.says, md, harness.Tail(out))
			}
			if !failedSaying(res, bt.says) {
				t.Errorf("no spec failed saying %q", bt.says)
			}
			if res.Verdict == summary.VerdictConforms {
				t.Errorf("verdict %q", res.Verdict)
			}
			if res.NotRun > 0 && !regexp.MustCompile(`specs not run: (the target|POST /1/batch) is taken as down`).Match(md) {
				t.Errorf("%d specs not run, and the report does not say why:\n%s", res.NotRun, md)
			}
			// The bound, by events: the run waited on at most maxNoReply
			// exchanges before taking the target as down. A redirect is
			// one batch request for the loop's start and one more hop.
			if n := met.Load(); n > 2*maxNoReply {
				t.Errorf("%d batch requests met the defect, more than %d: the run did not stop trying", n, 2*maxNoReply)
			}
			for _, name := range []string{summary.HTMLFile, summary.JSONFile} {
				if _, err := os.Stat(filepath.Join(reports, name)); err != nil {
					t.Errorf("no %s: %v", name, err)
				}
			}
			if _, err := os.Stat(junit); err != nil {
				t.Errorf("no JUnit report: %v", err)
			}
		})
	}
}

// failedSaying reports whether a spec failed with a message that says it.
func failedSaying(res summary.Results, says string) bool {
	for _, r := range res.Rules {
		for _, s := range r.Specs {
			if s.Failure != nil && strings.Contains(s.Failure.Message, says) {
				return true
			}
		}
	}
	return false
}

// hangAfter lets n batches through, then hangs every other one; started
// is closed when the first hangs.
func hangAfter(n int64, started chan<- struct{}) defect.Middleware {
	var seen atomic.Int64
	hang := defect.HangBeforeHeaders()
	return func(next http.Handler) http.Handler {
		hung := hang(next)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodPost || !defect.IsBatch(r.URL.Path) {
				next.ServeHTTP(w, r)
				return
			}
			k := seen.Add(1)
			if k <= n {
				next.ServeHTTP(w, r)
				return
			}
			if k == n+1 {
				close(started)
			}
			hung.ServeHTTP(w, r)
		})
	}
}

func TestASignalLeavesTheReportOfTheSpecsRunSoFar(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the suites")
	}
	bin := harness.Binary(t)
	started := make(chan struct{})
	v := variant{name: "interrupted", wrap: hangAfter(40, started)}
	srv := v.serve(t)
	defer srv.Close()
	dir := t.TempDir()
	reports := filepath.Join(dir, "reports")
	junit := filepath.Join(dir, "junit.xml")
	// A request timeout far beyond the test's: the run ends by the signal.
	cmd := exec.Command(bin, "--ginkgo.no-color", "--target="+srv.URL, "--destructive",
		"--username=fred", "--password=secret", "--username2=vince", "--password2=secret2",
		"--report-dir="+reports, "--ginkgo.junit-report="+junit, "--request-timeout=10m",
		// The generative and concurrency specs send more than 40 batches:
		// run first, they would meet the hang before any spec had passed.
		"--ginkgo.label-filter=!generative && !concurrency")
	cmd.Env = harness.WithoutStepSummary(os.Environ())
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	<-started
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err == nil {
		t.Fatalf("an interrupted run exited 0\n%s", harness.Tail(out.Bytes()))
	}
	md, err := os.ReadFile(filepath.Join(reports, summary.MarkdownFile))
	if err != nil {
		t.Fatalf("no conformance.md after SIGTERM: %v\n%s", err, harness.Tail(out.Bytes()))
	}
	res := readResults(t, reports, md, out.Bytes())
	if res.Verdict != summary.VerdictIncomplete || res.NotRun == 0 {
		t.Errorf("verdict %q with %d specs not run, want incomplete\n%s", res.Verdict, res.NotRun, md)
	}
	passed := 0
	for _, r := range res.Rules {
		for _, s := range r.Specs {
			if s.Outcome == summary.Pass {
				passed++
			}
		}
	}
	if passed == 0 {
		t.Errorf("no spec passed: the specs run before the signal are not in the report\n%s", md)
	}
	t.Logf("after SIGTERM: %d specs passed, %d not run; %s", passed, res.NotRun, res.PlainVerdict())
	for _, name := range []string{summary.HTMLFile, junit} {
		if !filepath.IsAbs(name) {
			name = filepath.Join(reports, name)
		}
		if _, err := os.Stat(name); err != nil {
			t.Errorf("no %s after SIGTERM: %v", name, err)
		}
	}
}

// A target that never answers one kind of request, as a validating proxy
// that hangs on a body it cannot parse, fails the specs that send it and
// no others: its answers in between keep it from being taken as down, so
// the run is complete and its verdict names the rules those specs check.
func TestATargetThatHangsOnOneKindOfBodyFailsOnlyItsSpecs(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the suites")
	}
	t.Parallel() // mostly waiting out timeouts
	bin := harness.Binary(t)
	reports := filepath.Join(t.TempDir(), "reports")
	v := variant{name: "hangs on bodies not JSON", wrap: defect.HangOnBodiesNotJSON(), args: targetBounds}
	md, out, passed := run(t, bin, reports, v)
	if passed {
		t.Fatalf("the run passed\n%s", harness.Tail(out))
	}
	res := readResults(t, reports, md, out)
	if res.Verdict != summary.VerdictFails || res.NotRun != 0 {
		t.Errorf("verdict %q with %d specs not run, want %q and none: the target answers all else\n%s", res.Verdict, res.NotRun, summary.VerdictFails, md)
	}
	if !failedSaying(res, "no reply within 1s") {
		t.Errorf("no spec failed saying it got no reply\n%s", md)
	}
	var failed []string
	for _, r := range res.Rules {
		if r.Outcome == summary.Fail {
			failed = append(failed, r.ID)
		}
	}
	if !slices.Contains(failed, "ERR-1") || len(failed) > 3 {
		t.Errorf("rules failed: %v, want ERR-1 (a body that is not JSON) and few others", failed)
	}
}
