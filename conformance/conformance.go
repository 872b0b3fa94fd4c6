// Package conformance runs the conformance suites inside a Go backend's own
// go test, in the spirit of testing/fstest.
//
// It is one call from a test, with the server under test and the run's
// settings:
//
//	func TestBatchConformance(t *testing.T) {
//		conformance.Test(t, conformance.Config{
//			Handler:  myserver.New(), // or Target: "https://staging.example"
//			Username: "fred", Password: "secret",
//			Username2: "vince", Password2: "secret2",
//			ReportDir: "conformance-report",
//		})
//	}
//
// Test runs the same specs as go tool ginkgo ./suites and
// bin/spacedog-conformance, with the same rule labels, checks and reports:
// the test fails unless the target conforms, and its log says which rules
// failed and where the reports and the suites' full log are.
//
// Each call runs the suites in a child process of the test binary: the
// binary runs itself again for the calling test alone (-test.run), which
// calls Test again, and there, in a process of its own, Ginkgo runs its
// suite. So a test may call Test any number of times, for several
// profiles or targets, in subtests that run in parallel; the code around
// the call runs in the child too. Importing this package adds the specs to
// Ginkgo's global suite: a package whose tests run Ginkgo specs of their
// own calls Test from a test package of its own. Ginkgo's flags
// (-ginkgo.focus, ...) apply, after go test's -args, and so do
// -conformance.gen-seed and -conformance.gen-sequences, which replay the
// generative mode from a seed that a report gives.
package conformance

import (
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2"

	"github.com/spacedog-oss/batchkit/suites/specs"
)

// Config is a run's settings. The zero value of a field is its default,
// that of the suites' flag of the same name (Profile: --profile, ...).
// Its fields are held to the suites' settings by a test: each setting
// of the suites is a field here, of the same name and type.
type Config struct {
	// The server under test: one of Target, the base URL of a running
	// server, and Handler, which Test serves on a loopback port for the
	// run.
	Target  string
	Handler http.Handler

	// Profile is the target's wire profile: "doc" (the default) or
	// "spacedog-2016".
	Profile string

	// The batch caller, and a second user for the header-override rule,
	// by Basic credentials. Specs that need a user are not run without.
	Username, Password   string
	Username2, Password2 string
	// UsersEnforced says the target refuses a wrong password, as SpaceDog
	// does: the specs that send one run too.
	UsersEnforced bool

	// The target's limits: MaxBatch items (default 10, at least 8) and
	// MaxBody bytes (default 1 MiB) in one batch.
	MaxBatch int
	MaxBody  int64

	// Strict fails SHOULD rules too. RequireAll fails a run that left a
	// MUST rule of the profile unchecked. Destructive lets the specs send
	// DELETE /1/data, which deletes every object of the target's backend.
	Strict      bool
	RequireAll  bool
	Destructive bool
	// BackendHosts names the target's backends beside its own host:
	// --backend-hosts ("{backend}.staging.example.com", or a list).
	BackendHosts string

	// The run's bounds: one exchange (default 10 s), the bytes of one
	// reply read (default 64 MiB), the whole run (default 20 min).
	RequestTimeout time.Duration
	MaxReply       int64
	RunTimeout     time.Duration

	// The generative specs: the first sequence's seed (default from the
	// clock), sequences at most (default 40), steps per sequence (default
	// 30), no sequence started past GenBudget (default 5 s).
	GenSeed      uint64
	GenSequences int
	GenSteps     int
	GenBudget    time.Duration

	// The concurrency specs: clients (default 8), requests at most
	// (default 4000), no request sent past ConcBudget (default 3 s), the
	// clients' seed (default from the clock), the longest the check may
	// take (default 1 min).
	ConcClients      int
	ConcOps          int
	ConcBudget       time.Duration
	ConcSeed         uint64
	ConcCheckTimeout time.Duration

	// LabelFilter selects specs by their labels, in Ginkgo's syntax:
	// "ORD-1 || STOP-2", "must", "!generative", "concurrency". Empty:
	// every spec. A -ginkgo.label-filter given to go test narrows it
	// further.
	LabelFilter string

	// ReportDir, when set, receives conformance.md, results.json,
	// conformance.html, junit.xml and the suites' log, conformance.log. A
	// run narrowed from the command line (-ginkgo.focus, ...) writes into
	// its rerun folder instead, so that the full report stays.
	ReportDir string
}

