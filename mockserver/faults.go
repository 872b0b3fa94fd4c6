package mockserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spacedog-oss/batchkit/mockserver/internal/rawjson"
	"github.com/spacedog-oss/batchkit/spec"
)

// Fault is a rule that makes the mock misbehave on purpose, for clients to
// test how they cope. It matches requests by method and path pattern, and
// batch items also by their position; a test aims it at its own requests
// by their backend or by a header it sends, and says how many of them it
// lets through first (After) and how many it applies to (Times). It
// answers a status with the error envelope instead of running the request,
// or adds a delay, or drops the connection after some sub-requests of a
// batch have run.
type Fault struct {
	Method    string            `json:"method,omitempty"`    // any case; empty: any method; GET holds for a HEAD too, HEAD for a HEAD alone
	Path      string            `json:"path"`                // a pattern of path.Match: * stands for one segment
	Index     *int              `json:"index,omitempty"`     // a batch item's position: the rule then holds for batch items only
	Backend   string            `json:"backend,omitempty"`   // only requests to this backend
	Headers   map[string]string `json:"headers,omitempty"`   // only requests carrying each header with this value, or with any value for "" (a batch item: its own or the batch's)
	After     int               `json:"after,omitempty"`     // matching requests let through before the rule applies
	Times     int               `json:"times,omitempty"`     // matching requests it applies to, then it is spent; 0: all
	Status    int               `json:"status,omitempty"`    // 400-599: answered instead of running the request
	Message   string            `json:"message,omitempty"`   // the envelope's message
	Delay     Duration          `json:"delay,omitempty"`     // waited before answering
	DropAfter *int              `json:"dropAfter,omitempty"` // drop the connection once this many sub-requests ran (0 for a direct request: before running it)
}

// FaultState is a fault rule in force: its number, the rule, and what it
// has done so far, as GET /_mock/faults lists it.
type FaultState struct {
	ID int64 `json:"id"`
	Fault
	Matched int64 `json:"matched"` // requests the rule matched
	Applied int64 `json:"applied"` // of those, the ones it applied to
}

// Duration is a time.Duration written as "250ms" in JSON.
type Duration time.Duration

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf(`a duration is a string like "250ms"`)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// maxDelay bounds a fault's delay: a mock must not hang a client for good.
const maxDelay = time.Minute

// ParseFaults reads fault rules from JSON: an array of rules.
func ParseFaults(data []byte) ([]Fault, error) { return parseRules(data, false) }

// parseRules reads an array of rules, or with one also a single rule. A
// rule's fields are read by their exact names, each on its own, so that an
// error names its rule and its field; a field of FaultState the mock
// writes (id, matched, applied) is left aside, so that a listing can be
// sent back as it is.
func parseRules(data []byte, one bool) ([]Fault, error) {
	kind := "a JSON array of rules"
	if one {
		kind = "a rule or a JSON array of rules"
	}
	if !json.Valid(data) {
		err := json.Unmarshal(data, new(json.RawMessage)) // says where
		return nil, fmt.Errorf("fault rules are %s: %v", kind, err)
	}
	data = bytes.TrimSpace(data)
	items := rawjson.Elements(data)
	switch {
	case items == nil && one && data[0] == '{':
		items = [][]byte{data}
	case items == nil:
		return nil, fmt.Errorf("fault rules are %s, not %s", kind, kindOf(data))
	}
	rules := make([]Fault, 0, len(items))
	for i, raw := range items {
		f, err := parseRule(raw)
		if err == nil {
			err = f.check()
		}
		if err != nil {
			return nil, fmt.Errorf("rule [%d]: %w", i, err)
		}
		rules = append(rules, f)
	}
	return rules, nil
}

// ruleField is a rule's field by its JSON name, with what it takes, for
// the error that names it, and how it is read.
type ruleField struct {
	name, want string
	read       func(f *Fault, raw []byte) error
}

// ruleFields are a rule's fields.
var ruleFields = []ruleField{
	{"method", "a string", func(f *Fault, raw []byte) error { return json.Unmarshal(raw, &f.Method) }},
	{"path", "a string", func(f *Fault, raw []byte) error { return json.Unmarshal(raw, &f.Path) }},
	{"index", "a whole number", func(f *Fault, raw []byte) error { return json.Unmarshal(raw, &f.Index) }},
	{"backend", "a string", func(f *Fault, raw []byte) error { return json.Unmarshal(raw, &f.Backend) }},
	{"headers", "an object of strings", func(f *Fault, raw []byte) error { return json.Unmarshal(raw, &f.Headers) }},
	{"after", "a whole number", func(f *Fault, raw []byte) error { return json.Unmarshal(raw, &f.After) }},
	{"times", "a whole number", func(f *Fault, raw []byte) error { return json.Unmarshal(raw, &f.Times) }},
	{"status", "a whole number", func(f *Fault, raw []byte) error { return json.Unmarshal(raw, &f.Status) }},
	{"message", "a string", func(f *Fault, raw []byte) error { return json.Unmarshal(raw, &f.Message) }},
	{"delay", `a duration such as "250ms"`, func(f *Fault, raw []byte) error { return json.Unmarshal(raw, &f.Delay) }},
	{"dropAfter", "a whole number", func(f *Fault, raw []byte) error { return json.Unmarshal(raw, &f.DropAfter) }},
}

