package mockserver_test

import (
	"bytes"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/spacedog-oss/batchkit/internal/model"
	"github.com/spacedog-oss/batchkit/mockserver"
	"github.com/spacedog-oss/batchkit/spec"
)

// The model test runs random sequences of direct requests and batches
// (internal/model's generator) against the mock and against the executable
// model of the data rules, in each profile, and checks after every step
// that both agree: statuses, the bodies' ids, versions, fields and totals,
// and the whole stored state. Every batch also runs, item by item, as
// direct requests on a twin mock with the same deterministic ids and
// clock, whose replies must be the batch's results byte for byte (ORD-4).
//
// A short run is part of `go test`. The long run:
//
//	go test -race -run TestModel ./mockserver/ -model.seeds=40 -model.steps=2000 -timeout=30m
//
// A failure names its profile, seed and step; -model.profile=P
// -model.seed=S -model.steps=N replays it.
var (
	modelSeeds   = flag.Int("model.seeds", 2, "model test: run the seeds 1 to N in each profile")
	modelSeed    = flag.Uint64("model.seed", 0, "model test: run this seed alone, to replay a failure")
	modelSteps   = flag.Int("model.steps", 200, "model test: steps per seed")
	modelProfile = flag.String("model.profile", "", "model test: run this profile alone")
)

// TestModel checks ORD-1 to ORD-4, SUB-1 to SUB-5, STOP-1 to STOP-4, LIM-1,
// LIM-2, ERR-1, ERR-3 to ERR-7, SEC-1, SEC-2, DATA-1 to DATA-6 and the
// profiles' differences (CONTRACT §7) together, on sequences no one wrote
// by hand.
func TestModel(t *testing.T) {
	seeds := []uint64{*modelSeed}
	if *modelSeed == 0 {
		seeds = nil
		for s := range *modelSeeds {
			seeds = append(seeds, uint64(s)+1)
		}
	}
	for _, profile := range spec.Profiles() {
		if *modelProfile != "" && profile != *modelProfile {
			continue
		}
		for _, seed := range seeds {
			t.Run(fmt.Sprintf("%s/seed=%d", profile, seed), func(t *testing.T) {
				step, st, problems := runModel(t, profile, seed, *modelSteps, nil)
				if problems != nil {
					t.Fatalf("%s, seed %d, step %d: %s\n%s\nreplay: go test -run TestModel ./mockserver/ -model.profile=%s -model.seed=%d -model.steps=%d",
						profile, seed, step, st, strings.Join(problems, "\n"), profile, seed, step+1)
				}
			})
		}
	}
}

// runModel runs a seed's steps on a mock (whose handler wrap may break)
// and its twin, and returns the first step they do not pass, or nil
// problems.
func runModel(t *testing.T, profile string, seed uint64, steps int, wrap func(http.Handler) http.Handler) (int, *model.Step, []string) {
	limit := []int{3, 5, 10}[seed%3] // small limits reach LIM-2 often
	config := func() mockserver.Config {
		cfg := deterministic()
		cfg.Profile, cfg.NewID, cfg.MaxBatch = profile, mockserver.SeededIDs(seed), limit
		return cfg
	}
	m, err := model.New(model.Config{Profile: profile, MaxBatch: limit, ClockTicks: true})
	if err != nil {
		t.Fatal(err)
	}
	run := &modelRun{a: newMock(t, config()), b: newMock(t, config()), model: m}
	if wrap != nil {
		ts := httptest.NewServer(wrap(run.a.srv))
		t.Cleanup(ts.Close)
		run.a.url = ts.URL
	}
	gen := model.NewGen(m, seed)
	for i := range steps {
		st := gen.Step()
		problems := run.step(st)
		if len(problems) == 0 {
			problems = run.checkState()
		}
		if t.Failed() { // the self-check of newMock reported a response that breaks the spec
			problems = append(problems, "a response breaks the spec: see the self-check errors above")
		}
		if len(problems) > 0 {
			return i, st, problems
		}
	}
	return steps, nil, nil
}

// modelRun holds the mock under test (a), its twin (b), which gets each
// batch's items as direct requests, and the model they must both agree with.
type modelRun struct {
	a, b  *mock
	model *model.Model
}

func (run *modelRun) step(st *model.Step) []string {
	if st.Req != nil {
		return run.direct(st)
	}
	return run.batch(st)
}

// direct sends a request to both mocks: they must answer the same bytes,
// and what the model expects.
func (run *modelRun) direct(st *model.Step) []string {
	r := st.Req
	method := strings.ToUpper(r.Method)
	ra := run.a.sendExactly(st.Host.Name, method, r.Path, r.Query, r.Payload, st.Header())
	rb := run.b.sendExactly(st.Host.Name, method, r.Path, r.Query, r.Payload, st.Header())
	var problems []string
	if ra.status != rb.status || !bytes.Equal(withoutTook(ra.body), withoutTook(rb.body)) {
		problems = append(problems, fmt.Sprintf("the twins differ:\n %d %s\n %d %s", ra.status, ra.body, rb.status, rb.body))
	}
	return append(problems, run.model.JudgeDirect(st, ra.status, ra.body)...)
}

// tookMember ends a spacedog-2016 listing: the milliseconds it took, which
// a busy machine makes differ between twins (CONTRACT §7). The model judges
// it; the twins are compared without it, as batch results are (model.Ran).
var tookMember = regexp.MustCompile(`,"took":\d+}$`)

func withoutTook(body []byte) []byte { return tookMember.ReplaceAll(body, []byte("}")) }

// batch posts a batch to the mock and has the model judge its reply; then
// sends each item that ran to the twin as a direct request, whose reply
// must be the item's result byte for byte (ORD-4).
func (run *modelRun) batch(st *model.Step) []string {
	ra := run.a.sendExactly(st.Host.Name, "POST", "/1/batch", st.Query, st.Body, st.Header())
	v := run.model.JudgeBatch(st, ra.status, ra.body)
	problems := v.Problems
	for _, r := range v.Ran {
		it := st.Items[r.Item]
		if !it.Alone {
			continue
		}
		q, h := run.model.Alone(it, st.Header())
		rb := run.b.sendExactly(st.Host.Name, q.Method, q.Path, q.Query, q.Payload, h)
		if r.Result != nil && (rb.status != r.Status || r.Exact && !bytes.Equal(rb.body, r.Result)) {
			problems = append(problems, fmt.Sprintf("item [%d] %s: sent on its own it answers\n %d %s\nnot its result\n %s",
				r.Item, it.Raw, rb.status, rb.body, r.Result))
		}
	}
	return problems
}

// checkState compares the mock's stored state with the model's, and with
// its twin's, byte for byte.
func (run *modelRun) checkState() []string {
	sa, sb := run.a.srv.State(""), run.b.srv.State("")
	if problems := run.model.CheckState(sa); len(problems) > 0 {
		return problems
	}
	if ja, jb := mustJSON(run.a.t, sa), mustJSON(run.b.t, sb); !bytes.Equal(ja, jb) {
		return []string{fmt.Sprintf("the twins' states differ:\n %s\n %s", ja, jb)}
	}
	return nil
}
