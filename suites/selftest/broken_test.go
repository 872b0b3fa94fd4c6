package selftest

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/spacedog-oss/batchkit/mockserver"
	"github.com/spacedog-oss/batchkit/spec"
	"github.com/spacedog-oss/batchkit/suites/internal/defect"
)

// broken are servers with one realistic defect each: the suites must fail
// them, naming the rule the defect breaks.
func broken() []variant {
	return []variant{
		// A reply the suites cannot read fails every spec that reads one:
		// only the run's failure and the rule are asserted.
		{name: "the doc mock judged as a 2016 server", profile: spec.SpaceDog2016, breaks: []string{"LIM-1"}, garbles: true},
		{name: "the 2016 mock judged as a doc server", cfg: mockserver.Config{Profile: spec.SpaceDog2016}, breaks: []string{"LIM-1"}, garbles: true},
		{name: "errors without the envelope", wrap: editReply(bareErrors), breaks: []string{"ERR-3"}, garbles: true},

		{name: "a batch limit one too high", cfg: mockserver.Config{MaxBatch: 11}, breaks: []string{"LIM-2"}},
		{name: "stopOnError ignored", wrap: dropQuery("stopOnError"), breaks: []string{"STOP-2"}},
		{name: "large batches' results out of order", wrap: editReply(swapFirstTwo), breaks: []string{"ORD-1"}},
		{name: "direct errors whose envelope says 400", wrap: editReply(envelopeSays400), breaks: []string{"ERR-3"}},
		{name: "well-formed sub-request headers dropped", wrap: editItems(dropGoodHeaders), breaks: []string{"SUB-3"}},
		{name: "batched errors worded otherwise", wrap: editReply(rewordBatched), breaks: []string{"ORD-4"}},
		{name: "nested batches run", wrap: editItems(unnest), breaks: []string{"ERR-6"}},
		{name: "another method on the batch answered 404, strictly", wrap: no405, strict: true, breaks: []string{"ERR-2"}},

		// CONTRACT §9.
		{name: "paths percent-decoded before they are split", wrap: decodeBeforeSplit, breaks: []string{"SEC-1"}},
		{name: "a backslash read as a slash", wrap: backslashAsSlash, breaks: []string{"SEC-1"}},
		{name: "item fields matched in any case", wrap: editRawItems(anyCase), breaks: []string{"ERR-4"}},
		{name: "a nested GET answered 405", wrap: editResults(nested405), breaks: []string{"ERR-6"}},
		{name: "a method that is no token answered 405", wrap: editResults(tokenless405), breaks: []string{"ERR-4"}},
		{name: "from and size beyond 32 bits taken", wrap: clampFromSize, breaks: []string{"DATA-5"}},
		{name: "version 0 read as no version", wrap: versionZeroIgnored, breaks: []string{"DATA-5"}},
		// One DATA-1 slip in every object: reported under DATA-1, not under the rule of each spec that reads one.
		{name: "createdAt without milliseconds", wrap: defect.CreatedAtWithoutMillis(), breaks: []string{"DATA-1"}},

		// CONTRACT §7: the 2016 server's own replies.
		{name: "a 2016 server wording a DELETE of a missing object as the doc profile does", cfg: mockserver.Config{Profile: spec.SpaceDog2016},
			profile: spec.SpaceDog2016, wrap: everyBody(docDeleteMissing, compact), breaks: []string{"ERR-7"}},
		{name: "a 2016 server refusing an id in use with 409", cfg: mockserver.Config{Profile: spec.SpaceDog2016},
			profile: spec.SpaceDog2016, wrap: conflictOnIDInUse, breaks: []string{"DATA-5"}},
		{name: "a 2016 server whose route errors have a class", cfg: mockserver.Config{Profile: spec.SpaceDog2016},
			profile: spec.SpaceDog2016, wrap: everyBody(typedRouteErrors, compact), breaks: []string{"ERR-5", "ERR-3"}},
	}
}

