package generative

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/spacedog-oss/batchkit/internal/model"
)

// placeholder stands for a session's type prefix in a sequence kept for
// replays: each replay runs on types of its own.
const placeholder = "@@types@@"

// maxShrinks bounds the replays a shrink tries.
const maxShrinks = 400

// shrinker replays candidate sequences, keeping the shortest that still
// disagrees.
type shrinker struct {
	ctx      context.Context
	cfg      Config
	client   *http.Client
	tell     func() // the run's progress
	stats    *Stats
	deadline time.Time
	tries    int
	best     []*model.Step
	found    *Finding
}

// shrink reduces a sequence that disagreed: drops steps, then batch items,
// then payload fields, as long as what is left still disagrees; it replays
// the result once more for its exchanges.
// drawn is the disagreement as the sequence first showed it, reported
// as it is when no replay shows it again; tell is the run's progress.
func shrink(ctx context.Context, cfg Config, client *http.Client, stats *Stats, steps []*model.Step, drawn *Finding, tell func()) (*Finding, error) {
	sh := &shrinker{ctx: ctx, cfg: cfg, client: client, stats: stats, tell: tell, deadline: time.Now().Add(max(cfg.Budget, 10*time.Second))}
	ok, err := sh.try(steps)
	if err != nil {
		return nil, err
	}
	if !ok { // a disagreement that does not replay: report the sequence as drawn
		f := *drawn
		f.Problems = append(slices.Clone(drawn.Problems), disagreement{Text: "this did not show again on a replay of the sequence: it depends on timing or on the target's earlier state"})
		return &f, nil
	}
	for _, pass := range []func() error{sh.dropSteps, sh.dropItems, sh.dropFields, sh.dropSteps} {
		if err := pass(); err != nil {
			return nil, err
		}
	}
	sh.found.Shrinks = sh.tries
	return sh.found, nil
}

