package selftest

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/spacedog-oss/batchkit/mockserver"
	"github.com/spacedog-oss/batchkit/spec"
	"github.com/spacedog-oss/batchkit/suites/internal/defect"
)

// shoulds are the contract's SHOULD rules.
var shoulds = []string{"SUB-5", "STOP-4", "LIM-3", "ERR-2", "DATA-6"}

// conforming are servers that keep the contract, each choosing otherwise
// than the mock where the contract leaves a choice: the suites must pass
// them. Each keeps every MUST rule, ORD-4 among them: what it changes in a
// reply it changes in a batch result alike.
func conforming() []variant {
	return []variant{
		{name: "the mock"},
		{name: "the mock holding other data", fill: true},
		{name: "the 2016 mock", cfg: mockserver.Config{Profile: spec.SpaceDog2016}, profile: spec.SpaceDog2016},
		{name: "the mock enforcing the suites' users", cfg: mockserver.Config{Users: suiteUsers}, args: []string{"--users-enforced"}},
		{name: "the 2016 mock enforcing the suites' users", cfg: mockserver.Config{Profile: spec.SpaceDog2016, Users: suiteUsers},
			profile: spec.SpaceDog2016, args: []string{"--users-enforced"}},
		{name: "other error messages and types", wrap: defect.EveryBody(reword, defect.Compact)},
		{name: "ids of 20 other URL-safe characters", cfg: mockserver.Config{NewID: otherIDs}},
		{name: "listings in another order", wrap: defect.EveryBody(reverseListings, defect.Compact)},
		{name: "extra fields in every body", wrap: defect.EveryBody(extraFields, defect.Compact)},
		{name: "extra fields in every body, in the 2016 profile", cfg: mockserver.Config{Profile: spec.SpaceDog2016},
			profile: spec.SpaceDog2016, wrap: defect.EveryBody(extraFields, defect.Compact)},
		{name: "keys in another order, and whitespace", wrap: defect.EveryBody(same, spread)},
		{name: "Content-Type without charset, replies chunked", wrap: chunked("application/json")},
		{name: "Content-Type with charset=UTF-8, replies chunked", wrap: chunked("application/json;charset=UTF-8")},
		{name: "a batch limit of 20", cfg: mockserver.Config{MaxBatch: 20}, args: []string{"--max-batch=20"}},
		{name: "no SHOULD rule met", cfg: mockserver.Config{NewID: defect.CounterIDs()},
			wrap: defect.Chain(defect.No413, defect.No405, defect.LaxStopOnError, defect.ExactMethodsAndPaths), notMet: shoulds},
		{name: "no SHOULD rule met, strictly", cfg: mockserver.Config{NewID: defect.CounterIDs()}, strict: true,
			wrap: defect.Chain(defect.No413, defect.No405, defect.LaxStopOnError, defect.ExactMethodsAndPaths), breaks: shoulds},
		{name: "another method on the batch answered 404", wrap: defect.No405, notMet: []string{"ERR-2"}},
	}
}

// choosing are servers that choose otherwise than the mock where the
// contract lists an open choice (CONTRACT §9), each in both profiles: the
// suites must pass them, the generative mode included.
func choosing() []variant {
	var out []variant
	for _, profile := range spec.Profiles() {
		narrow, alnum := defect.NarrowIDs()
		for _, v := range []variant{
			{name: "item errors in other words, the index and field in another notation", wrap: defect.ItemErrorsInOtherWords},
			{name: "the query string read before the route", wrap: defect.QueryBeforeRoute},
			{name: "ids of letters and digits only", cfg: mockserver.Config{NewID: alnum}, wrap: narrow},
			{name: "ids of any characters but / and \\", wrap: defect.WideIDs()},
			{name: "locations escaping ~ as %7e", wrap: defect.LocationsEscapingTilde},
		} {
			v.name, v.profile, v.cfg.Profile = v.name+", "+profile, profile, profile
			out = append(out, v)
		}
	}
	return out
}

func same(v any) any { return v }

// missingObject is ERR-7's message, which that rule pins word for word.
var missingObject = regexp.MustCompile(`^object \[[^\]]*\] of type \[[^\]]*\] not found$`)

