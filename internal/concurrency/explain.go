package concurrency

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/anishathalye/porcupine"

	"github.com/spacedog-oss/batchkit/internal/model"
)

// Finding is an object whose history no order explains, and the smallest
// part of it that shows so.
type Finding struct {
	Object string
	// From is when the part begins, in the history's time, and Start the
	// states the object could be in then, whatever order explained the
	// operations before, none of those in flight applied yet.
	From  int64
	Start []model.Object
	// Ops are the part's operations, by call time: those in flight at
	// From, then those called after it, up to the answer no order
	// explains. Operations that change nothing were left out where the
	// rest still shows it.
	Ops []*Op
	// Culprit is the operation whose answer no order explains, given the
	// ones before it; Why says what the rules expected of it from each
	// state it could have met.
	Culprit *Op
	Why     []string
	// Alone says the culprit's answer is one no state of the object
	// gives, whatever the order: Why says what each state the answer
	// points to expects instead.
	Alone bool
	// Timeline is Porcupine's drawing of the object's whole history, a
	// page that needs nothing else; none for an answer wrong alone.
	Timeline []byte
	// Disagree is set when Porcupine and the kit's own sweep disagree on
	// the object: a bug of the kit, reported as such.
	Disagree string
}

// config is where an explanation of a history can stand at one moment:
// the object's state, and the operations in flight already taken to have
// taken effect.
type config struct {
	state model.Object
	done  []int // in flight and applied to state: indices in the partition, sorted
}

// configKey tells configurations apart.
type configKey struct {
	state model.Object
	done  string
}

func (c config) key() configKey {
	var b strings.Builder
	for _, i := range c.done {
		b.WriteString(strconv.Itoa(i))
		b.WriteByte(',')
	}
	return configKey{c.state, b.String()}
}

func (c config) has(i int) bool { return slices.Contains(c.done, i) }

func (c config) with(i int, s model.Object) config {
	done := append(slices.Clone(c.done), i)
	slices.Sort(done)
	return config{state: s, done: done}
}

func (c config) without(i int) config {
	return config{state: c.state, done: slices.DeleteFunc(slices.Clone(c.done), func(j int) bool { return j == i })}
}

// maxConfigs bounds the sweep: past it, the history is not explained (a
// history that long without a moment its state is known is rare).
const maxConfigs = 200_000

// event is an operation's call or return.
type event struct {
	at  int64
	ret bool
	op  int // the operation's index in its partition
}

// events orders the calls and returns of a partition's operations by
// time, a call before a return at the same time: intervals are closed,
// as Porcupine takes them. An operation never answered has no return.
func events(p *partition, ops []int) []event {
	var out []event
	for _, i := range ops {
		out = append(out, event{at: p.ops[i].Call, op: i})
		if p.ops[i].Return != Never {
			out = append(out, event{at: p.ops[i].Return, ret: true, op: i})
		}
	}
	sortEvents(out)
	return out
}

func sortEvents(evs []event) {
	slices.SortStableFunc(evs, func(a, b event) int {
		if c := cmp.Compare(a.at, b.at); c != 0 {
			return c
		}
		switch {
		case !a.ret && b.ret:
			return -1
		case a.ret && !b.ret:
			return 1
		}
		return 0
	})
}

// sweep is the kit's own check of one object, event by event (Lowe's
// just-in-time linearization): the set of configurations that explain the
// history so far, each operation applied lazily, at the latest at its
// answer. It is exact: the set is empty at the first answer no order
// explains.
type sweep struct {
	c       *Checker
	p       *partition
	configs map[configKey]config
	pending []int
}

func (c *Checker) newSweep(p *partition, start []config, pending []int) *sweep {
	s := &sweep{c: c, p: p, configs: map[configKey]config{}, pending: slices.Clone(pending)}
	for _, cf := range start {
		s.configs[cf.key()] = cf
	}
	return s
}

