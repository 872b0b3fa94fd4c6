package mockserver_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/spacedog-oss/batchkit/fixtures"
	"github.com/spacedog-oss/batchkit/internal/subreq"
	"github.com/spacedog-oss/batchkit/mockserver"
	"github.com/spacedog-oss/batchkit/spec"
)

// The spacedog-2016 profile answers every difference of CONTRACT §7, and
// everything else as the doc profile does.

func mock2016(t *testing.T) *mock {
	return newMock(t, mockserver.Config{Profile: spec.SpaceDog2016})
}

func TestProfile2016_TheBatchReplyIsAnEnvelope(t *testing.T) {
	m := mock2016(t)
	if r := m.do("POST", "/1/batch", "[]"); r.status != 200 || string(r.body) != `{"success":true,"status":200,"responses":[]}` {
		t.Errorf("empty batch: %d %s", r.status, r.body)
	}
	res := m.batch("", subreq.Get("/1/data/thing/x")).resultsIn(t, spec.SpaceDog2016)
	if len(res) != 1 {
		t.Fatalf("%d results", len(res))
	}
}

func TestProfile2016_ASuccessfulGetIsWrappedInABatchOnly(t *testing.T) {
	m := mock2016(t)
	m.do("POST", "/1/data/thing?id=x", obj{"a": 1})
	direct := m.do("GET", "/1/data/thing/x", nil)
	res := m.batch("", subreq.Get("/1/data/thing/x"), subreq.Get("/1/data/thing"), subreq.Delete("/1/data/thing/nope")).resultsIn(t, spec.SpaceDog2016)
	want := direct.json(t)
	if res[0]["success"] != true || res[0]["status"] != jsonNumber(200) || !equalJSON(res[0]["content"], want) {
		t.Errorf("wrapped GET %v, want content %v", res[0], want)
	}
	if res[1]["content"].(obj)["total"] != jsonNumber(1) {
		t.Errorf("wrapped listing %v", res[1])
	}
	if _, wrapped := res[2]["content"]; wrapped || res[2]["status"] != jsonNumber(404) {
		t.Errorf("a failed DELETE is not wrapped: %v", res[2])
	}
	if _, ok := direct.json(t).(obj)["meta"]; !ok {
		t.Errorf("a direct GET is the representation itself: %s", direct.body)
	}
}

func TestProfile2016_ACreationAnswers201(t *testing.T) {
	m := mock2016(t)
	r := m.do("POST", "/1/data/thing?id=x", obj{})
	if r.status != http.StatusCreated || r.json(t).(obj)["status"] != jsonNumber(201) {
		t.Errorf("direct create: %d %s", r.status, r.body)
	}
	res := m.batch("", subreq.Post("/1/data/thing", obj{}), subreq.Put("/1/data/thing/x", obj{"a": 1})).resultsIn(t, spec.SpaceDog2016)
	if res[0]["status"] != jsonNumber(201) || res[1]["status"] != jsonNumber(200) {
		t.Errorf("batched create then update: %v %v, want 201 then 200", res[0]["status"], res[1]["status"])
	}
}

func TestProfile2016_ThePayloadIsReadFromContentOnly(t *testing.T) {
	m := mock2016(t)
	res := m.batch("",
		sub{"method": "POST", "path": "/1/data/thing?id=b", "body": obj{"via": "body"}},
		sub{"method": "POST", "path": "/1/data/thing?id=both", "content": obj{"via": "content"}, "body": obj{"via": "body"}},
	).resultsIn(t, spec.SpaceDog2016)
	if res[0]["status"] != jsonNumber(400) || res[1]["status"] != jsonNumber(201) {
		t.Fatalf("body alone, then both: %v", res)
	}
	if o := m.do("GET", "/1/data/thing/both", nil).json(t).(obj); o["via"] != "content" {
		t.Errorf("with both, the object is %v, want content's", o)
	}
}

func TestProfile2016_AListingSaysHowLongItTook(t *testing.T) {
	m := mock2016(t)
	m.do("POST", "/1/data/thing", obj{})
	for _, l := range []obj{
		m.do("GET", "/1/data/thing", nil).json(t).(obj),
		m.do("GET", "/1/data", nil).json(t).(obj),
		m.batch("", subreq.Get("/1/data/thing")).resultsIn(t, spec.SpaceDog2016)[0]["content"].(obj),
	} {
		if took, ok := l["took"].(json.Number); !ok || took < "0" {
			t.Errorf("listing without took: %v", l)
		}
	}
}