// reword gives errors other words and types than the mock's, keeping what
// a rule pins: ERR-7's message; the limit LIM-2 names; the index and field
// ERR-4 names, in another notation.
func reword(v any) any {
	m, ok := v.(map[string]any)
	if !ok || m["success"] != false {
		return v
	}
	e, ok := m["error"].(map[string]any)
	if !ok {
		return v
	}
	status := fmt.Sprint(m["status"])
	msg, _ := e["message"].(string)
	e["type"] = "com.example.Error" + status
	switch {
	case missingObject.MatchString(msg):
	case strings.HasPrefix(msg, "batch item ["):
		e["message"] = defect.OtherItemWords(msg) // the index and field in another notation
	case strings.Contains(msg, "limited to"):
		e["message"] = "Refused. " + msg
	default:
		e["message"] = "That did not work (" + status + ")."
	}
	return m
}

// otherIDs are 20 characters of RFC 3986's unreserved set, beyond the
// mock's base64url: a letter, then digits, lower-case letters, '.' and '~'.
func otherIDs() string {
	const first, rest = "abcdefghijklmnopqrstuvwxyz", "0123456789abcdefghijklmnopqrstuvwxyz.~"
	b := make([]byte, 20)
	rand.Read(b)
	for i := range b {
		alphabet := rest
		if i == 0 {
			alphabet = first
		}
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// reverseListings lists newest first, where the mock lists oldest first.
func reverseListings(v any) any {
	if m, ok := v.(map[string]any); ok {
		if results, ok := m["results"].([]any); ok {
			slices.Reverse(results)
		}
	}
	return v
}

// extraFields adds members of the server's own everywhere: to every
// envelope, listing, saved and success body, to error objects, to a 2016
// batch reply and read wrapper, to the 2016 failures without error or
// without error.type, and to every object's meta (an object's top level
// is its fields: DATA-1 leaves the server no room there).
func extraFields(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	addMeta := func(o any) {
		if obj, ok := o.(map[string]any); ok {
			if meta, ok := obj["meta"].(map[string]any); ok {
				meta["etag"] = fmt.Sprintf("W/%q", fmt.Sprint(meta["version"]))
			}
		}
	}
	if _, isObject := m["meta"]; isObject {
		addMeta(m)
		return m
	}
	if results, ok := m["results"].([]any); ok {
		for _, o := range results {
			addMeta(o)
		}
	}
	if e, ok := m["error"].(map[string]any); ok {
		e["code"] = m["status"]
		e["documentation"] = "https://example.com/errors"
	}
	m["server"] = "example/1.0"
	return m
}

// spread writes JSON with its keys in reverse order and whitespace around
// every token.
func spread(v any) []byte {
	var b bytes.Buffer
	b.WriteString(" \r\n")
	writeSpread(&b, v, "\n")
	b.WriteString("\n")
	return b.Bytes()
}

func writeSpread(b *bytes.Buffer, v any, indent string) {
	inner := indent + "\t "
	switch v := v.(type) {
	case map[string]any:
		keys := slices.Sorted(maps.Keys(v))
		slices.Reverse(keys)
		b.WriteString("{")
		for i, k := range keys {
			if i > 0 {
				b.WriteString(" ,")
			}
			b.WriteString(inner)
			b.Write(defect.Compact(k))
			b.WriteString(" :\t")
			writeSpread(b, v[k], inner)
		}
		b.WriteString(indent + "}")
	case []any:
		b.WriteString("[ ")
		for i, e := range v {
			if i > 0 {
				b.WriteString(",\r\n")
			}
			b.WriteString(inner)
			writeSpread(b, e, inner)
		}
		b.WriteString(indent + "]")
	default:
		b.Write(defect.Compact(v))
	}
}

// chunked answers with another Content-Type and without Content-Length,
// the body flushed a few bytes at a time.
func chunked(contentType string) defect.Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			a := defect.Record(next, r)
			maps.Copy(w.Header(), a.Header)
			w.Header().Del("Content-Length")
			if a.Header.Get("Content-Type") != "" {
				w.Header().Set("Content-Type", contentType)
			}
			w.WriteHeader(a.Status)
			for piece := range slices.Chunk(a.Body, 7) {
				w.Write(piece)
				http.NewResponseController(w).Flush()
			}
		})
	}
}
