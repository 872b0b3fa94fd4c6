// Package summary turns a Ginkgo report of the suites into the reports a
// team acts on: per contract rule, its level and whether the target keeps
// it, each failure with its exchanges and the commands that replay it. It
// writes conformance.md, results.json (its schema is results.schema.json)
// and conformance.html, and merges several runs' results into a matrix.
package summary

import (
	"cmp"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/spacedog-oss/batchkit/spec"
	"github.com/spacedog-oss/batchkit/suites/internal/exchange"
)

// Names of the report entries the suites add to a spec.
const (
	EntryShouldNotMet = "should-not-met" // a SHOULD rule failed, not fatally
	EntryExchanges    = "exchanges"      // the last exchanges of a failed spec: an Exchanges
	EntryRequests     = "requests"       // requests the spec sent
	// EntryTimeline names the file, in the report folder, that draws a
	// failed spec's history as a timeline (the concurrency mode's).
	EntryTimeline = "timeline"
	// EntryRerunFlags are flags, space-separated, that the commands
	// rerunning a failed spec add to the run's settings (the concurrency
	// mode's seed).
	EntryRerunFlags = "rerun-flags"
)

// Outcome is a rule's or a spec's verdict, as results.json writes it.
type Outcome string

// Outcomes, best first.
const (
	Pass    Outcome = "pass"
	Fail    Outcome = "fail"
	NotMet  Outcome = "not-met" // a SHOULD rule, outside strict mode
	NotRun  Outcome = "not-run" // the run ended before a spec of the rule: the target down, its time up, a signal
	Skipped Outcome = "skipped" // no spec of the rule ran
)

// Label is the outcome as conformance.md and the pages show it: a failure
// stands out.
func (o Outcome) Label() string {
	switch o {
	case Fail:
		return "FAIL"
	case NotMet:
		return "not met"
	case NotRun:
		return "not run"
	}
	return string(o)
}

// Rule is one rule's outcome and the specs that carry its ID.
type Rule struct {
	spec.Rule
	Outcome Outcome
	Specs   []types.SpecReport
	// Findings are the replies, met by any spec, that break the document
	// under this rule: each distinct one once, with its count.
	Findings []Finding
	ended    bool // the run ended early: a spec skipped without a word was not run
}

// Rules gives each rule its outcome from the specs labelled with its ID,
// and from the findings under it, in the contract's order: by area
// (Areas), then by number.
func Rules(rules []spec.Rule, report types.Report) []Rule {
	found := ruleFindings(report)
	ended := endedEarly(report)
	out := make([]Rule, 0, len(rules))
	for _, r := range rules {
		res := Rule{Rule: r, Findings: found[r.ID], ended: ended}
		for _, s := range report.SpecReports {
			if s.LeafNodeType == types.NodeTypeIt && slices.Contains(s.Labels(), r.ID) {
				res.Specs = append(res.Specs, s)
			}
			// A generative finding fails the rules its comparison names.
			if seq, ok := sequenceOf(s); ok && s.State.Is(types.SpecStateFailureStates) && slices.Contains(seq.Rules, r.ID) {
				res.Specs = append(res.Specs, s)
			}
		}
		res.Outcome = outcome(res.Specs, ended)
		if len(res.Findings) > 0 {
			res.Outcome = Fail
		}
		out = append(out, res)
	}
	slices.SortStableFunc(out, func(a, b Rule) int { return compareIDs(a.ID, b.ID) })
	return out
}

// endedEarly reports whether the run stopped before its end: interrupted
// by a signal, out of time, or aborted.
func endedEarly(report types.Report) bool { return len(report.SpecialSuiteFailureReasons) > 0 }

func outcome(specs []types.SpecReport, ended bool) Outcome {
	seen := map[Outcome]bool{}
	for _, s := range specs {
		seen[specOutcome(s, ended)] = true
	}
	for _, o := range []Outcome{Fail, NotMet, NotRun, Pass} {
		if seen[o] {
			return o
		}
	}
	return Skipped
}

