package mockserver

import (
	"bytes"
	"embed"
	"encoding/json"
	"html/template"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/spacedog-oss/batchkit/spec"
)

// The mock's own routes under /_mock/, and its page.

// AdminPrefix starts the mock's own routes. They answer direct requests
// only: a batch item goes through dispatch, which knows the spec's routes
// alone, so no batch can reach them (SEC-2).
const AdminPrefix = "/_mock/"

// admin serves the admin routes: health, reset, the request journal, the
// stored state, the spec, the fault rules and the proxy's violations. It
// answers the paths under AdminPrefix, and them only, but for a browser
// opening the mock's root or /_mock, which it leads to the page; a tool's
// GET / stays the API's 404, as SpaceDog answered it. A HEAD is answered
// as its GET.
func (s *Server) admin(w http.ResponseWriter, r *http.Request) bool {
	if !isAdmin(r) {
		if (r.URL.Path == "/" || r.URL.Path+"/" == AdminPrefix) && (r.Method == http.MethodGet || r.Method == http.MethodHead) && navigation(r) {
			http.Redirect(w, r, AdminPrefix, http.StatusFound)
			return true
		}
		return false
	}
	name := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, AdminPrefix), "/")
	if id, ok := strings.CutPrefix(name, "faults/"); ok && id != "" && !strings.Contains(id, "/") {
		name = "faults/{id}"
	}
	methods, ok := s.adminRoutes[name]
	if !ok {
		failure(http.StatusNotFound, "no admin route [%s]; the admin routes are %s%s", r.URL.Path, AdminPrefix,
			strings.Join(slices.Sorted(maps.Keys(s.adminRoutes)), ", "+AdminPrefix)).write(w)
		return true
	}
	handle, ok := methods[r.Method]
	if !ok && r.Method == http.MethodHead {
		handle, ok = methods[http.MethodGet]
	}
	if !ok {
		allow := slices.Sorted(maps.Keys(methods))
		res := failure(http.StatusMethodNotAllowed, "method [%s] not allowed on path [%s]; allowed: %s", r.Method, r.URL.Path, strings.Join(allow, ", "))
		res.allow = allow
		res.write(w)
		return true
	}
	handle(w, r)
	return true
}

// adminRoutes are the admin routes, by their path under AdminPrefix and
// their method.
type adminRoutes map[string]map[string]http.HandlerFunc

func (s *Server) newAdminRoutes() adminRoutes {
	return adminRoutes{
		"health":         {"GET": s.health},
		"reset":          {"POST": s.reset},
		"requests":       {"GET": s.requests, "DELETE": s.clearRequests},
		"requests/count": {"GET": s.countRequests},
		"state":          {"GET": s.state},
		"openapi.yaml":   {"GET": s.openapi},
		"faults":         {"GET": s.getFaults, "PUT": s.putFaults, "POST": s.postFaults, "DELETE": s.clearFaults},
		"faults/{id}":    {"GET": s.getFault, "DELETE": s.deleteFault},
		"violations":     {"GET": s.listViolations, "DELETE": s.clearViolations},
		"":               {"GET": s.page}, "page.js": {"GET": s.pageAsset}, "page.css": {"GET": s.pageAsset}, // below
	}
}

// navigation reports whether a browser is opening the URL as a page: it
// asks for HTML, or says it loads a document.
func navigation(r *http.Request) bool {
	return r.Header.Get("Sec-Fetch-Dest") == "document" || strings.Contains(r.Header.Get("Accept"), "text/html")
}

func writeJSON(w http.ResponseWriter, v any) {
	response{status: http.StatusOK, body: encode(v)}.write(w)
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	h := map[string]any{"status": "ok", "profile": s.spec.Profile, "maxBatch": s.cfg.MaxBatch}
	if s.proxy != nil {
		h["proxy"], h["violations"] = s.proxy.Target(), s.Violations()
	}
	writeJSON(w, h)
}

