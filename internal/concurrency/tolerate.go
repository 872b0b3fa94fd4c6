package concurrency

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"

	"github.com/spacedog-oss/batchkit/spec"
)

// The members the rules name in each kind of answer (CONTRACT §4, §6):
// a server may add its own beside them (CONTRACT §9), which the model,
// exact for the mock, does not know of.
var (
	envelopeMembers = []string{"success", "status", "error"}
	errorMembers    = []string{"type", "message"}
	savedMembers    = []string{"success", "status", "id", "type", "location", "version"}
	doneMembers     = []string{"success", "status"}
	// The spacedog-2016 profile's delete of a type says how many went.
	doneMembers2016 = []string{"success", "status", "totalDeleted"}
	metaMembers     = []string{"id", "type", "version", "createdBy", "updatedBy", "createdAt", "updatedAt"}
)

// tolerate is an answer as the model judges it: the members no rule names
// left out (an object's top level is its fields, which DATA-1 leaves no
// room in; its meta may have more), and a saved answer's location, when it
// is an absolute URL of the object's path (a server may live under a path
// of its host, and be reached by another name), written as the model
// expects it. Anything else is left as it is, to be judged.
func tolerate(body []byte, location, profile string) []byte {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil || m == nil {
		return body
	}
	switch {
	case m["meta"] != nil:
		var meta map[string]json.RawMessage
		if json.Unmarshal(m["meta"], &meta) != nil || meta == nil {
			return body
		}
		m["meta"] = encode(keep(meta, metaMembers))
	case isFalse(m["success"]):
		m = keep(m, envelopeMembers)
		var e map[string]json.RawMessage
		if json.Unmarshal(m["error"], &e) == nil && e != nil {
			m["error"] = encode(keep(e, errorMembers))
		}
	case m["location"] != nil:
		m = keep(m, savedMembers)
		var got string
		if json.Unmarshal(m["location"], &got) == nil && sameObject(got, location) {
			m["location"] = encode(location)
		}
	case m["results"] != nil:
		return body // a listing: the mode judges none
	case profile == spec.SpaceDog2016:
		m = keep(m, doneMembers2016)
	default:
		m = keep(m, doneMembers)
	}
	return encode(m)
}

// sameObject reports whether got is an absolute URL whose path ends with
// want's path, the two compared as RFC 3986 normalizes them (%7E is ~).
func sameObject(got, want string) bool {
	g, err := url.Parse(got)
	w, _ := url.Parse(want)
	return err == nil && g.IsAbs() && g.Host != "" && strings.HasSuffix(spec.NormalPath(g.EscapedPath()), spec.NormalPath(w.EscapedPath()))
}

func keep(m map[string]json.RawMessage, names []string) map[string]json.RawMessage {
	out := map[string]json.RawMessage{}
	for _, n := range names {
		if v, ok := m[n]; ok {
			out[n] = v
		}
	}
	return out
}

func isFalse(raw json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(raw), []byte("false")) }

func encode(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // raw members and strings always encode
	}
	return b
}
