package defect

// The servers that break a MUST rule, each with the defect a real server
// might have.

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

	"github.com/spacedog-oss/batchkit/spec"
)

// BareErrors answers errors as {"error": message}, as many servers do:
// ERR-3, and every spec that reads an error.
func BareErrors(next http.Handler) http.Handler { return EditReply(bareErrors)(next) }

// IgnoreStopOnError drops the stopOnError parameter: STOP-2.
func IgnoreStopOnError(next http.Handler) http.Handler { return dropQuery("stopOnError")(next) }

// EnvelopeSays400 writes 400 in every direct error's envelope, whatever
// the HTTP status: ERR-3.
func EnvelopeSays400(next http.Handler) http.Handler { return EditReply(envelopeSays400)(next) }

// DropItemHeaders ignores a batch item's well-formed headers: SUB-3.
func DropItemHeaders(next http.Handler) http.Handler { return EditItems(dropGoodHeaders)(next) }

// RewordBatchedErrors words batched errors otherwise than direct ones:
// ORD-4.
func RewordBatchedErrors(next http.Handler) http.Handler { return EditReply(rewordBatched)(next) }

// RunNestedBatches runs a nested batch's first item in its place: ERR-6.
func RunNestedBatches(next http.Handler) http.Handler { return EditItems(unnest)(next) }

// ItemFieldsInAnyCase reads an item's fields in any case: ERR-4 (§9).
func ItemFieldsInAnyCase(next http.Handler) http.Handler { return EditRawItems(anyCase)(next) }

// NestedGET405 answers a nested batch of another method than POST with
// 405 instead of refusing the nesting first: ERR-6 (§9).
func NestedGET405(next http.Handler) http.Handler { return EditResults(nested405)(next) }

// TokenlessMethod405 answers an item whose method is no HTTP token with
// 405, not the 400 of a malformed item: ERR-4 (§9).
func TokenlessMethod405(next http.Handler) http.Handler { return EditResults(tokenless405)(next) }

// ItemErrorsWithoutIndex words a malformed item's refusal without its
// index, echoing the item instead, "/1/data" and all: a reader of a
// batch of ten cannot tell which item it was: ERR-4.
func ItemErrorsWithoutIndex(next http.Handler) http.Handler {
	return EditResults(func(item map[string]any, result json.RawMessage) json.RawMessage {
		v, _ := Decode(result)
		m, _ := v.(map[string]any)
		e, _ := m["error"].(map[string]any)
		msg, _ := e["message"].(string)
		_, rest, ok := strings.Cut(msg, "]: ")
		if e == nil || !ok || !strings.HasPrefix(msg, "batch item [") {
			return result
		}
		e["message"] = "malformed item " + string(Compact(item)) + ": " + rest
		return Compact(m)
	})(next)
}

// ItemHintEchoed refuses the page's own mistake ({"POST": "/v1/data/..."})
// naming its index and field but not how to write it: the item quoted
// back is all the message holds of the method and path: ERR-4.
func ItemHintEchoed(next http.Handler) http.Handler {
	return EditResults(func(item map[string]any, result json.RawMessage) json.RawMessage {
		v, _ := Decode(result)
		m, _ := v.(map[string]any)
		e, _ := m["error"].(map[string]any)
		msg, _ := e["message"].(string)
		head, _, ok := strings.Cut(msg, "; this item has a key")
		if e == nil || !ok {
			return result
		}
		e["message"] = head + " in " + string(Compact(item))
		return Compact(m)
	})(next)
}

// DocWordingOfMissingDelete, for the spacedog-2016 profile, words a DELETE
// of a missing object as the doc profile does: ERR-7.
func DocWordingOfMissingDelete(next http.Handler) http.Handler {
	return EveryBody(docDeleteMissing, Compact)(next)
}

// TypedRouteErrors, for the spacedog-2016 profile, gives the route errors
// (no route, another method) an error.type: ERR-5 and ERR-3.
func TypedRouteErrors(next http.Handler) http.Handler {
	return EveryBody(typedRouteErrors, Compact)(next)
}

// DropVersionInBatches removes meta.version from every object read inside
// a doc-profile batch: DATA-1, in batch results only.
func DropVersionInBatches(next http.Handler) http.Handler {
	return EditResults(func(_ map[string]any, result json.RawMessage) json.RawMessage {
		v, _ := Decode(result)
		m, _ := v.(map[string]any)
		if meta, ok := m["meta"].(map[string]any); ok {
			delete(meta, "version")
			return Compact(m)
		}
		return result
	})(next)
}

