package mockserver_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/spacedog-oss/batchkit/internal/subreq"
	"github.com/spacedog-oss/batchkit/mockserver"
	"github.com/spacedog-oss/batchkit/spec"
)

// The handler in-process, with full request validation and no self-check:
// what a request costs the mock, without the network.

func benchServer(b *testing.B, profile string) *mockserver.Server {
	s, err := mockserver.New(mockserver.Config{Profile: profile})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func serve(b *testing.B, s http.Handler, method, target string, body []byte) {
	req := httptest.NewRequest(method, target, bytes.NewReader(body))
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	if w.Code != http.StatusOK && w.Code != http.StatusCreated {
		b.Fatalf("%s %s: %d %s", method, target, w.Code, w.Body)
	}
}

// BenchmarkBatch10 is a batch of 5 creates and 5 reads of existing objects.
func BenchmarkBatch10(b *testing.B) { benchBatch10(b, spec.Doc) }

// BenchmarkBatch10Profile2016 is the same batch in the spacedog-2016
// profile, whose reply is an envelope and whose reads are wrapped.
func BenchmarkBatch10Profile2016(b *testing.B) { benchBatch10(b, spec.SpaceDog2016) }

// BenchmarkBatch10AimedRules is the batch with ten fault rules in force,
// each aimed at another test's requests by a header: what a team's
// parallel end-to-end tests cost the requests none of their rules applies to.
func BenchmarkBatch10AimedRules(b *testing.B) {
	var rules []mockserver.Fault
	for i := range 10 {
		rules = append(rules, mockserver.Fault{Method: "POST", Path: "/1/data/*", Status: 503, Times: 1,
			Headers: map[string]string{"X-Test-Id": fmt.Sprintf("test-%d", i)}})
	}
	s, err := mockserver.New(mockserver.Config{Faults: rules})
	if err != nil {
		b.Fatal(err)
	}
	benchBatch10On(b, s)
}

// BenchmarkJournalCount counts a full journal's requests that match a
// query (1000 batches of 10 items): what a test's assertion costs.
func BenchmarkJournalCount(b *testing.B) {
	s := benchServer(b, spec.Doc)
	body := batch10Body(b, s)
	for range mockserver.DefaultJournalSize {
		serve(b, s, "POST", "/1/batch", body)
	}
	b.ReportAllocs()
	for b.Loop() {
		serve(b, s, "GET", "/_mock/requests/count?method=POST&path=/1/data/product&status=2xx", nil)
	}
}

func benchBatch10(b *testing.B, profile string) { benchBatch10On(b, benchServer(b, profile)) }

func benchBatch10On(b *testing.B, s *mockserver.Server) {
	body := batch10Body(b, s)
	b.ReportAllocs()
	for b.Loop() {
		serve(b, s, "POST", "/1/batch", body)
	}
}

// batch10Body stores five products and returns a batch of five creates and
// five reads of them.
func batch10Body(b *testing.B, s *mockserver.Server) []byte {
	var items []any
	for i := range 5 {
		serve(b, s, "POST", fmt.Sprintf("/1/data/product?id=p%d", i), []byte(`{"name":"Teddy Bear","price":"$23.45","tags":["toy","bear"]}`))
		items = append(items, subreq.Post("/1/data/product", obj{"name": "Mobby Dick", "price": "$29.99", "stock": i}))
	}
	for i := range 5 {
		items = append(items, subreq.Get(fmt.Sprintf("/1/data/product/p%d", i)))
	}
	return mustJSON(b, items)
}

// BenchmarkCreate is one direct create.
func BenchmarkCreate(b *testing.B) {
	s := benchServer(b, spec.Doc)
	body := []byte(`{"name":"Teddy Bear","price":"$23.45","tags":["toy","bear"]}`)
	b.ReportAllocs()
	for b.Loop() {
		serve(b, s, "POST", "/1/data/product", body)
	}
}

// BenchmarkGet is one direct read.
func BenchmarkGet(b *testing.B) {
	s := benchServer(b, spec.Doc)
	serve(b, s, "POST", "/1/data/product?id=p", []byte(`{"name":"Teddy Bear","price":"$23.45","tags":["toy","bear"]}`))
	b.ReportAllocs()
	for b.Loop() {
		serve(b, s, "GET", "/1/data/product/p", nil)
	}
}

// BenchmarkTrivial is the floor the others stand on: the same request and
// recorder around a handler that answers a fixed reply.
func BenchmarkTrivial(b *testing.B) {
	reply := []byte(`{"success":true,"status":200}`)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(reply)
	})
	b.ReportAllocs()
	for b.Loop() {
		serve(b, h, "GET", "/1/data/product/p", nil)
	}
}
