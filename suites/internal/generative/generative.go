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
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/spacedog-oss/batchkit/internal/jsonvalue"
	"github.com/spacedog-oss/batchkit/internal/model"
	"github.com/spacedog-oss/batchkit/mockserver"
	"github.com/spacedog-oss/batchkit/spec"
	"github.com/spacedog-oss/batchkit/suites/internal/backends"
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
	// RequestTimeout bounds an exchange with the target, from sending to
	// the reply's last byte, and MaxReply the bytes of a reply read: the
	// suites' --request-timeout and --max-reply. Zero: no bound.
	RequestTimeout time.Duration
	MaxReply       int64
	// BackendHosts names the target's backends beside its own host
	// (package backends): sequences use two of them at once, the run's own.
	BackendHosts string
	// Progress, when set, hears what the run has done every ProgressEvery
	// (5 s when 0).
	Progress      func(Stats)
	ProgressEvery time.Duration
}

// ErrNoCaller is Run's error when the target serves no anonymous caller
// and the run has no user's credentials: no sequence can be sent.
var ErrNoCaller = errors.New("the target refuses anonymous callers and the run has no user: give --username and --password")

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
	Base                string // the target's base URL the request went to: its own, or a backend's
	Method, Path, Query string
	Header              http.Header
	Body                []byte
	Status, RefStatus   int
	Reply, RefReply     []byte
}

// Stats says what a run did.
type Stats struct {
	Sequences, Steps, Requests int
	Disagreements              int      // 0, or 1: a run stops at its first
	Types                      []string // every type the run made on the target
	// Choices are what the probe found the target chose otherwise than the
	// mock where the contract leaves the choice, which the sequences then
	// keep to: "takes the id .dot".
	Choices []string
	// Notes say what the run could not do, and what would let it.
	Notes []string
}

// Run draws sequences until one disagrees, the count is reached or the
// budget is spent, and shrinks the first disagreement. A target that gives
// no reply to an exchange within the bounds is a finding too, the sequence
// as drawn up to that exchange.
func Run(ctx context.Context, cfg Config) (*Finding, Stats, error) {
	var stats Stats
	start := time.Now()
	client := boundedClient(cfg.RequestTimeout)
	ch, err := probe(ctx, cfg, client)
	var nr *noReply
	if errors.As(err, &nr) { // the target hung on a probe: that is the finding
		stats.Disagreements++
		return &Finding{Sent: ch.sent, Problems: []disagreement{{Text: nr.Error()}}}, stats, nil
	}
	if err != nil {
		return nil, stats, err
	}
	stats.Choices = ch.notes
	if ch.finding != nil {
		stats.Disagreements++
		return ch.finding, stats, nil
	}
	cfg.Auths = ch.auths
	cfg.Gen.NoAliases, cfg.Gen.StopOnErrorTrueFalse = ch.gen.NoAliases, ch.gen.StopOnErrorTrueFalse
	cfg.Gen.IDs, cfg.Gen.BadIDs = ch.gen.IDs, ch.gen.BadIDs
	told, every := time.Now(), cmp.Or(cfg.ProgressEvery, 5*time.Second)
	tell := func() {
		if cfg.Progress != nil && time.Since(told) >= every {
			cfg.Progress(stats)
			told = time.Now()
		}
	}
	for i := range cfg.Sequences {
		if i > 0 && time.Since(start) > cfg.Budget || ctx.Err() != nil {
			break
		}
		seed := cfg.Seed + uint64(i)
		s, err := newSession(ctx, cfg, client, &stats)
		if err != nil {
			return nil, stats, err
		}
		gen := model.NewGenWith(s.model, seed, s.options())
		var steps []*model.Step
		problems, err := s.prime()
		for i := 0; i < cfg.Steps && err == nil && problems == nil; i++ {
			st := gen.Step()
			steps = append(steps, st)
			stats.Steps++
			if problems, err = s.do(st); err != nil || problems != nil {
				break
			}
			if len(steps)%max(cfg.Every, 1) == 0 {
				if problems, err = s.state(); err != nil || problems != nil {
					break
				}
			}
			tell()
		}
		if err == nil && problems == nil {
			problems, err = s.state()
		}
		prefix := s.prefix
		var nr *noReply
		if errors.As(err, &nr) {
			// No replay: each would wait out the same bound. What was sent,
			// the exchange that got no reply last, is the report.
			s.close()
			stats.Sequences++
			stats.Disagreements++
			return &Finding{Seed: seed, Drawn: len(steps), Steps: steps, Sent: s.log,
				Problems: []disagreement{{Text: nr.Error()}}}, stats, nil
		}
		s.cleanup()
		s.close()
		stats.Sequences++
		if err != nil {
			return nil, stats, err
		}
		if problems != nil {
			stats.Disagreements++
			f, err := shrink(ctx, cfg, client, &stats, canonical(steps, prefix))
			if err != nil {
				return nil, stats, err
			}
			f.Seed, f.Drawn = seed, len(steps)
			return f, stats, nil
		}
	}
	return nil, stats, nil
}

