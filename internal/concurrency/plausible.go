package concurrency

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"

	"github.com/spacedog-oss/batchkit/internal/jsonvalue"
	"github.com/spacedog-oss/batchkit/internal/model"
)

// plausible reports whether some state of the object could have given
// op's answer: a state read off the answer itself (the object a read
// shows, the version a save names, the absence a 404 tells). An answer no
// state gives (a 500, a malformed envelope, an object without its meta)
// is wrong whatever the order: no other operation explains it.
func (c *Checker) plausible(p *partition, op *Op) bool {
	if !op.answered() {
		return true
	}
	for _, s := range candidates(op) {
		if _, problems := c.Model.TryObject(s, c.Host, p.typ, p.id, op.Req, op.Caller, op.Item, op.Status, op.Body); len(problems) == 0 {
			return true
		}
	}
	return false
}

// candidates are the states op's answer points to.
func candidates(op *Op) []model.Object {
	some := func(v int) model.Object {
		return model.Object{Exists: true, Fields: "{}", Version: max(v, 1), CreatedBy: op.Caller.User, UpdatedBy: op.Caller.User}
	}
	states := []model.Object{{}, some(1)}
	answer := jsonvalue.Members(op.Body)
	switch {
	case op.Req.Method == http.MethodGet && op.Status == http.StatusOK:
		if s, ok := shown(answer); ok {
			states = append(states, s)
		}
	case op.Req.Method == http.MethodPut && op.Status == http.StatusConflict:
		// A conflict: a version other than the one asked for.
		q, _ := url.ParseQuery(op.Req.Query)
		if v, err := strconv.Atoi(q.Get("version")); err == nil {
			states = append(states, some(v+1))
		}
	default: // a save: the version it replaced
		var version int
		if json.Unmarshal(answer["version"], &version) == nil && version > 1 {
			states = append(states, some(version-1))
		}
	}
	return states
}

// shown is the state an object read back shows, its members read by
// their exact names.
func shown(read map[string]json.RawMessage) (model.Object, bool) {
	meta := jsonvalue.Members(read["meta"])
	if meta == nil {
		return model.Object{}, false
	}
	var s model.Object
	for name, into := range map[string]*string{"createdBy": &s.CreatedBy, "updatedBy": &s.UpdatedBy, "createdAt": &s.CreatedAt, "updatedAt": &s.UpdatedAt} {
		if json.Unmarshal(meta[name], into) != nil {
			return model.Object{}, false
		}
	}
	if json.Unmarshal(meta["version"], &s.Version) != nil {
		return model.Object{}, false
	}
	fields := map[string]any{}
	for k, v := range read {
		var x any
		if k == "meta" {
			continue
		}
		if json.Unmarshal(v, &x) != nil {
			return model.Object{}, false
		}
		fields[k] = x
	}
	f, _ := json.Marshal(fields)
	s.Exists, s.Fields = true, string(f)
	return s, true
}
