package summary

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/spacedog-oss/batchkit/suites/internal/exchange"
)

// The report entries of the generative spec: EntrySequence, its finding,
// a Sequence; EntryGenerative, what it did, a GenerativeRun, whether it
// passed or not.
const (
	EntrySequence   = "generative-sequence"
	EntryGenerative = "generative-run"
)

// GenerativeRun is what the generative mode did in a run, as results.json
// holds it: its seed first, which replays it, pass or fail.
type GenerativeRun struct {
	Outcome       Outcome `json:"outcome"` // the spec's: pass, fail, skipped (Note says why), not-run
	Note          string  `json:"note,omitempty"`
	Seed          uint64  `json:"seed"`
	Sequences     int     `json:"sequences"`
	Requests      int     `json:"requests"`
	Disagreements int     `json:"disagreements"`
	Budget        string  `json:"budget"`
	// Choices are what the target chose otherwise than the mock where the
	// contract leaves the choice, which the sequences then kept to.
	Choices []string `json:"choices"`
	// Notes say what the mode could not do here, and the setting that
	// would let it: "one backend only: give --backend-hosts ...".
	Notes  []string `json:"notes,omitempty"`
	Replay string   `json:"replay"` // runs the mode alone again from the seed
}

// generativeRun reads the generative spec's run from the report, its
// outcome from the spec's state; nil when the spec did not run.
func generativeRun(report types.Report, ended bool) *GenerativeRun {
	for _, s := range report.SpecReports {
		for _, e := range s.ReportEntries {
			if e.Name != EntryGenerative {
				continue
			}
			run, ok := e.GetRawValue().(GenerativeRun)
			if !ok && json.Unmarshal([]byte(e.Value.AsJSON), &run) != nil {
				continue
			}
			run.Outcome = specOutcome(s, ended)
			if run.Outcome == Skipped || run.Outcome == NotRun {
				run.Note = strings.TrimSpace(s.Failure.Message)
			}
			if run.Choices == nil {
				run.Choices = []string{}
			}
			return &run
		}
	}
	return nil
}

// sequenceOf is a spec's generative finding, if it has one.
func sequenceOf(s types.SpecReport) (Sequence, bool) {
	for _, e := range s.ReportEntries {
		if e.Name != EntrySequence {
			continue
		}
		seq, ok := e.GetRawValue().(Sequence)
		if ok || json.Unmarshal([]byte(e.Value.AsJSON), &seq) == nil {
			return seq, true
		}
	}
	return Sequence{}, false
}

// Sequence is the minimal sequence of requests on which the target and
// the reference disagree, as a runnable script with both answers.
type Sequence struct {
	Rules   []string `json:"rules"`   // the rules the comparison names
	Problem string   `json:"problem"` // what disagrees
	Seed    uint64   `json:"seed"`    // the seed of the sequence that found it
	Drawn   int      `json:"drawn"`   // steps drawn before it showed
	Replay  string   `json:"replay"`  // the command that draws it again
	Script  string   `json:"script"`  // curl commands, each with both answers
}

// SequenceStep is a request of the sequence, the target's exchange, and
// the reference's answer to the same request.
type SequenceStep struct {
	Exchange  exchange.Exchange
	RefStatus int
	RefBody   []byte
}

// NewSequence writes the steps as a POSIX shell script of curl commands,
// each followed by the target's answer and the reference's, as comments;
// r says what it reads from the environment, as every replay.
func NewSequence(seq Sequence, steps []SequenceStep, r Replay) Sequence {
	var b strings.Builder
	b.WriteString("#!/bin/sh\n# The target's answers and the reference's (the mock's), request by request.\n")
	for i, s := range steps {
		fmt.Fprintf(&b, "\n# %d/%d\n%s\n", i+1, len(steps), curl(s.Exchange, r))
		fmt.Fprintf(&b, "# target:    %d %s\n", s.Exchange.Status, oneLine(s.Exchange.RespBody))
		fmt.Fprintf(&b, "# reference: %d %s\n", s.RefStatus, oneLine(s.RefBody))
	}
	seq.Script = b.String()
	seq.Problem = redactCredentials(seq.Problem, r.Users)
	return seq
}

// redactCredentials hides the credentials a text may quote: the known
// users' Basic tokens wherever they stand (a batch item's headers, quoted
// in a disagreement), any Authorization member's value, and any
// credentials after "Authorization", in JSON quoted once more or not.
func redactCredentials(text string, creds []Credential) string {
	for _, c := range creds {
		if c.Username != "" {
			text = strings.ReplaceAll(text, c.token(), "[redacted]")
		}
	}
	text = string(exchange.Redact([]byte(text)))
	return quotedCredentials.ReplaceAllString(text, "${1}[redacted]")
}

var quotedCredentials = regexp.MustCompile(`(?i)(authorization\\?"?\s*:\s*\\?"?\s*(?:basic|bearer)\s+)[A-Za-z0-9+/=._~-]+`)

func oneLine(b []byte) string {
	s := strings.Join(strings.Fields(string(exchange.Redact(b))), " ")
	if len(s) > 600 {
		s = s[:600] + "..."
	}
	return s
}

// String is the sequence as a failure shows it.
func (s Sequence) String() string {
	rules := "no rule named"
	if len(s.Rules) > 0 {
		rules = strings.Join(s.Rules, ", ")
	}
	return fmt.Sprintf("generative mode: the target and the reference disagree (%s)\n%s\nseed %d, found after %d steps; replay: %s\n\n%s",
		rules, s.Problem, s.Seed, s.Drawn, s.Replay, s.Script)
}

// String says what the mode did in a line: its outcome, its size, its seed
// and how to run it again.
func (g GenerativeRun) String() string {
	s := fmt.Sprintf("%s, %d sequences, %d requests, %d disagreements, budget %s, seed %d", g.Outcome.Label(), g.Sequences, g.Requests, g.Disagreements, g.Budget, g.Seed)
	if g.Note != "" {
		s += " (" + g.Note + ")"
	}
	if len(g.Choices) > 0 {
		s += "; where the contract leaves the choice, the target " + strings.Join(g.Choices, "; ")
	}
	if len(g.Notes) > 0 {
		s += "; " + strings.Join(g.Notes, "; ")
	}
	return s + "; rerun: " + g.Replay
}
