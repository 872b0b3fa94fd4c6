package model

import (
	"bytes"
	"encoding/json"
	"maps"
	"math/rand/v2"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/spacedog-oss/batchkit/internal/jsonvalue"
)

// Gen generates steps, valid or not in any of the ways the contract names,
// from a seeded source: a seed makes one sequence of steps, as long as every
// step is judged by the model before the next is drawn. It reads the model
// for the objects there are, so that requests often name them; everything
// it reads from the model's maps it sorts.
type Gen struct {
	r     *rand.Rand
	model *Model
	opts  Options
	limit int  // the batch size it reaches, and goes past when the model has one (LIM-2)
	host  Host // the current step's
}

// Options narrow the steps a Gen makes to what a live target can take: its
// one host, types of the run's own, no request that reaches beyond them,
// and none of the choices a SHOULD rule leaves that the target made
// otherwise than the mock. The zero Options suit an in-process mock.
type Options struct {
	Hosts []Host   // the hosts steps go to; none: two backends of the mock
	Types []string // the valid type names requests use; none: thing, Gadget, x_y-z
	Ghost string   // a valid type name no request creates; "": ghost
	// IDs are the ids requests give objects, and BadIDs ids a server
	// refuses, each as a path segment; none: the mock's choices (CONTRACT
	// §9: which ids a server takes is its own).
	IDs, BadIDs []string
	// NoAllData leaves out the routes of every type, /1/data itself: on a
	// live backend they list, or delete, what others stored. A host the
	// run owns (Host.Own) keeps them.
	NoAllData bool
	// GivenIDsOnly names in requests only the ids requests gave, never a
	// generated one, so that a sequence replays on a server that generates
	// other ids.
	GivenIDsOnly bool
	// NoAliases: methods in capitals, the /1 root, no trailing slash
	// (for a target that does not meet SUB-5).
	NoAliases bool
	// StopOnErrorTrueFalse: stopOnError is true or false in any case, never
	// another value (for a target that does not meet STOP-4).
	StopOnErrorTrueFalse bool
	// Hostile are batch items from a corpus, each refused at its place and
	// changing nothing; HostileBodies are whole batch bodies refused as a
	// whole.
	Hostile       []json.RawMessage
	HostileBodies [][]byte
}

// NewGen returns a generator of steps for the model, from the seed.
func NewGen(m *Model, seed uint64) *Gen { return NewGenWith(m, seed, Options{}) }

// NewGenWith returns a generator of steps for the model, from the seed,
// within the options.
func NewGenWith(m *Model, seed uint64, opts Options) *Gen {
	limit := m.cfg.MaxBatch
	if limit <= 0 {
		limit = 10
	}
	if opts.Hosts == nil {
		opts.Hosts = hosts
	}
	if opts.Types == nil {
		opts.Types = genTypes
	}
	if opts.Ghost == "" {
		opts.Ghost = "ghost"
	}
	if opts.IDs == nil {
		opts.IDs = IDs
	}
	if opts.BadIDs == nil {
		opts.BadIDs = BadIDs
	}
	return &Gen{r: rand.New(rand.NewPCG(seed, 0x5eed)), model: m, opts: opts, limit: limit}
}

func pick[T any](r *rand.Rand, xs ...T) T { return xs[r.IntN(len(xs))] }

// chance is true p percent of the time.
func (g *Gen) chance(p int) bool { return g.r.IntN(100) < p }

// Step draws the next step: a direct request about a third of the time,
// else a batch, of up to the model's limit of items and sometimes more.
func (g *Gen) Step() *Step {
	g.host = pick(g.r, g.opts.Hosts...)
	st := &Step{Host: g.host, Auth: pick(g.r, g.model.auths()...)}
	if g.chance(30) {
		r := g.request(false)
		st.Req = &r
		return st
	}
	st.Query = pick(g.r, "", "", "", "", "", "stopOnError=true", "stopOnError=true", "stopOnError=false",
		"stopOnError=TRUE", "stopOnError=False", "stopOnError=yes", "stopOnError=1")
	if g.opts.StopOnErrorTrueFalse && (strings.HasSuffix(st.Query, "yes") || strings.HasSuffix(st.Query, "=1")) {
		st.Query = "stopOnError=false"
	}
	if len(g.opts.HostileBodies) > 0 && g.chance(3) {
		st.Body = pick(g.r, g.opts.HostileBodies...)
		return st
	}
	if g.chance(5) {
		st.Body = []byte(pick(g.r, `[{"method":"GET","path":"/1/data"}`, `{"method":"GET","path":"/1/data"}`,
			`null`, ``, `"[]"`, `[][]`, `42`))
		return st
	}
	n := g.r.IntN(g.limit + 1)
	if g.chance(8) && g.model.cfg.MaxBatch > 0 {
		n = g.limit + 1 + g.r.IntN(2)
	}
	st.Items = make([]Item, n)
	raws := make([][]byte, n)
	for i := range st.Items {
		st.Items[i] = g.item()
		raws[i] = st.Items[i].Raw
	}
	st.Body = append(append([]byte("["), bytes.Join(raws, []byte(","))...), ']')
	return st
}

