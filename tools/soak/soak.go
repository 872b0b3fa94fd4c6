// Package soak is a model-checked load test of a SpaceDog /1/batch server.
//
// Clients send mixed batches and direct calls, each keeps an exact model
// (internal/model, the data rules in the server's profile) of its own
// types, judges every reply by it as it goes, and at the end checks every
// object. A part of their requests go to objects all of them share, whose
// history is checked for linearizability (CONC-1) with the suites'
// concurrency checker (internal/concurrency). Any 5xx, transport error,
// lost or phantom write, mismatch, or shared object no order explains is
// counted and reported.
package soak

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spacedog-oss/batchkit/internal/concurrency"
	"github.com/spacedog-oss/batchkit/internal/model"
)

// Config is a soak run.
type Config struct {
	URL      string // the server's base URL
	Clients  int
	Duration time.Duration
	Seed     uint64
	Prefix   string // starts every type name, so that runs never meet
	Profile  string // the server's wire profile (spec.Profiles); "" is the doc profile
	// SharedEvery sends one step in so many to the objects the clients
	// share; 0 is one in four.
	SharedEvery int
}

// Report is what a run saw.
type Report struct {
	Requests, SubRequests int
	Status5xx, Transport  int
	Lost, Phantom         int // acknowledged writes missing at the end; objects never acknowledged
	Mismatches            int // replies that differ from the model
	// Shared counts the requests on the objects the clients share, and
	// NotLinearizable the shared objects whose history no order explains
	// (or whose check did not end, or which too few answers left to
	// judge: not shown to hold).
	Shared, NotLinearizable int
	Examples                []string
	latencies               []time.Duration
	// Acknowledged is what the clients' models hold at the end: type → id
	// → version, every write the server acknowledged, for a check of the
	// server's files after it stops.
	Acknowledged map[string]map[string]int
}

// fail keeps an example of what went wrong, up to ten.
func (r *Report) fail(example string) {
	if len(r.Examples) < 10 {
		r.Examples = append(r.Examples, example)
	}
}

// Failed reports whether the run saw anything wrong.
func (r *Report) Failed() bool {
	return r.Status5xx+r.Transport+r.Lost+r.Phantom+r.Mismatches+r.NotLinearizable > 0
}

// Percentile is a request latency percentile, p from 0 to 1.
func (r *Report) Percentile(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	return r.latencies[min(len(r.latencies)-1, int(p*float64(len(r.latencies))))]
}

// Max is the longest request's latency.
func (r *Report) Max() time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	return r.latencies[len(r.latencies)-1]
}

func (r *Report) add(o *Report) {
	r.Requests += o.Requests
	r.SubRequests += o.SubRequests
	r.Status5xx += o.Status5xx
	r.Transport += o.Transport
	r.Lost += o.Lost
	r.Phantom += o.Phantom
	r.Mismatches += o.Mismatches
	r.Shared += o.Shared
	r.NotLinearizable += o.NotLinearizable
	r.latencies = append(r.latencies, o.latencies...)
	for typ, objs := range o.Acknowledged {
		if r.Acknowledged == nil {
			r.Acknowledged = map[string]map[string]int{}
		}
		r.Acknowledged[typ] = objs
	}
	for _, e := range o.Examples {
		if len(r.Examples) < 10 {
			r.Examples = append(r.Examples, e)
		}
	}
}

// Run soaks the server.
func Run(ctx context.Context, cfg Config) *Report {
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	httpc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: cfg.Clients}}
	total := &Report{}
	u, err := url.Parse(cfg.URL)
	if err != nil {
		total.fail(fmt.Sprintf("the server's URL: %v", err))
		return total
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	every := cmp.Or(cfg.SharedEvery, sharedEvery)
	sh := &shared{cfg: concurrency.Config{Target: cfg.URL, Profile: cfg.Profile, Ops: sharedEpoch, Seed: cfg.Seed,
		HTTP: httpc, CheckTimeout: time.Minute}, prefix: cfg.Prefix, rep: &Report{}}
	for i := range cfg.Clients {
		wg.Go(func() {
			c := &client{http: httpc, base: cfg.URL, rng: rand.New(rand.NewPCG(cfg.Seed, uint64(i))), id: i, shared: sh, sharedEvery: every,
				types: []string{fmt.Sprintf("%s_c%d_a", cfg.Prefix, i), fmt.Sprintf("%s_c%d_b", cfg.Prefix, i)},
				host:  model.Host{Name: u.Host, Backend: "soak"}, rep: &Report{}}
			var err error
			if c.model, err = model.New(model.Config{Profile: cfg.Profile}); err != nil {
				c.rep.fail(err.Error())
				c.rep.Mismatches++
			}
			for c.model != nil && ctx.Err() == nil {
				c.step()
			}
			if c.model != nil {
				c.final()
				c.rep.Acknowledged = map[string]map[string]int{}
				for _, typ := range c.types {
					c.rep.Acknowledged[typ] = c.model.Versions(c.host.Backend, typ)
				}
			}
			mu.Lock()
			total.add(c.rep)
			mu.Unlock()
		})
	}
	wg.Wait()
	total.add(sh.finish())
	slices.Sort(total.latencies)
	return total
}

