// Package soak is a model-checked load test of a SpaceDog /1/batch server:
// clients send mixed batches and direct calls, each keeps an exact model
// of what the server acknowledged in its own types, checks every reply as
// it goes, and at the end checks every object. Any 5xx, transport error,
// lost or phantom write, or mismatch is counted and reported.
package soak

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Config is a soak run.
type Config struct {
	URL      string // the server's base URL
	Clients  int
	Duration time.Duration
	Seed     uint64
	Prefix   string // starts every type name, so that runs never meet
}

// Report is what a run saw.
type Report struct {
	Requests, SubRequests int
	Status5xx, Transport  int
	Lost, Phantom         int // acknowledged writes missing at the end; objects never acknowledged
	Mismatches            int // replies that differ from the model
	Examples              []string
	latencies             []time.Duration
}

// Failed reports whether the run saw anything wrong.
func (r *Report) Failed() bool {
	return r.Status5xx+r.Transport+r.Lost+r.Phantom+r.Mismatches > 0
}

// Percentile is a request latency percentile, p from 0 to 1.
func (r *Report) Percentile(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	return r.latencies[min(len(r.latencies)-1, int(p*float64(len(r.latencies))))]
}

func (r *Report) add(o *Report) {
	r.Requests += o.Requests
	r.SubRequests += o.SubRequests
	r.Status5xx += o.Status5xx
	r.Transport += o.Transport
	r.Lost += o.Lost
	r.Phantom += o.Phantom
	r.Mismatches += o.Mismatches
	r.latencies = append(r.latencies, o.latencies...)
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
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range cfg.Clients {
		wg.Go(func() {
			c := &client{http: httpc, base: cfg.URL, rng: rand.New(rand.NewPCG(cfg.Seed, uint64(i))),
				types: []string{fmt.Sprintf("%s_c%d_a", cfg.Prefix, i), fmt.Sprintf("%s_c%d_b", cfg.Prefix, i)},
				model: map[string]map[string]*object{}, rep: &Report{}}
			for ctx.Err() == nil {
				c.step()
			}
			c.final()
			mu.Lock()
			total.add(c.rep)
			mu.Unlock()
		})
	}
	wg.Wait()
	slices.Sort(total.latencies)
	return total
}

// object is what the model knows of a stored object.
type object struct {
	fields  map[string]any
	version int
}

type client struct {
	http  *http.Client
	base  string
	rng   *rand.Rand
	types []string
	model map[string]map[string]*object // type → id → object; a type known once created
	ids   int
	rep   *Report
}

func (c *client) fail(format string, args ...any) {
	c.rep.Mismatches++
	if len(c.rep.Examples) < 10 {
		c.rep.Examples = append(c.rep.Examples, fmt.Sprintf(format, args...))
	}
}

// maxReply bounds a reply the soak reads: its batches' replies are a few
// KiB; a server that floods must not take the soak's memory.
const maxReply = 64 << 20

// send makes one request; ok is false on a transport error or a 5xx.
func (c *client) send(method, path string, body any) (int, []byte, bool) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil { // a malformed item's method: it goes in batches only
		return 0, nil, false
	}
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		c.rep.Transport++
		c.fail("%s %s: %v", method, path, err)
		c.rep.Mismatches--
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
		c.fail("%s %s: reading the reply: %v", method, path, err)
		c.rep.Mismatches--
		return 0, nil, false
	}
	if resp.StatusCode >= 500 {
		c.rep.Status5xx++
		return resp.StatusCode, data, false
	}
	return resp.StatusCode, data, true
}

// op is one operation, with what the model says its result must be.
type op struct {
	item   map[string]any
	expect func(status int, body map[string]any) // checks the result and applies it to the model
}

