package mockserver_test

import (
	"encoding/base64"
	"slices"
	"testing"

	"github.com/spacedog-oss/batchkit/internal/subreq"
	"github.com/spacedog-oss/batchkit/mockserver"
)

func basic(user string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":secret"))
}

func TestSUB1_ContentAndBodyBothCarryThePayload(t *testing.T) {
	m := newMock(t, mockserver.Config{})
	res := m.batch("",
		sub{"method": "POST", "path": "/1/data/thing?id=c", "content": obj{"via": "content"}},
		sub{"method": "POST", "path": "/1/data/thing?id=b", "body": obj{"via": "body"}},
		sub{"method": "PUT", "path": "/1/data/thing/b", "body": obj{"more": 1}},
		sub{"method": "POST", "path": "/1/data/thing?id=both", "content": obj{}, "body": obj{}},
	).results(t)
	if got := statuses(res); !slices.Equal(got, []string{"200", "200", "200", "400"}) {
		t.Fatalf("statuses %v", got)
	}
	for id, via := range map[string]string{"c": "content", "b": "body"} {
		if o := m.do("GET", "/1/data/thing/"+id, nil).json(t).(obj); o["via"] != via {
			t.Errorf("%s: %v", id, o)
		}
	}
	if exists(m, "both") {
		t.Error("the item with both payloads ran")
	}
}

func TestSUB2_ParametersBecomeQueryParameters(t *testing.T) {
	m := newMock(t, mockserver.Config{})
	res := m.batch("",
		subreq.Post("/1/data/thing", obj{"a": 1, "b": 1}).With("parameters", obj{"id": "p1"}),
		subreq.Post("/1/data/thing?id=ignored", obj{}).With("parameters", obj{"id": "p2"}),
		subreq.Put("/1/data/thing/p1", obj{"a": 2}).With("parameters", obj{"strict": true, "version": 1}),
		subreq.Put("/1/data/thing/p1", obj{"a": 3}).With("parameters", obj{"version": 1}),
		subreq.Get("/1/data/thing?size=99").With("parameters", obj{"size": 1, "from": "1"}),
	).results(t)
	if got := statuses(res); !slices.Equal(got, []string{"200", "200", "200", "409", "200"}) {
		t.Fatalf("statuses %v: %v", got, res)
	}
	if res[0]["id"] != "p1" || res[1]["id"] != "p2" {
		t.Errorf("ids %v %v: id parameter not applied, or not winning over the path's", res[0]["id"], res[1]["id"])
	}
	if o := m.do("GET", "/1/data/thing/p1", nil).json(t).(obj); o["b"] != nil || o["a"] != jsonNumber(2) {
		t.Errorf("strict=true not applied: %v", o)
	}
	list := res[4]
	if list["total"] != jsonNumber(2) || len(list["results"].([]any)) != 1 {
		t.Errorf("size=1 from=1 not applied: %v", list)
	}
	if got := list["results"].([]any)[0].(obj)["meta"].(obj)["id"]; got != "p2" {
		t.Errorf("from=1 gave %v, want the second object", got)
	}
}

func TestSUB3_HeadersOverrideTheBatchsForThatSubRequestAlone(t *testing.T) {
	m := newMock(t, mockserver.Config{})
	items := []any{
		subreq.Post("/1/data/thing?id=fred", obj{}),
		subreq.Post("/1/data/thing?id=vince", obj{}).With("headers", obj{"authorization": basic("vince")}),
		subreq.Post("/1/data/thing?id=fred2", obj{}),
		subreq.Post("/1/data/thing?id=host", obj{}).With("headers", obj{"Host": "other.localhost"}),
	}
	r := m.do("POST", "/1/batch", items, "Authorization", basic("fred"))
	if got := statuses(r.results(t)); !slices.Equal(got, []string{"200", "200", "200", "200"}) {
		t.Fatalf("statuses %v", got)
	}
	for id, by := range map[string]string{"fred": "fred", "vince": "vince", "fred2": "fred", "host": "fred"} {
		o := m.do("GET", "/1/data/thing/"+id, nil).json(t).(obj)
		if got := o["meta"].(obj)["createdBy"]; got != by {
			t.Errorf("%s created by %v, want %s", id, got, by)
		}
	}
	// A Host header in an item does not move it to another backend.
	if _, ok := m.srv.State("")["other"]; ok {
		t.Error("an item's Host header chose the backend")
	}
}

func TestSUB4_SubRequestsRunWithTheBatchCallersCredentials(t *testing.T) {
	m := newMock(t, mockserver.Config{})
	r := m.do("POST", "/1/batch", []any{
		subreq.Post("/1/data/thing?id=x", obj{}),
		subreq.Put("/1/data/thing/x", obj{"a": 1}),
		subreq.Get("/1/data/thing/x"),
	}, "Authorization", basic("fred"))
	meta := r.results(t)[2]["meta"].(obj)
	if meta["createdBy"] != "fred" || meta["updatedBy"] != "fred" {
		t.Errorf("meta %v, want fred", meta)
	}
	r = m.batch("", subreq.Post("/1/data/thing?id=anon", obj{}), subreq.Get("/1/data/thing/anon"))
	if by := r.results(t)[1]["meta"].(obj)["createdBy"]; by != "anonymous" {
		t.Errorf("without credentials: createdBy %v", by)
	}
}

func TestSUB5_MethodCaseLegacyRootAndTrailingSlashAreAccepted(t *testing.T) {
	m := newMock(t, mockserver.Config{})
	res := m.batch("",
		sub{"method": "post", "path": "/v1/data/thing/?id=a", "content": obj{}},
		sub{"method": "Get", "path": "/1/data/thing/a/"},
		sub{"method": "gEt", "path": "/v1/data/thing/a"},
		sub{"method": "delete", "path": "/v1/data/thing/a/"},
	).results(t)
	if got := statuses(res); !slices.Equal(got, []string{"200", "200", "200", "200"}) {
		t.Fatalf("statuses %v: %v", got, res)
	}
	for _, path := range []string{"/v1/data/thing", "/1/data/thing/", "/v1/data/"} {
		if r := m.do("GET", path, nil); r.status != 200 {
			t.Errorf("direct GET %s: %d", path, r.status)
		}
	}
	if r := m.do("POST", "/v1/batch/", "[]"); r.status != 200 {
		t.Errorf("POST /v1/batch/: %d", r.status)
	}
}