type client struct {
	http  *http.Client
	base  string
	rng   *rand.Rand
	id    int
	types []string
	host  model.Host
	model *model.Model // of this client's types only: no other client touches them
	ids   int
	rep   *Report

	shared      *shared
	sharedEvery int
	epoch       int                 // of the shared objects, which its concurrency client is of
	conc        *concurrency.Client // nil until its first shared request
}

// maxReply bounds a reply the soak reads: its batches' replies are a few
// KiB; a server that floods must not take the soak's memory.
const maxReply = 64 << 20

// send makes one request; ok is false on a transport error or a 5xx.
func (c *client) send(method, path string, body []byte) (int, []byte, bool) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.rep.Transport++
		c.rep.fail(fmt.Sprintf("%s %s: %v", method, path, err))
		return 0, nil, false
	}
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		c.rep.Transport++
		c.rep.fail(fmt.Sprintf("%s %s: %v", method, path, err))
		return 0, nil, false
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxReply+1))
	resp.Body.Close()
	c.rep.latencies = append(c.rep.latencies, time.Since(start))
	c.rep.Requests++
	if err == nil && len(data) > maxReply {
		err = fmt.Errorf("a reply over %d bytes", maxReply)
	}
	if err != nil {
		c.rep.Transport++
		c.rep.fail(fmt.Sprintf("%s %s: reading the reply: %v", method, path, err))
		return 0, nil, false
	}
	if resp.StatusCode >= 500 {
		c.rep.Status5xx++
		c.rep.fail(fmt.Sprintf("%s %s: %d %.200s", method, path, resp.StatusCode, data))
		return resp.StatusCode, data, false
	}
	return resp.StatusCode, data, true
}

// op is one operation: a batch item, and what it is for reading (a read of
// one object, whose 404 is a lost write and whose 200 a phantom one).
type op struct {
	item model.Item
	read bool
}

// step sends a few operations, one by one or as a batch, and has the model
// judge the replies.
func (c *client) step() {
	if c.rng.IntN(c.sharedEvery) == 0 {
		c.shareStep()
		return
	}
	n := 1 + c.rng.IntN(8)
	ops := make([]op, n)
	for i := range ops {
		ops[i] = c.pick()
	}
	if c.rng.IntN(3) == 0 { // direct calls, one by one
		for _, o := range ops {
			r := o.item.Req
			if r == nil {
				continue // a malformed item: it goes in batches only
			}
			target := r.Path
			if r.Query != "" {
				target += "?" + r.Query
			}
			status, body, ok := c.send(r.Method, target, r.Payload)
			if !ok {
				continue
			}
			st := &model.Step{Host: c.host, Auth: model.Auth{User: "anonymous"}, Req: r}
			c.judged(o.read, status, c.model.JudgeDirect(st, status, body))
		}
		return
	}
	st := &model.Step{Host: c.host, Auth: model.Auth{User: "anonymous"}, Items: make([]model.Item, n)}
	raws := make([][]byte, n)
	for i, o := range ops {
		st.Items[i], raws[i] = o.item, o.item.Raw
	}
	if c.rng.IntN(2) == 0 {
		st.Query = "stopOnError=true"
	}
	st.Body = append(append([]byte("["), bytes.Join(raws, []byte(","))...), ']')
	path := "/1/batch"
	if st.Query != "" {
		path += "?" + st.Query
	}
	status, body, ok := c.send("POST", path, st.Body)
	if !ok {
		return
	}
	v := c.model.JudgeBatch(st, status, body)
	for _, r := range v.Ran {
		if r.Result != nil {
			c.rep.SubRequests++
		}
	}
	read := false
	for _, o := range ops {
		read = read || o.read
	}
	c.judged(read, status, v.Problems)
}

// judged counts what the model found wrong with a reply: a read answering
// 404 where the model holds the object is a lost write, one answering an
// object the model does not hold a phantom one; anything else a mismatch.
func (c *client) judged(read bool, status int, problems []string) {
	for _, p := range problems {
		switch {
		case read && strings.Contains(p, "status 404, want 200"):
			c.rep.Lost++
		case read && strings.Contains(p, "status 200, want 404"):
			c.rep.Phantom++
		default:
			c.rep.Mismatches++
		}
		c.rep.fail(p)
	}
}

