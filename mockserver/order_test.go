package mockserver_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/spacedog-oss/batchkit/internal/subreq"
	"github.com/spacedog-oss/batchkit/mockserver"
)

func TestORD1_OneResultPerSubRequestInOrder(t *testing.T) {
	m := newMock(t, mockserver.Config{})
	var items []any
	for i := range 10 {
		items = append(items, subreq.Post(fmt.Sprintf("/1/data/thing?id=id%d", i), obj{"i": i}))
	}
	res := m.batch("", items...).results(t)
	if len(res) != 10 {
		t.Fatalf("%d results", len(res))
	}
	for i, r := range res {
		if r["id"] != fmt.Sprintf("id%d", i) {
			t.Errorf("result %d is for %v", i, r["id"])
		}
	}
}

func TestORD2_EachSubRequestSeesTheEffectsOfTheOnesBefore(t *testing.T) {
	m := newMock(t, mockserver.Config{})
	res := m.batch("",
		subreq.Post("/1/data/thing?id=a", obj{"name": "first"}),
		subreq.Get("/1/data/thing/a"),
		subreq.Put("/1/data/thing/a", obj{"name": "second"}),
		subreq.Get("/1/data/thing/a"),
		subreq.Get("/1/data/thing"),
		subreq.Delete("/1/data/thing/a"),
		subreq.Get("/1/data/thing/a"),
		subreq.Get("/1/data/thing"),
	).results(t)
	if got := statuses(res); !slices.Equal(got, []string{"200", "200", "200", "200", "200", "200", "404", "200"}) {
		t.Fatalf("statuses %v", got)
	}
	if res[1]["name"] != "first" || res[3]["name"] != "second" {
		t.Errorf("reads saw %v then %v", res[1]["name"], res[3]["name"])
	}
	if res[4]["total"] != json.Number("1") || res[7]["total"] != json.Number("0") {
		t.Errorf("listings saw %v then %v", res[4]["total"], res[7]["total"])
	}
}

func TestORD3_EarlierEffectsStayWhenALaterSubRequestFails(t *testing.T) {
	for _, query := range []string{"", "stopOnError=true"} {
		t.Run(query, func(t *testing.T) {
			m := newMock(t, mockserver.Config{})
			res := m.batch(query,
				subreq.Post("/1/data/thing?id=kept", obj{"a": 1}),
				subreq.Put("/1/data/thing/kept", obj{"b": 2}),
				subreq.Get("/1/data/thing/missing"),
			).results(t)
			if len(res) != 3 {
				t.Fatalf("%d results", len(res))
			}
			r := m.do("GET", "/1/data/thing/kept", nil)
			if r.status != 200 {
				t.Fatalf("the object created before the failure is gone: %d", r.status)
			}
			o := r.json(t).(map[string]any)
			if o["a"] != json.Number("1") || o["b"] != json.Number("2") {
				t.Errorf("object %v, want both writes", o)
			}
		})
	}
}

// ORD-4: the same requests, sent on their own to one mock and as a batch to
// another in the same state, answer the same bytes.
func TestORD4_ASubRequestAnswersAsTheSameRequestOnItsOwn(t *testing.T) {
	type req struct {
		method, target string
		body           any
	}
	steps := []req{
		{"POST", "/1/data/product", obj{"name": "Teddy Bear", "price": "$23.45", "meta": obj{"version": 99}}},
		{"POST", "/1/data/product?id=fixed", obj{"name": "Mobby Dick"}},
		{"POST", "/1/data/product?id=fixed", obj{"name": "again"}},
		{"GET", "/1/data/product/fixed", nil},
		{"PUT", "/1/data/product/fixed?version=1", obj{"price": "$29.99"}},
		{"PUT", "/1/data/product/fixed?version=1", obj{"price": "$1"}},
		{"PUT", "/1/data/product/fixed?strict=true", obj{"only": true}},
		{"GET", "/v1/data/product/fixed/", nil},
		{"GET", "/1/data/product?from=1&size=1", nil},
		{"GET", "/1/data?size=0", nil},
		{"GET", "/1/data/product?size=-3", nil},
		{"GET", "/1/data/product/nope", nil},
		{"GET", "/1/data/nothing", nil},
		{"POST", "/1/data/product", []any{1}},
		{"POST", "/1/data/9type", obj{}},
		{"DELETE", "/1/data/product/fixed", nil},
		{"DELETE", "/1/data/product", nil},
		{"GET", "/1/data", nil},
		{"DELETE", "/1/data", nil},
		{"GET", "/1/nowhere", nil},
	}
	cfg := func() mockserver.Config { c := deterministic(); c.MaxBatch = len(steps); return c }
	direct, batched := newMock(t, cfg()), newMock(t, cfg())
	var items []any
	for _, s := range steps {
		item := sub{"method": s.method, "path": s.target}
		if s.body != nil {
			item["content"] = s.body
		}
		items = append(items, item)
	}
	// Both mocks serve on 127.0.0.1 with other ports: locations differ by port.
	res := rawResults(t, batched.batch("", items...))
	for i, s := range steps {
		r := direct.do(s.method, s.target, s.body)
		want := bytes.ReplaceAll(r.body, []byte(direct.url), []byte(batched.url))
		if !bytes.Equal(want, res[i]) {
			t.Errorf("%s %s:\n direct %s\n batch  %s", s.method, s.target, want, res[i])
		}
	}
}

// rawResults splits a batch reply into its results' bytes, as sent.
func rawResults(t *testing.T, r reply) []json.RawMessage {
	t.Helper()
	var out []json.RawMessage
	if err := json.Unmarshal(r.body, &out); err != nil || r.status != 200 {
		t.Fatalf("batch: %d %s", r.status, r.body)
	}
	return out
}
