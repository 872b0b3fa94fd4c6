package conformance

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spacedog-oss/batchkit/suites/specs"
)

// childEnv carries, to the child process, which call it runs and what the
// parent decided of the run: where the reports go, and how to run the test
// again. The settings themselves are the child's own: it runs the same
// test code, which makes the same Config, and its own Handler.
const childEnv = "BATCHKIT_CONFORMANCE_CHILD"

// child is what childEnv holds.
type child struct {
	Test      string `json:"test"`  // the calling test's name, t.Name()
	Call      int    `json:"call"`  // which call of Test in that run of the test, from 1
	Token     string `json:"token"` // the run's, which the child leaves beside its reports
	ReportDir string `json:"reportDir"`
	Rerun     string `json:"rerun"` // the go test command that runs the test alone
	// StopBy, when go test's deadline comes before the run's own, is when
	// the run must stop, leaving the child time for its reports before
	// that deadline.
	StopBy time.Time `json:"stopBy,omitzero"`
}

// fromParent is what this process's parent asked of it, read once: the
// variable is unset as it is read, so that the processes that the test
// starts (a go test of another module that calls Test, say) do not take
// themselves for children of this one.
var fromParent = sync.OnceValue(func() parentSaid {
	env := os.Getenv(childEnv)
	os.Unsetenv(childEnv)
	c, ok, err := childOf(env)
	return parentSaid{c, ok, err}
})

type parentSaid struct {
	child
	isChild bool
	err     error
}

func childOf(env string) (child, bool, error) {
	var c child
	if env == "" {
		return c, false, nil
	}
	if err := json.Unmarshal([]byte(env), &c); err != nil || c.Test == "" || c.Call < 1 || c.Token == "" || c.ReportDir == "" {
		return c, false, fmt.Errorf("%s=%q is not what a parent test sets", childEnv, env)
	}
	return c, true, nil
}

// calls counts the calls of Test in each run of a test, so that a child
// runs the one call its parent made, and no other, when a test makes
// several. A run is a *testing.T, not a name: go test -count=2 runs a test
// twice under one name, and each run's calls count from 1, as they do in
// the child, which runs the test once.
var calls = counter{n: map[*testing.T]int{}}

type counter struct {
	mu sync.Mutex
	n  map[*testing.T]int
}

func (c *counter) next(t *testing.T) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n[t] == 0 {
		t.Cleanup(func() {
			c.mu.Lock()
			defer c.mu.Unlock()
			delete(c.n, t)
		})
	}
	c.n[t]++
	return c.n[t]
}

// LogFile is the suites' full log, in the report folder.
const LogFile = "conformance.log"

// tokenFile is where the child leaves its run's token, beside the
// reports, once the suites have written them: the parent reads reports
// only beside its own run's token, so never an earlier run's, nor those of
// a process that writes into the same folder at the same time.
const tokenFile = ".conformance-run"

// reportFiles are what a run writes into its report folder.
var reportFiles = []string{"conformance.md", "results.json", "conformance.html", "junit.xml", "CONC-1-timeline.html", LogFile, tokenFile}

// margin is the time a child takes beyond the run's own deadline: its
// reports and its end.
const margin = 2 * time.Minute

// reportTime is the time a child whose whole run has bound leaves for its
// reports and its end: margin, or half of a shorter bound.
func reportTime(bound time.Duration) time.Duration { return min(margin, bound/2) }

// bounds are the child's time, past which its process is stopped, and,
// when go test's deadline (10 minutes by default) comes before the run's
// own, the time by which the run must stop itself, its child leaving time
// for its reports before go test's deadline.
func bounds(t *testing.T, runTimeout time.Duration) (bound time.Duration, stopBy time.Time) {
	bound = runTimeout + margin
	if d, ok := t.Deadline(); ok && time.Until(d)-10*time.Second < bound {
		bound = max(time.Until(d)-10*time.Second, time.Second)
		stopBy = time.Now().Add(bound - reportTime(bound))
	}
	return bound, stopBy
}

