package model

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"strings"
)

// Object is one object's state under the data rules, seen on its own: the
// state a linearizability check steps through (CONTRACT §3.1, CONC-1),
// where many orders of the same requests are tried from one state. It is a
// value, comparable with ==; the zero Object is an object that does not
// exist, of a type that does.
type Object struct {
	Exists               bool
	Fields               string // the object's fields, as JSON with its keys sorted
	Version              int
	CreatedBy, UpdatedBy string
	// The times a reply showed; "" until one does, and updatedAt again
	// after an update, until a reply shows the new one.
	CreatedAt, UpdatedAt string
}

// Hash is a hash of the state: equal states have equal hashes.
func (o Object) Hash() uint64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%t\x00%s\x00%d\x00%s\x00%s\x00%s\x00%s", o.Exists, o.Fields, o.Version, o.CreatedBy, o.UpdatedBy, o.CreatedAt, o.UpdatedAt)
	return h.Sum64()
}

func (o Object) String() string {
	if !o.Exists {
		return "absent"
	}
	return fmt.Sprintf("version %d %s (createdBy %s, updatedBy %s)", o.Version, o.Fields, o.CreatedBy, o.UpdatedBy)
}

// Unanswered is the status TryObject takes for a request whose answer
// never came: it may have taken effect, and nothing is judged.
const Unanswered = 0

// TryObject runs r, sent by caller (item: its index in a batch, or -1 on
// its own) to host, on the object typ/id in state s, with the object alone
// in its type, a known one; and judges the reply r got, as r would have
// had it on its own. It returns the state after r and what is wrong with
// the reply: nothing when the rules allow that reply from s. r acts on the
// object (a create with an id, a read, an update, a delete) or on its
// whole type (a delete of the type). A status of Unanswered judges
// nothing: r is applied as the rules say.
//
// Two readings differ from Apply's, for a view of one object among
// others, updated by concurrent clients: the count a type's delete
// answers in the spacedog-2016 profile covers objects this view does not
// hold, so it must only count this one if it existed; and an update's
// time may be before the time of the write it follows, the creation's
// included, as a server that reads its clock before it orders concurrent
// writes stamps them (the mock among them: the time is the server's, and
// no rule orders two writes' times), so an update's time is only held to
// its form and, once read, to staying put until the next update.
func (m *Model) TryObject(s Object, host Host, typ, id string, r Request, caller Auth, item int, status int, body []byte) (Object, []string) {
	b := &backend{types: map[string]map[string]*object{typ: {}}}
	if s.Exists {
		var fields map[string]any
		if err := json.Unmarshal([]byte(s.Fields), &fields); err != nil {
			panic(fmt.Sprintf("model: an Object's fields are no JSON object: %s", s.Fields))
		}
		b.types[typ][id] = &object{id: id, typ: typ, fields: fields, version: s.Version, createdBy: s.CreatedBy,
			updatedBy: s.UpdatedBy, createdAt: s.CreatedAt, updatedAt: s.UpdatedAt, seq: 1}
		b.seq = 1
	}
	one := &Model{cfg: m.cfg, wire: m.wire, backends: map[string]*backend{host.Backend: b}}
	one.cfg.ClockTicks = false
	out := one.Apply(host, r, caller, item)
	if o := b.types[typ][id]; o != nil {
		o.after, o.unordered = "", true // an update's time: any
	}
	var problems []string
	if status != Unanswered {
		if isTypeDelete(r) && m.is2016() && status == http.StatusOK {
			body = countOnly(body, s.Exists)
		}
		problems = out.Judge(status, body)
	}
	o := b.types[typ][id]
	if o == nil {
		return Object{}, problems
	}
	fields, err := json.Marshal(o.fields) // map keys sorted
	if err != nil {
		panic(fmt.Sprintf("model: fields that do not encode: %v", err))
	}
	return Object{Exists: true, Fields: string(fields), Version: o.version, CreatedBy: o.createdBy, UpdatedBy: o.updatedBy,
		CreatedAt: o.createdAt, UpdatedAt: o.updatedAt}, problems
}

// isTypeDelete reports whether r deletes a whole type.
func isTypeDelete(r Request) bool {
	segs, ok := segments(r.Path)
	if !ok {
		return false
	}
	kind, _, _ := route(segs)
	return kind == "type" && strings.EqualFold(r.Method, http.MethodDelete)
}

// countOnly rewrites a 2016 type delete's totalDeleted for a view of one
// object: a count that includes the object, if it existed, is the count
// the view expects (1 or 0); any other count is left to fail.
func countOnly(body []byte, existed bool) []byte {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return body
	}
	var n float64
	if json.Unmarshal(m["totalDeleted"], &n) != nil || n != float64(int64(n)) {
		return body
	}
	want := 0
	if existed {
		want = 1
	}
	if n < float64(want) {
		return body
	}
	m["totalDeleted"] = json.RawMessage(fmt.Sprint(want))
	out, err := json.Marshal(m)
	if err != nil {
		return body
	}
	return out
}
