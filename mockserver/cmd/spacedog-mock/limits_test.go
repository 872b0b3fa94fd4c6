package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spacedog-oss/batchkit/internal/testtool"
)

func TestTheLimitsFlagsAndTheirDefaults(t *testing.T) {
	defaults := connLimits{maxConns: 512, maxHeaderBytes: 64 << 10, headerTimeout: 10 * time.Second,
		bodyTimeout: 155 * time.Second, minBodyRate: 7000, writeTimeout: 3 * time.Minute, idleTimeout: 2 * time.Minute}
	with := func(change func(*connLimits)) connLimits {
		c := defaults
		change(&c)
		return c
	}
	given := connLimits{9, 1000, time.Second, 2 * time.Second, 5, 3 * time.Second, 4 * time.Second}
	for _, tc := range []struct {
		name    string
		args    []string
		env     map[string]string
		want    connLimits
		wantErr string
	}{
		{name: "defaults", want: defaults},
		{name: "the body timeout follows the body limit", args: []string{"--max-body", "70000"},
			want: with(func(c *connLimits) { c.bodyTimeout = 15 * time.Second })},
		{name: "a body timeout given wins", args: []string{"--max-body", "70000", "--body-timeout", "2s"},
			want: with(func(c *connLimits) { c.bodyTimeout = 2 * time.Second })},
		{name: "a huge body limit", args: []string{"--max-body", "9223372036854775807"},
			want: with(func(c *connLimits) { c.bodyTimeout = 24*time.Hour + 5*time.Second })},
		{name: "any pace", args: []string{"--min-body-rate", "0"}, want: with(func(c *connLimits) { c.minBodyRate = 0 })},
		{name: "flags", args: []string{"--max-conns", "9", "--max-header-bytes", "1000", "--read-header-timeout", "1s",
			"--body-timeout", "2s", "--min-body-rate", "5", "--write-timeout", "3s", "--idle-timeout", "4s"}, want: given},
		{name: "environment", env: map[string]string{"SPACEDOG_MOCK_MAX_CONNS": "9", "SPACEDOG_MOCK_MAX_HEADER_BYTES": "1000",
			"SPACEDOG_MOCK_READ_HEADER_TIMEOUT": "1s", "SPACEDOG_MOCK_BODY_TIMEOUT": "2s", "SPACEDOG_MOCK_MIN_BODY_RATE": "5",
			"SPACEDOG_MOCK_WRITE_TIMEOUT": "3s", "SPACEDOG_MOCK_IDLE_TIMEOUT": "4s"}, want: given},
		{name: "no connection", args: []string{"--max-conns", "0"}, wantErr: "--max-conns must be at least 1"},
		{name: "no header", args: []string{"--max-header-bytes", "0"}, wantErr: "--max-header-bytes must be at least 1"},
		{name: "a negative body timeout", args: []string{"--body-timeout", "-1s"}, wantErr: "--body-timeout must not be negative"},
		{name: "a negative pace", args: []string{"--min-body-rate", "-1"}, wantErr: "--min-body-rate must not be negative"},
		{name: "no write time", env: map[string]string{"SPACEDOG_MOCK_WRITE_TIMEOUT": "0s"}, wantErr: "--write-timeout must be more than 0"},
		{name: "no idle time", args: []string{"--idle-timeout", "0"}, wantErr: "--idle-timeout must be more than 0"},
		{name: "no header time", args: []string{"--read-header-timeout", "-1s"}, wantErr: "--read-header-timeout must be more than 0"},
		{name: "not a duration", args: []string{"--body-timeout", "soon"}, wantErr: "invalid value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parse(tc.args, env(tc.env), io.Discard)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one saying %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.conns != tc.want {
				t.Errorf("got %+v, want %+v", got.conns, tc.want)
			}
		})
	}
}

// rss is the process's resident memory, from /proc.
func rss(t *testing.T, pid int) int64 {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		testtool.Missing(t, fmt.Sprintf("no /proc to read the resident memory from: %v", err))
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmRSS in /proc/PID/status")
	return 0
}

