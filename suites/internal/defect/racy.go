package defect

// The servers that break CONC-1 (CONTRACT §3.1). Each answers a client
// alone exactly as the mock does: it does in two steps, a read and then a
// write, with a short wait between, what the mock does in one, as a
// backend that reads, decides, then writes without a lock or a
// conditional write does. Two clients at once meet the race. They act on
// direct requests; batch items run in the mock, atomic each.

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// RaceWindow is the wait between the read and the write: long enough that
// concurrent clients often meet in it, short enough not to slow a run.
const RaceWindow = 3 * time.Millisecond

// LostUpdate merges by reading the object, then writing the merged fields
// whole: a merge racing another loses the other's fields.
func LostUpdate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		typ, id, q, payload, ok := objectWrite(r, http.MethodPut)
		if !ok || q.Get("strict") == "true" {
			next.ServeHTTP(w, r)
			return
		}
		fields, _, found := read(next, r, typ, id)
		if !found {
			next.ServeHTTP(w, r)
			return
		}
		for k, v := range payload {
			if k != "meta" {
				fields[k] = v
			}
		}
		time.Sleep(RaceWindow)
		q.Set("strict", "true")
		next.ServeHTTP(w, again(r, http.MethodPut, r.URL.Path, q, Compact(fields)))
	})
}

// DuplicateCreate creates an object of a given id by checking the id is
// free, then inserting over whatever is there: two creates of one id
// both succeed.
func DuplicateCreate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		typ, ok := dataType(r.URL.Path)
		id := r.URL.Query().Get("id")
		if r.Method != http.MethodPost || !ok || r.URL.RawPath != "" || id == "" || len(r.URL.Query()) != 1 {
			next.ServeHTTP(w, r)
			return
		}
		if Record(next, again(r, http.MethodGet, objectPath(typ, id), nil, nil)).Status != http.StatusNotFound {
			next.ServeHTTP(w, r) // in use: the mock answers, atomically
			return
		}
		time.Sleep(RaceWindow)
		// Insert: whatever another client created meanwhile goes.
		Record(next, again(r, http.MethodDelete, objectPath(typ, id), nil, nil))
		next.ServeHTTP(w, r)
	})
}

// VersionCheckApart checks an update's version by reading the object,
// then writes without the check: two updates of the same version both
// succeed.
func VersionCheckApart(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		typ, id, q, _, ok := objectWrite(r, http.MethodPut)
		if !ok || q.Get("version") == "" {
			next.ServeHTTP(w, r)
			return
		}
		_, version, found := read(next, r, typ, id)
		if !found || version != q.Get("version") {
			next.ServeHTTP(w, r) // the mock answers 404 or 409, atomically
			return
		}
		time.Sleep(RaceWindow)
		q.Del("version")
		next.ServeHTTP(w, again(r, http.MethodPut, r.URL.Path, q, readBody(r)))
	})
}

// UpdateResurrects updates by reading the object, then saving it, whole,
// creating it when it is gone: an update racing a delete brings the
// object back, and answers as an update.
func UpdateResurrects(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		typ, id, q, payload, ok := objectWrite(r, http.MethodPut)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		fields, version, found := read(next, r, typ, id)
		if !found {
			next.ServeHTTP(w, r)
			return
		}
		time.Sleep(RaceWindow)
		a := Record(next, r)
		if a.Status != http.StatusNotFound {
			a.Send(w, a.Status, a.Body)
			return
		}
		if q.Get("strict") == "true" {
			clear(fields)
		}
		for k, v := range payload {
			if k != "meta" {
				fields[k] = v
			}
		}
		created := Record(next, again(r, http.MethodPost, "/1/data/"+typ, url.Values{"id": {id}}, Compact(fields)))
		v, ok := Decode(created.Body)
		saved, _ := v.(map[string]any)
		if !ok || saved == nil || created.Status >= 300 {
			created.Send(w, created.Status, created.Body)
			return
		}
		// The answer of the update the server thinks it made.
		n, _ := strconv.Atoi(version)
		saved["status"], saved["version"] = http.StatusOK, n+1
		created.Send(w, http.StatusOK, Compact(saved))
	})
}

// objectWrite reads a direct request of method on /1/data/{type}/{id}, as
// written (no alias, no escape), whose payload is a JSON object.
func objectWrite(r *http.Request, method string) (typ, id string, q url.Values, payload map[string]any, ok bool) {
	segs := strings.Split(r.URL.Path, "/")
	if r.Method != method || r.URL.RawPath != "" || len(segs) != 5 || segs[1] != "1" || segs[2] != "data" || segs[3] == "" || segs[4] == "" {
		return "", "", nil, nil, false
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return "", "", nil, nil, false
	}
	v, decoded := Decode(readBody(r))
	payload, isObject := v.(map[string]any)
	return segs[3], segs[4], q, payload, decoded && isObject
}

// read reads the object as the request's caller: its fields and version
// as written, when it exists.
func read(next http.Handler, r *http.Request, typ, id string) (fields map[string]any, version string, found bool) {
	a := Record(next, again(r, http.MethodGet, objectPath(typ, id), nil, nil))
	v, ok := Decode(a.Body)
	fields, isObject := v.(map[string]any)
	if a.Status != http.StatusOK || !ok || !isObject {
		return nil, "", false
	}
	meta, _ := fields["meta"].(map[string]any)
	delete(fields, "meta")
	return fields, stringOf(meta["version"]), true
}

// again is another request of the same caller to the same host.
func again(r *http.Request, method, path string, q url.Values, body []byte) *http.Request {
	target := path
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	req := httptest.NewRequestWithContext(r.Context(), method, target, bytes.NewReader(body))
	req.Host, req.RemoteAddr = r.Host, r.RemoteAddr
	for _, name := range []string{"Authorization", "Content-Type", "Origin"} {
		if v := r.Header.Get(name); v != "" {
			req.Header.Set(name, v)
		}
	}
	return req
}

func objectPath(typ, id string) string { return "/1/data/" + typ + "/" + id }
