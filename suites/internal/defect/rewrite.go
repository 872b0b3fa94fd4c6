package defect

// The tools every server of this package is made of, for the self-test's
// conforming variants too: each changes a request before the mock sees
// it, or the mock's reply before the client does.

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

// Middleware makes a server out of another.
type Middleware = func(http.Handler) http.Handler

// Chain applies the Middleware in order: the first one sees the request
// first.
func Chain(ms ...Middleware) Middleware {
	return func(h http.Handler) http.Handler {
		for _, m := range slices.Backward(ms) {
			h = m(h)
		}
		return h
	}
}

// IsBatch reports whether a path (maybe with a query) is the batch route,
// by any alias.
func IsBatch(path string) bool {
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

// Decode reads JSON with numbers kept as they were written.
func Decode(data []byte) (any, bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil || dec.More() {
		return nil, false
	}
	return v, true
}

// EditRawItems changes each element of a batch body before the mock sees it.
func EditRawItems(edit func(json.RawMessage) json.RawMessage) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var items []json.RawMessage
			if IsBatch(r.URL.Path) && json.Unmarshal(readBody(r), &items) == nil {
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

// EditItems changes each batch item that is an object.
func EditItems(edit func(item map[string]any)) Middleware {
	return EditRawItems(func(raw json.RawMessage) json.RawMessage {
		item, ok := Decode(raw)
		m, isObject := item.(map[string]any)
		if !ok || !isObject {
			return raw
		}
		edit(m)
		out, _ := json.Marshal(m)
		return out
	})
}

// EditURL changes a direct request's URL before the mock sees it.
func EditURL(edit func(r *http.Request)) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			edit(r)
			next.ServeHTTP(w, r)
		})
	}
}

// Answer is the mock's reply, recorded.
type Answer struct {
	Status int
	Header http.Header
	Body   []byte
}

func Record(next http.Handler, r *http.Request) Answer {
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, r)
	return Answer{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
}

// send writes a reply with another body.
func (a Answer) Send(w http.ResponseWriter, status int, body []byte) {
	maps.Copy(w.Header(), a.Header)
	w.Header().Del("Content-Length")
	w.WriteHeader(status)
	w.Write(body)
}

// EditReply changes the mock's reply: its status and body.
func EditReply(edit func(r *http.Request, status int, body []byte) (int, []byte)) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			a := Record(next, r)
			status, body := edit(r, a.Status, a.Body)
			a.Send(w, status, body)
		})
	}
}

// EditResults changes each result of a batch reply, in either profile's
// layout, knowing the item it answers (nil when that item is not an
// object).
func EditResults(edit func(item map[string]any, result json.RawMessage) json.RawMessage) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var body []byte
			if IsBatch(r.URL.Path) {
				body = readBody(r)
			}
			a := Record(next, r)
			var results []json.RawMessage
			var envelope map[string]json.RawMessage // spacedog-2016's
			if json.Unmarshal(a.Body, &envelope) == nil && envelope["responses"] != nil {
				json.Unmarshal(envelope["responses"], &results)
			} else {
				envelope = nil
				json.Unmarshal(a.Body, &results)
			}
			items, _ := Decode(body)
			list, _ := items.([]any)
			if a.Status != http.StatusOK || results == nil || len(results) > len(list) {
				a.Send(w, a.Status, a.Body)
				return
			}
			for i := range results {
				item, _ := list[i].(map[string]any)
				results[i] = edit(item, results[i])
			}
			out, _ := json.Marshal(results)
			if envelope != nil {
				envelope["responses"] = out
				out, _ = json.Marshal(envelope)
			}
			a.Send(w, a.Status, out)
		})
	}
}

// EveryBody passes every body a client reads through f, innermost first:
// each batch result (and a 2016 read's representation inside its wrapper),
// the batch reply, a direct reply; then writes it with encode.
func EveryBody(f func(any) any, encode func(any) []byte) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			a := Record(next, r)
			v, ok := Decode(a.Body)
			if !ok {
				a.Send(w, a.Status, a.Body)
				return
			}
			if IsBatch(r.URL.Path) && a.Status == http.StatusOK {
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
					a.Send(w, a.Status, encode(results))
					return
				}
			}
			a.Send(w, a.Status, encode(f(v)))
		})
	}
}

// isReadWrapper: the 2016 server's wrapper around a read's representation.
func isReadWrapper(m map[string]any) bool {
	_, ok := m["content"]
	return ok && len(m) == 3 && m["success"] == true && m["status"] == json.Number("200")
}

// Compact encodes as encoding/json does: keys sorted, no spaces.
func Compact(v any) []byte {
	out, _ := json.Marshal(v)
	return out
}
