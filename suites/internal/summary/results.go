package summary

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/spacedog-oss/batchkit/internal/buildinfo"
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
	// Binary is how the rerun commands call the suites' binary.
	Binary string
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

// Rerun holds the commands that rerun one spec, with the run's settings
// and seed: with the ginkgo CLI from the kit's folder, and with the
// suites' binary.
type Rerun struct {
	Ginkgo string `json:"ginkgo"`
	Binary string `json:"binary"`
}

// Build makes a run's results from its Ginkgo report; rules come from
// Rules, version from buildinfo.Version.
func Build(run Run, rules []Rule, report types.Report, version string) Results {
	res := Results{
		SchemaVersion: SchemaVersion,
		Kit:           Kit{Module: buildinfo.Module, Version: version},
		Target:        run.Target,
		Profile:       run.Profile,
		Strict:        run.Strict,
		Started:       report.StartTime.UTC(),
		Seconds:       report.RunTime.Seconds(),
		Requests:      Requests(report),
		Seed:          report.SuiteConfig.RandomSeed,
		Problems:      []string{},
		Rules:         []RuleResult{},
		Unchecked:     []Unchecked{},
	}
	if res.Target == "" {
		res.Target = InProcess
	}
	if run.Binary == "" {
		run.Binary = "bin/spacedog-conformance"
	}
	ended := endedEarly(report)
	// Failures outside the rules: each one a problem, counted in Fail.
	var outside []string
	for _, s := range report.SpecReports {
		if !s.State.Is(types.SpecStateFailureStates) || s.State == types.SpecStateInterrupted {
			continue
		}
		switch {
		case s.LeafNodeType != types.NodeTypeIt:
			outside = append(outside, fmt.Sprintf("%s failed: %s", s.LeafNodeType, strings.TrimSpace(s.Failure.Message)))
		case !carried(s, rules):
			outside = append(outside, fmt.Sprintf("%q failed, a spec of no rule: %s", s.FullText(), strings.TrimSpace(s.Failure.Message)))
		}
	}
	if u := Uncovered(rules); len(u) > 0 {
		outside = append(outside, "contract rules that no spec checks: "+strings.Join(u, ", "))
	}
	var notRun, notRunWhy []string
	for _, r := range rules {
		rr := RuleResult{ID: r.ID, Level: r.Level, Summary: r.Summary, Outcome: r.Outcome, Specs: []SpecResult{}, Findings: r.Findings}
		var notes []string
		for _, s := range r.Specs {
			sr := SpecResult{Text: s.FullText(), Outcome: specOutcome(s, r.ended), State: s.State.String(), Seconds: s.RunTime.Seconds()}
			switch sr.Outcome {
			case Fail, NotMet:
				sr.Failure = failure(run, res.Seed, r, s)
			case Skipped, NotRun:
				sr.Note = strings.TrimSpace(s.Failure.Message)
				notes = append(notes, sr.Note)
			}
			if sr.Outcome == NotRun && !slices.Contains(notRun, s.FullText()) {
				notRun = append(notRun, s.FullText())
				if why := strings.TrimPrefix(sr.Note, NotRunPrefix); why != sr.Note && !slices.Contains(notRunWhy, why) {
					notRunWhy = append(notRunWhy, why)
				}
			}
			rr.Specs = append(rr.Specs, sr)
		}
		res.Counts.add(rr.Outcome)
		res.Rules = append(res.Rules, rr)
		if r.Level != "MUST" || rr.Outcome == Skipped && otherProfile(notes) {
			continue
		}
		res.Must++
		switch {
		case rr.Outcome == Skipped:
			res.Unchecked = append(res.Unchecked, Unchecked{Rule: r.ID, Needs: needs(notes)})
		case rr.Outcome != NotRun && len(flagsOf(notes)) > 0:
			res.Unchecked = append(res.Unchecked, Unchecked{Rule: r.ID, Needs: needs(notes), Partly: true})
		}
	}
	res.NotRun = len(notRun)
	if run.RequireAll && len(res.Unchecked) > 0 {
		msg := "--require-all: MUST rules not checked"
		if l := res.uncheckedList(false); l != "" {
			msg += ": " + l
		}
		if l := res.uncheckedList(true); l != "" {
			msg += "; partly checked: " + l
		}
		outside = append(outside, msg)
	}
	failed := res.Counts.Fail > 0 || len(outside) > 0
	if !report.SuiteSucceeded && !failed && !ended && res.NotRun == 0 {
		// Nothing above says why the suite failed: it still fails the run,
		// and no report may say so with nothing to show for it.
		outside = append(outside, "the suite failed, and no spec or node says where: see the run's log")
	}
	res.Counts.Outside = len(outside)
	res.Counts.Fail += len(outside)
	res.Problems = append(res.Problems, outside...)
	res.Problems = append(res.Problems, report.SpecialSuiteFailureReasons...)
	for _, why := range notRunWhy {
		res.Problems = append(res.Problems, "specs not run: "+why)
	}
	res.Generative = generativeRun(report, ended)
	switch {
	case res.NotRun > 0 || ended:
		res.Verdict = VerdictIncomplete
	case res.Counts.Fail > 0:
		res.Verdict = VerdictFails
	default:
		res.Verdict = VerdictConforms
	}
	res.Conforms = res.Verdict == VerdictConforms
	return res
}

