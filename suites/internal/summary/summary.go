// Package summary turns a Ginkgo report of the suites into the conformance
// summary: per contract rule, its level and whether the target keeps it.
package summary

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/onsi/ginkgo/v2/types"
	"github.com/spacedog-oss/batchkit/spec"
)

// Names of the report entries the suites add to a spec.
const (
	EntryShouldNotMet = "should-not-met" // a SHOULD rule failed, not fatally
	EntryExchanges    = "exchanges"      // the last exchanges of a failed spec
	EntryRequests     = "requests"       // requests the spec sent
)

// Outcomes of a rule.
const (
	Pass    = "pass"
	Fail    = "FAIL"
	NotMet  = "not met" // a SHOULD rule, outside strict mode
	Skipped = "skipped"
)

// Rule is one rule's outcome and the specs that carry its ID.
type Rule struct {
	spec.Rule
	Outcome string
	Specs   []types.SpecReport
}

// Rules gives each rule its outcome from the specs labelled with its ID.
func Rules(rules []spec.Rule, report types.Report) []Rule {
	out := make([]Rule, 0, len(rules))
	for _, r := range rules {
		res := Rule{Rule: r, Outcome: Skipped}
		for _, s := range report.SpecReports {
			if s.LeafNodeType == types.NodeTypeIt && slices.Contains(s.Labels(), r.ID) {
				res.Specs = append(res.Specs, s)
			}
		}
		res.Outcome = outcome(res.Specs)
		out = append(out, res)
	}
	return out
}

func outcome(specs []types.SpecReport) string {
	var failed, notMet, passed bool
	for _, s := range specs {
		switch {
		case s.State.Is(types.SpecStateFailureStates):
			failed = true
		case entry(s, EntryShouldNotMet) != "":
			notMet = true
		case s.State == types.SpecStatePassed:
			passed = true
		}
	}
	switch {
	case failed:
		return Fail
	case notMet:
		return NotMet
	case passed:
		return Pass
	}
	return Skipped
}

// Uncovered lists the rules that no spec carries.
func Uncovered(rules []Rule) []string {
	var ids []string
	for _, r := range rules {
		if len(r.Specs) == 0 {
			ids = append(ids, r.ID)
		}
	}
	return ids
}

// Requests adds up the requests the suite's nodes sent.
func Requests(report types.Report) int {
	n := 0
	for _, s := range report.SpecReports {
		for _, e := range s.ReportEntries {
			if e.Name == EntryRequests {
				v, _ := strconv.Atoi(e.StringRepresentation())
				n += v
			}
		}
	}
	return n
}

func entry(s types.SpecReport, name string) string {
	for _, e := range s.ReportEntries {
		if e.Name == name {
			return e.StringRepresentation()
		}
	}
	return ""
}

// Header says what was checked.
type Header struct {
	Target, Profile string
	Strict          bool
}

// Write renders the summary as Markdown.
func Write(w io.Writer, h Header, rules []Rule, report types.Report) error {
	counts := map[string]int{}
	for _, r := range rules {
		counts[r.Outcome]++
	}
	verdict := "conforms"
	if !report.SuiteSucceeded {
		verdict = "does not conform"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# SpaceDog /1/batch conformance\n\n")
	fmt.Fprintf(&b, "- target: %s\n- profile: %s\n- strict: %v\n- verdict: **%s**\n", h.Target, h.Profile, h.Strict, verdict)
	fmt.Fprintf(&b, "- rules: %d pass, %d FAIL, %d not met, %d skipped\n", counts[Pass], counts[Fail], counts[NotMet], counts[Skipped])
	fmt.Fprintf(&b, "- requests sent: %d\n- run time: %s\n\n", Requests(report), report.RunTime.Round(1e6))
	b.WriteString("| rule | level | outcome | specs | summary |\n|---|---|---|---|---|\n")
	for _, r := range rules {
		fmt.Fprintf(&b, "| %s | %s | %s | %d | %s |\n", r.ID, r.Level, r.Outcome, len(r.Specs), r.Summary)
	}
	for _, r := range rules {
		if r.Outcome != Fail && r.Outcome != NotMet {
			continue
		}
		fmt.Fprintf(&b, "\n## %s (%s): %s\n", r.ID, r.Level, r.Outcome)
		for _, s := range r.Specs {
			msg := s.Failure.Message
			if nm := entry(s, EntryShouldNotMet); nm != "" {
				msg = nm
			} else if !s.State.Is(types.SpecStateFailureStates) {
				continue
			}
			fmt.Fprintf(&b, "\n### %s\n\n%s\n\n```\n%s\n```\n", s.FullText(), s.FailureLocation(), strings.TrimSpace(msg))
			if ex := entry(s, EntryExchanges); ex != "" {
				fmt.Fprintf(&b, "\nLast exchanges (credentials redacted):\n\n```\n%s```\n", ex)
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
