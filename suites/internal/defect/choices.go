package defect

// The conforming servers that choose otherwise than the mock where the
// contract leaves the choice (CONTRACT §9, the open choices), one choice
// each: the suites must pass every one. Each keeps ORD-4: what it does to
// a direct request it does to the same request in a batch, alike.

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// ItemErrorsInOtherWords words the refusal of a malformed item otherwise
// than the mock, keeping what ERR-4 pins, its index and field, in another
// notation: "Item #2 cannot run: bad "headers" (must be a string, not a
// number)", and the page's third item told how to write it in other
// words, naming the same method and path.
func ItemErrorsInOtherWords(next http.Handler) http.Handler {
	return EveryBody(func(v any) any {
		m, ok := v.(map[string]any)
		e, _ := m["error"].(map[string]any)
		msg, _ := e["message"].(string)
		if !ok || e == nil || !strings.HasPrefix(msg, "batch item [") {
			return v
		}
		e["message"] = OtherItemWords(msg)
		return m
	}, Compact)(next)
}

// The mock's words for a malformed item: "batch item [i]: field [f/...]:
// rest", and its hint: `write it {"method": "M", "path": "P"}`.
var (
	itemWords = regexp.MustCompile(`^batch item \[(\d+)\]: (?:field \[([^\]/]+)[^\]]*\]:? ?)?(.*)$`)
	hintWords = regexp.MustCompile(`this item has a key "[^"]*": write it \{"method": "([^"]*)", "path": "([^"]*)"\}`)
)

// OtherItemWords is the mock's refusal of a malformed item in other words,
// naming the same index, field and hint.
func OtherItemWords(msg string) string {
	m := itemWords.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	index, field, rest := m[1], m[2], m[3]
	if h := hintWords.FindStringSubmatch(rest); h != nil {
		return fmt.Sprintf("Item #%s cannot run without %q. Did you mean {\"method\":%q,\"path\":%q}?", index, field, h[1], h[2])
	}
	if field == "" {
		return fmt.Sprintf("Item #%s cannot run: %s.", index, rest)
	}
	return fmt.Sprintf("Item #%s cannot run: bad %q (%s).", index, field, rest)
}

// QueryBeforeRoute reads a request's query string before its route: a
// query string that does not parse gets 400, on a path with no route or a
// method the route lacks too, where the mock answers 404 or 405. Nothing
// such a request does has an effect, so answering it otherwise changes no
// data.
func QueryBeforeRoute(next http.Handler) http.Handler {
	const badQuery = `{"success":false,"status":400,"error":{"type":"BadQuery","message":"the query string does not parse"}}`
	items := EditResults(func(item map[string]any, result json.RawMessage) json.RawMessage {
		path, _ := item["path"].(string)
		if _, query, ok := strings.Cut(path, "?"); ok && !IsBatch(path) && !parses(query) {
			return json.RawMessage(badQuery)
		}
		return result
	})(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !parses(r.URL.RawQuery) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(badQuery))
			return
		}
		items.ServeHTTP(w, r)
	})
}

func parses(query string) bool {
	_, err := url.ParseQuery(query)
	return err == nil
}

// NarrowIDs takes only ids of letters and digits, and makes up ids of 20
// of them: any other id, in a path or as an id parameter, is refused with
// 400 wherever it is named, as a store whose keys are alphanumeric would.
// The mock answers for it: the id is rewritten to one it refuses.
func NarrowIDs() (Middleware, func() string) {
	narrow := func(id string) (string, bool) {
		if alnum.MatchString(id) {
			return id, false
		}
		return "refused/" + id, true // a "/" in an id: the mock refuses it (CONTRACT §9)
	}
	return rewriteIDs(narrow), alnumIDs
}

var alnum = regexp.MustCompile(`^[A-Za-z0-9]+$`)

// alnumIDs makes up ids of 20 letters and digits (DATA-6).
func alnumIDs() string {
	const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 20)
	rand.Read(b)
	for i := range b {
		b[i] = letters[int(b[i])%len(letters)]
	}
	return string(b)
}

