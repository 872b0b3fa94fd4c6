package summary

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/spacedog-oss/batchkit/spec"
	"github.com/spacedog-oss/batchkit/suites/internal/exchange"
)

func it(text string, state types.SpecState, labels []string, entries ...types.ReportEntry) types.SpecReport {
	return types.SpecReport{LeafNodeType: types.NodeTypeIt, ContainerHierarchyTexts: []string{"The batch"}, LeafNodeText: text,
		LeafNodeLabels: labels, State: state, RunTime: 12 * time.Millisecond, ReportEntries: entries,
		Failure: types.Failure{Message: text + " failed", Location: types.CodeLocation{FileName: "/k/suites/x_test.go", LineNumber: 7}}}
}

var fred = Credential{Username: "fred", Password: "s3cret", UsernameVar: "SPACEDOG_USERNAME", PasswordVar: "SPACEDOG_PASSWORD"}

// exchanges is the entry of a failed spec that sent two requests, of which
// the client kept the last; parallel says whether it came from another
// process, as JSON.
func exchanges(t *testing.T, parallel bool) types.ReportEntry {
	h := http.Header{"Content-Type": {"application/json"}}
	h.Set("Authorization", "Basic ZnJlZDpzM2NyZXQ=")
	ex := NewExchanges([]exchange.Exchange{{Seq: 2, Method: "POST", URL: "http://h:1/1/batch?stopOnError=true", ReqHeader: h,
		ReqBody: []byte(`[{"method":"GET","path":"/1/data/t/it's"}]`), Status: 200, RespBody: []byte(`[<script>alert(1)</script>]`)}}, 2, []Credential{fred})
	e := types.ReportEntry{Name: EntryExchanges, Value: types.WrapEntryValue(ex)}
	if parallel {
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		e = types.ReportEntry{}
		if err := json.Unmarshal(b, &e); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// report is a run of five specs over six rules: A-1 fails, B-1 is a
// SHOULD not met, C-1 fails through a spec of A-1's, D-1 is filtered out,
// E-1 has no spec (a suite node is not one), F-1 passes.
func report(t *testing.T, parallel bool) ([]spec.Rule, types.Report) {
	rules := []spec.Rule{{ID: "ORD-1", Level: "MUST", Summary: "one result per item"}, {ID: "SUB-5", Level: "SHOULD", Summary: "any case"},
		{ID: "ERR-1", Level: "MUST"}, {ID: "DATA-1", Level: "MUST"}, {ID: "SEC-9", Level: "MUST"}, {ID: "LIM-1", Level: "MUST"}}
	notMet := types.ReportEntry{Name: EntryShouldNotMet, Value: types.WrapEntryValue("405 expected")}
	requests := func(n string) types.ReportEntry {
		return types.ReportEntry{Name: EntryRequests, Value: types.WrapEntryValue(n)}
	}
	return rules, types.Report{SuiteSucceeded: false, StartTime: time.Date(2026, 5, 4, 7, 0, 0, 0, time.UTC), RunTime: 1500 * time.Millisecond,
		SuiteConfig: types.SuiteConfig{RandomSeed: 1746}, SpecReports: []types.SpecReport{
			it("passes (a | pipe)", types.SpecStatePassed, []string{"ORD-1", "must"}, requests("3")),
			it("answers [in order] (x)", types.SpecStateFailed, []string{"ORD-1", "ERR-1", "must"}, requests("2"), exchanges(t, parallel)),
			it("takes lower case", types.SpecStateSkipped, []string{"SUB-5", "should"}, notMet, requests("1")),
			it("passes too", types.SpecStatePassed, []string{"ERR-1", "must"}),
			func() types.SpecReport {
				s := it("is filtered out", types.SpecStateSkipped, []string{"DATA-1", "must"})
				s.Failure = types.Failure{}
				return s
			}(),
			it("passes alone", types.SpecStatePassed, []string{"LIM-1", "must"}),
			{LeafNodeType: types.NodeTypeBeforeSuite, LeafNodeLabels: []string{"SEC-9"}, State: types.SpecStatePassed,
				ReportEntries: []types.ReportEntry{requests("7")}},
		}}
}

func build(t *testing.T, parallel bool) Results {
	rules, rep := report(t, parallel)
	return Build(Run{Target: "http://h:1", Profile: spec.Doc, Settings: []string{"--target=http://h:1", "--max-batch=20"}}, Rules(rules, rep), rep, "v1.2.3")
}

func TestRulesGetTheOutcomeOfTheirSpecs(t *testing.T) {
	rules, rep := report(t, false)
	got := Rules(rules, rep)
	want := map[string]Outcome{"ORD-1": Fail, "SUB-5": NotMet, "ERR-1": Fail, "DATA-1": Skipped, "SEC-9": Skipped, "LIM-1": Pass}
	for _, r := range got {
		if r.Outcome != want[r.ID] {
			t.Errorf("%s: %s, want %s", r.ID, r.Outcome, want[r.ID])
		}
	}
	var ids []string
	for _, r := range got {
		ids = append(ids, r.ID)
	}
	if want := []string{"ORD-1", "SUB-5", "LIM-1", "ERR-1", "SEC-9", "DATA-1"}; !slices.Equal(ids, want) {
		t.Errorf("rules in the order %v, want the contract's areas %v", ids, want)
	}
	if u := Uncovered(got); len(u) != 1 || u[0] != "SEC-9" {
		t.Errorf("uncovered %v, want SEC-9: a suite node is not a spec", u)
	}
	if n := Requests(rep); n != 13 {
		t.Errorf("requests %d", n)
	}
}

// A spec's failure is shown with its exchanges, each replayable, and with
// the commands that rerun it alone; the summary's table keeps its format,
// which the self-test reads.
func TestTheMarkdownSummaryShowsHowToReplayEachFailure(t *testing.T) {
	for _, parallel := range []bool{false, true} {
		var b strings.Builder
		if err := build(t, parallel).WriteMarkdown(&b, true); err != nil {
			t.Fatal(err)
		}
		md := b.String()
		for _, s := range []string{
			"\n| ORD-1 | MUST | FAIL | 2 | one result per item |\n", "\n| SUB-5 | SHOULD | not met | 1 | any case |\n", "\n| DATA-1 | MUST | skipped | 1 |",
			"\n| LIM-1 | MUST | pass | 1 |", "verdict: **does not conform**", "rules: 1 pass, 3 FAIL (1 outside the rules, under Problems), 1 not met, 2 skipped",
			"## ORD-1 (MUST): FAIL", "### The batch answers [in order] (x)", "answers [in order] (x) failed", "405 expected",
			"contract rules that no spec checks: SEC-9", "kit: github.com/spacedog-oss/batchkit v1.2.3", "seed: 1746",
			"> Authorization: [redacted]",
			"# the spec's first 1 requests are not kept",
			"# 1/1: POST /1/batch?stopOnError=true answered 200\ncurl -sS -i --path-as-is -g -X POST \\\n  -u \"$SPACEDOG_USERNAME:$SPACEDOG_PASSWORD\"",
			`--data-binary '[{"method":"GET","path":"/1/data/t/it'\''s"}]'`,
			`go tool ginkgo --label-filter=ORD-1 --focus='The batch answers \[in order\] \(x\)$' --seed=1746 ./suites -- --target=http://h:1 --max-batch=20`,
			`bin/spacedog-conformance --ginkgo.label-filter=ORD-1 --ginkgo.focus='The batch answers \[in order\] \(x\)$' --ginkgo.seed=1746 --target=http://h:1 --max-batch=20`,
			// A rule that one spec carries needs no focus.
			`go tool ginkgo --label-filter=SUB-5 --seed=1746 ./suites -- --target=http://h:1`,
		} {
			if !strings.Contains(md, s) {
				t.Errorf("parallel %v: the summary lacks %q:\n%s", parallel, s, md)
			}
		}
		if strings.Contains(md, "s3cret") || strings.Contains(md, "ZnJlZDpzM2NyZXQ=") {
			t.Errorf("the summary shows credentials:\n%s", md)
		}
	}
}

// The focus of a rerun is a regular expression that matches its spec's
// text, as Ginkgo matches it, and no other.
func TestTheRerunFocusMatchesItsSpecOnly(t *testing.T) {
	res := build(t, false)
	f := res.Rules[0].Specs[1].Failure
	m := regexp.MustCompile(`--focus='((?:[^']|'\\'')*)'`).FindStringSubmatch(f.Rerun.Ginkgo)
	if m == nil {
		t.Fatalf("no focus in %s", f.Rerun.Ginkgo)
	}
	re := regexp.MustCompile(strings.ReplaceAll(m[1], `'\''`, "'"))
	for _, s := range res.Rules[0].Specs {
		if got, want := re.MatchString("SpaceDog /1/batch conformance "+s.Text), s.Failure != nil; got != want {
			t.Errorf("focus %s matches %q: %v", re, s.Text, got)
		}
	}
}

func TestResultsAreValidAgainstTheirSchema(t *testing.T) {
	sch := compileSchema(t)
	for _, parallel := range []bool{false, true} {
		var b bytes.Buffer
		if err := build(t, parallel).WriteJSON(&b); err != nil {
			t.Fatal(err)
		}
		if err := validate(sch, b.Bytes()); err != nil {
			t.Fatalf("results.json breaks its schema: %v\n%s", err, b.String())
		}
	}
	// The schema bites: each of these breaks it. (Unchecked, an empty or
	// unencoded document would break it for every change.)
	var good map[string]any
	var b bytes.Buffer
	if err := build(t, false).WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	for name, change := range map[string]func(m map[string]any){
		"an outcome as Markdown writes it": func(m map[string]any) { rule(m, 0)["outcome"] = "FAIL" },
		"a failed rule without a failure":  func(m map[string]any) { delete(spec0(m, 0, 1), "failure") },
		"a passed spec with a failure": func(m map[string]any) {
			spec0(m, 0, 0)["failure"] = spec0(m, 0, 1)["failure"]
		},
		"no kit version":       func(m map[string]any) { delete(m["kit"].(map[string]any), "version") },
		"an unknown field":     func(m map[string]any) { m["passed"] = true },
		"a verdict of its own": func(m map[string]any) { m["verdict"] = "mostly" },
		"a rerun without its label": func(m map[string]any) {
			spec0(m, 0, 1)["failure"].(map[string]any)["rerun"].(map[string]any)["ginkgo"] = "go tool ginkgo ./suites"
		},
	} {
		if err := json.Unmarshal(b.Bytes(), &good); err != nil {
			t.Fatal(err)
		}
		change(good)
		bad, err := json.Marshal(good)
		if err != nil {
			t.Fatal(err)
		}
		if validate(sch, bad) == nil {
			t.Errorf("%s: valid against the schema", name)
		}
	}
}

// The schema names every profile of the spec.
func TestTheSchemaKnowsEveryProfile(t *testing.T) {
	var s struct {
		Properties struct {
			Profile struct{ Enum []string }
		}
	}
	if err := json.Unmarshal(Schema(), &s); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.Properties.Profile.Enum, spec.Profiles()) {
		t.Errorf("the schema's profiles %v, the spec's %v", s.Properties.Profile.Enum, spec.Profiles())
	}
}

func rule(m map[string]any, i int) map[string]any { return m["rules"].([]any)[i].(map[string]any) }
func spec0(m map[string]any, r, s int) map[string]any {
	return rule(m, r)["specs"].([]any)[s].(map[string]any)
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Schema()))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("results.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("results.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

func validate(sch *jsonschema.Schema, data []byte) error {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return err
	}
	return sch.Validate(inst)
}