// apply takes one event: ok is false when no configuration explains it;
// tooMany, when the configurations grew past maxConfigs.
func (s *sweep) apply(e event) (ok, tooMany bool) {
	if !e.ret {
		s.pending = append(s.pending, e.op)
		return true, false
	}
	next := map[configKey]config{}
	for _, cf := range s.configs {
		if cf.has(e.op) {
			n := cf.without(e.op)
			next[n.key()] = n
			continue
		}
		// Apply operations in flight, in every order, until e.op is.
		stack := []config{cf}
		seen := map[configKey]bool{cf.key(): true}
		for len(stack) > 0 {
			cur := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for _, i := range s.pending {
				if cur.has(i) {
					continue
				}
				for _, ns := range s.c.step(s.p, cur.state, s.p.ops[i]) {
					if i == e.op {
						n := config{state: ns, done: cur.done}
						next[n.key()] = n
						continue
					}
					n := cur.with(i, ns)
					if k := n.key(); !seen[k] {
						seen[k] = true
						stack = append(stack, n)
					}
				}
			}
			if len(seen)+len(next) > maxConfigs {
				return false, true
			}
		}
	}
	s.pending = slices.DeleteFunc(s.pending, func(i int) bool { return i == e.op })
	s.configs = next
	return len(next) > 0, false
}

// states are the states the object can be in, sorted.
func (s *sweep) states() []model.Object {
	var out []model.Object
	for _, cf := range s.configs {
		if !slices.Contains(out, cf.state) {
			out = append(out, cf.state)
		}
	}
	slices.SortFunc(out, func(a, b model.Object) int { return strings.Compare(a.String(), b.String()) })
	return out
}

// maxStartStates is how many states the object may be in where the part
// shown begins (see settled); maxStarts is how many such moments are tried, latest
// first.
const (
	maxStartStates = 3
	maxStarts      = 64
)

// start is a moment a part of a history may begin at: after the event at
// index event, with the configurations and operations in flight then.
type start struct {
	event   int
	configs []config
	pending []int
}

// explain finds where an object's history stops being explained, and a
// small part of it that shows so, from a moment the object could be in
// few states: right before the answer when no state of the object gives
// that answer; else the latest moment from which the part holds at least
// two operations that changed the object, the writes whose effects the
// answer contradicts. Operations that change nothing are left out where
// the rest still shows it.
func (c *Checker) explain(p *partition, m porcupine.Model) *Finding {
	f := &Finding{Object: p.name()}
	all := make([]int, len(p.ops))
	for i := range all {
		all[i] = i
	}
	evs := events(p, all)
	// Where it fails, and the moments a part may begin at.
	s := c.newSweep(p, []config{{}}, nil)
	starts := []start{{event: -1, configs: []config{{}}}}
	fail := -1
	for i, e := range evs {
		ok, tooMany := s.apply(e)
		if tooMany {
			f.Disagree = fmt.Sprintf("the kit's own sweep gave up past %d configurations: the timeline shows where no order explains the answers", maxConfigs)
			return f
		}
		if !ok {
			fail = i
			break
		}
		if s.settled() {
			starts = append(starts, start{event: i, configs: s.snapshot(), pending: slices.Clone(s.pending)})
		}
	}
	if fail < 0 {
		f.Disagree = "Porcupine finds no order that explains the history, and the kit's own sweep finds one (a bug of the kit)"
		return f
	}
	culprit := evs[fail].op
	f.Timeline = c.timeline(m, p, p.ops[culprit])
	called := slices.IndexFunc(evs, func(e event) bool { return !e.ret && e.op == culprit })
	starts = slices.DeleteFunc(starts, func(st start) bool { return st.event >= called })
	alone := !c.plausible(p, p.ops[culprit])
	var chosen start
	var window []int
	for n, st := range slices.Backward(starts) {
		chosen, window = st, c.part(p, st, evs, fail, culprit)
		if alone || effectful(p, window) >= 2 || len(starts)-n >= maxStarts {
			break
		}
	}
	before, fails := c.replay(p, chosen.configs, chosen.pending, window)
	if fails < 0 {
		f.Disagree = "the part of the history found no longer fails on its own (a bug of the kit)"
		return f
	}
	if chosen.event >= 0 {
		f.From = evs[chosen.event].at
	}
	slices.SortStableFunc(window, func(a, b int) int { return cmp.Compare(p.ops[a].Call, p.ops[b].Call) })
	for _, i := range window {
		f.Ops = append(f.Ops, p.ops[i])
	}
	f.Start = (&sweep{configs: map[configKey]config{}}).add(chosen.configs).states()
	f.Culprit = p.ops[fails]
	for _, st := range before.states() {
		_, problems := c.Model.TryObject(st, c.Host, p.typ, p.id, f.Culprit.Req, f.Culprit.Caller, f.Culprit.Item, f.Culprit.Status, f.Culprit.Body)
		if len(problems) > 0 {
			f.Why = append(f.Why, fmt.Sprintf("from %s: %s", st, strings.Join(problems, "; ")))
		} else {
			f.Why = append(f.Why, fmt.Sprintf("from %s: its answer fits, but then the others' answers cannot", st))
		}
	}
	return f
}

