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
// the test fails unless the target conforms, and its log, and ReportDir
// when given, say which rules failed and how.
//
// The suites are Ginkgo specs in Ginkgo's global suite, which runs once per
// process: call Test once per test binary (go test runs each package's
// tests in its own process); a second call fails its test. Importing this
// package adds the specs to that global suite: a package whose tests run
// Ginkgo specs of their own calls Test from a test package of its own.
// Ginkgo's own flags (-ginkgo.v, -ginkgo.focus, ...) apply, after go
// test's -args.
package conformance

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2"

	"github.com/spacedog-oss/batchkit/suites/specs"
)

// Config is a run's settings. The zero value of a field is its default,
// that of the suites' flag of the same name (Profile: --profile, ...).
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
	// "ORD-1 || STOP-2", "must", "!generative", "concurrency". Empty: every spec.
	LabelFilter string

	// ReportDir, when set, receives conformance.md, results.json,
	// conformance.html and junit.xml, as --report-dir and
	// --ginkgo.junit-report do for the suites' binary.
	ReportDir string
}

// Test runs the conformance suites against cfg's target and fails t
// unless it conforms. Call it once per process.
func Test(t *testing.T, cfg Config) {
	t.Helper()
	s, err := settings(cfg)
	if err != nil {
		t.Fatalf("conformance: %v", err)
	}
	if cfg.Handler != nil {
		srv := httptest.NewServer(cfg.Handler) // on 127.0.0.1, a free port
		t.Cleanup(srv.Close)
		s.Target = srv.URL
	}
	sc, rc := ginkgo.GinkgoConfiguration()
	if cfg.LabelFilter != "" {
		sc.LabelFilter = cfg.LabelFilter
	}
	if cfg.ReportDir != "" {
		rc.JUnitReport = filepath.Join(cfg.ReportDir, "junit.xml")
	}
	specs.Run(t, s, sc, rc)
}

// settings are the suites' settings for cfg: its fields over the flags'
// defaults, checked. A Handler's target is set when it is served.
func settings(cfg Config) (specs.Settings, error) {
	switch {
	case cfg.Target == "" && cfg.Handler == nil:
		return specs.Settings{}, errors.New("Config needs a Target or a Handler")
	case cfg.Target != "" && cfg.Handler != nil:
		return specs.Settings{}, errors.New("Config has both a Target and a Handler: give one")
	}
	s := specs.Defaults()
	s.Target = cfg.Target
	set(&s.Profile, cfg.Profile)
	s.Username, s.Password = cfg.Username, cfg.Password
	s.Username2, s.Password2 = cfg.Username2, cfg.Password2
	s.UsersEnforced = cfg.UsersEnforced
	set(&s.MaxBatch, cfg.MaxBatch)
	set(&s.MaxBody, cfg.MaxBody)
	s.Strict, s.RequireAll, s.Destructive = cfg.Strict, cfg.RequireAll, cfg.Destructive
	s.BackendHosts = cfg.BackendHosts
	set(&s.RequestTimeout, cfg.RequestTimeout)
	set(&s.MaxReply, cfg.MaxReply)
	set(&s.RunTimeout, cfg.RunTimeout)
	set(&s.GenSeed, cfg.GenSeed)
	set(&s.GenSequences, cfg.GenSequences)
	set(&s.GenSteps, cfg.GenSteps)
	set(&s.GenBudget, cfg.GenBudget)
	set(&s.ConcClients, cfg.ConcClients)
	set(&s.ConcOps, cfg.ConcOps)
	set(&s.ConcBudget, cfg.ConcBudget)
	set(&s.ConcSeed, cfg.ConcSeed)
	set(&s.ConcCheckTimeout, cfg.ConcCheckTimeout)
	s.ReportDir = cfg.ReportDir
	if err := s.Check(); err != nil {
		// The suites name a bad setting by its flag: --max-batch is MaxBatch.
		return specs.Settings{}, fmt.Errorf("%w (the Config field of that flag)", err)
	}
	return s, nil
}

// set sets *dst to v unless v is zero, which keeps the default.
func set[T comparable](dst *T, v T) {
	var zero T
	if v != zero {
		*dst = v
	}
}
