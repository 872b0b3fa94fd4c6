// Package concurrency is the suites' concurrency mode (CONTRACT §3.1,
// CONC-1), which the soak uses too: concurrent clients' requests on a few
// shared objects, recorded with their times, and each object's history
// checked for linearizability with Porcupine.
//
// Clients send requests on the objects on their own and in batches; every
// operation is recorded with the times it was sent and answered; each
// object's history is checked against the data rules of one object
// (internal/model), in the target's profile. When no order of an object's
// operations explains their answers, the part of its history that shows
// so is cut out and Porcupine draws the whole as a timeline. A Sender
// records what it sends in a History, a Checker judges a History, and a
// Shared is objects that clients share, with both.
package concurrency

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spacedog-oss/batchkit/internal/jsonvalue"
	"github.com/spacedog-oss/batchkit/internal/model"
	"github.com/spacedog-oss/batchkit/spec"
)

// Config is a run of the mode.
type Config struct {
	Target  string // the target's base URL
	Profile string
	Clients int
	Ops     int           // requests sent at most, batches counting one
	Budget  time.Duration // no request is sent past it
	Seed    uint64        // the clients' draws; client i draws from Seed+i
	// Types are fresh types of the run's own: no one else writes them.
	Types []string
	// Auths are the callers; the clients take them in turn. None:
	// anonymous.
	Auths        []model.Auth
	HTTP         *http.Client
	MaxReply     int64
	CheckTimeout time.Duration // the check of every object, all together
	// Timeline has Porcupine draw the history of an object found wrong.
	Timeline bool
}

// The pool: objectsPerType objects of each type, by id; the ids change
// every epoch requests, so that no object's history grows past what a
// check takes in a blink, however long the run.
const (
	objectsPerType = 2
	epoch          = 2000
)

// ids are the pool's ids for the count of requests sent so far.
func ids(sent int64) []string {
	e := sent / epoch
	out := make([]string, objectsPerType)
	for i := range out {
		out[i] = fmt.Sprintf("k%d", i+1)
		if e > 0 {
			out[i] = fmt.Sprintf("e%dk%d", e, i+1)
		}
	}
	return out
}

// Result is what a run did and found.
type Result struct {
	Requests int // every request sent, setting up included
	Ops      int // operations of the concurrent clients
	// Of those, operations whose effect is unknown (no answer came, or an
	// answer that says none of the server's did: see unknownEffect), and
	// operations refused unrun (see refusal).
	Unanswered, Refused int
	Elapsed             time.Duration
	// NotJudged says why CONC-1 was not judged, when no order was found
	// wrong: the target breaks rules that a single client already sees,
	// which other specs report, or too few of the operations were
	// answered to show anything (see judgeable).
	NotJudged string
	// Broken lists batches whose answer could not be read item by item.
	Broken  []Exchange
	Verdict Verdict
	History *History

	check *Checker
}

// Shared is objects that concurrent clients share: the types set up, the
// requests sent on them recorded, and their history judged. The mode runs
// one; the soak's clients send a part of their requests through one.
type Shared struct {
	cfg   Config
	send  *Sender
	check *Checker
	sent  atomic.Int64
	start time.Time
	// A step holds mu for reading while it sends; Result takes it to
	// close the history, once every request sent is answered.
	mu     sync.RWMutex
	closed bool
	// before counts the requests of setting up and of the probe.
	before int
}

// NewShared sets the objects up: each type is known before the clients
// start (DATA-4), by an object of an id of its own, and stays known
// through deletes.
func NewShared(ctx context.Context, cfg Config) (*Shared, error) {
	u, err := url.Parse(cfg.Target)
	if err != nil {
		return nil, fmt.Errorf("the target's URL: %w", err)
	}
	sp, err := spec.LoadProfile(cfg.Profile)
	if err != nil {
		return nil, err
	}
	m, err := model.New(model.Config{Profile: cfg.Profile})
	if err != nil {
		return nil, err
	}
	if len(cfg.Auths) == 0 {
		cfg.Auths = []model.Auth{{User: "anonymous"}}
	}
	host := model.Host{Name: u.Host, Backend: "target"}
	sh := &Shared{cfg: cfg, check: &Checker{Model: m, Host: host, Timeline: cfg.Timeline},
		send: &Sender{HTTP: cfg.HTTP, Base: cfg.Target, Host: host, Profile: cfg.Profile, Wire: sp.Wire, History: NewHistory(), MaxReply: cfg.MaxReply}}
	for _, typ := range cfg.Types {
		op := sh.send.Direct(ctx, -1, cfg.Auths[0], Planned{Type: typ, ID: "anchor",
			Req: model.Request{Method: http.MethodPost, Path: "/1/data/" + typ, Query: "id=anchor", Payload: []byte(`{"anchor":true}`)}})
		if op.Status < 200 || op.Status > 299 {
			return sh, fmt.Errorf("setting up: creating %s/anchor answered %d: %s", typ, op.Status, short(op.Body, 300))
		}
	}
	return sh, nil
}