// bareErrors answers errors as {"error": message}, as many servers do.
func bareErrors(r *http.Request, status int, body []byte) (int, []byte) {
	bare := func(raw []byte) []byte {
		var e struct {
			Success *bool
			Error   struct{ Message string }
		}
		if json.Unmarshal(raw, &e) == nil && e.Success != nil && !*e.Success {
			return compact(map[string]string{"error": e.Error.Message})
		}
		return raw
	}
	var results []json.RawMessage
	if json.Unmarshal(body, &results) != nil {
		return status, bare(body)
	}
	for i := range results {
		results[i] = bare(results[i])
	}
	return status, compact(results)
}

// dropQuery removes a query parameter before the mock sees it.
func dropQuery(name string) middleware {
	return editURL(func(r *http.Request) {
		q := r.URL.Query()
		q.Del(name)
		r.URL.RawQuery = q.Encode()
	})
}

// swapFirstTwo returns the results of a batch of 8 or more out of order,
// as a server that runs large batches in parallel might.
func swapFirstTwo(r *http.Request, status int, body []byte) (int, []byte) {
	var results []json.RawMessage
	if !isBatch(r.URL.Path) || json.Unmarshal(body, &results) != nil || len(results) < 8 {
		return status, body
	}
	results[0], results[1] = results[1], results[0]
	return status, compact(results)
}

// envelopeSays400 writes 400 in every direct error's envelope, whatever
// the HTTP status: an error handler with a status of its own.
func envelopeSays400(r *http.Request, status int, body []byte) (int, []byte) {
	v, ok := decode(body)
	m, isObject := v.(map[string]any)
	if isBatch(r.URL.Path) || status < 400 || !ok || !isObject {
		return status, body
	}
	m["status"] = 400
	return status, compact(m)
}

// dropGoodHeaders ignores an item's headers once they are checked: a
// server that validates them and forgets to apply them.
func dropGoodHeaders(item map[string]any) {
	h, ok := item["headers"].(map[string]any)
	if !ok {
		return
	}
	for name, v := range h {
		s, ok := v.(string)
		if !ok || strings.ContainsAny(name+s, "\r\n") {
			return
		}
	}
	delete(item, "headers")
}

// rewordBatched gives batched errors other messages than direct ones: a
// sub-request no longer answers as it would on its own.
func rewordBatched(r *http.Request, status int, body []byte) (int, []byte) {
	if !isBatch(r.URL.Path) {
		return status, body
	}
	return status, regexp.MustCompile(`"message":"`).ReplaceAll(body, []byte(`"message":"in a batch: `))
}

// unnest runs a nested batch's first item in its place, as a server that
// does not refuse nesting would run it.
func unnest(item map[string]any) {
	if path, _ := item["path"].(string); !isBatch(path) {
		return
	}
	inner, _ := item["content"].([]any)
	if inner == nil {
		inner, _ = item["body"].([]any)
	}
	if len(inner) == 0 {
		return
	}
	if first, ok := inner[0].(map[string]any); ok {
		clear(item)
		for k, v := range first {
			item[k] = v
		}
	}
}

// decodeBeforeSplit percent-decodes a path before splitting it, so that
// k%2F reads as k/ and names object k.
var decodeBeforeSplit = chain(
	editURL(func(r *http.Request) { r.URL.RawPath = "" }),
	editItems(func(item map[string]any) {
		path, ok := item["path"].(string)
		if !ok {
			return
		}
		p, query, hasQuery := strings.Cut(path, "?")
		if dec, err := url.PathUnescape(p); err == nil {
			if hasQuery {
				dec += "?" + query
			}
			item["path"] = dec
		}
	}),
)

