package mockserver_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spacedog-oss/batchkit/internal/subreq"
	"github.com/spacedog-oss/batchkit/mockserver"
	"github.com/spacedog-oss/batchkit/mockserver/internal/wal"
)

// A body is read whole whatever its size around the reader's 16 KiB
// chunks, whether the client says its length or sends it chunked, up to
// the limit exactly, and one byte more is a 413.
func TestBodiesOfEverySizeAreReadWholeUpToTheLimit(t *testing.T) {
	const limit = 64<<10 + 3
	m := newMock(t, mockserver.Config{MaxBody: limit})
	for _, size := range []int{len(`{"pad":""}`), 16<<10 - 1, 16 << 10, 16<<10 + 1, 32 << 10, 48<<10 + 5, limit, limit + 1} {
		for _, chunked := range []bool{false, true} {
			t.Run(fmt.Sprintf("%d bytes, chunked %v", size, chunked), func(t *testing.T) {
				pad := strings.Repeat("x", size-len(`{"pad":""}`))
				id := fmt.Sprintf("s%dc%v", size, chunked)
				req, err := http.NewRequest("POST", m.url+"/1/data/thing?id="+id, strings.NewReader(`{"pad":"`+pad+`"}`))
				if err != nil {
					t.Fatal(err)
				}
				if chunked {
					req.ContentLength = -1 // no length said: net/http sends it chunked
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				reply, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil {
					t.Fatal(err)
				}
				if size > limit {
					if resp.StatusCode != http.StatusRequestEntityTooLarge {
						t.Errorf("%d bytes over a limit of %d: %d %s", size, limit, resp.StatusCode, reply)
					}
					return
				}
				if resp.StatusCode >= 300 {
					t.Fatalf("create: %d %s", resp.StatusCode, reply)
				}
				got := m.do("GET", "/1/data/thing/"+id, nil)
				if !strings.Contains(string(got.body), `"pad":"`+pad+`"`) {
					t.Errorf("the object does not hold the %d bytes sent: %.100s", size, got.body)
				}
			})
		}
	}
}

// slowBodiesBound is what 300 bodies that announce 1 MiB and have sent 1
// KiB may hold of the heap, with their connections, both ends in this
// process: about 12 KiB each (a 4 KiB chunk, net/http's buffers), and
// room; announced, they are 300 MiB.
const slowBodiesBound = 16 << 20

// A body costs what has arrived of it, not what its client announced:
// hundreds of clients that announce 1 MiB and trickle hold little of the
// heap, and a normal request is served meanwhile.
func TestSlowBodiesHoldWhatTheySentNotWhatTheyAnnounced(t *testing.T) {
	m := newMock(t, mockserver.Config{})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range 300 {
		c, err := net.Dial("tcp", strings.TrimPrefix(m.url, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		if err := c.SetDeadline(time.Now().Add(time.Minute)); err != nil { // bounds the test should the mock not answer
			t.Fatal(err)
		}
		if _, err := fmt.Fprintf(c, "POST /1/batch HTTP/1.1\r\nHost: localhost\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n", 1<<20); err != nil {
			t.Fatal(err)
		}
		// 100 Continue: the mock is reading the body.
		if resp, err := http.ReadResponse(bufio.NewReader(c), nil); err != nil || resp.StatusCode != http.StatusContinue {
			t.Fatalf("no 100 Continue: %v %v", resp, err)
		}
		if _, err := c.Write([]byte("[" + strings.Repeat(" ", 1<<10-1))); err != nil {
			t.Fatalf("the first KiB of a slow body: %v", err)
		}
	}
	if r := m.batch("", subreq.Get("/1/data")); r.status != 200 {
		t.Errorf("a batch beside 300 slow bodies: %d %s", r.status, r.body)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("300 bodies announcing 1 MiB, 1 KiB sent: %d KiB more heap", grown>>10)
	if grown > slowBodiesBound {
		t.Errorf("300 bodies announcing 1 MiB, 1 KiB sent, hold %d KiB of heap, over %d KiB", grown>>10, slowBodiesBound>>10)
	}
}

// A request made in process with no body, as http.NewRequest makes it,
// is served like one with an empty body.
func TestARequestWithoutABodyIsServed(t *testing.T) {
	srv, err := mockserver.New(mockserver.Config{})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest("GET", "/1/data", nil)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Errorf("GET /1/data with a nil body: %d %s", rec.Code, rec.Body)
	}
}

// A mock that logs its changes replays to the same data from its log.
func TestALoggedMockReplaysToTheSameData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.log")
	log, _, _, err := wal.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	m := newMock(t, deterministic())
	m.srv.LogTo(log)
	m.do("POST", "/1/data/t?id=a", obj{"n": 1})
	m.batch("", subreq.Post("/1/data/t", obj{"n": 2}), subreq.Put("/1/data/t/a", obj{"m": 3}), subreq.Post("/1/data/u?id=b", obj{}), subreq.Delete("/1/data/u/b"))
	m.doHost("shop.localhost", "POST", "/1/data/s?id=c", obj{"x": "<y>"})
	m.do("PUT", "/1/data/t/a?strict=true", obj{"only": true})
	m.do("POST", "/_mock/reset?backend=shop", nil)
	m.doHost("shop.localhost", "POST", "/1/data/s?id=d", obj{})
	if err := log.Close(); err != nil {
		t.Fatal(err)
	}

	_, records, _, err := wal.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	twin := newMock(t, mockserver.Config{})
	if err := twin.srv.Replay(records); err != nil {
		t.Fatal(err)
	}
	if got, want := twin.srv.State(""), m.srv.State(""); !reflect.DeepEqual(got, want) {
		t.Errorf("replayed:\n%s\nwant:\n%s", mustJSON(t, got), mustJSON(t, want))
	}
	if err := twin.srv.Replay([][]byte{[]byte(`{"op":"put","backend":"x","type":"t","object":[]}`)}); err == nil {
		t.Error("a record whose object is not one was replayed")
	}
}

// failingLog loses every sync: a write must then not be acknowledged.
type failingLog struct{ n int64 }

func (l *failingLog) Append([]byte) int64 { l.n++; return l.n }
func (l *failingLog) End() int64          { return l.n }
func (l *failingLog) Sync(int64) error    { return errors.New("disk full") }

func TestAWriteThatDoesNotReachTheDiskIsNotAcknowledged(t *testing.T) {
	m := newMock(t, mockserver.Config{})
	m.srv.LogTo(&failingLog{})
	r := m.do("POST", "/1/data/t?id=a", obj{})
	if msg := assertEnvelope(t, r.json(t), 500); msg == "" {
		t.Errorf("%d %s", r.status, r.body)
	}
	if r := m.do("GET", "/1/data/t/a", nil); r.status != 200 {
		t.Errorf("a read needs no sync: %d", r.status)
	}
}

func TestLatencyIsAddedToEveryAPIResponse(t *testing.T) {
	l, err := mockserver.ParseLatency("20ms-40ms")
	if err != nil || l.Min != 20*time.Millisecond || l.Max != 40*time.Millisecond {
		t.Fatalf("ParseLatency: %v %v", l, err)
	}
	for _, bad := range []string{"fast", "40ms-20ms", "-5ms", "2h"} {
		if _, err := mockserver.ParseLatency(bad); err == nil {
			t.Errorf("ParseLatency(%q) took it", bad)
		}
	}
	m := newMock(t, mockserver.Config{Latency: l})
	start := time.Now()
	m.do("GET", "/1/data", nil)
	if time.Since(start) < 20*time.Millisecond {
		t.Error("no latency added")
	}
}

func TestOneLogLinePerRequestWithSubRequestStatuses(t *testing.T) {
	var mu sync.Mutex
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&lockedWriter{mu: &mu, w: &buf}, nil))
	m := newMock(t, mockserver.Config{Logger: logger})
	m.do("POST", "/1/batch", []any{subreq.Get("/1/data/t/x"), sub{"method": "GET"}})
	m.do("GET", "/1/data", nil)
	mu.Lock()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	mu.Unlock()
	if len(lines) != 2 {
		t.Fatalf("%d lines: %q", len(lines), lines)
	}
	var first map[string]any
	decode(t, []byte(lines[0]), &first)
	if first["path"] != "/1/batch" || first["status"] != float64(200) || first["subStatuses"] == nil {
		t.Errorf("batch line: %v", first)
	}
	if s := first["subStatuses"].([]any); s[0] != float64(404) || s[1] != float64(400) {
		t.Errorf("sub statuses %v", s)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