// clearReports deletes an earlier run's reports from dir: they must not
// stand for this run's.
func clearReports(dir string) error {
	for _, f := range reportFiles {
		if err := os.Remove(filepath.Join(dir, f)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// runChild is the parent's part: the child's run, waited for within the
// run's bound, then the verdict.
func runChild(t *testing.T, cfg Config, s specs.Settings, call int) {
	t.Helper()
	dir, temporary, err := reportFolder(cfg.ReportDir)
	if err != nil {
		t.Fatalf("conformance: %v", err)
	}
	release, err := folders.claim(dir, t.Name())
	if err != nil {
		t.Fatalf("conformance: %v", err)
	}
	defer release()
	if err := clearReports(dir); err != nil {
		t.Fatalf("conformance: clearing the report folder: %v", err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatalf("conformance: the test binary: %v", err)
	}
	bound, stopBy := bounds(t, s.RunTimeout)
	token := rand.Text()
	env, err := json.Marshal(child{Test: t.Name(), Call: call, Token: token, ReportDir: dir, Rerun: rerunCommand(t.Name()), StopBy: stopBy})
	if err != nil {
		t.Fatal(err)
	}
	log, err := os.Create(filepath.Join(dir, LogFile))
	if err != nil {
		t.Fatalf("conformance: %v", err)
	}
	defer log.Close()
	ctx, cancel := context.WithTimeout(context.Background(), bound+30*time.Second)
	defer cancel()
	args := []string{"-test.run=" + runPattern(t.Name()), "-test.timeout=" + bound.String(), "-ginkgo.no-color"}
	if testing.Short() {
		args = append(args, "-test.short") // the test's code may take another path in short mode
	}
	args = append(args, passedOn(os.Args[1:])...)
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Env = append(os.Environ(), childEnv+"="+string(env))
	cmd.Stdout, cmd.Stderr = log, log
	cmd.WaitDelay = 10 * time.Second
	runErr := cmd.Run()
	if err := log.Close(); err != nil {
		t.Errorf("conformance: the suites' log: %v", err)
	}
	if ctx.Err() != nil {
		runErr = fmt.Errorf("still running after %s: stopped", bound)
	}
	if failure, passed := verdict(dir, token, call, runErr); failure != "" {
		t.Errorf("conformance: %s", failure)
	} else {
		t.Logf("conformance: %s", passed)
	}
	if !stopBy.IsZero() && time.Now().After(stopBy) {
		t.Logf("conformance: the run was stopped before go test's deadline, %s into it, short of its RunTimeout (%s): "+
			"give go test a -timeout above RunTimeout and %s to run it whole", bound-reportTime(bound), s.RunTimeout, margin+10*time.Second)
	}
	if temporary && !t.Failed() {
		os.RemoveAll(dir)
	}
}

// verdict is the run's failure, or "" and the verdict when the child,
// which ended with runErr, ran the suites and they found that the target
// conforms: by the reports it left in dir, beside the run's token.
func verdict(dir, token string, call int, runErr error) (failure, passed string) {
	logPath := filepath.Join(dir, LogFile)
	left, err := os.ReadFile(filepath.Join(dir, tokenFile))
	switch {
	case err != nil && runErr == nil:
		return fmt.Sprintf("the test binary, run again for this test alone, ended without running the suites: there, the test's code took another path "+
			"and did not make this call of Test, its call %d (make the calls from the test's own code, the same in every process); the end of its log, %s:\n%s",
			call, logPath, tail(logPath, 30)), ""
	case err != nil:
		return fmt.Sprintf("the suites wrote no results (%v); the end of their log, %s:\n%s", runErr, logPath, tail(logPath, 30)), ""
	case string(left) != token:
		return fmt.Sprintf("the reports in %s are another run's, written there at the same time: give each run a ReportDir of its own", dir), ""
	}
	conforms, brief, err := specs.Brief(dir)
	switch {
	case err != nil:
		return fmt.Sprintf("the suites wrote no results (%v, %v); the end of their log, %s:\n%s", err, runErr, logPath, tail(logPath, 30)), ""
	case !conforms:
		return fmt.Sprintf("%s\nthe reports: %s (conformance.html, results.json, junit.xml beside it)\nthe suites' full log: %s",
			brief, filepath.Join(dir, "conformance.md"), logPath), ""
	case runErr != nil:
		return fmt.Sprintf("the target conforms, but the test process that ran the suites failed (%v); the end of its log, %s:\n%s", runErr, logPath, tail(logPath, 30)), ""
	}
	return "", brief
}

// leaveToken is the child's last word, once the suites have written their
// reports into dir: the token of the run.
func leaveToken(t *testing.T, dir, token string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, tokenFile), []byte(token), 0o644); err != nil {
		t.Errorf("conformance: %v", err)
	}
}

// folders are the report folders of the calls of Test running in this
// process: two runs at once in one folder would write over each other's
// reports, and each read the other's verdict.
var folders = inUse{by: map[string]string{}}

type inUse struct {
	mu sync.Mutex
	by map[string]string // the folder's test
}

// claim takes dir for test until release, unless another test has it.
func (u *inUse) claim(dir, test string) (release func(), err error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if other, ok := u.by[dir]; ok {
		return nil, fmt.Errorf("ReportDir %s is in use by another call of Test running now, in %s: give each call a folder of its own", dir, other)
	}
	u.by[dir] = test
	return func() {
		u.mu.Lock()
		defer u.mu.Unlock()
		delete(u.by, dir)
	}, nil
}

// reportFolder is where the child writes its reports and its log: the
// Config's folder, its rerun folder for a run narrowed from the command
// line, or a temporary one, kept when the run fails.
func reportFolder(dir string) (string, bool, error) {
	if dir == "" {
		d, err := os.MkdirTemp("", "conformance-")
		return d, true, err
	}
	if narrowed() {
		dir = filepath.Join(dir, "rerun")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", false, err
	}
	return abs, false, os.MkdirAll(abs, 0o755)
}

// narrowed reports whether the command line picks some specs, or replays
// the generative mode: a rerun, whose reports must not replace the run's.
func narrowed() bool {
	picked := false
	flag.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "ginkgo.focus", "ginkgo.skip", "ginkgo.label-filter", "ginkgo.focus-file", "ginkgo.skip-file",
			"conformance.gen-seed", "conformance.gen-sequences", "conformance.conc-seed":
			picked = true
		}
	})
	return picked
}

