package concurrency

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/spacedog-oss/batchkit/internal/model"
	"github.com/spacedog-oss/batchkit/spec"
)

// op makes an answered operation on object t/k, sent at call and
// answered at ret (microseconds).
func op(client int, method, query, payload string, call, ret int64, status int, body string) *Op {
	path := "/1/data/t/k"
	if method == http.MethodPost {
		path = "/1/data/t"
	}
	r := model.Request{Method: method, Path: path, Query: query}
	if payload != "" {
		r.Payload = []byte(payload)
	}
	o := &Op{Client: client, Type: "t", ID: "k", Req: r, Caller: model.Auth{Header: model.Basic("fred"), User: "fred"}, Item: -1,
		Call: call * 1000, Return: ret * 1000, Status: status, Body: []byte(body)}
	if status == model.Unanswered {
		o.Return = Never
	}
	return o
}

func checker(t *testing.T, profile string) *Checker {
	t.Helper()
	m, err := model.New(model.Config{Profile: profile})
	if err != nil {
		t.Fatal(err)
	}
	return &Checker{Model: m, Host: model.Host{Name: "h.test", Backend: "b"}}
}

func saved(version int) string {
	return fmt.Sprintf(`{"success":true,"status":200,"id":"k","type":"t","location":"http://h.test/1/data/t/k","version":%d}`, version)
}

func object(version int, fields string) string {
	const at = "2016-05-24T19:05:53.068Z"
	return fmt.Sprintf(`{%s"meta":{"id":"k","type":"t","version":%d,"createdBy":"fred","updatedBy":"fred","createdAt":"%s","updatedAt":"%s"}}`,
		fields, version, at, at)
}

// Two concurrent merges: each order explains a read of both fields; a
// read of one field, after both were answered, is a lost update.
func TestALostUpdateIsNotLinearizable(t *testing.T) {
	c := checker(t, spec.Doc)
	base := []*Op{
		op(0, "POST", "id=k", `{"x":1}`, 0, 10, 200, saved(1)),
		op(1, "PUT", "", `{"a":1}`, 20, 40, 200, saved(2)),
		op(2, "PUT", "", `{"b":1}`, 25, 45, 200, saved(3)),
	}
	both := append(base[:3:3], op(0, "GET", "", "", 50, 60, 200, object(3, `"x":1,"a":1,"b":1,`)))
	if v := c.Check(both, time.Minute); v.Finding != nil || len(v.Undecided) > 0 {
		t.Fatalf("a read of both merges: %+v", v.Finding)
	}
	lost := append(base[:3:3], op(0, "GET", "", "", 50, 60, 200, object(3, `"x":1,"b":1,`)))
	f := c.Check(lost, time.Minute).Finding
	if f == nil || f.Culprit != lost[3] || f.Disagree != "" {
		t.Fatalf("a lost update passed: %+v", f)
	}
	// From the create's answer on: the two merges and the read.
	if len(f.Ops) != 3 || len(f.Start) != 1 || f.Start[0].Version != 1 {
		t.Errorf("the part shown: %d requests from %v, want the last three from version 1", len(f.Ops), f.Start)
	}
	if !strings.Contains(strings.Join(f.Why, "\n"), `want {"a":1,"b":1,"x":1}`) {
		t.Errorf("why: %q", f.Why)
	}
}

// A request whose answer never came may have taken effect, or not.
func TestAnUnansweredRequestMayHaveTakenEffect(t *testing.T) {
	c := checker(t, spec.Doc)
	for _, read := range []string{object(1, `"x":1,`), object(2, `"x":2,`)} {
		h := []*Op{
			op(0, "POST", "id=k", `{"x":1}`, 0, 10, 200, saved(1)),
			op(1, "PUT", "", `{"x":2}`, 20, 0, model.Unanswered, ""),
			op(0, "GET", "", "", 50, 60, 200, read),
		}
		if v := c.Check(h, time.Minute); v.Finding != nil {
			t.Errorf("read %s after an unanswered update: %+v", read, v.Finding)
		}
	}
}

