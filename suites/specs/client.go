package specs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/spacedog-oss/batchkit/spec"
	"github.com/spacedog-oss/batchkit/suites/internal/backends"
	"github.com/spacedog-oss/batchkit/suites/internal/config"
	"github.com/spacedog-oss/batchkit/suites/internal/exchange"
	"github.com/spacedog-oss/batchkit/suites/internal/summary"
)

// client talks to the target: every exchange goes through the spec checker,
// every request carries the batch caller's credentials unless told
// otherwise, and every type it uses is no one else's at the time (types).
type client struct {
	base     string
	http     *http.Client
	checker  *exchange.Checker
	cfg      config.Config
	wire     spec.Wire
	types    *runTypes
	prefix   string // starts every type of the process: its lane's, or random
	lastSeen atomic.Int64
	mark     atomic.Int64 // the last exchange before the running spec

	health   health
	findings findings
}

func newClient(base string, cfg config.Config) (*client, error) {
	sp, err := spec.LoadProfile(cfg.Profile)
	if err != nil {
		return nil, err
	}
	c := &client{
		wire: sp.Wire,
		base: strings.TrimSuffix(base, "/"),
		cfg:  cfg,
	}
	c.checker = &exchange.Checker{Spec: sp, Next: boundedTransport(cfg.RequestTimeout, base),
		Timeout: cfg.RequestTimeout, MaxReply: cfg.MaxReply, Judge: c.findings.judge}
	c.http = &http.Client{Transport: c.checker, CheckRedirect: sameHostRedirects}
	c.health.deadline = time.Now().Add(cfg.RunTimeout)
	if u, err := url.Parse(c.base); err == nil {
		c.health.own = u.Host
	}
	return c, nil
}

// boundedTransport is the default transport with each step bounded too,
// so that a step that hangs says which it was.
func boundedTransport(timeout time.Duration, target string) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = backends.Dial(&net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}, target) // *.localhost where the target is
	t.TLSHandshakeTimeout = timeout
	t.ResponseHeaderTimeout = timeout
	t.ExpectContinueTimeout = time.Second
	return t
}

// maxRedirects is the most redirects an exchange follows: the API
// redirects nothing, so a few is already a target's oddity.
const maxRedirects = 5

// sameHostRedirects follows a redirect on the target's own host only,
// and a few at most: a redirect elsewhere would send the suites'
// credentials and requests to a server no one asked to judge.
func sameHostRedirects(req *http.Request, via []*http.Request) error {
	first := via[0]
	if req.URL.Host != first.URL.Host || req.URL.Scheme != first.URL.Scheme {
		return fmt.Errorf("redirected to another host, not followed: %s %s answered %d to %s",
			first.Method, first.URL.RequestURI(), req.Response.StatusCode, req.URL.Redacted())
	}
	for _, v := range via {
		if v.URL.String() == req.URL.String() {
			return fmt.Errorf("a redirect loop: %s %s came back to %s after %d redirects", first.Method, first.URL.RequestURI(), req.URL.RequestURI(), len(via))
		}
	}
	if len(via) >= maxRedirects {
		return fmt.Errorf("more than %d redirects from %s %s, the last to %s", maxRedirects, first.Method, first.URL.RequestURI(), req.URL.RequestURI())
	}
	return nil
}

// do sends a request as the batch caller; body is JSON-encoded unless it
// is []byte. It fails the spec on a transport error or a spec violation.
func (c *client) do(method, path string, body any) reply {
	GinkgoHelper()
	return c.as(c.cfg.Username, c.cfg.Password, method, path, body)
}

// as sends a request with other credentials (none when user is "").
func (c *client) as(user, password, method, path string, body any) reply {
	GinkgoHelper()
	r, err := c.send(method, path, body, user, password)
	c.failOn(err)
	return r
}

// failOn fails the spec on an exchange's error, in the wire's terms.
func (c *client) failOn(err error) {
	GinkgoHelper()
	if err == nil {
		return
	}
	var nr *exchange.NoReply
	var v *exchange.SpecError
	var ns errNotSent
	switch {
	case errors.As(err, &ns):
		Skip(summary.NotRunPrefix + ns.why)
	// Through failOrNote, as Gomega's failures: in a SHOULD rule's spec a
	// reply the document does not describe is that rule not met.
	case errors.As(err, &nr), errors.As(err, &v):
		failOrNote(strings.TrimPrefix(err.Error(), "the target broke the spec: "))
	default:
		failOrNote(err.Error())
	}
}