// runPattern is the -test.run pattern of exactly the test named, a
// subtest's path included.
func runPattern(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return strings.Join(parts, "/")
}

// passedOn are the command line's Ginkgo and conformance flags, with
// their values, for the child.
func passedOn(args []string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(name, "ginkgo.") && !strings.HasPrefix(name, "conformance.") {
			continue
		}
		out = append(out, a)
		if f := flag.Lookup(name); f != nil && !hasValue && !isBool(f) && i+1 < len(args) {
			i++
			out = append(out, args[i])
		}
	}
	return out
}

func isBool(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// rerunCommand is the go test command that runs the test alone, from the
// root of the module of the test's package (go test runs a test in its
// package's folder).
func rerunCommand(test string) string {
	pkg := "."
	if wd, err := os.Getwd(); err == nil {
		if root, ok := moduleRoot(wd); ok {
			if rel, err := filepath.Rel(root, wd); err == nil && rel != "." {
				pkg = "./" + filepath.ToSlash(rel)
			}
		}
	}
	return "go test -run '" + strings.ReplaceAll(runPattern(test), "'", `'\''`) + "' " + pkg
}

func moduleRoot(dir string) (string, bool) {
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, true
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", false
		}
		dir = up
	}
}

// tail is the last n lines of a file.
func tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	return strings.Join(lines[max(len(lines)-n, 0):], "\n")
}
