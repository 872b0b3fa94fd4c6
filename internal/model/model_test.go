package model

import (
	"encoding/json"
	"testing"

	"github.com/spacedog-oss/batchkit/internal/jsonvalue"
	"github.com/spacedog-oss/batchkit/spec"
)

func newModel(t *testing.T, profile string) *Model {
	t.Helper()
	m, err := New(Config{Profile: profile, MaxBatch: 5, ClockTicks: true})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// A seed makes one sequence of steps, whatever the replies were.
func TestAGeneratorRepeatsItsSeed(t *testing.T) {
	for _, profile := range spec.Profiles() {
		a, b := newModel(t, profile), newModel(t, profile)
		ga, gb, other := NewGen(a, 7), NewGen(b, 7), NewGen(newModel(t, profile), 8)
		same := 0
		for i := range 300 {
			sa, sb, so := ga.Step(), gb.Step(), other.Step()
			if sa.String() != sb.String() {
				t.Fatalf("%s step %d: %s then %s", profile, i, sa, sb)
			}
			if sa.String() == so.String() {
				same++
			}
			for _, run := range []struct {
				m  *Model
				st *Step
			}{{a, sa}, {b, sb}} {
				if run.st.Req != nil {
					run.m.JudgeDirect(run.st, 0, nil)
				} else {
					run.m.JudgeBatch(run.st, 0, nil)
				}
			}
		}
		if same > 30 {
			t.Errorf("%s: seeds 7 and 8 made %d of 300 steps alike", profile, same)
		}
	}
}

var host = Host{Name: "alpha.localhost", Backend: "alpha"}

func req(method, path, query, payload string) Request {
	r := Request{Method: method, Path: path, Query: query}
	if payload != "" {
		r.Payload = []byte(payload)
	}
	return r
}

// The profiles' differences (CONTRACT §7), as the model expects them.
func TestTheModelSpeaksEachProfile(t *testing.T) {
	cases := []struct {
		name   string
		r      Request
		item   int
		doc    string // a reply the doc profile must take, or "" to skip
		old    string // the spacedog-2016 profile's
		status [2]int
	}{
		{"a creation", req("POST", "/1/data/thing", "id=a", `{"n":1}`), -1,
			`{"success":true,"status":200,"id":"a","type":"thing","location":"http://alpha.localhost/1/data/thing/a","version":1}`,
			`{"success":true,"status":201,"id":"a","type":"thing","location":"http://alpha.localhost/1/data/thing/a","version":1}`,
			[2]int{200, 201}},
		{"a POST of an id in use", req("POST", "/1/data/thing", "id=a", `{"m":2}`), -1,
			`{"success":false,"status":409,"error":{"type":"x","message":"exists"}}`,
			`{"success":true,"status":201,"id":"a","type":"thing","location":"http://alpha.localhost/1/data/thing/a","version":2}`,
			[2]int{409, 201}},
		{"a GET of a missing object", req("GET", "/1/data/thing/zz", "", ""), -1,
			`{"success":false,"status":404,"error":{"type":"x","message":"object [zz] of type [thing] not found"}}`,
			`{"success":false,"status":404}`,
			[2]int{404, 404}},
		{"an item's payload in body", Request{Method: "POST", Path: "/1/data/thing", Payload: []byte(`{}`), Field: "body"}, 0,
			"", `{"success":false,"status":400,"error":{"type":"x","message":"no payload"}}`,
			[2]int{0, 400}},
		{"no route", req("GET", "/1/nowhere", "", ""), -1,
			`{"success":false,"status":404,"error":{"type":"x","message":"no route"}}`,
			`{"success":false,"status":404,"error":{"message":"[/1/nowhere] not a valid path"}}`,
			[2]int{404, 404}},
		{"a type's delete", req("DELETE", "/1/data/thing", "", ""), -1,
			`{"success":true,"status":200}`, `{"success":true,"status":200,"totalDeleted":1}`,
			[2]int{200, 200}},
		{"every object's delete", req("DELETE", "/1/data", "", ""), -1,
			`{"success":true,"status":200}`, `{"success":false,"status":501}`,
			[2]int{200, 501}},
	}
	models := [2]*Model{newModel(t, spec.Doc), newModel(t, spec.SpaceDog2016)}
	for _, c := range cases {
		for i, reply := range []string{c.doc, c.old} {
			if reply == "" {
				continue
			}
			out := models[i].Apply(host, c.r, Auth{Basic("fred"), "fred"}, c.item)
			if problems := out.Judge(c.status[i], []byte(reply)); problems != nil {
				t.Errorf("%s, %s: %v", models[i].Profile(), c.name, problems)
			}
		}
	}
}

// A reply that breaks a rule is judged so.
func TestJudgeFindsWhatIsWrong(t *testing.T) {
	m := newModel(t, spec.Doc)
	out := m.Apply(host, req("POST", "/1/data/thing", "id=a", `{"n":1}`), Auth{Basic("fred"), "fred"}, -1)
	for name, reply := range map[string]string{
		"another version": `{"success":true,"status":200,"id":"a","type":"thing","location":"http://alpha.localhost/1/data/thing/a","version":2}`,
		"a member twice":  `{"success":true,"success":true,"status":200,"id":"a","type":"thing","location":"http://alpha.localhost/1/data/thing/a","version":1}`,
		"not JSON":        `{"success":`,
	} {
		if out.Judge(200, []byte(reply)) == nil {
			t.Errorf("%s passed", name)
		}
	}
	if out.Judge(201, nil) == nil {
		t.Error("another status passed")
	}
	if m.Apply(host, req("GET", "/1/data/thing/b", "", ""), Auth{Basic("fred"), "fred"}, -1).
		Judge(404, []byte(`{"success":false,"status":404,"error":{"type":"x","message":"gone"}}`)) == nil {
		t.Error("an ERR-7 message that names nothing passed")
	}
}

// Signing in answers by the caller's Authorization alone (CONTRACT §6.1).
func TestSigningInAnswersByTheCallersCredentials(t *testing.T) {
	m, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	host := Host{Name: "alpha.localhost", Backend: "alpha"}
	for _, tc := range []struct {
		caller Auth
		status int
	}{
		{Auth{Basic("fred"), "fred"}, 200},
		{Auth{"", "anonymous"}, 403},
		{Auth{"Bearer 0123456789", "anonymous"}, 401},
	} {
		for _, path := range []string{"/1/login", "/v1/logout/"} {
			if got := m.Apply(host, Request{Method: "get", Path: path}, tc.caller, -1).Status(); got != tc.status {
				t.Errorf("GET %s as %q: %d, want %d", path, tc.caller.Header, got, tc.status)
			}
		}
	}
	if got := m.Apply(host, Request{Method: "POST", Path: "/1/login"}, Auth{Basic("fred"), "fred"}, -1).Status(); got != 405 {
		t.Errorf("POST /1/login: %d, want 405", got)
	}
}

// A run with one caller, anonymous or a user, draws steps without a user to
// put in an item's headers: the generator never picks from an empty list.
func TestAGeneratorWorksWithOneCaller(t *testing.T) {
	for _, profile := range []string{spec.Doc, spec.SpaceDog2016} {
		for _, callers := range [][]Auth{{{User: "anonymous"}}, {{Header: Basic("fred"), User: "fred"}}} {
			m, err := New(Config{Profile: profile, MaxBatch: 10, Auths: callers})
			if err != nil {
				t.Fatal(err)
			}
			gen := NewGen(m, 1)
			for range 2000 {
				st := gen.Step()
				if st.Auth != callers[0] {
					t.Fatalf("a step sent as %+v, the only caller is %+v", st.Auth, callers[0])
				}
			}
		}
	}
	if _, err := New(Config{Auths: []Auth{}}); err == nil {
		t.Error("a model with no caller at all was made")
	}
}

// Payloads nest no deeper than jsonvalue.Depth, the depth SpaceDog's own
// server took and the docs promise; the deep value is drawn at the top.
func TestPayloadsNestNoDeeperThanTheRange(t *testing.T) {
	m := newModel(t, spec.Doc)
	gen := NewGen(m, 11)
	deepest := 0
	for range 20000 {
		var v any
		if err := json.Unmarshal(gen.payload(true, false), &v); err != nil {
			continue // a payload DATA-5 refuses
		}
		deepest = max(deepest, depthOf(v))
	}
	if deepest > jsonvalue.Depth || deepest < jsonvalue.Depth {
		t.Errorf("payloads nest %d deep, want %d at most and reached", deepest, jsonvalue.Depth)
	}
}

func depthOf(v any) int {
	d := 0
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			d = max(d, depthOf(e))
		}
		return d + 1
	case []any:
		for _, e := range x {
			d = max(d, depthOf(e))
		}
		return d + 1
	}
	return 0
}
