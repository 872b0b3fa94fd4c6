package mockserver

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spacedog-oss/batchkit/internal/ring"
	"github.com/spacedog-oss/batchkit/mockserver/internal/rawjson"
	"github.com/spacedog-oss/batchkit/spec"
)

// The journal: the last requests, each with its body, its reply and, for a
// batch, its items, listed at /_mock/requests; and its news, which answers
// the page's long polls as soon as a request is journaled.

// Entry is one request in the journal: a direct request, and for a batch
// its sub-requests as children.
type Entry struct {
	ID          int64           `json:"id"`
	Time        string          `json:"time"`
	Method      string          `json:"method"`
	Path        string          `json:"path"`
	Query       string          `json:"query,omitempty"`
	Backend     string          `json:"backend"`
	User        string          `json:"user"`
	Status      int             `json:"status"`
	DurationMs  float64         `json:"durationMs"`
	Dropped     bool            `json:"dropped,omitempty"`   // a fault dropped the connection
	Fault       bool            `json:"fault,omitempty"`     // a fault rule answered it
	FaultRule   int64           `json:"faultRule,omitempty"` // the fault rule that applied: answered, delayed or dropped it
	Refused     *Refusal        `json:"refused,omitempty"`   // the mock refused it, or the browser will hide its reply (access.go)
	Request     json.RawMessage `json:"request,omitempty"`   // the body sent (see journalBody)
	Response    json.RawMessage `json:"response,omitempty"`  // the body answered
	SubRequests []SubEntry      `json:"subRequests,omitempty"`
}

// SubEntry is a batch item in the journal: one that ran, one that is not a
// request (Malformed), or one the batch never ran (NotRun says why). Each
// item of a batch that ran, or that a fault answered whole, has one.
type SubEntry struct {
	Index     int             `json:"index"`
	Method    string          `json:"method"`          // as written, when a malformed or unrun item has one
	Path      string          `json:"path"`            // without its query
	Query     string          `json:"query,omitempty"` // the item's query, its parameters laid over it
	Status    int             `json:"status"`          // 0: it did not run
	Fault     bool            `json:"fault,omitempty"` // a fault rule answered it
	FaultRule int64           `json:"faultRule,omitempty"`
	Malformed bool            `json:"malformed,omitempty"` // not a request: its result says why
	NotRun    string          `json:"notRun,omitempty"`    // why the batch did not run it
	Request   json.RawMessage `json:"request,omitempty"`   // a malformed or unrun item as written
	Result    json.RawMessage `json:"result,omitempty"`
}

// newEntry opens the journal entry of a direct request that came at start.
// A Host that names no valid backend has none.
func newEntry(r *http.Request, start time.Time, defaultBackend string) Entry {
	backend, err := backendOf(publicHost(r), defaultBackend)
	if err != nil {
		backend = ""
	}
	return Entry{Time: start.UTC().Format(timeFormat), Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
		Backend: backend, User: userOf(r.Header)}
}

// journal keeps the last requests, newest first when listed, and tells
// those waiting for news (the page's long polls) of each one.
type journal struct {
	ring *ring.Ring[Entry]
	news *news
}

func newJournal(size int) journal { return journal{ring.New[Entry](size), newNews()} }

func (j journal) add(e Entry) {
	j.ring.Add(e)
	j.news.announce()
}

func (j journal) list() []Entry { return j.since(0) }

// since lists the requests numbered after n, newest first.
func (j journal) since(n int64) []Entry {
	items := j.ring.Items()
	out := make([]Entry, 0, len(items))
	for i := len(items) - 1; i >= 0 && items[i].N > n; i-- {
		it := items[i]
		it.V.ID = it.N
		out = append(out, it.V)
	}
	return out
}

// last is the number of the last request journaled, 0 after a clear.
func (j journal) last() int64 { return j.ring.Added() }

// clear forgets the requests; IDs start again from 1.
func (j journal) clear() {
	j.ring.Reset()
	j.news.announce()
}

func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// journalMax bounds each body the journal keeps: it holds up to
// --journal-size requests, and bodies may be large.
const journalMax = 4 << 10

// journalBody is a body as the journal shows it: the JSON itself when it is
// JSON and small, else a string of its beginning and its size. Bodies are
// never modified once made, so the journal shares them. The mock's own
// bodies are JSON by construction; a client's are checked.
func journalBody(b []byte, ours bool) json.RawMessage {
	switch {
	case len(b) == 0:
		return nil
	case len(b) <= journalMax && (ours || json.Valid(b)):
		return b
	}
	s := string(b[:min(len(b), journalMax)])
	if len(b) > journalMax {
		s += fmt.Sprintf("... (%d bytes in all)", len(b))
	}
	return encode(s)
}