// noAllData: the routes of every type are left out on this step's host.
func (g *Gen) noAllData() bool { return g.opts.NoAllData && !g.host.Own }

// Types and ids the requests name: valid ones, often the same, so that
// requests meet; a type no request creates; names DATA-5 refuses.
var (
	genTypes = []string{"thing", "Gadget", "x_y-z"}
	badTypes = []string{"9lives", "bad.type", "%C3%A9t%C3%A9", strings.Repeat("t", 65)}
)

// IDs are the ids requests give objects, and BadIDs ids the mock refuses,
// each written as a path segment; "never-used" names no object.
var (
	IDs    = []string{"a", "b", "c", "k_1", "x.y~z", "-dash", NeverUsed}
	BadIDs = []string{".dot", "a%20b", "%C3%A9", "~tilde"}
)

// NeverUsed is an id no request creates.
const NeverUsed = "never-used"

func (g *Gen) typ(create bool) string {
	switch w := g.r.IntN(100); {
	case w < 85 || create && w < 92:
		return pick(g.r, g.opts.Types...)
	case w < 92:
		return g.opts.Ghost // never created
	}
	return pick(g.r, badTypes...)
}

// id names an object that exists, most of the time.
func (g *Gen) id(typ string) string {
	ids := g.model.IDs(g.host.Backend, typ)
	if g.opts.GivenIDsOnly {
		ids = slices.DeleteFunc(ids, func(id string) bool { return !g.given(id) })
	}
	if len(ids) > 0 && g.chance(65) {
		return pick(g.r, ids...)
	}
	given := slices.DeleteFunc(slices.Clone(g.opts.IDs), func(id string) bool { return id == NeverUsed })
	switch w := g.r.IntN(100); {
	case w < 80 && len(given) > 0:
		return pick(g.r, given...)
	case w < 90 && slices.Contains(g.opts.IDs, NeverUsed):
		return NeverUsed
	case len(g.opts.BadIDs) > 0:
		return pick(g.r, g.opts.BadIDs...)
	case len(given) > 0:
		return pick(g.r, given...)
	}
	return NeverUsed
}

// given reports whether id is one the requests give, not one a server made.
func (g *Gen) given(id string) bool {
	return slices.Contains(g.opts.IDs, id) || slices.Contains(g.opts.BadIDs, id)
}

// version is the current version of an object, or 0.
func (g *Gen) version(typ, id string) int {
	if o := g.model.backend(g.host.Backend).types[typ][id]; o != nil {
		return o.version
	}
	return 0
}

func (g *Gen) root() string {
	if g.opts.NoAliases {
		return "/1"
	}
	return pick(g.r, "/1", "/1", "/1", "/1", "/1", "/v1")
}

func (g *Gen) slash(p string) string {
	if g.chance(10) && !g.opts.NoAliases {
		return p + "/"
	}
	return p
}

// A count is a value of from or size; a bad one is refused with 400 (DATA-5).
var (
	genCounts = []string{"0", "1", "2", "3", "5", "10", "2147483647"}
	badCounts = []string{"-1", "abc", "1.5", "1.0", "0x10", // and above 2^31-1 (CONTRACT §9):
		"2147483648", "4294967296", "9223372036854775807", "99999999999999999999"}
)

func (g *Gen) count() string {
	if g.chance(80) {
		return pick(g.r, genCounts...)
	}
	return pick(g.r, badCounts...)
}