// part is the operations from a start up to the failing event: those in
// flight at the start and those called after it, less the operations that
// change nothing where the rest still fails without them.
func (c *Checker) part(p *partition, st start, evs []event, fail, culprit int) []int {
	window := slices.Clone(st.pending)
	for _, e := range evs[st.event+1 : fail+1] {
		if !e.ret {
			window = append(window, e.op)
		}
	}
	for i := len(window) - 1; i >= 0; i-- {
		op := window[i]
		if !p.ops[op].effectless() || op == culprit {
			continue
		}
		fewer := slices.Delete(slices.Clone(window), i, i+1)
		if _, fails := c.replay(p, st.configs, st.pending, fewer); fails >= 0 {
			window = fewer
		}
	}
	return window
}

// effectful counts the operations of a part that changed the object.
func effectful(p *partition, window []int) int {
	n := 0
	for _, i := range window {
		if !p.ops[i].effectless() {
			n++
		}
	}
	return n
}

// settled reports whether a part may begin here: the object in few
// states, and no request in flight taken to have taken effect yet, so
// that the part explains itself.
func (s *sweep) settled() bool {
	for _, cf := range s.configs {
		if len(cf.done) > 0 {
			return false
		}
	}
	return len(s.states()) <= maxStartStates
}

func (s *sweep) add(cfgs []config) *sweep {
	for _, cf := range cfgs {
		s.configs[cf.key()] = cf
	}
	return s
}

func (s *sweep) snapshot() []config {
	out := make([]config, 0, len(s.configs))
	for _, cf := range s.configs {
		out = append(out, cf)
	}
	return out
}

// replay sweeps the operations ops of a part from the configurations at
// its start (with pending in flight then): it returns the sweep just
// before the first answer no order explains and that answer's operation;
// -1 when every answer is explained.
func (c *Checker) replay(p *partition, start []config, pending, ops []int) (*sweep, int) {
	keep := func(i int) bool { return slices.Contains(ops, i) }
	var cfgs []config
	for _, cf := range start {
		n := config{state: cf.state}
		for _, i := range cf.done {
			if keep(i) {
				n.done = append(n.done, i)
			}
		}
		cfgs = append(cfgs, n)
	}
	inFlight := slices.DeleteFunc(slices.Clone(pending), func(i int) bool { return !keep(i) })
	var later []int
	for _, i := range ops {
		if !slices.Contains(inFlight, i) {
			later = append(later, i)
		}
	}
	s := c.newSweep(p, cfgs, inFlight)
	evs := events(p, later)
	// The answers of the operations in flight at the start come in turn.
	for _, i := range inFlight {
		if p.ops[i].Return != Never {
			evs = append(evs, event{at: p.ops[i].Return, ret: true, op: i})
		}
	}
	sortEvents(evs)
	for _, e := range evs {
		before := &sweep{c: s.c, p: s.p, configs: s.configs, pending: slices.Clone(s.pending)}
		if ok, _ := s.apply(e); !ok {
			return before, e.op
		}
	}
	return s, -1
}
