package mockserver_test

import (
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spacedog-oss/batchkit/fixtures"
	"github.com/spacedog-oss/batchkit/mockserver"
	"github.com/spacedog-oss/batchkit/spec"
)

func TestTheSampleSeedLoadsAndReadsBack(t *testing.T) {
	data, err := fixtures.File("seed/sample.json")
	if err != nil {
		t.Fatal(err)
	}
	st, err := mockserver.ParseState("sample.json", data)
	if err != nil {
		t.Fatal(err)
	}
	m := newMock(t, deterministic())
	if err := m.srv.Load(st); err != nil {
		t.Fatal(err)
	}
	o := m.do("GET", "/1/data/product/AVTkKLKsuJhkJMV-I3kz", nil).json(t).(obj)
	meta := o["meta"].(obj)
	if o["name"] != "Thunder Buzz" || meta["version"] != jsonNumber(4) || meta["updatedAt"] != "2016-05-26T09:08:13.411Z" || meta["createdBy"] != "fred" {
		t.Errorf("the page's product: %v", o)
	}
	l := m.do("GET", "/1/data/product", nil).json(t).(obj)
	if l["total"] != jsonNumber(3) || l["results"].([]any)[1].(obj)["name"] != "Teddy Bear" {
		t.Errorf("seeded in order: %v", l)
	}
	if r := m.do("GET", "/1/data/order", nil); r.status != 200 || r.json(t).(obj)["total"] != jsonNumber(0) {
		t.Errorf("an empty seeded type is known: %d %s", r.status, r.body)
	}
	duck := m.doHost("shop.localhost", "GET", "/1/data/product", nil).json(t).(obj)["results"].([]any)[0].(obj)
	if duck["meta"].(obj)["createdBy"] != "vince" || duck["meta"].(obj)["version"] != jsonNumber(1) {
		t.Errorf("shop's duck: %v", duck)
	}
	// The state reads back as it loads: a state file round-trips.
	again, err := mockserver.ParseState("state", mustJSON(t, m.srv.State("")))
	if err != nil {
		t.Fatal(err)
	}
	m2 := newMock(t, deterministic())
	if err := m2.srv.Load(again); err != nil {
		t.Fatal(err)
	}
	if a, b := string(mustJSON(t, m.srv.State(""))), string(mustJSON(t, m2.srv.State(""))); a != b {
		t.Errorf("a saved state does not load back the same:\n%s\n%s", a, b)
	}
}

func TestBadSeedsAreRefusedNamingFilePositionAndFault(t *testing.T) {
	for _, tc := range []struct{ name, data, want string }{
		{"not JSON", "{\n  \"default\": {\n    \"product\": [ {\"a\": 1,} ]\n  }\n}", "seed.json: line 3, column 26: invalid character '}'"},
		{"a list where types go", `{"default": []}`, "seed.json: default: must be an object of types, not an array"},
		{"an object where a list goes", `{"default": {"product": {"a": 1}}}`, "seed.json: default/product: must be a list of objects, not an object"},
		{"null", `null`, "seed.json: the state must be an object of backends, not null"},
		{"two documents", `{} {}`, "seed.json: line 1, column 4: more JSON after the state"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := mockserver.ParseState("seed.json", []byte(tc.data))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
	for _, tc := range []struct{ name, data, want string }{
		{"an object that is not an object", `{"default": {"product": [1]}}`, "default/product[0]: must be a JSON object"},
		{"a bad type name", `{"default": {"9lives": []}}`, `default: type "9lives": must match`},
		{"a bad backend name", `{"Shop!": {"product": []}}`, `backend "Shop!"`},
		{"a bad id", `{"default": {"product": [{"meta": {"id": "a/b"}}]}}`, `default/product[0]: meta.id "a/b"`},
		{"a bad time", `{"default": {"product": [{"meta": {"createdAt": "yesterday"}}]}}`, "default/product[0]: meta.createdAt"},
		{"a twice-used id", `{"default": {"product": [{"meta": {"id": "a"}}, {"meta": {"id": "a"}}]}}`, "id [a] twice"},
		{"another type in meta", `{"default": {"product": [{"meta": {"type": "order"}}]}}`, `meta.type "order"`},
		{"a bad version", `{"default": {"product": [{"meta": {"version": "4"}}]}}`, "default/product[0]: meta"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, err := mockserver.ParseState("seed.json", []byte(tc.data))
			if err != nil {
				t.Fatal(err)
			}
			m := newMock(t, mockserver.Config{})
			err = m.srv.Load(st)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one saying %q", err, tc.want)
			}
			if len(m.srv.State("")) != 0 {
				t.Error("a refused seed loaded something")
			}
		})
	}
}

