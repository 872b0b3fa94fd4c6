package summary

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Credentials is what a replay needs in its environment.
const Credentials = "`SPACEDOG_USERNAME` and `SPACEDOG_PASSWORD` (and `SPACEDOG_USERNAME2`, `SPACEDOG_PASSWORD2` where a request names the second user)"

// WriteMarkdown writes conformance.md: the run, a table row per rule
// (| rule | level | outcome | specs | summary |), then each failed rule's
// failures. With details, each failure has its exchanges, their curl
// replays and the commands that rerun its spec; without, its message only.
func (r Results) WriteMarkdown(w io.Writer, details bool) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# SpaceDog /1/batch conformance\n\n")
	fmt.Fprintf(&b, "- target: %s\n- profile: %s\n- strict: %v\n- verdict: %s\n", r.Target, r.Profile, r.Strict, r.VerdictLine())
	fmt.Fprintf(&b, "- rules: %s\n", r.Counts)
	fmt.Fprintf(&b, "- requests sent: %d\n- run time: %s\n", r.Requests, (time.Duration(r.Seconds * float64(time.Second))).Round(time.Millisecond))
	fmt.Fprintf(&b, "- started: %s\n- seed: %d\n- kit: %s %s\n", r.Started.Format(time.RFC3339), r.Seed, r.Kit.Module, r.Kit.Version)
	if g := r.Generative; g != nil {
		fmt.Fprintf(&b, "- generative mode: %s\n", g)
	}
	if len(r.Problems) > 0 {
		b.WriteString("\nProblems outside the rules' own specs:\n\n")
		for _, p := range r.Problems {
			fmt.Fprintf(&b, "%s\n", block("", p))
		}
	}
	b.WriteString("\n| rule | level | outcome | specs | summary |\n|---|---|---|---|---|\n")
	for _, rule := range r.Rules {
		fmt.Fprintf(&b, "| %s | %s | %s | %d | %s |\n", rule.ID, rule.Level, rule.Outcome.Label(), len(rule.Specs), cell(rule.Summary))
	}
	for _, rule := range r.Rules {
		if !rule.Open() {
			continue
		}
		fmt.Fprintf(&b, "\n## %s (%s): %s\n", rule.ID, rule.Level, rule.Outcome.Label())
		if rule.Summary != "" {
			fmt.Fprintf(&b, "\n%s\n", rule.Summary)
		}
		for _, f := range rule.Findings {
			fmt.Fprintf(&b, "\n### A reply that breaks the document, %d times\n\nFirst met in: %s\n\n%s\n", f.Count, f.Spec, block("", f.Message))
			if details {
				fmt.Fprintf(&b, "\nThe exchange (credentials redacted):\n\n%s\n", block("", f.Exchange.Text))
			}
		}
		for _, s := range rule.Specs {
			if s.Failure == nil {
				continue
			}
			f := s.Failure
			fmt.Fprintf(&b, "\n### %s\n\n%s\n\n%s\n", s.Text, f.Location, block("", f.Message))
			if !details {
				continue
			}
			if f.Timeline != "" {
				fmt.Fprintf(&b, "\nThe history as a timeline, beside this report: [%s](%s)\n", f.Timeline, f.Timeline)
			}
			if len(f.Exchanges) > 0 {
				fmt.Fprintf(&b, "\nLast exchanges (credentials redacted):\n\n%s\n", block("", exchangeTexts(f.Exchanges)))
				fmt.Fprintf(&b, "\nReplay, in order, with %s set:\n\n%s\n", Credentials, block("sh", replayScript(f, r.Target)))
			}
			fmt.Fprintf(&b, "\nRerun this spec alone, from the kit's folder or with the suites' binary:\n\n%s\n",
				block("sh", f.Rerun.Ginkgo+"\n"+f.Rerun.Binary))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (c Counts) String() string {
	fail := fmt.Sprintf("%d FAIL", c.Fail)
	if c.Outside > 0 {
		fail += fmt.Sprintf(" (%d outside the rules, under Problems)", c.Outside)
	}
	if c.NotRun > 0 {
		return fmt.Sprintf("%d pass, %s, %d not met, %d not run, %d skipped", c.Pass, fail, c.NotMet, c.NotRun, c.Skipped)
	}
	return fmt.Sprintf("%d pass, %s, %d not met, %d skipped", c.Pass, fail, c.NotMet, c.Skipped)
}

func exchangeTexts(exs []Exchange) string {
	var b strings.Builder
	for _, ex := range exs {
		b.WriteString(ex.Text)
		b.WriteString("\n")
	}
	return b.String()
}

// replayScript is the failure's exchanges as curl commands, each under a
// comment that says what it got.
func replayScript(f *Failure, target string) string {
	var b strings.Builder
	if target == InProcess {
		b.WriteString("# the in-process mock stopped with the run: start spacedog-mock and use its address\n")
	}
	if f.Earlier > 0 {
		fmt.Fprintf(&b, "# the spec's first %d requests are not kept: these run without their effects\n", f.Earlier)
	}
	for i, ex := range f.Exchanges {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "# %d/%d: %s %s answered %d\n%s\n", i+1, len(f.Exchanges), ex.Method, pathOf(ex.URL), ex.Status, ex.Curl)
	}
	return b.String()
}

// pathOf is a URL's path and query, for a comment.
func pathOf(u string) string {
	if _, rest, ok := strings.Cut(u, "://"); ok {
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			return rest[i:]
		}
	}
	return u
}

// block fences text as a Markdown code block, the fence longer than any
// run of backticks inside.
func block(lang, text string) string {
	fence := "```"
	for strings.Contains(text, fence) {
		fence += "`"
	}
	return fence + lang + "\n" + strings.TrimRight(text, "\n") + "\n" + fence
}

// cell keeps text within its table cell.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}