func TestProfile2016_AGetOfAMissingObjectIsABareFailure(t *testing.T) {
	m := mock2016(t)
	m.do("POST", "/1/data/thing?id=x", obj{})
	for _, path := range []string{"/1/data/thing/nope", "/1/data/unknown/x"} {
		if r := m.do("GET", path, nil); r.status != 404 || string(r.body) != `{"success":false,"status":404}` {
			t.Errorf("GET %s: %d %s", path, r.status, r.body)
		}
	}
	res := m.do("POST", "/1/batch", []any{subreq.Get("/1/data/thing/nope"), subreq.Delete("/1/data/thing/nope")})
	want := `{"success":true,"status":200,"responses":[{"success":false,"status":404},{"success":false,"status":404,"error":{"type":"java.lang.RuntimeException","message":"object of type [thing] and id [nope] not found"}}]}`
	if string(res.body) != want {
		t.Errorf("batch:\n%s\nwant\n%s", res.body, want)
	}
}

// The 2016 server checked each element when its loop reached it: what ran
// before stays done, nothing after runs, and the whole batch answers 400.
func TestProfile2016_AnElementThatIsNotAnObjectRejectsTheBatchWhenReached(t *testing.T) {
	m := mock2016(t)
	for _, tc := range []struct {
		element any
		kind    string
	}{{42, "NUMBER"}, {"x", "STRING"}, {nil, "NULL"}, {true, "BOOLEAN"}, {[]any{}, "ARRAY"}} {
		r := m.batch("", subreq.Post("/1/data/thing?id=first", obj{}), tc.element, subreq.Post("/1/data/thing?id=third", obj{}))
		if r.status != http.StatusBadRequest {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
		if msg := assertEnvelope(t, r.json(t), 400); msg != "not a json object but ["+tc.kind+"]" {
			t.Errorf("message %q, want the node type %s", msg, tc.kind)
		}
		if m.do("GET", "/1/data/thing/first", nil).status != 200 {
			t.Error("the item before the bad element did not run")
		}
		if m.do("GET", "/1/data/thing/third", nil).status != 404 {
			t.Error("the item after the bad element ran")
		}
		m.do("DELETE", "/1/data/thing/first", nil)
	}
	// A stop before the element: the usual reply, the element never read.
	r := m.batch("stopOnError=true", subreq.Get("/1/data/thing/nope"), 42)
	if res := r.resultsIn(t, spec.SpaceDog2016); len(res) != 1 {
		t.Errorf("%d results, want the failure that stopped the batch", len(res))
	}
}

func TestAnUnknownProfileIsRefused(t *testing.T) {
	if _, err := mockserver.New(mockserver.Config{Profile: "spacedog-2017"}); err == nil {
		t.Error("New took an unknown profile")
	}
}

func TestThe2016ServersExchange(t *testing.T) {
	req, err := fixtures.File("spacedog-2016/request.json")
	if err != nil {
		t.Fatal(err)
	}
	cfg := deterministic()
	cfg.Profile = spec.SpaceDog2016
	m := newMock(t, cfg)
	fred := basic("fred")
	thunder := obj{"name": "Thunder Buzz", "price": "$13.45"}
	m.doHost("mybackend.spacedog.io", "POST", "/1/data/product?id=AVTkKLKsuJhkJMV-I3kz", thunder, "Authorization", fred)
	for range 3 {
		m.doHost("mybackend.spacedog.io", "PUT", "/1/data/product/AVTkKLKsuJhkJMV-I3kz", thunder, "Authorization", fred)
	}
	r := m.doHost("mybackend.spacedog.io", "POST", "/1/batch", req, "Authorization", fred)
	golden(t, "spacedog-2016/reply.json", r.body)
}

// The 2016 server named a saved object in a header too
// (JsonPayload.saved); a direct save answers it, in that profile only.
func TestProfile2016_ASaveNamesItsObjectInAHeader(t *testing.T) {
	for _, profile := range spec.Profiles() {
		m := newMock(t, mockserver.Config{Profile: profile})
		created := m.do("POST", "/1/data/thing?id=k", obj{})
		updated := m.do("PUT", "/1/data/thing/k", obj{"a": 1})
		want := ""
		if profile == spec.SpaceDog2016 {
			want = "k"
		}
		for _, r := range []reply{created, updated} {
			if got := r.header.Get("X-Spacedog-Object-Id"); got != want {
				t.Errorf("%s: x-spacedog-object-id %q, want %q", profile, got, want)
			}
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("%s: Content-Type %q", profile, ct)
			}
		}
	}
}

// A body over the limit is answered in the profile's words too: the 2016
// server had no PayloadTooLargeException, and said such things with a
// RuntimeException (JsonPayload.error(status, message)).
func TestProfile2016_ABodyOverTheLimitIsARuntimeException(t *testing.T) {
	for profile, want := range map[string]string{spec.Doc: "io.spacedog.services.PayloadTooLargeException", spec.SpaceDog2016: "java.lang.RuntimeException"} {
		m := newMock(t, mockserver.Config{Profile: profile, MaxBody: 16})
		r := m.do("POST", "/1/data/thing", `{"a":"more than sixteen bytes"}`)
		assertEnvelope(t, r.json(t), 413)
		e, _ := r.json(t).(map[string]any)["error"].(map[string]any)
		if e["type"] != want {
			t.Errorf("%s: error type %v, want %s", profile, e["type"], want)
		}
	}
}