// apiOnly are the fields of Config that are not settings of the suites.
var apiOnly = []string{"Handler", "LabelFilter"}

// The flags that replay the generative mode or the concurrency mode from a
// seed, as the reports' commands give them: they override GenSeed,
// GenSequences and ConcSeed.
var (
	replaySeed      = flag.Uint64("conformance.gen-seed", 0, "conformance.Test: the generative mode's first `seed`, over Config.GenSeed")
	replaySequences = flag.Int("conformance.gen-sequences", 0, "conformance.Test: the generative mode's sequences, over Config.GenSequences")
	replayConcSeed  = flag.Uint64("conformance.conc-seed", 0, "conformance.Test: the concurrency mode's `seed`, over Config.ConcSeed")
)

// Test runs the conformance suites against cfg's target, in a child
// process of the test binary, and fails t unless it conforms. Its log
// starts with the verdict and the rules that failed, and names the
// reports and the suites' full log.
func Test(t *testing.T, cfg Config) {
	t.Helper()
	s, err := settings(cfg)
	if err != nil {
		t.Fatalf("conformance: %v", err)
	}
	call := calls.next(t)
	if p := fromParent(); p.err != nil {
		t.Fatalf("conformance: %v", p.err)
	} else if p.isChild {
		if p.Test == t.Name() && p.Call == call {
			runHere(t, cfg, s, p.child)
		}
		return // in the child of another call: that call's own child runs it
	}
	runChild(t, cfg, s, call)
}

// runHere is the child's part: the suites, in this process.
func runHere(t *testing.T, cfg Config, s specs.Settings, c child) {
	t.Helper()
	if cfg.Handler != nil {
		srv := httptest.NewServer(cfg.Handler) // on 127.0.0.1, a free port
		t.Cleanup(srv.Close)
		s.Target = srv.URL
	}
	s.ReportDir = c.ReportDir
	if !c.StopBy.IsZero() && time.Until(c.StopBy) < s.RunTimeout {
		// The suites stop by then themselves: the specs not run are
		// reported so, and the lane of types is given back.
		s.RunTimeout = max(time.Until(c.StopBy), time.Millisecond)
		fmt.Printf("conformance: go test's deadline leaves the run %s: the specs not run by then are reported not run\n", s.RunTimeout.Round(time.Millisecond))
	}
	if *replaySeed != 0 {
		s.GenSeed = *replaySeed
	}
	if *replayConcSeed != 0 {
		s.ConcSeed = *replayConcSeed
	}
	if *replaySequences != 0 {
		s.GenSequences = *replaySequences
	}
	sc, rc := ginkgo.GinkgoConfiguration()
	sc.LabelFilter = bothFilters(cfg.LabelFilter, sc.LabelFilter)
	rc.JUnitReport = filepath.Join(c.ReportDir, "junit.xml")
	specs.Run(t, s, sc, rc, specs.Invocation{GoTest: c.Rerun, Ephemeral: cfg.Handler != nil})
	leaveToken(t, c.ReportDir, c.Token)
}

// bothFilters selects the specs that both label filters select.
func bothFilters(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return "(" + a + ") && (" + b + ")"
}

// settings are the suites' settings for cfg: each field of the same name
// as a setting, unless zero, over the flags' defaults; checked. A
// Handler's target is set when it is served.
func settings(cfg Config) (specs.Settings, error) {
	switch {
	case cfg.Target == "" && cfg.Handler == nil:
		return specs.Settings{}, errors.New("Config needs a Target or a Handler")
	case cfg.Target != "" && cfg.Handler != nil:
		return specs.Settings{}, errors.New("Config has both a Target and a Handler: give one")
	}
	s := over(specs.Defaults(), cfg)
	if err := s.Check(); err != nil {
		// The suites name a bad setting by its flag: --max-batch is MaxBatch.
		return specs.Settings{}, fmt.Errorf("%w (the Config field of that flag)", err)
	}
	return s, nil
}

// over sets each setting of s that cfg has a field of the same name for,
// unless that field is zero.
func over(s specs.Settings, cfg Config) specs.Settings {
	from, to := reflect.ValueOf(cfg), reflect.ValueOf(&s).Elem()
	for i := range from.NumField() {
		name := from.Type().Field(i).Name
		if f, dst := from.Field(i), to.FieldByName(name); !f.IsZero() && dst.IsValid() {
			dst.Set(f)
		}
	}
	return s
}