// stateFields are FaultState's own fields: the mock's, ignored on the way in.
var stateFields = []string{"id", "matched", "applied"}

func parseRule(raw []byte) (Fault, error) {
	var f Fault
	if raw[0] != '{' {
		return f, fmt.Errorf("a rule is a JSON object, not %s", kindOf(raw))
	}
	for _, m := range rawjson.Members(raw) {
		if slices.Contains(stateFields, m.Name) {
			continue
		}
		i := slices.IndexFunc(ruleFields, func(rf ruleField) bool { return rf.name == m.Name })
		if i < 0 {
			names := make([]string, len(ruleFields))
			for j, rf := range ruleFields {
				names[j] = rf.name
			}
			return f, fmt.Errorf("field [%s] is not a field of a rule%s; the fields are %s", m.Name, fieldHint(m.Name, names), strings.Join(names, ", "))
		}
		if err := ruleFields[i].read(&f, m.Value); err != nil {
			return f, fmt.Errorf("field [%s]: %s is not %s", m.Name, clip(m.Value), ruleFields[i].want)
		}
	}
	return f, nil
}

// fieldHint names the field a misspelt name was meant to be, when only its
// case differs: names are exact.
func fieldHint(name string, names []string) string {
	for _, n := range names {
		if strings.EqualFold(n, name) {
			return fmt.Sprintf(" (names are case-sensitive: %s)", n)
		}
	}
	return ""
}

// clip is a JSON value for a message: its first 40 bytes.
func clip(raw []byte) string {
	if len(raw) > 40 {
		return string(raw[:40]) + "..."
	}
	return string(raw)
}

func (f Fault) check() error {
	if !strings.HasPrefix(f.Path, "/") {
		return fmt.Errorf("field [path]: %q is not a pattern starting with /, like /1/data/*", f.Path)
	}
	if _, err := path.Match(f.Path, ""); err != nil {
		return fmt.Errorf("field [path]: %q: %v", f.Path, err)
	}
	for name, value := range f.Headers {
		if err := checkHeader(name, value); err != nil {
			return err
		}
	}
	switch {
	case f.Status == 0 && f.Delay == 0 && f.DropAfter == nil:
		return errors.New("does nothing: give a status, a delay or dropAfter")
	case f.Status != 0 && f.DropAfter != nil:
		return errors.New("fields [status] and [dropAfter]: a rule answers a status or drops the connection, not both")
	case f.Status != 0 && (f.Status < 400 || f.Status > 599):
		return fmt.Errorf("field [status]: %d: a fault answers 400 to 599", f.Status)
	case f.Delay < 0 || time.Duration(f.Delay) > maxDelay:
		return fmt.Errorf("field [delay]: %s: from 0 to %s", time.Duration(f.Delay), maxDelay)
	case f.Index != nil && *f.Index < 0:
		return fmt.Errorf("field [index]: %d: a position in a batch, from 0", *f.Index)
	case f.DropAfter != nil && *f.DropAfter < 0:
		return fmt.Errorf("field [dropAfter]: %d: a count of sub-requests, from 0", *f.DropAfter)
	case f.DropAfter != nil && f.Index != nil:
		return errors.New("field [dropAfter]: drops a request's connection: it goes with no index")
	case f.After < 0:
		return fmt.Errorf("field [after]: %d: a count of matching requests, from 0", f.After)
	case f.Times < 0:
		return fmt.Errorf("field [times]: %d: a count of matching requests, from 1 (0 or none: all of them)", f.Times)
	}
	return nil
}

// checkProxied refuses the rules a mock in front of a backend (--proxy)
// could never apply: it sends a batch to the backend whole, so no item of
// it meets a rule of its own.
func checkProxied(rules []Fault) error {
	for i, f := range rules {
		if f.Index != nil {
			return fmt.Errorf("rule [%d]: field [index]: in front of a backend (--proxy) a batch is sent whole, and no rule applies to its items", i)
		}
	}
	return nil
}

// matches reports whether the rule holds for a call, on its path as
// routed: a direct request, or a batch item at its position.
func (f *Fault) matches(c *call, p string) bool {
	if !f.matchesMethod(c) {
		return false
	}
	if f.Index != nil && *f.Index != c.item || f.Index == nil && f.DropAfter != nil && c.item >= 0 {
		return false
	}
	if f.Backend != "" && f.Backend != c.backend {
		return false
	}
	for name, value := range f.Headers {
		got, sent := c.header[http.CanonicalHeaderKey(name)]
		if !sent || value != "" && (len(got) == 0 || got[0] != value) {
			return false
		}
	}
	ok, _ := path.Match(f.Path, p) // checked: a valid pattern
	return ok
}

// matchesMethod reports whether the rule holds for a call's method. A
// direct HEAD runs as the GET it stands for: a GET rule holds for it, and
// a HEAD rule, by the method the client sent, for it alone.
func (f *Fault) matchesMethod(c *call) bool {
	if f.Method == "" || strings.EqualFold(f.Method, c.method) {
		return true
	}
	return c.item < 0 && c.origin != nil && strings.EqualFold(f.Method, c.origin.Method)
}

