package mockserver_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/spacedog-oss/batchkit/internal/subreq"
	"github.com/spacedog-oss/batchkit/mockserver"
)

func TestERR3_EveryErrorIsTheEnvelope(t *testing.T) {
	m := newMock(t, mockserver.Config{})
	m.do("POST", "/1/data/thing?id=one", obj{"a": 1})
	res := m.batch("",
		subreq.Get("/1/data/thing/missing"),        // 404
		subreq.Get("/1/nowhere"),                   // 404, no route
		sub{"method": "PATCH", "path": "/1/data"},  // 405
		subreq.Post("/1/data/thing", "text"),       // 400
		subreq.Post("/1/data/thing?id=one", obj{}), // 409
		sub{"path": "/1/data"},                     // 400, malformed
	).results(t)
	for i, want := range []int{404, 404, 405, 400, 409, 400} {
		if msg := assertEnvelope(t, res[i], want); msg == "" {
			t.Errorf("result %d has no message", i)
		}
	}
	// The same holds for whole-request errors.
	for _, r := range []reply{m.do("GET", "/1/batch", nil), m.do("POST", "/1/batch", "{"), m.do("GET", "/nowhere", nil)} {
		assertEnvelope(t, r.json(t), r.status)
	}
}

func TestERR4_AMalformedSubRequestFailsInPlaceNamingIndexAndField(t *testing.T) {
	m := newMock(t, mockserver.Config{})
	for _, tc := range []struct {
		name string
		item any
		msg  string
	}{
		{"not an object", []any{"GET", "/1/data"}, "batch item [1]: must be a JSON object, not an array"},
		{"method missing", sub{"path": "/1/data"}, "batch item [1]: field [method] is missing"},
		{"path missing", sub{"method": "GET"}, "batch item [1]: field [path] is missing"},
		{"method empty", sub{"method": "", "path": "/1/data"}, "batch item [1]: field [method]: "},
		{"path not a string", sub{"method": "GET", "path": 7}, "batch item [1]: field [path]: "},
		{"path relative", sub{"method": "GET", "path": "1/data"}, "batch item [1]: field [path]: must match ^/"},
		{"headers not an object", subreq.Get("/1/data").With("headers", "X: y"), "batch item [1]: field [headers]: "},
		{"a header not a string", subreq.Get("/1/data").With("headers", obj{"X-N": 1}), "batch item [1]: field [headers/X-N]: "},
		{"parameters not an object", subreq.Get("/1/data").With("parameters", []any{1}), "batch item [1]: field [parameters]: "},
		{"a parameter an object", subreq.Get("/1/data").With("parameters", obj{"size": obj{}}), "batch item [1]: field [parameters/size]: must be a string, a number, a boolean, or an array of them"},
		{"content and body", subreq.Post("/1/data/thing", obj{}).With("body", obj{}), "batch item [1]: fields [content] and [body] are both given"},
		{"the page's third item", sub{"POST": "/v1/data/product", "body": obj{"name": "Mobby Dick"}},
			`batch item [1]: field [method] is missing; this item has a key "POST": write it {"method": "POST", "path": "/v1/data/product"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := m.batch("", subreq.Get("/1/data"), tc.item, subreq.Get("/1/data")).results(t)
			if got := statuses(res); !slices.Equal(got, []string{"200", "400", "200"}) {
				t.Fatalf("statuses %v, want the malformed one alone to fail", got)
			}
			if msg := assertEnvelope(t, res[1], 400); !strings.HasPrefix(msg, tc.msg) {
				t.Errorf("message %q\nwant prefix %q", msg, tc.msg)
			}
		})
	}
}

func TestERR5_NoRouteIs404AndAnotherMethodIs405(t *testing.T) {
	m := newMock(t, mockserver.Config{})
	res := m.batch("",
		subreq.Get("/1/nothing"),
		subreq.Get("/2/data"),
		sub{"method": "PATCH", "path": "/1/data/thing/x"},
		sub{"method": "POST", "path": "/1/data/thing/x"},
	).results(t)
	if got := statuses(res); !slices.Equal(got, []string{"404", "404", "405", "405"}) {
		t.Fatalf("statuses %v", got)
	}
	if r := m.do("GET", "/1/nothing", nil); r.status != http.StatusNotFound {
		t.Errorf("direct GET /1/nothing: %d", r.status)
	}
}

func TestERR6_ABatchInABatchIs400(t *testing.T) {
	m := newMock(t, mockserver.Config{})
	inner := []any{subreq.Post("/1/data/nested", obj{"a": 1})}
	res := m.batch("",
		sub{"method": "POST", "path": "/1/batch", "content": inner},
		sub{"method": "post", "path": "/v1/batch/", "content": inner},
		sub{"method": "POST", "path": "/1/batch?stopOnError=true", "content": inner},
	).results(t)
	for i := range res {
		if msg := assertEnvelope(t, res[i], 400); !strings.Contains(msg, "a batch cannot hold a batch") {
			t.Errorf("result %d: %q", i, msg)
		}
	}
	if len(m.srv.State("")) != 0 {
		t.Error("a nested batch ran")
	}
}

func TestERR7_AMissingObjectOrTypeIs404(t *testing.T) {
	m := newMock(t, mockserver.Config{})
	m.do("POST", "/1/data/product?id=real", obj{"a": 1})
	res := m.batch("",
		subreq.Get("/1/data/product/GVTkGHKsuJhkJMV-i2ke"),
		subreq.Delete("/1/data/product/GVTkGHKsuJhkJMV-i2ke"),
		subreq.Put("/1/data/product/GVTkGHKsuJhkJMV-i2ke", obj{"a": 2}),
		subreq.Get("/1/data/unknown/real"),
		subreq.Get("/1/data/unknown"),
		subreq.Delete("/1/data/unknown"),
	).results(t)
	want := "object [GVTkGHKsuJhkJMV-i2ke] of type [product] not found"
	for i := range 3 {
		if msg := assertEnvelope(t, res[i], 404); msg != want {
			t.Errorf("result %d: %q, want %q", i, msg, want)
		}
	}
	for i := 3; i < 6; i++ {
		if msg := assertEnvelope(t, res[i], 404); msg != "type [unknown] not found" {
			t.Errorf("result %d: %q", i, msg)
		}
	}
	if e := res[0]["error"].(map[string]any); e["type"] != "io.spacedog.services.NotFoundException" {
		t.Errorf("type %v", e["type"])
	}
}
