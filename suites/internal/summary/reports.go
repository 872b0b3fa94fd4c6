package summary

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
)

// The reports WriteReports writes, by file name.
const (
	MarkdownFile = "conformance.md"
	JSONFile     = "results.json"
	HTMLFile     = "conformance.html"
)

// WriteReports writes conformance.md, results.json and conformance.html
// in dir, making it if need be.
func (r Results) WriteReports(dir string) error {
	if err := r.Consistent(); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, write := range map[string]func(*bytes.Buffer) error{
		MarkdownFile: func(b *bytes.Buffer) error { return r.WriteMarkdown(b, true) },
		JSONFile:     func(b *bytes.Buffer) error { return r.WriteJSON(b) },
		HTMLFile:     func(b *bytes.Buffer) error { return r.WriteHTML(b) },
	} {
		var b bytes.Buffer
		if err := write(&b); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// stepSummaryLimit is the most GitHub Actions takes in one step's
// summary; a larger one is dropped whole.
const stepSummaryLimit = 1 << 20

// AppendStepSummary appends the Markdown summary to path, the file that
// GitHub Actions names in GITHUB_STEP_SUMMARY. The exchanges, replays and
// rerun commands go with it while the step's summary stays within
// GitHub's limit; past it, the failures' messages only.
func (r Results) AppendStepSummary(path string) error {
	var full, short bytes.Buffer
	if err := r.WriteMarkdown(&full, true); err != nil {
		return err
	}
	used := int64(0)
	if fi, err := os.Stat(path); err == nil {
		used = fi.Size()
	}
	text := full.Bytes()
	if used+int64(len(text)) > stepSummaryLimit*9/10 {
		if err := r.WriteMarkdown(&short, false); err != nil {
			return err
		}
		short.WriteString("\nExchanges, replays and rerun commands: conformance.md and conformance.html in the run's report folder (--report-dir).\n")
		text = short.Bytes()
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(append([]byte("\n"), text...)); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Consistent reports results that no report may state, a bug of the kit:
// a failure with nothing failed, a pass with something failed, counts that
// do not add up to the rules.
func (r Results) Consistent() error {
	c := r.Counts
	rulesFailed := 0
	for _, rule := range r.Rules {
		if rule.Outcome == Fail {
			rulesFailed++
		}
	}
	switch {
	case c.Pass+c.Fail-c.Outside+c.NotMet+c.NotRun+c.Skipped != len(r.Rules):
		return fmt.Errorf("summary: the counts %+v do not add up to %d rules", c, len(r.Rules))
	case c.Fail-c.Outside != rulesFailed:
		return fmt.Errorf("summary: %d rules FAIL, the counts say %d", rulesFailed, c.Fail-c.Outside)
	case r.Verdict == VerdictFails && c.Fail == 0:
		return fmt.Errorf("summary: the verdict %q with no failure", r.Verdict)
	case r.Verdict == VerdictConforms && c.Fail > 0:
		return fmt.Errorf("summary: the verdict %q with %d failures", r.Verdict, c.Fail)
	case c.Outside > len(r.Problems):
		return fmt.Errorf("summary: %d failures outside the rules, %d problems listed", c.Outside, len(r.Problems))
	case r.Verdict == VerdictConforms && r.nothingChecked():
		return fmt.Errorf("summary: the verdict %q, and no rule was checked", r.Verdict)
	case r.Conforms != (r.Verdict == VerdictConforms):
		return fmt.Errorf("summary: conforms %v beside the verdict %q", r.Conforms, r.Verdict)
	}
	return nil
}