// reset forgets the data of every backend, or of ?backend=NAME.
func (s *Server) reset(w http.ResponseWriter, r *http.Request) {
	before := s.store.Changes()
	s.store.Reset(r.URL.Query().Get("backend"))
	s.durable(before, done()).write(w)
}

func (s *Server) clearRequests(w http.ResponseWriter, r *http.Request) {
	s.journal.clear()
	done().write(w)
}

// state streams the stored objects, one at a time: the document is never
// whole in memory, however many there are.
func (s *Server) state(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	s.writeState(w, r.URL.Query().Get("backend"), false) // an error is the client gone: no one to tell
}

func (s *Server) openapi(w http.ResponseWriter, r *http.Request) {
	doc, err := spec.YAML(s.spec.Profile)
	if err != nil { // the spec loaded at New: cannot happen
		failure(http.StatusInternalServerError, "%v", err).write(w)
		return
	}
	w.Header().Set("Content-Type", "application/yaml")
	w.Write(doc)
}

func (s *Server) getFaults(w http.ResponseWriter, r *http.Request) { writeJSON(w, s.faults.list()) }

// putFaults replaces the fault rules with the body's, an array, and lists
// them numbered.
func (s *Server) putFaults(w http.ResponseWriter, r *http.Request) {
	if rules, ok := s.readRules(w, r, false); ok {
		writeJSON(w, s.faults.set(rules))
	}
}

// postFaults adds the body's rule, or array of rules, after those in
// force, and answers 201 with them numbered: a test adds its own rules
// and removes them by number, beside other tests' (DELETE /_mock/faults/ID).
func (s *Server) postFaults(w http.ResponseWriter, r *http.Request) {
	if rules, ok := s.readRules(w, r, true); ok {
		response{status: http.StatusCreated, body: encode(s.faults.add(rules))}.write(w)
	}
}

// readRules reads the body's rules, or answers why not.
func (s *Server) readRules(w http.ResponseWriter, r *http.Request, one bool) ([]Fault, bool) {
	body, err := readBody(r, s.cfg.MaxBody)
	if err != nil {
		bodyFailure(failure, err).write(w)
		return nil, false
	}
	rules, err := parseRules(body, one)
	if err == nil && s.proxy != nil {
		err = checkProxied(rules)
	}
	if err != nil {
		failure(http.StatusBadRequest, "body: %v", err).write(w)
		return nil, false
	}
	return rules, true
}

func (s *Server) clearFaults(w http.ResponseWriter, r *http.Request) {
	s.faults.set(nil)
	done().write(w)
}

// getFault answers the rule of /_mock/faults/ID, with its counts.
func (s *Server) getFault(w http.ResponseWriter, r *http.Request) {
	id, ok := s.faultID(w, r)
	if !ok {
		return
	}
	for _, f := range s.faults.list() {
		if f.ID == id {
			writeJSON(w, f)
			return
		}
	}
	noFault(w, r)
}

// deleteFault removes the rule of /_mock/faults/ID.
func (s *Server) deleteFault(w http.ResponseWriter, r *http.Request) {
	if id, ok := s.faultID(w, r); ok {
		if !s.faults.remove(id) {
			noFault(w, r)
			return
		}
		done().write(w)
	}
}

func (s *Server) faultID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, AdminPrefix+"faults/"), "/"), 10, 64)
	if err != nil || id < 1 {
		noFault(w, r)
		return 0, false
	}
	return id, true
}

func noFault(w http.ResponseWriter, r *http.Request) {
	failure(http.StatusNotFound, "no fault rule [%s] in force; GET %sfaults lists them with their ids", r.URL.Path, AdminPrefix).write(w)
}

// The page of the mock at /_mock/: the journal as it grows, the stored
// data, the fault rules. Its files are in the binary: no CDN, offline.
//
//go:embed page
var pageFiles embed.FS

// pageTemplate renders the page with its data: all a browser without
// JavaScript shows, escaped by html/template (bodies are anyone's strings).
var pageTemplate = template.Must(template.ParseFS(pageFiles, "page/index.html"))

