// The conformance suites of SpaceDog's /1/batch API. They run against an
// in-process mock by default, or a live backend:
//
//	go tool ginkgo ./suites -- --target=https://mybackend.example --username=u --password=p
//
// Every spec carries the contract rule IDs it checks, and its level, as
// labels; every exchange is checked against the spec.
package suites_test

import (
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
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

// cfg is the run's settings, from the flags after -- and the environment.
var cfg config.Config

func init() { cfg.Register(flag.CommandLine) }

// showVersion makes the suites' binary print the kit's version instead of
// running: spacedog-conformance --version.
var showVersion = flag.Bool("version", false, "print the kit's version and exit")

func TestMain(m *testing.M) {
	flag.Parse()
	if *showVersion {
		fmt.Println("spacedog-conformance", buildinfo.Version())
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestConformance(t *testing.T) {
	if err := cfg.Complete(flag.CommandLine, os.Getenv); err != nil {
		t.Fatal(err)
	}
	RegisterFailHandler(failOrNote)
	RunSpecs(t, "SpaceDog /1/batch conformance")
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
})

// inProcessUsers gives the run's own mock two users, those given or
// defaults, whose passwords it checks: every spec that needs users runs.
func inProcessUsers() {
	cfg.Username, cfg.Password = or(cfg.Username, "fred"), or(cfg.Password, "secret")
	cfg.Username2, cfg.Password2 = or(cfg.Username2, "vince"), or(cfg.Password2, "secret2")
	cfg.UsersEnforced = true
}

var _ = SynchronizedAfterSuite(func() {
	AddReportEntry(summary.EntryRequests, fmt.Sprint(target.requestsSinceLast()), ReportEntryVisibilityNever)
}, func() {
	Expect(selfCheck.all()).To(BeEmpty(), "the in-process mock broke its own spec")
})

// selfCheck gathers the in-process mock's violations of its own spec: its
// server goroutines cannot fail a spec, the suite's end can.
var selfCheck violations

type violations struct {
	mu   sync.Mutex
	errs []string
}

func (v *violations) report(err error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.errs = append(v.errs, err.Error())
}

func (v *violations) all() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.errs
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
// report folder, which a rerun must not overwrite.
func reportedRun() summary.Run {
	run := summary.Run{Target: cfg.Target, Profile: cfg.Profile, Strict: cfg.Strict, RequireAll: cfg.RequireAll}
	var defaults config.Config
	fs := flag.NewFlagSet("defaults", flag.ContinueOnError)
	defaults.Register(fs)
	fs.VisitAll(func(f *flag.Flag) {
		switch f.Name {
		case "username", "password", "username2", "password2", "report-dir":
			return
		}
		if set := flag.CommandLine.Lookup(f.Name); set != nil && set.Value.String() != f.DefValue {
			run.Settings = append(run.Settings, "--"+f.Name+"="+set.Value.String())
		}
	})
	// The suites' binary, run by its name; not a test binary that go test
	// or ginkgo built in a temporary folder.
	if name := os.Args[0]; !strings.HasSuffix(name, ".test") {
		run.Binary = name
	}
	return run
}

// replayCredentials are the users whose credentials replays read from the
// environment, by the variables that set them.
func replayCredentials() []summary.Credential {
	return []summary.Credential{
		{Username: cfg.Username, Password: cfg.Password,
			UsernameVar: flagenv.Name(config.EnvPrefix, "username"), PasswordVar: flagenv.Name(config.EnvPrefix, "password")},
		{Username: cfg.Username2, Password: cfg.Password2,
			UsernameVar: flagenv.Name(config.EnvPrefix, "username2"), PasswordVar: flagenv.Name(config.EnvPrefix, "password2")},
	}
}

// failOrNote is the suites' fail handler. A spec that checks SHOULD rules
// only is noted, not failed, outside --strict: it ends as skipped, and the
// summary reports the rule as not met.
func failOrNote(message string, callerSkip ...int) {
	skip := 1
	if len(callerSkip) > 0 {
		skip += callerSkip[0]
	}
	r := CurrentSpecReport()
	if !cfg.Strict && r.LeafNodeType == types.NodeTypeIt && levelOf(r.Labels()) == "should" {
		AddReportEntry(summary.EntryShouldNotMet, message)
		Skip("SHOULD rule not met (a failure with --strict): "+message, skip)
	}
	Fail(message, skip)
}

func notedShould(r SpecReport) bool {
	for _, e := range r.ReportEntries {
		if e.Name == summary.EntryShouldNotMet {
			return true
		}
	}
	return false
}

// problems lists the run's problems, one a line, after a newline.
func problems(r summary.Results) string {
	var b strings.Builder
	for _, p := range r.Problems {
		b.WriteString("\n" + p)
	}
	return b.String()
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
