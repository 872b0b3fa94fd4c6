package mockserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/spacedog-oss/batchkit/internal/ring"
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
	Dropped     bool            `json:"dropped,omitempty"`  // a fault dropped the connection
	Request     json.RawMessage `json:"request,omitempty"`  // the body sent (see journalBody)
	Response    json.RawMessage `json:"response,omitempty"` // the body answered
	SubRequests []SubEntry      `json:"subRequests,omitempty"`
}

// SubEntry is a batch item in the journal.
type SubEntry struct {
	Index  int             `json:"index"`
	Method string          `json:"method"`
	Path   string          `json:"path"`
	Status int             `json:"status"`
	Fault  bool            `json:"fault,omitempty"` // a fault rule answered it
	Result json.RawMessage `json:"result,omitempty"`
}

// newEntry opens the journal entry of a direct request that came at start.
func newEntry(r *http.Request, start time.Time, defaultBackend string) Entry {
	return Entry{Time: start.UTC().Format(timeFormat), Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
		Backend: backendOf(publicHost(r), defaultBackend), User: userOf(r.Header)}
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

func (n *news) stop() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.stopped {
		n.stopped = true
		close(n.ch)
	}
}

// The long poll of the journal, for the page.

// MaxWait bounds a long poll of the journal: under the idle timeouts of
// proxies and browsers; the page asks again as soon as it is answered.
const MaxWait = 25 * time.Second

// JournalLastHeader, on every journal listing, is the number of the last
// request journaled: lower than a poll's since, the journal was cleared.
const JournalLastHeader = "X-Mock-Journal-Last"

// requests lists the journal, newest first. With ?since=N, only the
// requests after the N-th; with ?wait=DURATION too, when there are none
// yet, it waits up to then (MaxWait at most) for one: the page's live
// view, a long poll that needs neither a stream nor another dependency,
// and sends the admin token as any fetch does.
func (s *Server) requests(w http.ResponseWriter, r *http.Request) {
	since, wait, err := pollParams(r.URL.Query())
	if err != nil {
		failure(http.StatusBadRequest, "%v", err).write(w)
		return
	}
	// The news channel, then the number, then the list: no request is
	// missed in between (the list may hold some past the number).
	next := s.journal.news.next()
	last := s.journal.last()
	entries := s.journal.since(since)
	if len(entries) == 0 && wait > 0 && since <= last {
		// The server's write timeout runs from the headers: a minute to
		// answer once the wait is over. No deadline to move under a test's
		// recorder: nothing to do then.
		http.NewResponseController(w).SetWriteDeadline(time.Now().Add(wait + time.Minute))
		timer := time.NewTimer(wait)
		defer timer.Stop()
		select {
		case <-next:
		case <-timer.C:
		case <-r.Context().Done():
			return // the page went away
		}
		last = s.journal.last()
		entries = s.journal.since(since)
	}
	if since > last { // cleared since: all of it, the header tells the page
		entries = s.journal.list()
	}
	w.Header().Set(JournalLastHeader, strconv.FormatInt(last, 10))
	writeJSON(w, entries)
}

// pollParams reads ?since=N (0 by default) and ?wait=DURATION (none by
// default, MaxWait at most).
func pollParams(q url.Values) (since int64, wait time.Duration, err error) {
	if v := q.Get("since"); v != "" {
		if since, err = strconv.ParseInt(v, 10, 64); err != nil || since < 0 {
			return 0, 0, fmt.Errorf("query parameter since: [%s] is not a request number (0, 1, 2, ...)", v)
		}
	}
	if v := q.Get("wait"); v != "" {
		if wait, err = time.ParseDuration(v); err != nil || wait < 0 {
			return 0, 0, fmt.Errorf("query parameter wait: [%s] is not a duration such as 20s", v)
		}
	}
	return since, min(wait, MaxWait), nil
}

// StopWaiting answers the journal's long polls at once, now and from now
// on: an http.Server shutting down waits for its requests, and a page's
// poll would hold it up to MaxWait. Give it to http.Server.RegisterOnShutdown.
func (s *Server) StopWaiting() { s.journal.news.stop() }
