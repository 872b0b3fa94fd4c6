package mockserver_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// The steps of the model test: what they are, how they are generated and
// how they are sent.

// modelRequest is a data-API request, sent on its own or as a batch item.
type modelRequest struct {
	method  string                     // as written: an item's may be in any case
	path    string                     // as sent: percent-encoded, without the query
	query   string                     // the path's query string, as sent
	params  map[string]json.RawMessage // an item's parameters; nil: none
	payload []byte                     // nil: none
	field   string                     // the item's payload field: content or body
	headers map[string]string          // an item's own headers
	// itemOnly marks a path no HTTP client sends as it is (a bad escape, a
	// backslash): it goes in batch items only.
	itemOnly bool
	badQuery bool // the query string does not parse, so no parameter is taken out of it
}

// effectiveQuery is the query the request runs with: the path's, with the
// parameters laid over it (SUB-2); false if it does not parse.
func (r modelRequest) effectiveQuery() (url.Values, bool) {
	q, err := url.ParseQuery(r.query)
	if err != nil {
		return nil, false
	}
	for name, raw := range r.params {
		q[name] = modelParamStrings(raw)
	}
	return q, true
}

// twinQuery is the query string of the item sent on its own.
func (r modelRequest) twinQuery() string {
	if r.params == nil {
		return r.query
	}
	q, _ := r.effectiveQuery()
	return q.Encode()
}

// modelParamStrings is a parameter's value as query values: a string as it is,
// a number as written, a boolean as true or false, an array element by
// element.
func modelParamStrings(raw json.RawMessage) []string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		panic(fmt.Sprintf("the generator made a bad parameter %s: %v", raw, err))
	}
	if list, ok := v.([]any); ok {
		out := make([]string, len(list))
		for i, x := range list {
			out[i] = fmt.Sprint(x)
		}
		return out
	}
	return []string{fmt.Sprint(v)}
}

func (r modelRequest) String() string {
	s := strings.ToUpper(r.method) + " " + r.path
	if r.query != "" {
		s += "?" + r.query
	}
	if r.payload != nil {
		s += " " + string(r.payload)
	}
	return s
}

// modelItem is a batch item: its JSON, and the request it makes, or nil for
// a malformed item, whose 400 message must name its field (ERR-4).
type modelItem struct {
	raw   json.RawMessage
	req   *modelRequest
	field string
	twin  bool // the same request can be sent on its own (not a nested batch or an admin route)
}

// user is who the item runs as: its own credentials, else the batch's (SUB-4).
func (it modelItem) user(batch modelAuth) string {
	for name, v := range it.req.headers {
		if strings.EqualFold(name, "Authorization") {
			for _, a := range modelAuths {
				if a.header == v {
					return a.user
				}
			}
		}
	}
	return batch.user
}

// header is the item's request headers: its own over the batch's (SUB-3).
// A Host header in an item changes nothing (CONTRACT §1).
func (it modelItem) header(batch http.Header) http.Header {
	h := batch.Clone()
	for name, v := range it.req.headers {
		if !strings.EqualFold(name, "Host") {
			h.Set(name, v)
		}
	}
	return h
}

// modelStep is a direct request (req), or a batch.
type modelStep struct {
	host  modelHost
	auth  modelAuth
	req   *modelRequest
	query string      // the batch's query string
	body  []byte      // the batch's body
	items []modelItem // nil when the body is no array of items
}

// rejected says why the whole batch is rejected, before anything runs, or "".
func (st *modelStep) rejected(limit int) string {
	switch v, ok := modelQuery(st.query)["stopOnError"]; {
	case ok && !strings.EqualFold(v[0], "true") && !strings.EqualFold(v[0], "false"):
		return "stopOnError" // STOP-4
	case st.items == nil:
		return "body" // ERR-1
	case len(st.items) > limit:
		return "limit" // LIM-2
	}
	return ""
}

