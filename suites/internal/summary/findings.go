package summary

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/spacedog-oss/batchkit/spec"
	"github.com/spacedog-oss/batchkit/suites/internal/exchange"
)

// EntryFindings is the report entry of the replies a spec met that break
// the spec's document under a rule: a []Finding.
const EntryFindings = "findings"

// NotRunPrefix starts the note of a spec that the run did not get to: the
// target was down, or the run's time was up.
const NotRunPrefix = "not run: "

// Finding is a reply that breaks the document under a rule its schema
// names, met by whichever spec read it: it fails that rule, once per
// distinct violation, however many specs met it.
type Finding struct {
	Rule     string   `json:"rule"`
	Message  string   `json:"message"` // the first reply's, with the request that got it
	Count    int      `json:"count"`   // replies that broke the document the same way
	Spec     string   `json:"spec"`    // the first spec that met it
	Exchange Exchange `json:"exchange"`
	key      string   // what makes two findings the same violation
}

// NewFinding makes the finding of one reply, under one of its rules.
func NewFinding(rule string, f spec.Finding, ex exchange.Exchange) Finding {
	msg := fmt.Sprintf("%s %s answered %d: %v", ex.Method, pathOf(ex.URL), ex.Status, f)
	return Finding{Rule: rule, Message: msg, Count: 1,
		Exchange: Exchange{Method: ex.Method, URL: ex.URL, Status: ex.Status, Text: ex.String()},
		key:      strings.Join([]string{rule, f.Operation, anyIndex.ReplaceAllString(f.Pointer, "/*"), f.Keyword}, " ")}
}

var anyIndex = regexp.MustCompile(`/[0-9]+`)

// Key says which findings are the same violation: the rule, the
// operation, where in the body (any index), and the schema keyword.
func (f Finding) Key() string { return f.key }

// findingsEntry is a Finding as it travels in a report entry, key included.
type findingsEntry struct {
	Finding
	Key string `json:"key"`
}

// FindingsEntry is the value of a spec's EntryFindings report entry.
func FindingsEntry(fs []Finding) []findingsEntry {
	out := make([]findingsEntry, len(fs))
	for i, f := range fs {
		out[i] = findingsEntry{Finding: f, Key: f.key}
	}
	return out
}

// findingsOf reads a spec's findings: the value itself in the process that
// added it, its JSON from another parallel process.
func findingsOf(s types.SpecReport) []Finding {
	var out []Finding
	for _, e := range s.ReportEntries {
		if e.Name != EntryFindings {
			continue
		}
		entries, ok := e.GetRawValue().([]findingsEntry)
		if !ok && json.Unmarshal([]byte(e.Value.AsJSON), &entries) != nil {
			continue
		}
		for _, fe := range entries {
			f := fe.Finding
			f.key = fe.Key
			if f.Spec == "" {
				f.Spec = s.FullText()
			}
			out = append(out, f)
		}
	}
	return out
}

// ruleFindings gathers the distinct findings of each rule, with their
// counts, in the order the run met them.
func ruleFindings(report types.Report) map[string][]Finding {
	out := map[string][]Finding{}
	for _, s := range report.SpecReports {
		for _, f := range findingsOf(s) {
			fs := out[f.Rule]
			if i := slices.IndexFunc(fs, func(g Finding) bool { return g.key == f.key }); i >= 0 {
				fs[i].Count += f.Count
				continue
			}
			out[f.Rule] = append(fs, f)
		}
	}
	return out
}