// request generates a data-API request, valid or not in any of the ways
// the contract names. item says it goes in a batch: its payload is then
// JSON, and its query may move into parameters.
func (g *Gen) request(item bool) Request {
	var r Request
	q := url.Values{}
	switch w := g.r.IntN(100); {
	case w < 25: // create
		typ := g.typ(true)
		r = Request{Method: "POST", Path: g.slash(g.root() + "/data/" + typ), Payload: g.payload(true, item)}
		if g.chance(60) {
			q.Set("id", g.id(typ))
		}
	case w < 37:
		typ := g.typ(false)
		r = Request{Method: "GET", Path: g.slash(g.root() + "/data/" + typ + "/" + g.id(typ))}
	case w < 55: // update
		typ := g.typ(false)
		id := g.id(typ)
		r = Request{Method: "PUT", Path: g.slash(g.root() + "/data/" + typ + "/" + id), Payload: g.payload(true, item)}
		if g.chance(40) {
			q.Set("strict", pick(g.r, "true", "true", "true", "false", "false", "false", "maybe"))
		}
		if v := g.version(typ, id); g.chance(40) {
			q.Set("version", pick(g.r, strconv.Itoa(v), strconv.Itoa(v), strconv.Itoa(v), strconv.Itoa(v+1), "1"))
			if g.chance(20) {
				q.Set("version", pick(g.r, "0", "-1", "abc", "1.5"))
			}
		}
	case w < 63:
		typ := g.typ(false)
		r = Request{Method: "DELETE", Path: g.slash(g.root() + "/data/" + typ + "/" + g.id(typ))}
	case w < 79: // listings
		path := g.root() + "/data"
		if w < 73 || g.noAllData() {
			path += "/" + g.typ(false)
		}
		r = Request{Method: "GET", Path: g.slash(path)}
		if g.chance(50) {
			q.Set("from", g.count())
		}
		if g.chance(50) {
			q.Set("size", g.count())
		}
	case w < 82 || w < 83 && g.noAllData():
		r = Request{Method: "DELETE", Path: g.slash(g.root() + "/data/" + g.typ(false))}
	case w < 83:
		r = Request{Method: "DELETE", Path: g.slash(g.root() + "/data")}
	case w < 85: // signing in (CONTRACT §6.1)
		r = Request{Method: "GET", Path: g.slash(g.root() + pick(g.r, "/login", "/logout"))}
	case w < 87: // no route (ERR-5)
		r = Request{Method: pick(g.r, "GET", "DELETE"), Path: pick(g.r, "/1/nowhere", "/2/data/thing", "/1/data/thing/a/b",
			"/1", "/", "/1/batches", "/data/thing", "/1/data//a")}
	case w < 91: // a method the route does not allow (ERR-5)
		r = pick(g.r,
			Request{Method: "PATCH", Path: "/1/data/thing/a", Payload: []byte(`{}`)},
			Request{Method: "POST", Path: "/1/data/thing/a", Payload: []byte(`{}`)},
			Request{Method: "PUT", Path: "/1/data/thing", Payload: []byte(`{}`)},
			Request{Method: "PUT", Path: "/v1/data/", Payload: []byte(`{}`)},
			Request{Method: "POST", Path: "/1/data", Payload: []byte(`{}`)},
			Request{Method: "PURGE", Path: "/1/data/ghost"},
		)
		// The batch route: 405 on its own (ERR-2), 400 in a batch whatever
		// the method (ERR-6, CONTRACT §9).
		r = pick(g.r, r, Request{Method: "GET", Path: "/1/batch"}, Request{Method: "DELETE", Path: "/v1/batch/"})
	default: // SEC-1: a path that would leave its object, or the host
		typ := pick(g.r, g.opts.Types...)
		victim := "/" + typ + "/" + g.id(typ)
		r = Request{Method: pick(g.r, "GET", "DELETE"), Path: pick(g.r,
			"/1/data/nowhere/.."+victim, "/1/data/%2e%2e/data"+victim, "/v1/data/x/%2E%2E"+victim,
			"//evil.example/1/data"+victim, "/1/data"+victim+"/..")}
		if item && g.chance(30) {
			r = Request{Method: "DELETE", Path: "/1/data" + victim + "%zz", ItemOnly: true}
		}
		if g.chance(50) { // CONTRACT §9: an encoded / separates nothing; backslashes are refused
			r = pick(g.r,
				Request{Method: "DELETE", Path: "/1/data" + victim + "%2F"},
				Request{Method: "DELETE", Path: "/1/data/" + typ + "%2F" + strings.TrimPrefix(victim, "/"+typ+"/")},
				Request{Method: "DELETE", Path: "/1/data" + victim + "%5C"},
			)
			if item && g.chance(30) {
				r = Request{Method: "GET", Path: "/1/data" + victim + `\x`, ItemOnly: true}
			}
		}
	}
	if g.chance(15) {
		q.Set("note", pick(g.r, "ignored", "size", "a b")) // a parameter no route reads
	}
	if r.Payload == nil && (r.Method == "GET" || r.Method == "DELETE") && g.chance(5) {
		r.Payload = g.payload(false, item) // ignored
	}
	r.Query = q.Encode()
	if g.chance(3) && !r.ItemOnly {
		r.Query, r.BadQuery = strings.TrimPrefix(r.Query+"&x=%zz", "&"), true
	}
	r.Path = g.unalias(r.Path)
	return r
}