// carried reports whether a spec is one of a rule's: by its label, or by
// the rules its generative finding names.
func carried(s types.SpecReport, rules []Rule) bool {
	for _, r := range rules {
		if slices.ContainsFunc(r.Specs, func(x types.SpecReport) bool { return x.LeafNodeText == s.LeafNodeText && x.FullText() == s.FullText() }) {
			return true
		}
	}
	return false
}

// checked counts the MUST rules some spec checked.
func (r Results) checked() int {
	n := r.Must
	for _, u := range r.Unchecked {
		if !u.Partly {
			n--
		}
	}
	return n
}

// otherProfile reports whether a rule's specs all hold in another
// profile: the rule is not the run's profile's to check.
func otherProfile(notes []string) bool {
	if len(notes) == 0 {
		return false
	}
	for _, n := range notes {
		if !strings.HasPrefix(n, "holds in the ") {
			return false
		}
	}
	return true
}

var flagName = regexp.MustCompile(`--[a-z][a-z0-9-]*`)

// flagsOf are the flags the notes of skipped specs name: the settings they
// wait for.
func flagsOf(notes []string) []string {
	var flags []string
	for _, n := range notes {
		for _, f := range flagName.FindAllString(n, -1) {
			if !slices.Contains(flags, f) {
				flags = append(flags, f)
			}
		}
	}
	return flags
}

// needs says what the skipped specs of a rule asked for: the flags they
// name ("give --username2, --password2"), else their own words.
func needs(notes []string) string {
	flags := flagsOf(notes)
	if len(flags) > 0 {
		return "give " + strings.Join(flags, ", ")
	}
	for _, n := range notes {
		if n != "" {
			return n
		}
	}
	return "no spec of the rule ran (a --ginkgo.label-filter or focus?)"
}

// uncheckedList writes the MUST rules not checked, or only partly, and
// their needs: "SUB-3, SUB-4: give --username2, --password2; DATA-7: give
// --destructive".
func (r Results) uncheckedList(partly bool) string {
	var parts []string
	var list []Unchecked
	for _, u := range r.Unchecked {
		if u.Partly == partly {
			list = append(list, u)
		}
	}
	for i := 0; i < len(list); {
		j := i
		var ids []string
		for j < len(list) && list[j].Needs == list[i].Needs {
			ids = append(ids, list[j].Rule)
			j++
		}
		parts = append(parts, strings.Join(ids, ", ")+": "+list[i].Needs)
		i = j
	}
	return strings.Join(parts, "; ")
}

// Word is the verdict in a word; for a results.json written before the
// verdict had its field, what its conforms says.
func (r Results) Word() string {
	if r.Verdict != "" {
		return r.Verdict
	}
	return verdict(r.Conforms)
}

// PlainVerdict is VerdictLine without its Markdown.
func (r Results) PlainVerdict() string { return strings.ReplaceAll(r.VerdictLine(), "**", "") }

