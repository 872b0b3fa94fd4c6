package mockserver_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/spacedog-oss/batchkit/internal/subreq"
	"github.com/spacedog-oss/batchkit/mockserver"
)

func TestTheJournalListsRequestsNewestFirstWithBatchItems(t *testing.T) {
	m := newMock(t, mockserver.Config{JournalSize: 3})
	m.do("POST", "/1/data/thing?id=x", obj{})
	m.do("POST", "/1/batch?stopOnError=false", []any{subreq.Get("/1/data/thing/x"), subreq.Get("/1/data/thing/nope"), sub{"method": "GET"}})
	var entries []mockserver.Entry
	decode(t, m.do("GET", "/_mock/requests", nil).body, &entries)
	if len(entries) != 2 || entries[0].Path != "/1/batch" || entries[1].Path != "/1/data/thing" {
		t.Fatalf("journal: %+v", entries)
	}
	b := entries[0]
	if b.Status != 200 || b.Query != "stopOnError=false" || len(b.SubRequests) != 3 || b.DurationMs < 0 {
		t.Errorf("batch entry: %+v", b)
	}
	for i, want := range []int{200, 404, 400} {
		if s := b.SubRequests[i]; s.Index != i || s.Status != want {
			t.Errorf("item %d: %+v, want status %d", i, s, want)
		}
	}
	if b.SubRequests[0].Method != "GET" || b.SubRequests[0].Path != "/1/data/thing/x" {
		t.Errorf("item 0: %+v", b.SubRequests[0])
	}
	if !strings.Contains(string(b.SubRequests[1].Result), "not found") || !strings.Contains(string(b.Request), `"path":"/1/data/thing/nope"`) ||
		!strings.HasPrefix(string(b.Response), "[") {
		t.Errorf("bodies: request %s, response %s, item 1 %s", b.Request, b.Response, b.SubRequests[1].Result)
	}
	m.do("POST", "/1/data/thing", obj{"pad": strings.Repeat("x", 5000)})
	var big []mockserver.Entry
	decode(t, m.do("GET", "/_mock/requests", nil).body, &big)
	if req := string(big[0].Request); !strings.Contains(req, "bytes in all") || len(req) > 5000 {
		t.Errorf("a large body is kept whole in the journal: %d bytes", len(req))
	}
	for range 5 {
		m.do("GET", "/1/data", nil)
	}
	decode(t, m.do("GET", "/_mock/requests", nil).body, &entries)
	if len(entries) != 3 {
		t.Errorf("a journal of size 3 holds %d", len(entries))
	}
	m.do("DELETE", "/_mock/requests", nil)
	decode(t, m.do("GET", "/_mock/requests", nil).body, &entries)
	if len(entries) != 0 {
		t.Errorf("after DELETE: %d entries", len(entries))
	}
}

func decode(t *testing.T, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%v: %s", err, data)
	}
}

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