// bareErrors answers errors as {"error": message}, as many servers do.
func bareErrors(r *http.Request, status int, body []byte) (int, []byte) {
	bare := func(raw []byte) []byte {
		v, _ := Decode(raw)
		m, _ := v.(map[string]any)
		e, _ := m["error"].(map[string]any)
		if m["success"] == false && e != nil {
			return Compact(map[string]any{"error": e["message"]})
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
	return status, Compact(results)
}

// dropQuery removes a query parameter before the mock sees it.
func dropQuery(name string) Middleware {
	return EditURL(func(r *http.Request) {
		q := r.URL.Query()
		q.Del(name)
		r.URL.RawQuery = q.Encode()
	})
}

// envelopeSays400 writes 400 in every direct error's envelope, whatever
// the HTTP status: an error handler with a status of its own.
func envelopeSays400(r *http.Request, status int, body []byte) (int, []byte) {
	v, ok := Decode(body)
	m, isObject := v.(map[string]any)
	if IsBatch(r.URL.Path) || status < 400 || !ok || !isObject {
		return status, body
	}
	m["status"] = 400
	return status, Compact(m)
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
	if !IsBatch(r.URL.Path) {
		return status, body
	}
	return status, regexp.MustCompile(`"message":"`).ReplaceAll(body, []byte(`"message":"in a batch: `))
}

// unnest runs a nested batch's first item in its place, as a server that
// does not refuse nesting would run it.
func unnest(item map[string]any) {
	if path, _ := item["path"].(string); !IsBatch(path) {
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

// DecodeBeforeSplit percent-decodes a path before splitting it, so that
// k%2F reads as k/ and names object k.
func DecodeBeforeSplit(next http.Handler) http.Handler {
	return Chain(
		EditURL(func(r *http.Request) { r.URL.RawPath = "" }),
		EditItems(func(item map[string]any) {
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
	)(next)
}

// BackslashAsSlash reads a backslash, raw or encoded, as a slash.
func BackslashAsSlash(next http.Handler) http.Handler {
	return Chain(
		EditURL(func(r *http.Request) {
			if strings.Contains(r.URL.Path, `\`) {
				r.URL.Path, r.URL.RawPath = strings.ReplaceAll(r.URL.Path, `\`, "/"), ""
			}
		}),
		EditItems(func(item map[string]any) {
			if path, ok := item["path"].(string); ok {
				item["path"] = strings.NewReplacer(`\`, "/", "%5C", "/", "%5c", "/").Replace(path)
			}
		}),
	)(next)
}

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
	return Compact(out)
}

func methodNotAllowed(method string) json.RawMessage {
	return Compact(map[string]any{"success": false, "status": 405,
		"error": map[string]any{"type": "MethodNotAllowed", "message": "method [" + method + "] not allowed"}})
}

// nested405 looks at the method of a nested batch before refusing it.
func nested405(item map[string]any, result json.RawMessage) json.RawMessage {
	method, _ := item["method"].(string)
	path, _ := item["path"].(string)
	if IsBatch(path) && !strings.EqualFold(method, http.MethodPost) {
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

// ClampFromSize takes from and size of any length, as a server parsing
// them as 64-bit or big integers would, and lists as far as it can.
func ClampFromSize(next http.Handler) http.Handler {
	return Chain(
		EditURL(func(r *http.Request) { r.URL.RawQuery = clampQuery(r.URL.RawQuery) }),
		EditItems(func(item map[string]any) {
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
	)(next)
}

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

// VersionZeroIgnored reads version=0 as no version: an update of any
// version.
func VersionZeroIgnored(next http.Handler) http.Handler {
	return Chain(
		EditURL(func(r *http.Request) {
			if q := r.URL.Query(); q.Get("version") == "0" {
				q.Del("version")
				r.URL.RawQuery = q.Encode()
			}
		}),
		EditItems(func(item map[string]any) {
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
	)(next)
}

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

// ConflictOnIDInUse refuses a POST whose id is in use with 409 and keeps
// the object, as the doc profile does (DATA-5), directly and in a batch: it
// makes such a POST an update of a version no object has, which the mock
// refuses with 409. An id is in use when the mock has its object, or when
// an earlier item of the batch posted it.
func ConflictOnIDInUse(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		exists := func(typ, id string) bool {
			get := httptest.NewRequestWithContext(r.Context(), http.MethodGet, "/1/data/"+url.PathEscape(typ)+"/"+url.PathEscape(id), nil)
			get.Host = r.Host
			if auth := r.Header.Get("Authorization"); auth != "" {
				get.Header.Set("Authorization", auth)
			}
			return Record(next, get).Status == http.StatusOK
		}
		if !IsBatch(r.URL.Path) {
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
			v, _ := Decode(raw)
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
				items[i], changed = Compact(item), true
			}
			posted[[2]string{typ, id}] = true
		}
		if changed {
			setBody(r, Compact(items))
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
