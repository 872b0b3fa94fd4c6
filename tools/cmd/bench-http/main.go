// Command bench-http measures the built mock over loopback beside a trivial
// handler, each figure a ratio to the trivial one's from the same run.
//
// The trivial handler is a net/http handler that answers a fixed reply:
//
//	go run ./tools/cmd/bench-http -mock bin/spacedog-mock
//
// Each server is its own process, so that its RSS is its own. Rounds
// alternate trivial and mock (A B A B) so that a noisy neighbour hits both.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spacedog-oss/batchkit/tools/loadgen"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "serve-trivial" {
		serveTrivial()
		return
	}
	mock := flag.String("mock", "bin/spacedog-mock", "the mock's `binary`")
	clients := flag.Int("clients", 16, "concurrent clients")
	duration := flag.Duration("duration", 3*time.Second, "length of each measurement")
	requests := flag.Int("requests", 0, "requests per measurement, for figures at a fixed amount of work (-duration still bounds it); 0: as many as -duration allows")
	rounds := flag.Int("rounds", 3, "rounds, each trivial then mock, per scenario")
	objects := flag.Int("objects", 100000, "small objects stored for the memory figures; 0: none")
	mockArgs := flag.String("mock-args", "", "more `flags` for the mock, space-separated, like \"--state-file s.json --state-sync always\"")
	flag.Parse()
	err := run(*mock, strings.Fields(*mockArgs), load{*clients, *duration, *requests}, *rounds, os.Stdout)
	if err == nil && *objects > 0 {
		err = memory(*mock, *objects, os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench-http:", err)
		os.Exit(1)
	}
}

// serveTrivial is the limit: it answers every request with a fixed reply.
func serveTrivial() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("trivial serving on http://%s\n", ln.Addr())
	reply := []byte(`{"success":true,"status":200}`)
	http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Write(reply)
	}))
}

// scenario is a workload: its requests, after a setup run once per server.
// Its objects are what it leaves stored: setup's, and stores for each
// request answered.
type scenario struct {
	name          string
	setup         func(url string) error
	next          func(url string) func(client, seq int) loadgen.Request
	setupObjects  int
	storesPerCall int
}

var product = []byte(`{"name":"Teddy Bear","price":"$23.45","tags":["toy","bear"]}`)

func scenarios() []scenario {
	return []scenario{
		{name: "create", storesPerCall: 1, setup: func(string) error { return nil }, next: func(url string) func(int, int) loadgen.Request {
			return func(int, int) loadgen.Request {
				return loadgen.Request{Method: "POST", URL: url + "/1/data/product", Body: product}
			}
		}},
		{name: "batch10", setupObjects: 5, storesPerCall: 5, setup: func(url string) error {
			for i := range 5 {
				resp, err := http.Post(fmt.Sprintf("%s/1/data/product?id=p%d", url, i), "application/json", strings.NewReader(string(product)))
				if err != nil {
					return err
				}
				resp.Body.Close()
			}
			return nil
		}, next: func(url string) func(int, int) loadgen.Request {
			var items []any
			for i := range 5 {
				items = append(items, map[string]any{"method": "POST", "path": "/1/data/product", "content": map[string]any{"name": "Mobby Dick", "stock": i}})
			}
			for i := range 5 {
				items = append(items, map[string]any{"method": "GET", "path": fmt.Sprintf("/1/data/product/p%d", i)})
			}
			body, _ := json.Marshal(items)
			return func(int, int) loadgen.Request {
				return loadgen.Request{Method: "POST", URL: url + "/1/batch", Body: body}
			}
		}},
	}
}

// figures are one measurement of one server.
type figures struct {
	perSecond  float64
	p50, p99   time.Duration
	start, rss int64 // RSS before the setup, and after the run
	held       int   // objects the scenario left stored
	bad        int   // transport errors and 5xx
}

// perObject is the RSS the run added for each object it left stored: the
// RSS after a run grows with the objects stored, as many as the server
// could create in the time, so a faster machine or mock shows more of it.
func (f figures) perObject() float64 { return float64(f.rss-f.start) / float64(max(f.held, 1)) }

// load is how hard and how long each measurement drives its server.
type load struct {
	clients  int
	duration time.Duration
	requests int // 0: as many as the duration allows
}

func measure(s *loadgen.Server, sc scenario, l load) (figures, error) {
	start := s.RSS()
	if err := sc.setup(s.URL); err != nil {
		return figures{}, err
	}
	res := loadgen.Run(context.Background(), loadgen.Config{Clients: l.clients, Duration: l.duration, Stop: l.requests, Next: sc.next(s.URL)})
	return figures{perSecond: res.PerSecond(), p50: res.Percentile(0.5), p99: res.Percentile(0.99),
		start: start, rss: s.RSS(), held: sc.setupObjects + res.Requests*sc.storesPerCall, bad: res.Errors + res.Status5xx}, nil
}

