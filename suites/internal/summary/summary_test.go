package summary

import (
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2/types"
	"github.com/spacedog-oss/batchkit/spec"
)

func it(text string, state types.SpecState, labels []string, entries ...types.ReportEntry) types.SpecReport {
	return types.SpecReport{LeafNodeType: types.NodeTypeIt, LeafNodeText: text, LeafNodeLabels: labels, State: state,
		ReportEntries: entries, Failure: types.Failure{Message: text + " failed"}}
}

func TestRulesGetTheOutcomeOfTheirSpecs(t *testing.T) {
	rules := []spec.Rule{{ID: "A-1", Level: "MUST"}, {ID: "B-1", Level: "SHOULD"}, {ID: "C-1", Level: "MUST"}, {ID: "D-1", Level: "MUST"}, {ID: "E-1", Level: "MUST"}}
	notMet := types.ReportEntry{Name: EntryShouldNotMet, Value: types.WrapEntryValue("405 expected")}
	report := types.Report{SpecReports: []types.SpecReport{
		it("a passes", types.SpecStatePassed, []string{"A-1", "must"}),
		it("a fails", types.SpecStateFailed, []string{"A-1", "C-1", "must"}),
		it("b is noted", types.SpecStateSkipped, []string{"B-1", "should"}, notMet),
		it("c passes", types.SpecStatePassed, []string{"C-1", "must"}),
		it("d is filtered out", types.SpecStateSkipped, []string{"D-1", "must"}),
		{LeafNodeType: types.NodeTypeBeforeSuite, LeafNodeLabels: []string{"E-1"}, State: types.SpecStatePassed,
			ReportEntries: []types.ReportEntry{{Name: EntryRequests, Value: types.WrapEntryValue("7")}}},
	}}
	got := Rules(rules, report)
	want := map[string]string{"A-1": Fail, "B-1": NotMet, "C-1": Fail, "D-1": Skipped, "E-1": Skipped}
	for _, r := range got {
		if r.Outcome != want[r.ID] {
			t.Errorf("%s: %s, want %s", r.ID, r.Outcome, want[r.ID])
		}
	}
	if u := Uncovered(got); len(u) != 1 || u[0] != "E-1" {
		t.Errorf("uncovered %v, want E-1: a suite node is not a spec", u)
	}
	if n := Requests(report); n != 7 {
		t.Errorf("requests %d", n)
	}
	var b strings.Builder
	if err := Write(&b, Header{Target: "http://x", Profile: "doc"}, got, report); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"| A-1 | MUST | FAIL | 2 |", "| B-1 | SHOULD | not met | 1 |", "## A-1 (MUST): FAIL", "a fails failed", "405 expected", "verdict: **does not conform**"} {
		if !strings.Contains(b.String(), s) {
			t.Errorf("the summary lacks %q:\n%s", s, b.String())
		}
	}
}
