package concurrency

import (
	"bytes"
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/spacedog-oss/batchkit/internal/model"
)

// Checker judges a history object by object: each object's operations,
// with the deletes of its type, must be linearizable against the data
// rules of one object (model.TryObject).
type Checker struct {
	Model *model.Model // of the target's profile
	Host  model.Host   // the host the requests were sent to
	// Timeline has Porcupine draw the history of the object found.
	Timeline bool
}

// partition is one object's share of a history: its operations and its
// type's deletes, by call time.
type partition struct {
	typ, id string
	ops     []*Op

	// The states each operation leads to from each state met: a check
	// tries one step many times. A check that timed out may still be
	// stepping while the next one starts: every check of the object,
	// whole or in part, steps this partition (see history), under mu.
	mu   sync.Mutex
	memo map[memoKey][]model.Object
}

type memoKey struct {
	state model.Object
	op    *Op
}

func (p *partition) name() string { return p.typ + "/" + p.id }

// partitions splits a history by object: every object an operation names,
// each with the deletes of its type. A request that neither changed the
// object nor says anything of it is left out, which changes no verdict: a
// refusal (it did not run), and a read whose answer is unknown.
func partitions(ops []*Op) []*partition {
	byName := map[string]*partition{}
	var typeDeletes []*Op
	for _, op := range ops {
		if op.refused() || !op.answered() && op.Req.Method == http.MethodGet {
			continue
		}
		if op.ID == "" {
			typeDeletes = append(typeDeletes, op)
			continue
		}
		p := byName[op.Object()]
		if p == nil {
			p = &partition{typ: op.Type, id: op.ID}
			byName[op.Object()] = p
		}
		p.ops = append(p.ops, op)
	}
	var out []*partition
	for _, p := range byName {
		// The type's deletes while the object was in use: one before its
		// first request or after its last answer changes nothing any
		// answer shows.
		first, last := p.ops[0].Call, int64(0)
		for _, op := range p.ops {
			first, last = min(first, op.Call), max(last, op.Return)
		}
		for _, d := range typeDeletes {
			if d.Type == p.typ && d.Return >= first && d.Call <= last {
				p.ops = append(p.ops, d)
			}
		}
		slices.SortStableFunc(p.ops, func(a, b *Op) int { return cmp.Compare(a.Call, b.Call) })
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b *partition) int { return strings.Compare(a.name(), b.name()) })
	return out
}

// step is the rules of one object: the states op can lead to from s. An
// answered operation leads to one state, or none when the rules do not
// allow its answer from s; an unanswered one may have taken effect.
func (c *Checker) step(p *partition, s model.Object, op *Op) []model.Object {
	key := memoKey{s, op}
	p.mu.Lock()
	out, ok := p.memo[key]
	p.mu.Unlock()
	if ok {
		return out
	}
	out = c.stepOnce(p, s, op)
	p.mu.Lock()
	if p.memo == nil {
		p.memo = map[memoKey][]model.Object{}
	}
	p.memo[key] = out
	p.mu.Unlock()
	return out
}

func (c *Checker) stepOnce(p *partition, s model.Object, op *Op) []model.Object {
	if !op.answered() {
		next, _ := c.Model.TryObject(s, c.Host, p.typ, p.id, op.Req, op.Caller, op.Item, model.Unanswered, nil)
		return []model.Object{next}
	}
	next, problems := c.Model.TryObject(s, c.Host, p.typ, p.id, op.Req, op.Caller, op.Item, op.Status, op.Body)
	if len(problems) > 0 {
		return nil
	}
	return []model.Object{next}
}

// input is what Porcupine steps: an operation of a partition.
type input struct {
	p  *partition
	op *Op
}

// porcupineModel is the rules of one object for Porcupine: an answered
// operation leads to one state or none; an unanswered one may not have
// taken effect, or may have, at any time after its call.
func (c *Checker) porcupineModel() porcupine.Model {
	nm := porcupine.NondeterministicModel{
		Init: func() []any { return []any{model.Object{}} },
		Step: func(state, in, _ any) []any {
			i := in.(input)
			s := state.(model.Object)
			var out []any
			if !i.op.answered() {
				out = append(out, s)
			}
			for _, n := range c.step(i.p, s, i.op) {
				out = append(out, n)
			}
			return out
		},
		Equal:             func(a, b any) bool { return a.(model.Object) == b.(model.Object) },
		Hash:              func(s any) uint64 { return s.(model.Object).Hash() },
		DescribeOperation: func(in, _ any) string { return describe(in.(input).op) },
		DescribeState:     func(s any) string { return s.(model.Object).String() },
	}
	return nm.ToModel()
}

