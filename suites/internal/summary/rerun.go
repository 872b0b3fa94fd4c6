package summary

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/onsi/ginkgo/v2/types"
)

// Rerun holds the commands that rerun one spec, with the run's settings
// and seed, those that apply where the run was started: with the ginkgo
// CLI from the kit's folder, with the suites' binary, or the Go API's
// go test. One that does not apply is empty.
type Rerun struct {
	Ginkgo string `json:"ginkgo"`
	Binary string `json:"binary"`
	GoTest string `json:"goTest,omitempty"`
}

// Script is the rerun's commands that apply, each under a comment that
// says where it runs.
func (r Rerun) Script() string {
	var lines []string
	for _, c := range []struct{ where, cmd string }{
		{"# from the test's module (its report goes to the rerun folder)", r.GoTest},
		{"# from the kit's folder", r.Ginkgo},
		{"# with the suites' binary", r.Binary},
	} {
		if c.cmd != "" {
			lines = append(lines, c.where, c.cmd)
		}
	}
	return strings.Join(lines, "\n")
}

// RerunDir is where a rerun writes its reports: a folder of the run's
// report folder.
func RerunDir(reportDir string) string { return filepath.Join(reportDir, "rerun") }

func failure(run Run, seed int64, r Rule, s types.SpecReport) *Failure {
	f := &Failure{Message: strings.TrimSpace(s.Failure.Message), Location: s.FailureLocation().String(), Exchanges: []Exchange{}}
	if nm := entry(s, EntryShouldNotMet); nm != "" {
		f.Message = strings.TrimSpace(nm)
	}
	f.Timeline = entry(s, EntryTimeline)
	if seq, ok := sequenceOf(s); ok {
		f.Rerun = sequenceRerun(run, seq.Replay)
		return f
	}
	if ex, ok := exchangesOf(s); ok {
		f.Exchanges = append(f.Exchanges, ex.Kept...)
		f.Earlier = ex.Earlier
	}
	// The rule's label selects its specs; the text picks this one among them.
	filter := []string{"label-filter=" + r.ID}
	if len(r.Specs) > 1 {
		filter = append(filter, "focus="+regexp.QuoteMeta(s.FullText())+"$")
	}
	filter = append(filter, fmt.Sprintf("seed=%d", seed))
	f.Rerun = run.rerun(filter, strings.Fields(entry(s, EntryRerunFlags)))
	return f
}

// rerun writes the commands that run the suites again with Ginkgo's
// settings given (label-filter=ID, ...) and the suites' flags given
// (--gen-seed=N, ...) over the run's own.
func (run Run) rerun(ginkgoFlags, flags []string) Rerun {
	word := func(fl string) string {
		if name, value, ok := strings.Cut(fl, "="); ok {
			return name + "=" + shellWord(value)
		}
		return fl
	}
	var r Rerun
	if run.GoTest != "" {
		// The settings are in the test's code; only the replay's own pass.
		args := []string{run.GoTest, "-args"}
		for _, g := range ginkgoFlags {
			args = append(args, "-ginkgo."+word(g))
		}
		for _, fl := range flags {
			for _, mode := range []string{"gen-", "conc-"} {
				if name, ok := strings.CutPrefix(fl, "--"+mode); ok {
					args = append(args, "-conformance."+mode+word(name))
				}
			}
		}
		r.GoTest = strings.Join(args, " ")
		return r
	}
	// The spec's own settings, its seed say, win over the run's.
	var settings []string
	for _, st := range run.Settings {
		name, _, _ := strings.Cut(st, "=")
		if !slices.ContainsFunc(flags, func(fl string) bool { return strings.HasPrefix(fl, name+"=") }) {
			settings = append(settings, word(st))
		}
	}
	for _, fl := range flags {
		settings = append(settings, word(fl))
	}
	if run.ReportDir != "" {
		settings = append(settings, "--report-dir="+shellWord(RerunDir(run.ReportDir)))
	}
	var ginkgo, binary []string
	for _, g := range ginkgoFlags {
		ginkgo = append(ginkgo, "--"+word(g))
		binary = append(binary, "--ginkgo."+word(g))
	}
	bin := run.Binary
	if bin == "" {
		bin = "bin/spacedog-conformance" // make conformance-bin, from the kit's folder
	}
	r.Binary = strings.Join(slices.Concat([]string{shellWord(bin)}, binary, settings), " ")
	if run.Kit {
		g := slices.Concat([]string{"go tool ginkgo"}, ginkgo, []string{"./suites"})
		if len(settings) > 0 {
			g = append(append(g, "--"), settings...)
		}
		r.Ginkgo = strings.Join(g, " ")
	}
	return r
}

// sequenceRerun is the rerun of a generative finding: its replay, which
// the generative spec wrote for the binary or the Go API, and for the
// ginkgo CLI too when that applies.
func sequenceRerun(run Run, replay string) Rerun {
	if run.GoTest != "" {
		return Rerun{GoTest: replay}
	}
	r := Rerun{Binary: replay}
	if run.Kit {
		_, args, _ := strings.Cut(replay, " ")
		var flags, ginkgo []string
		for _, a := range strings.Fields(args) {
			if g, ok := strings.CutPrefix(a, "--ginkgo."); ok {
				ginkgo = append(ginkgo, "--"+g)
			} else {
				flags = append(flags, a)
			}
		}
		r.Ginkgo = strings.Join(slices.Concat([]string{"go tool ginkgo"}, ginkgo, []string{"./suites", "--"}, flags), " ")
	}
	return r
}

// Replay is the command that runs the specs of a label alone again (the
// generative mode, the concurrency mode), with flags (its seed) over the
// run's other settings.
func (run Run) Replay(label string, flags ...string) string {
	r := run.rerun([]string{"label-filter=" + label}, flags)
	if r.GoTest != "" {
		return r.GoTest
	}
	return r.Binary
}

// shellWord is s as one shell word: bare when it is safe so, else in
// single quotes.
func shellWord(s string) string {
	if s != "" && strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.,/:@%+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
