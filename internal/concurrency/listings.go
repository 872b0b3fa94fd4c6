package concurrency

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/spacedog-oss/batchkit/internal/jsonvalue"
	"github.com/spacedog-oss/batchkit/internal/model"
	"github.com/spacedog-oss/batchkit/spec"
)

// Listings is what a suite can hold a target to of CONC-2: batches are
// not isolated, so a listing inside a batch may count any other client's
// objects created meanwhile, yet it counts the batch's own created before
// it (ORD-2); and a listing sent once every write was answered counts
// every object those writes created, and lists them (DATA-3). Clients
// each send batches that create objects of one type, with generated ids,
// and list the type between their creates; then one listing, on its own
// and in a batch, after all. It returns what is wrong, each with the
// exchange that shows it, and the history of what was sent; an error when
// CONC-2 is not judged.
//
// Overload is no failure, as in CONC-1's check: a refused listing or
// create shows nothing (see refusal), and a create of unknown effect (see
// unknownEffect) may have made an object of an id no answer gave, which
// a listing may then count. When more than half of the clients'
// requests were such, or both listings after all were, CONC-2 is not
// judged.
func Listings(ctx context.Context, cfg Config) ([]ListingProblem, *History, error) {
	u, err := url.Parse(cfg.Target)
	if err != nil {
		return nil, nil, fmt.Errorf("the target's URL: %w", err)
	}
	sp, err := spec.LoadProfile(cfg.Profile)
	if err != nil {
		return nil, nil, err
	}
	if len(cfg.Auths) == 0 {
		cfg.Auths = []model.Auth{{User: "anonymous"}}
	}
	h := NewHistory()
	send := &Sender{HTTP: cfg.HTTP, Base: cfg.Target, Host: model.Host{Name: u.Host, Backend: "target"}, Profile: cfg.Profile,
		Wire: sp.Wire, History: h, MaxReply: cfg.MaxReply}
	typ := cfg.Types[0]
	all := Planned{Type: typ, Req: model.Request{Method: http.MethodGet, Path: "/1/data/" + typ, Query: "size=100000"}}
	create := func(client, n int) Planned {
		return Planned{Type: typ, Req: model.Request{Method: http.MethodPost, Path: "/1/data/" + typ,
			Payload: fmt.Appendf(nil, `{"client":%d,"n":%d}`, client, n)}}
	}
	var problems []ListingProblem
	bad := func(op *Op, format string, args ...any) {
		problems = append(problems, ListingProblem{Text: fmt.Sprintf(format, args...), Exchange: h.Exchanges()[op.Exchange]})
	}
	first := send.Direct(ctx, -1, cfg.Auths[0], create(-1, 0))
	ids := map[string]bool{}
	if id, ok := createdID(first, sp.Wire.Created); ok {
		ids[id] = true
	} else {
		return nil, h, fmt.Errorf("setting up: creating an object of %s answered %d: %s", typ, first.Status, short(first.Body, 300))
	}

	const batches = 3
	var mu sync.Mutex
	var wg sync.WaitGroup
	// Operations whose answer says nothing of what they did; of those,
	// the creates that may have made an object.
	var untold, unknownCreates int
	for c := range cfg.Clients {
		wg.Go(func() {
			for b := range batches {
				ops := send.Batch(ctx, c, cfg.Auths[c%len(cfg.Auths)], []Planned{create(c, 3*b), create(c, 3*b+1), all, create(c, 3*b+2)})
				mu.Lock()
				if ex := h.Exchanges()[ops[0].Exchange]; ex.Broken != "" {
					bad(ops[0], "a batch of creates and a listing: %s", ex.Broken)
					mu.Unlock()
					continue
				}
				var own []string
				for i, op := range ops {
					if op.refused() || !op.answered() {
						untold++
						if op.Item != 2 && !op.refused() {
							unknownCreates++
						}
						continue
					}
					if op.Item == 2 {
						// In flight among other batches: it lists at least
						// the batch's own objects created before it.
						if got, ok := listed(op); !ok {
							bad(op, "a listing inside a batch answered %d: %s", op.Status, short(op.Body, 300))
						} else if missing := absent(own, got.ids); len(missing) > 0 || got.total < len(own)+1 {
							bad(op, "a listing inside a batch, after the batch's own creates of %v, lists total %d and %d objects, without %v (ORD-2)", own, got.total, len(got.ids), missing)
						}
						continue
					}
					if id, ok := createdID(op, sp.Wire.Created); ok {
						ids[id] = true
						if i < 2 {
							own = append(own, id)
						}
					} else {
						bad(op, "a create inside a batch answered %d: %s", op.Status, short(op.Body, 300))
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(problems) > 0 {
		return problems, h, nil
	}
	if sent := cfg.Clients * batches * 4; float64(untold) > maxRefused*float64(sent) {
		return nil, h, fmt.Errorf("%d of the %d requests of concurrent batches were refused or got no answer that says what they did (%s)", untold, sent, overload(h))
	}
	// Every write answered: the listing counts them all, on its own and
	// in a batch, and no more than the creates of unknown effect made.
	want := slices.Sorted(func(yield func(string) bool) {
		for id := range ids {
			if !yield(id) {
				return
			}
		}
	})
	judged := 0
	for _, op := range []*Op{send.Direct(ctx, -1, cfg.Auths[0], all), send.Batch(ctx, -1, cfg.Auths[0], []Planned{all})[0]} {
		if op.refused() || !op.answered() {
			continue
		}
		judged++
		got, ok := listed(op)
		switch {
		case !ok:
			bad(op, "a listing sent once every write was answered answered %d: %s", op.Status, short(op.Body, 300))
		case got.total != len(got.ids) || len(got.ids) < len(want) || len(got.ids) > len(want)+unknownCreates || len(absent(want, got.ids)) > 0:
			made := fmt.Sprintf("the writes created %d objects", len(want))
			if unknownCreates > 0 {
				made = fmt.Sprintf("the writes answered created %d objects, and %d creates of unknown effect may have made more", len(want), unknownCreates)
			}
			bad(op, "a listing sent once every write was answered: total %d, %d objects, without %v; %s (DATA-3, CONC-2)",
				got.total, len(got.ids), absent(want, got.ids), made)
		}
	}
	if judged == 0 {
		return nil, h, fmt.Errorf("both listings sent once every write was answered were refused or got no answer that says what they did (%s)", overload(h))
	}
	return problems, h, nil
}

// overload counts the answers of overload in a history, by status, for
// a reason not to judge.
func overload(h *History) string {
	byStatus := map[int]int{}
	for _, op := range h.Ops() {
		if op.refused() || !op.answered() {
			byStatus[op.Status]++
		}
	}
	var kinds []string
	for _, status := range slices.Sorted(maps.Keys(byStatus)) {
		if status == model.Unanswered {
			kinds = append(kinds, fmt.Sprintf("%d with no answer", byStatus[status]))
			continue
		}
		kinds = append(kinds, fmt.Sprintf("%d answered %d %s", byStatus[status], status, http.StatusText(status)))
	}
	return strings.Join(kinds, ", ")
}

// ListingProblem is what is wrong with a listing, or a create, and the
// exchange that shows it.
type ListingProblem struct {
	Text     string
	Exchange Exchange
}

// createdID is the id of the object a create made.
func createdID(op *Op, created int) (string, bool) {
	var id string
	if op.Status != created || json.Unmarshal(jsonvalue.Members(op.Body)["id"], &id) != nil || id == "" {
		return "", false
	}
	return id, true
}

type listing struct {
	total int
	ids   []string
}

// listed reads a listing: its total and its objects' ids, by exact names.
func listed(op *Op) (listing, bool) {
	m := jsonvalue.Members(op.Body)
	var l listing
	var results []json.RawMessage
	if op.Status != http.StatusOK || json.Unmarshal(m["total"], &l.total) != nil || json.Unmarshal(m["results"], &results) != nil {
		return l, false
	}
	for _, r := range results {
		var id string
		if json.Unmarshal(jsonvalue.Members(jsonvalue.Members(r)["meta"])["id"], &id) != nil {
			return l, false
		}
		l.ids = append(l.ids, id)
	}
	return l, true
}

// absent lists the ids of want that got does not hold.
func absent(want, got []string) []string {
	var out []string
	for _, id := range want {
		if !slices.Contains(got, id) {
			out = append(out, id)
		}
	}
	return out
}

// ListingsProblem is the problems as a failure says them.
func ListingsProblem(problems []ListingProblem, replay Replay, about string) string {
	var b strings.Builder
	for i, p := range problems[:min(len(problems), 3)] {
		fmt.Fprintf(&b, "%s\n\n# %d: client %d\n%s\n# answer: %d %s\n\n", p.Text, i+1, p.Exchange.Client, replay(p.Exchange), p.Exchange.Status, short(p.Exchange.Reply, 600))
	}
	if len(problems) > 3 {
		fmt.Fprintf(&b, "and %d more problems\n\n", len(problems)-3)
	}
	b.WriteString(about + "\n")
	return b.String()
}
