package mockserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"
)

// Serving: the way of every request through the mock, as a list of stages
// in the order it goes (pipeline), and what the API's stage does around
// answering a request: it reads the body, makes a change durable, waits
// the latency, and journals and logs the request before the reply leaves.

var _ http.Handler = (*Server)(nil)

// stage is a step on a request's way through the mock: it answers the
// request, which ends its way, or lets it go on to the next stage.
type stage func(w http.ResponseWriter, r *http.Request) (answered bool)

// pipeline is the way of every request, in the order it goes: a new
// stage is a new line here.
func (s *Server) pipeline() []stage {
	return []stage{
		s.checkHost,           // access.go: a Host of this machine or allowed (DNS rebinding)
		s.preflight,           // access.go: a CORS preflight answered; never for the admin routes
		s.cors.decorate,       // access.go: an API reply marked readable by an allowed origin
		s.guardAdmin,          // access.go: the admin routes for no other origin; the token
		s.admin,               // admin.go: the /_mock/ routes and the page
		s.refuseForeignWrites, // access.go: no write from a page CORS does not allow
		s.refuseBadBackend,    // dispatch.go: a Host whose first label names no backend
		s.api,                 // below: the API, journaled: faults, then dispatch or the proxy
	}
}

// ServeHTTP takes a request through the pipeline.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	for _, stage := range s.stages {
		if stage(w, r) {
			return
		}
	}
}

// api answers a request of the API, a data route or a batch: it reads the
// body, then the fault rules and dispatch, or the proxy, answer; the
// change is made durable, the latency waited, and the request journaled
// and logged before the reply leaves.
func (s *Server) api(w http.ResponseWriter, r *http.Request) bool {
	start := time.Now()
	e := newEntry(r, start, s.cfg.Backend) // journal.go
	e.Refused = s.unreadable(r)            // access.go: a reply the browser will hide
	before := s.store.Changes()
	res := s.answer(r, &e)
	res = s.durable(before, res) // on disk before the reply leaves
	e.Response = journalBody(res.body, true)
	s.cfg.Latency.wait(r)
	e.Status, e.Dropped, e.DurationMs = res.status, res.drop, millis(time.Since(start))
	s.journal.add(e)
	s.log(r.Context(), e)
	res.send(w) // response.go: the reply, or the connection dropped
	return true
}

