package summary

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/spacedog-oss/batchkit/spec"
)

var twoRules = []spec.Rule{{ID: "ORD-1", Level: "MUST"}, {ID: "STOP-2", Level: "MUST"}, {ID: "SUB-3", Level: "MUST"}}

func entryOf(name string, v any) types.ReportEntry {
	return types.ReportEntry{Name: name, Value: types.WrapEntryValue(v)}
}

// reportsOf writes the run's three reports and reads the verdict each
// states: what a user sees, whichever one they open.
func reportsOf(t *testing.T, r Results) (md, html string, json_ Results) {
	t.Helper()
	var m, h, j bytes.Buffer
	if err := r.WriteMarkdown(&m, true); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteHTML(&h); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteJSON(&j); err != nil {
		t.Fatal(err)
	}
	got, err := ReadJSON(&j)
	if err != nil {
		t.Fatal(err)
	}
	return m.String(), h.String(), got
}

// A spec of no rule that fails, a panic in the generative mode for one, is
// a failure: counted, listed, in every report, never "does not conform"
// with nothing failed.
func TestAFailureOfNoRuleIsCountedAndShownInEveryReport(t *testing.T) {
	gen := it("are answered as the reference answers them", types.SpecStatePanicked, []string{"generative"},
		entryOf(EntryGenerative, GenerativeRun{Seed: 77, Budget: "5s", Replay: "bin/spacedog-conformance --gen-seed=77"}))
	gen.Failure.Message = "invalid argument to IntN"
	rep := types.Report{SuiteSucceeded: false, SpecReports: []types.SpecReport{
		it("one", types.SpecStatePassed, []string{"ORD-1", "must"}), it("two", types.SpecStatePassed, []string{"STOP-2", "must"}),
		it("three", types.SpecStatePassed, []string{"SUB-3", "must"}), gen}}
	r := Build(Run{Profile: spec.Doc}, Rules(twoRules, rep), rep, "v1")
	if r.Verdict != VerdictFails || r.Counts.Fail != 1 || r.Counts.Outside != 1 || len(r.Problems) != 1 || !strings.Contains(r.Problems[0], "invalid argument to IntN") {
		t.Fatalf("verdict %q, counts %+v, problems %q", r.Verdict, r.Counts, r.Problems)
	}
	md, html, js := reportsOf(t, r)
	for name, text := range map[string]string{"conformance.md": md, "conformance.html": html} {
		if !strings.Contains(text, "invalid argument to IntN") || !strings.Contains(text, "1 FAIL") && !strings.Contains(text, "<span>1 FAIL</span>") {
			t.Errorf("%s does not show the failure:\n%s", name, text)
		}
	}
	if js.Counts.Fail != 1 || js.Verdict != VerdictFails || js.Generative == nil || js.Generative.Seed != 77 || js.Generative.Outcome != Fail {
		t.Errorf("results.json: %+v, generative %+v", js.Counts, js.Generative)
	}
}

// A generative finding fails the rules its comparison names, each with
// the sequence and the command that replays it by its seed.
func TestAGenerativeFindingFailsTheRulesItNames(t *testing.T) {
	seq := Sequence{Rules: []string{"STOP-2"}, Problem: "3 results, the reference answers 2", Seed: 9, Replay: "bin/spacedog-conformance --ginkgo.label-filter=generative --gen-seed=9 --gen-sequences=1 --target=http://h"}
	gen := it("are answered as the reference answers them", types.SpecStateFailed, []string{"generative"},
		entryOf(EntrySequence, seq), entryOf(EntryGenerative, GenerativeRun{Seed: 9, Disagreements: 1, Replay: "x"}))
	rep := types.Report{SpecReports: []types.SpecReport{it("one", types.SpecStatePassed, []string{"ORD-1", "must"}),
		it("two", types.SpecStatePassed, []string{"STOP-2", "must"}), it("three", types.SpecStatePassed, []string{"SUB-3", "must"}), gen}}
	r := Build(Run{Profile: spec.Doc, Kit: true}, Rules(twoRules, rep), rep, "v1")
	if r.Verdict != VerdictFails || r.Counts.Fail != 1 || r.Counts.Outside != 0 {
		t.Fatalf("verdict %q, counts %+v, problems %q", r.Verdict, r.Counts, r.Problems)
	}
	for _, rule := range r.Rules {
		if rule.ID != "STOP-2" {
			continue
		}
		f := rule.Specs[len(rule.Specs)-1].Failure
		if rule.Outcome != Fail || f == nil || f.Rerun.Binary != seq.Replay ||
			f.Rerun.Ginkgo != "go tool ginkgo --label-filter=generative ./suites -- --gen-seed=9 --gen-sequences=1 --target=http://h" {
			t.Errorf("STOP-2: %s, failure %+v", rule.Outcome, f)
		}
	}
}