func (c *client) item(method, path string, payload any) model.Item {
	r := &model.Request{Method: method, Path: path}
	if p, q, ok := strings.Cut(path, "?"); ok {
		r.Path, r.Query = p, q
	}
	raw := map[string]any{"method": method, "path": path}
	if payload != nil {
		r.Payload, _ = json.Marshal(payload)
		r.Field = "content"
		raw["content"] = json.RawMessage(r.Payload)
	}
	data, _ := json.Marshal(raw)
	return model.Item{Raw: data, Req: r, Alone: true}
}

// pick draws an operation, often on an object the model holds.
func (c *client) pick() op {
	typ := c.types[c.rng.IntN(len(c.types))]
	ids := c.model.IDs(c.host.Backend, typ)
	existing := ""
	if len(ids) > 0 {
		existing = ids[c.rng.IntN(len(ids))]
	}
	k := c.rng.IntN(10)
	if len(ids) > 64 && k < 3 {
		k = 5 // a delete: the store stays bounded, so memory should stay flat
	}
	switch {
	case k < 3: // create, with an id of our own or a generated one
		c.ids++
		path := "/1/data/" + typ
		if c.rng.IntN(2) == 0 {
			path += "?id=o" + strconv.Itoa(c.ids)
		}
		return op{item: c.item("POST", path, map[string]any{"n": c.ids, "tag": fmt.Sprintf("t%d", c.rng.IntN(5))})}
	case k < 5 && existing != "": // merge or strict update
		path := "/1/data/" + typ + "/" + existing
		if c.rng.IntN(2) == 0 {
			path += "?strict=true"
		}
		return op{item: c.item("PUT", path, map[string]any{"m": c.rng.IntN(100)})}
	case k < 6 && existing != "":
		return op{item: c.item("DELETE", "/1/data/"+typ+"/"+existing, nil)}
	case k < 8 && existing != "":
		return op{item: c.item("GET", "/1/data/"+typ+"/"+existing, nil), read: true}
	case k < 9: // a stale version: a 409, or a 404, that changes nothing
		id := existing
		if id == "" {
			id = "none"
		}
		return op{item: c.item("PUT", "/1/data/"+typ+"/"+id+"?version=999999", map[string]any{"x": 1})}
	}
	// A malformed item: a 400 that changes nothing.
	raw, _ := json.Marshal(map[string]any{"method": "G E T", "path": "/1/data/" + typ})
	return op{item: model.Item{Raw: raw, Malformed: true, Fields: []string{"method"}}}
}

// final reads every type whole and has the model judge it: an object the
// model holds and the listing lacks is lost, one the listing has and the
// model does not a phantom.
func (c *client) final() {
	for _, typ := range c.types {
		r := &model.Request{Method: "GET", Path: "/1/data/" + typ, Query: "size=100000"}
		status, body, ok := c.send(r.Method, r.Path+"?"+r.Query, nil)
		if !ok {
			continue
		}
		want := c.model.IDs(c.host.Backend, typ)
		missed := c.rep.Lost + c.rep.Phantom
		var l struct {
			Results []struct {
				Meta struct{ ID string }
			}
		}
		if status == http.StatusOK && json.Unmarshal(body, &l) == nil {
			seen := map[string]bool{}
			for _, o := range l.Results {
				seen[o.Meta.ID] = true
				if !slices.Contains(want, o.Meta.ID) {
					c.rep.Phantom++
					c.rep.fail(fmt.Sprintf("phantom %s/%s at the end", typ, o.Meta.ID))
				}
			}
			for _, id := range want {
				if !seen[id] {
					c.rep.Lost++
					c.rep.fail(fmt.Sprintf("lost %s/%s at the end", typ, id))
				}
			}
		}
		st := &model.Step{Host: c.host, Auth: model.Auth{User: "anonymous"}, Req: r}
		problems := c.model.JudgeDirect(st, status, body)
		if c.rep.Lost+c.rep.Phantom == missed { // else the listing's problems are those writes
			c.judged(false, status, problems)
		}
	}
}

// String is the report as a Markdown table.
func (r *Report) String() string {
	var b strings.Builder
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	fmt.Fprintln(&b, "| requests | sub-requests | shared | 5xx | transport errors | lost | phantom | mismatches | not linearizable | p50 | p99 | p99.9 | max |")
	fmt.Fprintln(&b, "|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	fmt.Fprintf(&b, "| %d | %d | %d | %d | %d | %d | %d | %d | %d | %.2f ms | %.2f ms | %.2f ms | %.2f ms |\n", r.Requests, r.SubRequests, r.Shared, r.Status5xx, r.Transport,
		r.Lost, r.Phantom, r.Mismatches, r.NotLinearizable, ms(r.Percentile(0.5)), ms(r.Percentile(0.99)), ms(r.Percentile(0.999)), ms(r.Max()))
	for _, e := range r.Examples {
		fmt.Fprintln(&b, "- "+e)
	}
	return b.String()
}