// try replays the steps on fresh types and a fresh reference; it keeps
// them when they still disagree, cut after the step that shows it.
func (sh *shrinker) try(steps []*model.Step) (bool, error) {
	if sh.tries >= maxShrinks || time.Now().After(sh.deadline) || sh.ctx.Err() != nil {
		return false, nil
	}
	sh.tries++
	sh.tell()
	s, err := newSession(sh.ctx, sh.cfg, sh.client, sh.stats)
	if err != nil {
		return false, err
	}
	defer s.close()
	defer s.cleanup()
	if problems, err := s.prime(); err != nil || problems != nil {
		// The types themselves disagree: no step is needed to show it.
		var nr *noReply
		if err != nil && !errors.As(err, &nr) {
			return false, err
		}
		if problems != nil {
			sh.best = nil
			sh.found = &Finding{Sent: s.log, Problems: problems}
		}
		return problems != nil, nil
	}
	for i, st := range steps {
		st = retype(st, placeholder, s.prefix)
		problems, err := s.do(st)
		if err == nil && problems == nil {
			problems, err = s.state()
		}
		var nr *noReply
		if errors.As(err, &nr) {
			sh.tries = maxShrinks // a target that stops answering: the shrink ends here
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if problems != nil {
			sh.best = steps[:i+1]
			sh.found = &Finding{Steps: canonicalToShown(sh.best, s.prefix), Sent: s.log, Problems: problems}
			return true, nil
		}
	}
	return false, nil
}

func (sh *shrinker) dropSteps() error {
	for size := len(sh.best) / 2; size >= 1; size /= 2 {
		for i := 0; i+size <= len(sh.best) && len(sh.best) > 1; {
			ok, err := sh.try(slices.Concat(sh.best[:i], sh.best[i+size:]))
			if err != nil {
				return err
			}
			if !ok {
				i += size
			}
		}
	}
	return nil
}

func (sh *shrinker) dropItems() error {
	for i := len(sh.best) - 1; i >= 0; i-- {
		for j := len(sh.best[i].Items) - 1; i < len(sh.best) && j >= 0; j-- {
			if j >= len(sh.best[i].Items) {
				continue
			}
			st := *sh.best[i]
			st.Items = slices.Delete(slices.Clone(st.Items), j, j+1)
			st.Body = itemsBody(st.Items)
			if _, err := sh.try(slices.Concat(sh.best[:i], []*model.Step{&st}, sh.best[i+1:])); err != nil {
				return err
			}
		}
	}
	return nil
}

// dropFields removes the payloads' top-level fields one by one.
func (sh *shrinker) dropFields() error {
	for i := len(sh.best) - 1; i >= 0; i-- {
		for j := -1; i < len(sh.best) && j < len(sh.best[i].Items); j++ {
			for _, name := range fieldsOf(sh.best[i], j) {
				if i >= len(sh.best) {
					break
				}
				st, ok := withoutField(sh.best[i], j, name)
				if !ok {
					continue
				}
				if _, err := sh.try(slices.Concat(sh.best[:i], []*model.Step{st}, sh.best[i+1:])); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// request is the step's direct request (j < 0) or item j's, if any.
func request(st *model.Step, j int) *model.Request {
	if j < 0 {
		return st.Req
	}
	if j < len(st.Items) {
		return st.Items[j].Req
	}
	return nil
}

func fieldsOf(st *model.Step, j int) []string {
	r := request(st, j)
	if r == nil {
		return nil
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(r.Payload, &fields) != nil {
		return nil
	}
	return slices.Sorted(maps.Keys(fields))
}

// withoutField is the step with one payload field less.
func withoutField(st *model.Step, j int, name string) (*model.Step, bool) {
	r := request(st, j)
	var fields map[string]json.RawMessage
	if r == nil || json.Unmarshal(r.Payload, &fields) != nil {
		return nil, false
	}
	delete(fields, name)
	payload, _ := json.Marshal(fields)
	out := *st
	req := *r
	req.Payload = payload
	if j < 0 {
		out.Req = &req
		return &out, true
	}
	var item map[string]json.RawMessage
	if json.Unmarshal(st.Items[j].Raw, &item) != nil || item[req.Field] == nil {
		return nil, false
	}
	item[req.Field] = payload
	out.Items = slices.Clone(st.Items)
	out.Items[j].Req = &req
	out.Items[j].Raw, _ = json.Marshal(item)
	out.Body = itemsBody(out.Items)
	return &out, true
}

func itemsBody(items []model.Item) []byte {
	raws := make([][]byte, len(items))
	for i, it := range items {
		raws[i] = it.Raw
	}
	return append(append([]byte("["), bytes.Join(raws, []byte(","))...), ']')
}

// canonical writes the steps with the placeholder for their session's prefix.
func canonical(steps []*model.Step, prefix string) []*model.Step {
	out := make([]*model.Step, len(steps))
	for i, st := range steps {
		out[i] = retype(st, prefix, placeholder)
	}
	return out
}

func canonicalToShown(steps []*model.Step, prefix string) []*model.Step {
	out := make([]*model.Step, len(steps))
	for i, st := range steps {
		out[i] = retype(st, placeholder, prefix)
	}
	return out
}

// retype copies a step with another type prefix wherever it is written.
func retype(st *model.Step, from, to string) *model.Step {
	s := func(x string) string { return strings.ReplaceAll(x, from, to) }
	b := func(x []byte) []byte {
		if x == nil {
			return nil
		}
		return bytes.ReplaceAll(x, []byte(from), []byte(to))
	}
	req := func(r *model.Request) *model.Request {
		if r == nil {
			return nil
		}
		c := *r
		c.Path, c.Query, c.Payload = s(r.Path), s(r.Query), b(r.Payload)
		if r.Params != nil {
			c.Params = map[string]json.RawMessage{}
			for k, v := range r.Params {
				c.Params[k] = b(v)
			}
		}
		return &c
	}
	out := *st
	out.Req, out.Query, out.Body = req(st.Req), s(st.Query), b(st.Body)
	// The session's backends are named from its prefix, in capitals too.
	fl, tl := hostLabel(from), hostLabel(to)
	out.Host.Name = strings.ReplaceAll(strings.ReplaceAll(st.Host.Name, fl, tl), strings.ToUpper(fl), strings.ToUpper(tl))
	out.Host.Backend = strings.ReplaceAll(st.Host.Backend, fl, tl)
	if st.Items != nil {
		out.Items = make([]model.Item, len(st.Items))
		for i, it := range st.Items {
			out.Items[i] = model.Item{Raw: b(it.Raw), Req: req(it.Req), Malformed: it.Malformed, Fields: it.Fields, Hint: req(it.Hint), Alone: it.Alone}
		}
	}
	return &out
}
