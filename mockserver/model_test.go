package mockserver_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/spacedog-oss/batchkit/mockserver"
)

// The model test runs random sequences of direct requests and batches
// against the mock and against a small executable model of the data rules,
// and checks after every step that both agree: statuses, the bodies' ids,
// versions, fields and totals, and the whole stored state. Every batch also
// runs, item by item, as direct requests on a twin mock with the same
// deterministic ids and clock, whose replies must be the batch's results
// byte for byte (ORD-4).
//
// A short run is part of `go test`. The long run:
//
//	go test -race -run TestModel ./mockserver/ -model.seeds=40 -model.steps=2000 -timeout=30m
//
// A failure names its seed and step; -model.seed=S -model.steps=N replays it.
var (
	modelSeeds = flag.Int("model.seeds", 3, "model test: run the seeds 1 to N")
	modelSeed  = flag.Uint64("model.seed", 0, "model test: run this seed alone, to replay a failure")
	modelSteps = flag.Int("model.steps", 200, "model test: steps per seed")
)

// TestModel checks ORD-1 to ORD-4, SUB-1 to SUB-5, STOP-1 to STOP-4, LIM-1,
// LIM-2, ERR-1, ERR-3 to ERR-7, SEC-1, SEC-2 and DATA-1 to DATA-6 together,
// on sequences no one wrote by hand.
func TestModel(t *testing.T) {
	seeds := []uint64{*modelSeed}
	if *modelSeed == 0 {
		seeds = nil
		for s := range *modelSeeds {
			seeds = append(seeds, uint64(s)+1)
		}
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) { runModel(t, seed, *modelSteps) })
	}
}

func runModel(t *testing.T, seed uint64, steps int) {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	limit := []int{3, 5, 10}[rng.IntN(3)] // small limits reach LIM-2 often
	config := func() mockserver.Config {
		cfg := deterministic()
		cfg.NewID, cfg.MaxBatch = mockserver.SeededIDs(seed), limit
		return cfg
	}
	run := &modelRun{a: newMock(t, config()), b: newMock(t, config()), model: &model{backends: map[string]*modelBackend{}}, limit: limit}
	gen := &modelGen{r: rng, model: run.model, limit: limit}
	for i := range steps {
		st := gen.step()
		problems := run.step(st)
		if len(problems) == 0 {
			problems = run.checkState()
		}
		if t.Failed() { // the self-check of newMock reported a response that breaks the spec
			problems = append(problems, "a response breaks the spec: see the self-check errors above")
		}
		if len(problems) > 0 {
			t.Fatalf("seed %d, step %d: %s\n%s\nreplay: go test -run TestModel ./mockserver/ -model.seed=%d -model.steps=%d",
				seed, i, st, strings.Join(problems, "\n"), seed, i+1)
		}
	}
}

// modelRun holds the mock under test (a), its twin (b), which gets each
// batch's items as direct requests, and the model they must both agree with.
type modelRun struct {
	a, b  *mock
	model *model
	limit int
}

func (run *modelRun) step(st *modelStep) []string {
	if st.req != nil {
		return run.direct(st)
	}
	return run.batch(st)
}

// direct sends a request to both mocks: they must answer the same bytes,
// and what the model expects.
func (run *modelRun) direct(st *modelStep) []string {
	r := st.req
	h := http.Header{}
	if st.auth.header != "" {
		h.Set("Authorization", st.auth.header)
	}
	method := strings.ToUpper(r.method)
	ra := run.a.sendExactly(st.host.name, method, r.path, r.query, r.payload, h)
	rb := run.b.sendExactly(st.host.name, method, r.path, r.query, r.payload, h)
	var problems []string
	if ra.status != rb.status || !bytes.Equal(ra.body, rb.body) {
		problems = append(problems, fmt.Sprintf("the twins differ:\n %d %s\n %d %s", ra.status, ra.body, rb.status, rb.body))
	}
	out := run.model.apply(st.host, *r, st.auth.user, -1)
	return append(problems, out.judge(ra.status, ra.body)...)
}