func modelQuery(s string) url.Values {
	q, err := url.ParseQuery(s)
	if err != nil {
		panic(err)
	}
	return q
}

func (st *modelStep) String() string {
	who := fmt.Sprintf("on %s as %s", st.host.name, st.auth.user)
	if st.req != nil {
		return fmt.Sprintf("%s %s", st.req, who)
	}
	return fmt.Sprintf("POST /1/batch?%s %s: %s", st.query, who, st.body)
}

type modelHost struct{ name, backend string }

// Two backends, by the Host of the request (CONTRACT §1).
var modelHosts = []modelHost{{"alpha.localhost", "alpha"}, {"shop.example.io", "shop"}}

// modelAuth is an Authorization header and the user it makes the caller.
type modelAuth struct{ header, user string }

var modelAuths = []modelAuth{
	{"", "anonymous"},
	{basic("fred"), "fred"},
	{basic("alice"), "alice"},
	{"Bearer 0123456789", "anonymous"}, // no Basic credentials: anonymous
}

// modelGen generates steps from a seeded source. It reads the model for
// the objects there are, so that requests often name them; everything it
// reads from the model's maps it sorts, so that a seed makes one sequence.
type modelGen struct {
	r     *rand.Rand
	model *model
	limit int
	host  modelHost // the current step's
}

func modelPick[T any](r *rand.Rand, xs ...T) T { return xs[r.IntN(len(xs))] }

// chance is true p percent of the time.
func (g *modelGen) chance(p int) bool { return g.r.IntN(100) < p }

func (g *modelGen) step() *modelStep {
	g.host = modelPick(g.r, modelHosts...)
	st := &modelStep{host: g.host, auth: modelPick(g.r, modelAuths...)}
	if g.chance(30) {
		r := g.request(false)
		st.req = &r
		return st
	}
	st.query = modelPick(g.r, "", "", "", "", "", "stopOnError=true", "stopOnError=true", "stopOnError=false",
		"stopOnError=TRUE", "stopOnError=False", "stopOnError=yes", "stopOnError=1")
	if g.chance(5) {
		st.body = []byte(modelPick(g.r, `[{"method":"GET","path":"/1/data"}`, `{"method":"GET","path":"/1/data"}`,
			`null`, ``, `"[]"`, `[][]`, `42`))
		return st
	}
	n := g.r.IntN(g.limit + 1)
	if g.chance(8) {
		n = g.limit + 1 + g.r.IntN(2)
	}
	st.items = make([]modelItem, n)
	raws := make([][]byte, n)
	for i := range st.items {
		st.items[i] = g.item()
		raws[i] = st.items[i].raw
	}
	st.body = append(append([]byte("["), bytes.Join(raws, []byte(","))...), ']')
	return st
}

// Types and ids the requests name: valid ones, often the same, so that
// requests meet; a type no request creates; names DATA-5 refuses.
var (
	modelTypes    = []string{"thing", "Gadget", "x_y-z"}
	modelBadTypes = []string{"9lives", "bad.type", "%C3%A9t%C3%A9", strings.Repeat("t", 65)}
	modelIDs      = []string{"a", "b", "c", "k_1", "x.y~z", "-dash"}
	modelBadIDs   = []string{".dot", "a%20b", "%C3%A9", "~tilde"}
)

func (g *modelGen) typ(create bool) string {
	switch w := g.r.IntN(100); {
	case w < 85 || create && w < 92:
		return modelPick(g.r, modelTypes...)
	case w < 92:
		return "ghost" // never created
	}
	return modelPick(g.r, modelBadTypes...)
}

// id names an object that exists, most of the time.
func (g *modelGen) id(typ string) string {
	if objs := g.model.backend(g.host.backend).objects(typ); len(objs) > 0 && g.chance(65) {
		return modelPick(g.r, objs...).id
	}
	switch w := g.r.IntN(100); {
	case w < 80:
		return modelPick(g.r, modelIDs...)
	case w < 90:
		return "never-used"
	}
	return modelPick(g.r, modelBadIDs...)
}

