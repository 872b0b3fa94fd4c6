package mockserver_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/spacedog-oss/batchkit/internal/subreq"
	"github.com/spacedog-oss/batchkit/mockserver"
	"github.com/spacedog-oss/batchkit/spec"
)

// mock is a mock server under test, over real HTTP, with its self-check on:
// any response that breaks the spec fails the test.
type mock struct {
	t   testing.TB
	srv *mockserver.Server
	url string
}

func newMock(t testing.TB, cfg mockserver.Config) *mock {
	t.Helper()
	cfg.SelfCheck = func(err error) { t.Errorf("%v", err) }
	srv, err := mockserver.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &mock{t: t, srv: srv, url: ts.URL}
}

// deterministic is a config whose ids and times are the same on every run.
func deterministic() mockserver.Config {
	start := time.Date(2016, 5, 24, 19, 5, 53, 68e6, time.UTC)
	return mockserver.Config{NewID: mockserver.SeededIDs(1), Now: mockserver.FixedClock(start, time.Second)}
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the reply's body with numbers kept as json.Number.
func (r reply) json(t testing.TB) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("reply is not JSON: %v\n%s", err, r.body)
	}
	return v
}

// results decodes a doc-profile batch reply into its results.
func (r reply) results(t testing.TB) []map[string]any {
	t.Helper()
	return r.resultsIn(t, spec.Doc)
}

// resultsIn decodes a batch reply of the profile into its results.
func (r reply) resultsIn(t testing.TB, profile string) []map[string]any {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("batch status %d, want 200: %s", r.status, r.body)
	}
	var out []map[string]any
	target := any(&out)
	var envelope struct {
		Success   bool
		Status    int
		Responses *[]map[string]any
	}
	if profile == spec.SpaceDog2016 {
		envelope.Responses = &out
		target = &envelope
	}
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.UseNumber()
	if err := dec.Decode(target); err != nil {
		t.Fatalf("batch reply is not the %s profile's: %v\n%s", profile, err, r.body)
	}
	if profile == spec.SpaceDog2016 && (!envelope.Success || envelope.Status != 200) {
		t.Fatalf("batch reply envelope: %s", r.body)
	}
	return out
}

// do sends a request; body is sent as it is when it is []byte or string, as
// JSON otherwise. Headers come in name, value pairs.
func (m *mock) do(method, target string, body any, headers ...string) reply {
	m.t.Helper()
	return m.doHost("", method, target, body, headers...)
}

func (m *mock) doHost(host, method, target string, body any, headers ...string) reply {
	m.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = bytes.NewReader([]byte(b))
	default:
		data, err := json.Marshal(b)
		if err != nil {
			m.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, m.url+target, rd)
	if err != nil {
		m.t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		m.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		m.t.Fatal(err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: data}
}

// batch posts the items as a batch.
func (m *mock) batch(query string, items ...any) reply {
	m.t.Helper()
	if items == nil {
		items = []any{}
	}
	target := "/1/batch"
	if query != "" {
		target += "?" + query
	}
	return m.do("POST", target, items)
}

// sub is a batch item.
type sub = subreq.Item

type obj = map[string]any

// statuses lists the status of each result.
func statuses(results []map[string]any) []string {
	var out []string
	for _, r := range results {
		if s, ok := r["status"]; ok {
			out = append(out, s.(json.Number).String())
		} else {
			out = append(out, "200") // a representation: an object or a listing
		}
	}
	return out
}

// assertEnvelope checks the error envelope of ERR-3 and returns its message.
func assertEnvelope(t testing.TB, v any, status int) string {
	t.Helper()
	return checkEnvelope(t, v, status, true)
}

// assertEnvelopeIn is assertEnvelope in a profile: a spacedog-2016 route
// error (404, 405) has a message and no type (CONTRACT §7).
func assertEnvelopeIn(t testing.TB, profile string, v any, status int) string {
	t.Helper()
	routeError := profile == spec.SpaceDog2016 && (status == 404 || status == 405)
	return checkEnvelope(t, v, status, !routeError)
}

func checkEnvelope(t testing.TB, v any, status int, typed bool) string {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("error is not an object: %v", v)
	}
	if m["success"] != false || m["status"] != json.Number(strconv.Itoa(status)) {
		t.Errorf("envelope success/status = %v/%v, want false/%d", m["success"], m["status"], status)
	}
	e, _ := m["error"].(map[string]any)
	msg, _ := e["message"].(string)
	typ, hasType := e["type"].(string)
	if msg == "" || typed && (!hasType || typ == "") || !typed && e["type"] != nil && !hasType {
		t.Errorf("envelope error = %v, want a message and, where the profile has one, a type", m["error"])
	}
	return msg
}

func jsonNumber(n int) json.Number { return json.Number(strconv.Itoa(n)) }

// equalJSON compares two decoded JSON values; a value that cannot be
// encoded equals none.
func equalJSON(a, b any) bool {
	x, errA := json.Marshal(a)
	y, errB := json.Marshal(b)
	return errA == nil && errB == nil && bytes.Equal(x, y)
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