// VerdictLine is the verdict as every report states it: what the run
// checked, and what it did not.
func (r Results) VerdictLine() string {
	var line string
	switch r.Verdict {
	case VerdictIncomplete:
		line = fmt.Sprintf("**incomplete**: %d specs not run", r.NotRun)
		if r.Counts.Fail > 0 {
			line += fmt.Sprintf("; %d FAIL among those checked", r.Counts.Fail)
		}
		return line
	case VerdictConforms:
		switch checked := r.checked(); {
		case checked == 0 && r.Generative != nil && r.Generative.Outcome == Pass:
			g := r.Generative
			line = fmt.Sprintf("**conforms** in the generative mode (%d sequences, %d requests, seed %d); the rules' own specs did not run", g.Sequences, g.Requests, g.Seed)
		case checked < r.Must:
			line = fmt.Sprintf("**conforms to %d of %d MUST rules**", checked, r.Must)
		default:
			line = "**conforms**"
		}
	default:
		line = fmt.Sprintf("**does not conform**: %d FAIL", r.Counts.Fail)
	}
	if l := r.uncheckedList(false); l != "" {
		line += "; not checked: " + l
	}
	if l := r.uncheckedList(true); l != "" {
		line += "; partly checked: " + l
	}
	return line
}

func failure(run Run, seed int64, r Rule, s types.SpecReport) *Failure {
	f := &Failure{Message: strings.TrimSpace(s.Failure.Message), Location: s.FailureLocation().String(), Exchanges: []Exchange{}}
	if nm := entry(s, EntryShouldNotMet); nm != "" {
		f.Message = strings.TrimSpace(nm)
	}
	f.Timeline = entry(s, EntryTimeline)
	if seq, ok := sequenceOf(s); ok {
		// A generative finding reruns by its seed, in the generative mode.
		binary := seq.Replay
		_, args, _ := strings.Cut(binary, " ")
		var flags, ginkgo []string
		for _, a := range strings.Fields(args) {
			if g, ok := strings.CutPrefix(a, "--ginkgo."); ok {
				ginkgo = append(ginkgo, "--"+g)
			} else {
				flags = append(flags, a)
			}
		}
		f.Rerun = Rerun{Ginkgo: strings.Join(slices.Concat([]string{"go tool ginkgo"}, ginkgo, []string{"./suites", "--"}, flags), " "), Binary: binary}
		return f
	}
	if ex, ok := exchangesOf(s); ok {
		f.Exchanges = append(f.Exchanges, ex.Kept...)
		f.Earlier = ex.Earlier
	}
	// The rule's label selects its specs; the text picks this one among them.
	filter := []string{"label-filter=" + r.ID}
	if len(r.Specs) > 1 {
		filter = append(filter, "focus="+regexp.QuoteMeta(s.FullText())+"$")
	}
	filter = append(filter, fmt.Sprintf("seed=%d", seed))
	var ginkgo, binary []string
	for _, fl := range filter {
		name, value, _ := strings.Cut(fl, "=")
		ginkgo = append(ginkgo, "--"+name+"="+shellWord(value))
		binary = append(binary, "--ginkgo."+name+"="+shellWord(value))
	}
	// The spec's own settings, its seed say, win over the run's.
	own := strings.Fields(entry(s, EntryRerunFlags))
	var settings []string
	for _, st := range slices.Concat(run.Settings, own) {
		name, value, ok := strings.Cut(st, "=")
		if ok && !slices.Contains(own, st) && slices.ContainsFunc(own, func(o string) bool { return strings.HasPrefix(o, name+"=") }) {
			continue
		}
		if ok {
			st = name + "=" + shellWord(value)
		}
		settings = append(settings, st)
	}
	g := append(append([]string{"go tool ginkgo"}, ginkgo...), "./suites")
	if len(settings) > 0 {
		g = append(append(g, "--"), settings...)
	}
	f.Rerun = Rerun{
		Ginkgo: strings.Join(g, " "),
		Binary: strings.Join(append(append([]string{shellWord(run.Binary)}, binary...), settings...), " "),
	}
	return f
}

// shellWord is s as one shell word: bare when it is safe so, else in
// single quotes.
func shellWord(s string) string {
	if s != "" && strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.,/:@%+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
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
