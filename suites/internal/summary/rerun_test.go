package summary

import (
	"bytes"
	"strings"
	"testing"

	"github.com/spacedog-oss/batchkit/spec"
)

// The rerun commands a report gives are those that make sense where the
// run was started, and a rerun never writes over the run's reports.
func TestTheRerunCommandsAreThoseOfWhereTheRunStarted(t *testing.T) {
	rules, rep := report(t, false)
	focus := `'The batch answers \[in order\] \(x\)$'`
	for _, tc := range []struct {
		name string
		run  Run
		want Rerun
	}{
		{"the kit's folder", Run{Profile: spec.Doc, Kit: true, Settings: []string{"--target=http://h:1"}, ReportDir: "/r"}, Rerun{
			Ginkgo: "go tool ginkgo --label-filter=ORD-1 --focus=" + focus + " --seed=1746 ./suites -- --target=http://h:1 --report-dir=/r/rerun",
			Binary: "bin/spacedog-conformance --ginkgo.label-filter=ORD-1 --ginkgo.focus=" + focus + " --ginkgo.seed=1746 --target=http://h:1 --report-dir=/r/rerun"}},
		{"the binary, by its name", Run{Profile: spec.Doc, Binary: "./spacedog-conformance", Settings: []string{"--target=http://h:1"}}, Rerun{
			Binary: "./spacedog-conformance --ginkgo.label-filter=ORD-1 --ginkgo.focus=" + focus + " --ginkgo.seed=1746 --target=http://h:1"}},
		{"the Go API", Run{Profile: spec.Doc, GoTest: "go test -run '^TestConformance$/^doc$' ./api", Settings: []string{"--target=http://h:1"}, ReportDir: "/r"}, Rerun{
			GoTest: "go test -run '^TestConformance$/^doc$' ./api -args -ginkgo.label-filter=ORD-1 -ginkgo.focus=" + focus + " -ginkgo.seed=1746"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := Build(tc.run, Rules(rules, rep), rep, "v1")
			if got := res.Rules[0].Specs[1].Failure.Rerun; got != tc.want {
				t.Errorf("rerun:\n%+v\nwant:\n%+v", got, tc.want)
			}
			var md bytes.Buffer
			if err := res.WriteMarkdown(&md, true); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(md.String(), "./suites") != tc.run.Kit {
				t.Errorf("conformance.md names ./suites: %v, want %v", !tc.run.Kit, tc.run.Kit)
			}
			var js bytes.Buffer
			if err := res.WriteJSON(&js); err != nil {
				t.Fatal(err)
			}
			if err := validate(compileSchema(t), js.Bytes()); err != nil {
				t.Errorf("results.json breaks its schema: %v", err)
			}
		})
	}
}

// A generative finding replays by its seed: with the suites' flags, or
// with the Go API's, which take the seed over the test's Config.
func TestAGenerativeReplayIsWrittenForWhereTheRunStarted(t *testing.T) {
	for _, tc := range []struct {
		run  Run
		want string
	}{
		{Run{Profile: spec.Doc, Settings: []string{"--target=http://h", "--gen-sequences=5"}, ReportDir: "r"},
			"bin/spacedog-conformance --ginkgo.label-filter=generative --target=http://h --gen-seed=9 --gen-sequences=1 --report-dir=r/rerun"},
		{Run{GoTest: "go test -run '^TestX$' .", Settings: []string{"--target=http://h"}},
			"go test -run '^TestX$' . -args -ginkgo.label-filter=generative -conformance.gen-seed=9 -conformance.gen-sequences=1"},
	} {
		if got := tc.run.Replay("generative", "--gen-seed=9", "--gen-sequences=1"); got != tc.want {
			t.Errorf("replay:\n%s\nwant:\n%s", got, tc.want)
		}
	}
}

// The concurrency mode replays by its seed too, as the binary or the Go
// API runs it.
func TestTheConcurrencyModeReplaysByItsSeed(t *testing.T) {
	for run, want := range map[*Run]string{
		{Profile: spec.Doc, Settings: []string{"--target=http://h", "--conc-seed=1"}}: "bin/spacedog-conformance --ginkgo.label-filter=concurrency --target=http://h --conc-seed=7",
		{GoTest: "go test -run '^TestX$' ."}:                                          "go test -run '^TestX$' . -args -ginkgo.label-filter=concurrency -conformance.conc-seed=7",
	} {
		if got := run.Replay("concurrency", "--conc-seed=7"); got != want {
			t.Errorf("replay:\n%s\nwant:\n%s", got, want)
		}
	}
}
