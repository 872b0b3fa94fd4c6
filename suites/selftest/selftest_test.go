// Package selftest runs the conformance suites against servers whose
// verdict is known: conforming variants must pass, broken ones must fail
// naming the rule they break.
//
// Conforming variants of the mock choose otherwise where the contract
// leaves a choice; broken variants each have one realistic defect, and must
// fail with the rule they break named in the report and few others. A suite that cannot fail proves
// nothing; a suite that fails a conforming server misleads its users.
package selftest

import (
	"bytes"
	"cmp"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/spacedog-oss/batchkit/mockserver"
	"github.com/spacedog-oss/batchkit/spec"
	"github.com/spacedog-oss/batchkit/suites/internal/defect"
	"github.com/spacedog-oss/batchkit/suites/internal/harness"
	"github.com/spacedog-oss/batchkit/suites/internal/summary"
)

// variant is a server for the suites to judge, and the verdict due.
type variant struct {
	name    string
	cfg     mockserver.Config
	wrap    defect.Middleware // nil: the mock as it is
	fill    bool              // store other data first
	strict  bool              // run with --strict
	profile string            // the suites' --profile; "" for doc
	args    []string          // more flags for the suites
	// users are the credentials' flags; nil: the suites' two users.
	users []string

	// breaks lists the rules the server breaks: the run must fail, each of
	// them with it; none for a conforming server, which must pass.
	breaks []string
	// garbles: the defect makes replies unreadable, so that every spec
	// fails; only the run's failure and breaks are asserted.
	garbles bool
	// notMet lists the SHOULD rules a conforming server does not meet: the
	// summary must report exactly these as not met.
	notMet []string
}

// suiteUsers are the users run gives the suites, for a mock that
// enforces them: wrong passwords are refused (AUTH-2).
var suiteUsers = map[string]string{"fred": "secret", "vince": "secret2"}

// othersAllowed is how many rules beyond the broken ones a defect may fail:
// a defect fails the specs of its rule, and few others.
const othersAllowed = 2

func TestMain(m *testing.M) { harness.Main(m) }

func TestTheSuitesJudgeEachVariant(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the suites once per variant")
	}
	sp, err := spec.Load()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := harness.Binary(t)
	for _, v := range slices.Concat(conforming(), choosing(), broken()) {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel() // each variant is a server and a run of its own
			report, out, passed := run(t, bin, filepath.Join(dir, slug(v.name)), v)
			got := outcomes(report)
			if len(got) != len(sp.Rules()) {
				t.Fatalf("conformance.md gives the outcome of %d rules, not the contract's %d:\n%s\n%s", len(got), len(sp.Rules()), report, harness.Tail(out))
			}
			failing := rulesWith(got, "FAIL")
			if want := len(v.breaks) == 0; passed != want {
				t.Fatalf("the run passed: %v, want %v; failing rules %v\n%s\n%s", passed, want, failing, report, harness.Tail(out))
			}
			for _, id := range v.breaks {
				if got[id] != "FAIL" {
					t.Errorf("%s is %q in the report, want FAIL", id, got[id])
				}
			}
			others := slices.DeleteFunc(slices.Clone(failing), func(id string) bool { return slices.Contains(v.breaks, id) })
			if !v.garbles && len(others) > othersAllowed {
				t.Errorf("the defect fails %v and %d other rules %v, more than %d: a cascade", v.breaks, len(others), others, othersAllowed)
			}
			if len(others) > 0 {
				t.Logf("rules failed besides %v: %v", v.breaks, others)
			}
			// A conforming server meets the SHOULD rules it does not opt out of.
			if notMet := rulesWith(got, "not met"); len(v.breaks) == 0 && !slices.Equal(notMet, slices.Sorted(slices.Values(v.notMet))) {
				t.Errorf("SHOULD rules not met: %v, want %v", notMet, v.notMet)
			}
			if t.Failed() {
				t.Logf("%s\n%s", report, harness.Tail(out))
			}
		})
	}
}