func (c *client) step() {
	n := 1 + c.rng.IntN(8)
	ops := make([]op, n)
	for i := range ops {
		ops[i] = c.pick()
	}
	if c.rng.IntN(3) == 0 { // direct calls, one by one
		for _, o := range ops {
			status, body, ok := c.send(o.item["method"].(string), o.item["path"].(string), o.item["content"])
			if !ok {
				continue
			}
			o.expect(status, decode(body))
		}
		return
	}
	stop := c.rng.IntN(2) == 0
	path := "/1/batch"
	if stop {
		path += "?stopOnError=true"
	}
	items := make([]any, n)
	for i, o := range ops {
		items[i] = o.item
	}
	status, body, ok := c.send("POST", path, items)
	if !ok {
		return
	}
	var results []json.RawMessage
	if status != 200 || json.Unmarshal(body, &results) != nil {
		c.fail("batch answered %d: %.200s", status, body)
		return
	}
	c.rep.SubRequests += len(results)
	for i, o := range ops {
		if i >= len(results) {
			c.fail("batch of %d gave %d results, stopOnError=%v", n, len(results), stop)
			return
		}
		res := decode(results[i])
		s := 200
		if v, ok := res["status"].(float64); ok {
			s = int(v)
		}
		o.expect(s, res)
		if stop && s >= 400 {
			if len(results) != i+1 {
				c.fail("stopOnError: %d results after a failure at %d", len(results), i)
			}
			return
		}
	}
}

func decode(b []byte) map[string]any {
	var m map[string]any
	json.Unmarshal(b, &m)
	return m
}

// pick draws an operation and what it must answer, from the model.
func (c *client) pick() op {
	typ := c.types[c.rng.IntN(len(c.types))]
	objs := c.model[typ]
	existing := ""
	for id := range objs {
		existing = id
		break
	}
	k := c.rng.IntN(10)
	if len(objs) > 64 && k < 3 {
		k = 5 // a delete: the store stays bounded, so memory should stay flat
	}
	switch {
	case k < 3: // create, with an id of our own or a generated one
		c.ids++
		id, path := fmt.Sprintf("o%d", c.ids), "/1/data/"+typ
		if c.rng.IntN(2) == 0 {
			path += "?id=" + id
		} else {
			id = ""
		}
		fields := map[string]any{"n": float64(c.ids), "tag": fmt.Sprintf("t%d", c.rng.IntN(5))}
		return op{item: map[string]any{"method": "POST", "path": path, "content": fields},
			expect: func(s int, body map[string]any) {
				if id == "" {
					id, _ = body["id"].(string)
				}
				if s != 200 && s != 201 || id == "" || body["id"] != id {
					c.fail("create %s/%s: %d %v", typ, id, s, body)
					return
				}
				if c.model[typ] == nil {
					c.model[typ] = map[string]*object{}
				}
				c.model[typ][id] = &object{fields: fields, version: 1}
			}}
	case k < 5 && existing != "": // merge or strict update
		strict := c.rng.IntN(2) == 0
		fields := map[string]any{"m": float64(c.rng.IntN(100))}
		path := "/1/data/" + typ + "/" + existing
		if strict {
			path += "?strict=true"
		}
		return op{item: map[string]any{"method": "PUT", "path": path, "content": fields},
			expect: func(s int, body map[string]any) {
				o := c.model[typ][existing]
				if o == nil {
					if s != 404 {
						c.fail("update of deleted %s/%s: %d", typ, existing, s)
					}
					return
				}
				if s != 200 || body["version"] != float64(o.version+1) {
					c.fail("update %s/%s: %d %v, want version %d", typ, existing, s, body, o.version+1)
					return
				}
				if strict {
					o.fields = map[string]any{}
				} else {
					o.fields = maps(o.fields)
				}
				for k, v := range fields {
					o.fields[k] = v
				}
				o.version++
			}}
	case k < 6 && existing != "": // delete
		return op{item: map[string]any{"method": "DELETE", "path": "/1/data/" + typ + "/" + existing},
			expect: func(s int, body map[string]any) {
				if c.model[typ][existing] == nil {
					if s != 404 {
						c.fail("delete of deleted %s/%s: %d", typ, existing, s)
					}
					return
				}
				if s != 200 {
					c.fail("delete %s/%s: %d %v", typ, existing, s, body)
					return
				}
				delete(c.model[typ], existing)
			}}
	case k < 8 && existing != "": // read
		return op{item: map[string]any{"method": "GET", "path": "/1/data/" + typ + "/" + existing},
			expect: func(s int, body map[string]any) { c.check(typ, existing, s, body) }}
	case k < 9: // a stale version: a 409 that changes nothing
		id := existing
		if id == "" {
			id = "none"
		}
		return op{item: map[string]any{"method": "PUT", "path": "/1/data/" + typ + "/" + id + "?version=999999", "content": map[string]any{"x": 1}},
			expect: func(s int, body map[string]any) {
				if o := c.model[typ][id]; (o != nil && s != 409) || (o == nil && s != 404) {
					c.fail("stale update %s/%s: %d", typ, id, s)
				}
			}}
	}
	// A malformed item: a 400 that changes nothing.
	return op{item: map[string]any{"method": "G E T", "path": "/1/data/" + typ},
		expect: func(s int, body map[string]any) {
			if s != 400 {
				c.fail("malformed item: %d %v", s, body)
			}
		}}
}