// dial opens a connection to the mock, with a deadline that bounds the
// test should the mock never answer.
func (r *running) dial() (net.Conn, *bufio.Reader) {
	r.t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(r.url, "http://"))
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { c.Close() })
	if err := c.SetDeadline(time.Now().Add(60 * time.Second)); err != nil {
		r.t.Fatal(err)
	}
	return c, bufio.NewReader(c)
}

// send writes s on c: a request the mock never got would let a test of
// what the mock does with it pass for nothing.
func send(t *testing.T, c net.Conn, s string) {
	t.Helper()
	if _, err := io.WriteString(c, s); err != nil {
		t.Fatalf("sending to the mock: %v", err)
	}
}

// slowBody sends a batch's headers announcing size bytes, waits until the
// mock reads the body (it says 100 Continue then), and sends some of it.
func (r *running) slowBody(size, sent int) net.Conn {
	r.t.Helper()
	c, br := r.dial()
	send(r.t, c, fmt.Sprintf("POST /1/batch HTTP/1.1\r\nHost: localhost\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n", size))
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusContinue {
		r.t.Fatalf("no 100 Continue: %v %v", resp, err)
	}
	send(r.t, c, "["+strings.Repeat(" ", sent-1))
	return c
}

// idle makes a request on a new connection and keeps it open, idle.
func (r *running) idle() net.Conn {
	r.t.Helper()
	c, br := r.dial()
	send(r.t, c, "GET /_mock/health HTTP/1.1\r\nHost: localhost\r\n\r\n")
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 200 {
		r.t.Fatalf("GET /_mock/health: %v %v", resp, err)
	}
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		r.t.Fatalf("GET /_mock/health: %v", err)
	}
	resp.Body.Close()
	return c
}

// aBatch leaves the store as it was: the RSS measured is the clients'.
const aBatch = `[{"method":"POST","path":"/1/data/thing?id=a","content":{"n":1}},{"method":"GET","path":"/1/data/thing"},{"method":"DELETE","path":"/1/data/thing/a"}]`

// serve sends n batches, each of which must succeed.
func (r *running) serve(n int) {
	r.t.Helper()
	for i := range n {
		if status, body := r.post("/1/batch", aBatch); status != 200 || strings.Count(body, `"success":true`) != 2 || !strings.Contains(body, `"total":1`) {
			r.t.Fatalf("batch %d: %d %s", i, status, body)
		}
	}
}

// slowClientsBound is what 300 clients announcing 1 MiB bodies and
// trickling them, and 100 idle ones, may add to the mock's RSS under load:
// about 35 KiB each at the collector's peak (a goroutine, its connection's
// buffers, what it sent in 4 KiB chunks, doubled by GOGC=100's headroom),
// where the bodies announced are 300 MiB.
const slowClientsBound = 30 << 20

// Hundreds of clients that announce large bodies and trickle them, or stay
// connected doing nothing, cost the mock what they sent, not what they
// announced, and normal clients are served meanwhile. (--min-body-rate 0:
// the clients are held here, not cut off for their pace.)
func TestSlowAndIdleClientsCostLittleAndBlockNoOne(t *testing.T) {
	m := start(t, "--min-body-rate", "0")
	m.serve(1000) // the baseline has the served path, and the collector's headroom under load
	before := rss(t, m.cmd.Process.Pid)
	var slow []net.Conn
	for range 300 {
		slow = append(slow, m.slowBody(1<<20, 1<<10))
	}
	for range 100 {
		m.idle()
	}
	for range 4 { // 5 KiB sent each, the served ones' garbage meanwhile
		m.serve(250)
		for _, c := range slow {
			if _, err := c.Write([]byte(strings.Repeat(" ", 1<<10))); err != nil {
				t.Fatalf("a slow client was cut off: %v", err)
			}
		}
	}
	after := rss(t, m.cmd.Process.Pid)
	t.Logf("RSS %d KiB under load, %d KiB with 300 slow and 100 idle clients beside it", before>>10, after>>10)
	if grown := after - before; grown > slowClientsBound {
		t.Errorf("300 slow and 100 idle clients added %d KiB of RSS, over %d KiB", grown>>10, slowClientsBound>>10)
	}
	// Clients still sending do not make a stop fail: after its grace,
	// they are cut off.
	m.stop(syscall.SIGTERM)
	if !strings.Contains(m.stderr.String(), "closing the connections still busy") {
		t.Errorf("the stop does not say it cut clients off: %s", m.stderr)
	}
}

