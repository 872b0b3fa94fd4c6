package summary

import (
	"fmt"
	"slices"
	"strings"
)

// maxBriefRules is how many failed rules a brief names one by one.
const maxBriefRules = 12

// Brief is the verdict in a few lines, for a log that a person reads
// first: the verdict line, then each failed rule with its first failed
// spec and the first line of its message, then the problems outside the
// rules, then the command that reruns the first failure.
func (r Results) Brief() string {
	lines := []string{r.PlainVerdict()}
	var rerun string
	shown := 0
	for _, rule := range r.Rules {
		if !rule.Open() {
			continue
		}
		if shown++; shown > maxBriefRules {
			continue
		}
		lines = append(lines, fmt.Sprintf("  %s (%s) %s: %s", rule.ID, rule.Level, rule.Outcome.Label(), rule.Summary))
		spec := slices.IndexFunc(rule.Specs, func(s SpecResult) bool { return s.Failure != nil })
		switch {
		case spec >= 0:
			s := rule.Specs[spec]
			lines = append(lines, "    "+s.Text+": "+firstLine(s.Failure.Message))
			if rerun == "" {
				rerun = firstCommand(s.Failure.Rerun)
			}
		case len(rule.Findings) > 0:
			lines = append(lines, "    a reply that breaks the document: "+firstLine(rule.Findings[0].Message))
		}
	}
	if shown > maxBriefRules {
		lines = append(lines, fmt.Sprintf("  and %d rules more", shown-maxBriefRules))
	}
	for _, p := range r.Problems {
		lines = append(lines, "  "+firstLine(p))
	}
	if rerun != "" {
		lines = append(lines, "rerun the first failure alone: "+rerun)
	}
	return strings.Join(lines, "\n")
}

func firstCommand(r Rerun) string {
	for _, c := range []string{r.GoTest, r.Ginkgo, r.Binary} {
		if c != "" {
			return c
		}
	}
	return ""
}

// firstLine is a message's first line, cut to a line's length.
func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}
