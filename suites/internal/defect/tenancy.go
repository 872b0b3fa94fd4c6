package defect

// The servers that slip where a sequence of one backend, short ASCII
// strings and small numbers never goes: the Host a request came with,
// backends side by side, the whole range of JSON values.

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"
)

// FixedOriginLocation builds every location with the origin left in from
// development, http://localhost:8080, whatever the request's scheme and
// Host: DATA-2.
func FixedOriginLocation(next http.Handler) http.Handler {
	return EveryBody(func(v any) any {
		if m, ok := v.(map[string]any); ok {
			if loc, ok := m["location"].(string); ok {
				if u, err := url.Parse(loc); err == nil {
					m["location"] = "http://localhost:8080" + u.EscapedPath()
				}
			}
		}
		return v
	}, Compact)(next)
}

// DeleteTypeInEveryBackend deletes a type, directly or in a batch, in
// every backend it has seen a request for, not the request's alone, as a
// store keyed by type without its backend would: no backend ever sees
// another's data (CONTRACT §1), DATA-4.
func DeleteTypeInEveryBackend() Middleware {
	var mu sync.Mutex
	hosts := map[string]bool{}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			hosts[r.Host] = true
			mu.Unlock()
			var types []string
			if r.Method == http.MethodDelete {
				types = append(types, typeOf(r.URL.EscapedPath()))
			} else if r.Method == http.MethodPost && IsBatch(r.URL.Path) {
				var items []map[string]any
				json.Unmarshal(readBody(r), &items)
				for _, it := range items {
					if m, _ := it["method"].(string); strings.EqualFold(m, http.MethodDelete) {
						p, _ := it["path"].(string)
						p, _, _ = strings.Cut(p, "?")
						types = append(types, typeOf(p))
					}
				}
			}
			next.ServeHTTP(w, r)
			mu.Lock()
			others := []string{}
			for h := range hosts {
				if h != r.Host {
					others = append(others, h)
				}
			}
			mu.Unlock()
			for _, typ := range types {
				for _, h := range others {
					if typ == "" {
						continue
					}
					del, err := http.NewRequest(http.MethodDelete, "/1/data/"+typ, nil)
					if err != nil {
						continue
					}
					del.Host, del.Header = h, r.Header.Clone()
					Record(next, del)
				}
			}
		})
	}
}

var typeRoute = regexp.MustCompile(`^/v?1/data/([^/]+)/?$`)

// typeOf is the type a path deletes whole, or "".
func typeOf(path string) string {
	if m := typeRoute.FindStringSubmatch(path); m != nil {
		return m[1]
	}
	return ""
}

// NarrowStrings stores every string of a payload, names and values, in a
// column that holds the Basic Multilingual Plane only, as MySQL's utf8
// (utf8mb3) does: a character beyond it (an emoji, a CJK extension) is
// kept as "?". An object does not read back as its fields: DATA-1.
func NarrowStrings(next http.Handler) http.Handler {
	narrow := func(s string) string {
		if !strings.ContainsFunc(s, beyondBMP) {
			return s
		}
		return strings.Map(func(r rune) rune {
			if beyondBMP(r) {
				return '?'
			}
			return r
		}, s)
	}
	var walk func(v any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case string:
			return narrow(x)
		case []any:
			for i := range x {
				x[i] = walk(x[i])
			}
		case map[string]any:
			out := make(map[string]any, len(x))
			for k, val := range x {
				out[narrow(k)] = walk(val)
			}
			return out
		}
		return v
	}
	payload := func(raw []byte) []byte {
		v, ok := Decode(raw)
		if !ok {
			return raw
		}
		return Compact(walk(v))
	}
	return Chain(
		EditURL(func(r *http.Request) {
			if (r.Method == http.MethodPost || r.Method == http.MethodPut) && !IsBatch(r.URL.Path) {
				setBody(r, payload(readBody(r)))
			}
		}),
		EditItems(func(item map[string]any) {
			for _, field := range []string{"content", "body"} {
				if v, ok := item[field]; ok {
					item[field] = walk(v)
				}
			}
		}),
	)(next)
}

func beyondBMP(r rune) bool { return r > 0xFFFF && r <= utf8.MaxRune }