// A body that falls behind a slow modem's pace, after its first 5
// seconds, is answered 408 and its connection closed, long before
// --body-timeout: a trickling client holds what it sent for seconds.
func TestABodyBehindTheMinimumPaceIsCutOff(t *testing.T) {
	m := start(t, "--min-body-rate", "1000", "--body-timeout", "1m")
	c, br := m.dial()
	send(t, c, "POST /1/batch HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n\r\n[")
	stop := make(chan struct{})
	defer close(stop)
	go func() { // 100 bytes a second: a tenth of the pace
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
				c.Write([]byte("          ")) // fails once cut off: expected
			}
		}
	}()
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body) // for the message only
	if resp.StatusCode != http.StatusRequestTimeout || !resp.Close {
		t.Errorf("a body at a tenth of the pace: %d, close %v, %s", resp.StatusCode, resp.Close, body)
	}
	m.stop(syscall.SIGTERM)
}

// A body that stops arriving is answered 408 at the deadline, and its
// connection closed.
func TestAStalledBodyIsCutOffAtItsDeadline(t *testing.T) {
	m := start(t, "--body-timeout", "1s")
	c, br := m.dial()
	send(t, c, "POST /1/batch HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n[{")
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusRequestTimeout || !resp.Close || !strings.Contains(string(body), "read deadline") {
		t.Errorf("a stalled body: %d, close %v, %s", resp.StatusCode, resp.Close, body)
	}
	if n, err := br.ReadByte(); !errors.Is(err, io.EOF) {
		t.Errorf("the connection is still open: read %q, %v", n, err)
	}
	m.stop(syscall.SIGTERM)
}

// The body's deadline ends with the body: a reply that takes longer, here
// for its latency, is still answered in full.
func TestTheBodyDeadlineEndsWithTheBody(t *testing.T) {
	m := start(t, "--body-timeout", "1s", "--latency", "1500ms")
	began := time.Now()
	status, body := m.post("/1/batch", aBatch)
	if status != 200 {
		t.Errorf("a batch slower than the body timeout: %d %s", status, body)
	}
	if time.Since(began) < 1500*time.Millisecond {
		// A deadline left on the connection cancels the request's
		// context at 1s, which cuts the latency short.
		t.Errorf("the latency was cut short after %s", time.Since(began))
	}
	m.stop(syscall.SIGTERM)
}

// A reply that cannot leave within --write-timeout is given up, and its
// connection closed: here the latency alone outlasts it.
func TestAReplyPastTheWriteTimeoutIsGivenUp(t *testing.T) {
	m := start(t, "--write-timeout", "1s", "--latency", "1500ms")
	c, br := m.dial()
	send(t, c, "GET /1/data HTTP/1.1\r\nHost: localhost\r\n\r\n")
	if resp, err := http.ReadResponse(br, nil); err == nil {
		t.Errorf("a reply came past the write timeout: %d", resp.StatusCode)
	}
	m.stop(syscall.SIGTERM)
}

// A connection that sends nothing more, between requests or within a
// request's headers, is closed after --idle-timeout or
// --read-header-timeout.
func TestIdleAndSlowHeaderConnectionsAreClosed(t *testing.T) {
	m := start(t, "--idle-timeout", "1s", "--read-header-timeout", "1s")
	idle := m.idle()
	if n, err := bufio.NewReader(idle).ReadByte(); !errors.Is(err, io.EOF) {
		t.Errorf("an idle connection is still open: read %q, %v", n, err)
	}
	c, br := m.dial()
	send(t, c, "GET /1/data HTTP/1.1\r\nHost: local")
	if resp, err := http.ReadResponse(br, nil); err == nil && resp.StatusCode < 400 {
		t.Errorf("headers that never ended were answered %d", resp.StatusCode)
	}
	if _, err := io.ReadAll(br); err != nil {
		t.Errorf("a connection with headers that never ended is still open: %v", err)
	}
	m.stop(syscall.SIGTERM)
}

