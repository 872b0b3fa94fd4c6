package summary

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/spacedog-oss/batchkit/internal/buildinfo"
)

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
	case res.nothingChecked():
		// No rule's spec ran, nor did the generative mode pass: a run that
		// judged nothing is no pass (a label filter of a mode that was
		// skipped, every spec waiting for a setting).
		res.Verdict = VerdictIncomplete
		res.Problems = append(res.Problems, "no rule was checked: "+cmp.Or(res.uncheckedList(false), "every spec was left out"))
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

// nothingChecked reports whether no rule had a spec that ran, and the
// generative mode passed no sequence either.
func (r Results) nothingChecked() bool {
	if r.Generative != nil && r.Generative.Outcome == Pass {
		return false
	}
	return r.Counts.Pass+r.Counts.Fail+r.Counts.NotMet == 0
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
		if r.NotRun == 0 && r.nothingChecked() {
			line = "**incomplete**: no rule was checked"
			if l := r.uncheckedList(false); l != "" {
				line += "; not checked: " + l
			}
			return line
		}
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
