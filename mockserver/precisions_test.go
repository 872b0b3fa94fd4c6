package mockserver_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/spacedog-oss/batchkit/internal/subreq"
	"github.com/spacedog-oss/batchkit/mockserver"
	"github.com/spacedog-oss/batchkit/spec"
)

// CONTRACT §9: where sections 3 to 6 left room. Each test is named by the
// rule the precision belongs to, and runs directly and in a batch.

// seeded is a mock holding object t/k, and a check that it is still there.
func seeded(t *testing.T, profile string) (*mock, func()) {
	m := newMock(t, mockserver.Config{Profile: profile})
	if r := m.do("POST", "/1/data/t?id=k", obj{"n": 1}); r.status >= 300 {
		t.Fatalf("seed: %d %s", r.status, r.body)
	}
	return m, func() {
		t.Helper()
		if r := m.do("GET", "/1/data/t/k", nil); r.status != http.StatusOK {
			t.Errorf("object t/k is gone: %d %s", r.status, r.body)
		}
	}
}

func TestSEC1_AnEncodedSlashStaysInItsSegment(t *testing.T) {
	for _, profile := range spec.Profiles() {
		m, kept := seeded(t, profile)
		for _, path := range []string{"/1/data/t/k%2F", "/1/data/t/k%2f", "/v1/data/t/k%2F/", "/1/data/t/%2Fk"} {
			r := m.do("DELETE", path, nil)
			if msg := assertEnvelope(t, r.json(t), 400); !strings.Contains(msg, "parameter [id]") {
				t.Errorf("%s DELETE %s: message %q does not name the id", profile, path, msg)
			}
			res := m.batch("", subreq.Delete(path)).resultsIn(t, profile)
			if msg := assertEnvelope(t, res[0], 400); !strings.Contains(msg, "parameter [id]") {
				t.Errorf("%s batch DELETE %s: message %q does not name the id", profile, path, msg)
			}
			kept()
		}
		// A type with an encoded slash is no type: 400, and t keeps its object.
		assertEnvelope(t, m.do("DELETE", "/1/data/t%2Fk", nil).json(t), 400)
		if r := m.do("GET", "/1/data%2Ft/k", nil); r.status != http.StatusNotFound {
			t.Errorf("%s GET /1/data%%2Ft/k: %d, want 404 (no route)", profile, r.status)
		}
		kept()
	}
}