// Probe checks that one client's requests of every kind are answered by
// the rules (see probe), and says what is wrong, or "". Then the clients
// start on a history of their own: neither setting up nor the probe is
// judged with them.
func (sh *Shared) Probe(ctx context.Context) string {
	why := probe(ctx, sh.send, sh.check, sh.cfg.Types[0], sh.cfg.Auths[0])
	sh.Begin()
	return why
}

// Begin starts the clients' history: what was sent before is not judged
// with it. Probe begins it.
func (sh *Shared) Begin() {
	sh.before = len(sh.send.History.Exchanges())
	sh.send.History = NewHistory()
	sh.start = time.Now()
}

// Client is client i of the shared objects, as Config.Seed draws it.
func (sh *Shared) Client(i int) *Client {
	return &Client{id: i, send: sh.send, cfg: &sh.cfg, caller: sh.cfg.Auths[i%len(sh.cfg.Auths)],
		rng: rand.New(rand.NewPCG(sh.cfg.Seed+uint64(i), 0xc0c)), seen: map[string]int{}, shared: sh}
}

// Step sends the client's next request, unless the requests of Config.Ops
// are all sent: it reports whether it sent one.
func (c *Client) Step(ctx context.Context) bool {
	c.shared.mu.RLock()
	defer c.shared.mu.RUnlock()
	sent := c.shared.sent.Add(1)
	if c.shared.closed || sent > int64(c.cfg.Ops) {
		return false
	}
	c.step(ctx, ids(sent-1))
	return true
}

// Result waits for the answers of the requests in flight, ends the
// history (no client sends again), and judges it, every object within
// Config.CheckTimeout.
func (sh *Shared) Result() *Result {
	sh.mu.Lock()
	sh.closed = true
	sh.mu.Unlock()
	res := &Result{History: sh.send.History, check: sh.check, Elapsed: time.Since(sh.start)}
	res.Requests = sh.before + len(res.History.Exchanges())
	ops := res.History.Ops()
	res.Ops = len(ops)
	for _, op := range ops {
		switch {
		case op.refused():
			res.Refused++
		case !op.answered():
			res.Unanswered++
		}
	}
	for _, ex := range res.History.Exchanges() {
		if ex.Broken != "" {
			res.Broken = append(res.Broken, ex)
		}
	}
	res.Verdict = sh.check.Check(ops, sh.cfg.CheckTimeout)
	if res.Verdict.Finding == nil {
		res.NotJudged = res.judgeable(ops)
	}
	return res
}

// Run runs the mode: it sets the types up, checks that one client is
// answered by the rules, runs the clients within the budget, and checks
// every object.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	sh, err := NewShared(ctx, cfg)
	if err != nil {
		if sh == nil {
			return nil, err
		}
		return &Result{Requests: len(sh.send.History.Exchanges())}, err
	}
	if why := sh.Probe(ctx); why != "" {
		return &Result{Requests: sh.before, NotJudged: why, History: sh.send.History}, nil
	}
	budget, cancel := context.WithTimeout(ctx, cfg.Budget)
	defer cancel()
	var wg sync.WaitGroup
	for i := range cfg.Clients {
		wg.Go(func() {
			c := sh.Client(i)
			// The budget stops new requests; those sent get their answers.
			for budget.Err() == nil && c.Step(ctx) {
			}
		})
	}
	wg.Wait()
	return sh.Result(), nil
}