// noReply is an exchange with the target that got no whole reply within
// the run's bounds: a finding, not an error of the kit.
type noReply struct{ err error }

func (e *noReply) Error() string { return "no reply: " + e.err.Error() }
func (e *noReply) Unwrap() error { return e.err }

// boundedClient is the client of the target: each exchange within timeout,
// no redirect followed (the API redirects nothing, and a redirect elsewhere
// would take the run's credentials along).
func boundedClient(timeout time.Duration) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = backends.Dial(&net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}) // *.localhost on loopback
	if timeout > 0 {
		t.TLSHandshakeTimeout, t.ResponseHeaderTimeout = timeout, timeout
	}
	return &http.Client{Transport: t, Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// session is one sequence's run: fresh types on the target, a fresh mock,
// and the model that draws the steps.
type session struct {
	ctx    context.Context
	cfg    Config
	client *http.Client // the target's, bounded
	stats  *Stats
	prefix string
	types  []string
	ghost  string
	mock   *httptest.Server
	model  *model.Model
	cmp    *comparer
	wire   spec.Wire
	host   string            // the target's own host
	hosts  []model.Host      // its own, and its backends' (a spelling of each in capitals too)
	bases  map[string]string // a host's name → the base URL its requests go to

	mu      sync.Mutex
	ids     []string // the target's generated ids, for the mock to generate next
	unshown int      // ids the mock made up
	log     []Exchange
}

// The type names a sequence uses: the generator's, under the session's prefix.
var typeNames = []string{"thing", "Gadget", "x_y-z"}

// sessionPrefix starts a session's types: the same for every session of a
// run, one after another, so that a run leaves a bounded set of types on
// the target (each session empties them, and makes them known first).
func sessionPrefix(prefix string) string { return prefix + "s_" }

// LaneSize is the most types a run leaves on the target, across the
// backends it writes in: its sessions' in the target's own backend and in
// the two of its own beside it (addHosts), and its probe's.
func LaneSize() int { return len(typeNames)*3 + 1 }

// Types are the types a run with this prefix may create in the target's
// own backend: its sessions' and its probe's. None is ever created under
// another name.
func Types(prefix string) []string {
	var out []string
	for _, t := range typeNames {
		out = append(out, sessionPrefix(prefix)+t)
	}
	return append(out, probeType(prefix))
}

func newSession(ctx context.Context, cfg Config, client *http.Client, stats *Stats) (*session, error) {
	sp, err := spec.LoadProfile(cfg.Profile)
	if err != nil {
		return nil, err
	}
	s := &session{ctx: ctx, cfg: cfg, client: client, stats: stats, wire: sp.Wire, cmp: &comparer{strict: cfg.Strict, maxBatch: cfg.MaxBatch, times: map[string]*seen{}}}
	s.prefix = sessionPrefix(cfg.Prefix)
	for _, t := range typeNames {
		s.types = append(s.types, s.prefix+t)
	}
	s.ghost = s.prefix + "ghost"
	for _, t := range s.types {
		if !slices.Contains(stats.Types, t) {
			stats.Types = append(stats.Types, t)
		}
	}
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
	if err := s.addHosts(); err != nil {
		return nil, err
	}
	return s, nil
}

// prime makes the session's types known and empty on both servers, in
// each of the session's backends, and in the model, whatever the target
// knew of them: a type once created stays known (DATA-4), and the types
// of a run are those of the runs before it. It is the sequence's first
// batch on each backend, compared as any other.
func (s *session) prime() ([]disagreement, error) {
	caller := s.cfg.Auths[0]
	for _, a := range s.cfg.Auths {
		if a.Header != "" {
			caller = a
			break
		}
	}
	var items []model.Item
	for _, t := range s.types {
		for _, r := range []model.Request{
			{Method: "POST", Path: "/1/data/" + t, Query: "id=primer", Payload: []byte("{}"), Field: "content"},
			{Method: "DELETE", Path: "/1/data/" + t},
		} {
			item := map[string]any{"method": r.Method, "path": r.Path}
			if r.Query != "" {
				item["path"] = r.Path + "?" + r.Query
			}
			if r.Payload != nil {
				item["content"] = json.RawMessage(r.Payload)
			}
			raw, err := json.Marshal(item)
			if err != nil {
				return nil, err
			}
			items = append(items, model.Item{Raw: raw, Req: &r, Alone: true})
		}
	}
	for _, h := range s.backends() {
		st := &model.Step{Host: h, Auth: caller, Items: items, Body: itemsBody(items)}
		if problems, err := s.do(st); err != nil || problems != nil {
			return problems, err
		}
	}
	return nil, nil
}

// addHosts gives the session the target's own host and two backends of its
// own beside it, each also spelled in capitals (a host is read without
// regard to case), or says in the run's notes why it has none.
func (s *session) addHosts() error {
	u, err := url.Parse(s.cfg.Target)
	if err != nil {
		return err
	}
	s.host = u.Host
	s.hosts = []model.Host{{Name: u.Host, Backend: "target"}}
	s.bases = map[string]string{u.Host: strings.TrimSuffix(s.cfg.Target, "/")}
	label := hostLabel(s.prefix)
	bs, why, err := backends.Of(s.cfg.Target, s.cfg.BackendHosts, []string{label + "a", label + "b"})
	if err != nil {
		return err
	}
	if why != "" && !slices.Contains(s.stats.Notes, why) {
		s.stats.Notes = append(s.stats.Notes, "one backend only: "+why)
	}
	for _, b := range bs {
		bu, err := url.Parse(b.Base)
		if err != nil {
			return err
		}
		names := []string{bu.Host}
		if b.Own {
			names = append(names, strings.ToUpper(bu.Hostname())+strings.TrimPrefix(bu.Host, bu.Hostname()))
		}
		for _, name := range names {
			s.hosts = append(s.hosts, model.Host{Name: name, Backend: b.Name, Own: b.Own})
			s.bases[name] = bu.Scheme + "://" + name + bu.EscapedPath()
		}
	}
	return nil
}

// hostLabel is the DNS label a session's backends are named from: its
// prefix in lower-case letters and digits.
func hostLabel(prefix string) string {
	if prefix == placeholder {
		return "zzsessionzz"
	}
	return strings.ToLower(strings.Map(func(r rune) rune {
		if r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			return r
		}
		return -1
	}, prefix))
}

