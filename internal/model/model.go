package model

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/spacedog-oss/batchkit/spec"
)

// Config is what the model needs to know of the target.
type Config struct {
	Profile  string // spec.Doc (the default) or spec.SpaceDog2016
	MaxBatch int    // the target's limit on a batch's items (LIM-2); 0: no batch is refused for its size
	// ClockTicks says the target's clock moves between any two writes, as
	// a stepping test clock does: an update must then move updatedAt
	// forward. A real clock may give two writes the same millisecond.
	ClockTicks bool
	// Auths are the callers steps are sent as, and the Authorization
	// headers items may carry; none: anonymous, fred, alice and a Bearer
	// token (anonymous), which a mock that enforces no users tells apart.
	Auths []Auth
}

// Model is the data rules of CONTRACT §6, executable, with the differences
// of the profile (CONTRACT §7): backend → type → objects. A known type may
// hold no object.
type Model struct {
	cfg      Config
	wire     spec.Wire
	backends map[string]*backend
}

// New returns an empty model of the data rules in the profile.
func New(cfg Config) (*Model, error) {
	if cfg.Profile == "" {
		cfg.Profile = spec.Doc
	}
	if cfg.Auths != nil && len(cfg.Auths) == 0 {
		return nil, fmt.Errorf("model: no caller to send steps as (Auths is empty)")
	}
	s, err := spec.LoadProfile(cfg.Profile)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	return &Model{cfg: cfg, wire: s.Wire, backends: map[string]*backend{}}, nil
}

// Profile is the profile the model speaks.
func (m *Model) Profile() string { return m.cfg.Profile }

func (m *Model) is2016() bool { return m.cfg.Profile == spec.SpaceDog2016 }

type backend struct {
	types map[string]map[string]*object
	seq   int // creation order, for listings: oldest first
}

type object struct {
	id, typ              string // id is "" until a reply or the state shows a generated one
	fields               map[string]any
	version              int
	createdBy, updatedBy string
	// Times come from the target's clock: the model learns them when it
	// sees them, then holds the target to them. after is a time updatedAt
	// must be later than, once an update made it unknown.
	createdAt, updatedAt, after string
	seq                         int
	// unordered: an update's time need not follow the creation's, as
	// among concurrent writes (TryObject).
	unordered bool
}

func (m *Model) backend(name string) *backend {
	if m.backends[name] == nil {
		m.backends[name] = &backend{types: map[string]map[string]*object{}}
	}
	return m.backends[name]
}

// IDs lists the ids of a type's objects in the backend, oldest first; an
// object whose generated id no reply has shown yet is left out.
func (m *Model) IDs(backend, typ string) []string {
	var ids []string
	for _, o := range m.backend(backend).objects(typ) {
		if o.id != "" {
			ids = append(ids, o.id)
		}
	}
	return ids
}

// Versions maps the ids of a type's objects in the backend to their
// versions: what the target acknowledged. An object whose generated id no
// reply has shown yet is left out.
func (m *Model) Versions(backend, typ string) map[string]int {
	out := map[string]int{}
	for _, o := range m.backend(backend).objects(typ) {
		if o.id != "" {
			out[o.id] = o.version
		}
	}
	return out
}