// Client is one of the concurrent clients: it draws its requests, and
// learns the versions it is answered, to send updates of a version that
// is often the current one.
type Client struct {
	id     int
	send   *Sender
	cfg    *Config
	caller model.Auth
	rng    *rand.Rand
	seen   map[string]int // object → the last version this client saw; 0: absent
	n      int            // values written: each write's is the run's only one
	shared *Shared
}

// step sends one request: an operation on its own, or a batch of a few
// on distinct objects (ORD-2 orders a batch's own; items on one object
// would be ordered within one interval, which a check of intervals cannot
// express). A type's delete goes on its own, or in a batch of the other
// type's objects.
func (c *Client) step(ctx context.Context, pool []string) {
	if c.rng.IntN(100) < 3 {
		typ := c.cfg.Types[c.rng.IntN(len(c.cfg.Types))]
		del := Planned{Type: typ, Req: model.Request{Method: http.MethodDelete, Path: "/1/data/" + typ}}
		if c.rng.IntN(2) == 0 || len(c.cfg.Types) < 2 {
			c.learn(pool, c.send.Direct(ctx, c.id, c.caller, del))
			return
		}
		other := c.cfg.Types[0]
		if other == typ {
			other = c.cfg.Types[1]
		}
		batch := []Planned{del}
		for _, id := range pool[:1+c.rng.IntN(len(pool))] {
			batch = append(batch, c.draw(other, id))
		}
		c.rng.Shuffle(len(batch), func(i, j int) { batch[i], batch[j] = batch[j], batch[i] })
		c.learn(pool, c.send.Batch(ctx, c.id, c.caller, batch)...)
		return
	}
	var objects [][2]string
	for _, typ := range c.cfg.Types {
		for _, id := range pool {
			objects = append(objects, [2]string{typ, id})
		}
	}
	c.rng.Shuffle(len(objects), func(i, j int) { objects[i], objects[j] = objects[j], objects[i] })
	if c.rng.IntN(2) == 0 {
		o := objects[0]
		c.learn(pool, c.send.Direct(ctx, c.id, c.caller, c.draw(o[0], o[1])))
		return
	}
	var batch []Planned
	for _, o := range objects[:2+c.rng.IntN(min(3, len(objects)-1))] {
		batch = append(batch, c.draw(o[0], o[1]))
	}
	c.learn(pool, c.send.Batch(ctx, c.id, c.caller, batch)...)
}

// draw picks an operation on the object: reads most, creates with its
// id, merges and strict updates, often of the version last seen, deletes.
func (c *Client) draw(typ, id string) Planned {
	path := "/1/data/" + typ + "/" + id
	p := Planned{Type: typ, ID: id}
	write := func(strict bool) []byte {
		c.n++
		v := strconv.Itoa(c.id*1_000_000 + c.n)
		if strict {
			return []byte(`{"s":` + v + `,"c` + strconv.Itoa(c.id) + `":` + v + `}`)
		}
		return []byte(`{"c` + strconv.Itoa(c.id) + `":` + v + `}`)
	}
	switch k := c.rng.IntN(100); {
	case k < 28:
		p.Req = model.Request{Method: http.MethodGet, Path: path}
	case k < 42:
		p.Req = model.Request{Method: http.MethodPost, Path: "/1/data/" + typ, Query: "id=" + id, Payload: write(true)}
	case k < 58:
		p.Req = model.Request{Method: http.MethodPut, Path: path, Payload: write(false)}
	case k < 66:
		p.Req = model.Request{Method: http.MethodPut, Path: path, Query: "strict=true", Payload: write(true)}
	case k < 90:
		// An update of the version last seen: often the current one, so
		// that two clients often send the same.
		v := max(c.seen[typ+"/"+id], 1)
		strict := c.rng.IntN(3) == 0
		q := "version=" + strconv.Itoa(v)
		if strict {
			q += "&strict=true"
		}
		p.Req = model.Request{Method: http.MethodPut, Path: path, Query: q, Payload: write(strict)}
	default:
		p.Req = model.Request{Method: http.MethodDelete, Path: path}
	}
	return p
}

