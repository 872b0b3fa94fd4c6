// Package generative is the suites' generative mode: seeded random
// sequences, sent to the target and to an in-process mock in lockstep,
// compared by the rules, a disagreement shrunk.
//
// The sequences of direct requests and batches are internal/model's
// generator's; the mock, of the same profile, limit and users, is the
// reference; each answer of the target is
// compared with the reference's by the rules, and every few steps the
// stored objects of the run's types too. On the first disagreement the
// sequence is shrunk to a minimal one that still disagrees, for a report
// that replays it.
package generative

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spacedog-oss/batchkit/internal/model"
	"github.com/spacedog-oss/batchkit/mockserver"
	"github.com/spacedog-oss/batchkit/spec"
)

// Config is a generative run's settings.
type Config struct {
	Target           string // the target's base URL
	Profile          string
	MaxBatch         int
	Auths            []model.Auth // the callers: anonymous (Header ""), the users
	Prefix           string       // starts every type the run makes: unique to the run
	Strict           bool         // the SHOULD rules' choices must be the mock's
	Seed             uint64       // the first sequence's seed; the next ones follow
	Sequences, Steps int
	Budget           time.Duration // the run stops drawing sequences past it
	Every            int           // compare the stored objects every so many steps
	Gen              model.Options // the corpus's hostile items and bodies; the probe sets the choices
	Client           *http.Client
}

// Finding is a disagreement, shrunk: the steps that show it.
type Finding struct {
	Seed     uint64 // the seed of the sequence that found it
	Drawn    int    // the steps drawn before the disagreement showed
	Steps    []*model.Step
	Sent     []Exchange // the shrunk sequence's exchanges, the disagreeing ones last
	Problems []disagreement
	Shrinks  int // replays tried while shrinking
}

// Rules are the rules the disagreement names, sorted.
func (f *Finding) Rules() []string {
	var out []string
	for _, d := range f.Problems {
		for _, r := range d.Rules {
			if !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
	}
	slices.Sort(out)
	return out
}

// Problem is what disagrees, as sentences.
func (f *Finding) Problem() string {
	var lines []string
	for _, d := range f.Problems {
		lines = append(lines, d.String())
	}
	return strings.Join(lines, "\n")
}

// Exchange is a request sent to both servers, and their answers.
type Exchange struct {
	Method, Path, Query string
	Header              http.Header
	Body                []byte
	Status, RefStatus   int
	Reply, RefReply     []byte
}

// Stats says what a run did.
type Stats struct {
	Sequences, Steps, Requests int
	Types                      []string // every type the run made on the target
}

// Run draws sequences until one disagrees, the count is reached or the
// budget is spent, and shrinks the first disagreement.
func Run(ctx context.Context, cfg Config) (*Finding, Stats, error) {
	var stats Stats
	start := time.Now()
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 30 * time.Second}
	}
	choices, auths, err := probe(cfg, cfg.Client)
	if err != nil {
		return nil, stats, err
	}
	cfg.Auths = auths
	cfg.Gen.NoAliases, cfg.Gen.StopOnErrorTrueFalse = choices.NoAliases, choices.StopOnErrorTrueFalse
	for i := range cfg.Sequences {
		if i > 0 && time.Since(start) > cfg.Budget || ctx.Err() != nil {
			break
		}
		seed := cfg.Seed + uint64(i)
		s, err := newSession(cfg, &stats)
		if err != nil {
			return nil, stats, err
		}
		gen := model.NewGenWith(s.model, seed, s.options())
		var steps []*model.Step
		var problems []disagreement
		for range cfg.Steps {
			st := gen.Step()
			steps = append(steps, st)
			if problems, err = s.do(st); err != nil || problems != nil {
				break
			}
			if len(steps)%max(cfg.Every, 1) == 0 {
				if problems, err = s.state(); err != nil || problems != nil {
					break
				}
			}
		}
		if err == nil && problems == nil {
			problems, err = s.state()
		}
		prefix := s.prefix
		s.cleanup()
		s.close()
		stats.Sequences++
		if err != nil {
			return nil, stats, err
		}
		if problems != nil {
			f, err := shrink(ctx, cfg, &stats, canonical(steps, prefix))
			if err != nil {
				return nil, stats, err
			}
			f.Seed, f.Drawn = seed, len(steps)
			return f, stats, nil
		}
	}
	return nil, stats, nil
}