// unalias writes a path with the /1 root and no trailing slash, for a
// target that does not meet SUB-5.
func (g *Gen) unalias(p string) string {
	if !g.opts.NoAliases {
		return p
	}
	if rest, ok := strings.CutPrefix(p, "/v1/"); ok {
		p = "/1/" + rest
	}
	if len(p) > 1 && strings.HasSuffix(p, "/") {
		p = strings.TrimSuffix(p, "/")
	}
	return p
}

// credentials are the callers' Authorization headers, anonymous left out.
func (g *Gen) credentials() []Auth {
	return slices.DeleteFunc(slices.Clone(g.model.auths()), func(a Auth) bool { return a.Header == "" })
}

// payload is a JSON object of random fields, or sometimes none, or a value
// DATA-5 refuses: another JSON value, or, sent directly, no JSON at all.
func (g *Gen) payload(required, item bool) []byte {
	if !required || g.chance(88) {
		return mustJSON(g.fields(payloadDepth))
	}
	bad := []string{"", `[1,2]`, `"text"`, `42`, `true`}
	if !item {
		bad = append(bad, `null`, `{"a":`, `{'a':1}`)
	}
	if b := pick(g.r, bad...); b != "" {
		return []byte(b)
	}
	return nil
}

// payloadDepth is the depth a payload's fields are drawn from: a value of
// its own top level has it, one nested in it less.
const payloadDepth = 2

// valueRange is the range of JSON values a store must keep (DATA-1),
// which payloads draw from now and then: built once, never written.
var valueRange = jsonvalue.Range()

func (g *Gen) fields(depth int) map[string]any {
	f := map[string]any{}
	for range g.r.IntN(4) {
		name := pick(g.r, "name", "price", "n", "tags", "nested", "ok", "note", "meta", "")
		if g.chance(8) {
			name = pick(g.r, valueRange...).Name // "a.b", "😀", "Meta", ...
		}
		f[name] = g.value(depth)
	}
	if g.chance(10) {
		f["meta"] = map[string]any{"id": "forged", "version": 99, "createdBy": "mallory"}
	}
	return f
}

