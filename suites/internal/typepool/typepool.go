// Package typepool leases each run of the suites a lane of a fixed pool of
// type names on the target, so that runs leave a bounded set of types and
// runs at the same time never share one.
//
// A backend never forgets a type (DATA-4): types made afresh by each run
// would pile up. The pool has Lanes lanes, each a fixed set of names; a
// run empties its lane's types before use, and gives the lane back.
//
// A lane's lease is an object of the type LeaseType, its id the lane's
// number, written with the data API's own guarantees (CONC-1): a lane is
// taken by an update with the version read (?version=V), of which at most
// one of concurrent ones succeeds, or by creating the lease object. A
// creation is exclusive in the doc profile (409 for an id in use); in the
// spacedog-2016 profile a POST with an id overwrites, and the version it
// answers tells: 1 for a creation, more for an overwrite of a lease that
// another run created and holds at that instant, whose lane is then left
// marked as held for a day rather than shared. A run reads its lease back
// once written: a target that does not keep it under the lane's id (one
// that ignores ?id= would give every run lane 0), or as written, leases
// no lane, and Acquire says why.
package typepool

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spacedog-oss/batchkit/internal/jsonvalue"
)

// Lanes is how many runs may hold a lane at once; a run that finds every
// lane held makes types of its own (Acquire's ErrAllHeld).
const Lanes = 16

// LeaseType is the type of the lease objects, one per lane.
const LeaseType = "batchkit_leases"

// contested is how long a lane stays held after two runs created its
// lease at once: long enough for any run that believes it holds it.
const contested = 24 * time.Hour

// ErrAllHeld is Acquire's error when every lane is held by another run.
var ErrAllHeld = errors.New("every lane of the type pool is held by another run")

// Lane is a lane's type names: Type(i) for the i-th type a spec uses.
type Lane struct {
	Number int
	Prefix string // every type of the lane starts with it: batchkit3
}

// laneOf is lane k.
func laneOf(k int) Lane { return Lane{Number: k, Prefix: fmt.Sprintf("batchkit%d", k)} }

// id is the id of the lane's lease object.
func (l Lane) id() string { return strconv.Itoa(l.Number) }

// Type is the lane's i-th type.
func (l Lane) Type(i int) string { return fmt.Sprintf("%s_t%d", l.Prefix, i) }

// Pool leases lanes on one target.
type Pool struct {
	Client *http.Client
	Base   string // the target's base URL
	// The Basic credentials of the leases' requests; "": none.
	User, Password string
	Holder         string // who holds the leases taken: unique to the run and process
	Hold           time.Duration
	Now            func() time.Time // nil: time.Now
}

// Lease is a lane held, until Release.
type Lease struct {
	Lane
	pool    *Pool
	version int // the lease object's, as this holder wrote it
}

// lease is what a lease object holds.
type lease struct {
	Holder string `json:"holder"` // "": free
	Until  string `json:"until"`  // RFC 3339; past it the lease is free
}

// record is a lease object as read back.
type record struct {
	lease
	version int // its meta.version
}

func (p *Pool) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// held reports whether the lease holds its lane at now.
func (r lease) held(now time.Time) bool {
	until, err := time.Parse(time.RFC3339Nano, r.Until)
	return r.Holder != "" && err == nil && now.Before(until)
}

// Acquire leases the first free lane, in order: runs one after another
// all use lane 0. It returns ErrAllHeld when every lane is held, and an
// error when the target does not answer the lease's requests as the data
// API does.
func (p *Pool) Acquire(ctx context.Context) (*Lease, error) {
	for k := range Lanes {
		l, err := p.take(ctx, laneOf(k))
		if err != nil || l != nil {
			return l, err
		}
	}
	return nil, ErrAllHeld
}

// take tries lane k once: the lease, or nil when another run holds it or
// won the race for it.
func (p *Pool) take(ctx context.Context, lane Lane) (*Lease, error) {
	path := fmt.Sprintf("/1/data/%s/%d", LeaseType, lane.Number)
	status, body, err := p.send(ctx, "GET", path, nil)
	if err != nil {
		return nil, err
	}
	mine := lease{Holder: p.Holder, Until: p.now().Add(p.Hold).UTC().Format(time.RFC3339Nano)}
	switch status {
	case http.StatusNotFound:
		return p.create(ctx, lane, mine)
	case http.StatusOK:
	default:
		return nil, fmt.Errorf("GET %s answered %d: %s", path, status, short(body))
	}
	r, err := decode(body)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	if r.held(p.now()) {
		return nil, nil
	}
	version, status, err := p.put(ctx, lane, r.version, mine)
	switch {
	case err != nil:
		return nil, err
	case status == http.StatusConflict:
		return nil, nil // another run took it first
	case status != http.StatusOK:
		return nil, fmt.Errorf("taking lane %d answered %d", lane.Number, status)
	}
	return p.confirm(ctx, lane, version)
}