// session is one sequence's run: fresh types on the target, a fresh mock,
// and the model that draws the steps.
type session struct {
	cfg    Config
	stats  *Stats
	prefix string
	types  []string
	ghost  string
	mock   *httptest.Server
	model  *model.Model
	cmp    *comparer
	wire   spec.Wire
	host   string

	mu      sync.Mutex
	ids     []string // the target's generated ids, for the mock to generate next
	unshown int      // ids the mock made up
	log     []Exchange
}

// The type names a sequence uses: the generator's, under the session's prefix.
var typeNames = []string{"thing", "Gadget", "x_y-z"}

func newSession(cfg Config, stats *Stats) (*session, error) {
	sp, err := spec.LoadProfile(cfg.Profile)
	if err != nil {
		return nil, err
	}
	s := &session{cfg: cfg, stats: stats, wire: sp.Wire, cmp: &comparer{strict: cfg.Strict, maxBatch: cfg.MaxBatch, times: map[string]*seen{}}}
	s.prefix = fmt.Sprintf("%ss%d_", cfg.Prefix, len(stats.Types)/(len(typeNames)+1)+1)
	for _, t := range typeNames {
		s.types = append(s.types, s.prefix+t)
	}
	s.ghost = s.prefix + "ghost"
	stats.Types = append(stats.Types, append(slices.Clone(s.types), s.ghost)...)
	if s.model, err = model.New(model.Config{Profile: cfg.Profile, MaxBatch: cfg.MaxBatch, ClockTicks: true, Auths: cfg.Auths}); err != nil {
		return nil, err
	}
	var tick sync.Mutex
	clock := time.Date(2016, 5, 24, 19, 5, 53, 68e6, time.UTC)
	mock, err := mockserver.New(mockserver.Config{Profile: cfg.Profile, MaxBatch: cfg.MaxBatch,
		NewID: s.nextID,
		Now: func() time.Time { // a clock that moves on every write, as the model expects
			tick.Lock()
			defer tick.Unlock()
			clock = clock.Add(time.Millisecond)
			return clock
		}})
	if err != nil {
		return nil, err
	}
	s.mock = httptest.NewServer(mock)
	u, err := url.Parse(cfg.Target)
	if err != nil {
		return nil, err
	}
	s.host = u.Host
	return s, nil
}

func (s *session) close() { s.mock.Close() }

// options fit the generator to the target.
func (s *session) options() model.Options {
	o := s.cfg.Gen
	o.Hosts = []model.Host{{Name: s.host, Backend: "target"}}
	o.Types, o.Ghost = s.types, s.ghost
	o.NoAllData, o.GivenIDsOnly = true, true
	o.Hostile = retypeAll(o.Hostile, "hostile", s.types[0])
	o.HostileBodies = slices.Clone(o.HostileBodies)
	for i, b := range o.HostileBodies {
		o.HostileBodies[i] = bytes.ReplaceAll(b, []byte("/hostile"), []byte("/"+s.types[0]))
	}
	return o
}

func retypeAll(raws []json.RawMessage, from, to string) []json.RawMessage {
	out := make([]json.RawMessage, len(raws))
	for i, r := range raws {
		out[i] = bytes.ReplaceAll(r, []byte("/"+from), []byte("/"+to))
	}
	return out
}

// nextID is the mock's id generator: the target's generated ids, in the
// order the target showed them, so that both servers name the same objects.
func (s *session) nextID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.ids) == 0 {
		s.unshown++
		return fmt.Sprintf("%s%d", unshownID, s.unshown)
	}
	id := s.ids[0]
	s.ids = s.ids[1:]
	return id
}

