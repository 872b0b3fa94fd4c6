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

func benchBatch10(b *testing.B, profile string) {
	s := benchServer(b, profile)
	var items []any
	for i := range 5 {
		serve(b, s, "POST", fmt.Sprintf("/1/data/product?id=p%d", i), []byte(`{"name":"Teddy Bear","price":"$23.45","tags":["toy","bear"]}`))
		items = append(items, subreq.Post("/1/data/product", obj{"name": "Mobby Dick", "price": "$29.99", "stock": i}))
	}
	for i := range 5 {
		items = append(items, subreq.Get(fmt.Sprintf("/1/data/product/p%d", i)))
	}
	body := mustJSON(b, items)
	b.ReportAllocs()
	for b.Loop() {
		serve(b, s, "POST", "/1/batch", body)
	}
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
