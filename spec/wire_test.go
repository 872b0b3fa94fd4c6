package spec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/spacedog-oss/batchkit/fixtures"
	"github.com/spacedog-oss/batchkit/internal/jsonvalue"
)

// formatOf is the profile's format; the zero Wire would test nothing.
func formatOf(t *testing.T, profile string) Wire {
	t.Helper()
	w, err := wireOf(profile)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestFormats(t *testing.T) {
	doc := formatOf(t, "doc")
	old := formatOf(t, "spacedog-2016")
	if _, err := wireOf("v3"); err == nil {
		t.Error("an unknown profile has a format")
	}
	if r, err := doc.Results([]byte(`[{"a":1}]`)); err != nil || len(r) != 1 {
		t.Errorf("doc results: %v %v", r, err)
	}
	if _, err := doc.Results([]byte(`{"success":true,"status":200,"responses":[]}`)); err == nil {
		t.Error("doc took an envelope")
	}
	if r, err := old.Results([]byte(`{"success":true,"status":200,"responses":[{"a":1}]}`)); err != nil || len(r) != 1 {
		t.Errorf("2016 results: %v %v", r, err)
	}
	for _, bad := range []string{`[]`, `{"success":true,"status":200}`, `{"status":200,"responses":[]}`} {
		if _, err := old.Results([]byte(bad)); err == nil {
			t.Errorf("2016 took %s", bad)
		}
	}
	wrapped := json.RawMessage(`{"success":true,"status":200,"content":{"a":1}}`)
	if got := string(old.Alone("get", wrapped)); got != `{"a":1}` {
		t.Errorf("2016 unwrapped %s", got)
	}
	if got := string(old.Alone("DELETE", wrapped)); got != string(wrapped) {
		t.Errorf("2016 unwrapped a DELETE: %s", got)
	}
	if got := string(doc.Alone("GET", wrapped)); got != string(wrapped) {
		t.Errorf("doc unwrapped %s", got)
	}
}

func TestResultStatus(t *testing.T) {
	for raw, want := range map[string]int{`{"success":false,"status":404}`: 404, `{"name":"x","meta":{}}`: 200, `{"total":0,"results":[]}`: 200} {
		if got := ResultStatus(json.RawMessage(raw)); got != want {
			t.Errorf("ResultStatus(%s) = %d, want %d", raw, got, want)
		}
	}
}

func TestMembersAreReadByTheirExactNames(t *testing.T) {
	if got := ResultStatus(json.RawMessage(`{"STATUS":404,"name":"x"}`)); got != 200 {
		t.Errorf("a representation with a STATUS field read as %d", got)
	}
	old := formatOf(t, "spacedog-2016")
	if _, err := old.Results([]byte(`{"Success":true,"Status":200,"Responses":[]}`)); err == nil {
		t.Error("2016 took an envelope with other member names")
	}
	wrapped := json.RawMessage(`{"success":true,"status":200,"Content":{"a":1}}`)
	if got := string(old.Alone("GET", wrapped)); got != string(wrapped) {
		t.Errorf("2016 unwrapped a Content member: %s", got)
	}
}

// Each profile's wire reads what it writes, on seeded random results:
// Results(Reply(x)) is x, and Alone(m, Result(m, status, x)) is x.
func TestEachWireReadsWhatItWrites(t *testing.T) {
	for _, profile := range Profiles() {
		w, err := wireOf(profile)
		if err != nil {
			t.Fatal(err)
		}
		for seed := range uint64(300) {
			r := rand.New(rand.NewPCG(seed, 27))
			samples := make([]aloneResult, r.IntN(12))
			results := make([]json.RawMessage, len(samples))
			for i := range samples {
				samples[i] = randomAlone(r)
				s := samples[i]
				results[i] = w.Result(s.method, s.status, s.body)
				if !json.Valid(results[i]) {
					t.Fatalf("%s, seed %d: the result of %s %d %s is not JSON: %s", profile, seed, s.method, s.status, s.body, results[i])
				}
				if got := w.Alone(s.method, results[i]); !bytes.Equal(got, s.body) {
					t.Errorf("%s, seed %d: %s %d %s: Alone(Result) = %s", profile, seed, s.method, s.status, s.body, got)
				}
			}
			got, err := w.Results(w.Reply(results))
			if err != nil || !sameResults(got, results) {
				t.Errorf("%s, seed %d: Results(Reply(x)) = %q, %v; want %q", profile, seed, got, err, results)
			}
		}
	}
}

// Each profile's wire writes, from the results as they would have been
// alone, the fixtures' replies: the reference page's, and the 2016
// server's golden batches.
func TestEachWireWritesTheFixturesReplies(t *testing.T) {
	type exchange struct {
		name, profile string
		items, reply  []byte
	}
	var exchanges []exchange
	for _, f := range [][3]string{
		{SpaceDog2016, "spacedog-2016/request.json", "spacedog-2016/reply.json"},
		{Doc, "page/request.json", "page/reply.json"},
		{Doc, "page/request.corrected.json", "page/reply.corrected.json"},
	} {
		items, err := fixtures.File(f[1])
		if err != nil {
			t.Fatal(err)
		}
		reply, err := fixtures.File(f[2])
		if err != nil {
			t.Fatal(err)
		}
		exchanges = append(exchanges, exchange{f[2], f[0], items, reply})
	}
	golden, err := fixtures.SpaceDog2016()
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range golden {
		for i, step := range g.Steps {
			if path, _, _ := strings.Cut(step.Request.Path, "?"); path == "/1/batch" && step.Reply.Status == http.StatusOK {
				exchanges = append(exchanges, exchange{fmt.Sprintf("%s, step %d", g.Name, i), SpaceDog2016, step.Request.Body, step.Reply.Body})
			}
		}
	}
	for _, ex := range exchanges {
		w, err := wireOf(ex.profile)
		if err != nil {
			t.Fatal(err)
		}
		var items []json.RawMessage
		if err := json.Unmarshal(ex.items, &items); err != nil {
			t.Fatalf("%s: %v", ex.name, err)
		}
		results, err := w.Results(ex.reply)
		if err != nil || len(results) == 0 || len(results) > len(items) {
			t.Fatalf("%s: %d results of %d items, %v", ex.name, len(results), len(items), err)
		}
		back := make([]json.RawMessage, len(results))
		for i, r := range results {
			var method string // none for an item that is not an object, or has no method
			json.Unmarshal(jsonvalue.Members(items[i])["method"], &method)
			alone := w.Alone(method, r)
			back[i] = w.Result(method, ResultStatus(r), alone)
			if !bytes.Equal(compact(t, back[i]), compact(t, r)) {
				t.Errorf("%s: result [%d] (%s): written %s, want %s", ex.name, i, method, back[i], compact(t, r))
			}
			if got := w.Alone(method, back[i]); !bytes.Equal(got, alone) {
				t.Errorf("%s: result [%d]: Alone(Result(x)) = %s, want %s", ex.name, i, got, alone)
			}
		}
		reply := w.Reply(back)
		if !bytes.Equal(compact(t, reply), compact(t, ex.reply)) {
			t.Errorf("%s: reply written\n%s\nwant\n%s", ex.name, reply, compact(t, ex.reply))
		}
		if got, err := w.Results(reply); err != nil || !sameResults(got, back) {
			t.Errorf("%s: Results(Reply(x)) = %q, %v", ex.name, got, err)
		}
	}
}

// aloneResult is a sub-request's answer on its own.
type aloneResult struct {
	method string
	status int
	body   json.RawMessage
}

// randomAlone is an answer a sub-request could have had on its own: a
// representation, a listing, a save, a success or an error envelope, and
// stored objects that look like envelopes, with strings of any character.
func randomAlone(r *rand.Rand) aloneResult {
	methods := []string{"GET", "get", "Get", "POST", "PUT", "DELETE"}
	method := methods[r.IntN(len(methods))]
	str := func() string {
		runes := []rune{'a', 'Z', '"', '\\', '/', '<', '&', '\n', 0x01, 'é', '€', 0x2028, '😀', '{', '}'}
		out := make([]rune, r.IntN(8))
		for i := range out {
			out[i] = runes[r.IntN(len(runes))]
		}
		return string(out)
	}
	object := func() map[string]any {
		o := map[string]any{"name": str(), "n": r.IntN(1000), "meta": map[string]any{"id": str(), "version": 1 + r.IntN(9)}}
		if r.IntN(4) == 0 { // a stored object may hold anything, an envelope's members too
			o["success"], o["status"], o["content"] = r.IntN(2) == 0, []int{200, 404}[r.IntN(2)], map[string]any{"x": str()}
		}
		return o
	}
	var status int
	var body any
	switch r.IntN(6) {
	case 0:
		status, body = http.StatusOK, object()
	case 1:
		list := make([]any, r.IntN(3))
		for i := range list {
			list[i] = object()
		}
		status, body = http.StatusOK, map[string]any{"total": len(list) + r.IntN(5), "results": list}
	case 2:
		status = []int{200, 201}[r.IntN(2)]
		body = map[string]any{"success": true, "status": status, "id": str(), "type": "t", "location": "http://x/1/data/t/" + str(), "version": 1}
	case 3:
		status, body = http.StatusOK, map[string]any{"success": true, "status": 200}
	case 4:
		status, body = http.StatusNotFound, map[string]any{"success": false, "status": 404}
	default:
		status = []int{400, 401, 403, 404, 405, 409, 413, 500, 501}[r.IntN(9)]
		body = map[string]any{"success": false, "status": status, "error": map[string]any{"type": "java.lang.RuntimeException", "message": str()}}
	}
	b, err := json.Marshal(body)
	if err != nil {
		panic(err)
	}
	return aloneResult{method, status, b}
}

func sameResults(a, b []json.RawMessage) bool {
	return slices.EqualFunc(a, b, func(x, y json.RawMessage) bool { return bytes.Equal(x, y) })
}

func compact(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		t.Fatalf("not JSON: %v: %s", err, b)
	}
	return out.Bytes()
}