// batch posts a batch to the mock, checks its reply item by item against
// the model, and sends each item that ran to the twin as a direct request,
// whose reply must be the item's result byte for byte.
func (run *modelRun) batch(st *modelStep) []string {
	h := http.Header{"Content-Type": {"application/json"}}
	if st.auth.header != "" {
		h.Set("Authorization", st.auth.header)
	}
	ra := run.a.sendExactly(st.host.name, "POST", "/1/batch", st.query, st.body, h)
	if why := st.rejected(run.limit); why != "" {
		var want []string
		if why == "limit" {
			want = []string{strconv.Itoa(run.limit)} // LIM-2: the message names the limit
		}
		out := modelOutcome{status: http.StatusBadRequest, says: want}
		return modelPrefix("whole batch ("+why+")", out.judge(ra.status, ra.body))
	}
	if ra.status != http.StatusOK {
		return []string{fmt.Sprintf("batch status %d, want 200: %s", ra.status, ra.body)}
	}
	var results []json.RawMessage
	if err := json.Unmarshal(ra.body, &results); err != nil || results == nil {
		return []string{fmt.Sprintf("batch reply is not an array of results: %s", ra.body)}
	}
	stop := strings.EqualFold(modelQuery(st.query).Get("stopOnError"), "true")
	var problems []string
	ran := 0
	for i, it := range st.items {
		if i >= len(results) {
			problems = append(problems, fmt.Sprintf("%d results, want more: the reply ends before item [%d] %s", len(results), i, it.raw))
			return problems
		}
		ran++
		var out modelOutcome
		if it.req == nil {
			out = modelOutcome{status: http.StatusBadRequest, says: []string{fmt.Sprintf("[%d]", i), it.field}} // ERR-4
		} else {
			out = run.model.apply(st.host, *it.req, it.user(st.auth), i)
		}
		problems = append(problems, modelPrefix(fmt.Sprintf("item [%d] %s", i, it.raw), out.judge(modelResultStatus(results[i]), results[i]))...)
		if it.twin {
			r := it.req
			rb := run.b.sendExactly(st.host.name, strings.ToUpper(r.method), r.path, r.twinQuery(), r.payload, it.header(h))
			if rb.status != out.status || !bytes.Equal(rb.body, results[i]) {
				problems = append(problems, fmt.Sprintf("item [%d] %s: sent on its own it answers\n %d %s\nnot its result\n %s",
					i, it.raw, rb.status, rb.body, results[i]))
			}
		}
		if stop && out.status >= http.StatusBadRequest {
			break // STOP-2
		}
	}
	if len(results) != ran {
		problems = append(problems, fmt.Sprintf("%d results, want %d (ORD-1, STOP-2): %s", len(results), ran, ra.body))
	}
	return problems
}

// checkState compares the mock's stored state with the model's, and with
// its twin's, byte for byte.
func (run *modelRun) checkState() []string {
	sa, sb := run.a.srv.State(""), run.b.srv.State("")
	if problems := run.model.checkState(sa); len(problems) > 0 {
		return modelPrefix("stored state", problems)
	}
	if ja, jb := mustJSON(run.a.t, sa), mustJSON(run.b.t, sb); !bytes.Equal(ja, jb) {
		return []string{fmt.Sprintf("the twins' states differ:\n %s\n %s", ja, jb)}
	}
	return nil
}

// modelResultStatus is a batch result's status: an envelope's, or 200 for a
// representation (an object or a listing), as the doc profile sends them.
func modelResultStatus(raw json.RawMessage) int {
	var members map[string]json.RawMessage
	_ = json.Unmarshal(raw, &members)
	status, err := strconv.Atoi(string(members["status"]))
	if members["meta"] != nil || members["total"] != nil || members["success"] == nil || err != nil {
		return http.StatusOK
	}
	return status
}

func modelPrefix(p string, problems []string) []string {
	for i := range problems {
		problems[i] = p + ": " + problems[i]
	}
	return problems
}

// model is the data rules of CONTRACT §6, executable: backend → type →
// objects. A known type may hold no object.
type model struct {
	backends map[string]*modelBackend
}

type modelBackend struct {
	types map[string]map[string]*modelObject
	seq   int // creation order, for listings: oldest first
}

type modelObject struct {
	id, typ              string
	fields               map[string]any // as JSON decodes them: float64 numbers
	version              int
	createdBy, updatedBy string
	// Times come from the mock's clock: the model learns them when it sees
	// them, then holds the mock to them. after is a time updatedAt must be
	// later than, once an update made it unknown.
	createdAt, updatedAt, after string
	seq                         int
}

// modelOutcome is what the model expects of a reply: a status and, for a
// success, a check of the body, which may teach the model what it could not
// know (a generated id, a time).
type modelOutcome struct {
	status int
	check  func(v any) []string // a success's body
	says   []string             // what an error's message must say
}