// A run of the generative mode alone that passes says so, with its seed,
// in every report alike; it claims no rule.
func TestAGenerativeRunAloneSaysWhatItChecked(t *testing.T) {
	gen := it("are answered as the reference answers them", types.SpecStatePassed, []string{"generative"},
		entryOf(EntryGenerative, GenerativeRun{Seed: 5, Sequences: 40, Requests: 3000, Budget: "20s", Replay: "bin/spacedog-conformance --gen-seed=5"}))
	var specs []types.SpecReport
	for _, r := range twoRules {
		s := it("spec of "+r.ID, types.SpecStateSkipped, []string{r.ID, "must"})
		s.Failure = types.Failure{}
		specs = append(specs, s)
	}
	rep := types.Report{SuiteSucceeded: true, SpecReports: append(specs, gen)}
	r := Build(Run{Profile: spec.Doc}, Rules(twoRules, rep), rep, "v1")
	md, html, js := reportsOf(t, r)
	want := "conforms** in the generative mode (40 sequences, 3000 requests, seed 5)"
	if !strings.Contains(md, want) || !strings.Contains(html, "conforms in the generative mode") || js.Verdict != VerdictConforms || js.Generative.Seed != 5 {
		t.Errorf("verdict %q; md:\n%s", r.VerdictLine(), md)
	}
}

// A rule whose specs all waited for a setting is not checked, never pass;
// one with some specs run and others waiting is partly checked, and each
// names the settings it waits for.
func TestRulesNotCheckedOrPartlyCheckedNameWhatTheyNeed(t *testing.T) {
	skipped := func(text, id, note string) types.SpecReport {
		s := it(text, types.SpecStateSkipped, []string{id, "must"})
		s.Failure.Message = note
		return s
	}
	rep := types.Report{SuiteSucceeded: true, SpecReports: []types.SpecReport{
		it("orders", types.SpecStatePassed, []string{"ORD-1", "must"}),
		it("stops", types.SpecStatePassed, []string{"STOP-2", "must"}),
		skipped("overrides", "STOP-2", "needs a second user: set --username2 and --password2"),
		skipped("headers", "SUB-3", "needs a second user: set --username2 and --password2"),
		skipped("headers 2016", "SUB-3", "holds in the spacedog-2016 profile only"),
	}}
	r := Build(Run{Profile: spec.Doc}, Rules(twoRules, rep), rep, "v1")
	line := r.PlainVerdict()
	if r.Verdict != VerdictConforms || !strings.Contains(line, "conforms to 2 of 3 MUST rules") ||
		!strings.Contains(line, "not checked: SUB-3: give --username2, --password2") || !strings.Contains(line, "partly checked: STOP-2: give --username2, --password2") {
		t.Errorf("%s", line)
	}
	r = Build(Run{Profile: spec.Doc, RequireAll: true}, Rules(twoRules, rep), rep, "v1")
	if r.Verdict != VerdictFails || r.Counts.Fail != 1 || !strings.Contains(strings.Join(r.Problems, "\n"), "--require-all") {
		t.Errorf("--require-all: %q, %+v, %q", r.Verdict, r.Counts, r.Problems)
	}
}

