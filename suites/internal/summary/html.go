package summary

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"
	"time"
)

//go:embed templates
var templateFiles embed.FS

// pages are the HTML templates; every value they show is escaped by
// html/template, and they load nothing: no script, font or style sheet.
var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"seconds":  seconds,
	"verdict":  verdict,
	"replay":   replayScript,
	"exchange": exchangeTexts,
	"label":    Outcome.Label,
	"join":     strings.Join,
	"time":     func(t time.Time) string { return t.Format("2006-01-02 15:04:05 MST") },
	"creds":    func() string { return strings.ReplaceAll(Credentials, "`", "") },
}).ParseFS(templateFiles, "templates/*.tmpl"))

// reportPage is what conformance.html shows.
type reportPage struct {
	Results
	Areas  []areaRules
	Failed []RuleResult // failed rules, and SHOULD rules not met
}

// areaRules is an area's rules in a run.
type areaRules struct {
	Area
	Rules  []RuleResult
	Counts Counts
}

// WriteHTML writes conformance.html: one page that needs nothing else,
// the verdict first, then the rules by area, each failure open with its
// message, exchanges and replay.
func (r Results) WriteHTML(w io.Writer) error {
	p := reportPage{Results: r}
	for _, a := range areasOf(ruleIDs(r.Rules)) {
		ar := areaRules{Area: a}
		for _, rule := range r.Rules {
			if rule.Area() == a.Prefix {
				ar.Rules = append(ar.Rules, rule)
				ar.Counts.add(rule.Outcome)
			}
		}
		p.Areas = append(p.Areas, ar)
	}
	for _, rule := range r.Rules {
		if rule.Open() {
			p.Failed = append(p.Failed, rule)
		}
	}
	return pages.ExecuteTemplate(w, "conformance.html.tmpl", p)
}

func ruleIDs(rules []RuleResult) []string {
	ids := make([]string, len(rules))
	for i, r := range rules {
		ids[i] = r.ID
	}
	return ids
}

// areasOf lists the areas of the rule IDs: the contract's, in its order,
// then any other, by name.
func areasOf(ids []string) []Area {
	var out []Area
	for _, a := range Areas() {
		if slices.ContainsFunc(ids, func(id string) bool { return areaOf(id) == a.Prefix }) {
			out = append(out, a)
		}
	}
	var others []string
	for _, id := range ids {
		p := areaOf(id)
		if !slices.ContainsFunc(Areas(), func(a Area) bool { return a.Prefix == p }) && !slices.Contains(others, p) {
			others = append(others, p)
		}
	}
	slices.Sort(others)
	for _, p := range others {
		out = append(out, Area{Prefix: p, Name: p})
	}
	return out
}

func verdict(conforms bool) string {
	if conforms {
		return "conforms"
	}
	return "does not conform"
}

// seconds shows a duration for a reader: milliseconds under a second.
func seconds(s float64) string {
	if s < 1 {
		return fmt.Sprintf("%d ms", int(s*1000+0.5))
	}
	return fmt.Sprintf("%.1f s", s)
}
