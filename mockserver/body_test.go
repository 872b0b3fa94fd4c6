package mockserver_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/spacedog-oss/batchkit/internal/subreq"
	"github.com/spacedog-oss/batchkit/mockserver"
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
				reply, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
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
		c.SetDeadline(time.Now().Add(time.Minute)) // bounds the test should the mock not answer
		fmt.Fprintf(c, "POST /1/batch HTTP/1.1\r\nHost: localhost\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n", 1<<20)
		// 100 Continue: the mock is reading the body.
		if resp, err := http.ReadResponse(bufio.NewReader(c), nil); err != nil || resp.StatusCode != http.StatusContinue {
			t.Fatalf("no 100 Continue: %v %v", resp, err)
		}
		c.Write([]byte("[" + strings.Repeat(" ", 1<<10-1)))
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
	req, _ := http.NewRequest("GET", "/1/data", nil)
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Errorf("GET /1/data with a nil body: %d %s", rec.Code, rec.Body)
	}
}