// version is the current version of an object, or 0.
func (g *modelGen) version(typ, id string) int {
	if o := g.model.backend(g.host.backend).types[typ][id]; o != nil {
		return o.version
	}
	return 0
}

func (g *modelGen) root() string { return modelPick(g.r, "/1", "/1", "/1", "/1", "/1", "/v1") }

func (g *modelGen) slash(p string) string {
	if g.chance(10) {
		return p + "/"
	}
	return p
}

// A count is a value of from or size; a bad one is refused with 400 (DATA-5).
var (
	modelCounts    = []string{"0", "1", "2", "3", "5", "10", "2147483647"}
	modelBadCounts = []string{"-1", "abc", "1.5", "1.0", "0x10", // and above 2^31-1 (CONTRACT §9):
		"2147483648", "4294967296", "9223372036854775807", "99999999999999999999"}
)

func (g *modelGen) count() string {
	if g.chance(80) {
		return modelPick(g.r, modelCounts...)
	}
	return modelPick(g.r, modelBadCounts...)
}

// request generates a data-API request, valid or not in any of the ways
// the contract names. item says it goes in a batch: its payload is then
// JSON, and its query may move into parameters.
func (g *modelGen) request(item bool) modelRequest {
	var r modelRequest
	q := url.Values{}
	switch w := g.r.IntN(100); {
	case w < 25: // create
		typ := g.typ(true)
		r = modelRequest{method: "POST", path: g.slash(g.root() + "/data/" + typ), payload: g.payload(true, item)}
		if g.chance(60) {
			q.Set("id", g.id(typ))
		}
	case w < 37:
		typ := g.typ(false)
		r = modelRequest{method: "GET", path: g.slash(g.root() + "/data/" + typ + "/" + g.id(typ))}
	case w < 55: // update
		typ := g.typ(false)
		id := g.id(typ)
		r = modelRequest{method: "PUT", path: g.slash(g.root() + "/data/" + typ + "/" + id), payload: g.payload(true, item)}
		if g.chance(40) {
			q.Set("strict", modelPick(g.r, "true", "true", "true", "false", "false", "false", "maybe"))
		}
		if v := g.version(typ, id); g.chance(40) {
			q.Set("version", modelPick(g.r, strconv.Itoa(v), strconv.Itoa(v), strconv.Itoa(v), strconv.Itoa(v+1), "1"))
			if g.chance(20) {
				q.Set("version", modelPick(g.r, "0", "-1", "abc", "1.5"))
			}
		}
	case w < 63:
		typ := g.typ(false)
		r = modelRequest{method: "DELETE", path: g.slash(g.root() + "/data/" + typ + "/" + g.id(typ))}
	case w < 79: // listings
		path := g.root() + "/data"
		if w < 73 {
			path += "/" + g.typ(false)
		}
		r = modelRequest{method: "GET", path: g.slash(path)}
		if g.chance(50) {
			q.Set("from", g.count())
		}
		if g.chance(50) {
			q.Set("size", g.count())
		}
	case w < 82:
		r = modelRequest{method: "DELETE", path: g.slash(g.root() + "/data/" + g.typ(false))}
	case w < 83:
		r = modelRequest{method: "DELETE", path: g.slash(g.root() + "/data")}
	case w < 87: // no route (ERR-5)
		r = modelRequest{method: modelPick(g.r, "GET", "DELETE"), path: modelPick(g.r, "/1/nowhere", "/2/data/thing", "/1/data/thing/a/b",
			"/1", "/", "/1/batches", "/data/thing", "/1/data//a")}
	case w < 91: // a method the route does not allow (ERR-5)
		r = modelPick(g.r,
			modelRequest{method: "PATCH", path: "/1/data/thing/a", payload: []byte(`{}`)},
			modelRequest{method: "POST", path: "/1/data/thing/a", payload: []byte(`{}`)},
			modelRequest{method: "PUT", path: "/1/data/thing", payload: []byte(`{}`)},
			modelRequest{method: "PUT", path: "/v1/data/", payload: []byte(`{}`)},
			modelRequest{method: "POST", path: "/1/data", payload: []byte(`{}`)},
			modelRequest{method: "PURGE", path: "/1/data/ghost"},
		)
		// The batch route: 405 on its own (ERR-2), 400 in a batch whatever
		// the method (ERR-6, CONTRACT §9).
		r = modelPick(g.r, r, modelRequest{method: "GET", path: "/1/batch"}, modelRequest{method: "DELETE", path: "/v1/batch/"})
	default: // SEC-1: a path that would leave its object, or the host
		typ := modelPick(g.r, modelTypes...)
		victim := "/" + typ + "/" + g.id(typ)
		r = modelRequest{method: modelPick(g.r, "GET", "DELETE"), path: modelPick(g.r,
			"/1/data/nowhere/.."+victim, "/1/data/%2e%2e/data"+victim, "/v1/data/x/%2E%2E"+victim,
			"//evil.example/1/data"+victim, "/1/data"+victim+"/..")}
		if item && g.chance(30) {
			r = modelRequest{method: "DELETE", path: "/1/data" + victim + "%zz", itemOnly: true}
		}
		if g.chance(50) { // CONTRACT §9: an encoded / separates nothing; backslashes are refused
			r = modelPick(g.r,
				modelRequest{method: "DELETE", path: "/1/data" + victim + "%2F"},
				modelRequest{method: "DELETE", path: "/1/data/" + typ + "%2F" + strings.TrimPrefix(victim, "/"+typ+"/")},
				modelRequest{method: "DELETE", path: "/1/data" + victim + "%5C"},
			)
			if item && g.chance(30) {
				r = modelRequest{method: "GET", path: "/1/data" + victim + `\x`, itemOnly: true}
			}
		}
	}
	if g.chance(15) {
		q.Set("note", modelPick(g.r, "ignored", "size", "a b")) // a parameter no route reads
	}
	if r.payload == nil && (r.method == "GET" || r.method == "DELETE") && g.chance(5) {
		r.payload = g.payload(false, item) // ignored
	}
	r.query = q.Encode()
	if g.chance(3) && !r.itemOnly {
		r.query, r.badQuery = strings.TrimPrefix(r.query+"&x=%zz", "&"), true
	}
	return r
}

