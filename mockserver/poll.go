package mockserver

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

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