func (g *Gen) value(depth int) any {
	if g.chance(10) {
		v := pick(g.r, valueRange...) // escapes, beyond the BMP, big numbers, deep, wide...
		if v.Name != "nested" || depth >= payloadDepth {
			return v.Value
		}
		// Within a field, the deep value would nest past jsonvalue.Depth.
	}
	switch g.r.IntN(8) {
	case 0:
		return g.r.IntN(201) - 100
	case 1:
		return pick(g.r, 2.5, -0.125, 1e3)
	case 2:
		return g.chance(50)
	case 3:
		return nil
	case 4:
		if depth > 0 {
			return []any{g.value(depth - 1), g.value(depth - 1)}
		}
	case 5:
		if depth > 0 {
			return g.fields(depth - 1)
		}
	}
	return pick(g.r, "Teddy Bear", "$23.45", "é ü ☃", "<a&b>", "line\nbreak", "")
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// item generates a batch item: mostly a data request, written in the ways
// an item may be (SUB-1 to SUB-5), sometimes malformed (ERR-4), a nested
// batch (ERR-6) or an admin route (SEC-2).
func (g *Gen) item() Item {
	switch w := g.r.IntN(100); {
	case len(g.opts.Hostile) > 0 && w < 4:
		return Item{Raw: pick(g.r, g.opts.Hostile...)} // refused at its place, changing nothing
	case w < 78:
		r := g.request(true)
		raw := g.write(&r)
		// A nested batch sent on its own is a batch, not the same request.
		return Item{Raw: raw, Req: &r, Alone: !r.ItemOnly && !isBatch(r.Path)}
	case w < 90:
		return g.malformed()
	case w < 95: // ERR-6
		inner := "/1/data"
		if g.noAllData() {
			inner += "/" + g.opts.Types[0]
		}
		r := Request{Method: "POST", Path: g.unalias(pick(g.r, "/1/batch", "/v1/batch/", "/1/batch/")), Field: "content",
			Payload: []byte(`[{"method":"DELETE","path":"` + inner + `"}]`)}
		if g.chance(30) {
			r.Query = "stopOnError=true"
		}
		return Item{Raw: g.write(&r), Req: &r}
	}
	// SEC-2: not reachable, so no route: each would change what the next
	// steps see if it ran.
	r := pick(g.r,
		Request{Method: "GET", Path: "/_mock/state"},
		Request{Method: "POST", Path: "/_mock/reset"},
		Request{Method: "DELETE", Path: "/_mock/requests"},
		Request{Method: "PUT", Path: "/_mock/faults", Field: "content", Payload: []byte(`[{"path":"/1/data/*","status":500}]`)},
	)
	return Item{Raw: g.write(&r), Req: &r}
}

// write writes a request as a batch item, moving some of its query into
// parameters (SUB-2), in any method case (SUB-5), with headers of its own
// (SUB-3).
func (g *Gen) write(r *Request) json.RawMessage {
	if !g.opts.NoAliases {
		r.Method = pick(g.r, r.Method, r.Method, r.Method, strings.ToLower(r.Method), strings.ToUpper(r.Method[:1])+strings.ToLower(r.Method[1:]))
	}
	if !r.BadQuery && r.Query != "" && g.chance(40) {
		g.spread(r)
	}
	item := map[string]any{"method": r.Method, "path": r.Path}
	if r.Query != "" {
		item["path"] = r.Path + "?" + r.Query
	}
	if r.Params != nil {
		item["parameters"] = r.Params
	}
	if r.Payload != nil {
		if r.Field == "" {
			r.Field = pick(g.r, "content", "content", "content", "body") // SUB-1
		}
		item[r.Field] = json.RawMessage(r.Payload)
	}
	if g.chance(25) {
		r.Headers = map[string]string{}
		auth := pick(g.r, "Authorization", "authorization", "AUTHORIZATION")
		for range 1 + g.r.IntN(2) {
			switch g.r.IntN(4) {
			case 0:
				if creds := g.credentials(); len(creds) > 0 { // none when the run has no user
					r.Headers[auth] = pick(g.r, creds...).Header
				}
			case 1:
				r.Headers["X-Note"] = "from the item"
			case 2:
				r.Headers["Host"] = "other.localhost" // the backend stays the batch's
			default:
				r.Headers["Content-Type"] = "text/plain" // payloads are JSON whatever it says
			}
		}
		item["headers"] = r.Headers
	}
	if segs, ok := segments(r.Path); ok && g.chance(40) {
		if kind, _, _ := route(segs); kind == "login" {
			// Credentials that are no Basic ones: 401 from login (AUTH-2).
			if r.Headers == nil {
				r.Headers = map[string]string{}
			}
			r.Headers["Authorization"] = "Bearer 0123456789"
			item["headers"] = r.Headers
		}
	}
	if g.chance(10) {
		item["comment"] = "other fields are ignored"
	}
	if g.chance(10) { // ignored like any unknown Field: names are exact (CONTRACT §9)
		item[pick(g.r, "Method", "PATH", "Content", "Body", "Parameters", "HEADERS")] =
			pick[any](g.r, "DELETE", "/1/data", map[string]any{"x": 1}, map[string]any{"size": 0}, map[string]string{"Authorization": Basic("mallory")})
	}
	return mustJSON(item)
}

// spread moves some of a request's query into the item's parameters,
// leaving in the path a decoy value that the parameter must win over.
func (g *Gen) spread(r *Request) {
	q := parseQuery(r.Query)
	r.Params = map[string]json.RawMessage{}
	for _, name := range slices.Sorted(maps.Keys(q)) {
		if g.chance(50) {
			continue
		}
		v := q[name][0]
		raw := mustJSON(v)
		if json.Valid([]byte(v)) && strings.ContainsRune("-0123456789tf", rune(v[0])) && g.chance(70) {
			raw = []byte(v) // a number or a boolean, as JSON writes it
		}
		if name == "note" && g.chance(50) {
			raw = []byte(`["ignored", 1, true]`)
		}
		r.Params[name] = raw
		if g.chance(30) {
			q.Set(name, "decoy")
		} else {
			q.Del(name)
		}
	}
	r.Query = q.Encode()
}

// malformed generates an item ERR-4 refuses with 400, naming its index and
// the field; each would delete an object if it ran.
func (g *Gen) malformed() Item {
	victim := "/1/data/" + g.opts.Types[0] + "/a"
	var named []*object
	for _, o := range g.model.backend(g.host.Backend).objects("") {
		if o.id != "" && (!g.opts.GivenIDsOnly || g.given(o.id)) {
			named = append(named, o)
		}
	}
	if len(named) > 0 {
		o := pick(g.r, named...)
		victim = "/1/data/" + o.typ + "/" + o.id
	}
	p := string(mustJSON(victim))
	// Each case's fields at fault, "|" between two when it has both
	// faults: a message may name either (CONTRACT §9, the open choices).
	cases := []struct{ raw, fields string }{
		{`1`, ""}, {`"DELETE"`, ""}, {`null`, ""}, {`[]`, ""}, {`true`, ""},
		{`{"path":` + p + `}`, "method"},
		{`{"method":"DELETE"}`, "path"},
		{`{"method":"","path":` + p + `}`, "method"},
		{`{"method":7,"path":` + p + `}`, "method"},
		{`{"method":null,"path":` + p + `}`, "method"},
		{`{"method":["DELETE"],"path":` + p + `}`, "method"},
		{`{"method":"DELETE","path":null}`, "path"},
		{`{"method":"DELETE","path":5}`, "path"},
		{`{"method":"DELETE","path":""}`, "path"},
		{`{"method":"DELETE","path":` + p[:1] + p[2:] + `}`, "path"},
		{`{"method":"DELETE","path":"http://evil.example` + victim + `"}`, "path"},
		{`{"method":"DELETE","path":` + p + `,"parameters":"x=1"}`, "parameters"},
		{`{"method":"DELETE","path":` + p + `,"parameters":{"x":{"y":1}}}`, "parameters"},
		{`{"method":"DELETE","path":` + p + `,"parameters":{"x":null}}`, "parameters"},
		{`{"method":"DELETE","path":` + p + `,"parameters":{"x":[[1]]}}`, "parameters"},
		{`{"method":"DELETE","path":` + p + `,"headers":["X-A"]}`, "headers"},
		{`{"method":"DELETE","path":` + p + `,"headers":{"X-A":1}}`, "headers"},
		{`{"method":"DELETE","path":` + p + `,"headers":{"X-A":"a\r\nX-B: b"}}`, "headers"},
		{`{"method":"DELETE","path":` + p + `,"headers":{"X A":"b"}}`, "headers"},
		// CONTRACT §9: field names are exact; a method is an RFC 9110 token.
		{`{"METHOD":"DELETE","PATH":` + p + `}`, "method|path"},
		{`{"Method":"DELETE","path":` + p + `}`, "method"},
		{`{"method":"DELETE","Path":` + p + `}`, "path"},
		{`{"method":"DEL ETE","path":` + p + `}`, "method"},
		{`{"method":"DELETE\n","path":` + p + `}`, "method"},
		{`{"method":"DÉLETE","path":` + p + `}`, "method"},
		{`{"method":"DEL(ETE)","path":` + p + `}`, "method"},
	}
	if !g.model.is2016() { // where body is no payload field, this item is not malformed
		cases = append(cases, struct{ raw, fields string }{`{"method":"PUT","path":` + p + `,"content":{"a":1},"body":{"b":2}}`, "content|body"})
	}
	if g.chance(4) { // the page's own mistake: the message says how to write it
		return Item{Raw: json.RawMessage(`{"DELETE":` + p + `}`), Malformed: true, Fields: []string{"method", "path"},
			Hint: &Request{Method: "DELETE", Path: victim}}
	}
	c := pick(g.r, cases...)
	var fields []string
	if c.fields != "" {
		fields = strings.Split(c.fields, "|")
	}
	return Item{Raw: json.RawMessage(c.raw), Malformed: true, Fields: fields}
}
