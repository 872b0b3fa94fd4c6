package selftest

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spacedog-oss/batchkit/mockserver"
	"github.com/spacedog-oss/batchkit/spec"
	"github.com/spacedog-oss/batchkit/suites/internal/defect"
	"github.com/spacedog-oss/batchkit/suites/internal/harness"
)

// racy are servers that answer one client as the mock does and lose
// writes to concurrent ones, each by one of the races CONC-1 names, in
// both profiles: the concurrency mode must fail them, naming CONC-1.
func racy() []variant {
	var out []variant
	for _, r := range []struct {
		name string
		wrap defect.Middleware
	}{
		{"a merge that reads, then writes the object whole", defect.LostUpdate},
		{"a create that checks its id is free, then inserts", defect.DuplicateCreate},
		{"an update whose version is checked apart from the write", defect.VersionCheckApart},
		{"an update that saves the object whole, recreating it when a delete came first", defect.UpdateResurrects},
	} {
		out = append(out,
			variant{name: r.name, wrap: r.wrap, breaks: []string{"CONC-1"}},
			variant{name: r.name + ", in the 2016 profile", cfg: mockserver.Config{Profile: spec.SpaceDog2016}, profile: spec.SpaceDog2016,
				wrap: r.wrap, breaks: []string{"CONC-1"}})
	}
	return out
}

// concurrencyProves names the conforming variants whose answers the
// concurrency mode reads otherwise than the mock's: each profile, users
// enforced, other error words, members of the server's own, another
// layout of the JSON, listings in another order and other generated ids
// (CONC-2). The others change what no request of the mode meets.
var concurrencyProves = []string{
	"the mock", "the 2016 mock", "the mock enforcing the suites' users", "the 2016 mock enforcing the suites' users",
	"other error messages and types", "extra fields in every body", "extra fields in every body, in the 2016 profile",
	"keys in another order, and whitespace", "listings in another order", "ids of 20 other URL-safe characters",
}

// The concurrency mode alone passes the conforming variants, in both
// profiles, with a short budget, and fails each race with the default
// one: CONC-1 failed and named, CONC-2 passed, the failure with its
// object, the part of its history that no order explains (or the answer
// that no state gives) as curl commands, the seed, the command that
// reruns the mode, and Porcupine's timeline beside the report, linked
// from conformance.html.
func TestTheConcurrencyModeCatchesEachRace(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the suites once per variant")
	}
	dir := t.TempDir()
	bin := harness.Binary(t)
	variants := slices.DeleteFunc(conforming(), func(v variant) bool { return !slices.Contains(concurrencyProves, v.name) })
	if len(variants) != len(concurrencyProves) {
		t.Fatalf("%d of the conforming variants %q", len(variants), concurrencyProves)
	}
	for _, v := range slices.Concat(variants, racy()) {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel() // each variant is a server and a run of its own
			// A conforming variant passes a short run. A race is caught
			// within about 300 requests in 158 runs of 160, in-process: a
			// count five times that, however slow the machine, leaves it
			// no chance to hide.
			v.args = append(slices.Clone(v.args), "--ginkgo.label-filter=concurrency")
			if len(v.breaks) == 0 {
				v.args = append(v.args, "--conc-ops=500", "--conc-budget=20s")
			} else {
				v.args = append(v.args, "--conc-ops=1500", "--conc-budget=20s")
			}
			reports := filepath.Join(dir, slug(v.name))
			report, out, passed := run(t, bin, reports, v)
			got := outcomes(report)
			if want := len(v.breaks) == 0; passed != want {
				t.Fatalf("the concurrency mode passed: %v, want %v\n%s\n%s", passed, want, report, harness.Tail(out))
			}
			if got["CONC-2"] != "pass" {
				t.Errorf("CONC-2 is %q, want pass\n%s", got["CONC-2"], report)
			}
			if passed {
				if got["CONC-1"] != "pass" {
					t.Errorf("CONC-1 is %q, want pass\n%s", got["CONC-1"], report)
				}
				return
			}
			if got["CONC-1"] != "FAIL" {
				t.Fatalf("CONC-1 is %q, want FAIL\n%s", got["CONC-1"], report)
			}
			// The object, and either the part of its history no order
			// explains or the answer no state gives.
			md := string(report)
			if !strings.Contains(md, "No order of the requests on object ") && !strings.Contains(md, " that no state of the object ") {
				t.Errorf("conformance.md names no object:\n%s", md)
			}
			for _, says := range []string{"\ncurl -sS -i", "# answer: ", "from seed ", "--ginkgo.label-filter=concurrency --conc-seed=",
				"[CONC-1-timeline.html](CONC-1-timeline.html)"} {
				if !strings.Contains(md, says) {
					t.Errorf("conformance.md does not say %q:\n%s", says, md)
				}
			}
			page, _ := os.ReadFile(filepath.Join(reports, "conformance.html"))
			timeline, err := os.ReadFile(filepath.Join(reports, "CONC-1-timeline.html"))
			if !strings.Contains(string(page), `<a href="CONC-1-timeline.html">`) || err != nil || !strings.Contains(string(timeline), "<html") {
				t.Errorf("no timeline beside conformance.html, linked from it (%v)", err)
			}
		})
	}
}
