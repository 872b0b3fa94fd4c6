package selftest

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"

	"github.com/spacedog-oss/batchkit/spec"
)

// The middleware the variants are made of: each changes a request before
// the mock sees it, or the mock's reply before the client does.

type middleware = func(http.Handler) http.Handler

// chain applies the middleware in order: the first one sees the request
// first.
func chain(ms ...middleware) middleware {
	return func(h http.Handler) http.Handler {
		for _, m := range slices.Backward(ms) {
			h = m(h)
		}
		return h
	}
}

// isBatch reports whether a path (maybe with a query) is the batch route,
// by any alias.
func isBatch(path string) bool {
	p, _, _ := strings.Cut(path, "?")
	return spec.NormalizePath(p) == "/1/batch"
}

// readBody takes a request's body, and puts back a copy for the mock.
func readBody(r *http.Request) []byte {
	body, _ := io.ReadAll(r.Body)
	setBody(r, body)
	return body
}

func setBody(r *http.Request, body []byte) {
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
}

// decode reads JSON with numbers kept as they were written.
func decode(data []byte) (any, bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil || dec.More() {
		return nil, false
	}
	return v, true
}

// editRawItems changes each element of a batch body before the mock sees it.
func editRawItems(edit func(json.RawMessage) json.RawMessage) middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var items []json.RawMessage
			if isBatch(r.URL.Path) && json.Unmarshal(readBody(r), &items) == nil {
				for i := range items {
					items[i] = edit(items[i])
				}
				body, _ := json.Marshal(items)
				setBody(r, body)
			}
			next.ServeHTTP(w, r)
		})
	}
}

// editItems changes each batch item that is an object.
func editItems(edit func(item map[string]any)) middleware {
	return editRawItems(func(raw json.RawMessage) json.RawMessage {
		item, ok := decode(raw)
		m, isObject := item.(map[string]any)
		if !ok || !isObject {
			return raw
		}
		edit(m)
		out, _ := json.Marshal(m)
		return out
	})
}

// editURL changes a direct request's URL before the mock sees it.
func editURL(edit func(r *http.Request)) middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			edit(r)
			next.ServeHTTP(w, r)
		})
	}
}

// answered is the mock's reply, recorded.
type answered struct {
	status int
	header http.Header
	body   []byte
}

func record(next http.Handler, r *http.Request) answered {
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, r)
	return answered{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

// send writes a reply with another body.
func (a answered) send(w http.ResponseWriter, status int, body []byte) {
	maps.Copy(w.Header(), a.header)
	w.Header().Del("Content-Length")
	w.WriteHeader(status)
	w.Write(body)
}

// editReply changes the mock's reply: its status and body.
func editReply(edit func(r *http.Request, status int, body []byte) (int, []byte)) middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			a := record(next, r)
			status, body := edit(r, a.status, a.body)
			a.send(w, status, body)
		})
	}
}

// editResults changes each result of a doc-profile batch reply, knowing
// the item it answers (nil when that item is not an object).
func editResults(edit func(item map[string]any, result json.RawMessage) json.RawMessage) middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var body []byte
			if isBatch(r.URL.Path) {
				body = readBody(r)
			}
			a := record(next, r)
			var results []json.RawMessage
			items, _ := decode(body)
			list, _ := items.([]any)
			if a.status != http.StatusOK || json.Unmarshal(a.body, &results) != nil || len(results) > len(list) {
				a.send(w, a.status, a.body)
				return
			}
			for i := range results {
				item, _ := list[i].(map[string]any)
				results[i] = edit(item, results[i])
			}
			out, _ := json.Marshal(results)
			a.send(w, a.status, out)
		})
	}
}

// everyBody passes every body a client reads through f, innermost first:
// each batch result (and a 2016 read's representation inside its wrapper),
// the batch reply, a direct reply; then writes it with encode.
func everyBody(f func(any) any, encode func(any) []byte) middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			a := record(next, r)
			v, ok := decode(a.body)
			if !ok {
				a.send(w, a.status, a.body)
				return
			}
			if isBatch(r.URL.Path) && a.status == http.StatusOK {
				results, _ := v.([]any)
				if env, ok := v.(map[string]any); ok { // spacedog-2016
					results, _ = env["responses"].([]any)
				}
				for i, res := range results {
					if m, ok := res.(map[string]any); ok && isReadWrapper(m) {
						m["content"] = f(m["content"])
					}
					results[i] = f(res)
				}
				if _, isArray := v.([]any); isArray {
					a.send(w, a.status, encode(results))
					return
				}
			}
			a.send(w, a.status, encode(f(v)))
		})
	}
}

// isReadWrapper: the 2016 server's wrapper around a read's representation.
func isReadWrapper(m map[string]any) bool {
	_, ok := m["content"]
	return ok && len(m) == 3 && m["success"] == true && m["status"] == json.Number("200")
}

// compact encodes as encoding/json does: keys sorted, no spaces.
func compact(v any) []byte {
	out, _ := json.Marshal(v)
	return out
}
