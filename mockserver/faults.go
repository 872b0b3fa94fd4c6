package mockserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spacedog-oss/batchkit/spec"
)

// Fault is a rule that makes the mock misbehave on purpose, for clients to
// test how they cope. It matches requests by method and path pattern, and
// batch items also by their position; it answers a status with the error
// envelope instead of running the request, or adds a delay, or drops the
// connection after some sub-requests of a batch have run.
type Fault struct {
	Method    string   `json:"method,omitempty"`    // any case; empty: any method
	Path      string   `json:"path"`                // a pattern of path.Match: * stands for one segment
	Index     *int     `json:"index,omitempty"`     // a batch item's position: the rule then holds for batch items only
	Status    int      `json:"status,omitempty"`    // 400-599: answered instead of running the request
	Message   string   `json:"message,omitempty"`   // the envelope's message
	Delay     Duration `json:"delay,omitempty"`     // waited before answering
	DropAfter *int     `json:"dropAfter,omitempty"` // drop the connection once this many sub-requests ran (0 for a direct request: before running it)
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
func ParseFaults(data []byte) ([]Fault, error) {
	var rules []Fault
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rules); err != nil {
		return nil, fmt.Errorf("fault rules are a JSON array of rules: %v", err)
	}
	for i, f := range rules {
		if err := f.check(); err != nil {
			return nil, fmt.Errorf("rule [%d]: %w", i, err)
		}
	}
	return rules, nil
}

func (f Fault) check() error {
	if !strings.HasPrefix(f.Path, "/") {
		return fmt.Errorf("path %q: a pattern starting with /, like /1/data/*", f.Path)
	}
	if _, err := path.Match(f.Path, ""); err != nil {
		return fmt.Errorf("path %q: %v", f.Path, err)
	}
	switch {
	case f.Status == 0 && f.Delay == 0 && f.DropAfter == nil:
		return errors.New("does nothing: give a status, a delay or dropAfter")
	case f.Status != 0 && (f.Status < 400 || f.Status > 599):
		return fmt.Errorf("status %d: a fault answers 400 to 599", f.Status)
	case f.Delay < 0 || time.Duration(f.Delay) > maxDelay:
		return fmt.Errorf("delay %s: from 0 to %s", time.Duration(f.Delay), maxDelay)
	case f.Index != nil && *f.Index < 0:
		return fmt.Errorf("index %d: a position in a batch, from 0", *f.Index)
	case f.DropAfter != nil && *f.DropAfter < 0:
		return fmt.Errorf("dropAfter %d: a count of sub-requests, from 0", *f.DropAfter)
	case f.DropAfter != nil && f.Index != nil:
		return errors.New("dropAfter drops a request's connection: it goes with no index")
	}
	return nil
}

// matches reports whether the rule holds for a request: a direct one when
// index is -1, else the batch item at that position.
func (f Fault) matches(method, p string, index int) bool {
	if f.Method != "" && !strings.EqualFold(f.Method, method) {
		return false
	}
	if f.Index != nil && *f.Index != index || f.Index == nil && f.DropAfter != nil && index >= 0 {
		return false
	}
	ok, _ := path.Match(f.Path, p)
	return ok
}

// answer is the fault's response, for a rule with a status.
func (f Fault) answer(d dialect) response {
	msg := f.Message
	if msg == "" {
		msg = fmt.Sprintf("fault injected by the mock: %d", f.Status)
	}
	res := d.failure(f.Status, "%s", msg)
	res.fault = true
	return res
}

// fault applies the first rule that holds for a call, direct or a batch
// item, on its path as sent: it waits the rule's delay, then answers its
// status, or drops the connection (dropAfter 0), or lets a batch run
// dropAfter items before the connection drops. It reports whether the rule
// answered in place of the operation.
func (s *Server) fault(c *call) (response, bool) {
	f := s.faults.match(c.method, spec.NormalizePath(c.rawPath), c.item)
	if f == nil {
		return response{}, false
	}
	sleep(c.origin, time.Duration(f.Delay))
	switch {
	case f.Status != 0:
		return f.answer(s.dialect), true
	case f.DropAfter == nil:
		return response{}, false
	case *f.DropAfter == 0:
		return response{drop: true}, true
	}
	c.dropAfter = *f.DropAfter
	return response{}, false
}

// faults holds the rules in force; they are replaced whole.
type faults struct{ rules atomic.Pointer[[]Fault] }

func (fs *faults) set(rules []Fault) { fs.rules.Store(&rules) }

func (fs *faults) list() []Fault {
	if p := fs.rules.Load(); p != nil {
		return *p
	}
	return []Fault{}
}

// match returns the first rule that holds, or nil.
func (fs *faults) match(method, p string, index int) *Fault {
	rules := fs.list()
	for i := range rules {
		if rules[i].matches(method, p, index) {
			return &rules[i]
		}
	}
	return nil
}