// Whatever the specs did, the reports never state a verdict their counts
// contradict: random runs of random outcomes, each checked by Consistent
// and read back from results.json and conformance.md alike.
func TestEveryRunsReportsAgreeWithTheirCounts(t *testing.T) {
	states := []types.SpecState{types.SpecStatePassed, types.SpecStateFailed, types.SpecStateSkipped, types.SpecStatePanicked, types.SpecStateInterrupted}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 500 {
		var specs []types.SpecReport
		for j := range r.IntN(8) {
			labels := []string{"generative"}
			if r.IntN(4) > 0 {
				labels = []string{twoRules[r.IntN(len(twoRules))].ID, "must"}
			}
			s := it(fmt.Sprint("spec ", j), states[r.IntN(len(states))], labels)
			if r.IntN(3) == 0 {
				s.Failure.Message = "needs --username"
			}
			if s.State == types.SpecStateFailed && labels[0] == "generative" && r.IntN(2) == 0 {
				s.ReportEntries = append(s.ReportEntries, entryOf(EntrySequence, Sequence{Rules: []string{twoRules[r.IntN(3)].ID}, Replay: "bin/x --ginkgo.label-filter=generative"}))
			}
			specs = append(specs, s)
		}
		if r.IntN(5) == 0 {
			specs = append(specs, types.SpecReport{LeafNodeType: types.NodeTypeBeforeSuite, State: types.SpecStateFailed, Failure: types.Failure{Message: "setup"}})
		}
		succeeded := true
		for _, s := range specs {
			succeeded = succeeded && !s.State.Is(types.SpecStateFailureStates)
		}
		rep := types.Report{SuiteSucceeded: succeeded && r.IntN(10) > 0, SpecReports: specs}
		res := Build(Run{Profile: spec.Doc, RequireAll: r.IntN(2) == 0}, Rules(twoRules, rep), rep, "v1")
		if err := res.Consistent(); err != nil {
			t.Fatalf("run %d: %v\n%+v", i, err, res)
		}
		var j bytes.Buffer
		if err := res.WriteJSON(&j); err != nil {
			t.Fatal(err)
		}
		var back struct{ Verdict string }
		if err := json.Unmarshal(j.Bytes(), &back); err != nil || back.Verdict != res.Verdict {
			t.Fatalf("run %d: results.json says %q, the results %q", i, back.Verdict, res.Verdict)
		}
		md, _, _ := reportsOf(t, res)
		if !strings.Contains(md, "- verdict: **"+res.Verdict) {
			t.Fatalf("run %d: conformance.md's verdict is not %q:\n%s", i, res.Verdict, md)
		}
	}
}

// A run that checked nothing (every spec waited for a setting, or was
// left out, and the generative mode was skipped) is no pass: it says so,
// and fails the gate.
func TestARunThatCheckedNothingIsNoPass(t *testing.T) {
	var specs []types.SpecReport
	for _, r := range twoRules {
		s := it("spec of "+r.ID, types.SpecStateSkipped, []string{r.ID, "must"})
		s.Failure.Message = "needs the caller's credentials: set --username and --password"
		specs = append(specs, s)
	}
	gen := it("are answered as the reference answers them", types.SpecStateSkipped, []string{"generative"},
		entryOf(EntryGenerative, GenerativeRun{Seed: 5, Replay: "x"}))
	gen.Failure.Message = "needs the caller's credentials: set --username and --password"
	rep := types.Report{SuiteSucceeded: true, SpecReports: append(specs, gen)}
	r := Build(Run{Profile: spec.Doc}, Rules(twoRules, rep), rep, "v1")
	if r.Conforms || r.Verdict != VerdictIncomplete || !strings.Contains(r.PlainVerdict(), "no rule was checked") ||
		!strings.Contains(r.PlainVerdict(), "give --username, --password") {
		t.Errorf("%q: %s", r.Verdict, r.PlainVerdict())
	}
	if err := r.Consistent(); err != nil {
		t.Error(err)
	}
}
