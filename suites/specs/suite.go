// Package specs holds the conformance suites of SpaceDog's /1/batch API:
// Ginkgo specs, registered in Ginkgo's global suite on import, and Run,
// which runs them. Its callers are the kit's own: the suites' test
// (go test ./suites, ginkgo, bin/spacedog-conformance) and the Go API,
// package conformance; a backend's test imports conformance, not this.
//
// Every spec carries the contract rule IDs it checks, and its level, as
// labels; every exchange is checked against the spec.
package specs

import (
	"cmp"
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
	. "github.com/onsi/gomega"

	"github.com/spacedog-oss/batchkit/internal/buildinfo"
	"github.com/spacedog-oss/batchkit/internal/flagenv"
	"github.com/spacedog-oss/batchkit/mockserver"
	"github.com/spacedog-oss/batchkit/spec"
	"github.com/spacedog-oss/batchkit/suites/internal/config"
	"github.com/spacedog-oss/batchkit/suites/internal/summary"
)

// Settings are a run's settings, for the kit's runners outside suites/
// (package conformance), which cannot name suites/internal/config.
type Settings = config.Config

// Defaults are the settings of a run given no flag.
func Defaults() Settings { return config.Defaults() }

// cfg is the run's settings, and how the run was started, set by Run
// before the specs run.
var (
	cfg config.Config
	how Invocation
)

// Invocation is how a run was started, which the commands its reports
// give follow.
type Invocation struct {
	// GoTest is the go test command that runs the calling test alone,
	// for a run of the Go API (package conformance); "" for the kit's
	// own runners, go test ./suites, ginkgo and the suites' binary.
	GoTest string
	// Ephemeral says the target lives as long as the run: a handler that
	// a test serves on a loopback port. The replays leave its address to
	// fill in, as they do the in-process mock's.
	Ephemeral bool
}

// ran makes a second Run in one process fail clearly: Ginkgo runs its
// global suite once per process.
var ran atomic.Bool

// Run runs the specs against c's target (an in-process mock when it has
// none) with Ginkgo's configuration sc and rc, and reports whether they
// passed; t fails when they did not. c must be complete (config.Check).
// Ginkgo allows one run per process: a second Run fails t.
func Run(t *testing.T, c config.Config, sc types.SuiteConfig, rc types.ReporterConfig, started Invocation) bool {
	t.Helper()
	if ran.Swap(true) {
		t.Fatal("conformance: the suites run once per process (Ginkgo's one RunSpecs): run each target in its own go test process")
	}
	cfg, how = c, started
	RegisterFailHandler(failOrNote)
	return RunSpecs(t, "SpaceDog /1/batch conformance", sc, rc)
}

// target is this process's client of the server under test.
var target *client

var _ = SynchronizedBeforeSuite(func() []byte {
	if !cfg.InProcess() {
		return []byte(cfg.Target)
	}
	// The run's own mock checks the passwords of the run's users, as
	// SpaceDog does: the specs that send a wrong one run too.
	inProcessUsers()
	mock, err := mockserver.New(mockserver.Config{MaxBatch: cfg.MaxBatch, MaxBody: cfg.MaxBody, Profile: cfg.Profile,
		Users: map[string]string{cfg.Username: cfg.Password, cfg.Username2: cfg.Password2}, SelfCheck: selfCheck.report})
	Expect(err).NotTo(HaveOccurred())
	srv := httptest.NewServer(mock)
	DeferCleanup(srv.Close) // after every process is done
	return []byte(srv.URL)
}, func(url []byte) {
	if cfg.InProcess() {
		inProcessUsers()
	}
	var err error
	target, err = newClient(string(url), cfg)
	Expect(err).NotTo(HaveOccurred())
	target.types = leaseTypes(target)
	target.prefix = target.types.prefix
})

// inProcessUsers gives the run's own mock two users, those given or
// defaults, whose passwords it checks: every spec that needs users runs.
func inProcessUsers() {
	cfg.Username, cfg.Password = cmp.Or(cfg.Username, "fred"), cmp.Or(cfg.Password, "secret")
	cfg.Username2, cfg.Password2 = cmp.Or(cfg.Username2, "vince"), cmp.Or(cfg.Password2, "secret2")
	cfg.UsersEnforced = true
}

var _ = SynchronizedAfterSuite(func() {
	AddReportEntry(summary.EntryRequests, fmt.Sprint(target.requestsSinceLast()), ReportEntryVisibilityNever)
}, func() {
	Expect(selfCheck.all()).To(BeEmpty(), "the in-process mock broke its own spec")
})

// selfCheck gathers the replies of the in-process mock that break its own
// spec: its server goroutines cannot fail a spec, the suite's end can.
var selfCheck mockErrors

type mockErrors struct {
	mu   sync.Mutex
	errs []string
}

func (m *mockErrors) report(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.errs = append(m.errs, err.Error())
}

func (m *mockErrors) all() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.errs
}

