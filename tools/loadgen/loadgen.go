// Package loadgen drives an HTTP server with a fixed number of concurrent
// clients for a fixed time, and reports throughput and latency. It is
// meant for loopback benchmarks: bounded in time, and it stops by itself.
package loadgen

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Request is one request a client sends: a method, a URL and a body.
type Request struct {
	Method, URL string
	Body        []byte
}

// Config is a run: Clients goroutines, each sending Next's requests one
// after another for Duration.
type Config struct {
	Clients  int
	Duration time.Duration
	// Next returns the request a client sends next; client is its number
	// and seq counts its requests.
	Next func(client, seq int) Request
	// Stop, when above 0, ends the run once that many requests were sent,
	// whichever comes first.
	Stop int
}

// Result is what a run measured.
type Result struct {
	Requests  int           // answered
	Errors    int           // transport errors
	Status5xx int           // answers with a 5xx status
	Elapsed   time.Duration // the run's length
	latencies []time.Duration
}

// PerSecond is the answered requests per second.
func (r Result) PerSecond() float64 { return float64(r.Requests) / r.Elapsed.Seconds() }

// Percentile is the latency below which p (0 to 1) of the requests fell.
func (r Result) Percentile(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	i := int(p*float64(len(r.latencies))+0.5) - 1
	return r.latencies[max(0, min(i, len(r.latencies)-1))]
}

// Run drives the server until the duration is over or ctx is done.
func Run(ctx context.Context, cfg Config) Result {
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	transport := &http.Transport{MaxIdleConnsPerHost: cfg.Clients, MaxConnsPerHost: cfg.Clients}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport}
	var mu sync.Mutex
	var total Result
	var wg sync.WaitGroup
	var sent atomic.Int64
	start := time.Now()
	for c := range cfg.Clients {
		wg.Go(func() {
			var own Result
			for seq := 0; ctx.Err() == nil; seq++ {
				if cfg.Stop > 0 && sent.Add(1) > int64(cfg.Stop) {
					break
				}
				r := cfg.Next(c, seq)
				req, err := http.NewRequestWithContext(ctx, r.Method, r.URL, bytes.NewReader(r.Body))
				if err != nil {
					own.Errors++
					continue
				}
				req.Header.Set("Content-Type", "application/json")
				t := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						own.Errors++
					}
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				own.latencies = append(own.latencies, time.Since(t))
				own.Requests++
				if resp.StatusCode >= 500 {
					own.Status5xx++
				}
			}
			mu.Lock()
			total.Requests += own.Requests
			total.Errors += own.Errors
			total.Status5xx += own.Status5xx
			total.latencies = append(total.latencies, own.latencies...)
			mu.Unlock()
		})
	}
	wg.Wait()
	total.Elapsed = time.Since(start)
	slices.Sort(total.latencies)
	return total
}
