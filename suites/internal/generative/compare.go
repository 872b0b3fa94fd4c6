package generative

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/spacedog-oss/batchkit/internal/jsonvalue"
	"github.com/spacedog-oss/batchkit/internal/model"
	"github.com/spacedog-oss/batchkit/spec"
)

// A disagreement is what the target answered otherwise than the reference
// could, and the rules that say so when the comparison can name them.
type disagreement struct {
	Rules []string
	Text  string
}

func (d disagreement) String() string {
	if len(d.Rules) == 0 {
		return d.Text
	}
	return "(" + strings.Join(d.Rules, ", ") + ") " + d.Text
}

// comparer compares the target's replies with the reference's by the
// rules: what the servers generate mapped or checked for shape, listings
// as sets, members no rule defines ignored, messages compared where a rule
// pins them, and the choices the contract leaves open accepted (unless
// strict).
type comparer struct {
	profile  string
	strict   bool
	maxBatch int
	times    map[string]*seen // type/id → the times each server showed last
}

// seen is an object's times as the reference and the target showed them.
type seen struct{ refCreated, refUpdated, created, updated string }

// The messages rules pin: ERR-7's, word for word, and the 2016 server's
// own wordings (CONTRACT §7).
var (
	missingObject     = regexp.MustCompile(`^object \[[^\]]*\] of type \[[^\]]*\] not found$`)
	missingObject2016 = regexp.MustCompile(`^object of type \[[^\]]*\] and id \[[^\]]*\] not found$`)
	isTime            = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$`)
	routeWordings     = []string{"not a valid path", "not valid for path"}
)

// at says where a reply stands: a direct request, an item, a whole batch.
type at struct {
	where     string
	batchPath bool // the request is to the batch route (ERR-2's choice)
	item      int  // the item's index, or -1
	limit     bool // a batch over the limit: LIM-2's message names it
	// problems are the statuses of the request's problems, any one of
	// which a server may answer (CONTRACT §9, the open choices).
	problems []int
	// A malformed item's message names its index and one of its fields
	// at fault (ERR-4), and says how to write an item meant as hint;
	// outside any echo of raw, the item as sent.
	malformed bool
	fields    []string
	hint      *model.Request
	raw       []byte
	// origin is the base URL the request went to: a saved answer's
	// location is the object's URL there (DATA-2).
	origin string
	// kind is the request's route and method (model.Kind), "batch" for a
	// whole batch: the rule a status the reference would not answer breaks.
	kind string
}

// reply compares the target's reply (status and body, as the request would
// have had it on its own) with the reference's.
func (c *comparer) reply(a at, ts int, tb []byte, rs int, rb []byte) []disagreement {
	ref, err := jsonvalue.Decode(rb)
	if err != nil {
		return []disagreement{{Text: fmt.Sprintf("%s: the reference answered no JSON (a bug of the kit): %s", a.where, rb)}}
	}
	if ts != rs && !c.allowed(a, ts, rs) {
		return []disagreement{{Rules: statusRules(a, ts, rs), Text: fmt.Sprintf("%s: status %d, the reference answers %d", a.where, ts, rs)}}
	}
	got, err := jsonvalue.Decode(tb)
	if err != nil {
		return []disagreement{{Rules: []string{"ERR-3"}, Text: fmt.Sprintf("%s: the body is not JSON: %q", a.where, tb)}}
	}
	switch {
	case rs >= 400 && ts != rs:
		return c.envelope(a, ts, got)
	case rs >= 400:
		return c.failure(a, ts, got, ref)
	}
	return c.value(a.origin, a.where, got, ref)
}

// allowed: another of the request's problems (CONTRACT §9), or a status a
// SHOULD rule leaves open (ERR-2's 405, LIM-3's 413).
func (c *comparer) allowed(a at, ts, rs int) bool {
	if slices.Contains(a.problems, ts) && slices.Contains(a.problems, rs) {
		return true
	}
	return !c.strict && (rs == 405 && ts == 404 && a.batchPath || rs == 413 && ts == 400)
}

// envelope judges an error the target chose otherwise than the reference,
// on its own: the envelope of its status, with an error member holding a
// message (and a type, when it has one, a string), or the spacedog-2016
// profile's bare 404 (CONTRACT §7).
func (c *comparer) envelope(a at, ts int, got any) []disagreement {
	bad := func(format string, args ...any) []disagreement {
		return []disagreement{{Rules: []string{"ERR-3"}, Text: a.where + ": " + fmt.Sprintf(format, args...)}}
	}
	g, _ := got.(map[string]any)
	if g == nil || g["success"] != false || !isNumber(g["status"], ts) {
		return bad("not the error envelope of a %d: %s", ts, compact(got))
	}
	e, present := g["error"]
	if !present {
		if c.profile == spec.SpaceDog2016 && ts == 404 {
			return nil
		}
		return bad("no error member: %s", compact(got))
	}
	em, ok := e.(map[string]any)
	msg, _ := em["message"].(string)
	if !ok || msg == "" {
		return bad("no error message: %s", compact(got))
	}
	if t, typed := em["type"]; typed {
		if _, ok := t.(string); !ok {
			return bad("an error type that is no string: %s", compact(got))
		}
	}
	return nil
}

// statusRules are the rules a status the reference would not answer
// breaks, by what the request was.
func statusRules(a at, ts, rs int) []string {
	either := func(s int) bool { return ts == s || rs == s }
	kind, method, _ := strings.Cut(a.kind, " ")
	switch {
	case a.malformed:
		return []string{"ERR-4"}
	case a.limit:
		return []string{"LIM-2"}
	case a.kind == "batch":
		if rs == 200 {
			return []string{"LIM-1"}
		}
		return []string{"ERR-1"}
	case kind == "sec":
		return []string{"SEC-1"}
	case kind == "batch" && a.item >= 0:
		return []string{"ERR-6"}
	case kind == "" || either(405):
		return []string{"ERR-5"}
	case kind == "login":
		switch {
		case either(401):
			return []string{"AUTH-2"}
		case either(403):
			return []string{"AUTH-3"}
		}
		return []string{"AUTH-1"}
	case either(409):
		return []string{"DATA-5"}
	case either(404) && kind == "object":
		return []string{"ERR-7"}
	case either(404):
		return []string{"DATA-4"}
	case either(400):
		return []string{"DATA-5"}
	case kind == "object" && method == "GET":
		return []string{"DATA-1"}
	case method == "POST" || method == "PUT":
		return []string{"DATA-2"}
	case method == "GET":
		return []string{"DATA-3"}
	}
	return []string{"DATA-4"}
}

// failure compares error replies: the envelope's shape, and the message
// where a rule pins it.
func (c *comparer) failure(a at, ts int, got, ref any) []disagreement {
	bad := func(rules []string, format string, args ...any) []disagreement {
		return []disagreement{{Rules: rules, Text: a.where + ": " + fmt.Sprintf(format, args...)}}
	}
	g, _ := got.(map[string]any)
	r, _ := ref.(map[string]any)
	if g == nil || g["success"] != false || !isNumber(g["status"], ts) {
		return bad([]string{"ERR-3"}, "not the error envelope of a %d: %s", ts, compact(got))
	}
	re, refHas := r["error"].(map[string]any)
	ge, has := g["error"].(map[string]any)
	if _, present := g["error"]; !refHas {
		if present {
			return bad([]string{"ERR-3"}, "an error member the profile's server does not send (CONTRACT §7): %s", compact(got))
		}
		return nil
	}
	msg, _ := ge["message"].(string)
	if !has || msg == "" {
		return bad([]string{"ERR-3"}, "no error message: %s", compact(got))
	}
	_, refTyped := re["type"]
	typ, typed := ge["type"]
	if s, _ := typ.(string); refTyped != typed || refTyped && s == "" {
		return bad([]string{"ERR-3"}, "error type %v, where the reference has %v (ERR-3, CONTRACT §7): %s", typ, re["type"], compact(got))
	}
	refMsg, _ := re["message"].(string)
	switch {
	case missingObject.MatchString(refMsg) || missingObject2016.MatchString(refMsg):
		if msg != refMsg {
			return bad([]string{"ERR-7"}, "message %q, the rule pins %q", msg, refMsg)
		}
	case a.malformed:
		// By structure, not the mock's words (CONTRACT §9): the index as
		// a number, a field at fault as a word, the hint's method and path.
		if !spec.NamesIndex(msg, a.item, a.raw) {
			return bad([]string{"ERR-4"}, "message %q does not name the item's index, %d", msg, a.item)
		}
		if len(a.fields) > 0 && !spec.NamesField(msg, a.fields, a.raw) {
			return bad([]string{"ERR-4"}, "message %q names no field at fault (%s)", msg, strings.Join(a.fields, " or "))
		}
		if a.hint != nil && !spec.NamesRequest(msg, a.hint.Method, a.hint.Path, a.raw) {
			return bad([]string{"ERR-4"}, "message %q does not say how to write the item: the method %s and the path %s", msg, a.hint.Method, a.hint.Path)
		}
	case a.limit:
		if !strings.Contains(msg, strconv.Itoa(c.maxBatch)) {
			return bad([]string{"LIM-2"}, "message %q does not name the limit %d", msg, c.maxBatch)
		}
	case !refTyped:
		for _, w := range routeWordings {
			if strings.Contains(refMsg, w) && !strings.Contains(msg, w) {
				return bad([]string{"ERR-5"}, "message %q does not say %q (CONTRACT §7)", msg, w)
			}
		}
	}
	return nil
}

// value compares a success body: an object read back (its fields exactly,
// its meta's members), a listing (as a set when it holds every object), a
// saved answer; any other member of the reference's must be in the
// target's, equal; members only the target has are its own.
func (c *comparer) value(origin, where string, got, ref any) []disagreement {
	g, gok := got.(map[string]any)
	r, rok := ref.(map[string]any)
	switch {
	case !rok || !gok:
		if !jsonvalue.Equal(got, ref) {
			return []disagreement{{Text: fmt.Sprintf("%s: %s, the reference answers %s", where, compact(got), compact(ref))}}
		}
		return nil
	case isObject(r):
		return c.object(where, g, r)
	case r["results"] != nil:
		return c.listing(where, g, r)
	}
	var out []disagreement
	for _, k := range slices.Sorted(maps.Keys(r)) {
		gv, ok := g[k]
		switch {
		case !ok:
			out = append(out, disagreement{Rules: rulesOfMember(k), Text: fmt.Sprintf("%s: no member %q: %s", where, k, compact(g))})
		case k == "location":
			gs, _ := gv.(string)
			rs, _ := r[k].(string)
			if want := locationAt(origin, rs); !spec.SameURL(gs, want) {
				out = append(out, disagreement{Rules: []string{"DATA-2"}, Text: fmt.Sprintf("%s: location %q, want the object's URL where the request went, %s", where, gs, want)})
			}
		case k == "took":
			if n, ok := number(gv); !ok || n < 0 {
				out = append(out, disagreement{Text: fmt.Sprintf("%s: took %v, want milliseconds (CONTRACT §7)", where, gv)})
			}
		default:
			out = append(out, c.value(origin, where+"."+k, gv, r[k])...)
		}
	}
	return out
}

func rulesOfMember(k string) []string {
	switch k {
	case "id", "type", "location", "version":
		return []string{"DATA-2"}
	case "total", "results":
		return []string{"DATA-3"}
	}
	return []string{"ERR-3"}
}

// locationAt is the object's URL at the origin a request went to: the
// origin's scheme, host and path, then the reference's location's path.
func locationAt(origin, ref string) string {
	return strings.TrimSuffix(origin, "/") + pathOf(ref)
}

// pathOf is a URL's path, escaped as written.
func pathOf(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	return p.EscapedPath()
}

func isObject(m map[string]any) bool {
	meta, ok := m["meta"].(map[string]any)
	return ok && meta["type"] != nil && meta["version"] != nil
}

// object compares an object read back (DATA-1): its own fields exactly, the
// meta members the rule names (the times by their shape and their history).
func (c *comparer) object(where string, g, r map[string]any) []disagreement {
	bad := func(format string, args ...any) []disagreement {
		return []disagreement{{Rules: []string{"DATA-1"}, Text: where + ": " + fmt.Sprintf(format, args...)}}
	}
	gf, rf := maps.Clone(g), maps.Clone(r)
	delete(gf, "meta")
	delete(rf, "meta")
	if d := jsonvalue.Diff(gf, rf); d != "" {
		return bad("fields %s, the reference has %s: at %s", compact(gf), compact(rf), d)
	}
	gm, _ := g["meta"].(map[string]any)
	rm, _ := r["meta"].(map[string]any)
	if gm == nil {
		return bad("no meta: %s", compact(g))
	}
	for _, k := range []string{"id", "type", "version", "createdBy", "updatedBy"} {
		if !jsonvalue.Equal(gm[k], rm[k]) {
			return bad("meta.%s %s, the reference has %s", k, compact(gm[k]), compact(rm[k]))
		}
	}
	created, _ := gm["createdAt"].(string)
	updated, _ := gm["updatedAt"].(string)
	refCreated, _ := rm["createdAt"].(string)
	refUpdated, _ := rm["updatedAt"].(string)
	if !isTime.MatchString(created) || !isTime.MatchString(updated) {
		return bad("times %q %q are not UTC ISO-8601 with milliseconds", created, updated)
	}
	// No rule pins updatedAt to createdAt at creation (a server may read its
	// clock twice); it may not come before it.
	switch {
	case updated < created:
		return bad("updatedAt %s is before createdAt %s", updated, created)
	}
	key := fmt.Sprint(rm["type"], "/", rm["id"])
	if s := c.times[key]; s != nil && s.refCreated == refCreated {
		switch {
		case created != s.created:
			return bad("createdAt moved from %s to %s", s.created, created)
		case refUpdated == s.refUpdated && updated != s.updated:
			return bad("updatedAt moved from %s to %s with no update", s.updated, updated)
		case updated < s.updated:
			return bad("updatedAt went back from %s to %s", s.updated, updated)
		}
	}
	c.times[key] = &seen{refCreated: refCreated, refUpdated: refUpdated, created: created, updated: updated}
	return nil
}

// listing compares listings (DATA-3): the same total and page size; when
// the page holds every object, the same objects, in any order.
func (c *comparer) listing(where string, g, r map[string]any) []disagreement {
	bad := func(format string, args ...any) []disagreement {
		return []disagreement{{Rules: []string{"DATA-3"}, Text: where + ": " + fmt.Sprintf(format, args...)}}
	}
	gr, _ := g["results"].([]any)
	rr, _ := r["results"].([]any)
	if !jsonvalue.Equal(g["total"], r["total"]) || len(gr) != len(rr) || g["results"] == nil {
		return bad("total %v and %d results, the reference has total %v and %d results", g["total"], len(gr), r["total"], len(rr))
	}
	if k, ok := r["took"]; ok {
		if n, ok := number(g["took"]); !ok || n < 0 {
			return bad("took %v, want milliseconds (CONTRACT §7)", k)
		}
	}
	if !isNumber(r["total"], len(rr)) {
		return nil // a page: which objects it holds depends on an order no rule pins
	}
	byID := map[string]map[string]any{}
	for _, o := range rr {
		m, _ := o.(map[string]any)
		byID[idOf(m)] = m
	}
	var out []disagreement
	var unseen []int // results whose id no reply showed the reference
	for i, o := range gr {
		m, _ := o.(map[string]any)
		ref, ok := byID[idOf(m)]
		if !ok {
			unseen = append(unseen, i)
			continue
		}
		delete(byID, idOf(m))
		out = append(out, c.object(fmt.Sprintf("%s.results[%d]", where, i), m, ref)...)
	}
	// An object created by a batch whose reply showed no result (a 2016
	// batch that a later element ended) has its own id on each server:
	// each such object of the target must be one of the reference's, but
	// for its id.
	for _, i := range unseen {
		m, _ := gr[i].(map[string]any)
		gm, _ := m["meta"].(map[string]any)
		found := false
		for _, key := range slices.Sorted(maps.Keys(byID)) {
			ref := byID[key]
			if !strings.Contains(key, unshownID) || gm == nil {
				continue
			}
			ref = maps.Clone(ref)
			meta := maps.Clone(ref["meta"].(map[string]any))
			meta["id"] = gm["id"]
			ref["meta"] = meta
			if c.object("", m, ref) == nil {
				delete(byID, key)
				found = true
				break
			}
		}
		if !found {
			return bad("result %d, %s, is none of the reference's objects", i, compact(gr[i]))
		}
	}
	return out
}

// unshownID starts the ids the reference makes up for an object the
// target created without showing its id.
const unshownID = "unshown-"

func idOf(o map[string]any) string {
	meta, _ := o["meta"].(map[string]any)
	return fmt.Sprint(meta["type"], "/", meta["id"])
}

func compact(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// number is a decoded JSON number's value.
func number(v any) (float64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := n.Float64()
	return f, err == nil
}

// isNumber reports whether a decoded JSON value is the number n.
func isNumber(v any, n int) bool {
	f, ok := number(v)
	return ok && f == float64(n)
}