// check compares an object as read with the model.
func (c *client) check(typ, id string, s int, body map[string]any) {
	o := c.model[typ][id]
	if o == nil {
		if s == 200 {
			c.rep.Phantom++
			c.fail("phantom %s/%s: %v", typ, id, body)
		}
		return
	}
	if s != 200 {
		c.rep.Lost++
		c.fail("lost %s/%s: %d %v", typ, id, s, body)
		return
	}
	meta, _ := body["meta"].(map[string]any)
	if meta == nil || meta["version"] != float64(o.version) {
		c.fail("%s/%s: meta %v, want version %d", typ, id, meta, o.version)
	}
	for k, v := range o.fields {
		if body[k] != v {
			c.fail("%s/%s: field %s = %v, want %v", typ, id, k, body[k], v)
		}
	}
}

// final reads every type whole and checks it against the model.
func (c *client) final() {
	for _, typ := range c.types {
		status, body, ok := c.send("GET", "/1/data/"+typ+"?size=100000", nil)
		if !ok {
			continue
		}
		if c.model[typ] == nil {
			if status != 404 {
				c.fail("type %s never created answers %d", typ, status)
			}
			continue
		}
		var l struct {
			Total   int
			Results []map[string]any
		}
		if status != 200 || json.Unmarshal(body, &l) != nil {
			c.fail("listing %s: %d %.200s", typ, status, body)
			continue
		}
		seen := map[string]bool{}
		for _, obj := range l.Results {
			meta, _ := obj["meta"].(map[string]any)
			id, _ := meta["id"].(string)
			seen[id] = true
			c.check(typ, id, 200, obj)
		}
		for id := range c.model[typ] {
			if !seen[id] {
				c.rep.Lost++
				c.fail("lost %s/%s at the end", typ, id)
			}
		}
		if l.Total != len(c.model[typ]) {
			c.fail("listing %s: total %d, want %d", typ, l.Total, len(c.model[typ]))
		}
	}
}

func maps(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// String is the report as a Markdown table.
func (r *Report) String() string {
	var b strings.Builder
	fmt.Fprintln(&b, "| requests | sub-requests | 5xx | transport errors | lost | phantom | mismatches | p50 | p99 |")
	fmt.Fprintln(&b, "|---|---|---|---|---|---|---|---|---|")
	fmt.Fprintf(&b, "| %d | %d | %d | %d | %d | %d | %d | %.2f ms | %.2f ms |\n", r.Requests, r.SubRequests, r.Status5xx, r.Transport,
		r.Lost, r.Phantom, r.Mismatches, float64(r.Percentile(0.5).Microseconds())/1000, float64(r.Percentile(0.99).Microseconds())/1000)
	for _, e := range r.Examples {
		fmt.Fprintln(&b, "- "+e)
	}
	return b.String()
}
