// Package exchange records every HTTP exchange of a client with a target
// and has the spec judge it (spec.Spec.Inspect), as an http.RoundTripper.
// It keeps the last exchanges for failure reports, and counts them.
package exchange

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/spacedog-oss/batchkit/spec"
)

// Checker is an http.RoundTripper that fails any exchange that breaks the
// spec: RoundTrip returns a *Violation then, which the client reports.
type Checker struct {
	Spec *spec.Spec        // the profile's document
	Next http.RoundTripper // nil means http.DefaultTransport

	count  atomic.Int64
	mu     sync.Mutex
	recent []Exchange // the last few, oldest first
}

// Exchange is a request and its response, bodies included.
type Exchange struct {
	Seq         int64  // 1 for the checker's first exchange, and so on
	Method, URL string // URL as sent: its path and query are the request line's
	ReqHeader   http.Header
	ReqBody     []byte
	Status      int
	RespHeader  http.Header
	RespBody    []byte
}

const keep = 8

// Violation is an exchange that breaks the spec.
type Violation struct {
	Exchange Exchange
	Err      error
}

func (v *Violation) Error() string {
	return fmt.Sprintf("the target broke the spec: %v\n%s", v.Err, v.Exchange)
}

// Count is how many requests went through the checker.
func (c *Checker) Count() int64 { return c.count.Load() }

// Since returns the last exchanges after the one numbered seq, oldest first.
func (c *Checker) Since(seq int64) []Exchange {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Exchange
	for _, ex := range c.recent {
		if ex.Seq > seq {
			out = append(out, ex)
		}
	}
	return out
}

// RoundTrip sends the request, then checks the exchange.
func (c *Checker) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.Body != nil {
		var err error
		if reqBody, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body.Close()
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	next := c.Next
	if next == nil {
		next = http.DefaultTransport
	}
	seq := c.count.Add(1)
	resp, err := next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	respBody, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(respBody))
	ex := Exchange{Seq: seq, Method: req.Method, URL: sentURL(req.URL), ReqHeader: req.Header, ReqBody: reqBody,
		Status: resp.StatusCode, RespHeader: resp.Header, RespBody: respBody}
	c.remember(ex)
	if err := c.check(req, reqBody, resp.StatusCode, resp.Header, respBody); err != nil {
		return nil, &Violation{Exchange: ex, Err: err}
	}
	return resp, nil
}

// sentURL is the URL whose path and query are the request line's, as
// sent: url.URL.String drops the host of a request whose target was given
// as written (URL.Opaque).
func sentURL(u *url.URL) string {
	return u.Scheme + "://" + u.Host + u.RequestURI()
}

func (c *Checker) remember(ex Exchange) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.recent = append(c.recent, ex)
	if len(c.recent) > keep {
		c.recent = c.recent[len(c.recent)-keep:]
	}
}

// check validates a response, then each result of a batch reply, and
// reports the first finding.
func (c *Checker) check(req *http.Request, reqBody []byte, status int, header http.Header, body []byte) error {
	if fs := c.Spec.Inspect(req.Method, req.URL.EscapedPath(), reqBody, status, header, body); len(fs) > 0 {
		return fs[0]
	}
	return nil
}

var secrets = regexp.MustCompile(`(?i)("authorization"\s*:\s*")[^"]*(")`)

// Redact hides the values of "Authorization" members in a body, as a batch
// item's headers carry them, for a report that others read.
func Redact(body []byte) []byte { return secrets.ReplaceAll(body, []byte("${1}[redacted]${2}")) }

// String shows the exchange for a report, credentials redacted and long
// bodies cut.
func (e Exchange) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "> %s %s\n", e.Method, e.URL)
	writeHeader(&b, "> ", e.ReqHeader)
	if len(e.ReqBody) > 0 {
		fmt.Fprintf(&b, "> %s\n", cut(Redact(e.ReqBody)))
	}
	fmt.Fprintf(&b, "< %d\n", e.Status)
	writeHeader(&b, "< ", http.Header{"Allow": e.RespHeader.Values("Allow"), "Content-Type": e.RespHeader.Values("Content-Type")})
	fmt.Fprintf(&b, "< %s\n", cut(e.RespBody))
	return b.String()
}

func writeHeader(b *strings.Builder, prefix string, h http.Header) {
	for _, k := range slices.Sorted(maps.Keys(h)) {
		v := strings.Join(h[k], ", ")
		if v == "" {
			continue
		}
		if strings.EqualFold(k, "Authorization") {
			v = "[redacted]"
		}
		fmt.Fprintf(b, "%s%s: %s\n", prefix, k, v)
	}
}

func cut(b []byte) string {
	const max = 2000
	if len(b) > max {
		return fmt.Sprintf("%s... (%d bytes in all)", b[:max], len(b))
	}
	return string(b)
}
