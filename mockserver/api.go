package mockserver

import (
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

// ServeHTTP answers a request: a CORS preflight, an admin route, or the API
// (a data route or a batch), which it journals and logs.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.cors.preflight(w, r) {
		return
	}
	s.cors.decorate(w, r)
	if strings.HasPrefix(r.URL.Path, AdminPrefix) {
		s.admin(w, r)
		return
	}
	start := time.Now()
	e := Entry{Time: start.UTC().Format(timeFormat), Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
		Backend: backendOf(r.Host, s.cfg.Backend), User: userOf(r.Header)}
	before := s.store.Changes()
	res := s.durable(before, s.serveAPI(r, &e))
	e.Response = journalBody(res.body, true)
	s.cfg.Latency.wait(r)
	e.Status, e.Dropped, e.DurationMs = res.status, res.drop, millis(time.Since(start))
	s.journal.add(e)
	s.log(e)
	if res.drop {
		panic(http.ErrAbortHandler) // net/http closes the connection, answering nothing
	}
	res.write(w)
}

// serveAPI reads the body and runs the request through the fault rules and
// dispatch.
func (s *Server) serveAPI(r *http.Request, e *Entry) response {
	body, err := readBody(r, s.cfg.MaxBody)
	if err != nil {
		res := s.profile.bodyFailure(err)
		s.checkEnvelope(res)
		return res
	}
	e.Request = journalBody(body, false)
	c := &call{
		method:    r.Method,
		rawPath:   r.URL.EscapedPath(),
		shown:     r.URL.Path,
		rawQuery:  r.URL.RawQuery,
		header:    directHeader(r.Header),
		body:      body,
		host:      r.Host,
		item:      -1,
		backend:   e.Backend,
		base:      baseURL(r),
		entry:     e,
		dropAfter: -1,
		origin:    r,
	}
	if s.proxy != nil {
		if res, ok := s.fault(c); ok {
			return res
		}
		res := s.forward(r, c)
		// A drop rule for a batch loses the reply: the backend ran it all.
		res.drop = c.dropAfter >= 0
		return res
	}
	res := s.dispatch(c)
	if c.dropAfter >= 0 {
		res.drop = true // a direct request ran; a batch stopped after dropAfter items
	}
	return res
}

// bodyFailure is the reply to a body that could not be read, typed as
// the profile's server typed it.
func (p profile) bodyFailure(err error) response {
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return p.failure(http.StatusRequestEntityTooLarge, "request body is over the limit of %d bytes", tooBig.Limit)
	case errors.Is(err, os.ErrDeadlineExceeded):
		return p.failure(http.StatusRequestTimeout, "request body: not all of it arrived before the read deadline")
	}
	return p.failure(http.StatusBadRequest, "cannot read the request body: %v", err)
}

// directHeader is a direct request's header as dispatch takes it: a copy,
// which dispatch may give a JSON Content-Type, without Content-Length, which
// would be wrong for the batch's items that share it.
func directHeader(h http.Header) http.Header {
	h = h.Clone()
	h.Del("Content-Length")
	return h
}

// bodyChunk is the most a body's buffer takes ahead of the body's bytes. A
// body of unknown length, or longer, is read in chunks of this size and
// joined once it is all in: a client announcing a large body and sending it
// slowly costs what it sent, not what it announced, and leaves no outgrown
// buffers behind as it goes.
const bodyChunk = 4 << 10

// readBody reads a request body of at most max bytes: in one allocation when
// the client said a length under bodyChunk, else chunk by chunk.
func readBody(r *http.Request, max int64) ([]byte, error) {
	if r.Body == nil { // a request made in process, not by net/http's server
		return nil, nil
	}
	body := http.MaxBytesReader(nil, r.Body, max)
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

// log writes one line for the request, with a batch's sub-request statuses.
func (s *Server) log(e Entry) {
	if s.cfg.Logger == nil {
		return
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
	s.cfg.Logger.LogAttrs(nil, slog.LevelInfo, "request", attrs...)
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
	min, err := time.ParseDuration(lo)
	if err != nil {
		return Latency{}, fmt.Errorf("latency %q: %v", s, err)
	}
	l := Latency{Min: min, Max: min}
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
