package mockserver_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spacedog-oss/batchkit/internal/subreq"
	"github.com/spacedog-oss/batchkit/mockserver"
	"github.com/spacedog-oss/batchkit/spec"
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

// A test asks the journal what its app sent: the requests that match,
// direct ones and batch items alike, and how many.
func TestTheJournalAnswersQueriesAndCountsBatchItemsIncluded(t *testing.T) {
	m := newMock(t, mockserver.Config{})
	m.do("POST", "/1/data/order?id=o1", obj{"total": 12})                                                                                           // 1
	m.batch("", subreq.Post("/1/data/order?id=o2", obj{"coupon": "SPRING"}), subreq.Get("/1/data/product/none"), subreq.Delete("/1/data/order/o1")) // 2
	m.doHost("shop.localhost", "POST", "/v1/data/order/", obj{"total": 3})                                                                          // 3
	m.do("GET", "/1/data/order/o2", nil)                                                                                                            // 4
	for q, want := range map[string]struct {
		ids   []int64
		count int
	}{
		"":                                 {[]int64{4, 3, 2, 1}, 7}, // 4 requests, 3 items
		"method=POST&path=/1/data/order":   {[]int64{3, 2, 1}, 3},    // the direct ones, the item, the legacy root
		"method=post&path=/1/data/*":       {[]int64{3, 2, 1}, 3},
		"method=DELETE":                    {[]int64{2}, 1},
		"path=/1/data/order/*":             {[]int64{4, 2}, 2},
		"path=/1/batch":                    {[]int64{2}, 1},
		"status=404":                       {[]int64{2}, 1},
		"status=2xx&path=/1/data/order/o2": {[]int64{4}, 1},
		"backend=shop":                     {[]int64{3}, 1},
		"backend=default&method=POST":      {[]int64{2, 1}, 3}, // the batch itself is a POST too
		"text=spring":                      {[]int64{4, 2}, 3}, // the batch's body, its item, and the read's reply
		"text=not+found":                   {[]int64{2}, 2},
		"since=2":                          {[]int64{4, 3}, 2},
		"since=1&method=DELETE":            {[]int64{2}, 1},
		"status=5xx":                       {nil, 0},
	} {
		var entries []mockserver.Entry
		r := m.do("GET", "/_mock/requests?"+q, nil)
		decode(t, r.body, &entries)
		var ids []int64
		for _, e := range entries {
			ids = append(ids, e.ID)
		}
		if !slices.Equal(ids, want.ids) || r.header.Get(mockserver.JournalLastHeader) != "4" {
			t.Errorf("?%s lists %v, want %v", q, ids, want.ids)
		}
		var count struct{ Count int }
		decode(t, m.do("GET", "/_mock/requests/count?"+q, nil).body, &count)
		if count.Count != want.count {
			t.Errorf("count?%s = %d, want %d", q, count.Count, want.count)
		}
	}
	for _, q := range []string{"methd=POST", "status=200x", "status=6xx", "status=4x", "path=1/data", "path=/1/[", "since=-1", "wait=forever"} {
		r := m.do("GET", "/_mock/requests?"+q, nil)
		name, _, _ := strings.Cut(q, "=")
		if r.status != 400 || !strings.Contains(assertEnvelope(t, r.json(t), 400), "query parameter "+name) {
			t.Errorf("?%s: %d %s", q, r.status, r.body)
		}
	}
	if r := m.do("GET", "/_mock/requests/count?wait=1s", nil); r.status != 400 {
		t.Errorf("a count that waits: %d %s", r.status, r.body)
	}
}

// A test waits for its app's request: a poll with a filter is answered by
// the first request that matches, not by another test's.
func TestAJournalPollWithAFilterWaitsForAMatchingRequest(t *testing.T) {
	m := newMock(t, mockserver.Config{})
	polled := make(chan reply, 1)
	go func() { polled <- m.do("GET", "/_mock/requests?since=0&wait=25s&method=DELETE", nil) }()
	for range 3 {
		m.do("GET", "/1/data", nil) // news the poll must not answer with
	}
	select {
	case r := <-polled:
		t.Fatalf("the poll was answered before a DELETE: %s", r.body)
	case <-time.After(100 * time.Millisecond):
	}
	m.batch("", subreq.Delete("/1/data/thing/x"))
	r := <-polled
	var entries []mockserver.Entry
	decode(t, r.body, &entries)
	if len(entries) != 1 || entries[0].ID != 4 || entries[0].Path != "/1/batch" {
		t.Errorf("the poll answered %s", r.body)
	}
	if r := m.do("GET", "/_mock/requests?since=4&wait=50ms&method=DELETE", nil); string(r.body) != "[]" {
		t.Errorf("a poll that met no match: %s", r.body)
	}
}

// Every item of a batch is in the journal: those that ran, those
// stopOnError left unrun, and malformed ones as they were written.
func TestTheJournalKeepsEveryItemOfABatch(t *testing.T) {
	for _, profile := range spec.Profiles() {
		m := newMock(t, mockserver.Config{Profile: profile})
		m.do("POST", "/1/batch?stopOnError=true", []any{
			subreq.Post("/1/data/t?id=a", obj{}),
			obj{"POST": "/v1/data/product", "body": obj{"name": "Mobby Dick"}}, // the reference page's own item
			subreq.Get("/1/data/t/a?x=1"),
			obj{"method": "DELETE"},
		})
		var entries []mockserver.Entry
		decode(t, m.do("GET", "/_mock/requests", nil).body, &entries)
		items := entries[0].SubRequests
		if len(items) != 4 {
			t.Fatalf("%s: items %+v", profile, items)
		}
		if it := items[0]; it.Status/100 != 2 || it.Malformed || it.NotRun != "" || it.Query != "id=a" {
			t.Errorf("%s: item 0 ran: %+v", profile, it)
		}
		if it := items[1]; it.Status != 400 || !it.Malformed || it.Method != "" || string(it.Request) != `{"POST":"/v1/data/product","body":{"name":"Mobby Dick"}}` ||
			!strings.Contains(string(it.Result), "field [method] is missing") {
			t.Errorf("%s: item 1, malformed, as written: %+v %s", profile, it, it.Request)
		}
		for i, want := range []string{"GET /1/data/t/a?x=1", "DELETE "} {
			it := items[2+i]
			if got := it.Method + " " + it.Path + query(it.Query); got != want || it.Status != 0 || it.NotRun != "stopOnError: item [1] failed, and the batch stopped there" {
				t.Errorf("%s: item %d, not run: %+v, want %s", profile, 2+i, it, want)
			}
		}
	}
}