// news wakes whoever waits for the journal's next change: each waiter
// holds the channel of the moment it looked, closed by the next change.
// Once stopped, no one waits any more: a server shutting down must not
// be held by long polls.
type news struct {
	mu      sync.Mutex
	ch      chan struct{}
	stopped bool
}

func newNews() *news { return &news{ch: make(chan struct{})} }

// next is closed at the next change, or at once when stopped.
func (n *news) next() <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.ch
}

func (n *news) announce() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.stopped {
		close(n.ch)
		n.ch = make(chan struct{})
	}
}

// ended reports whether no one waits any more.
func (n *news) ended() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.stopped
}

func (n *news) stop() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.stopped {
		n.stopped = true
		close(n.ch)
	}
}

// Reading the journal: the page's long poll, and a test's queries.

// MaxWait bounds a long poll of the journal: under the idle timeouts of
// proxies and browsers; the page asks again as soon as it is answered.
const MaxWait = 25 * time.Second

// JournalLastHeader, on every journal listing, is the number of the last
// request journaled: lower than a poll's since, the journal was cleared.
const JournalLastHeader = "X-Mock-Journal-Last"

// requests lists the journal, newest first: the requests that match the
// query's filters (filterOf), all of them without one. With ?since=N,
// only the requests after the N-th; with ?wait=DURATION too, when none
// matches yet, it waits up to then (MaxWait at most) for one: the page's
// live view, and a test's "wait until the app sent it", a long poll that
// needs neither a stream nor another dependency, and sends the admin
// token as any fetch does.
func (s *Server) requests(w http.ResponseWriter, r *http.Request) {
	f, wait, err := filterOf(r.URL.Query(), true)
	if err != nil {
		failure(http.StatusBadRequest, "%v", err).write(w)
		return
	}
	// The news channel, then the number, then the list: no request is
	// missed in between (the list may hold some past the number).
	next := s.journal.news.next()
	last := s.journal.last()
	entries := f.entries(s.journal.since(f.since))
	if len(entries) == 0 && wait > 0 && f.since <= last {
		// The server's write timeout runs from the headers: a minute to
		// answer once the wait is over. No deadline to move under a test's
		// recorder: nothing to do then.
		http.NewResponseController(w).SetWriteDeadline(time.Now().Add(wait + time.Minute))
		timer := time.NewTimer(wait)
		defer timer.Stop()
		for over := false; len(entries) == 0 && f.since <= last && !over; {
			select {
			case <-next:
			case <-timer.C:
				over = true // this list is the answer
			case <-r.Context().Done():
				return // the page went away
			}
			next = s.journal.news.next()
			last = s.journal.last()
			entries = f.entries(s.journal.since(f.since))
			over = over || s.journal.news.ended()
		}
	}
	if f.since > last { // cleared since: all of it, the header tells the page
		entries = f.entries(s.journal.list())
	}
	w.Header().Set(JournalLastHeader, strconv.FormatInt(last, 10))
	writeJSON(w, entries)
}

// countRequests answers {"count": N}: the requests of the journal that
// match the query's filters, a batch and each of its items counted as one
// request each.
func (s *Server) countRequests(w http.ResponseWriter, r *http.Request) {
	f, _, err := filterOf(r.URL.Query(), false)
	if err != nil {
		failure(http.StatusBadRequest, "%v", err).write(w)
		return
	}
	last := s.journal.last()
	n := 0
	for _, e := range s.journal.since(f.since) {
		n += f.count(&e)
	}
	w.Header().Set(JournalLastHeader, strconv.FormatInt(last, 10))
	writeJSON(w, map[string]int{"count": n})
}

// filter selects requests of the journal: direct requests, batches, and
// batch items, each a request of its own. A batch is listed whole when it,
// or one of its items, matches.
type filter struct {
	since   int64
	method  string // any case
	path    string // a pattern of path.Match, on the path as routed (/v1/ is /1/)
	backend string
	status  int // a status: 404; or, with class, a class: 4 for 4xx
	class   bool
	text    string // in lower case: a part of the path, query, user, bodies or refusal
	any     bool   // one of the above is set
}

// filterParams are the query parameters of the journal, and what each takes.
var filterParams = map[string]string{
	"since": "a request number (0, 1, 2, ...)", "wait": "a duration such as 20s",
	"method": "a method", "path": "a path pattern such as /1/data/*", "backend": "a backend",
	"status": "a status such as 404, or a class such as 4xx", "text": "any text",
}

