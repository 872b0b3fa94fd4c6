package mockserver_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/spacedog-oss/batchkit/internal/subreq"
	"github.com/spacedog-oss/batchkit/mockserver"
)

// Concurrent batches interleave sub-request by sub-request, never inside
// one: run with -race, no write is lost and none appears from nowhere.
func TestConcurrentBatchesLoseNoWrite(t *testing.T) {
	const clients, rounds = 16, 20
	m := newMock(t, mockserver.Config{})
	m.do("POST", "/1/data/counter?id=shared", obj{"start": true})

	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			for r := range rounds {
				items := []any{
					subreq.Post(fmt.Sprintf("/1/data/load?id=c%d-r%d-0", c, r), obj{"c": c}),
					subreq.Post(fmt.Sprintf("/1/data/load?id=c%d-r%d-1", c, r), obj{"c": c}),
					subreq.Post(fmt.Sprintf("/1/data/load?id=c%d-r%d-2", c, r), obj{"c": c}),
					subreq.Put("/1/data/counter/shared", obj{fmt.Sprintf("c%d", c): r}),
					subreq.Get(fmt.Sprintf("/1/data/load/c%d-r%d-1", c, r)),
					subreq.Get("/1/data/load?size=5"),
					subreq.Get("/1/data/counter/shared"),
				}
				if r > 0 {
					items = append(items, subreq.Delete(fmt.Sprintf("/1/data/load/c%d-r%d-0", c, r-1)))
				}
				got, err := postBatch(m.url, items)
				if err != nil {
					t.Errorf("client %d round %d: %v", c, r, err)
					return
				}
				for i, status := range got {
					if status != 200 {
						t.Errorf("client %d round %d item %d: status %d", c, r, i, status)
					}
				}
			}
		})
	}
	wg.Wait()

	var want []string
	for c := range clients {
		for r := range rounds {
			want = append(want, fmt.Sprintf("c%d-r%d-1", c, r), fmt.Sprintf("c%d-r%d-2", c, r))
		}
		want = append(want, fmt.Sprintf("c%d-r%d-0", c, rounds-1))
	}
	l := m.do("GET", "/1/data/load?size=100000", nil).json(t).(obj)
	var got []string
	for _, o := range l["results"].([]any) {
		got = append(got, o.(obj)["meta"].(obj)["id"].(string))
	}
	slices.Sort(got)
	slices.Sort(want)
	if l["total"] != jsonNumber(len(want)) || !slices.Equal(got, want) {
		t.Errorf("stored %v objects, want %d; lost or phantom ids", l["total"], len(want))
	}
	shared := m.do("GET", "/1/data/counter/shared", nil).json(t).(obj)
	if v := shared["meta"].(obj)["version"]; v != jsonNumber(1+clients*rounds) {
		t.Errorf("shared version %v, want %d: an update was lost", v, 1+clients*rounds)
	}
	for c := range clients {
		if v := shared[fmt.Sprintf("c%d", c)]; v != jsonNumber(rounds-1) {
			t.Errorf("shared c%d = %v, want %d", c, v, rounds-1)
		}
	}
}

// postBatch posts a batch and returns its results' statuses, without the
// test helpers, which may not fail a test from another goroutine.
func postBatch(url string, items []any) ([]int, error) {
	body, err := json.Marshal(items)
	if err != nil {
		return nil, err
	}
	resp, err := http.Post(url+"/1/batch", "application/json", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		return nil, fmt.Errorf("batch: %d %s %v", resp.StatusCode, data, err)
	}
	var results []struct {
		Status *int `json:"status"`
	}
	if err := json.Unmarshal(data, &results); err != nil {
		return nil, err
	}
	out := make([]int, len(results))
	for i, r := range results {
		out[i] = 200
		if r.Status != nil {
			out[i] = *r.Status
		}
	}
	return out, nil
}
