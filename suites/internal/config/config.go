// Package config holds the settings of a conformance run, from flags and
// from the environment (SPACEDOG_TARGET for --target, ...; flags win).
package config

import (
	"flag"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/spacedog-oss/batchkit/internal/flagenv"
	"github.com/spacedog-oss/batchkit/spec"
)

// MinBatch is the largest batch some specs send: a target must take it.
const MinBatch = 8

// Config is one run's settings.
type Config struct {
	Target    string // base URL of the server under test; empty: an in-process mock
	Profile   string
	MaxBatch  int
	MaxBody   int64
	Username  string // the batch caller
	Password  string
	Username2 string // another user, for the header-override rule
	Password2 string
	Strict    bool // SHOULD rules fail the run too
	ReportDir string
	// Destructive lets the specs send a target DELETE /1/data, which
	// deletes every object of its backend in the doc profile, and of any
	// server that gets the spacedog-2016 profile's 501 wrong.
	Destructive bool

	// The bounds of the run, so that a target that hangs, trickles or
	// floods fails specs and never the run.
	RequestTimeout time.Duration // one exchange, from sending to the reply's last byte
	MaxReply       int64         // the most bytes of one reply the suites read
	RunTimeout     time.Duration // the whole run: the specs after it are reported not run
	// RequireAll fails a run in which a MUST rule of the profile was not
	// checked (for want of credentials, --destructive, ...).
	RequireAll bool

	// The generative mode (the specs labelled generative): seeded random
	// sequences compared with an in-process mock.
	GenSeed      uint64        // the first sequence's seed; 0: one from the clock
	GenSequences int           // sequences at most
	GenSteps     int           // steps per sequence
	GenBudget    time.Duration // no sequence starts past it

	// The concurrency mode (the specs labelled concurrency): concurrent
	// clients, their history checked for linearizability (CONC-1).
	ConcClients      int
	ConcOps          int           // requests at most
	ConcBudget       time.Duration // no request is sent past it
	ConcSeed         uint64        // the clients' draws; 0: one from the clock
	ConcCheckTimeout time.Duration // the check of every object's history

	// UsersEnforced says the target refuses a wrong password, as SpaceDog
	// does and the mock started with --users: the specs that send one run.
	UsersEnforced bool

	// BackendHosts names the target's backends beside its own host, for
	// the checks of isolation: a template holding {backend}, or a list of
	// hosts (package backends); "" on loopback: *.localhost names.
	BackendHosts string
}

// The defaults of the bounds. A healthy backend answers a batch of 10 in
// well under a second; 10 s is far beyond that and still lets a hung
// target cost a run at most MaxNoReply such waits.
const (
	DefaultRequestTimeout = 10 * time.Second
	DefaultMaxReply       = 64 << 20
	DefaultRunTimeout     = 20 * time.Minute
)

// EnvPrefix starts the variable of each flag.
const EnvPrefix = "SPACEDOG_"