// filterOf reads the journal's query parameters: ?since=N (0 by default),
// ?wait=DURATION (none by default, MaxWait at most; a listing only), and
// the filters. An unknown parameter is an error: a typo must not match
// every request.
func filterOf(q url.Values, listing bool) (f filter, wait time.Duration, err error) {
	for name := range q {
		if _, ok := filterParams[name]; !ok || name == "wait" && !listing {
			known := slices.Sorted(maps.Keys(filterParams))
			if !listing {
				known = slices.DeleteFunc(known, func(n string) bool { return n == "wait" })
			}
			return f, 0, fmt.Errorf("query parameter %s: not one of the journal's: %s", name, strings.Join(known, ", "))
		}
	}
	bad := func(name, v string) error {
		return fmt.Errorf("query parameter %s: [%s] is not %s", name, v, filterParams[name])
	}
	if v := q.Get("since"); v != "" {
		if f.since, err = strconv.ParseInt(v, 10, 64); err != nil || f.since < 0 {
			return f, 0, bad("since", v)
		}
	}
	if v := q.Get("wait"); v != "" {
		if wait, err = time.ParseDuration(v); err != nil || wait < 0 {
			return f, 0, bad("wait", v)
		}
	}
	f.method, f.backend, f.text = q.Get("method"), q.Get("backend"), strings.ToLower(q.Get("text"))
	if f.path = q.Get("path"); f.path != "" {
		if _, err := path.Match(f.path, ""); err != nil || !strings.HasPrefix(f.path, "/") {
			return f, 0, bad("path", f.path)
		}
		f.path = spec.NormalizePath(f.path)
	}
	if v := strings.ToLower(q.Get("status")); v != "" {
		if f.class = strings.HasSuffix(v, "xx"); f.class {
			v = strings.TrimSuffix(v, "xx")
		}
		n, err := strconv.Atoi(v)
		if err != nil || v[0] == '+' || f.class && (n < 1 || n > 5) || !f.class && (n < 100 || n > 599) {
			return f, 0, bad("status", q.Get("status"))
		}
		f.status = n
	}
	f.any = f.method != "" || f.path != "" || f.backend != "" || f.status != 0 || f.text != ""
	return f, min(wait, MaxWait), nil
}

// entries are those that hold a request the filter selects.
func (f filter) entries(all []Entry) []Entry {
	if !f.any {
		return all
	}
	return slices.DeleteFunc(all, func(e Entry) bool { return f.count(&e) == 0 })
}

// count is how many requests of an entry the filter selects: the entry
// itself, and each of its items.
func (f filter) count(e *Entry) int {
	if f.backend != "" && e.Backend != f.backend {
		return 0 // an item's backend is its batch's
	}
	n := 0
	if f.matches(e.Method, e.Path, e.Status) && (f.text == "" || f.hasText(e.Path, e.Query, e.User, string(e.Request), string(e.Response), e.refusal())) {
		n++
	}
	var sent [][]byte // the items as sent, when the journal kept the batch's body whole
	if f.text != "" && len(e.SubRequests) > 0 {
		sent = rawjson.Elements(e.Request)
	}
	for i := range e.SubRequests {
		sub := &e.SubRequests[i]
		written := sub.Request
		if written == nil && sub.Index < len(sent) {
			written = sent[sub.Index]
		}
		if f.matches(sub.Method, sub.Path, sub.Status) && (f.text == "" || f.hasText(sub.Path, sub.Query, sub.NotRun, string(written), string(sub.Result))) {
			n++
		}
	}
	return n
}

func (f filter) matches(method, p string, status int) bool {
	if f.method != "" && !strings.EqualFold(f.method, method) {
		return false
	}
	if f.path != "" {
		if ok, _ := path.Match(f.path, spec.NormalizePath(p)); !ok {
			return false
		}
	}
	switch {
	case f.status == 0:
	case f.class && status/100 != f.status, !f.class && status != f.status:
		return false
	}
	return true
}

// hasText reports whether one of the parts holds the text.
func (f filter) hasText(parts ...string) bool {
	for _, p := range parts {
		if strings.Contains(strings.ToLower(p), f.text) {
			return true
		}
	}
	return false
}

// refusal is the text of an entry's refusal, for the text filter.
func (e *Entry) refusal() string {
	if e.Refused == nil {
		return ""
	}
	return e.Refused.Reason + " " + e.Refused.Allow
}

// StopWaiting answers the journal's long polls at once, now and from now
// on: an http.Server shutting down waits for its requests, and a page's
// poll would hold it up to MaxWait. Give it to http.Server.RegisterOnShutdown.
func (s *Server) StopWaiting() { s.journal.news.stop() }
