package model

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Problems lists the statuses of the problems a request has on its own,
// each found as though it were the only one, for a request sent as caller
// to host's backend (item: its index in a batch, -1 when direct). When
// there are several, a server may answer any one of them (CONTRACT §9, the
// open choices): a bad query string on a path without a route is a 400 or
// a 404, a bad payload for a missing object a 400 or a 404. A path SEC-1
// refuses and a nested batch have their one answer, 400; an id or a type
// name a request cannot use is never also a missing object. Problems
// changes nothing: call it before the step is judged.
func (m *Model) Problems(host Host, r Request, caller Auth, item int) []int {
	segs, ok := segments(r.Path)
	if !ok {
		return []int{http.StatusBadRequest}
	}
	kind, typ, id := route(segs)
	if kind == "batch" && item >= 0 {
		return []int{http.StatusBadRequest}
	}
	var out []int
	add := func(status int) {
		if !slices.Contains(out, status) {
			out = append(out, status)
		}
	}
	method := strings.ToUpper(r.Method)
	routed := kind != "" && slices.Contains(routeMethods[kind], method)
	switch {
	case kind == "":
		add(http.StatusNotFound)
	case !routed:
		add(http.StatusMethodNotAllowed)
	}
	q, parsed := r.effectiveQuery()
	if !parsed {
		add(http.StatusBadRequest)
	}
	if !routed || kind == "batch" {
		return out
	}
	if kind == "login" {
		if status := signIn(caller).status; status >= http.StatusBadRequest {
			add(status)
		}
		return out
	}
	named := (kind == "all" || typeName.MatchString(typ)) && (kind != "object" || objectID.MatchString(id))
	if !named {
		add(http.StatusBadRequest)
	}
	if !parsed {
		return out
	}
	payload := r.Payload
	if item >= 0 && m.is2016() && r.Field == "body" {
		payload = nil // CONTRACT §7: that server read content only
	}
	var objs map[string]*object
	if b := m.backends[host.Backend]; b != nil {
		objs = b.types[typ]
	}
	switch kind + " " + method {
	case "all GET", "type GET":
		if _, ok := count(q, "from", 0); !ok {
			add(http.StatusBadRequest)
		}
		if _, ok := count(q, "size", 10); !ok {
			add(http.StatusBadRequest)
		}
		if kind == "type" && named && objs == nil {
			add(http.StatusNotFound) // DATA-4
		}
	case "type POST":
		ids, given := q["id"]
		if given && !objectID.MatchString(ids[0]) {
			add(http.StatusBadRequest)
		}
		if _, ok := readPayload(payload); !ok {
			add(http.StatusBadRequest)
		}
		if named && given && objs[ids[0]] != nil && !m.is2016() {
			add(http.StatusConflict) // DATA-5
		}
	case "type DELETE":
		if named && objs == nil {
			add(http.StatusNotFound)
		}
	case "object GET", "object DELETE":
		if named && objs[id] == nil {
			add(http.StatusNotFound) // ERR-7
		}
	case "object PUT":
		if v, ok := q["strict"]; ok && v[0] != "true" && v[0] != "false" {
			add(http.StatusBadRequest)
		}
		version := 0
		if v, ok := q["version"]; ok {
			n, err := strconv.ParseInt(v[0], 10, 64)
			if !digits.MatchString(v[0]) || err != nil || n < 1 {
				add(http.StatusBadRequest) // DATA-5
			} else {
				version = int(n)
			}
		}
		if _, ok := readPayload(payload); !ok {
			add(http.StatusBadRequest)
		}
		switch o := objs[id]; {
		case !named:
		case o == nil:
			add(http.StatusNotFound)
		case version != 0 && version != o.version:
			add(http.StatusConflict)
		}
	}
	return out
}

// Kind names a request's route and method as the rules speak of them:
// "object GET", "type POST", "all DELETE", "login GET", "batch POST"; ""
// for a path no route matches, "sec" for one SEC-1 refuses.
func Kind(r Request) string {
	segs, ok := segments(r.Path)
	if !ok {
		return "sec"
	}
	kind, _, _ := route(segs)
	if kind == "" {
		return ""
	}
	return kind + " " + strings.ToUpper(r.Method)
}
