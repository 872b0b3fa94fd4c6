package model

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
)

// Outcome is what the model expects of a reply: a status and, for a
// success, a check of the body, which may teach the model what it could
// not know (a generated id, a time); for an error, the envelope's shape and
// what its message must say.
type Outcome struct {
	status  int
	check   func(v any) []string // a success's body
	says    []string             // what an error's message must say
	untyped bool                 // an error with a message and no type (a 2016 route error)
	bare    bool                 // an error with no error member at all (2016)
	timed   bool                 // the body tells how long the target took (a 2016 listing)
	unknown string               // why the model cannot say: the outcome fails any reply
}

// Status is the status the reply must have.
func (out Outcome) Status() int { return out.status }

func failed(status int) Outcome { return Outcome{status: status} }

// done is a success without a representation: in the spacedog-2016
// profile a type's delete also says how many objects went (n ≥ 0).
func done(n int) Outcome {
	want := map[string]any{"success": true, "status": float64(http.StatusOK)}
	if n >= 0 {
		want["totalDeleted"] = float64(n)
	}
	return Outcome{status: http.StatusOK, check: func(v any) []string {
		if !reflect.DeepEqual(v, want) {
			return []string{fmt.Sprintf("%v, want %v", v, want)}
		}
		return nil
	}}
}

// Judge checks a reply, as the request would have had it on its own,
// against the outcome, and returns what is wrong with it. Judge a success
// once: its check may teach the model.
func (out Outcome) Judge(status int, body []byte) []string {
	if out.unknown != "" {
		return []string{out.unknown}
	}
	if status != out.status {
		return []string{fmt.Sprintf("status %d, want %d: %s", status, out.status, body)}
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return []string{fmt.Sprintf("not JSON: %v: %s", err, body)}
	}
	if k := duplicateKey(body); k != "" {
		return []string{fmt.Sprintf("member %q twice in an object: %s", k, body)}
	}
	if status < http.StatusBadRequest {
		if out.check == nil {
			return nil
		}
		return out.check(v)
	}
	// ERR-3: the envelope, with a message saying what went wrong; the
	// spacedog-2016 profile's exceptions (CONTRACT §7) have less.
	e, _ := v.(map[string]any)
	if e["success"] != false || e["status"] != float64(status) {
		return []string{fmt.Sprintf("not the error envelope of a %d (ERR-3): %s", status, body)}
	}
	if out.bare {
		if len(e) != 2 {
			return []string{fmt.Sprintf(`want {"success":false,"status":%d} and nothing more (CONTRACT §7): %s`, status, body)}
		}
		return nil
	}
	inner, _ := e["error"].(map[string]any)
	typ, _ := inner["type"].(string)
	msg, _ := inner["message"].(string)
	members := 2
	if out.untyped {
		typ, members = "none", 1
	}
	if len(e) != 3 || len(inner) != members || typ == "" || msg == "" {
		return []string{fmt.Sprintf("not the error envelope of a %d (ERR-3, CONTRACT §7): %s", status, body)}
	}
	for _, s := range out.says {
		if !strings.Contains(msg, s) {
			return []string{fmt.Sprintf("message %q does not say %q", msg, s)}
		}
	}
	return nil
}

// duplicateKey returns a name that an object of the JSON text holds twice,
// which decoding hides (the last one wins), or "".
func duplicateKey(data []byte) string {
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
