package main

import (
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// The defaults of the connection limits. A shared mock meets careless and
// hostile clients: each bound keeps one from holding memory or a
// connection for good, and is loose enough for a team's honest ones.
const (
	defaultMaxConns       = 512      // above a team's test runs together; 300 slow clients leave room
	defaultMaxHeaderBytes = 64 << 10 // a browser's cookies for localhost fit many times
	defaultHeaderTimeout  = 10 * time.Second
	defaultWriteTimeout   = 3 * time.Minute // the longest --latency (1m), fault delay (1m), and a minute to answer
	defaultIdleTimeout    = 2 * time.Minute // past Go's and most clients' own idle timeouts: they close first
)

// modemRate is a slow modem's speed, 56 kbit/s, in bytes a second: a body
// must keep this pace, after modemSlack (--min-body-rate), and the default
// --body-timeout gives a body of --max-body bytes this long to arrive, and
// modemSlack more.
const (
	modemRate  = 56_000 / 8
	modemSlack = 5 * time.Second
)

// bodyTimeoutFor is the default --body-timeout for bodies of maxBody
// bytes, in whole seconds: 155s for 1 MiB (1048576 / 7000 = 150s, plus 5s),
// and a day at most.
func bodyTimeoutFor(maxBody int64) time.Duration {
	secs := min((maxBody-1)/modemRate+1, int64(24*time.Hour/time.Second)) // rounded up, without overflow
	return time.Duration(secs)*time.Second + modemSlack
}

// limitListener accepts at most its limit of connections open at once;
// beyond them, Accept waits until one closes, and the client meanwhile waits in
// the kernel's queue.
type limitListener struct {
	net.Listener
	slots     chan struct{}
	closed    chan struct{}
	closeOnce sync.Once
}

func limitListen(ln net.Listener, limit int) *limitListener {
	return &limitListener{Listener: ln, slots: make(chan struct{}, limit), closed: make(chan struct{})}
}

func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	case <-l.closed:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &limitConn{Conn: c, release: sync.OnceFunc(func() { <-l.slots })}, nil
}

func (l *limitListener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

type limitConn struct {
	net.Conn
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.release()
	return err
}

// withDeadlines gives each request's body until its deadlines to arrive,
// and its reply writeTimeout to leave once the body is in. A body must keep
// pace with minRate bytes a second (0: any pace) after modemSlack, and be
// all in within bodyTimeout of its headers. A client that falls behind is
// answered 408 and its connection closed: it holds a connection and what
// it sent for seconds, not for good.
func withDeadlines(h http.Handler, bodyTimeout time.Duration, minRate int64, writeTimeout time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			h.ServeHTTP(w, r) // the server's WriteTimeout runs from the headers
			return
		}
		now := time.Now()
		b := &deadlineBody{ReadCloser: r.Body, rc: http.NewResponseController(w), start: now,
			end: now.Add(bodyTimeout), minRate: minRate, writeTimeout: writeTimeout}
		b.rc.SetReadDeadline(b.due())
		b.rc.SetWriteDeadline(b.end.Add(writeTimeout))
		// A shallow copy: after the handler, net/http looks at its own
		// request's body to tell whether the connection can serve another.
		r = r.WithContext(r.Context())
		r.Body = b
		h.ServeHTTP(w, r)
	})
}

// deadlineBody moves the read deadline on as the body's bytes arrive, and
// starts the reply's time once it is in. (net/http lifts the read deadline
// itself then, as it starts reading in the background.)
type deadlineBody struct {
	io.ReadCloser
	rc           *http.ResponseController
	start, end   time.Time
	minRate      int64 // bytes a second; 0: any pace
	read         int64
	writeTimeout time.Duration
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.read += int64(n)
	switch {
	case err == io.EOF:
		b.rc.SetWriteDeadline(time.Now().Add(b.writeTimeout))
	case err == nil && n > 0 && b.minRate > 0:
		b.rc.SetReadDeadline(b.due())
	}
	return n, err
}

// due is when the next byte must have come: byte k by modemSlack + k /
// minRate seconds after the headers, and every byte by the end.
func (b *deadlineBody) due() time.Time {
	if b.minRate <= 0 {
		return b.end
	}
	pace := time.Duration(float64(b.read+1) / float64(b.minRate) * float64(time.Second))
	if due := b.start.Add(modemSlack + pace); due.Before(b.end) {
		return due
	}
	return b.end
}