// Register defines the flags on fs, with their defaults, writing into c.
func (c *Config) Register(fs *flag.FlagSet) {
	fs.StringVar(&c.Target, "target", "", "base `URL` of the server under test (default: a mock started in-process)")
	fs.StringVar(&c.Profile, "profile", spec.Doc, "wire `profile` of the target: "+strings.Join(spec.Profiles(), " or "))
	fs.IntVar(&c.MaxBatch, "max-batch", 10, "the target's batch size limit")
	fs.Int64Var(&c.MaxBody, "max-body", 1<<20, "the target's body size limit in `bytes`")
	fs.StringVar(&c.Username, "username", "", "Basic username of the batch caller")
	fs.StringVar(&c.Password, "password", "", "its password")
	fs.StringVar(&c.Username2, "username2", "", "a second user, for sub-request header overrides")
	fs.StringVar(&c.Password2, "password2", "", "its password")
	fs.BoolVar(&c.Strict, "strict", false, "fail on SHOULD rules too")
	fs.StringVar(&c.ReportDir, "report-dir", "", "`folder` for conformance.md, results.json and conformance.html")
	fs.DurationVar(&c.RequestTimeout, "request-timeout", DefaultRequestTimeout, "the longest one exchange may take, from sending to the reply's last byte")
	fs.Int64Var(&c.MaxReply, "max-reply", DefaultMaxReply, "the most `bytes` of one reply the suites read; a longer reply fails its spec")
	fs.DurationVar(&c.RunTimeout, "run-timeout", DefaultRunTimeout, "the longest the whole run may take; the specs left are reported as not run")
	fs.BoolVar(&c.RequireAll, "require-all", false, "fail the run when a MUST rule of the profile was not checked (for want of --username2, --destructive, ...)")
	fs.Uint64Var(&c.GenSeed, "gen-seed", 0, "generative mode: the first sequence's `seed` (default: from the clock; the report gives it)")
	fs.IntVar(&c.GenSequences, "gen-sequences", 40, "generative mode: sequences at most")
	fs.IntVar(&c.GenSteps, "gen-steps", 30, "generative mode: steps per sequence")
	fs.DurationVar(&c.GenBudget, "gen-budget", 5*time.Second, "generative mode: no sequence starts past this `duration`")
	fs.IntVar(&c.ConcClients, "conc-clients", 8, "concurrency mode: concurrent clients")
	fs.IntVar(&c.ConcOps, "conc-ops", 4000, "concurrency mode: requests sent at most, a batch counting one")
	fs.DurationVar(&c.ConcBudget, "conc-budget", 3*time.Second, "concurrency mode: no request is sent past this `duration`")
	fs.Uint64Var(&c.ConcSeed, "conc-seed", 0, "concurrency mode: the clients' `seed` (default: from the clock; the report gives it)")
	fs.DurationVar(&c.ConcCheckTimeout, "conc-check-timeout", time.Minute, "concurrency mode: the longest the linearizability check may take; past it, CONC-1 fails as not shown")
	fs.BoolVar(&c.UsersEnforced, "users-enforced", false, "the target refuses a wrong password (SpaceDog, or a mock started with --users): send one to GET /1/login")
	fs.StringVar(&c.BackendHosts, "backend-hosts", "", "the target's backends beside its own host, for the checks of isolation: a `template` holding {backend} ({backend}.staging.example.com), or a comma-separated list of hosts (default: {backend}.localhost on a loopback target, else none)")
	fs.BoolVar(&c.Destructive, "destructive", false, "send the --target DELETE /1/data, which may delete all of its backend's data (the in-process mock always gets it)")
}

// Complete applies the environment to the flags not given, then checks the
// whole. Call it after fs is parsed.
func (c *Config) Complete(fs *flag.FlagSet, getenv func(string) string) error {
	if err := flagenv.Apply(fs, EnvPrefix, getenv); err != nil {
		return err
	}
	return c.Check()
}

// Defaults is a run's settings when no flag is given.
func Defaults() Config {
	var c Config
	c.Register(flag.NewFlagSet("defaults", flag.ContinueOnError))
	return c
}

// Check reports the first setting a run cannot start with, by its flag.
func (c *Config) Check() error {
	if c.Target != "" {
		u, err := url.Parse(c.Target)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("--target %q is not an http(s) URL", c.Target)
		}
	}
	if !slices.Contains(spec.Profiles(), c.Profile) {
		return fmt.Errorf("--profile %q is not one of %s", c.Profile, strings.Join(spec.Profiles(), ", "))
	}
	if c.MaxBatch < MinBatch {
		return fmt.Errorf("--max-batch must be at least %d (the suites send batches of %d), not %d", MinBatch, MinBatch, c.MaxBatch)
	}
	if c.GenSequences < 0 || c.GenSteps < 1 || c.GenBudget < 0 {
		return fmt.Errorf("--gen-sequences must be at least 0, --gen-steps at least 1 and --gen-budget not negative")
	}
	if c.ConcClients < 2 || c.ConcOps < 1 || c.ConcBudget <= 0 || c.ConcCheckTimeout <= 0 {
		return fmt.Errorf("--conc-clients must be at least 2, --conc-ops at least 1, --conc-budget and --conc-check-timeout positive")
	}
	if c.MaxBody < 1 {
		return fmt.Errorf("--max-body must be at least 1, not %d", c.MaxBody)
	}
	if c.RequestTimeout <= 0 || c.RunTimeout <= 0 {
		return fmt.Errorf("--request-timeout and --run-timeout must be positive, not %s and %s", c.RequestTimeout, c.RunTimeout)
	}
	if c.MaxReply < 1 {
		return fmt.Errorf("--max-reply must be at least 1, not %d", c.MaxReply)
	}
	if (c.Username == "") != (c.Password == "") || (c.Username2 == "") != (c.Password2 == "") {
		return fmt.Errorf("a --username or --username2 goes with its --password")
	}
	return nil
}

// InProcess reports whether the run starts its own mock.
func (c *Config) InProcess() bool { return c.Target == "" }

// MayDeleteAll reports whether specs may send DELETE /1/data: to the
// run's own mock, or to a target whose data may all be lost.
func (c *Config) MayDeleteAll() bool { return c.InProcess() || c.Destructive }
