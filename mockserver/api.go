package mockserver

import (
	"net/http"
	"time"
)

// api answers a request of the API, a data route or a batch: it reads the
// body, then the fault rules and dispatch, or the proxy, answer; the
// change is made durable, the latency waited, and the request journaled
// and logged before the reply leaves.
func (s *Server) api(w http.ResponseWriter, r *http.Request) bool {
	start := time.Now()
	e := newEntry(r, start, s.cfg.Backend) // journal.go
	before := s.store.Changes()
	res := s.answer(r, &e)
	res = s.durable(before, res) // durable.go: on disk before the reply leaves
	e.Response = journalBody(res.body, true)
	s.cfg.Latency.wait(r) // latency.go
	e.Status, e.Dropped, e.DurationMs = res.status, res.drop, millis(time.Since(start))
	s.journal.add(e)
	s.log(e)    // log.go
	res.send(w) // envelope.go: the reply, or the connection dropped
	return true
}

// answer reads the body and runs the request through the fault rules and
// dispatch, or the fault rules and the proxy.
func (s *Server) answer(r *http.Request, e *Entry) response {
	body, err := readBody(r, s.cfg.MaxBody) // body.go
	if err != nil {
		res := s.profile.bodyFailure(err)
		s.checkEnvelope(res)
		return res
	}
	e.Request = journalBody(body, false)
	c := directCall(r, body, e) // dispatch.go
	if s.proxy != nil {
		if res, ok := s.fault(c); ok { // faults.go
			return res
		}
		res := s.forward(c) // proxy.go
		// A drop rule for a batch loses the reply: the backend ran it all.
		res.drop = c.dropAfter >= 0
		return res
	}
	res := s.dispatch(c) // dispatch.go, with the fault rules
	if c.dropAfter >= 0 {
		res.drop = true // a direct request ran; a batch stopped after dropAfter items
	}
	return res
}
