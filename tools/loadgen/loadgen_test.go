package loadgen

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestRunCountsAnswersErrorsAnd5xxAndStopsByItself(t *testing.T) {
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if served.Add(1)%10 == 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	res := Run(context.Background(), Config{Clients: 4, Duration: 300 * time.Millisecond,
		Next: func(client, seq int) Request { return Request{Method: "GET", URL: srv.URL} }})
	if res.Requests == 0 || int64(res.Requests) > served.Load() {
		t.Fatalf("%d answered, %d served", res.Requests, served.Load())
	}
	if res.Status5xx == 0 || res.Status5xx > res.Requests/10+1 {
		t.Errorf("%d 5xx of %d, want one in ten", res.Status5xx, res.Requests)
	}
	if res.Errors != 0 {
		t.Errorf("%d transport errors", res.Errors)
	}
	if p50, p99 := res.Percentile(0.5), res.Percentile(0.99); p50 <= 0 || p99 < p50 {
		t.Errorf("p50 %v, p99 %v", p50, p99)
	}
	if res.PerSecond() <= 0 {
		t.Errorf("%v req/s", res.PerSecond())
	}
}

func TestRunCountsTransportErrors(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	res := Run(context.Background(), Config{Clients: 2, Duration: 100 * time.Millisecond,
		Next: func(client, seq int) Request { return Request{Method: "GET", URL: url} }})
	if res.Errors == 0 || res.Requests != 0 {
		t.Errorf("a closed server: %d errors, %d answered", res.Errors, res.Requests)
	}
}

func TestRunStopsAfterStopRequests(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	res := Run(context.Background(), Config{Clients: 3, Duration: time.Minute, Stop: 50,
		Next: func(client, seq int) Request { return Request{Method: "GET", URL: srv.URL} }})
	if res.Requests != 50 {
		t.Errorf("%d answered, want 50", res.Requests)
	}
}