// Around each spec: what it sent, and on failure its last exchanges.
var _ = BeforeEach(func() {
	labels := CurrentSpecReport().Labels()
	for _, p := range spec.Profiles() {
		if p != cfg.Profile && slices.Contains(labels, p) {
			Skip("holds in the " + p + " profile only")
		}
	}
	// The target down, or the run's time up: the specs left are not
	// run, each saying why, rather than each failing the same way.
	if why := target.health.notRun(cfg.RunTimeout); why != "" {
		Skip(why)
	}
	target.markSpecStart()
})

var _ = AfterEach(func() {
	AddReportEntry(summary.EntryRequests, fmt.Sprint(target.requestsSinceLast()), ReportEntryVisibilityNever)
	if fs := target.findings.take(); len(fs) > 0 {
		AddReportEntry(summary.EntryFindings, summary.FindingsEntry(fs), ReportEntryVisibilityNever)
	}
	if r := CurrentSpecReport(); r.Failed() || notedShould(r) {
		mark := target.mark.Load()
		kept := target.checker.Since(mark)
		sent := int(target.checker.Count() - mark)
		AddReportEntry(summary.EntryExchanges, summary.NewExchanges(kept, sent, replayCredentials()), ReportEntryVisibilityFailureOrVerbose)
	}
})

// The reports: conformance.md, results.json and conformance.html with
// --report-dir, the Markdown summary in GitHub's step summary when there.
var _ = ReportAfterSuite("conformance summary", func(report Report) {
	sp, err := spec.Load()
	Expect(err).NotTo(HaveOccurred())
	rules := summary.Rules(sp.Rules(), report)
	results := summary.Build(reportedRun(), rules, report, buildinfo.Version())
	if cfg.ReportDir != "" {
		Expect(results.WriteReports(cfg.ReportDir)).To(Succeed())
	}
	if path := os.Getenv("GITHUB_STEP_SUMMARY"); path != "" {
		Expect(results.AppendStepSummary(path)).To(Succeed())
	}
	fmt.Fprintf(os.Stdout, "conformance: %d requests sent; verdict: %s\n", results.Requests, results.PlainVerdict())
	// What fails a rule without failing a spec fails the run here: a
	// reply that broke the document, specs not run, a rule not checked
	// under --require-all.
	if report.SuiteSucceeded && !results.Conforms {
		Fail("verdict: " + results.PlainVerdict() + problems(results))
	}
	// Every rule of the contract has a spec: a rule without one is never checked.
	Expect(summary.Uncovered(rules)).To(BeEmpty(), "contract rules that no spec carries")
})

// reportedRun is the run as the reports name it, with the settings that
// a rerun of one spec repeats: the flags set otherwise than by default,
// but for credentials, which a rerun reads from the environment, and the
// report folder, which a rerun must not overwrite; and how it was started.
func reportedRun() summary.Run {
	run := summary.Run{Target: cfg.Target, Profile: cfg.Profile, Strict: cfg.Strict, RequireAll: cfg.RequireAll,
		GoTest: how.GoTest, ReportDir: cfg.ReportDir}
	// Each setting as a flag: the run's values, through flags bound to a
	// copy of them, against the flags' defaults.
	var set config.Config
	fs := flag.NewFlagSet("settings", flag.ContinueOnError)
	set.Register(fs)
	set = cfg
	fs.VisitAll(func(f *flag.Flag) {
		switch f.Name {
		case "username", "password", "username2", "password2", "report-dir":
			return
		}
		if f.Value.String() != f.DefValue {
			run.Settings = append(run.Settings, "--"+f.Name+"="+f.Value.String())
		}
	})
	// The suites' binary, run by its name; else a test binary that go test
	// or ginkgo built from the kit's folder, for the kit's own test.
	switch name := os.Args[0]; {
	case how.GoTest != "":
	case strings.HasSuffix(name, ".test"):
		run.Kit = true
	default:
		run.Binary = name
	}
	return run
}

// replayCredentials is what replays read from the environment: the users'
// credentials, by the variables that set them, and the base URL of a
// target that lived as long as the run.
func replayCredentials() summary.Replay {
	r := summary.Replay{Users: []summary.Credential{
		{Username: cfg.Username, Password: cfg.Password,
			UsernameVar: flagenv.Name(config.EnvPrefix, "username"), PasswordVar: flagenv.Name(config.EnvPrefix, "password")},
		{Username: cfg.Username2, Password: cfg.Password2,
			UsernameVar: flagenv.Name(config.EnvPrefix, "username2"), PasswordVar: flagenv.Name(config.EnvPrefix, "password2")},
	}}
	if cfg.InProcess() || how.Ephemeral {
		r.Ephemeral = target.base
	}
	return r
}

// Brief reads the results.json in dir and says the verdict in a few
// lines, the failed rules first: what the Go API prints first.
func Brief(dir string) (conforms bool, brief string, err error) {
	f, err := os.Open(filepath.Join(dir, summary.JSONFile))
	if err != nil {
		return false, "", err
	}
	defer f.Close()
	r, err := summary.ReadJSON(f)
	if err != nil {
		return false, "", fmt.Errorf("%s: %w", f.Name(), err)
	}
	return r.Conforms, r.Brief(), nil
}

// problems lists the run's problems, one a line, after a newline.
func problems(r summary.Results) string {
	var b strings.Builder
	for _, p := range r.Problems {
		b.WriteString("\n" + p)
	}
	return b.String()
}
