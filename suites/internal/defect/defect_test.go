package defect

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestSwapFirstTwoResultsChangesOnlyBatchesOfAtLeastMin(t *testing.T) {
	fixed := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Write(body) // the items stand in for their results
	})
	srv := httptest.NewServer(SwapFirstTwoResults(3)(fixed))
	defer srv.Close()
	for body, want := range map[string]string{`[1,2]`: `[1,2]`, `[1,2,3]`: `[2,1,3]`} {
		resp, err := http.Post(srv.URL+"/1/batch", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(got) != want {
			t.Errorf("batch %s answered %s, want %s", body, got, want)
		}
	}
	resp, _ := http.Post(srv.URL+"/1/data/t", "application/json", strings.NewReader(`[1,2,3]`))
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(got) != `[1,2,3]` {
		t.Errorf("a request that is no batch was changed: %s", got)
	}
}