// backslashAsSlash reads a backslash, raw or encoded, as a slash.
var backslashAsSlash = chain(
	editURL(func(r *http.Request) {
		if strings.Contains(r.URL.Path, `\`) {
			r.URL.Path, r.URL.RawPath = strings.ReplaceAll(r.URL.Path, `\`, "/"), ""
		}
	}),
	editItems(func(item map[string]any) {
		if path, ok := item["path"].(string); ok {
			item["path"] = strings.NewReplacer(`\`, "/", "%5C", "/", "%5c", "/").Replace(path)
		}
	}),
)

// anyCase reads an item's fields as encoding/json reads them into a
// struct: in any case, the last of the same name winning.
func anyCase(raw json.RawMessage) json.RawMessage {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return raw
	}
	out := map[string]json.RawMessage{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return raw
		}
		key := t.(string)
		var v json.RawMessage
		if dec.Decode(&v) != nil {
			return raw
		}
		for _, f := range []string{"method", "path", "parameters", "headers", "content", "body"} {
			if strings.EqualFold(key, f) {
				key = f
			}
		}
		out[key] = v
	}
	return compact(out)
}

func methodNotAllowed(method string) json.RawMessage {
	return compact(map[string]any{"success": false, "status": 405,
		"error": map[string]any{"type": "MethodNotAllowed", "message": "method [" + method + "] not allowed"}})
}

// nested405 looks at the method of a nested batch before refusing it.
func nested405(item map[string]any, result json.RawMessage) json.RawMessage {
	method, _ := item["method"].(string)
	path, _ := item["path"].(string)
	if isBatch(path) && !strings.EqualFold(method, http.MethodPost) {
		return methodNotAllowed(method)
	}
	return result
}

// tokenless405 answers a method that is not an HTTP token as an unknown
// one: 405, not the 400 of a malformed item.
func tokenless405(item map[string]any, result json.RawMessage) json.RawMessage {
	method, _ := item["method"].(string)
	if method != "" && strings.ContainsFunc(method, func(r rune) bool { return r <= ' ' || r >= 0x7f }) {
		return methodNotAllowed(method)
	}
	return result
}

// clampFromSize takes from and size of any length, as a server parsing
// them as 64-bit or big integers would, and lists as far as it can.
var clampFromSize = chain(
	editURL(func(r *http.Request) { r.URL.RawQuery = clampQuery(r.URL.RawQuery) }),
	editItems(func(item map[string]any) {
		if path, ok := item["path"].(string); ok {
			if p, query, ok := strings.Cut(path, "?"); ok {
				item["path"] = p + "?" + clampQuery(query)
			}
		}
		if params, ok := item["parameters"].(map[string]any); ok {
			for _, name := range []string{"from", "size"} {
				if v, ok := params[name]; ok && tooWide(stringOf(v)) {
					params[name] = json.Number("2147483647")
				}
			}
		}
	}),
)

func clampQuery(raw string) string {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return raw
	}
	for _, name := range []string{"from", "size"} {
		if tooWide(q.Get(name)) {
			q.Set(name, "2147483647")
		}
	}
	return q.Encode()
}

// tooWide: a decimal integer above 2^31-1.
func tooWide(s string) bool {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return err != nil || n > 1<<31-1
}

func stringOf(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	}
	return ""
}

// versionZeroIgnored reads version=0 as no version: an update of any
// version.
var versionZeroIgnored = chain(
	editURL(func(r *http.Request) {
		if q := r.URL.Query(); q.Get("version") == "0" {
			q.Del("version")
			r.URL.RawQuery = q.Encode()
		}
	}),
	editItems(func(item map[string]any) {
		if path, ok := item["path"].(string); ok {
			p, query, _ := strings.Cut(path, "?")
			if q, err := url.ParseQuery(query); err == nil && q.Get("version") == "0" {
				q.Del("version")
				item["path"] = p + "?" + q.Encode()
			}
		}
		if params, ok := item["parameters"].(map[string]any); ok && stringOf(params["version"]) == "0" {
			delete(params, "version")
		}
	}),
)

// deleteMissing2016 is the 2016 server's message for a DELETE of a
// missing object.
var deleteMissing2016 = regexp.MustCompile(`^object of type \[(.*)\] and id \[(.*)\] not found$`)

// docDeleteMissing words a DELETE of a missing object as any missing
// object, the doc profile's way: a server that kept one message for both.
func docDeleteMissing(v any) any {
	m, _ := v.(map[string]any)
	e, _ := m["error"].(map[string]any)
	msg, _ := e["message"].(string)
	if sub := deleteMissing2016.FindStringSubmatch(msg); sub != nil {
		e["type"] = "io.spacedog.utils.NotFoundException"
		e["message"] = "object [" + sub[2] + "] of type [" + sub[1] + "] not found"
	}
	return v
}

// typedRouteErrors gives no route and another method a class, as errors
// thrown by the server's own code have.
func typedRouteErrors(v any) any {
	m, _ := v.(map[string]any)
	e, _ := m["error"].(map[string]any)
	if _, typed := e["type"]; e == nil || typed {
		return v
	}
	switch fmt.Sprint(m["status"]) {
	case "404":
		e["type"] = "io.spacedog.utils.NotFoundException"
	case "405":
		e["type"] = "java.lang.RuntimeException"
	}
	return v
}

// conflictOnIDInUse refuses a POST whose id is in use with 409 and keeps
// the object, as the doc profile does (DATA-5), directly and in a batch: it
// makes such a POST an update of a version no object has, which the mock
// refuses with 409. An id is in use when the mock has its object, or when
// an earlier item of the batch posted it.
func conflictOnIDInUse(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		exists := func(typ, id string) bool {
			get := httptest.NewRequestWithContext(r.Context(), http.MethodGet, "/1/data/"+url.PathEscape(typ)+"/"+url.PathEscape(id), nil)
			get.Host = r.Host
			if auth := r.Header.Get("Authorization"); auth != "" {
				get.Header.Set("Authorization", auth)
			}
			return record(next, get).status == http.StatusOK
		}
		if !isBatch(r.URL.Path) {
			if typ, ok := dataType(r.URL.Path); ok && r.Method == http.MethodPost && r.URL.Query().Get("id") != "" && exists(typ, r.URL.Query().Get("id")) {
				r.Method, r.URL.Path, r.URL.RawPath = http.MethodPut, "/1/data/"+typ+"/"+r.URL.Query().Get("id"), ""
				r.URL.RawQuery = url.Values{"version": {fmt.Sprint(int32(math.MaxInt32))}}.Encode()
			}
			next.ServeHTTP(w, r)
			return
		}
		var items []json.RawMessage
		if json.Unmarshal(readBody(r), &items) != nil {
			next.ServeHTTP(w, r)
			return
		}
		posted, changed := map[[2]string]bool{}, false
		for i, raw := range items {
			v, _ := decode(raw)
			item, _ := v.(map[string]any)
			method, _ := item["method"].(string)
			path, _ := item["path"].(string)
			p, query, _ := strings.Cut(path, "?")
			typ, ok := dataType(p)
			if !ok || !strings.EqualFold(method, http.MethodPost) {
				continue
			}
			q, _ := url.ParseQuery(query)
			params, _ := item["parameters"].(map[string]any)
			id := cmp.Or(stringOf(params["id"]), q.Get("id"))
			if id == "" {
				continue
			}
			if posted[[2]string{typ, id}] || exists(typ, id) {
				delete(params, "id")
				item["method"] = http.MethodPut
				item["path"] = "/1/data/" + typ + "/" + url.PathEscape(id) + "?version=" + fmt.Sprint(int32(math.MaxInt32))
				items[i], changed = compact(item), true
			}
			posted[[2]string{typ, id}] = true
		}
		if changed {
			setBody(r, compact(items))
		}
		next.ServeHTTP(w, r)
	})
}

// dataType is the type of a path /1/data/{type}, by any alias; its
// segment is taken as written when it needs no decoding.
func dataType(path string) (string, bool) {
	typ, ok := strings.CutPrefix(spec.NormalizePath(path), "/1/data/")
	return typ, ok && typ != "" && !strings.ContainsAny(typ, "/%")
}