// The page shows what it is given as text: a reply that holds HTML is
// escaped, and the page loads nothing from anywhere.
func TestThePageEscapesEverythingAndLoadsNothing(t *testing.T) {
	var b strings.Builder
	if err := build(t, false).WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	if strings.Contains(page, "<script") || !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("a reply's HTML is not escaped:\n%s", page)
	}
	for _, ref := range []string{"src=", "<link", "@import", "url(", "http-equiv", `href="http`, `href="//`} {
		if strings.Contains(page, ref) {
			t.Errorf("the page refers to something else (%q)", ref)
		}
	}
	for _, s := range []string{`<details class="rule fail" id="ORD-1" open>`, `<details class="rule pass" id="LIM-1">`,
		`<details class="rule not-met" id="SUB-5" open>`, `href="#ORD-1"`, "ORD · Order and effects"} {
		if !strings.Contains(page, s) {
			t.Errorf("the page lacks %q", s)
		}
	}
}

// The Markdown summary is appended to GitHub's step summary; past
// GitHub's limit, without the exchanges.
func TestTheStepSummaryIsAppended(t *testing.T) {
	path := filepath.Join(t.TempDir(), "step_summary.md")
	if err := os.WriteFile(path, []byte("# Build\n\nok\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res := build(t, false)
	if err := res.AppendStepSummary(path); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var md strings.Builder
	if err := res.WriteMarkdown(&md, true); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(got), "# Build\n\nok\n") || !strings.HasSuffix(string(got), md.String()) {
		t.Errorf("the step summary is not the earlier one followed by the summary:\n%s", got)
	}
	if err := os.WriteFile(path, bytes.Repeat([]byte("x"), stepSummaryLimit-4<<10), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := res.AppendStepSummary(path); err != nil {
		t.Fatal(err)
	}
	if got, err = os.ReadFile(path); err != nil {
		t.Fatal(err)
	}
	tail := string(got[stepSummaryLimit-4<<10:])
	if !strings.Contains(tail, "| ORD-1 | MUST | FAIL |") || !strings.Contains(tail, "answers [in order] (x) failed") || strings.Contains(tail, "curl ") {
		t.Errorf("a step summary near GitHub's limit gets the short summary:\n%s", tail)
	}
}

// A pass that did not check every MUST rule says which, and what each
// needs; --require-all fails it.
func TestAVerdictNamesTheMustRulesItDidNotCheck(t *testing.T) {
	rules := []spec.Rule{{ID: "SUB-3", Level: "MUST"}, {ID: "SUB-4", Level: "MUST"}, {ID: "ORD-1", Level: "MUST"}, {ID: "ERR-7", Level: "MUST"}}
	report := types.Report{SuiteSucceeded: true, SpecReports: types.SpecReports{
		{LeafNodeType: types.NodeTypeIt, State: types.SpecStatePassed, LeafNodeLabels: []string{"ORD-1", "must"}},
		{LeafNodeType: types.NodeTypeIt, State: types.SpecStateSkipped, LeafNodeLabels: []string{"SUB-3", "must"},
			Failure: types.Failure{Message: "needs a second user: set --username2 and --password2"}},
		{LeafNodeType: types.NodeTypeIt, State: types.SpecStateSkipped, LeafNodeLabels: []string{"SUB-4", "must"},
			Failure: types.Failure{Message: "needs a second user: set --username2 and --password2"}},
		{LeafNodeType: types.NodeTypeIt, State: types.SpecStateSkipped, LeafNodeLabels: []string{"ERR-7", "must"},
			Failure: types.Failure{Message: "holds in the spacedog-2016 profile only"}},
	}}
	res := Build(Run{}, Rules(rules, report), report, "v1")
	if want := "**conforms to 1 of 3 MUST rules**; not checked: SUB-3, SUB-4: give --username2, --password2"; res.VerdictLine() != want || !res.Conforms {
		t.Errorf("verdict %q (conforms %v), want %q", res.VerdictLine(), res.Conforms, want)
	}
	res = Build(Run{RequireAll: true}, Rules(rules, report), report, "v1")
	if res.Conforms || res.Verdict != VerdictFails {
		t.Errorf("--require-all: verdict %q, conforms %v", res.Verdict, res.Conforms)
	}
}

// A run that ended before some specs is incomplete, whatever passed.
func TestARunThatEndedEarlyIsIncomplete(t *testing.T) {
	rules := []spec.Rule{{ID: "ORD-1", Level: "MUST"}, {ID: "ORD-2", Level: "MUST"}}
	report := types.Report{SuiteSucceeded: true, SpecReports: types.SpecReports{
		{LeafNodeType: types.NodeTypeIt, State: types.SpecStatePassed, LeafNodeLabels: []string{"ORD-1", "must"}},
		{LeafNodeType: types.NodeTypeIt, State: types.SpecStateSkipped, LeafNodeLabels: []string{"ORD-2", "must"},
			Failure: types.Failure{Message: NotRunPrefix + "the run's deadline passed (--run-timeout=1m0s)"}},
	}}
	res := Build(Run{}, Rules(rules, report), report, "v1")
	if res.Verdict != VerdictIncomplete || res.NotRun != 1 || res.Conforms || res.Rules[1].Outcome != NotRun {
		t.Errorf("verdict %q, %d not run, conforms %v, ORD-2 %q", res.Verdict, res.NotRun, res.Conforms, res.Rules[1].Outcome)
	}
	if !slices.Contains(res.Problems, "specs not run: the run's deadline passed (--run-timeout=1m0s)") {
		t.Errorf("problems %q do not say why specs did not run", res.Problems)
	}
}

// A failure drawn as a timeline beside the reports (the concurrency
// mode's) names its file in results.json, within the schema, and both
// reports link it; a timeline file that is a path is refused by the
// schema. Its rerun commands carry its seed.
func TestAFailuresTimelineIsLinkedFromTheReports(t *testing.T) {
	rules := []spec.Rule{{ID: "CONC-1", Level: "MUST"}}
	timeline := types.ReportEntry{Name: EntryTimeline, Value: types.WrapEntryValue("CONC-1-timeline.html")}
	seed := types.ReportEntry{Name: EntryRerunFlags, Value: types.WrapEntryValue("--conc-seed=77")}
	rep := types.Report{StartTime: time.Now(), SpecReports: []types.SpecReport{
		it("take effect at one instant", types.SpecStateFailed, []string{"CONC-1", "must", "concurrency"}, timeline, seed)}}
	res := Build(Run{Profile: spec.Doc, Settings: []string{"--conc-seed=5", "--target=http://h:1"}}, Rules(rules, rep), rep, "v1")
	rerun := res.Rules[0].Specs[0].Failure.Rerun
	for _, cmd := range []string{rerun.Ginkgo, rerun.Binary} {
		if !strings.HasSuffix(cmd, " --target=http://h:1 --conc-seed=77") {
			t.Errorf("the rerun does not take the spec's seed over the run's: %s", cmd)
		}
	}
	var md, page, js bytes.Buffer
	if err := res.WriteMarkdown(&md, true); err != nil {
		t.Fatal(err)
	}
	if err := res.WriteHTML(&page); err != nil {
		t.Fatal(err)
	}
	if err := res.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "[CONC-1-timeline.html](CONC-1-timeline.html)") {
		t.Errorf("conformance.md does not link the timeline:\n%s", md.String())
	}
	if !strings.Contains(page.String(), `<a href="CONC-1-timeline.html">`) || !strings.Contains(page.String(), `id="area-CONC"`) {
		t.Errorf("conformance.html does not link the timeline, or has no CONC area")
	}
	sch := compileSchema(t)
	if err := validate(sch, js.Bytes()); err != nil || !strings.Contains(js.String(), `"timeline": "CONC-1-timeline.html"`) {
		t.Fatalf("results.json: %v\n%s", err, js.String())
	}
	bad := strings.Replace(js.String(), `"timeline": "CONC-1-timeline.html"`, `"timeline": "../../etc/x.html"`, 1)
	if validate(sch, []byte(bad)) == nil {
		t.Error("a timeline outside the report folder is valid against the schema")
	}
}
