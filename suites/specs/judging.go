package specs

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/spacedog-oss/batchkit/spec"
	"github.com/spacedog-oss/batchkit/suites/internal/exchange"
	"github.com/spacedog-oss/batchkit/suites/internal/summary"
)

// The judging: each spec carries the rules it checks and their level; a
// failed expectation fails a MUST rule's spec, and notes a SHOULD rule not
// met (a failure under --strict); a reply that breaks the spec's document
// is a finding under the rule its schema names.

// rule labels a spec with the contract rules it checks and their level:
// must when any of them is a MUST, should otherwise. An unknown ID stops
// the suite from building.
func rule(ids ...string) Labels {
	sp, err := spec.Load()
	if err != nil {
		panic(err)
	}
	level := "should"
	for _, id := range ids {
		i := slices.IndexFunc(sp.Rules(), func(r spec.Rule) bool { return r.ID == id })
		if i < 0 {
			panic(fmt.Sprintf("suites: no contract rule %q", id))
		}
		if sp.Rules()[i].Level == "MUST" {
			level = "must"
		}
	}
	return Label(append(ids, level)...)
}

// only labels a spec that holds in one profile: it is skipped in another.
func only(profile string) Labels { return Label(profile) }

// levelOf is a spec's level: must when any of its rules is a MUST.
func levelOf(labels []string) string {
	switch {
	case slices.Contains(labels, "must"):
		return "must"
	case slices.Contains(labels, "should"):
		return "should"
	}
	return ""
}

// isMust reports whether a rule is a MUST.
func isMust(id string) bool {
	return slices.Contains(rule(id), "must")
}

// failOrNote is the suites' fail handler. A spec that checks SHOULD rules
// only is noted, not failed, outside --strict: it ends as skipped, and the
// summary reports the rule as not met.
func failOrNote(message string, callerSkip ...int) {
	skip := 1
	if len(callerSkip) > 0 {
		skip += callerSkip[0]
	}
	r := CurrentSpecReport()
	if !cfg.Strict && r.LeafNodeType == types.NodeTypeIt && levelOf(r.Labels()) == "should" {
		AddReportEntry(summary.EntryShouldNotMet, message)
		Skip("SHOULD rule not met (a failure with --strict): "+message, skip)
	}
	Fail(message, skip)
}

func notedShould(r SpecReport) bool {
	for _, e := range r.ReportEntries {
		if e.Name == summary.EntryShouldNotMet {
			return true
		}
	}
	return false
}

// findings gathers the replies that break the spec's document under a
// rule its schema names: each is reported under that rule, and the spec
// that met it goes on to judge its own. A finding that names no rule
// fails the spec that met it.
type findings struct {
	mu  sync.Mutex
	met []summary.Finding
}

// judge is the checker's Judge.
func (f *findings) judge(ex exchange.Exchange, fs []spec.Finding) error {
	var unruled []spec.Finding
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, fd := range fs {
		// A reply of another kind altogether (a member of its top level
		// missing: an object where a "saved" answer was due) is no slip
		// in that shape but a result out of place, which the spec that
		// met it judges.
		if len(fd.Rules) == 0 || fd.Keyword == "required" && !strings.Contains(strings.Trim(fd.Pointer, "/"), "/") {
			unruled = append(unruled, fd)
			continue
		}
		for _, rule := range fd.Rules {
			f.met = append(f.met, summary.NewFinding(rule, fd, ex))
		}
	}
	if len(unruled) > 0 {
		return &exchange.SpecError{Exchange: ex, Err: unruled[0]}
	}
	return nil
}

// take returns the findings since its last call.
func (f *findings) take() []summary.Finding {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.met
	f.met = nil
	return out
}
