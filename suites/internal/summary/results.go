package summary

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"
)

// SchemaVersion is results.json's format; a change that breaks its readers
// raises it.
const SchemaVersion = 1

// InProcess is the target's name in a run against the in-process mock.
const InProcess = "in-process mock"

//go:embed results.schema.json
var schema []byte

// Schema is the JSON Schema (2020-12) of results.json.
func Schema() []byte { return slices.Clone(schema) }

// Run says what a run checked and how to run it again.
type Run struct {
	Target  string // the target's URL; "" for the in-process mock
	Profile string
	Strict  bool
	// RequireAll: a MUST rule of the profile not checked fails the run.
	RequireAll bool
	// Settings are the suites' flags that set the run up, for the rerun
	// commands (--target=URL, --profile=P, ...); credentials excluded.
	Settings []string
	// How the run was started, which decides the rerun commands: GoTest,
	// the go test command of the Go API's calling test; else the suites'
	// binary, called as Binary, and, when Kit says the run was started
	// from the kit's folder (go test or ginkgo), go tool ginkgo ./suites.
	GoTest string
	Binary string
	Kit    bool
	// ReportDir is the run's report folder: a rerun writes into its rerun
	// folder, never over the run's reports.
	ReportDir string
}

// Results is one run's outcome, as results.json holds it and every
// report shows it.
type Results struct {
	SchemaVersion int    `json:"schemaVersion"`
	Kit           Kit    `json:"kit"`
	Target        string `json:"target"` // a URL, or InProcess
	Profile       string `json:"profile"`
	Strict        bool   `json:"strict"`
	Conforms      bool   `json:"conforms"` // the run passed: no MUST rule failed (nor a SHOULD rule, strict), and it ran to its end
	// Verdict is the run's in a word: conforms, does not conform, or
	// incomplete (specs not run: the target down, the run's time up, a
	// signal); VerdictLine says it in full.
	Verdict string `json:"verdict"`
	// NotRun counts the specs the run did not get to.
	NotRun int `json:"notRun"`
	// Must counts the profile's MUST rules; Unchecked lists those that
	// no spec checked, and what each needs.
	Must      int         `json:"must"`
	Unchecked []Unchecked `json:"unchecked"`
	Started   time.Time   `json:"started"`
	Seconds   float64     `json:"seconds"`
	Requests  int         `json:"requests"` // requests sent to the target
	Seed      int64       `json:"seed"`     // Ginkgo's random seed
	Counts    Counts      `json:"counts"`   // rules by outcome
	// Problems are what went wrong outside the rules' own specs: each
	// failure that no rule carries (setting up, tearing down, a spec of no
	// rule, a rule that no spec checks, --require-all), counted in
	// Counts.Fail, and why specs were not run.
	Problems []string     `json:"problems"`
	Rules    []RuleResult `json:"rules"`
	// Generative is what the generative mode did, pass or fail, when it ran.
	Generative *GenerativeRun `json:"generative,omitempty"`
}

// The verdicts.
const (
	VerdictConforms   = "conforms"
	VerdictFails      = "does not conform"
	VerdictIncomplete = "incomplete"
)

// Unchecked is a MUST rule of the profile that the run did not check,
// and the settings its specs need.
type Unchecked struct {
	Rule  string `json:"rule"`
	Needs string `json:"needs"` // "give --username2, --password2"; what the specs said, when they named no flag
	// Partly: some specs of the rule ran, and it has the outcome they
	// gave; the others wait for the settings Needs names.
	Partly bool `json:"partly,omitempty"`
}

// Kit is the conformance kit that ran.
type Kit struct {
	Module  string `json:"module"`
	Version string `json:"version"` // a module version, git describe's output, or devel
}

// Counts counts the rules of each outcome; Fail counts the failures
// outside the rules too (Outside of them, each in Problems).
type Counts struct {
	Pass    int `json:"pass"`
	Fail    int `json:"fail"`
	NotMet  int `json:"not-met"`
	NotRun  int `json:"not-run"`
	Skipped int `json:"skipped"`
	Outside int `json:"outside"`
}

func (c *Counts) add(o Outcome) {
	switch o {
	case Pass:
		c.Pass++
	case Fail:
		c.Fail++
	case NotMet:
		c.NotMet++
	case NotRun:
		c.NotRun++
	default:
		c.Skipped++
	}
}

// RuleResult is a rule's outcome and its specs.
type RuleResult struct {
	ID      string       `json:"id"`
	Level   string       `json:"level"` // MUST or SHOULD
	Summary string       `json:"summary"`
	Outcome Outcome      `json:"outcome"`
	Specs   []SpecResult `json:"specs"`
	// Findings are replies that broke the document under this rule, in
	// whichever spec met them: each distinct one once, with its count.
	Findings []Finding `json:"findings,omitempty"`
}

// Area is the rule's area prefix (ORD, SUB, ...).
func (r RuleResult) Area() string { return areaOf(r.ID) }

// Open reports whether a report shows the rule's failures.
func (r RuleResult) Open() bool { return r.Outcome == Fail || r.Outcome == NotMet }

// SpecResult is one spec that carries the rule's ID.
type SpecResult struct {
	Text    string   `json:"text"`
	Outcome Outcome  `json:"outcome"`
	State   string   `json:"state"` // Ginkgo's: passed, failed, skipped, panicked...
	Seconds float64  `json:"seconds"`
	Note    string   `json:"note,omitempty"` // why it was skipped
	Failure *Failure `json:"failure,omitempty"`
}

// Failure is a failed spec, or a SHOULD spec not met: what went wrong,
// the exchanges, and how to replay them and rerun the spec.
type Failure struct {
	Message   string     `json:"message"`
	Location  string     `json:"location"`
	Exchanges []Exchange `json:"exchanges"`
	Earlier   int        `json:"earlierExchanges"` // the spec's exchanges before these, not kept
	Rerun     Rerun      `json:"rerun"`
	// Timeline is a page beside the reports that draws the spec's history
	// (the concurrency mode's), by its file name.
	Timeline string `json:"timeline,omitempty"`
}

// WriteJSON writes results.json.
func (r Results) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// ReadJSON reads a results.json, of this format.
func ReadJSON(rd io.Reader) (Results, error) {
	var r Results
	if err := json.NewDecoder(rd).Decode(&r); err != nil {
		return r, err
	}
	if r.SchemaVersion == 0 {
		return r, errors.New("not a results.json of the conformance suites: no schemaVersion")
	}
	if r.SchemaVersion != SchemaVersion {
		return r, fmt.Errorf("schemaVersion %d, not %d: written by another version of the kit", r.SchemaVersion, SchemaVersion)
	}
	return r, nil
}