func specOutcome(s types.SpecReport, ended bool) Outcome {
	switch {
	case s.State == types.SpecStateInterrupted:
		return NotRun
	case s.State.Is(types.SpecStateFailureStates):
		return Fail
	case entry(s, EntryShouldNotMet) != "":
		return NotMet
	case s.State == types.SpecStatePassed:
		return Pass
	case strings.HasPrefix(s.Failure.Message, NotRunPrefix), ended && s.Failure.Message == "":
		return NotRun
	}
	return Skipped
}

// Area is a group of rules: the prefix of their IDs.
type Area struct {
	Prefix, Name string
}

// Areas lists the contract's areas in its order.
func Areas() []Area {
	return []Area{
		{"ORD", "Order and effects"},
		{"SUB", "Sub-requests"},
		{"STOP", "stopOnError"},
		{"CONC", "Concurrent clients"},
		{"LIM", "Whole-batch outcomes"},
		{"ERR", "Errors"},
		{"SEC", "Security"},
		{"DATA", "The data API"},
	}
}

// areaOf is the prefix of a rule ID.
func areaOf(id string) string {
	prefix, _, _ := strings.Cut(id, "-")
	return prefix
}

// compareIDs orders rule IDs by area, in the contract's order (an unknown
// area last, by name), then by number.
func compareIDs(a, b string) int {
	rank := func(id string) (int, string, int) {
		prefix, num, _ := strings.Cut(id, "-")
		n, _ := strconv.Atoi(num)
		i := slices.IndexFunc(Areas(), func(ar Area) bool { return ar.Prefix == prefix })
		if i < 0 {
			i = len(Areas())
		}
		return i, prefix, n
	}
	ai, ap, an := rank(a)
	bi, bp, bn := rank(b)
	return cmp.Or(cmp.Compare(ai, bi), strings.Compare(ap, bp), cmp.Compare(an, bn), strings.Compare(a, b))
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

// Exchanges is the report entry of a failed spec's exchanges, the last
// ones kept by the client: each as text, credentials redacted, and as a
// curl command that reads them from the environment. Nothing in it is a
// secret: it travels between parallel processes and into Ginkgo's reports.
type Exchanges struct {
	Kept    []Exchange `json:"kept"`
	Earlier int        `json:"earlier"` // the spec's exchanges before these, not kept
}

// Exchange is one request of a spec and the status it got.
type Exchange struct {
	Method string `json:"method"`
	URL    string `json:"url"`
	Status int    `json:"status"`
	Text   string `json:"text"` // request and response, credentials redacted, long bodies cut
	Curl   string `json:"curl"` // the request as a curl command
}

// NewExchanges makes the entry from the last exchanges of a spec that sent
// total requests; creds are the users whose credentials the replays read
// from the environment.
func NewExchanges(kept []exchange.Exchange, total int, creds []Credential) Exchanges {
	out := Exchanges{Earlier: max(total-len(kept), 0)}
	for _, ex := range kept {
		out.Kept = append(out.Kept, Exchange{Method: ex.Method, URL: ex.URL, Status: ex.Status, Text: ex.String(), Curl: curl(ex, creds)})
	}
	return out
}

// String shows the exchanges, as Ginkgo prints the entry of a failed spec.
func (e Exchanges) String() string {
	var b strings.Builder
	for _, ex := range e.Kept {
		b.WriteString(ex.Text)
		b.WriteString("\n")
	}
	return b.String()
}

// exchangesOf reads a spec's Exchanges entry: the value itself in the
// process that added it, its JSON from another parallel process.
func exchangesOf(s types.SpecReport) (Exchanges, bool) {
	for _, e := range s.ReportEntries {
		if e.Name != EntryExchanges {
			continue
		}
		if ex, ok := e.GetRawValue().(Exchanges); ok {
			return ex, true
		}
		var ex Exchanges
		if json.Unmarshal([]byte(e.Value.AsJSON), &ex) == nil {
			return ex, true
		}
	}
	return Exchanges{}, false
}
