package selftest

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spacedog-oss/batchkit/suites/internal/harness"
)

// How long the conforming variants are judged by the generative mode: 1 s
// each in make test; -selftest.gen-sequences=200 -selftest.gen-budget=10m
// for the long run docs/generative.md records.
var (
	genSequences = flag.Int("selftest.gen-sequences", 40, "generative mode: the sequences each conforming variant is judged by")
	genBudget    = flag.Duration("selftest.gen-budget", time.Second, "generative mode: the budget of each conforming variant's run")
)

// The generative mode alone, the hand-written specs left out, passes every
// conforming variant and fails every broken one, with a short budget; a
// failure shows a minimal sequence as a curl script.
func TestTheGenerativeModeAloneJudgesEachVariant(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the suites once per variant")
	}
	dir := t.TempDir()
	bin := harness.Binary(t)
	for _, v := range slices.Concat(conforming(), choosing(), broken()) {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel() // each variant is a server and a run of its own
			// A broken variant fails within the default count of sequences,
			// however busy the machine (a budget of time would make this a
			// timing assertion); a conforming one passes a shorter run,
			// which keeps the self-test short.
			v.args = append(slices.Clone(v.args), "--ginkgo.label-filter=generative", "--gen-seed=1")
			if len(v.breaks) == 0 {
				v.args = append(v.args, fmt.Sprintf("--gen-budget=%s", *genBudget), fmt.Sprintf("--gen-sequences=%d", *genSequences))
			} else {
				v.args = append(v.args, "--gen-budget=10m")
			}
			reports := filepath.Join(dir, slug(v.name))
			report, out, passed := run(t, bin, reports, v)
			if want := len(v.breaks) == 0; passed != want {
				t.Fatalf("the generative mode passed: %v, want %v\n%s\n%s", passed, want, report, harness.Tail(out))
			}
			if passed {
				return
			}
			script := sequenceScript(report)
			if n := len(regexp.MustCompile(`\n# \d+/\d+\n`).FindAllString(script, -1)); n == 0 || n > 6 {
				t.Errorf("a sequence of %d requests, want 1 to 6:\n%s", n, report)
			}
			if !strings.Contains(string(report), "--gen-seed=") {
				t.Errorf("no replay command in the report:\n%s", report)
			}
			results, err := os.ReadFile(filepath.Join(reports, "results.json"))
			if err != nil || !strings.Contains(string(results), "generative mode: the target and the reference disagree") {
				t.Errorf("results.json holds no sequence (%v)", err)
			}
			// The finding names a rule: the one its first symptom breaks,
			// which is not always the one the defect is named for (a swapped
			// pair of results first shows as a saved answer out of place).
			if failing := rulesWith(outcomes(report), "FAIL"); len(failing) == 0 {
				t.Errorf("the finding names no rule; the defect breaks %v\n%s", v.breaks, report)
			} else if !slices.ContainsFunc(v.breaks, func(id string) bool { return slices.Contains(failing, id) }) {
				t.Logf("the finding fails %v; the defect is named for %v", failing, v.breaks)
			}
		})
	}
}

// sequenceScript is the first curl script of conformance.md's problems.
func sequenceScript(report []byte) string {
	m := regexp.MustCompile(`(?s)#!/bin/sh\n.*?\n` + "```").Find(report)
	return string(m)
}