func (m *model) backend(name string) *modelBackend {
	if m.backends[name] == nil {
		m.backends[name] = &modelBackend{types: map[string]map[string]*modelObject{}}
	}
	return m.backends[name]
}

func modelFailed(status int) modelOutcome { return modelOutcome{status: status} }

// The patterns of type names (DATA-5) and ids (spec/openapi.yaml's ObjectId),
// and the shape of generated ids (DATA-6).
var (
	modelTypeName    = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,63}$`)
	modelObjectID    = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9._~-]{0,127}$`)
	modelGeneratedID = regexp.MustCompile(`^[A-Za-z0-9_-]{20}$`)
	modelDigits      = regexp.MustCompile(`^[0-9]+$`)
)

// The routes of CONTRACT §6 and the methods each allows.
var modelMethods = map[string][]string{
	"all":    {"GET", "DELETE"},
	"type":   {"GET", "POST", "DELETE"},
	"object": {"GET", "PUT", "DELETE"},
	"batch":  {"POST"},
}

// apply runs a request on the model: item is its index in a batch, or -1
// for a direct request. It returns what the mock must answer.
func (m *model) apply(host modelHost, r modelRequest, user string, item int) modelOutcome {
	segs, ok := modelSegments(r.path)
	if !ok {
		return modelFailed(http.StatusBadRequest) // SEC-1
	}
	kind, typ, id := modelRoute(segs)
	method := strings.ToUpper(r.method)
	switch {
	case kind == "":
		return modelFailed(http.StatusNotFound) // ERR-5
	case kind == "batch" && item >= 0:
		return modelFailed(http.StatusBadRequest) // ERR-6, whatever the method
	case !slices.Contains(modelMethods[kind], method):
		return modelFailed(http.StatusMethodNotAllowed) // ERR-5, ERR-2
	case kind == "batch":
		panic("the generator sends no direct batch as a request")
	}
	q, ok := r.effectiveQuery()
	if !ok {
		return modelFailed(http.StatusBadRequest)
	}
	if kind != "all" && !modelTypeName.MatchString(typ) || kind == "object" && !modelObjectID.MatchString(id) {
		return modelFailed(http.StatusBadRequest) // DATA-5; SEC-1: an id holding "/" is no id
	}
	b := m.backend(host.backend)
	switch kind + " " + method {
	case "all GET":
		return b.list("", q)
	case "all DELETE":
		for t := range b.types {
			b.types[t] = map[string]*modelObject{}
		}
		return modelDone()
	case "type GET":
		return b.list(typ, q)
	case "type POST":
		return b.create(host, typ, q, r.payload, user)
	case "type DELETE":
		if b.types[typ] == nil {
			return modelFailed(http.StatusNotFound) // DATA-4
		}
		b.types[typ] = map[string]*modelObject{} // the type stays known
		return modelDone()
	case "object GET":
		o, out := b.find(typ, id)
		if o == nil {
			return out
		}
		return modelOutcome{status: http.StatusOK, check: func(v any) []string { return o.check(v) }}
	case "object PUT":
		return b.update(host, typ, id, q, r.payload, user)
	default: // object DELETE
		o, out := b.find(typ, id)
		if o == nil {
			return out
		}
		delete(b.types[typ], id)
		return modelDone()
	}
}