func (s *session) feed(ids []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ids = ids
}

// send sends a request, its path as written, to the target and the mock.
func (s *session) send(method, path, query string, body []byte, h http.Header) (Exchange, error) {
	ex := Exchange{Method: strings.ToUpper(method), Path: path, Query: query, Header: h, Body: body}
	var err error
	if ex.Status, ex.Reply, err = s.exactly(s.cfg.Target, ex); err != nil {
		return ex, err
	}
	s.log = append(s.log, ex)
	return ex, nil
}

// reference sends the exchange's request to the mock and records its answer.
func (s *session) reference(ex *Exchange) error {
	var err error
	ex.RefStatus, ex.RefReply, err = s.exactly(s.mock.URL, *ex)
	s.log[len(s.log)-1] = *ex
	return err
}

func (s *session) exactly(base string, ex Exchange) (int, []byte, error) {
	var rd io.Reader
	if ex.Body != nil {
		rd = bytes.NewReader(ex.Body)
	}
	req, err := http.NewRequest(ex.Method, base, rd)
	if err != nil {
		return 0, nil, err
	}
	if strings.HasPrefix(ex.Path, "//") {
		// As Opaque, the client would send it as an absolute URL.
		if req.URL.Path, err = url.PathUnescape(ex.Path); err != nil {
			return 0, nil, err
		}
		req.URL.RawPath = ex.Path
	} else {
		req.URL.Opaque = strings.TrimSuffix(req.URL.Path, "/") + ex.Path
	}
	req.URL.RawQuery, req.Header = ex.Query, ex.Header.Clone()
	if base == s.cfg.Target {
		s.stats.Requests++
	}
	resp, err := s.cfg.Client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: %w", ex.Method, ex.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// do runs a step on both servers and compares their answers.
func (s *session) do(st *model.Step) ([]disagreement, error) {
	if st.Req != nil {
		r := st.Req
		ex, err := s.send(r.Method, r.Path, r.Query, r.Payload, st.Header())
		if err != nil {
			return nil, err
		}
		if generates(*r) && ex.Status < 300 {
			s.feed([]string{savedID(ex.Reply)})
		} else {
			s.feed(nil)
		}
		if err := s.reference(&ex); err != nil {
			return nil, err
		}
		s.model.JudgeDirect(st, ex.RefStatus, ex.RefReply) // to draw the next steps from
		a := at{where: st.Req.String(), batchPath: isBatchPath(r.Path), item: -1}
		return nonEmpty(s.cmp.reply(a, ex.Status, ex.Reply, ex.RefStatus, ex.RefReply)), nil
	}
	ex, err := s.send("POST", "/1/batch", st.Query, st.Body, st.Header())
	if err != nil {
		return nil, err
	}
	got, _ := s.wire.Results(ex.Reply)
	var ids []string
	for i, it := range st.Items {
		if i < len(got) && it.Req != nil && generates(*it.Req) && spec.ResultStatus(got[i]) < 300 {
			ids = append(ids, savedID(got[i]))
		}
	}
	s.feed(ids)
	if err := s.reference(&ex); err != nil {
		return nil, err
	}
	v := s.model.JudgeBatch(st, ex.RefStatus, ex.RefReply)
	problems := s.compareBatch(st, ex)
	if problems == nil {
		return s.alone(st, v, got)
	}
	return problems, nil
}

// compareBatch compares batch replies: a whole batch refused, or the
// results, as many, each as its item's answer on its own.
func (s *session) compareBatch(st *model.Step, ex Exchange) []disagreement {
	stop := "true"
	if q, err := url.ParseQuery(st.Query); err == nil && q.Has("stopOnError") {
		stop = strings.ToLower(q.Get("stopOnError"))
	}
	over := st.Items != nil && len(st.Items) > s.cfg.MaxBatch && (stop == "true" || stop == "false")
	whole := at{where: "the batch", limit: over, item: -1}
	if ex.RefStatus != 200 || ex.Status != 200 {
		return nonEmpty(s.cmp.reply(whole, ex.Status, ex.Reply, ex.RefStatus, ex.RefReply))
	}
	got, err := s.wire.Results(ex.Reply)
	if err != nil {
		return []disagreement{{Rules: []string{"ORD-1"}, Text: fmt.Sprintf("the batch reply: %v: %s", err, ex.Reply)}}
	}
	ref, err := s.wire.Results(ex.RefReply)
	if err != nil {
		return []disagreement{{Text: fmt.Sprintf("the reference's batch reply (a bug of the kit): %v", err)}}
	}
	if len(got) != len(ref) {
		return []disagreement{{Rules: []string{"ORD-1", "STOP-2"}, Text: fmt.Sprintf("%d results, the reference answers %d", len(got), len(ref))}}
	}
	var out []disagreement
	for i := range ref {
		it := st.Items[i]
		method := ""
		if it.Req != nil {
			method = it.Req.Method
		}
		a := at{where: fmt.Sprintf("item [%d] %s", i, it.Raw), item: i}
		if it.Req == nil {
			a.itemField = it.Field
		} else {
			a.batchPath = isBatchPath(it.Req.Path)
		}
		out = append(out, s.cmp.reply(a, spec.ResultStatus(got[i]), s.wire.Alone(method, got[i]),
			spec.ResultStatus(ref[i]), s.wire.Alone(method, ref[i]))...)
		if out != nil {
			return out
		}
	}
	return nil
}

// alone checks ORD-4 on the target: an item that ran and changed nothing
// (a read, a refusal), sent again on its own, answers as in the batch, when
// the reference shows that it still would.
func (s *session) alone(st *model.Step, v model.Verdict, got []json.RawMessage) ([]disagreement, error) {
	checked := 0
	for _, r := range v.Ran {
		it := st.Items[r.Item]
		if !it.Alone || r.Result == nil || r.Item >= len(got) || checked == 2 ||
			!strings.EqualFold(it.Req.Method, "GET") && r.Status < 400 {
			continue
		}
		q, h := s.model.Alone(it, st.Header())
		ex, err := s.send(q.Method, q.Path, q.Query, q.Payload, h)
		if err != nil {
			return nil, err
		}
		if err := s.reference(&ex); err != nil {
			return nil, err
		}
		if ex.RefStatus != r.Status || !sameJSON(ex.RefReply, r.Result) {
			s.log = s.log[:len(s.log)-1]
			continue // the reference's own state moved on: no witness
		}
		checked++
		batched := s.wire.Alone(it.Req.Method, got[r.Item])
		if ex.Status != spec.ResultStatus(got[r.Item]) || r.Exact && !sameJSON(ex.Reply, batched) {
			return []disagreement{{Rules: []string{"ORD-4"}, Text: fmt.Sprintf("item [%d] %s answered %s in the batch, and on its own %d %s",
				r.Item, it.Raw, batched, ex.Status, ex.Reply)}}, nil
		}
		s.log = s.log[:len(s.log)-1] // a check that agreed is no step of the sequence
	}
	return nil, nil
}

// state compares the stored objects of the session's types: each type
// listed whole on both servers.
func (s *session) state() ([]disagreement, error) {
	for _, t := range append(slices.Clone(s.types), s.ghost) {
		ex, err := s.send("GET", "/1/data/"+t, "size=1000", nil, s.callerHeader())
		if err != nil {
			return nil, err
		}
		if err := s.reference(&ex); err != nil {
			return nil, err
		}
		a := at{where: "the stored objects of " + t + " (" + "GET /1/data/" + t + "?size=1000)", item: -1}
		if p := nonEmpty(s.cmp.reply(a, ex.Status, ex.Reply, ex.RefStatus, ex.RefReply)); p != nil {
			return p, nil
		}
		s.log = s.log[:len(s.log)-1]
	}
	return nil, nil
}

// callerHeader is the first user's credentials, if any.
func (s *session) callerHeader() http.Header {
	h := http.Header{}
	for _, a := range s.cfg.Auths {
		if a.Header != "" {
			h.Set("Authorization", a.Header)
			break
		}
	}
	return h
}

// cleanup deletes what the session created on the target: its types' objects.
func (s *session) cleanup() {
	for _, t := range s.types {
		s.send("DELETE", "/1/data/"+t, "", nil, s.callerHeader())
	}
}

func nonEmpty(d []disagreement) []disagreement {
	if len(d) == 0 {
		return nil
	}
	return d
}

// generates: a creation without an id, for which the server makes one up.
func generates(r model.Request) bool {
	if !strings.EqualFold(r.Method, "POST") || isBatchPath(r.Path) {
		return false
	}
	q, err := url.ParseQuery(r.Query)
	if err != nil {
		return false
	}
	_, inParams := r.Params["id"]
	return !q.Has("id") && !inParams
}

func savedID(body []byte) string {
	var saved struct{ ID string }
	json.Unmarshal(body, &saved)
	return saved.ID
}

func isBatchPath(p string) bool {
	dec, err := url.PathUnescape(p)
	return err == nil && spec.NormalizePath(dec) == "/1/batch"
}

func sameJSON(a, b []byte) bool {
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && reflect.DeepEqual(x, y)
}

// probe finds the choices the target made where a SHOULD rule leaves one
// (SUB-5, STOP-4), and whether it serves anonymous callers, so that the
// sequences keep to what it takes: the choices' own specs judge them.
func probe(cfg Config, client *http.Client) (model.Options, []model.Auth, error) {
	typ := cfg.Prefix + "probe"
	var auth string
	for _, a := range cfg.Auths {
		if a.Header != "" {
			auth = a.Header
			break
		}
	}
	do := func(method, path, body, user string) (int, []byte, error) {
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, err := http.NewRequest(method, strings.TrimSuffix(cfg.Target, "/")+path, rd)
		if err != nil {
			return 0, nil, err
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if user != "" {
			req.Header.Set("Authorization", user)
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, nil, fmt.Errorf("probing the target: %w", err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, b, err
	}
	var o model.Options
	if status, body, err := do("POST", "/1/data/"+typ+"?id=p", "{}", auth); err != nil || status >= 300 {
		return o, nil, fmt.Errorf("probing the target: a creation answered %d %s (%v)", status, body, err)
	}
	defer do("DELETE", "/1/data/"+typ, "", auth)
	auths := cfg.Auths
	if status, _, err := do("POST", "/1/data/"+typ+"?id=q", "{}", ""); err != nil || status >= 300 {
		auths = slices.DeleteFunc(slices.Clone(auths), func(a model.Auth) bool { return a.Header == "" })
	}
	if cfg.Strict {
		return o, auths, nil
	}
	for _, p := range []string{"/v1/data/" + typ + "/p", "/1/data/" + typ + "/p/"} {
		if status, _, err := do("GET", p, "", auth); err != nil || status != 200 {
			o.NoAliases = true
		}
	}
	status, body, err := do("POST", "/1/batch", `[{"method":"get","path":"/1/data/`+typ+`/p"}]`, auth)
	sp, perr := spec.LoadProfile(cfg.Profile)
	if perr != nil {
		return o, nil, perr
	}
	if results, _ := sp.Wire.Results(body); err != nil || status != 200 || len(results) != 1 || spec.ResultStatus(results[0]) != 200 {
		o.NoAliases = true
	}
	if status, _, err := do("POST", "/1/batch?stopOnError=maybe", "[]", auth); err != nil || status != 400 {
		o.StopOnErrorTrueFalse = true
	}
	return o, auths, nil
}