func (s *session) close() { s.mock.Close() }

// options fit the generator to the target.
func (s *session) options() model.Options {
	o := s.cfg.Gen
	o.Hosts = s.hosts
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
func (s *session) send(base, method, path, query string, body []byte, h http.Header) (Exchange, error) {
	ex := Exchange{Base: base, Method: strings.ToUpper(method), Path: path, Query: query, Header: h, Body: body}
	var err error
	ex.Status, ex.Reply, err = s.exactly(false, ex)
	s.log = append(s.log, ex) // a request that got no reply is the report's last
	return ex, err
}

// reference sends the exchange's request to the mock and records its answer.
func (s *session) reference(ex *Exchange) error {
	var err error
	ex.RefStatus, ex.RefReply, err = s.exactly(true, *ex)
	s.log[len(s.log)-1] = *ex
	return err
}

// exactly sends the exchange's request, its path as written, to the
// target, or to the reference with the Host the target got.
func (s *session) exactly(toReference bool, ex Exchange) (int, []byte, error) {
	base := ex.Base
	if toReference {
		base = s.mock.URL
	}
	var rd io.Reader
	if ex.Body != nil {
		rd = bytes.NewReader(ex.Body)
	}
	req, err := http.NewRequestWithContext(s.ctx, ex.Method, base, rd)
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
	if toReference {
		if u, err := url.Parse(ex.Base); err == nil {
			req.Host = u.Host // the backend, and the locations, the target's
		}
		return do(http.DefaultClient, req, 0)
	}
	s.stats.Requests++
	status, b, err := do(s.client, req, s.cfg.MaxReply)
	if err != nil {
		return status, b, &noReply{fmt.Errorf("%s %s: %w", ex.Method, ex.Path, unwrapURL(err))}
	}
	return status, b, nil
}

// do sends a request and reads its reply whole, at most maxReply bytes of
// it (0: no bound).
func do(client *http.Client, req *http.Request, maxReply int64) (int, []byte, error) {
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	rd := io.Reader(resp.Body)
	if maxReply > 0 {
		rd = io.LimitReader(resp.Body, maxReply+1)
	}
	b, err := io.ReadAll(rd)
	if err == nil && maxReply > 0 && int64(len(b)) > maxReply {
		err = fmt.Errorf("a reply of more than %d bytes (--max-reply)", maxReply)
	}
	if err != nil {
		return resp.StatusCode, nil, fmt.Errorf("reading the reply to %s %s: %w", req.Method, req.URL.RequestURI(), err)
	}
	return resp.StatusCode, b, nil
}

// unwrapURL drops the *url.Error around a client's error, whose quoted URL
// repeats the request the message already names.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// do runs a step on both servers and compares their answers.
func (s *session) do(st *model.Step) ([]disagreement, error) {
	if st.Req != nil {
		r := st.Req
		ex, err := s.send(s.bases[st.Host.Name], r.Method, r.Path, r.Query, r.Payload, st.Header())
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
		choices := s.model.Problems(st.Host, *r, st.Auth, -1) // before the model takes the step
		s.model.JudgeDirect(st, ex.RefStatus, ex.RefReply)    // to draw the next steps from
		a := at{where: st.Req.String() + " on " + st.Host.Name, batchPath: isBatchPath(r.Path), item: -1, problems: choices, origin: ex.Base}
		return nonEmpty(s.cmp.reply(a, ex.Status, ex.Reply, ex.RefStatus, ex.RefReply)), nil
	}
	ex, err := s.send(s.bases[st.Host.Name], "POST", "/1/batch", st.Query, st.Body, st.Header())
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
	problems := s.compareBatch(st, ex, v)
	if problems == nil {
		return s.alone(st, v, got)
	}
	return problems, nil
}

// compareBatch compares batch replies: a whole batch refused, or the
// results, as many, each as its item's answer on its own.
func (s *session) compareBatch(st *model.Step, ex Exchange, v model.Verdict) []disagreement {
	stop := "true"
	if q, err := url.ParseQuery(st.Query); err == nil && q.Has("stopOnError") {
		stop = strings.ToLower(q.Get("stopOnError"))
	}
	over := st.Items != nil && len(st.Items) > s.cfg.MaxBatch && (stop == "true" || stop == "false")
	whole := at{where: "the batch on " + st.Host.Name, limit: over, item: -1, origin: ex.Base}
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
		a := at{where: fmt.Sprintf("item [%d] %s", i, it.Raw), item: i, raw: it.Raw, origin: ex.Base}
		if it.Req == nil {
			a.malformed, a.fields, a.hint = it.Malformed, it.Fields, it.Hint
		} else {
			a.batchPath = isBatchPath(it.Req.Path)
		}
		if i < len(v.Ran) {
			a.problems = v.Ran[i].Problems
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
		ex, err := s.send(s.bases[st.Host.Name], q.Method, q.Path, q.Query, q.Payload, h)
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

// state compares the stored objects of the session's types, in each
// backend: each type listed whole on both servers. Every backend is read
// after a write in any one: none may see another's data (CONTRACT §1).
func (s *session) state() ([]disagreement, error) {
	for _, h := range s.backends() {
		for _, t := range append(slices.Clone(s.types), s.ghost) {
			ex, err := s.send(s.bases[h.Name], "GET", "/1/data/"+t, "size=1000", nil, s.callerHeader())
			if err != nil {
				return nil, err
			}
			if err := s.reference(&ex); err != nil {
				return nil, err
			}
			a := at{where: fmt.Sprintf("the stored objects of %s on %s (GET /1/data/%s?size=1000)", t, h.Name, t), item: -1, origin: ex.Base}
			if p := nonEmpty(s.cmp.reply(a, ex.Status, ex.Reply, ex.RefStatus, ex.RefReply)); p != nil {
				return p, nil
			}
			s.log = s.log[:len(s.log)-1]
		}
	}
	return nil, nil
}

// backends are the session's hosts, one for each backend.
func (s *session) backends() []model.Host {
	var out []model.Host
	for _, h := range s.hosts {
		if !slices.ContainsFunc(out, func(o model.Host) bool { return o.Backend == h.Backend }) {
			out = append(out, h)
		}
	}
	return out
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

// cleanup deletes what the session created on the target: its types'
// objects. A target that stops answering is left as it is.
func (s *session) cleanup() {
	for _, h := range s.backends() {
		for _, t := range s.types {
			if _, err := s.send(s.bases[h.Name], "DELETE", "/1/data/"+t, "", nil, s.callerHeader()); err != nil {
				return
			}
		}
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
	x, errx := jsonvalue.Decode(a)
	y, erry := jsonvalue.Decode(b)
	return errx == nil && erry == nil && jsonvalue.Equal(x, y)
}

// choices are what the probe found of the target: the generator's options
// that keep the sequences to its choices, the callers it serves, what it
// chose otherwise than the mock, and a finding when it does not keep to a
// choice of its own.
type choices struct {
	gen     model.Options
	auths   []model.Auth
	notes   []string
	finding *Finding
	sent    []Exchange // the probe's exchanges with the target
}

// probe finds the choices the target made where the contract leaves one,
// so that the sequences keep to what it takes (the choices' own specs
// judge them): the ids it takes (CONTRACT §9), SUB-5's aliases and
// STOP-4's values unless strict; and whether it serves anonymous callers.
func probe(ctx context.Context, cfg Config, client *http.Client) (choices, error) {
	ch := choices{gen: model.Options{IDs: []string{}, BadIDs: []string{}}} // none kept is none, not the defaults
	p := prober{ctx: ctx, cfg: cfg, client: client, typ: probeType(cfg.Prefix), sent: &ch.sent}
	for _, a := range cfg.Auths {
		if a.Header != "" {
			p.auth = a.Header
			break
		}
	}
	ch.auths = cfg.Auths
	if status, body, err := p.do(cfg.Target, "POST", "/1/data/"+p.typ+"?id=p", "{}", ""); err != nil || status >= 300 {
		if err == nil && p.auth == "" && (status == http.StatusUnauthorized || status == http.StatusForbidden) {
			return ch, ErrNoCaller
		}
		return ch, fmt.Errorf("probing the target: a creation answered %d %s (%v)", status, body, err)
	}
	defer p.do(cfg.Target, "DELETE", "/1/data/"+p.typ, "", "")
	if p.auth != "" {
		if status, _, err := p.do(cfg.Target, "POST", "/1/data/"+p.typ+"?id=q", "{}", "-"); err != nil || status >= 300 {
			ch.auths = slices.DeleteFunc(slices.Clone(ch.auths), func(a model.Auth) bool { return a.Header == "" })
		}
	}
	if err := p.ids(&ch); err != nil || ch.finding != nil {
		return ch, err
	}
	if cfg.Strict {
		return ch, nil
	}
	for _, path := range []string{"/v1/data/" + p.typ + "/p", "/1/data/" + p.typ + "/p/"} {
		if status, _, err := p.do(cfg.Target, "GET", path, "", ""); err != nil || status != 200 {
			ch.gen.NoAliases = true
		}
	}
	status, body, err := p.do(cfg.Target, "POST", "/1/batch", `[{"method":"get","path":"/1/data/`+p.typ+`/p"}]`, "")
	sp, perr := spec.LoadProfile(cfg.Profile)
	if perr != nil {
		return ch, perr
	}
	if results, _ := sp.Wire.Results(body); err != nil || status != 200 || len(results) != 1 || spec.ResultStatus(results[0]) != 200 {
		ch.gen.NoAliases = true
	}
	if status, _, err := p.do(cfg.Target, "POST", "/1/batch?stopOnError=maybe", "[]", ""); err != nil || status != 400 {
		ch.gen.StopOnErrorTrueFalse = true
	}
	return ch, nil
}

// probeType is the type the probe writes in.
func probeType(prefix string) string { return prefix + "probe" }

// prober sends the probe's requests, as the run's first user unless told.
type prober struct {
	ctx    context.Context
	cfg    Config
	client *http.Client
	typ    string // the probe's type
	auth   string
	sent   *[]Exchange // the exchanges with the target, for a report
}

// do sends a request to base; user "" is the run's first user, "-" none.
func (p *prober) do(base, method, path, body, user string) (int, []byte, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(p.ctx, method, strings.TrimSuffix(base, "/")+"/", rd)
	if err != nil {
		return 0, nil, err
	}
	req.URL.Opaque = strings.TrimSuffix(req.URL.Path, "/") + path // as written
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	switch user {
	case "":
		if p.auth != "" {
			req.Header.Set("Authorization", p.auth)
		}
	case "-":
	default:
		req.Header.Set("Authorization", user)
	}
	if base != p.cfg.Target {
		status, b, err := do(http.DefaultClient, req, 0)
		if err != nil {
			return 0, nil, fmt.Errorf("probing the reference (a bug of the kit): %w", err)
		}
		return status, b, nil
	}
	status, b, err := do(p.client, req, p.cfg.MaxReply)
	*p.sent = append(*p.sent, Exchange{Method: method, Path: path, Header: req.Header, Body: []byte(body), Status: status, Reply: b})
	if err != nil {
		return 0, nil, &noReply{fmt.Errorf("%s %s, probing the target: %w", method, path, unwrapURL(err))}
	}
	return status, b, nil
}

// idChoice is what a server does with an id: takes it (a read of it is
// 404, a creation with it succeeds), refuses it (400 both), or neither.
type idChoice string

const (
	takes   idChoice = "takes"
	refuses idChoice = "refuses"
)

// ids asks the target and a mock what they do with each id the generator
// may send (CONTRACT §9: which ids a server takes is its own choice). The
// ids both treat alike stay in the sequences; one the target treats
// otherwise is left out of them, noted, and checked here for the one thing
// the contract asks of that choice: that the target keeps to it, directly
// and in a batch.
func (p *prober) ids(ch *choices) error {
	mock, err := mockserver.New(mockserver.Config{Profile: p.cfg.Profile, MaxBatch: p.cfg.MaxBatch})
	if err != nil {
		return err
	}
	ref := httptest.NewServer(mock)
	defer ref.Close()
	if status, _, err := p.do(ref.URL, "POST", "/1/data/"+p.typ+"?id=p", "{}", ""); err != nil || status >= 300 {
		return fmt.Errorf("probing the reference (a bug of the kit): %d %v", status, err)
	}
	sp, err := spec.LoadProfile(p.cfg.Profile)
	if err != nil {
		return err
	}
	wire := sp.Wire
	for _, id := range slices.Concat(p.cfg.Gen.IDs, p.cfg.Gen.BadIDs, model.IDs, model.BadIDs) {
		if slices.Contains(ch.gen.IDs, id) || slices.Contains(ch.gen.BadIDs, id) || slices.Contains(ch.excluded(), id) {
			continue
		}
		theirs, sent, err := p.idChoice(p.cfg.Target, id, wire)
		if err != nil {
			return err
		}
		ours, _, err := p.idChoice(ref.URL, id, wire)
		if err != nil {
			return err
		}
		switch {
		case theirs == ours && ours == takes:
			ch.gen.IDs = append(ch.gen.IDs, id)
		case theirs == ours && ours == refuses:
			ch.gen.BadIDs = append(ch.gen.BadIDs, id)
		case theirs == takes || theirs == refuses:
			ch.notes = append(ch.notes, fmt.Sprintf("%s the id %q, which the mock %s", theirs, id, ours))
		default:
			ch.finding = &Finding{Sent: sent, Problems: []disagreement{{Rules: []string{"DATA-5"}, Text: fmt.Sprintf(
				"the id %q is neither taken nor refused: an id a server refuses gets 400 wherever it is named, and one it takes but does not hold gets 404 (CONTRACT §9): %s", id, theirs)}}}
			return nil
		}
	}
	return nil
}

// excluded are the ids the notes name.
func (ch *choices) excluded() []string {
	var out []string
	for _, n := range ch.notes {
		if _, rest, ok := strings.Cut(n, `the id "`); ok {
			id, _, _ := strings.Cut(rest, `"`)
			out = append(out, id)
		}
	}
	return out
}

// idChoice asks a server what it does with an id, written as a path
// segment: a read of it, a creation with it as the generator writes one
// (?id=, then deleted), and a read in a batch. Anything but one choice,
// kept to in all three, is said as a sentence with the exchanges.
func (p *prober) idChoice(base, id string, wire spec.Wire) (idChoice, []Exchange, error) {
	var sent []Exchange
	ask := func(method, path, body string) (int, []byte, error) {
		status, b, err := p.do(base, method, path, body, "")
		sent = append(sent, Exchange{Method: method, Path: path, Body: []byte(body), Status: status, Reply: b})
		return status, b, err
	}
	read, _, err := ask("GET", "/1/data/"+p.typ+"/"+id, "")
	if err != nil {
		return "", sent, err
	}
	created, _, err := ask("POST", "/1/data/"+p.typ+"?id="+url.QueryEscape(id), "{}")
	if err != nil {
		return "", sent, err
	}
	if created < 300 {
		if _, _, err := ask("DELETE", "/1/data/"+p.typ+"/"+id, ""); err != nil {
			return "", sent, err
		}
	}
	status, body, err := ask("POST", "/1/batch", `[{"method":"GET","path":"/1/data/`+p.typ+`/`+id+`"}]`)
	if err != nil {
		return "", sent, err
	}
	results, rerr := wire.Results(body)
	batched := 0
	if status == http.StatusOK && rerr == nil && len(results) == 1 {
		batched = spec.ResultStatus(results[0])
	}
	switch {
	case read == http.StatusNotFound && created < 300 && batched == http.StatusNotFound:
		return takes, sent, nil
	case read == http.StatusBadRequest && created == http.StatusBadRequest && batched == http.StatusBadRequest:
		return refuses, sent, nil
	}
	return idChoice(fmt.Sprintf("answers a read %d, a creation %d and a read in a batch %d", read, created, batched)), sent, nil
}