// serve starts the variant: a mock of its config, behind its wrapper,
// holding other data when the variant says.
func (v variant) serve(t *testing.T) *httptest.Server {
	t.Helper()
	mock, err := mockserver.New(v.cfg)
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = mock
	if v.wrap != nil {
		h = v.wrap(mock)
	}
	srv := httptest.NewServer(h)
	if v.fill {
		fill(t, srv.URL)
	}
	return srv
}

// run serves the variant and runs the suites against it; it returns the
// report, the suites' output and whether the run passed.
func run(t *testing.T, bin, reports string, v variant) (report, out []byte, passed bool) {
	srv := v.serve(t)
	defer srv.Close()
	// Each variant is a mock of its own: DELETE /1/data deletes only the run's data.
	users := v.users
	if users == nil {
		users = []string{"--username=fred", "--password=secret", "--username2=vince", "--password2=secret2"}
	}
	args := slices.Concat([]string{"--ginkgo.no-color", "--target=" + srv.URL, "--destructive"}, users,
		[]string{"--report-dir=" + reports, "--strict=" + fmt.Sprint(v.strict), "--profile=" + cmp.Or(v.profile, spec.Doc),
			"--ginkgo.label-filter=!generative && !concurrency"}, v.args) // each mode has its own test
	out, passed = harness.Run(t, bin, "", harness.WithoutStepSummary(os.Environ()), args...) // a variant's report is not the kit's
	report, err := os.ReadFile(filepath.Join(reports, "conformance.md"))
	if err != nil { // every run writes it, a passed one too
		t.Fatalf("no conformance.md: %v\n%s", err, harness.Tail(out))
	}
	checkReports(t, reports, report, out, passed)
	return report, out, passed
}

// checkReports holds every run's reports to one outcome: results.json
// consistent with itself, conformance.md stating its verdict, the exit
// code agreeing, and no rule "pass" none of whose specs passed.
func checkReports(t *testing.T, reports string, md, out []byte, passed bool) {
	t.Helper()
	f, err := os.Open(filepath.Join(reports, summary.JSONFile))
	if err != nil {
		t.Fatalf("no results.json: %v\n%s", err, harness.Tail(out))
	}
	defer f.Close()
	res, err := summary.ReadJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Consistent(); err != nil {
		t.Errorf("results.json: %v", err)
	}
	if !bytes.Contains(md, []byte("- verdict: "+res.VerdictLine()+"\n")) {
		t.Errorf("conformance.md's verdict is not results.json's %q", res.VerdictLine())
	}
	if passed != res.Conforms {
		t.Errorf("the run exited passed=%v, its verdict is %q", passed, res.Verdict)
	}
	for _, r := range res.Rules {
		if r.Outcome == summary.Pass && !slices.ContainsFunc(r.Specs, func(s summary.SpecResult) bool { return s.Outcome == summary.Pass }) {
			t.Errorf("%s is pass, and none of its specs passed", r.ID)
		}
	}
}

// outcomes reads each rule's outcome from conformance.md, whose table has
// a row per rule: | rule | level | outcome | specs | summary |.
func outcomes(report []byte) map[string]string {
	out := map[string]string{}
	for line := range strings.Lines(string(report)) {
		cells := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
		if len(cells) >= 3 && ruleID.MatchString(strings.TrimSpace(cells[0])) {
			out[strings.TrimSpace(cells[0])] = strings.TrimSpace(cells[2])
		}
	}
	return out
}

var ruleID = regexp.MustCompile(`^[A-Z]+-[0-9]+$`)

// rulesWith lists, sorted, the rules of an outcome.
func rulesWith(outcomes map[string]string, outcome string) []string {
	var ids []string
	for _, id := range slices.Sorted(maps.Keys(outcomes)) {
		if outcomes[id] == outcome {
			ids = append(ids, id)
		}
	}
	return ids
}

// fill stores data of other types, as a live backend has.
func fill(t *testing.T, url string) {
	for i := range 30 {
		body := fmt.Sprintf(`{"n":%d,"note":"someone else's"}`, i)
		resp, err := http.Post(fmt.Sprintf("%s/1/data/other%d?id=o%d", url, i%3, i), "application/json", bytes.NewBufferString(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
}

func slug(name string) string { return regexp.MustCompile(`\W+`).ReplaceAllString(name, "-") }