// pageAssets are the page's files other than its HTML, by admin route.
var pageAssets = map[string]string{"page.js": "text/javascript; charset=utf-8", "page.css": "text/css; charset=utf-8"}

// pageCSP lets the page run its own script and style only, call its own
// origin only, and be framed by its own origin only: a journal body that
// holds markup can run nothing, and no other site can frame the buttons.
const pageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
	"frame-ancestors 'self'; base-uri 'none'; form-action 'self'"

// pageShown bounds the requests the page renders on the server.
const pageShown = 200

// pageShell reports whether a request is for the page or its files, which
// the admin token does not guard: they hold no data without it (the page
// checks the token itself), and a browser cannot send a header when it
// opens a URL. Every data route they call needs the token.
func pageShell(r *http.Request) bool {
	name := strings.TrimPrefix(r.URL.Path, AdminPrefix)
	return (r.Method == http.MethodGet || r.Method == http.MethodHead) && (r.URL.Path == AdminPrefix || pageAssets[name] != "")
}

func pageHeaders(h http.Header, contentType string) {
	h.Set("Content-Type", contentType)
	h.Set("Content-Security-Policy", pageCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "SAMEORIGIN")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
}

func (s *Server) pageAsset(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, AdminPrefix)
	b, err := pageFiles.ReadFile("page/" + name)
	if err != nil { // embedded at build: cannot happen
		failure(http.StatusInternalServerError, "%v", err).write(w)
		return
	}
	pageHeaders(w.Header(), pageAssets[name])
	w.Write(b)
}

// pageView is what the page shows.
type pageView struct {
	Profile   string
	Token     bool // the mock has an admin token
	Locked    bool // and the request did not give it: no data shown
	Entries   []pageEntry
	More      int // requests in the journal beyond those shown
	Backends  []pageBackend
	Objects   *pageObjects // of ?backend=&type=
	Faults    []pageFault
	Selected  [2]string // backend, type
	Proxy     string
	MaxBatch  int
	PollAfter int64 // the number of the last request journaled
}

type pageEntry struct {
	ID                 int64
	Time, Method, Path string
	Backend, User      string
	Status             int
	Class              string // the status class: s2, s4, s5
	Ms                 string
	Fail               bool // the request, or one of its items, failed
	Failed             int  // items that failed
	Dropped, Fault     bool
	FaultRule          int64
	Refused            *Refusal
	Request, Response  string
	Items              []pageItem
	NotRun             int // items the batch did not run
}

type pageItem struct {
	Index           int
	Method, Path    string // a malformed item's Path is the item as written
	Status          int
	Class           string
	Fail, Fault     bool
	FaultRule       int64
	Malformed       bool
	NotRun          string // why the batch did not run it
	Request, Result string
}

type pageFault struct {
	JSON  string
	Spent bool // it has applied its times
}

type pageBackend struct {
	Name  string
	Types []pageType
}

type pageType struct {
	Name  string
	Count int
}

type pageObjects struct {
	Backend, Type string
	Count         int
	JSON          []string
}

// pageObjectsShown bounds the objects of a type the page renders.
const pageObjectsShown = 200

func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	v := pageView{Profile: s.spec.Profile, Token: s.cfg.AdminToken != "", MaxBatch: s.cfg.MaxBatch}
	v.Locked = v.Token && !tokenGiven(r.Header, s.cfg.AdminToken)
	if !v.Locked {
		s.fillPage(&v, r.URL.Query().Get("backend"), r.URL.Query().Get("type"))
	}
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, v); err != nil {
		failure(http.StatusInternalServerError, "the page: %v", err).write(w)
		return
	}
	pageHeaders(w.Header(), "text/html; charset=utf-8")
	w.Write(buf.Bytes())
}

