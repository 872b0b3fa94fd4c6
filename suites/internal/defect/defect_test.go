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
		if got := post(t, srv.URL+"/1/batch", body); got != want {
			t.Errorf("batch %s answered %s, want %s", body, got, want)
		}
	}
	if got := post(t, srv.URL+"/1/data/t", `[1,2,3]`); got != `[1,2,3]` {
		t.Errorf("a request that is no batch was changed: %s", got)
	}
}

// post sends body to url and returns the reply's body.
func post(t *testing.T, url, body string) string {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(got)
}