// answer is the fault's response, for a rule with a status.
func (f *Fault) answer(d dialect) response {
	msg := f.Message
	if msg == "" {
		msg = fmt.Sprintf("fault injected by the mock: %d", f.Status)
	}
	res := d.failure(f.Status, "%s", msg)
	res.fault = true
	return res
}

// fault applies the first rule that applies to a call, direct or a batch
// item, on its path as sent: it waits the rule's delay, then answers its
// status, or drops the connection (dropAfter 0), or lets a batch run
// dropAfter items before the connection drops. It reports whether the rule
// answered in place of the operation; the journal notes the rule.
func (s *Server) fault(c *call) (response, bool) {
	p := spec.NormalizePath(c.rawPath)
	r := s.faults.match(c, p)
	if r == nil {
		return response{}, false
	}
	c.faultRule = r.id
	if c.entry != nil {
		c.entry.FaultRule = r.id
	}
	s.wait(c.origin, c.delay(time.Duration(r.Delay)))
	var res response
	switch {
	case r.Status != 0:
		res = r.answer(s.dialect)
	case r.DropAfter == nil:
		return response{}, false
	case *r.DropAfter == 0:
		res = response{drop: true}
	default:
		c.dropAfter = *r.DropAfter
		return response{}, false
	}
	if c.entry != nil {
		c.entry.Fault = res.fault
		if p == batchPath && strings.EqualFold(c.method, http.MethodPost) {
			// A batch answered whole: its items are journaled as sent.
			items, _ := s.items(c.body) // nil, and no record, for a batch refused whole
			c.entry.SubRequests = notRun(items, 0, "a fault rule answered the batch")
		}
	}
	return res, true
}

// delay is the part of a rule's delay a call waits: the fault delays of a
// direct request and of its items add up to maxDelay at most, so that a
// batch of ten items, each delayed a minute, is still answered within
// the command's --write-timeout.
func (c *call) delay(d time.Duration) time.Duration {
	if c.delayed == nil { // a call made in process: no other delay to count
		return d
	}
	d = min(d, maxDelay-*c.delayed) // items run one at a time: no lock
	*c.delayed += d
	return d
}

// faults holds the rules in force. Readers take the list without a lock;
// writers, one at a time, replace it.
type faults struct {
	mu    sync.Mutex // held by writers
	rules atomic.Pointer[[]*rule]
	next  int64 // the last rule's number; guarded by mu
}

// rule is a rule in force: a Fault numbered, with its counts.
type rule struct {
	id int64
	Fault
	matched, applied atomic.Int64
}

// set replaces the rules; their numbers go on from the last. The new list
// is stored whole, once: no request sees the rules in between.
func (fs *faults) set(rules []Fault) []FaultState {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	list, added := fs.numbered(nil, rules)
	fs.rules.Store(&list)
	return added
}

// add puts rules after those in force.
func (fs *faults) add(rules []Fault) []FaultState {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	list, added := fs.numbered(slices.Clone(fs.load()), rules)
	fs.rules.Store(&list)
	return added
}

// numbered appends the rules to list, numbered on from the last; the
// caller holds mu.
func (fs *faults) numbered(list []*rule, rules []Fault) ([]*rule, []FaultState) {
	added := make([]FaultState, 0, len(rules))
	for _, f := range rules {
		fs.next++
		r := &rule{id: fs.next, Fault: f}
		list = append(list, r)
		added = append(added, r.state())
	}
	return list, added
}

// remove takes the rule of that number out, and reports whether it was in force.
func (fs *faults) remove(id int64) bool {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	list := fs.load()
	i := slices.IndexFunc(list, func(r *rule) bool { return r.id == id })
	if i < 0 {
		return false
	}
	list = slices.Delete(slices.Clone(list), i, i+1)
	fs.rules.Store(&list)
	return true
}

func (fs *faults) load() []*rule {
	if p := fs.rules.Load(); p != nil {
		return *p
	}
	return nil
}

// list is the rules in force, with their counts.
func (fs *faults) list() []FaultState {
	rules := fs.load()
	out := make([]FaultState, len(rules))
	for i, r := range rules {
		out[i] = r.state()
	}
	return out
}

func (r *rule) state() FaultState {
	return FaultState{ID: r.id, Fault: r.Fault, Matched: r.matched.Load(), Applied: r.applied.Load()}
}

// match returns the first rule that applies to a call, or nil. Each rule
// that matches on the way counts the match; it applies from its After+1-th
// match, Times times (every time when Times is 0). The counts are atomic:
// of concurrent matches, exactly Times apply.
func (fs *faults) match(c *call, p string) *rule {
	for _, r := range fs.load() {
		if !r.matches(c, p) {
			continue
		}
		n := r.matched.Add(1)
		if n <= int64(r.After) || r.Times > 0 && n > int64(r.After)+int64(r.Times) {
			continue
		}
		r.applied.Add(1)
		return r
	}
	return nil
}