func TestHeadersOverTheLimitAre431(t *testing.T) {
	m := start(t, "--max-header-bytes", "8192")
	// The mock answers 431 and closes with headers still unread: a reset
	// may cut the reply's body, and only its status is read.
	req, err := http.NewRequest("GET", m.url+"/1/data", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Note", strings.Repeat("a", 16<<10))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if status := resp.StatusCode; status != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("16 KiB of headers over a limit of 8 KiB: %d", status)
	}
	if status, _ := m.do("GET", "/1/data", "", "X-Note", strings.Repeat("a", 4<<10)); status != 200 {
		t.Errorf("4 KiB of headers under a limit of 8 KiB: %d", status)
	}
	m.stop(syscall.SIGTERM)
}

// Beyond --max-conns, a new connection waits until one closes, then is
// served.
func TestConnectionsBeyondTheCapWaitForOneToClose(t *testing.T) {
	m := start(t, "--max-conns", "2")
	held := []net.Conn{m.idle(), m.idle()}
	served := make(chan int, 1)
	go func() {
		resp, err := (&http.Client{Timeout: time.Minute}).Get(m.url + "/_mock/health")
		if err != nil {
			served <- 0
			return
		}
		resp.Body.Close()
		served <- resp.StatusCode
	}()
	// One-sided: a mock that keeps its cap never answers here; one that
	// does not answers within a few milliseconds.
	select {
	case status := <-served:
		t.Fatalf("a third connection was served (%d) while two were held", status)
	case <-time.After(300 * time.Millisecond):
	}
	held[0].Close()
	if status := <-served; status != 200 {
		t.Errorf("the waiting connection, once one closed: %d", status)
	}
	m.stop(syscall.SIGTERM)
}

func TestALimitListenerStopsWaitingWhenClosed(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := limitListen(inner, 1)
	c, err := net.Dial("tcp", inner.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	first, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan error, 1)
	go func() {
		_, err := ln.Accept()
		accepted <- err
	}()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-accepted; !errors.Is(err, net.ErrClosed) {
		t.Errorf("Accept waiting for a slot, after Close: %v", err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	first.Close() // again: an error, and a slot is released once
	if len(ln.slots) != 0 {
		t.Errorf("%d slots held after the only connection closed", len(ln.slots))
	}
}

// The temporary files of saves that a SIGKILL interrupted are removed at
// the next start, and only those: the mock's own names for this state file.
func TestLeftoversOfInterruptedSavesAreRemovedAtStart(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state.json")
	writeFile(t, state, []byte(`{"default": {"thing": [{"meta": {"id": "a"}, "n": 1}]}}`))
	ours := []string{".state.json.save-123", ".state.json.save-4107392"}
	others := []string{".state.json.123", ".other.json.save-1", "state.json.save-1", ".state.json.save-1.bak", "notes.txt"}
	for _, name := range append(ours, others...) {
		writeFile(t, filepath.Join(dir, name), []byte(`{"half":`))
	}
	m := start(t, "--state-file", state)
	for _, name := range ours {
		if _, err := os.Stat(filepath.Join(dir, name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s, an interrupted save's, is still there: %v", name, err)
		}
	}
	for _, name := range others {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s, not the mock's, was removed: %v", name, err)
		}
	}
	if status, body := m.do("GET", "/1/data/thing/a", ""); status != 200 || !strings.Contains(body, `"n":1`) {
		t.Errorf("the state file did not load: %d %s", status, body)
	}
	m.stop(syscall.SIGTERM) // stderr is read in full once the process has ended
	for _, name := range ours {
		if !strings.Contains(m.stderr.String(), "removed "+filepath.Join(dir, name)) {
			t.Errorf("the removal of %s is not logged: %s", name, m.stderr)
		}
	}
}