// raw sends a request whose target is written on the request line as
// given, unescaped, as a hand-made client would send it.
func (c *client) raw(method, requestURI string) reply {
	GinkgoHelper()
	req, err := http.NewRequest(method, c.base+"/", nil)
	Expect(err).NotTo(HaveOccurred())
	req.URL.Opaque = strings.TrimSuffix(req.URL.Path, "/") + requestURI
	req.URL.Path = req.URL.Opaque // for the spec checker, which routes it
	req.SetBasicAuth(c.cfg.Username, c.cfg.Password)
	return c.exchange(req)
}

func (c *client) exchange(req *http.Request) reply {
	GinkgoHelper()
	r, err := c.do1(req)
	c.failOn(err)
	return r
}

// do1 sends one request, unless the target is taken as down, and reads
// the reply, which the checker has already read whole within its bounds.
func (c *client) do1(req *http.Request) (reply, error) {
	if down := c.health.down(req); down != "" {
		return reply{}, errNotSent{down}
	}
	ctx, cancel := context.WithDeadline(req.Context(), c.health.deadline)
	defer cancel()
	resp, err := c.http.Do(req.WithContext(ctx))
	if err != nil {
		if time.Now().After(c.health.deadline) {
			// The run's end, not the target's doing: the spec is not run.
			return reply{}, errNotSent{fmt.Sprintf("the run's deadline passed (--run-timeout=%s) while %s %s waited for its reply",
				c.cfg.RunTimeout, req.Method, req.URL.RequestURI())}
		}
		c.health.note(req, err)
		return reply{}, unwrapURLError(err)
	}
	c.health.note(req, nil)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return reply{Status: resp.StatusCode, Header: resp.Header, Body: b}, err
}

// unwrapURLError drops the *url.Error around the client's errors, whose
// "Post \"http://...\":" repeats what ours say in the wire's terms.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		var nr *exchange.NoReply
		var v *exchange.SpecError
		if errors.As(ue.Err, &nr) || errors.As(ue.Err, &v) {
			return ue.Err
		}
		return fmt.Errorf("%s %s: %w", ue.Op, ue.URL, ue.Err)
	}
	return err
}

func (c *client) send(method, path string, body any, user, password string) (reply, error) {
	return c.sendAt(c.base, method, path, body, user, password)
}

// sendAt sends a request to base, the target's own or one of its backends'.
func (c *client) sendAt(base, method, path string, body any, user, password string) (reply, error) {
	var data []byte
	switch b := body.(type) {
	case nil:
	case []byte:
		data = b
	default:
		var err error
		if data, err = json.Marshal(b); err != nil {
			return reply{}, err
		}
	}
	var rd io.Reader
	if data != nil {
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		return reply{}, err
	}
	if data != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	return c.do1(req)
}

// batch posts the items as the batch caller; query is the query string.
// Its reply knows the items, to read the results as the items' own.
func (c *client) batch(query string, items ...any) batchReply {
	GinkgoHelper()
	if items == nil {
		items = []any{}
	}
	path := "/1/batch"
	if query != "" {
		path += "?" + query
	}
	return batchReply{reply: c.do("POST", path, items), items: items}
}

// at is the client of one of the target's backends (package backends):
// the same checks, credentials and bounds, sent to the backend's host.
func (c *client) at(base string) backendClient { return backendClient{c: c, base: base} }

// backendClient sends to one backend of the target, as the batch caller.
type backendClient struct {
	c    *client
	base string
}

func (b backendClient) do(method, path string, body any) reply {
	GinkgoHelper()
	r, err := b.c.sendAt(b.base, method, path, body, b.c.cfg.Username, b.c.cfg.Password)
	b.c.failOn(err)
	return r
}

func (b backendClient) batch(query string, items ...any) batchReply {
	GinkgoHelper()
	path := "/1/batch"
	if query != "" {
		path += "?" + query
	}
	return batchReply{reply: b.do("POST", path, items), items: items}
}

// requestsSinceLast counts the requests since its last call.
func (c *client) requestsSinceLast() int64 {
	now := c.checker.Count()
	return now - c.lastSeen.Swap(now)
}

// markSpecStart notes where the running spec's exchanges begin, and
// starts its types from the first.
func (c *client) markSpecStart() {
	c.mark.Store(c.checker.Count())
	c.types.startSpec()
}

// seed stores an object for a spec to work on. Setting up judges nothing:
// a refusal stops the spec as not set up.
func seed(typ, id string, fields obj) {
	GinkgoHelper()
	r := target.do("POST", "/1/data/"+typ+"?id="+id, fields)
	Expect(r.Status).To(BeNumerically("<", 300), "setting up: creating %s/%s answered %d: %s", typ, id, r.Status, r.Body)
}