// modelSegments splits a path as sent on "/" and then decodes each segment
// (CONTRACT §9), with the legacy root and a trailing slash (SUB-5); false
// for a path SEC-1 refuses.
func modelSegments(raw string) ([]string, bool) {
	if strings.HasPrefix(raw, "//") {
		return nil, false
	}
	segs := strings.Split(raw, "/")[1:]
	for i, s := range segs {
		dec, err := url.PathUnescape(s)
		if err != nil || dec == ".." || strings.ContainsAny(dec, `\`) ||
			strings.ContainsFunc(dec, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return nil, false
		}
		segs[i] = dec
	}
	if len(segs) > 1 && segs[len(segs)-1] == "" {
		segs = segs[:len(segs)-1]
	}
	if segs[0] == "v1" {
		segs[0] = "1"
	}
	return segs, true
}

// modelRoute names the route of decoded segments: all, type, object, batch,
// or "" for none.
func modelRoute(segs []string) (kind, typ, id string) {
	switch {
	case len(segs) == 2 && segs[0] == "1" && segs[1] == "batch":
		return "batch", "", ""
	case len(segs) < 2 || len(segs) > 4 || segs[0] != "1" || segs[1] != "data" || slices.Contains(segs[2:], ""):
		return "", "", ""
	case len(segs) == 2:
		return "all", "", ""
	case len(segs) == 3:
		return "type", segs[2], ""
	}
	return "object", segs[2], segs[3]
}

func modelRouteKind(segs []string) string {
	kind, _, _ := modelRoute(segs)
	return kind
}

// modelCount reads from or size: absent, the default; a non-negative integer up
// to 2^31-1, else no value (DATA-5).
func modelCount(q url.Values, name string, def int) (int, bool) {
	v, ok := q[name]
	if !ok {
		return def, true
	}
	n, err := strconv.ParseInt(v[0], 10, 64)
	if !modelDigits.MatchString(v[0]) || err != nil || n > 1<<31-1 {
		return 0, false
	}
	return int(n), true
}

func (b *modelBackend) list(typ string, q url.Values) modelOutcome {
	from, ok1 := modelCount(q, "from", 0)
	size, ok2 := modelCount(q, "size", 10)
	if !ok1 || !ok2 {
		return modelFailed(http.StatusBadRequest)
	}
	if typ != "" && b.types[typ] == nil {
		return modelFailed(http.StatusNotFound) // DATA-4
	}
	all := b.objects(typ)
	from = min(from, len(all))
	page := all[from : from+min(size, len(all)-from)]
	return modelOutcome{status: http.StatusOK, check: func(v any) []string {
		l, _ := v.(map[string]any)
		results, _ := l["results"].([]any)
		if len(l) != 2 || l["total"] != float64(len(all)) || len(results) != len(page) {
			return []string{fmt.Sprintf("listing %v, want total %d and %d results (DATA-3)", v, len(all), len(page))}
		}
		var problems []string
		for i, o := range page {
			problems = append(problems, o.check(results[i])...)
		}
		return problems
	}}
}

// objects lists a type's objects, or every type's for "", oldest first.
func (b *modelBackend) objects(typ string) []*modelObject {
	var all []*modelObject
	for t, objs := range b.types {
		if typ == "" || t == typ {
			all = slices.AppendSeq(all, maps.Values(objs))
		}
	}
	slices.SortFunc(all, func(x, y *modelObject) int { return x.seq - y.seq })
	return all
}

// modelPayload reads a POST or PUT payload: a JSON object, else no fields
// (DATA-5). A client's meta is not the object's (DATA-1).
func modelPayload(data []byte) (map[string]any, bool) {
	var fields map[string]any
	if json.Unmarshal(data, &fields) != nil || fields == nil {
		return nil, false
	}
	delete(fields, "meta")
	return fields, true
}

func (b *modelBackend) create(host modelHost, typ string, q url.Values, data []byte, user string) modelOutcome {
	id, given := q["id"]
	if given && !modelObjectID.MatchString(id[0]) {
		return modelFailed(http.StatusBadRequest)
	}
	fields, ok := modelPayload(data)
	if !ok {
		return modelFailed(http.StatusBadRequest)
	}
	if b.types[typ] == nil {
		b.types[typ] = map[string]*modelObject{} // DATA-4: known from now on
	}
	objs := b.types[typ]
	if given && objs[id[0]] != nil {
		return modelFailed(http.StatusConflict) // DATA-5
	}
	b.seq++
	o := &modelObject{typ: typ, fields: fields, version: 1, createdBy: user, updatedBy: user, seq: b.seq}
	if given {
		o.id = id[0]
		objs[o.id] = o
	}
	return modelOutcome{status: http.StatusOK, check: func(v any) []string {
		if !given { // the mock makes the id: learn it
			got, _ := v.(map[string]any)["id"].(string)
			if !modelGeneratedID.MatchString(got) || objs[got] != nil {
				return []string{fmt.Sprintf("generated id %q: want 20 URL-safe characters, new in its type (DATA-6): %v", got, v)}
			}
			o.id = got
			objs[got] = o
		}
		return o.checkSaved(host, v)
	}}
}

func (b *modelBackend) update(host modelHost, typ, id string, q url.Values, data []byte, user string) modelOutcome {
	strict := q.Get("strict") == "true"
	if v, ok := q["strict"]; ok && v[0] != "true" && v[0] != "false" {
		return modelFailed(http.StatusBadRequest)
	}
	version := 0
	if v, ok := q["version"]; ok {
		n, err := strconv.ParseInt(v[0], 10, 64)
		if !modelDigits.MatchString(v[0]) || err != nil || n < 1 {
			return modelFailed(http.StatusBadRequest) // DATA-5: a positive integer
		}
		version = int(n)
	}
	fields, ok := modelPayload(data)
	if !ok {
		return modelFailed(http.StatusBadRequest)
	}
	o, out := b.find(typ, id)
	if o == nil {
		return out
	}
	if version != 0 && version != o.version {
		return modelFailed(http.StatusConflict)
	}
	if !strict {
		merged := maps.Clone(o.fields)
		maps.Copy(merged, fields)
		fields = merged
	}
	o.fields, o.updatedBy = fields, user
	o.version++
	if o.updatedAt != "" {
		o.after = o.updatedAt
	}
	o.updatedAt = ""
	return modelOutcome{status: http.StatusOK, check: func(v any) []string { return o.checkSaved(host, v) }}
}

// find returns the object, or, when there is none, the 404 to answer (ERR-7).
func (b *modelBackend) find(typ, id string) (*modelObject, modelOutcome) {
	objs := b.types[typ]
	if objs == nil {
		return nil, modelFailed(http.StatusNotFound)
	}
	if o := objs[id]; o != nil {
		return o, modelOutcome{}
	}
	out := modelFailed(http.StatusNotFound)
	out.says = []string{fmt.Sprintf("object [%s] of type [%s] not found", id, typ)}
	return nil, out
}

func modelDone() modelOutcome {
	return modelOutcome{status: http.StatusOK, check: func(v any) []string {
		if !reflect.DeepEqual(v, map[string]any{"success": true, "status": float64(200)}) {
			return []string{fmt.Sprintf("%v, want {success: true, status: 200}", v)}
		}
		return nil
	}}
}

// checkSaved checks a create's or an update's reply (DATA-2).
func (o *modelObject) checkSaved(host modelHost, v any) []string {
	want := map[string]any{"success": true, "status": float64(200), "id": o.id, "type": o.typ,
		"location": "http://" + host.name + "/1/data/" + o.typ + "/" + o.id, "version": float64(o.version)}
	if !reflect.DeepEqual(v, want) {
		return []string{fmt.Sprintf("saved %v, want %v (DATA-2)", v, want)}
	}
	return nil
}

// check checks an object as read back (DATA-1): its fields and its meta.
func (o *modelObject) check(v any) []string {
	got, _ := v.(map[string]any)
	meta, _ := got["meta"].(map[string]any)
	fields := maps.Clone(got)
	delete(fields, "meta")
	if fields == nil {
		fields = map[string]any{}
	}
	var problems []string
	if !reflect.DeepEqual(fields, o.fields) {
		problems = append(problems, fmt.Sprintf("object %s/%s: fields %v, want %v", o.typ, o.id, fields, o.fields))
	}
	createdAt, _ := meta["createdAt"].(string)
	updatedAt, _ := meta["updatedAt"].(string)
	want := map[string]any{"id": o.id, "type": o.typ, "version": float64(o.version), "createdBy": o.createdBy,
		"updatedBy": o.updatedBy, "createdAt": createdAt, "updatedAt": updatedAt}
	if !reflect.DeepEqual(meta, want) {
		return append(problems, fmt.Sprintf("object %s/%s: meta %v, want %v", o.typ, o.id, meta, want))
	}
	return append(problems, o.learnTimes(createdAt, updatedAt)...)
}

// learnTimes holds the object's times to what the mock showed before: the
// creation time never moves, the update time moves forward on an update
// and only then.
func (o *modelObject) learnTimes(createdAt, updatedAt string) []string {
	name := o.typ + "/" + o.id
	switch {
	case !isTime.MatchString(createdAt) || !isTime.MatchString(updatedAt):
		return []string{fmt.Sprintf("object %s: times %q %q are not UTC ISO-8601 with milliseconds", name, createdAt, updatedAt)}
	case o.createdAt != "" && createdAt != o.createdAt:
		return []string{fmt.Sprintf("object %s: createdAt moved from %s to %s", name, o.createdAt, createdAt)}
	case o.updatedAt != "" && updatedAt != o.updatedAt:
		return []string{fmt.Sprintf("object %s: updatedAt moved from %s to %s with no update", name, o.updatedAt, updatedAt)}
	case o.updatedAt == "" && updatedAt <= o.after:
		return []string{fmt.Sprintf("object %s: updatedAt %s is not after %s, its time before the update", name, updatedAt, o.after)}
	case updatedAt < createdAt || o.version == 1 && updatedAt != createdAt:
		return []string{fmt.Sprintf("object %s at version %d: createdAt %s, updatedAt %s", name, o.version, createdAt, updatedAt)}
	}
	o.createdAt, o.updatedAt = createdAt, updatedAt
	return nil
}

// checkState compares the mock's stored state with the model's: the same
// backends, the same known types, the same objects, oldest first.
func (m *model) checkState(st mockserver.State) []string {
	var problems []string
	for _, name := range slices.Sorted(maps.Keys(m.backends)) {
		b := m.backends[name]
		if len(b.types) == 0 {
			continue
		}
		types, ok := st[name]
		if !ok {
			problems = append(problems, fmt.Sprintf("backend %s is missing", name))
			continue
		}
		if got, want := slices.Sorted(maps.Keys(types)), slices.Sorted(maps.Keys(b.types)); !slices.Equal(got, want) {
			problems = append(problems, fmt.Sprintf("backend %s: types %v, want %v (DATA-4)", name, got, want))
			continue
		}
		for _, typ := range slices.Sorted(maps.Keys(b.types)) {
			want := b.objects(typ)
			if len(types[typ]) != len(want) {
				problems = append(problems, fmt.Sprintf("%s/%s: %d objects, want %d", name, typ, len(types[typ]), len(want)))
				continue
			}
			for i, o := range want {
				var v any
				if err := json.Unmarshal(types[typ][i], &v); err != nil || modelDuplicateKey(types[typ][i]) != "" {
					problems = append(problems, fmt.Sprintf("%s/%s[%d]: not an object with one member of each name: %s", name, typ, i, types[typ][i]))
					continue
				}
				problems = append(problems, modelPrefix(fmt.Sprintf("%s/%s[%d]", name, typ, i), o.check(v))...)
			}
		}
	}
	for name := range st {
		if b := m.backends[name]; b == nil || len(b.types) == 0 {
			problems = append(problems, fmt.Sprintf("backend %s holds data it should not: %v", name, st[name]))
		}
	}
	return problems
}

// judge checks a reply against the outcome.
func (out modelOutcome) judge(status int, body []byte) []string {
	if status != out.status {
		return []string{fmt.Sprintf("status %d, want %d: %s", status, out.status, body)}
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return []string{fmt.Sprintf("not JSON: %v: %s", err, body)}
	}
	if k := modelDuplicateKey(body); k != "" {
		return []string{fmt.Sprintf("member %q twice in an object: %s", k, body)}
	}
	if status < http.StatusBadRequest {
		if out.check == nil {
			return nil
		}
		return out.check(v)
	}
	// ERR-3: the envelope, with a message saying what went wrong.
	e, _ := v.(map[string]any)
	inner, _ := e["error"].(map[string]any)
	typ, _ := inner["type"].(string)
	msg, _ := inner["message"].(string)
	if len(e) != 3 || e["success"] != false || e["status"] != float64(status) || len(inner) != 2 || typ == "" || msg == "" {
		return []string{fmt.Sprintf("not the error envelope of a %d (ERR-3): %s", status, body)}
	}
	for _, s := range out.says {
		if !strings.Contains(msg, s) {
			return []string{fmt.Sprintf("message %q does not say %q", msg, s)}
		}
	}
	return nil
}

// modelDuplicateKey returns a name that an object of the JSON text holds twice,
// which decoding hides (the last one wins), or "".
func modelDuplicateKey(data []byte) string {
	type level struct {
		keys    map[string]bool // nil in an array
		wantKey bool
	}
	var stack []*level
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &level{keys: map[string]bool{}, wantKey: true})
			continue
		case json.Delim('['):
			stack = append(stack, &level{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		default:
			if len(stack) > 0 && stack[len(stack)-1].wantKey {
				top, name := stack[len(stack)-1], tok.(string)
				if top.keys[name] {
					return name
				}
				top.keys[name], top.wantKey = true, false
				continue
			}
		}
		// A value ended: its object, if in one, wants a name next.
		if len(stack) > 0 && stack[len(stack)-1].keys != nil {
			stack[len(stack)-1].wantKey = true
		}
	}
}
