package mockserver_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/spacedog-oss/batchkit/mockserver"
)

// The page's live view: a long poll of the journal with ?since and ?wait.
func TestAJournalPollIsAnsweredByTheNextRequest(t *testing.T) {
	m := newMock(t, mockserver.Config{})
	m.do("GET", "/1/data", nil)
	first := m.do("GET", "/_mock/requests?since=0", nil)
	if first.header.Get(mockserver.JournalLastHeader) != "1" || len(first.json(t).([]any)) != 1 {
		t.Fatalf("the journal of one request: %s %v", first.body, first.header)
	}
	polled := make(chan reply, 1)
	go func() { polled <- m.do("GET", "/_mock/requests?since=1&wait=25s", nil) }()
	m.batch("", obj{"method": "GET", "path": "/1/data/thing/none"})
	r := <-polled
	entries := r.json(t).([]any)
	if r.status != 200 || len(entries) != 1 || entries[0].(obj)["path"] != "/1/batch" || r.header.Get(mockserver.JournalLastHeader) != "2" {
		t.Fatalf("the poll answered %d %v: %s", r.status, r.header, r.body)
	}
}

func TestAJournalPollWithNoNewsAnswersEmptyAtItsEnd(t *testing.T) {
	m := newMock(t, mockserver.Config{})
	m.do("GET", "/1/data", nil)
	if r := m.do("GET", "/_mock/requests?since=1&wait=1ms", nil); r.status != 200 || string(r.body) != "[]" {
		t.Errorf("a poll with no news: %d %s", r.status, r.body)
	}
}

func TestAJournalPollAfterAClearGetsAllAndTheLowerNumber(t *testing.T) {
	m := newMock(t, mockserver.Config{})
	for range 3 {
		m.do("GET", "/1/data", nil)
	}
	m.do("DELETE", "/_mock/requests", nil)
	m.do("GET", "/1/data/thing", nil)
	r := m.do("GET", "/_mock/requests?since=3&wait=25s", nil) // answered at once: the page must start again
	if r.header.Get(mockserver.JournalLastHeader) != "1" || len(r.json(t).([]any)) != 1 {
		t.Errorf("a poll past a clear: %v %s", r.header, r.body)
	}
}

func TestAStoppedMockAnswersItsPollsAtOnce(t *testing.T) {
	m := newMock(t, mockserver.Config{})
	polled := make(chan reply, 1)
	go func() { polled <- m.do("GET", "/_mock/requests?since=0&wait=25s", nil) }()
	m.srv.StopWaiting() // before or after the poll began waiting: either way it ends
	if r := <-polled; r.status != 200 || string(r.body) != "[]" {
		t.Errorf("a poll of a stopped mock: %d %s", r.status, r.body)
	}
	if r := m.do("GET", "/_mock/requests?since=0&wait=25s", nil); string(r.body) != "[]" {
		t.Errorf("a poll after the stop: %s", r.body)
	}
}

func TestABadJournalPollIsA400NamingTheParameter(t *testing.T) {
	m := newMock(t, mockserver.Config{})
	for _, q := range []string{"since=-1", "since=x", "wait=forever", "wait=-1s"} {
		r := m.do("GET", "/_mock/requests?"+q, nil)
		if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), q[:4]) {
			t.Errorf("?%s: %d %s", q, r.status, r.body)
		}
	}
}
