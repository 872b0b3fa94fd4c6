package mockserver

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// The fault delays of a request and of its items add up to a minute at
// most, the bound of one delay, so that a batch of delayed items is still
// answered within the command's --write-timeout. The server counts the
// delays it would wait, and waits none.
func TestAFaultDelayIsBoundedPerRequestNotPerItem(t *testing.T) {
	s, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var waited time.Duration
	s.wait = func(_ *http.Request, d time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		waited += d
	}
	srv := httptest.NewServer(s)
	defer srv.Close()
	do := func(method, path, body string) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			t.Fatalf("%s %s: %d", method, path, resp.StatusCode)
		}
	}
	do("POST", "/1/data/t", "{}")
	do("PUT", AdminPrefix+"faults", `[{"path":"/1/data/*","delay":"40s"}]`)
	items := bytes.Repeat([]byte(`{"method":"GET","path":"/1/data/t"},`), 10)
	items[len(items)-1] = ']'
	for _, c := range []struct {
		name, method, path, body string
		want                     time.Duration
	}{
		{"a direct request", "GET", "/1/data/t", "", 40 * time.Second},
		{"a batch of ten delayed items", "POST", "/1/batch", "[" + string(items), maxDelay},
		{"the next request", "GET", "/1/data/t", "", 40 * time.Second},
	} {
		mu.Lock()
		waited = 0
		mu.Unlock()
		do(c.method, c.path, c.body)
		mu.Lock()
		got := waited
		mu.Unlock()
		if got != c.want {
			t.Errorf("%s waited %s in fault delays, want %s", c.name, got, c.want)
		}
	}
}