// create takes a lane whose lease object does not exist yet by creating it.
func (p *Pool) create(ctx context.Context, lane Lane, mine lease) (*Lease, error) {
	path := fmt.Sprintf("/1/data/%s?id=%d", LeaseType, lane.Number)
	status, body, err := p.send(ctx, "POST", path, mine)
	switch {
	case err != nil:
		return nil, err
	case status == http.StatusConflict:
		return nil, nil // created by another run in between
	case status >= 300:
		return nil, fmt.Errorf("POST %s answered %d: %s", path, status, short(body))
	}
	saved := jsonvalue.Members(body)
	version, ok := integer(saved, "version")
	if !ok || version < 1 {
		return nil, fmt.Errorf("POST %s: a saved body without its version: %s", path, short(body))
	}
	if id, _ := text(saved, "id"); id != lane.id() {
		// The target made an id of its own up: the object is no lane's
		// lease, and every run would take it for lane N's.
		if id != "" {
			p.send(ctx, "DELETE", "/1/data/"+LeaseType+"/"+url.PathEscape(id), nil)
		}
		return nil, fmt.Errorf("POST %s: the target saved the lease under the id %q, not %s: it does not keep the id given", path, id, lane.id())
	}
	if version == 1 {
		return p.confirm(ctx, lane, 1)
	}
	// An overwrite (spacedog-2016): another run created the lease after
	// this one found none, and holds the lane. Keep it held, for longer
	// than any run, rather than share it or free it under that run.
	taint := lease{Holder: "contested by " + p.Holder, Until: p.now().Add(contested).UTC().Format(time.RFC3339Nano)}
	if _, _, err := p.put(ctx, lane, version, taint); err != nil {
		return nil, err
	}
	return nil, nil
}

// put replaces the lease object if it is at version, and returns the
// version it gets.
func (p *Pool) put(ctx context.Context, lane Lane, version int, r lease) (int, int, error) {
	path := fmt.Sprintf("/1/data/%s/%d?version=%d&strict=true", LeaseType, lane.Number, version)
	status, body, err := p.send(ctx, "PUT", path, r)
	if err != nil || status != http.StatusOK {
		return 0, status, err
	}
	saved := jsonvalue.Members(body)
	if v, _ := integer(saved, "version"); v != version+1 {
		return 0, status, fmt.Errorf("PUT %s: the saved body names version %d, not %d: %s", path, v, version+1, short(body))
	}
	if id, _ := text(saved, "id"); id != lane.id() {
		return 0, status, fmt.Errorf("PUT %s: the saved body names the id %q, not %s: %s", path, id, lane.id(), short(body))
	}
	return version + 1, status, nil
}

// confirm reads the lease back once this run saved it at version: the
// target keeps it under the lane's id, held by this run. A later version
// is another run's overwrite of its creation (spacedog-2016), which marks
// the lane held for a day and goes on to another: the lane stays this
// run's.
func (p *Pool) confirm(ctx context.Context, lane Lane, version int) (*Lease, error) {
	path := fmt.Sprintf("/1/data/%s/%d", LeaseType, lane.Number)
	status, body, err := p.send(ctx, "GET", path, nil)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("GET %s answered %d once the lease was saved: the target does not keep the lease under the id given: %s", path, status, short(body))
	}
	r, err := decode(body)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	if r.Holder == p.Holder && r.version == version || r.version > version {
		return &Lease{Lane: lane, pool: p, version: version}, nil
	}
	return nil, fmt.Errorf("GET %s: the lease saved at version %d for %q reads back at version %d for %q", path, version, p.Holder, r.version, r.Holder)
}

// Release frees the lane, unless another run holds it now (a lease that
// expired, or was marked contested).
func (l *Lease) Release(ctx context.Context) error {
	_, status, err := l.pool.put(ctx, l.Lane, l.version, lease{})
	if err == nil && status != http.StatusOK && status != http.StatusConflict && status != http.StatusNotFound {
		err = fmt.Errorf("releasing lane %d answered %d", l.Number, status)
	}
	return err
}

func (p *Pool) send(ctx context.Context, method, path string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(p.Base, "/")+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if p.User != "" {
		req.SetBasicAuth(p.User, p.Password)
	}
	resp, err := p.Client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	return resp.StatusCode, b, nil
}

// decode reads a lease object: as a direct GET answers it, or wrapped in
// content as a 2016 server's batch result would be. A lease object holds
// both its members, as every run writes them: one without them is not
// free, but not a lease.
func decode(body []byte) (record, error) {
	m := jsonvalue.Members(body)
	if m == nil {
		return record{}, fmt.Errorf("not a lease object: %s", short(body))
	}
	if _, ok := m["meta"]; !ok {
		if content := jsonvalue.Members(m["content"]); content != nil {
			m = content
		}
	}
	var r record
	var holder, until bool
	r.Holder, holder = text(m, "holder")
	r.Until, until = text(m, "until")
	r.version, _ = integer(jsonvalue.Members(m["meta"]), "version")
	switch {
	case r.version < 1:
		return r, fmt.Errorf("a lease object without meta.version: %s", short(body))
	case !holder || !until:
		return r, fmt.Errorf("a lease object without its holder and until: %s", short(body))
	}
	return r, nil
}

// integer is the member name of m, if it is an integer.
func integer(m map[string]json.RawMessage, name string) (int, bool) {
	var n int
	raw, ok := m[name]
	if !ok || string(raw) == "null" || json.Unmarshal(raw, &n) != nil {
		return 0, false
	}
	return n, true
}

// text is the member name of m, if it is a string.
func text(m map[string]json.RawMessage, name string) (string, bool) {
	var s string
	raw, ok := m[name]
	if !ok || string(raw) == "null" || json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

func short(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "..."
	}
	return string(b)
}