func TestSEC1_ABackslashInAPathIsRefused(t *testing.T) {
	m, kept := seeded(t, spec.Doc)
	for _, path := range []string{`/\localhost/1/data/t/k`, `/1/data/t/k\`, "/1/data/t/k%5C", "/1/data/t/k%5c", "/1%5Cdata/t/k"} {
		res := m.batch("", subreq.Delete(path)).results(t)
		if msg := assertEnvelope(t, res[0], 400); !strings.Contains(msg, "backslash") || !strings.Contains(msg, "path") {
			t.Errorf("batch DELETE %s: message %q does not name the backslash in the path", path, msg)
		}
	}
	// Go's client sends a raw backslash as it is.
	r := m.do("DELETE", "/1/data/t/k%5C", nil)
	if msg := assertEnvelope(t, r.json(t), 400); !strings.Contains(msg, "backslash") {
		t.Errorf("DELETE /1/data/t/k%%5C: message %q does not name the backslash", msg)
	}
	kept()
}

func TestERR4_ItemFieldNamesAreExact(t *testing.T) {
	m, kept := seeded(t, spec.Doc)
	res := m.batch("",
		sub{"METHOD": "DELETE", "PATH": "/1/data/t/k"},
		sub{"Method": "DELETE", "method": "GET", "path": "/1/data/t/k", "Path": "/1/data/t/nothing"},
		sub{"method": "PUT", "path": "/1/data/t/k", "Content": obj{"n": 2}},
	).results(t)
	msg := assertEnvelope(t, res[0], 400)
	for _, want := range []string{"batch item [0]", "field [method] is missing", `"METHOD"`} {
		if !strings.Contains(msg, want) {
			t.Errorf("item 0: message %q does not say %s", msg, want)
		}
	}
	if res[1]["n"] != jsonNumber(1) {
		t.Errorf("item 1: want the object t/k read by the exact fields, got %v", res[1])
	}
	msg = assertEnvelope(t, res[2], 400)
	if !strings.Contains(msg, "body") {
		t.Errorf("item 2: a PUT whose payload is under \"Content\" has no payload; message %q", msg)
	}
	kept()
}

func TestERR6_NestingIsRefusedForEveryMethodAndAlias(t *testing.T) {
	for _, profile := range spec.Profiles() {
		m, kept := seeded(t, profile)
		var items []any
		for _, method := range []string{"GET", "POST", "PUT", "DELETE", "PATCH", "FOO", "post"} {
			for _, path := range []string{"/1/batch", "/1/batch/", "/v1/batch", "/v1/batch/?stopOnError=true"} {
				items = append(items, sub{"method": method, "path": path, "content": []any{subreq.Delete("/1/data/t/k")}})
			}
		}
		for start := 0; start < len(items); start += 10 {
			chunk := items[start:min(start+10, len(items))]
			for i, r := range m.batch("", chunk...).resultsIn(t, profile) {
				if msg := assertEnvelope(t, r, 400); !strings.Contains(msg, "cannot hold a batch") {
					t.Errorf("%s item %v: message %q does not say nesting is refused", profile, chunk[i], msg)
				}
			}
		}
		kept()
	}
}

func TestERR4_AMethodMustBeAnHTTPToken(t *testing.T) {
	m, kept := seeded(t, spec.Doc)
	res := m.batch("",
		subreq.Delete("/1/data/t/k").With("method", "DEL ETE"),
		subreq.Delete("/1/data/t/k").With("method", "DELETE\r\n"),
		subreq.Delete("/1/data/t/k").With("method", "DELETE\x00"),
		subreq.Delete("/1/data/t/k").With("method", ""),
		subreq.Delete("/1/data/t/k").With("method", "DÉLETE"),
		subreq.Delete("/1/data/t/k").With("method", "PATCH"),
		subreq.Delete("/1/data/t/k").With("method", "X-CUSTOM"),
	).results(t)
	for i := range 5 {
		if msg := assertEnvelope(t, res[i], 400); !strings.Contains(msg, "field [method]") {
			t.Errorf("item %d: message %q does not name field [method]", i, msg)
		}
	}
	// A token that the route lacks is ERR-5's 405, as a direct request gets.
	for i := 5; i < 7; i++ {
		assertEnvelope(t, res[i], 405)
	}
	kept()
}

func TestDATA5_FromAndSizeAreAt32BitsAndVersionIsPositive(t *testing.T) {
	m, kept := seeded(t, spec.Doc)
	for _, target := range []string{
		"/1/data/t?size=2147483648", "/1/data/t?from=2147483648", "/1/data?size=9223372036854775808",
		"/1/data/t?from=-1", "/1/data/t?size=1.5",
	} {
		name := "size"
		if strings.Contains(target, "from=") {
			name = "from"
		}
		if msg := assertEnvelope(t, m.do("GET", target, nil).json(t), 400); !strings.Contains(msg, "parameter ["+name+"]") {
			t.Errorf("GET %s: message %q does not name %s", target, msg, name)
		}
	}
	if r := m.do("GET", "/1/data/t?size=2147483647&from=2147483647", nil); r.status != http.StatusOK {
		t.Errorf("from and size of 2^31-1: %d %s", r.status, r.body)
	}
	for _, v := range []string{"0", "-1", "x", "1.0", "99999999999999999999"} {
		res := m.batch("", subreq.Put("/1/data/t/k?version="+v, obj{"n": 2})).results(t)
		if msg := assertEnvelope(t, res[0], 400); !strings.Contains(msg, "parameter [version]") {
			t.Errorf("version=%s: message %q does not name version", v, msg)
		}
	}
	assertEnvelope(t, m.do("PUT", "/1/data/t/k?version=2", obj{"n": 2}).json(t), 409)
	kept()
	if r := m.do("PUT", "/1/data/t/k?version=1", obj{"n": 2}); r.status != http.StatusOK {
		t.Errorf("the current version: %d %s", r.status, r.body)
	}
}
