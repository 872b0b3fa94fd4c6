// Package exchange records every HTTP exchange of a client with a target
// and has the spec judge it (spec.Spec.Inspect), as an http.RoundTripper.
// It keeps the last exchanges for failure reports, and counts them.
package exchange

import (
	"bytes"
	"context"
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
	"time"

	"github.com/spacedog-oss/batchkit/spec"
)

// Checker is an http.RoundTripper that fails any exchange that breaks the
// spec: RoundTrip returns a *SpecError then, which the client reports. It
// bounds each exchange too: a reply that does not come whole within
// Timeout, or is longer than MaxReply, is a *NoReply error that says what
// the target did.
type Checker struct {
	Spec *spec.Spec        // the profile's document
	Next http.RoundTripper // nil means http.DefaultTransport
	// Timeout bounds an exchange, from sending to the reply's last byte;
	// 0: no bound but the request's context.
	Timeout time.Duration
	// MaxReply is the most bytes of a reply body read; 0: no bound.
	MaxReply int64
	// Judge, when set, decides what the findings of an exchange do: it
	// returns the error RoundTrip returns, nil to pass the reply on. When
	// nil, the first finding is a *SpecError.
	Judge func(ex Exchange, findings []spec.Finding) error

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

// SpecError is an exchange whose reply breaks the spec: the error
// RoundTrip returns for it.
type SpecError struct {
	Exchange Exchange
	Err      error
}

func (v *SpecError) Error() string {
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
	ex := Exchange{Seq: seq, Method: req.Method, URL: sentURL(req.URL), ReqHeader: req.Header, ReqBody: reqBody}
	// The whole exchange, body included, is read here, so one deadline
	// bounds it all; the caller gets the body from memory.
	ctx, cancel := context.WithCancel(req.Context())
	defer cancel()
	if c.Timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, c.Timeout)
		defer cancel()
	}
	start := time.Now()
	resp, err := next.RoundTrip(req.WithContext(ctx))
	if err != nil {
		return nil, c.noReply(ex, ctx, start, nil, err)
	}
	ex.Status, ex.RespHeader = resp.StatusCode, resp.Header
	body := &progress{r: resp.Body}
	var rd io.Reader = body
	if c.MaxReply > 0 {
		rd = io.LimitReader(body, c.MaxReply+1)
	}
	respBody, err := io.ReadAll(rd)
	resp.Body.Close()
	ex.RespBody = respBody
	if err != nil {
		return nil, c.noReply(ex, ctx, start, body, err)
	}
	if c.MaxReply > 0 && int64(len(respBody)) > c.MaxReply {
		ex.RespBody = respBody[:min(len(respBody), 4096)]
		c.remember(ex)
		return nil, &NoReply{Exchange: ex, What: fmt.Sprintf("a reply over %s (--max-reply): %d %s, not read further", size(c.MaxReply), resp.StatusCode, bodyKind(resp))}
	}
	resp.Body = io.NopCloser(bytes.NewReader(respBody))
	c.remember(ex)
	if page, ok := htmlPage(resp.Header, respBody); ok {
		return nil, &NoReply{Exchange: ex, What: fmt.Sprintf("an HTML page, not the API's JSON: %d %s; a proxy or server in front of the target?", resp.StatusCode, page)}
	}
	fs := c.Spec.Inspect(req.Method, req.URL.EscapedPath(), reqBody, resp.StatusCode, resp.Header, respBody)
	if c.Judge != nil {
		if err := c.Judge(ex, fs); err != nil {
			return nil, err
		}
		return resp, nil
	}
	if len(fs) > 0 {
		return nil, &SpecError{Exchange: ex, Err: fs[0]}
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
	if e.Status == 0 {
		b.WriteString("< (no reply)\n")
		return b.String()
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
	const most = 2000
	if len(b) > most {
		return fmt.Sprintf("%s... (%d bytes in all)", b[:most], len(b))
	}
	return string(b)
}
