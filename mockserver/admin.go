package mockserver

import (
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/spacedog-oss/batchkit/spec"
)

// AdminPrefix starts the mock's own routes. They answer direct requests
// only: a batch item goes through dispatch, which knows the spec's routes
// alone, so no batch can reach them (SEC-2).
const AdminPrefix = "/_mock/"

// admin serves the admin routes: health, reset, the request journal, the
// stored state, the spec, the fault rules and the proxy's violations. It
// answers the paths under AdminPrefix, and them only.
func (s *Server) admin(w http.ResponseWriter, r *http.Request) bool {
	if !isAdmin(r) {
		return false
	}
	routes := map[string]map[string]func(http.ResponseWriter, *http.Request){
		"health":       {"GET": s.health},
		"reset":        {"POST": s.reset},
		"requests":     {"GET": s.requests, "DELETE": s.clearRequests},
		"state":        {"GET": s.state},
		"openapi.yaml": {"GET": s.openapi},
		"faults":       {"GET": s.getFaults, "PUT": s.putFaults, "DELETE": s.clearFaults},
		"violations":   {"GET": s.listViolations, "DELETE": s.clearViolations},
		"":             {"GET": s.page}, "page.js": {"GET": s.pageAsset}, "page.css": {"GET": s.pageAsset}, // page.go
	}
	name := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, AdminPrefix), "/")
	methods, ok := routes[name]
	if !ok {
		failure(http.StatusNotFound, "no admin route [%s]; the admin routes are %s%s", r.URL.Path, AdminPrefix,
			strings.Join(slices.Sorted(maps.Keys(routes)), ", "+AdminPrefix)).write(w)
		return true
	}
	handle, ok := methods[r.Method]
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

func writeJSON(w http.ResponseWriter, v any) {
	response{status: http.StatusOK, body: encode(v)}.write(w)
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	h := map[string]any{"status": "ok", "profile": s.profile.name, "maxBatch": s.cfg.MaxBatch}
	if s.proxy != nil {
		h["proxy"], h["violations"] = s.proxy.Target(), s.proxy.Seen()
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
	doc, err := spec.YAML(s.profile.name)
	if err != nil { // the spec loaded at New: cannot happen
		failure(http.StatusInternalServerError, "%v", err).write(w)
		return
	}
	w.Header().Set("Content-Type", "application/yaml")
	w.Write(doc)
}

func (s *Server) getFaults(w http.ResponseWriter, r *http.Request) { writeJSON(w, s.faults.list()) }

// putFaults replaces the fault rules with the body's.
func (s *Server) putFaults(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r, s.cfg.MaxBody)
	if err != nil {
		s.profile.bodyFailure(err).write(w)
		return
	}
	rules, err := ParseFaults(body)
	if err != nil {
		failure(http.StatusBadRequest, "body: %v", err).write(w)
		return
	}
	s.faults.set(rules)
	writeJSON(w, rules)
}

func (s *Server) clearFaults(w http.ResponseWriter, r *http.Request) {
	s.faults.set(nil)
	done().write(w)
}

func (s *Server) listViolations(w http.ResponseWriter, r *http.Request) {
	if s.proxy == nil {
		writeJSON(w, []Violation{})
		return
	}
	writeJSON(w, s.proxy.Violations())
}

func (s *Server) clearViolations(w http.ResponseWriter, r *http.Request) {
	if s.proxy != nil {
		s.proxy.ClearViolations()
	}
	done().write(w)
}