// learn notes the versions the answers show.
func (c *Client) learn(pool []string, ops ...*Op) {
	for _, op := range ops {
		if !op.answered() || op.ID == "" {
			if op.ID == "" && op.Status == http.StatusOK {
				for _, id := range pool {
					c.seen[op.Type+"/"+id] = 0
				}
			}
			continue
		}
		m := jsonvalue.Members(op.Body)
		meta := jsonvalue.Members(m["meta"])
		var v int
		switch {
		case op.Status == http.StatusNotFound || op.Req.Method == http.MethodDelete && op.Status == http.StatusOK:
			c.seen[op.Object()] = 0
		case meta != nil && jsonInt(meta["version"], &v):
			c.seen[op.Object()] = v
		case jsonInt(m["version"], &v):
			c.seen[op.Object()] = v
		}
	}
}

// jsonInt reads an integer.
func jsonInt(raw []byte, into *int) bool { return raw != nil && json.Unmarshal(raw, into) == nil }

// probe sends one client's requests of every kind the clients send, in
// turn, on their own and then in batches, and judges each answer by the
// rules from the state the one before left. It says what is wrong, or "":
// a target that already breaks the data rules for one client is judged
// for them by their own specs, and the mode would only repeat it.
func probe(ctx context.Context, send *Sender, check *Checker, typ string, caller model.Auth) string {
	const id = "probe"
	path := "/1/data/" + typ + "/" + id
	plan := []model.Request{
		{Method: http.MethodGet, Path: path},
		{Method: http.MethodPost, Path: "/1/data/" + typ, Query: "id=" + id, Payload: []byte(`{"p":1}`)},
		{Method: http.MethodGet, Path: path},
		{Method: http.MethodPut, Path: path, Payload: []byte(`{"q":2}`)},
		{Method: http.MethodPut, Path: path, Query: "version=1", Payload: []byte(`{"q":3}`)},
		{Method: http.MethodPut, Path: path, Query: "version=2&strict=true", Payload: []byte(`{"r":4}`)},
		{Method: http.MethodGet, Path: path},
		{Method: http.MethodPost, Path: "/1/data/" + typ, Query: "id=" + id, Payload: []byte(`{"p":5}`)},
		{Method: http.MethodDelete, Path: path},
		{Method: http.MethodDelete, Path: path},
		{Method: http.MethodPut, Path: path, Payload: []byte(`{"q":6}`)},
		{Method: http.MethodPost, Path: "/1/data/" + typ, Query: "id=" + id, Payload: []byte(`{"p":7}`)},
		{Method: http.MethodDelete, Path: "/1/data/" + typ},
		{Method: http.MethodGet, Path: path},
	}
	p := &partition{typ: typ, id: id}
	var s model.Object
	judge := func(op *Op) string {
		switch {
		case op.Status == model.Unanswered:
			return fmt.Sprintf("one client's %s (%s): the target leaves one client unanswered already, so it cannot be judged with many", describe(op), send.History.Exchanges()[op.Exchange].Err)
		case op.refused() || !op.answered():
			return fmt.Sprintf("one client's %s: the target refuses one client's requests already (a rate limit, or an overloaded server), so it cannot be judged with many", describe(op))
		}
		next := check.step(p, s, op)
		if len(next) == 0 {
			_, problems := check.Model.TryObject(s, check.Host, typ, id, op.Req, op.Caller, op.Item, op.Status, op.Body)
			return fmt.Sprintf("one client's %s, with the object %s: %s; the specs of the rules it breaks report it", describe(op), s, strings.Join(problems, "; "))
		}
		s = next[0]
		return ""
	}
	planned := func(r model.Request) Planned {
		pl := Planned{Type: typ, ID: id, Req: r}
		if r.Path == "/1/data/"+typ && r.Method == http.MethodDelete {
			pl.ID = ""
		}
		return pl
	}
	for _, r := range plan {
		if why := judge(send.Direct(ctx, -1, caller, planned(r))); why != "" {
			return why
		}
	}
	for chunk := range slices.Chunk(plan, 5) {
		var batch []Planned
		for _, r := range chunk {
			batch = append(batch, planned(r))
		}
		ops := send.Batch(ctx, -1, caller, batch)
		if ex := send.History.Exchanges()[len(send.History.Exchanges())-1]; ex.Broken != "" {
			return "one client's batch: " + ex.Broken + "; the specs of the rules it breaks report it"
		}
		for _, op := range ops {
			if why := judge(op); why != "" {
				return why
			}
		}
	}
	return ""
}
