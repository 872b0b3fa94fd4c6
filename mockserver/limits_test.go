package mockserver_test

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/spacedog-oss/batchkit/internal/subreq"
	"github.com/spacedog-oss/batchkit/mockserver"
)

func creates(n int, typ string) []any {
	items := make([]any, n)
	for i := range items {
		items[i] = subreq.Post("/1/data/"+typ, obj{"n": i})
	}
	return items
}

func TestLIM1_BatchesUpToTheLimitGet200(t *testing.T) {
	for _, n := range []int{1, 5, 10} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			m := newMock(t, mockserver.Config{})
			// Half of them fail: the batch is still a 200.
			items := creates(n, "thing")
			for i := 1; i < n; i += 2 {
				items[i] = subreq.Get("/1/data/thing/missing")
			}
			res := m.batch("", items...).results(t)
			if len(res) != n {
				t.Fatalf("%d results for %d sub-requests", len(res), n)
			}
		})
	}
}

func TestLIM1_AnEmptyBatchGetsAnEmptyArray(t *testing.T) {
	m := newMock(t, mockserver.Config{})
	r := m.do("POST", "/1/batch", "[]")
	if r.status != http.StatusOK || string(r.body) != "[]" {
		t.Fatalf("empty batch: %d %s, want 200 []", r.status, r.body)
	}
}

func TestLIM2_OverTheLimitIsRejectedAndNothingRuns(t *testing.T) {
	for _, limit := range []int{0, 20} { // 0: the default, 10
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			m := newMock(t, mockserver.Config{MaxBatch: limit})
			want := limit
			if want == 0 {
				want = mockserver.DefaultMaxBatch
			}
			if res := m.batch("", creates(want, "atlimit")...).results(t); len(res) != want {
				t.Fatalf("%d results at the limit of %d", len(res), want)
			}
			before := m.srv.State("")
			r := m.batch("", creates(want+1, "overlimit")...)
			if r.status != http.StatusBadRequest {
				t.Fatalf("%d sub-requests: status %d, want 400", want+1, r.status)
			}
			msg := assertEnvelope(t, r.json(t), http.StatusBadRequest)
			if !strings.Contains(msg, fmt.Sprintf("batch are limited to %d sub requests", want)) {
				t.Errorf("message %q does not name the limit", msg)
			}
			if !reflect.DeepEqual(before, m.srv.State("")) {
				t.Error("a rejected batch changed the store")
			}
		})
	}
}

func TestLIM3_ABodyOverTheSizeLimitGets413(t *testing.T) {
	m := newMock(t, mockserver.Config{MaxBody: 4096})
	pad := strings.Repeat("x", 4096)
	for _, tc := range []struct{ name, target string }{
		{"batch", "/1/batch"},
		{"direct create", "/1/data/big"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := fmt.Sprintf(`[{"method":"POST","path":"/1/data/big","content":{"pad":%q}}]`, pad)
			if tc.target != "/1/batch" {
				body = fmt.Sprintf(`{"pad":%q}`, pad)
			}
			r := m.do("POST", tc.target, body)
			if r.status != http.StatusRequestEntityTooLarge {
				t.Fatalf("status %d, want 413: %s", r.status, r.body)
			}
			assertEnvelope(t, r.json(t), http.StatusRequestEntityTooLarge)
		})
	}
	if snap := m.srv.State(""); len(snap) != 0 {
		t.Errorf("an oversized body stored something: %v", snap)
	}
}

func TestERR1_ABodyThatIsNotAJSONArrayIsRejected(t *testing.T) {
	m := newMock(t, mockserver.Config{})
	for name, body := range map[string]string{
		"not JSON":        `[{"method":"DELETE","path":"/1/data"`,
		"an object":       `{"method":"DELETE","path":"/1/data"}`,
		"a string":        `"[]"`,
		"null":            `null`,
		"nothing":         ``,
		"trailing values": `[] {}`,
	} {
		t.Run(name, func(t *testing.T) {
			r := m.do("POST", "/1/batch", body)
			if r.status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %s", r.status, r.body)
			}
			if msg := assertEnvelope(t, r.json(t), 400); !strings.HasPrefix(msg, "body: ") {
				t.Errorf("message %q does not name the body", msg)
			}
		})
	}
}

func TestERR2_AnotherMethodOnTheBatchGets405(t *testing.T) {
	m := newMock(t, mockserver.Config{})
	for _, method := range []string{"GET", "PUT", "DELETE", "PATCH"} {
		r := m.do(method, "/1/batch", nil)
		if r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") != "POST" {
			t.Errorf("%s /1/batch: %d Allow %q, want 405 Allow POST", method, r.status, r.header.Get("Allow"))
		}
		assertEnvelope(t, r.json(t), http.StatusMethodNotAllowed)
	}
	if r := m.do("PATCH", "/1/data/thing/abc", `{}`); r.header.Get("Allow") != "GET, PUT, DELETE" {
		t.Errorf("PATCH on an object: Allow %q, want GET, PUT, DELETE", r.header.Get("Allow"))
	}
}