// Porcupine and the kit's own sweep agree on histories of the mock,
// whole and with one answer changed.
func TestPorcupineAndTheSweepAgree(t *testing.T) {
	for _, profile := range spec.Profiles() {
		res := run(t, mock(t, profile), profile, 120, 3)
		c := res.check
		m := c.porcupineModel()
		rng := rand.New(rand.NewPCG(1, 2))
		disagree := 0
		for _, p := range partitions(res.History.Ops()) {
			for try := range 10 {
				q := &partition{typ: p.typ, id: p.id, ops: append([]*Op(nil), p.ops...)}
				if try > 0 {
					i := rng.IntN(len(q.ops))
					changed := *q.ops[i]
					changed.Status = []int{200, 201, 404, 409}[rng.IntN(4)]
					q.ops[i] = &changed
				}
				legal := c.sweepPasses(q)
				if ok := porcupineOK(t, m, c, q); ok != legal {
					disagree++
					t.Errorf("%s %s try %d: Porcupine %v, the sweep %v", profile, p.name(), try, ok, legal)
				}
				if try == 0 && !legal {
					t.Errorf("%s %s: the mock's own history is not linearizable", profile, p.name())
				}
			}
		}
		if disagree > 0 {
			t.Errorf("%s: %d disagreements", profile, disagree)
		}
	}
}

// A check that runs out of time says so, and is no pass.
func TestACheckOutOfTimeIsNoPass(t *testing.T) {
	res := run(t, mock(t, spec.Doc), spec.Doc, 300, 4)
	res.Verdict = res.check.Check(res.History.Ops(), time.Nanosecond)
	if len(res.Verdict.Undecided) == 0 || res.Verdict.Finding != nil {
		t.Fatalf("verdict %+v", res.Verdict)
	}
	if p := res.Problem(nil, "about", ""); !strings.Contains(p, "not shown to hold (this is not a pass)") {
		t.Errorf("the problem does not say the check timed out: %q", p)
	}
}

// Members no rule names are the server's own; a location of the object's
// path anywhere is the object's.
func TestAnswersAreJudgedByTheMembersRulesName(t *testing.T) {
	const loc = "http://h.test/1/data/t/k"
	for _, tc := range []struct{ body, profile, want string }{
		{`{"success":true,"status":200,"id":"k","type":"t","location":"https://api.example/v/1/data/t/k","version":2,"server":"x"}`, spec.Doc,
			`{"id":"k","location":"http://h.test/1/data/t/k","status":200,"success":true,"type":"t","version":2}`},
		{`{"success":true,"status":200,"id":"k","type":"t","location":"https://api.example/1/data/t/other","version":2}`, spec.Doc,
			`{"id":"k","location":"https://api.example/1/data/t/other","status":200,"success":true,"type":"t","version":2}`},
		{`{"success":false,"status":404,"error":{"type":"x","message":"m","code":4},"doc":"u"}`, spec.Doc,
			`{"error":{"message":"m","type":"x"},"status":404,"success":false}`},
		{`{"a":1,"meta":{"id":"k","etag":"v1"}}`, spec.Doc, `{"a":1,"meta":{"id":"k"}}`},
		{`{"success":true,"status":200,"totalDeleted":3}`, spec.Doc, `{"status":200,"success":true}`},
		{`{"success":true,"status":200,"totalDeleted":3}`, spec.SpaceDog2016, `{"status":200,"success":true,"totalDeleted":3}`},
		{`not json`, spec.Doc, `not json`},
	} {
		if got := string(tolerate([]byte(tc.body), loc, tc.profile)); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.body, got, tc.want)
		}
	}
}

func porcupineOK(t *testing.T, m porcupine.Model, c *Checker, p *partition) bool {
	t.Helper()
	r := porcupine.CheckOperationsTimeout(m, c.history(p, p.ops), time.Minute)
	if r == porcupine.Unknown {
		t.Fatal("Porcupine timed out")
	}
	return r == porcupine.Ok
}

// sweepPasses runs the kit's sweep over a whole partition.
func (c *Checker) sweepPasses(p *partition) bool {
	all := make([]int, len(p.ops))
	for i := range all {
		all[i] = i
	}
	s := c.newSweep(p, []config{{}}, nil)
	for _, e := range events(p, all) {
		if ok, _ := s.apply(e); !ok {
			return false
		}
	}
	return true
}