func (s *Server) fillPage(v *pageView, backend, typ string) {
	if s.proxy != nil {
		v.Proxy = s.proxy.Target()
	}
	v.PollAfter = s.journal.last()
	entries := s.journal.list()
	v.More = max(len(entries)-pageShown, 0)
	for _, e := range entries[:min(len(entries), pageShown)] {
		v.Entries = append(v.Entries, newPageEntry(e))
	}
	dump := s.store.Export()
	for _, name := range slices.Sorted(maps.Keys(dump)) {
		b := pageBackend{Name: name}
		for _, t := range slices.Sorted(maps.Keys(dump[name])) {
			b.Types = append(b.Types, pageType{t, len(dump[name][t])})
		}
		v.Backends = append(v.Backends, b)
	}
	if objs, ok := dump[backend][typ]; ok {
		v.Selected = [2]string{backend, typ}
		v.Objects = &pageObjects{Backend: backend, Type: typ, Count: len(objs)}
		for _, o := range objs[:min(len(objs), pageObjectsShown)] {
			v.Objects.JSON = append(v.Objects.JSON, pretty(appendObject(nil, o)))
		}
	}
	for _, f := range s.faults.list() {
		v.Faults = append(v.Faults, pageFault{JSON: string(encode(f)), Spent: f.Times > 0 && f.Applied >= int64(f.Times)})
	}
}

func newPageEntry(e Entry) pageEntry {
	p := pageEntry{ID: e.ID, Time: clock(e.Time), Method: e.Method, Path: e.Path, Backend: e.Backend, User: e.User,
		Status: e.Status, Class: statusClass(e.Status), Ms: strconv.FormatFloat(e.DurationMs, 'f', 1, 64),
		Dropped: e.Dropped, Fault: e.Fault, FaultRule: e.FaultRule, Refused: e.Refused, Request: pretty(e.Request), Response: pretty(e.Response)}
	if e.Query != "" {
		p.Path += "?" + e.Query
	}
	var items []json.RawMessage // the batch's items as sent, when the journal kept them whole
	if json.Unmarshal(e.Request, &items) != nil {
		items = nil // not a batch's, or cut: each item shows what the journal kept of it
	}
	for _, sub := range e.SubRequests {
		it := pageItem{Index: sub.Index, Method: sub.Method, Path: sub.Path, Status: sub.Status, Class: statusClass(sub.Status),
			Fail: sub.Status >= 400 || sub.Fault, Fault: sub.Fault, FaultRule: sub.FaultRule, Malformed: sub.Malformed, NotRun: sub.NotRun,
			Result: pretty(sub.Result)}
		if sub.Query != "" {
			it.Path += "?" + sub.Query
		}
		switch {
		case sub.Request != nil:
			it.Request = pretty(sub.Request)
		case sub.Index >= 0 && sub.Index < len(items):
			it.Request = pretty(items[sub.Index])
		}
		if sub.Malformed {
			it.Method, it.Path = "", compact(sub.Request) // as written
		}
		if sub.NotRun != "" {
			it.Class = "notrun"
		}
		if it.Fail {
			p.Failed++
		}
		if it.NotRun != "" {
			p.NotRun++
		}
		p.Items = append(p.Items, it)
	}
	p.Fail = e.Status >= 400 || e.Dropped || p.Failed > 0
	return p
}

// compact is a JSON value on one line, or as it is when it is not JSON.
func compact(b []byte) string {
	var out bytes.Buffer
	if json.Compact(&out, b) != nil {
		return string(b)
	}
	return out.String()
}

// clock is the time of day of a journal time, to the millisecond.
func clock(t string) string {
	if len(t) == len(timeFormat) {
		return t[11:23]
	}
	return t
}

func statusClass(status int) string {
	switch {
	case status >= 500:
		return "s5"
	case status >= 400:
		return "s4"
	case status >= 300:
		return "s3"
	}
	return "s2"
}

// pretty is a JSON body indented, or as it is when it is not JSON.
func pretty(b []byte) string {
	var out bytes.Buffer
	if json.Indent(&out, b, "", "  ") != nil {
		return string(b)
	}
	return out.String()
}
