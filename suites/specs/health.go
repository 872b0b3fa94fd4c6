package specs

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/spacedog-oss/batchkit/suites/internal/exchange"
	"github.com/spacedog-oss/batchkit/suites/internal/summary"
)

// maxNoReply is how many exchanges in a row without a whole reply a
// process takes before it takes the target, or one of its routes, as down:
// with --request-timeout, it bounds the time a hung target costs a run
// (maxNoReply × the timeout, about, for each route that hangs).
const maxNoReply = 5

// health is what a process knows of the target's answering. A target that
// cannot be reached, or that gave no whole reply maxNoReply times in a row,
// is down: the specs left are not run, each saying why, rather than each
// waiting out its timeout to fail the same way. So is a route (a method on
// /1/batch, /1/data, ...) that gave no reply maxNoReply times in a row:
// the requests to it are not sent, and a spec that would send one is not
// run. An answer in between ends a row: a proxy that never answers one
// kind of body fails the specs that send it, and no others. A backend's
// host beside the target's own (--backend-hosts) is judged apart: one that
// cannot be reached is down alone, and says which setting names it.
type health struct {
	deadline time.Time // the run's: past it, the specs left are not run
	own      string    // the target's own host

	mu      sync.Mutex
	inRow   int               // exchanges in a row with no reply to the target's own host
	byRoute map[string]int    // the same, per route
	routes  map[string]string // why each route, or backend host, down is taken as down
	why     string            // why the target is taken as down; "" while it is not
}

// note counts an exchange's failure to get a reply on its route; a reply,
// or a reply that breaks the spec, is an answer, which ends a row of
// failures.
func (h *health) note(req *http.Request, err error) {
	var v *exchange.SpecError
	route, backend := h.routeOf(req)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.byRoute == nil {
		h.byRoute, h.routes = map[string]int{}, map[string]string{}
	}
	if err == nil || errors.As(err, &v) {
		h.byRoute[route] = 0
		if backend == "" {
			h.inRow = 0
		}
		return
	}
	h.byRoute[route]++
	if backend == "" {
		h.inRow++
	}
	var nr *exchange.NoReply
	switch {
	case h.why != "":
	case errors.As(err, &nr) && nr.Unreachable && backend != "":
		h.routes[backend] = fmt.Sprintf("the backend host %s cannot be reached (check --backend-hosts): %s", backend, unwrapURLError(err))
	case errors.As(err, &nr) && nr.Unreachable:
		h.why = fmt.Sprintf("the target is down: %s", unwrapURLError(err))
	case h.inRow >= maxNoReply:
		h.why = fmt.Sprintf("the target is taken as down: %d requests in a row got no usable reply; the last: %s", h.inRow, unwrapURLError(err))
	case h.byRoute[route] >= maxNoReply && h.routes[route] == "":
		h.routes[route] = fmt.Sprintf("%s is taken as down: %d requests to it in a row got no usable reply; the last: %s", route, h.byRoute[route], unwrapURLError(err))
	}
}

// down says why the target, the request's route, or its backend host, is
// taken as down, or "".
func (h *health) down(req *http.Request) string {
	route, backend := h.routeOf(req)
	h.mu.Lock()
	defer h.mu.Unlock()
	return cmp.Or(h.why, h.routes[route], h.routes[backend])
}

// routeOf names a request's route for health: its method and its path's
// first two segments ("POST /1/batch", "PUT /1/data"), after the host when
// it is a backend's beside the target's own; backend is that host, or "".
func (h *health) routeOf(req *http.Request) (route, backend string) {
	p := req.URL.Opaque
	if p == "" {
		p = req.URL.Path
	}
	segs := strings.SplitN(strings.TrimPrefix(p, "/"), "/", 3)
	route = req.Method + " /" + strings.Join(segs[:min(2, len(segs))], "/")
	if host := req.URL.Host; host != "" && !strings.EqualFold(host, h.own) {
		return host + " " + route, host
	}
	return route, ""
}

// notRun says why the running spec is not to run: the target is down,
// or the run's time is up; "" when it may run.
func (h *health) notRun(runTimeout time.Duration) string {
	h.mu.Lock()
	why := h.why
	h.mu.Unlock()
	if why != "" {
		return summary.NotRunPrefix + why
	}
	if time.Now().After(h.deadline) {
		return fmt.Sprintf("%sthe run's deadline passed (--run-timeout=%s)", summary.NotRunPrefix, runTimeout)
	}
	return ""
}

// errNotSent is a request not sent, its route or the target being down, or
// not answered before the run's deadline: the spec that would have sent it
// is not run.
type errNotSent struct{ why string }

func (e errNotSent) Error() string { return "not sent: " + e.why }