// WideIDs takes any id the mock takes and more: any of 1 to 128
// characters but "/", "\", control characters, "." and "..", as a store
// keyed by arbitrary strings would (".dot", "é", "a b"). The mock holds
// such an object under an alias it takes, which no reply shows.
func WideIDs() Middleware {
	alias := func(id string) (string, bool) {
		if mockID.MatchString(id) || !wideID.MatchString(id) || id == "." || id == ".." {
			return id, false
		}
		return aliasPrefix + hex.EncodeToString([]byte(id)), true
	}
	return Chain(rewriteIDs(alias), EveryBody(unalias, Compact))
}

var (
	mockID      = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9._~-]{0,127}$`) // spec/openapi.yaml's ObjectId
	wideID      = regexp.MustCompile(`^[^/\\\x00-\x1f\x7f]{1,128}$`)
	aliased     = regexp.MustCompile(aliasPrefix + `([0-9a-f]+)`)
	aliasPrefix = "zzalias"
)

// unalias shows, in every string of a reply, an aliased id as it was named:
// as it is, or escaped in a location URL.
func unalias(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if s, ok := val.(string); ok && k == "location" {
				x[k] = aliased.ReplaceAllStringFunc(s, func(a string) string { return url.PathEscape(original(a)) })
				continue
			}
			x[k] = unalias(val)
		}
	case []any:
		for i := range x {
			x[i] = unalias(x[i])
		}
	case string:
		return aliased.ReplaceAllStringFunc(x, original)
	}
	return v
}

func original(alias string) string {
	b, err := hex.DecodeString(strings.TrimPrefix(alias, aliasPrefix))
	if err != nil {
		return alias
	}
	return string(b)
}

// rewriteIDs rewrites every id a request names, before the mock sees it:
// the object's segment of a path (/1/data/T/ID), an id query parameter,
// an item's id parameter; in direct requests and batch items alike. A path
// that SEC-1 refuses is left as it is.
func rewriteIDs(rewrite func(id string) (string, bool)) Middleware {
	path := func(p string) string {
		p, query, hasQuery := strings.Cut(p, "?")
		segs := strings.Split(p, "/")
		if n := len(segs); (n == 5 || n == 6 && segs[5] == "") && segs[0] == "" && (segs[1] == "1" || segs[1] == "v1") && segs[2] == "data" {
			if id, err := url.PathUnescape(segs[4]); err == nil && id != "" && id != "." && id != ".." && !strings.ContainsAny(id, `/\`) {
				if to, ok := rewrite(id); ok {
					segs[4] = url.PathEscape(to)
				}
			}
		}
		p = strings.Join(segs, "/")
		if hasQuery {
			if q, err := url.ParseQuery(query); err == nil && q.Has("id") {
				if to, ok := rewrite(q.Get("id")); ok {
					q.Set("id", to)
					query = q.Encode()
				}
			}
			p += "?" + query
		}
		return p
	}
	return Chain(
		EditURL(func(r *http.Request) {
			if IsBatch(r.URL.Path) {
				return
			}
			before := r.URL.EscapedPath() + "?" + r.URL.RawQuery
			after := path(before)
			if after == before {
				return
			}
			p, q, _ := strings.Cut(after, "?")
			if dec, err := url.PathUnescape(p); err == nil {
				r.URL.Path, r.URL.RawPath, r.URL.RawQuery = dec, p, q
			}
		}),
		EditItems(func(item map[string]any) {
			if p, ok := item["path"].(string); ok && !IsBatch(p) {
				item["path"] = strings.TrimSuffix(path(p), "?")
			}
			if params, ok := item["parameters"].(map[string]any); ok {
				if id, ok := params["id"].(string); ok {
					if to, ok := rewrite(id); ok {
						params["id"] = to
					}
				}
			}
		}),
	)
}

// LocationsEscapingTilde writes a location's "~" as "%7e", as Java's
// URLEncoder does, where the mock writes it bare: the same URL (RFC 3986
// §6.2.2), so DATA-2 holds.
func LocationsEscapingTilde(next http.Handler) http.Handler {
	return EveryBody(func(v any) any {
		if m, ok := v.(map[string]any); ok {
			if loc, ok := m["location"].(string); ok {
				m["location"] = strings.ReplaceAll(loc, "~", "%7e")
			}
		}
		return v
	}, Compact)(next)
}