func run(mock string, extra []string, l load, rounds int, w io.Writer) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	if _, err := os.Stat(mock); err != nil {
		return fmt.Errorf("the mock's binary: %w (make build makes it)", err)
	}
	mock, _ = filepath.Abs(mock)
	work := fmt.Sprintf("%s per measurement", l.duration)
	if l.requests > 0 {
		work = fmt.Sprintf("%d requests per measurement (%s at most)", l.requests, l.duration)
	}
	fmt.Fprintf(w, "%d clients, %s, %d rounds (trivial, mock) per scenario, loopback\n\n", l.clients, work, rounds)
	fmt.Fprintln(w, "| scenario | round | trivial req/s | mock req/s | req/s ratio | trivial p50 / p99 | mock p50 / p99 | p99 ratio | mock RSS (objects held) | per object held | errors |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|")
	var failed error
	for _, sc := range scenarios() {
		var ratios, p99s, perObject []float64
		for round := 1; round <= rounds; round++ {
			// A fresh process per round: each measures from the same start.
			triv, err := loadgen.Start(self, "serve-trivial")
			if err != nil {
				return err
			}
			t, err := measure(triv, sc, l)
			triv.Stop()
			if err != nil {
				return err
			}
			m0, err := loadgen.Start(mock, append([]string{"--addr", "127.0.0.1:0"}, extra...)...)
			if err != nil {
				return err
			}
			m, err := measure(m0, sc, l)
			m0.Stop()
			if err != nil {
				return err
			}
			ratio, p99 := m.perSecond/t.perSecond, float64(m.p99)/float64(t.p99)
			ratios, p99s, perObject = append(ratios, ratio), append(p99s, p99), append(perObject, m.perObject())
			fmt.Fprintf(w, "| %s | %d | %.0f | %.0f | %.2f | %s / %s | %s / %s | %.1f× | %d MiB (%dk) | %.0f bytes | %d |\n", sc.name, round,
				t.perSecond, m.perSecond, ratio, ms(t.p50), ms(t.p99), ms(m.p50), ms(m.p99), p99, m.rss>>20, m.held/1000, m.perObject(), m.bad+t.bad)
			if m.bad+t.bad > 0 {
				failed = errors.New("errors or 5xx answers during the run")
			}
		}
		fmt.Fprintf(w, "| **%s median** | | | | **%.2f** | | | **%.1f×** | | **%.0f bytes** | |\n", sc.name, median(ratios), median(p99s), median(perObject))
	}
	return failed
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	return s[len(s)/2]
}

// memory stores n small objects in a fresh mock, and reports its RSS
// before and after, and the size of GET /_mock/state beside it.
func memory(mock string, n int, w io.Writer) error {
	m, err := loadgen.Start(mock, "--addr", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer m.Stop()
	before := m.RSS()
	small := []byte(`{"name":"Teddy Bear","price":23.45,"n":1}`) // 42 bytes
	res := loadgen.Run(context.Background(), loadgen.Config{Clients: 8, Duration: 10 * time.Minute,
		Next: func(client, seq int) loadgen.Request {
			var b strings.Builder
			b.WriteString("[")
			for i := range 10 {
				if i > 0 {
					b.WriteString(",")
				}
				fmt.Fprintf(&b, `{"method":"POST","path":"/1/data/small","content":%s}`, small)
			}
			b.WriteString("]")
			return loadgen.Request{Method: "POST", URL: m.URL + "/1/batch", Body: []byte(b.String())}
		}, Stop: n / 10})
	if res.Errors+res.Status5xx > 0 {
		return fmt.Errorf("storing %d objects: %d errors, %d 5xx", n, res.Errors, res.Status5xx)
	}
	time.Sleep(2 * time.Second) // a GC cycle or two
	after := m.RSS()
	resp, err := http.Get(m.URL + "/_mock/state")
	if err != nil {
		return err
	}
	size, _ := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	peak := m.RSS()
	stored := res.Requests * 10
	fmt.Fprintf(w, "\n| objects stored | RSS at start | RSS after | per object | GET /_mock/state | RSS after reading it |\n|---|---|---|---|---|---|\n")
	fmt.Fprintf(w, "| %d | %d MiB | %d MiB | %d bytes | %d MiB | %d MiB |\n", stored, before>>20, after>>20,
		(after-before)/int64(max(stored, 1)), size>>20, peak>>20)
	return nil
}
