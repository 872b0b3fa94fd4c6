package exchange

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// NoReply is an exchange that got no whole reply: the target hung,
// trickled, cut the connection, flooded, or could not be reached. What
// says what it did, in the wire's terms.
type NoReply struct {
	Exchange Exchange // as far as it went: no status when no reply came
	What     string   // "no reply within 10s", "connection closed after 3 of 120 bytes", ...
	// Unreachable: no connection could be made (refused, no such host):
	// the target is down, not misbehaving.
	Unreachable bool
	Err         error // the transport's own error, when there is one
}

func (e *NoReply) Error() string {
	return fmt.Sprintf("%s %s: %s", e.Exchange.Method, e.Exchange.URL, e.What)
}

func (e *NoReply) Unwrap() error { return e.Err }

// progress counts the bytes of a body as they arrive, and when the last
// came: what tells a hang mid-body from a trickle.
type progress struct {
	r    io.Reader
	n    atomic.Int64
	last atomic.Int64 // unix nanoseconds of the last byte
}

func (p *progress) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if n > 0 {
		p.n.Add(int64(n))
		p.last.Store(time.Now().UnixNano())
	}
	return n, err
}

// noReply says what went wrong with an exchange that started at start,
// whose body (nil before the headers) was being read when err came.
func (c *Checker) noReply(ex Exchange, ctx context.Context, start time.Time, body *progress, err error) error {
	c.remember(ex)
	nr := &NoReply{Exchange: ex, Err: err}
	timedOut := errors.Is(ctx.Err(), context.DeadlineExceeded) || isTimeout(err)
	var within string
	if c.Timeout > 0 {
		within = fmt.Sprintf(" within %s", c.Timeout)
	} else if d, ok := ctx.Deadline(); ok {
		within = fmt.Sprintf(" within %s", d.Sub(start).Round(time.Millisecond))
	}
	switch {
	case body == nil && timedOut:
		nr.What = "no reply" + within + ": the target took the request and sent nothing back"
	case body == nil && isUnreachable(err):
		nr.Unreachable = true
		nr.What = "cannot connect: " + rootCause(err)
	case body == nil && isTLS(err):
		nr.What = "a TLS failure: " + rootCause(err)
	case body == nil && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || isReset(err)):
		nr.What = "connection closed before any reply"
	case body == nil && strings.Contains(err.Error(), "malformed HTTP"):
		nr.What = "not an HTTP reply: " + rootCause(err)
	case body == nil:
		nr.What = "no reply: " + rootCause(err)
	case timedOut:
		n := body.n.Load()
		idle := time.Since(time.Unix(0, body.last.Load()))
		switch {
		case n == 0:
			nr.What = fmt.Sprintf("headers (%d) and then no body%s", ex.Status, within)
		case c.Timeout > 0 && idle < c.Timeout/4, c.Timeout == 0 && idle < time.Second:
			nr.What = fmt.Sprintf("a body still arriving after %s: %s in, %s", c.Timeout, size(n), lengthOf(ex.RespHeader, "no end in sight"))
		default:
			nr.What = fmt.Sprintf("a body that stopped mid-way: %s of %s, then nothing for %s", size(n), lengthOf(ex.RespHeader, "an unknown length"), idle.Round(100*time.Millisecond))
		}
	default:
		n := body.n.Load()
		if cl := ex.RespHeader.Get("Content-Length"); cl != "" {
			nr.What = fmt.Sprintf("connection closed after %d of %s bytes", n, cl)
		} else {
			nr.What = fmt.Sprintf("connection closed after %d bytes, before the body's end (%s)", n, rootCause(err))
		}
	}
	return nr
}

// lengthOf names a body's announced length, or how it is sent.
func lengthOf(h http.Header, unknown string) string {
	if cl := h.Get("Content-Length"); cl != "" {
		return cl + " bytes announced"
	}
	return "no length announced, " + unknown
}

// bodyKind names a reply's body as a reader of the wire would.
func bodyKind(resp *http.Response) string {
	if resp.ContentLength >= 0 {
		return fmt.Sprintf("%d bytes announced", resp.ContentLength)
	}
	return "chunked, no length announced"
}

// size writes a byte count for a reader: 64 MiB, 3 KiB, 120 bytes.
func size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func isUnreachable(err error) bool {
	var dns *net.DNSError
	var op *net.OpError
	return errors.As(err, &dns) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EHOSTUNREACH) ||
		errors.Is(err, syscall.ENETUNREACH) || (errors.As(err, &op) && op.Op == "dial")
}

func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

func isTLS(err error) bool {
	var rh tls.RecordHeaderError
	var ue x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	var ae *tls.AlertError
	return errors.As(err, &rh) || errors.As(err, &ue) || errors.As(err, &he) || errors.As(err, &ci) ||
		errors.As(err, &ae) || strings.Contains(err.Error(), "tls: ")
}

// rootCause is the innermost error's text: what the network said, without
// the URL and operation that NoReply already names.
func rootCause(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}

var htmlTitle = regexp.MustCompile(`(?is)<title[^>]*>\s*(.*?)\s*</title>`)

// htmlPage tells whether a reply is an HTML page, as a proxy or a web
// server answers for an API it fronts, and names it by its title.
func htmlPage(h http.Header, body []byte) (string, bool) {
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	if mt != "text/html" && mt != "application/xhtml+xml" {
		return "", false
	}
	if m := htmlTitle.FindSubmatch(body); m != nil {
		return fmt.Sprintf("titled %q", cutTo(string(m[1]), 80)), true
	}
	return fmt.Sprintf("(%s, untitled)", mt), true
}

func cutTo(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