// answer reads the body and runs the request through the fault rules and
// dispatch, or the fault rules and the proxy.
func (s *Server) answer(r *http.Request, e *Entry) response {
	body, err := readBody(r, s.cfg.MaxBody)
	if err != nil {
		res := bodyFailure(s.dialect.failure, err)
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

// bodyChunk is the most a body's buffer takes ahead of the body's bytes. A
// body of unknown length, or longer, is read in chunks of this size and
// joined once it is all in: a client announcing a large body and sending it
// slowly costs what it sent, not what it announced, and leaves no outgrown
// buffers behind as it goes.
const bodyChunk = 4 << 10

// readBody reads a request body of at most limit bytes: in one allocation
// when the client said a length under bodyChunk, else chunk by chunk.
func readBody(r *http.Request, limit int64) ([]byte, error) {
	if r.Body == nil { // a request made in process, not by net/http's server
		return nil, nil
	}
	body := http.MaxBytesReader(nil, r.Body, limit)
	exact := r.ContentLength >= 0 && r.ContentLength < bodyChunk
	size := int64(bodyChunk)
	if exact {
		size = r.ContentLength + 1 // +1: room to see EOF
	}
	var chunks [][]byte
	for {
		chunk := make([]byte, size)
		n, err := fill(body, chunk)
		chunks = append(chunks, chunk[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		size = bodyChunk
	}
	if exact && len(chunks) == 1 {
		return chunks[0], nil
	}
	return slices.Concat(chunks...), nil // one copy, of the body's length
}

// fill reads into b until b is full, or the reader ends (io.EOF) or fails.
func fill(r io.Reader, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := r.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// bodyFailure is the reply to a body that could not be read, in the words
// of fail: the profile's dialect on the API, the doc profile's on the
// admin routes.
func bodyFailure(fail func(status int, format string, args ...any) response, err error) response {
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return fail(http.StatusRequestEntityTooLarge, "request body is over the limit of %d bytes", tooBig.Limit)
	case errors.Is(err, os.ErrDeadlineExceeded):
		return fail(http.StatusRequestTimeout, "request body: not all of it arrived before the read deadline")
	}
	return fail(http.StatusBadRequest, "cannot read the request body: %v", err)
}

// durable waits until every change made so far is on disk, when the mock
// logs its changes and the request made one (changes moved since before).
func (s *Server) durable(before uint64, res response) response {
	if s.changes == nil || s.store.Changes() == before {
		return res
	}
	if err := s.changes.Sync(s.changes.End()); err != nil {
		// The change is in memory but may not survive: say so, never 2xx.
		return s.dialect.failure(http.StatusInternalServerError, "the state log could not be written: %v; this change may be lost at a restart", err)
	}
	return res
}

// Latency is a delay added to every API response: Min, or a time drawn
// evenly between Min and Max.
type Latency struct{ Min, Max time.Duration }

// ParseLatency reads "50ms" or a range "20ms-80ms".
func ParseLatency(s string) (Latency, error) {
	if s == "" {
		return Latency{}, nil
	}
	lo, hi, isRange := strings.Cut(s, "-")
	least, err := time.ParseDuration(lo)
	if err != nil {
		return Latency{}, fmt.Errorf("latency %q: %v", s, err)
	}
	l := Latency{Min: least, Max: least}
	if isRange {
		if l.Max, err = time.ParseDuration(hi); err != nil {
			return Latency{}, fmt.Errorf("latency %q: %v", s, err)
		}
	}
	return l, l.check()
}

func (l Latency) check() error {
	if l.Min < 0 || l.Max < l.Min || l.Max > maxDelay {
		return fmt.Errorf("latency %s-%s: from 0 to %s, the least first", l.Min, l.Max, maxDelay)
	}
	return nil
}

func (l Latency) wait(r *http.Request) {
	d := l.Min
	if l.Max > l.Min {
		d += rand.N(l.Max - l.Min + 1)
	}
	sleep(r, d)
}

// sleep waits d, or until the client of r goes away.
func sleep(r *http.Request, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
	}
}

// log writes one line for the request, with a batch's sub-request statuses;
// a refusal is a warning that says why, and what would allow it.
func (s *Server) log(ctx context.Context, e Entry) {
	if s.cfg.Logger == nil {
		return
	}
	level, msg := slog.LevelInfo, "request"
	if e.Refused != nil {
		level, msg = slog.LevelWarn, "refused"
	}
	attrs := []slog.Attr{
		slog.String("method", e.Method), slog.String("path", e.Path), slog.Int("status", e.Status),
		slog.Float64("ms", e.DurationMs), slog.String("backend", e.Backend), slog.String("user", e.User),
	}
	if e.Query != "" {
		attrs = append(attrs, slog.String("query", e.Query))
	}
	if e.SubRequests != nil {
		statuses := make([]int, len(e.SubRequests))
		for i, sub := range e.SubRequests {
			statuses[i] = sub.Status
		}
		attrs = append(attrs, slog.Any("subStatuses", statuses))
	}
	if e.Dropped {
		attrs = append(attrs, slog.Bool("dropped", true))
	}
	if e.FaultRule != 0 {
		attrs = append(attrs, slog.Int64("faultRule", e.FaultRule))
	}
	if why := e.Refused; why != nil {
		if why.Origin != "" {
			attrs = append(attrs, slog.String("origin", why.Origin))
		}
		if why.Host != "" {
			attrs = append(attrs, slog.String("host", why.Host))
		}
		attrs = append(attrs, slog.String("reason", why.Reason), slog.String("allow", why.Allow))
	}
	s.cfg.Logger.LogAttrs(ctx, level, msg, attrs...)
}