// The patterns of type names (DATA-5) and ids (spec/openapi.yaml's
// ObjectId), the shape of generated ids (DATA-6), and of times (DATA-1).
var (
	typeName    = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,63}$`)
	objectID    = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9._~-]{0,127}$`)
	generatedID = regexp.MustCompile(`^[A-Za-z0-9_-]{20}$`)
	digits      = regexp.MustCompile(`^[0-9]+$`)
	isTime      = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$`)
)

// The routes of CONTRACT §6 and the methods each allows.
var routeMethods = map[string][]string{
	"all":    {"GET", "DELETE"},
	"type":   {"GET", "POST", "DELETE"},
	"object": {"GET", "PUT", "DELETE"},
	"batch":  {"POST"},
	"login":  {"GET"}, // GET /1/login and /1/logout (CONTRACT §6.1)
}

// Apply runs a request on the model, as caller, on the backend of host,
// and returns what the target must answer it on its own. item is the
// request's index in a batch, or -1 for a direct request: a batch holds no
// batch (ERR-6), and in the spacedog-2016 profile an item's payload is read
// from content only.
func (m *Model) Apply(host Host, r Request, caller Auth, item int) Outcome {
	user := caller.User
	segs, ok := segments(r.Path)
	if !ok {
		return failed(http.StatusBadRequest) // SEC-1
	}
	kind, typ, id := route(segs)
	method := strings.ToUpper(r.Method)
	switch {
	case kind == "":
		return m.routeError(http.StatusNotFound, "not a valid path") // ERR-5
	case kind == "batch" && item >= 0:
		return failed(http.StatusBadRequest) // ERR-6, whatever the method
	case !slices.Contains(routeMethods[kind], method):
		return m.routeError(http.StatusMethodNotAllowed, "not valid for path") // ERR-5, ERR-2
	case kind == "batch":
		return Outcome{status: -1, unknown: "a batch sent as a request: use JudgeBatch"}
	}
	q, ok := r.effectiveQuery()
	if !ok {
		return failed(http.StatusBadRequest)
	}
	if kind == "login" {
		return signIn(caller)
	}
	if kind != "all" && !typeName.MatchString(typ) || kind == "object" && !objectID.MatchString(id) {
		return failed(http.StatusBadRequest) // DATA-5; SEC-1: an id holding "/" is no id
	}
	payload := r.Payload
	if item >= 0 && m.is2016() && r.Field == "body" {
		payload = nil // CONTRACT §7: that server read content only
	}
	b := m.backend(host.Backend)
	switch kind + " " + method {
	case "all GET":
		return m.list(b, "", q)
	case "all DELETE":
		if m.is2016() {
			return Outcome{status: http.StatusNotImplemented, bare: true} // CONTRACT §7
		}
		for t := range b.types {
			b.types[t] = map[string]*object{}
		}
		return done(-1)
	case "type GET":
		return m.list(b, typ, q)
	case "type POST":
		return m.create(b, host, typ, q, payload, user)
	case "type DELETE":
		if b.types[typ] == nil {
			return failed(http.StatusNotFound) // DATA-4
		}
		n := len(b.types[typ])
		b.types[typ] = map[string]*object{} // the type stays known
		if m.is2016() {
			return done(n) // CONTRACT §7: totalDeleted
		}
		return done(-1)
	case "object GET":
		o, out := b.find(typ, id)
		if o == nil {
			if m.is2016() {
				return Outcome{status: http.StatusNotFound, bare: true} // CONTRACT §7
			}
			return out
		}
		return Outcome{status: http.StatusOK, check: func(v any) []string { return m.checkObject(o, v) }}
	case "object PUT":
		return m.update(b, host, typ, id, q, payload, user)
	default: // object DELETE
		o, out := b.find(typ, id)
		if o == nil {
			if m.is2016() {
				out.says = []string{fmt.Sprintf("object of type [%s] and id [%s] not found", typ, id)}
			}
			return out
		}
		delete(b.types[typ], id)
		return done(-1)
	}
}

// routeError is ERR-5's 404 or 405: in the spacedog-2016 profile, an error
// with a message saying so and no type (CONTRACT §7).
func (m *Model) routeError(status int, says string) Outcome {
	if !m.is2016() {
		return failed(status)
	}
	return Outcome{status: status, untyped: true, says: []string{says}}
}

// segments splits a path as sent on "/" and then decodes each segment
// (CONTRACT §9), with the legacy root and a trailing slash (SUB-5); false
// for a path SEC-1 refuses.
func segments(raw string) ([]string, bool) {
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

// route names the route of decoded segments: all, type, object, batch,
// login (and logout), or
// "" for none.
func route(segs []string) (kind, typ, id string) {
	switch {
	case len(segs) == 2 && segs[0] == "1" && segs[1] == "batch":
		return "batch", "", ""
	case len(segs) == 2 && segs[0] == "1" && (segs[1] == "login" || segs[1] == "logout"):
		return "login", "", ""
	case len(segs) < 2 || len(segs) > 4 || segs[0] != "1" || segs[1] != "data" || slices.Contains(segs[2:], ""):
		return "", "", ""
	case len(segs) == 2:
		return "all", "", ""
	case len(segs) == 3:
		return "type", segs[2], ""
	}
	return "object", segs[2], segs[3]
}

// signIn is what GET /1/login and /1/logout answer the caller (CONTRACT
// §6.1, AUTH-n): success to Basic credentials (the model's users' are
// valid: a target that checks passwords knows them), 401 to an
// Authorization that is no Basic credentials, 403 to none.
func signIn(caller Auth) Outcome {
	switch {
	case caller.Header == "":
		return failed(http.StatusForbidden)
	case !strings.HasPrefix(caller.Header, "Basic "):
		return failed(http.StatusUnauthorized)
	}
	return done(-1)
}

// isBatch reports whether a path as sent names the batch route.
func isBatch(path string) bool {
	segs, ok := segments(path)
	if !ok {
		return false
	}
	kind, _, _ := route(segs)
	return kind == "batch"
}

// count reads from or size: absent, the default; a non-negative integer up
// to 2^31-1, else no value (DATA-5).
func count(q url.Values, name string, def int) (int, bool) {
	v, ok := q[name]
	if !ok {
		return def, true
	}
	n, err := strconv.ParseInt(v[0], 10, 64)
	if !digits.MatchString(v[0]) || err != nil || n > 1<<31-1 {
		return 0, false
	}
	return int(n), true
}

func (m *Model) list(b *backend, typ string, q url.Values) Outcome {
	from, ok1 := count(q, "from", 0)
	size, ok2 := count(q, "size", 10)
	if !ok1 || !ok2 {
		return failed(http.StatusBadRequest)
	}
	if typ != "" && b.types[typ] == nil {
		return failed(http.StatusNotFound) // DATA-4
	}
	all := b.objects(typ)
	from = min(from, len(all))
	page := all[from : from+min(size, len(all)-from)]
	return Outcome{status: http.StatusOK, timed: m.is2016(), check: func(v any) []string {
		l, _ := v.(map[string]any)
		results, _ := l["results"].([]any)
		members := 2
		if m.is2016() { // CONTRACT §7: and the milliseconds it took
			if took, ok := l["took"].(float64); !ok || took < 0 || took != float64(int64(took)) {
				return []string{fmt.Sprintf("listing %v, want a took in milliseconds (CONTRACT §7)", v)}
			}
			members = 3
		}
		if len(l) != members || l["total"] != float64(len(all)) || len(results) != len(page) {
			return []string{fmt.Sprintf("listing %v, want total %d and %d results (DATA-3)", v, len(all), len(page))}
		}
		var problems []string
		for i, o := range page {
			problems = append(problems, m.checkObject(o, results[i])...)
		}
		return problems
	}}
}

// objects lists a type's objects, or every type's for "", oldest first.
func (b *backend) objects(typ string) []*object {
	var all []*object
	for t, objs := range b.types {
		if typ == "" || t == typ {
			all = slices.AppendSeq(all, maps.Values(objs))
		}
	}
	slices.SortFunc(all, func(x, y *object) int { return x.seq - y.seq })
	return all
}

// readPayload reads a POST or PUT payload: a JSON object, else no fields
// (DATA-5). A client's meta is not the object's (DATA-1).
func readPayload(data []byte) (map[string]any, bool) {
	var fields map[string]any
	if json.Unmarshal(data, &fields) != nil || fields == nil {
		return nil, false
	}
	delete(fields, "meta")
	return fields, true
}

func (m *Model) create(b *backend, host Host, typ string, q url.Values, data []byte, user string) Outcome {
	id, given := q["id"]
	if given && !objectID.MatchString(id[0]) {
		return failed(http.StatusBadRequest)
	}
	fields, ok := readPayload(data)
	if !ok {
		return failed(http.StatusBadRequest)
	}
	if b.types[typ] == nil {
		b.types[typ] = map[string]*object{} // DATA-4: known from now on
	}
	objs := b.types[typ]
	version := 1
	if given && objs[id[0]] != nil {
		if !m.is2016() {
			return failed(http.StatusConflict) // DATA-5
		}
		version = objs[id[0]].version + 1 // CONTRACT §7: it overwrites
	}
	b.seq++
	o := &object{typ: typ, fields: fields, version: version, createdBy: user, updatedBy: user, seq: b.seq}
	if given {
		o.id = id[0]
		objs[o.id] = o
	} else {
		objs[pending(o)] = o // until a reply, or the state, shows its id
	}
	created := m.wire.Created
	return Outcome{status: created, check: func(v any) []string {
		if !given {
			saved, _ := v.(map[string]any)
			got, _ := saved["id"].(string)
			if problems := learnID(objs, o, got); problems != nil {
				return append(problems, fmt.Sprint(v))
			}
		}
		return o.checkSaved(host, created, v)
	}}
}

// pending is the key of an object whose generated id is not known yet: no
// request can name it.
func pending(o *object) string { return "\x00" + strconv.Itoa(o.seq) }

// learnID takes a generated id the target showed for an object (DATA-6).
func learnID(objs map[string]*object, o *object, id string) []string {
	if o.id != "" {
		if id != o.id {
			return []string{fmt.Sprintf("object %s/%s shown as id %q", o.typ, o.id, id)}
		}
		return nil
	}
	if !generatedID.MatchString(id) || objs[id] != nil {
		return []string{fmt.Sprintf("generated id %q: want 20 URL-safe characters, new in its type (DATA-6)", id)}
	}
	delete(objs, pending(o))
	o.id = id
	objs[id] = o
	return nil
}

func (m *Model) update(b *backend, host Host, typ, id string, q url.Values, data []byte, user string) Outcome {
	strict := q.Get("strict") == "true"
	if v, ok := q["strict"]; ok && v[0] != "true" && v[0] != "false" {
		return failed(http.StatusBadRequest)
	}
	version := 0
	if v, ok := q["version"]; ok {
		n, err := strconv.ParseInt(v[0], 10, 64)
		if !digits.MatchString(v[0]) || err != nil || n < 1 {
			return failed(http.StatusBadRequest) // DATA-5: a positive integer
		}
		version = int(n)
	}
	fields, ok := readPayload(data)
	if !ok {
		return failed(http.StatusBadRequest)
	}
	o, out := b.find(typ, id)
	if o == nil {
		return out
	}
	if version != 0 && version != o.version {
		return failed(http.StatusConflict)
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
	return Outcome{status: http.StatusOK, check: func(v any) []string { return o.checkSaved(host, http.StatusOK, v) }}
}

// find returns the object, or, when there is none, the 404 to answer (ERR-7).
func (b *backend) find(typ, id string) (*object, Outcome) {
	objs := b.types[typ]
	if objs == nil {
		return nil, failed(http.StatusNotFound)
	}
	if o := objs[id]; o != nil {
		return o, Outcome{}
	}
	out := failed(http.StatusNotFound)
	out.says = []string{fmt.Sprintf("object [%s] of type [%s] not found", id, typ)}
	return nil, out
}

// checkSaved checks a create's or an update's reply (DATA-2).
func (o *object) checkSaved(host Host, status int, v any) []string {
	want := map[string]any{"success": true, "status": float64(status), "id": o.id, "type": o.typ,
		"location": "http://" + host.Name + "/1/data/" + o.typ + "/" + o.id, "version": float64(o.version)}
	if !reflect.DeepEqual(v, want) {
		return []string{fmt.Sprintf("saved %s, want %s (DATA-2)", compact(v), compact(want))}
	}
	return nil
}

// checkObject checks an object as read back (DATA-1): its fields and its meta.
func (m *Model) checkObject(o *object, v any) []string {
	got, _ := v.(map[string]any)
	meta, _ := got["meta"].(map[string]any)
	fields := maps.Clone(got)
	delete(fields, "meta")
	if fields == nil {
		fields = map[string]any{}
	}
	var problems []string
	if !reflect.DeepEqual(fields, o.fields) {
		problems = append(problems, fmt.Sprintf("object %s/%s: fields %s, want %s", o.typ, o.id, compact(fields), compact(o.fields)))
	}
	createdAt, _ := meta["createdAt"].(string)
	updatedAt, _ := meta["updatedAt"].(string)
	want := map[string]any{"id": o.id, "type": o.typ, "version": float64(o.version), "createdBy": o.createdBy,
		"updatedBy": o.updatedBy, "createdAt": createdAt, "updatedAt": updatedAt}
	if !reflect.DeepEqual(meta, want) {
		return append(problems, fmt.Sprintf("object %s/%s: meta %s, want %s", o.typ, o.id, compact(meta), compact(want)))
	}
	return append(problems, o.learnTimes(createdAt, updatedAt, m.cfg.ClockTicks)...)
}

// learnTimes holds the object's times to what the target showed before:
// the creation time never moves, the update time moves forward on an
// update (strictly when the clock ticks) and only then.
func (o *object) learnTimes(createdAt, updatedAt string, ticks bool) []string {
	name := o.typ + "/" + o.id
	switch {
	case !isTime.MatchString(createdAt) || !isTime.MatchString(updatedAt):
		return []string{fmt.Sprintf("object %s: times %q %q are not UTC ISO-8601 with milliseconds", name, createdAt, updatedAt)}
	case o.createdAt != "" && createdAt != o.createdAt:
		return []string{fmt.Sprintf("object %s: createdAt moved from %s to %s", name, o.createdAt, createdAt)}
	case o.updatedAt != "" && updatedAt != o.updatedAt:
		return []string{fmt.Sprintf("object %s: updatedAt moved from %s to %s with no update", name, o.updatedAt, updatedAt)}
	case o.updatedAt == "" && (updatedAt < o.after || ticks && updatedAt == o.after):
		return []string{fmt.Sprintf("object %s: updatedAt %s is not after %s, its time before the update", name, updatedAt, o.after)}
	case updatedAt < createdAt && !(o.unordered && o.version > 1): // equal at creation is the mock's, no rule's
		return []string{fmt.Sprintf("object %s at version %d: createdAt %s, updatedAt %s", name, o.version, createdAt, updatedAt)}
	}
	o.createdAt, o.updatedAt = createdAt, updatedAt
	return nil
}

// CheckState compares a target's stored state (backend → type → objects,
// oldest first, as the mock's State gives it) with the model's: the same
// backends, the same known types, the same objects. A generated id no
// reply showed is learnt here, from the object's place.
func (m *Model) CheckState(state map[string]map[string][]json.RawMessage) []string {
	var problems []string
	for _, name := range slices.Sorted(maps.Keys(m.backends)) {
		b := m.backends[name]
		if len(b.types) == 0 {
			continue
		}
		types, ok := state[name]
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
				if err := json.Unmarshal(types[typ][i], &v); err != nil || duplicateKey(types[typ][i]) != "" {
					problems = append(problems, fmt.Sprintf("%s/%s[%d]: not an object with one member of each name: %s", name, typ, i, types[typ][i]))
					continue
				}
				where := fmt.Sprintf("%s/%s[%d]", name, typ, i)
				if o.id == "" {
					read, _ := v.(map[string]any)
					meta, _ := read["meta"].(map[string]any)
					id, _ := meta["id"].(string)
					if p := learnID(b.types[typ], o, id); p != nil {
						problems = append(problems, prefix(where, p)...)
						continue
					}
				}
				problems = append(problems, prefix(where, m.checkObject(o, v))...)
			}
		}
	}
	for name := range state {
		if b := m.backends[name]; b == nil || len(b.types) == 0 {
			problems = append(problems, fmt.Sprintf("backend %s holds data it should not: %v", name, state[name]))
		}
	}
	return problems
}

// compact is a value as JSON, for a problem's words: numbers as written.
func compact(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func prefix(p string, problems []string) []string {
	for i := range problems {
		problems[i] = p + ": " + problems[i]
	}
	return problems
}
