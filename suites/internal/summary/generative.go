package summary

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/spacedog-oss/batchkit/suites/internal/exchange"
)

// EntrySequence is the report entry of the generative mode's failure: a
// Sequence.
const EntrySequence = "generative-sequence"

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
// creds' credentials are read from the environment, as in every replay.
func NewSequence(seq Sequence, steps []SequenceStep, creds []Credential) Sequence {
	var b strings.Builder
	b.WriteString("#!/bin/sh\n# The target's answers and the reference's (the mock's), request by request.\n")
	for i, s := range steps {
		fmt.Fprintf(&b, "\n# %d/%d\n%s\n", i+1, len(steps), curl(s.Exchange, creds))
		fmt.Fprintf(&b, "# target:    %d %s\n", s.Exchange.Status, oneLine(s.Exchange.RespBody))
		fmt.Fprintf(&b, "# reference: %d %s\n", s.RefStatus, oneLine(s.RefBody))
	}
	seq.Script = b.String()
	seq.Problem = redactCredentials(seq.Problem, creds)
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

// sequenceProblems are the generative mode's findings, for the run's
// problems: each a failed spec's minimal sequence.
func sequenceProblems(report types.Report) []string {
	var out []string
	for _, s := range report.SpecReports {
		for _, e := range s.ReportEntries {
			if e.Name != EntrySequence {
				continue
			}
			seq, ok := e.GetRawValue().(Sequence)
			if !ok && json.Unmarshal([]byte(e.Value.AsJSON), &seq) != nil {
				continue
			}
			out = append(out, seq.String())
		}
	}
	return out
}