// history is ops of partition p for Porcupine: all of them, or a part,
// each stepped through p, whose memo they share.
func (c *Checker) history(p *partition, ops []*Op) []porcupine.Operation {
	out := make([]porcupine.Operation, len(ops))
	for i, op := range ops {
		out[i] = porcupine.Operation{ClientId: op.Client, Input: input{p, op}, Call: op.Call, Output: nil, Return: op.Return}
	}
	return out
}

// Verdict is a history judged.
type Verdict struct {
	Objects int // objects checked
	Ops     int // operations checked, a type's delete once per object
	// Undecided lists the objects whose check did not end in time: CONC-1
	// is not shown to hold for them.
	Undecided []string
	// Finding is the first object no order explains, nil when every
	// object checked has one.
	Finding *Finding
	Took    time.Duration
}

// Check judges every object of the history within timeout, all objects
// together. The first object found not linearizable is explained (see
// Finding); its timeline is drawn by Porcupine.
func (c *Checker) Check(ops []*Op, timeout time.Duration) Verdict {
	start := time.Now()
	deadline := start.Add(timeout)
	var v Verdict
	m := c.porcupineModel()
	for _, p := range partitions(ops) {
		v.Objects++
		v.Ops += len(p.ops)
		left := time.Until(deadline)
		if left <= 0 {
			v.Undecided = append(v.Undecided, p.name())
			continue
		}
		// An answer no state of the object gives is wrong in any order:
		// no search is needed to show it.
		if f := c.implausible(p); f != nil {
			if v.Finding == nil {
				f.Timeline = c.timeline(m, p, f.Culprit)
				v.Finding = f
			}
			continue
		}
		switch porcupine.CheckOperationsTimeout(m, c.history(p, p.ops), left) {
		case porcupine.Unknown:
			v.Undecided = append(v.Undecided, p.name())
		case porcupine.Illegal:
			if v.Finding == nil {
				v.Finding = c.explain(p, m)
			}
		}
	}
	v.Took = time.Since(start)
	return v
}

// implausible finds the first answer of a partition, by the time it
// came, that no state of the object gives (see plausible), and makes it
// the finding, alone.
func (c *Checker) implausible(p *partition) *Finding {
	var first *Op
	for _, op := range p.ops {
		if op.answered() && (first == nil || op.Return < first.Return) && !c.plausible(p, op) {
			first = op
		}
	}
	if first == nil {
		return nil
	}
	f := &Finding{Object: p.name(), From: first.Call, Ops: []*Op{first}, Culprit: first, Alone: true}
	for _, s := range candidates(first) {
		if _, problems := c.Model.TryObject(s, c.Host, p.typ, p.id, first.Req, first.Caller, first.Item, first.Status, first.Body); len(problems) > 0 {
			f.Why = append(f.Why, fmt.Sprintf("from %s: %s", s, strings.Join(problems, "; ")))
		}
	}
	return f
}

// timelineTimeout bounds Porcupine's search for the partial orders a
// timeline shows: past it, the timeline shows those found.
const timelineTimeout = 10 * time.Second

// timeline is Porcupine's drawing of a partition's history up to the
// answer no order explains (what comes after cannot explain it), with the
// longest partial orders that explain the answers; nil unless the checker
// draws them.
func (c *Checker) timeline(m porcupine.Model, p *partition, culprit *Op) []byte {
	if !c.Timeline {
		return nil
	}
	var upTo []*Op
	for _, op := range p.ops {
		if op.Call <= culprit.Return {
			upTo = append(upTo, op)
		}
	}
	_, info := porcupine.CheckOperationsVerbose(m, c.history(p, upTo), timelineTimeout)
	var b bytes.Buffer
	if err := porcupine.Visualize(m, info, &b); err != nil {
		return []byte(fmt.Sprintf("<!doctype html><p>Porcupine could not draw the timeline: %v</p>", err))
	}
	return b.Bytes()
}

// describe is an operation in a few words, for the timeline.
func describe(op *Op) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", op.Req.Method, op.Object())
	if op.Req.Query != "" {
		b.WriteString("?" + op.Req.Query)
	}
	if op.Req.Payload != nil {
		b.WriteString(" " + string(op.Req.Payload))
	}
	if op.Item >= 0 {
		fmt.Fprintf(&b, " [item %d]", op.Item)
	}
	switch {
	case op.Status == model.Unanswered:
		return b.String() + " → no answer"
	case !op.answered():
		return b.String() + fmt.Sprintf(" → %d, the server's answer unknown: %s", op.Status, short(op.Body, 160))
	}
	return b.String() + fmt.Sprintf(" → %d %s", op.Status, short(op.Body, 160))
}

// short is an answer on one line, cut to n bytes.
func short(body []byte, n int) string {
	s := strings.Join(strings.Fields(string(body)), " ")
	if len(s) > n {
		s = s[:n] + "..."
	}
	return s
}
