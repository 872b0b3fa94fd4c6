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
	s := &session{ctx: ctx, cfg: cfg, client: client, stats: stats, wire: sp.Wire, cmp: &comparer{profile: cfg.Profile, strict: cfg.Strict, maxBatch: cfg.MaxBatch, times: map[string]*seen{}}}
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
		a := at{where: st.Req.String() + " on " + st.Host.Name, batchPath: isBatchPath(r.Path), item: -1, problems: choices, origin: ex.Base, kind: model.Kind(*r)}
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
	whole := at{where: "the batch on " + st.Host.Name, limit: over, item: -1, origin: ex.Base, kind: "batch"}
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
			a.batchPath, a.kind = isBatchPath(it.Req.Path), model.Kind(*it.Req)
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

// savedID is a saved answer's id, read by its exact member name (a struct
// would take "ID" or "Id" too); "" when it has none.
func savedID(body []byte) string {
	var saved map[string]json.RawMessage
	var id string
	if json.Unmarshal(body, &saved) != nil || json.Unmarshal(saved["id"], &id) != nil {
		return ""
	}
	return id
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