// payload is a JSON object of random fields, or sometimes none, or a value
// DATA-5 refuses: another JSON value, or, sent directly, no JSON at all.
func (g *modelGen) payload(required, item bool) []byte {
	if !required || g.chance(88) {
		return modelJSON(g.fields(2))
	}
	bad := []string{"", `[1,2]`, `"text"`, `42`, `true`}
	if !item {
		bad = append(bad, `null`, `{"a":`, `{'a':1}`)
	}
	if b := modelPick(g.r, bad...); b != "" {
		return []byte(b)
	}
	return nil
}

func (g *modelGen) fields(depth int) map[string]any {
	f := map[string]any{}
	for range g.r.IntN(4) {
		f[modelPick(g.r, "name", "price", "n", "tags", "nested", "ok", "note", "meta", "")] = g.value(depth)
	}
	if g.chance(10) {
		f["meta"] = map[string]any{"id": "forged", "version": 99, "createdBy": "mallory"}
	}
	return f
}

func (g *modelGen) value(depth int) any {
	switch g.r.IntN(8) {
	case 0:
		return g.r.IntN(201) - 100
	case 1:
		return modelPick(g.r, 2.5, -0.125, 1e3)
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
	return modelPick(g.r, "Teddy Bear", "$23.45", "é ü ☃", "<a&b>", "line\nbreak", "")
}

func modelJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// item generates a batch item: mostly a data request, written in the ways
// an item may be (SUB-1 to SUB-5), sometimes malformed (ERR-4), a nested
// batch (ERR-6) or an admin route (SEC-2).
func (g *modelGen) item() modelItem {
	switch w := g.r.IntN(100); {
	case w < 78:
		r := g.request(true)
		segs, ok := modelSegments(r.path)
		nested := ok && modelRouteKind(segs) == "batch" // as a direct request, a batch, not the same request
		return modelItem{raw: g.write(&r), req: &r, twin: !r.itemOnly && !nested}
	case w < 90:
		return g.malformed()
	case w < 95: // ERR-6
		r := modelRequest{method: "POST", path: modelPick(g.r, "/1/batch", "/v1/batch/", "/1/batch/"), field: "content",
			payload: []byte(`[{"method":"DELETE","path":"/1/data"}]`)}
		if g.chance(30) {
			r.query = "stopOnError=true"
		}
		return modelItem{raw: g.write(&r), req: &r}
	}
	// SEC-2: not reachable, so no route: each would change what the next
	// steps see if it ran.
	r := modelPick(g.r,
		modelRequest{method: "GET", path: "/_mock/state"},
		modelRequest{method: "POST", path: "/_mock/reset"},
		modelRequest{method: "DELETE", path: "/_mock/requests"},
		modelRequest{method: "PUT", path: "/_mock/faults", field: "content", payload: []byte(`[{"path":"/1/data/*","status":500}]`)},
	)
	return modelItem{raw: g.write(&r), req: &r}
}

// write writes a request as a batch item, moving some of its query into
// parameters (SUB-2), in any method case (SUB-5), with headers of its own
// (SUB-3).
func (g *modelGen) write(r *modelRequest) json.RawMessage {
	r.method = modelPick(g.r, r.method, r.method, r.method, strings.ToLower(r.method), strings.ToUpper(r.method[:1])+strings.ToLower(r.method[1:]))
	if !r.badQuery && r.query != "" && g.chance(40) {
		g.spread(r)
	}
	item := map[string]any{"method": r.method, "path": r.path}
	if r.query != "" {
		item["path"] = r.path + "?" + r.query
	}
	if r.params != nil {
		item["parameters"] = r.params
	}
	if r.payload != nil {
		if r.field == "" {
			r.field = modelPick(g.r, "content", "content", "content", "body") // SUB-1
		}
		item[r.field] = json.RawMessage(r.payload)
	}
	if g.chance(25) {
		r.headers = map[string]string{}
		auth := modelPick(g.r, "Authorization", "authorization", "AUTHORIZATION")
		for range 1 + g.r.IntN(2) {
			switch g.r.IntN(4) {
			case 0:
				r.headers[auth] = modelPick(g.r, modelAuths[1:]...).header
			case 1:
				r.headers["X-Note"] = "from the item"
			case 2:
				r.headers["Host"] = "other.localhost" // the backend stays the batch's
			default:
				r.headers["Content-Type"] = "text/plain" // payloads are JSON whatever it says
			}
		}
		item["headers"] = r.headers
	}
	if g.chance(10) {
		item["comment"] = "other fields are ignored"
	}
	if g.chance(10) { // ignored like any unknown field: names are exact (CONTRACT §9)
		item[modelPick(g.r, "Method", "PATH", "Content", "Body", "Parameters", "HEADERS")] =
			modelPick[any](g.r, "DELETE", "/1/data", map[string]any{"x": 1}, map[string]any{"size": 0}, map[string]string{"Authorization": basic("mallory")})
	}
	return modelJSON(item)
}

// spread moves some of a request's query into the item's parameters,
// leaving in the path a decoy value that the parameter must win over.
func (g *modelGen) spread(r *modelRequest) {
	q := modelQuery(r.query)
	r.params = map[string]json.RawMessage{}
	for _, name := range slices.Sorted(maps.Keys(q)) {
		if g.chance(50) {
			continue
		}
		v := q[name][0]
		raw := modelJSON(v)
		if json.Valid([]byte(v)) && strings.ContainsRune("-0123456789tf", rune(v[0])) && g.chance(70) {
			raw = []byte(v) // a number or a boolean, as JSON writes it
		}
		if name == "note" && g.chance(50) {
			raw = []byte(`["ignored", 1, true]`)
		}
		r.params[name] = raw
		if g.chance(30) {
			q.Set(name, "decoy")
		} else {
			q.Del(name)
		}
	}
	r.query = q.Encode()
}

// malformed generates an item ERR-4 refuses with 400, naming its index and
// the field; each would delete an object if it ran.
func (g *modelGen) malformed() modelItem {
	victim := "/1/data/thing/a"
	if objs := g.model.backend(g.host.backend).objects(""); len(objs) > 0 {
		o := modelPick(g.r, objs...)
		victim = "/1/data/" + o.typ + "/" + o.id
	}
	p := string(modelJSON(victim))
	cases := []struct{ raw, field string }{
		{`1`, "object"}, {`"DELETE"`, "object"}, {`null`, "object"}, {`[]`, "object"}, {`true`, "object"},
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
		{`{"method":"PUT","path":` + p + `,"content":{"a":1},"body":{"b":2}}`, "content"},
		{`{"method":"DELETE","path":` + p + `,"parameters":"x=1"}`, "parameters"},
		{`{"method":"DELETE","path":` + p + `,"parameters":{"x":{"y":1}}}`, "parameters"},
		{`{"method":"DELETE","path":` + p + `,"parameters":{"x":null}}`, "parameters"},
		{`{"method":"DELETE","path":` + p + `,"parameters":{"x":[[1]]}}`, "parameters"},
		{`{"method":"DELETE","path":` + p + `,"headers":["X-A"]}`, "headers"},
		{`{"method":"DELETE","path":` + p + `,"headers":{"X-A":1}}`, "headers"},
		{`{"method":"DELETE","path":` + p + `,"headers":{"X-A":"a\r\nX-B: b"}}`, "headers"},
		{`{"method":"DELETE","path":` + p + `,"headers":{"X A":"b"}}`, "headers"},
		{`{"DELETE":` + p + `}`, `"method": "DELETE"`}, // the page's own mistake: the message says how to write it
		// CONTRACT §9: field names are exact; a method is an RFC 9110 token.
		{`{"METHOD":"DELETE","PATH":` + p + `}`, "method"},
		{`{"Method":"DELETE","path":` + p + `}`, "method"},
		{`{"method":"DELETE","Path":` + p + `}`, "path"},
		{`{"method":"DEL ETE","path":` + p + `}`, "method"},
		{`{"method":"DELETE\n","path":` + p + `}`, "method"},
		{`{"method":"DÉLETE","path":` + p + `}`, "method"},
		{`{"method":"DEL(ETE)","path":` + p + `}`, "method"},
	}
	c := modelPick(g.r, cases...)
	return modelItem{raw: json.RawMessage(c.raw), field: c.field}
}

// sendExactly sends a request with its path exactly as given (Go's client would
// clean or re-encode some), on the Host given.
func (m *mock) sendExactly(host, method, path, query string, body []byte, h http.Header) reply {
	m.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, m.url, rd)
	if err != nil {
		m.t.Fatal(err)
	}
	if strings.HasPrefix(path, "//") {
		// As Opaque, the client would send it as an absolute URL.
		if req.URL.Path, err = url.PathUnescape(path); err != nil {
			m.t.Fatal(err)
		}
		req.URL.RawPath = path
	} else {
		req.URL.Opaque = path
	}
	req.URL.RawQuery, req.Host, req.Header = query, host, h
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		m.t.Fatalf("%s %s?%s: %v", method, path, query, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		m.t.Fatal(err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: data}
}
