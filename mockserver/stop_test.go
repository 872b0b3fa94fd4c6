package mockserver_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/spacedog-oss/batchkit/internal/subreq"
	"github.com/spacedog-oss/batchkit/mockserver"
)

// failing is a batch whose second and fourth items fail, each followed by a
// write whose effect shows whether it ran.
func failing() []any {
	return []any{
		subreq.Post("/1/data/thing?id=a", obj{}),
		subreq.Get("/1/data/thing/missing"),
		subreq.Post("/1/data/thing?id=b", obj{}),
		sub{"method": "GET"},
		subreq.Post("/1/data/thing?id=c", obj{}),
	}
}

func exists(m *mock, id string) bool {
	return m.do("GET", "/1/data/thing/"+id, nil).status == http.StatusOK
}

func TestSTOP1_WithoutStopOnErrorEverySubRequestRuns(t *testing.T) {
	for _, query := range []string{"", "stopOnError=false", "stopOnError=FALSE"} {
		t.Run(query, func(t *testing.T) {
			m := newMock(t, mockserver.Config{})
			res := m.batch(query, failing()...).results(t)
			if got := statuses(res); !slices.Equal(got, []string{"200", "404", "200", "400", "200"}) {
				t.Fatalf("statuses %v", got)
			}
			for _, id := range []string{"a", "b", "c"} {
				if !exists(m, id) {
					t.Errorf("%s was not created", id)
				}
			}
		})
	}
}

func TestSTOP2_StopOnErrorEndsAfterTheFirstFailure(t *testing.T) {
	for _, query := range []string{"stopOnError=true", "stopOnError=True", "stopOnError=TRUE"} {
		t.Run(query, func(t *testing.T) {
			m := newMock(t, mockserver.Config{})
			res := m.batch(query, failing()...).results(t)
			if got := statuses(res); !slices.Equal(got, []string{"200", "404"}) {
				t.Fatalf("statuses %v, want the reply to end with the 404", got)
			}
			if !exists(m, "a") || exists(m, "b") || exists(m, "c") {
				t.Error("want a alone: what comes after the failure must not run")
			}
		})
	}
	t.Run("a malformed item stops it too", func(t *testing.T) {
		m := newMock(t, mockserver.Config{})
		res := m.batch("stopOnError=true", sub{"method": "GET"}, subreq.Post("/1/data/thing?id=a", obj{})).results(t)
		if len(res) != 1 || exists(m, "a") {
			t.Errorf("%d results; a exists: %v", len(res), exists(m, "a"))
		}
	})
	t.Run("a 405 and a 409 stop it", func(t *testing.T) {
		m := newMock(t, mockserver.Config{})
		m.do("POST", "/1/data/thing?id=a", obj{})
		for _, first := range []any{sub{"method": "PATCH", "path": "/1/data"}, subreq.Post("/1/data/thing?id=a", obj{})} {
			res := m.batch("stopOnError=true", first, subreq.Post("/1/data/thing?id=z", obj{})).results(t)
			if len(res) != 1 || exists(m, "z") {
				t.Errorf("after %v: %d results", first, len(res))
			}
		}
	})
}

func TestSTOP3_StopOnErrorWithoutFailureRunsEverything(t *testing.T) {
	m := newMock(t, mockserver.Config{})
	res := m.batch("stopOnError=true", creates(10, "thing")...).results(t)
	if len(res) != 10 {
		t.Fatalf("%d results", len(res))
	}
	if total := m.do("GET", "/1/data/thing", nil).json(t).(map[string]any)["total"]; total != jsonNumber(10) {
		t.Errorf("total %v", total)
	}
}

func TestSTOP4_AStopOnErrorNeitherTrueNorFalseRejectsTheBatch(t *testing.T) {
	m := newMock(t, mockserver.Config{})
	for _, v := range []string{"yes", "1", "", "truee", "on"} {
		r := m.batch("stopOnError="+v, subreq.Post("/1/data/thing?id=a", obj{}))
		if r.status != http.StatusBadRequest {
			t.Errorf("stopOnError=%q: %d, want 400", v, r.status)
			continue
		}
		if msg := assertEnvelope(t, r.json(t), 400); !strings.Contains(msg, "stopOnError") {
			t.Errorf("message %q does not name stopOnError", msg)
		}
	}
	if exists(m, "a") {
		t.Error("a rejected batch ran")
	}
}