func TestStateFilesAreWrittenWhole(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	st := mockserver.State{"default": {"t": nil}}
	if err := mockserver.WriteStateFile(path, st); err != nil {
		t.Fatal(err)
	}
	if err := mockserver.WriteStateFile(path, st); err != nil {
		t.Fatal(err)
	}
	entries := must(os.ReadDir(dir))
	if len(entries) != 1 {
		t.Errorf("the folder holds %d files: temporary files left behind", len(entries))
	}
	if _, err := mockserver.ParseState(path, must(os.ReadFile(path))); err != nil {
		t.Error(err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// A Host names a backend by its first label, a DNS label (CONTRACT §1): a
// Host whose label cannot name one is refused with a 400 naming it, and
// an X-Forwarded-Host that is not a host[:port] is not believed, so that
// every backend a request makes is one a state file loads again.
func TestEveryBackendARequestMakesLoadsAgain(t *testing.T) {
	for _, profile := range spec.Profiles() {
		m := newMock(t, mockserver.Config{Profile: profile})
		for _, host := range []string{"my_app.localhost", ".localhost", "-shop.localhost:8080", strings.Repeat("a", 64) + ".localhost", "my_app.api.example.com"} {
			r := m.doHost(host, "POST", "/1/data/product", obj{"name": "x"})
			if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "host ["+host+"]") {
				t.Errorf("%s: Host %s: %d %s, want a 400 naming the host", profile, host, r.status, r.body)
				continue
			}
			assertEnvelopeIn(t, profile, r.json(t), http.StatusBadRequest)
		}
		// A forwarded host of a proxy on this machine is a Host as well.
		r := m.do("POST", "/1/data/product", obj{}, "X-Forwarded-Host", "my_app.localhost:5173")
		if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "host [my_app.localhost:5173] (X-Forwarded-Host)") {
			t.Errorf("%s: X-Forwarded-Host my_app.localhost:5173: %d %s", profile, r.status, r.body)
		}
		// One that is no host[:port] is not believed: the Host is.
		for _, fh := range []string{"a b.localhost", "x/y.localhost", "u@evil.localhost", "x.localhost/y", "x.localhost:80a"} {
			r := m.doHost("ok.localhost", "POST", "/1/data/product", obj{}, "X-Forwarded-Host", fh)
			if r.status >= 300 || !strings.Contains(string(r.body), "http://ok.localhost/") {
				t.Errorf("%s: X-Forwarded-Host %q: %d %s, want the Host's backend and location", profile, fh, r.status, r.body)
			}
		}
		for _, host := range []string{"shop.localhost", "SHOP2.localhost:8080", "127.0.0.1", "a-1.b.example.com"} {
			if r := m.doHost(host, "POST", "/1/data/product", obj{}); r.status >= 300 {
				t.Errorf("%s: Host %s: %d %s", profile, host, r.status, r.body)
			}
		}
		path := filepath.Join(t.TempDir(), "state.json")
		if err := m.srv.SaveStateFile(path); err != nil {
			t.Fatal(err)
		}
		st, err := mockserver.ParseState(path, must(os.ReadFile(path)))
		if err != nil {
			t.Fatal(err)
		}
		again := newMock(t, mockserver.Config{Profile: profile})
		if err := again.srv.Load(st); err != nil {
			t.Errorf("%s: the saved state does not load again: %v", profile, err)
		}
		if got := slices.Sorted(maps.Keys(st)); !slices.Equal(got, []string{"a-1", "default", "ok", "shop", "shop2"}) {
			t.Errorf("%s: the backends saved are %q", profile, got)
		}
	}
	if _, err := mockserver.New(mockserver.Config{Backend: "my_app"}); err == nil || !strings.Contains(err.Error(), `backend "my_app"`) {
		t.Errorf("a default backend of no valid name: %v", err)
	}
}
