package concurrency

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spacedog-oss/batchkit/internal/model"
	"github.com/spacedog-oss/batchkit/spec"
)

// limited is a rate limiter, or a gateway, in front of a conforming
// server: past the first after requests, it answers status to one request
// in every (a batch counting one); of the batches it lets through, it
// answers status to one item in every, and the rest as the server did
// (status 0: it cuts the connection, and leaves items alone). A
// limiter runs none of those (ran false): it leaves an item out of the
// batch it forwards. A gateway whose upstream reset mid-request runs each
// (ran true), and loses the server's answer.
type limited struct {
	next         http.Handler
	wire         spec.Wire
	status       int
	after, every int64
	ran          bool
	n, items     atomic.Int64
	refused      atomic.Int64
}

func limit(t *testing.T, next http.Handler, profile string, status int, after, every int64, ran bool) *limited {
	t.Helper()
	sp, err := spec.LoadProfile(profile)
	if err != nil {
		t.Fatal(err)
	}
	return &limited{next: next, wire: sp.Wire, status: status, after: after, every: every, ran: ran}
}

func (l *limited) envelope() []byte {
	return fmt.Appendf(nil, `{"success":false,"status":%d,"error":{"type":"RateLimited","message":"over the limit, try again later"}}`, l.status)
}

func (l *limited) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := l.n.Add(1)
	if n > l.after && n%l.every == 0 {
		if l.ran {
			l.next.ServeHTTP(httptest.NewRecorder(), r)
		}
		l.refused.Add(1)
		if l.status == 0 {
			panic(http.ErrAbortHandler) // the connection cut: no answer
		}
		w.Header().Set("Retry-After", "1")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(l.status)
		w.Write(l.envelope())
		return
	}
	if n <= l.after || r.URL.Path != "/1/batch" || l.status == 0 {
		l.next.ServeHTTP(w, r)
		return
	}
	var items []json.RawMessage
	body := new(bytes.Buffer)
	body.ReadFrom(r.Body)
	if json.Unmarshal(body.Bytes(), &items) != nil {
		l.next.ServeHTTP(w, httptest.NewRequestWithContext(r.Context(), r.Method, r.URL.String(), body))
		return
	}
	var run []json.RawMessage
	refused := map[int]string{}
	for i, it := range items {
		if l.items.Add(1)%l.every == 0 {
			var m struct{ Method string }
			json.Unmarshal(it, &m)
			refused[i] = m.Method
			if !l.ran {
				continue
			}
		}
		run = append(run, it)
	}
	fwd, _ := json.Marshal(run)
	req := httptest.NewRequestWithContext(r.Context(), r.Method, r.URL.String(), bytes.NewReader(fwd))
	req.Header, req.Host = r.Header.Clone(), r.Host
	rec := httptest.NewRecorder()
	l.next.ServeHTTP(rec, req)
	results, err := l.wire.Results(rec.Body.Bytes())
	if rec.Code != http.StatusOK || err != nil || len(results) != len(run) {
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
		return
	}
	var all []json.RawMessage
	for i := range items {
		method, isRefused := refused[i]
		var result json.RawMessage
		if !isRefused || l.ran {
			result, results = results[0], results[1:]
		}
		if isRefused {
			l.refused.Add(1)
			result = l.wire.Result(method, l.status, l.envelope())
		}
		all = append(all, result)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(l.wire.Reply(all))
}

// runBehind runs the mode against h for ops requests at most.
func runBehind(t *testing.T, h http.Handler, profile string, ops int) *Result {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	res, err := Run(t.Context(), Config{Target: srv.URL, Profile: profile, Clients: 8, Ops: ops, Budget: 20 * time.Second, Seed: 5,
		Types: []string{"conc_a", "conc_b"}, Auths: []model.Auth{{Header: model.Basic("fred"), User: "fred"}},
		HTTP: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 8}}, CheckTimeout: time.Minute, Timeline: true})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// A rate limiter's refusals (429) and a gateway's 503s break no order:
// a conforming server behind one is judged on the answers that say what
// each request did, and passes; or, when too few do, is not judged. It
// never fails CONC-1.
func TestAConformingServerBehindARateLimiterNeverFailsCONC1(t *testing.T) {
	for _, tc := range []struct {
		name      string
		status    int
		every     int64
		ran       bool
		notJudged string // "" when judged, and passed
	}{
		{"one in 5 refused with 429", http.StatusTooManyRequests, 5, false, ""},
		{"one in 400 answered 503 unrun", http.StatusServiceUnavailable, 400, false, ""},
		{"one in 400 answered 503 once run", http.StatusServiceUnavailable, 400, true, ""},
		{"one in 5 answered 503 unrun", http.StatusServiceUnavailable, 5, false, "503"},
		{"one in 5 answered 504 once run", http.StatusGatewayTimeout, 5, true, "504"},
		{"all but the first refused with 429", http.StatusTooManyRequests, 1, false, "429"},
		{"one in 20 cut off once run", 0, 20, true, "with none (the first: "},
	} {
		for _, profile := range spec.Profiles() {
			t.Run(tc.name+"/"+profile, func(t *testing.T) {
				l := limit(t, mock(t, profile), profile, tc.status, 30, tc.every, tc.ran)
				res := runBehind(t, l, profile, 400)
				if l.refused.Load() == 0 {
					t.Fatal("the limiter refused nothing")
				}
				if f := res.Verdict.Finding; f != nil {
					t.Fatalf("a finding: %s", res.Problem(func(ex Exchange) string { return ex.Method + " " + ex.URL }, "", ""))
				}
				if p := res.Problem(func(ex Exchange) string { return ex.Method + " " + ex.URL }, "", ""); p != "" {
					t.Fatalf("CONC-1 failed:\n%s", p)
				}
				switch {
				case tc.notJudged == "" && res.NotJudged != "":
					t.Errorf("not judged: %s", res.NotJudged)
				case tc.notJudged != "" && !strings.Contains(res.NotJudged, tc.notJudged):
					t.Errorf("not judged %q, want it to name the %s answers", res.NotJudged, tc.notJudged)
				}
				t.Logf("%d operations, %d refused, %d of unknown effect; checked in %s; not judged: %q",
					res.Ops, res.Refused, res.Unanswered, res.Verdict.Took, res.NotJudged)
			})
		}
	}
}

// A target that refuses one client's requests already is not judged, and
// the reason says so, not that it breaks a rule.
func TestATargetThatRefusesOneClientIsNotJudged(t *testing.T) {
	for _, status := range []int{http.StatusTooManyRequests, http.StatusServiceUnavailable} {
		l := limit(t, mock(t, spec.Doc), spec.Doc, status, 2, 1, false) // the two types set up, then nothing
		res := runBehind(t, l, spec.Doc, 100)
		if !strings.Contains(res.NotJudged, fmt.Sprint(status)) || !strings.Contains(res.NotJudged, "refuses one client") || strings.Contains(res.NotJudged, "rules it breaks") {
			t.Errorf("%d: not judged %q", status, res.NotJudged)
		}
		if p := res.Problem(func(ex Exchange) string { return ex.URL }, "", ""); p != "" {
			t.Errorf("%d: CONC-1 failed: %s", status, p)
		}
	}
}

// A refusal did nothing, and an answer of unknown effect may have done
// anything: neither hides a lost update, and a read that shows a refused
// write's value shows that the refusal was not one.
func TestRefusalsHideNoRace(t *testing.T) {
	c := checker(t, spec.Doc)
	refusal := fmt.Sprintf(`{"success":false,"status":%d,"error":{"type":"x","message":"later"}}`, http.StatusTooManyRequests)
	base := []*Op{
		op(0, "POST", "id=k", `{"x":1}`, 0, 10, 200, saved(1)),
		op(1, "PUT", "", `{"a":1}`, 20, 40, 200, saved(2)),
		op(2, "PUT", "", `{"b":1}`, 25, 45, 200, saved(3)),
		op(3, "PUT", "", `{"c":1}`, 22, 30, http.StatusTooManyRequests, refusal),
		op(4, "PUT", "", `{"d":1}`, 23, 0, http.StatusServiceUnavailable, `<html>no healthy upstream</html>`),
		op(5, "GET", "", "", 24, 0, http.StatusGatewayTimeout, ``),
	}
	base[4].Return, base[5].Return = Never, Never // as the Sender records them
	for _, tc := range []struct {
		read string
		ok   bool
	}{
		{object(3, `"x":1,"a":1,"b":1,`), true},
		{object(4, `"x":1,"a":1,"b":1,"d":1,`), true},
		{object(3, `"x":1,"b":1,`), false},                   // a lost
		{object(4, `"x":1,"b":1,"d":1,`), false},             // a lost, whatever d did
		{object(4, `"x":1,"a":1,"b":1,"c":1,`), false},       // the refused c ran
		{object(5, `"x":1,"a":1,"b":1,"c":1,"d":1,`), false}, // so did c here
	} {
		h := append(base[:len(base):len(base)], op(0, "GET", "", "", 50, 60, 200, tc.read))
		v := c.Check(h, time.Minute)
		if ok := v.Finding == nil && len(v.Undecided) == 0; ok != tc.ok {
			t.Errorf("a read of %s: explained %v, want %v (%+v)", tc.read, ok, tc.ok, v.Finding)
			continue
		}
		if f := v.Finding; f != nil && (f.Culprit != h[len(h)-1] || f.Disagree != "" || slices.Contains(f.Ops, h[3]) || slices.Contains(f.Ops, h[5])) {
			t.Errorf("a read of %s: the finding %+v", tc.read, f)
		}
	}
}

// Nor does overload fail CONC-2: a refused listing or create shows
// nothing, and a create of unknown effect may have made an object of an
// id no answer gave. A run mostly refused is not judged.
func TestAConformingServerBehindARateLimiterNeverFailsCONC2(t *testing.T) {
	for _, tc := range []struct {
		name      string
		status    int
		every     int64
		ran       bool
		notJudged bool
	}{
		{"one in 4 refused with 429", http.StatusTooManyRequests, 4, false, false},
		{"one in 4 answered 503 once run", http.StatusServiceUnavailable, 4, true, false},
		{"one in 5 answered 504 once run", http.StatusGatewayTimeout, 5, true, false},
		{"one in 4 cut off once run", 0, 4, true, false},
		{"all but the first refused with 429", http.StatusTooManyRequests, 1, false, true},
	} {
		for _, profile := range spec.Profiles() {
			t.Run(tc.name+"/"+profile, func(t *testing.T) {
				l := limit(t, mock(t, profile), profile, tc.status, 1, tc.every, tc.ran)
				srv := httptest.NewServer(l)
				defer srv.Close()
				problems, _, err := Listings(t.Context(), Config{Target: srv.URL, Profile: profile, Clients: 8, Types: []string{"conc_l"},
					Auths: []model.Auth{{Header: model.Basic("fred"), User: "fred"}}, HTTP: &http.Client{Timeout: 10 * time.Second}})
				if len(problems) > 0 {
					t.Fatalf("CONC-2 failed:\n%s", ListingsProblem(problems, func(ex Exchange) string { return ex.Method + " " + ex.URL }, ""))
				}
				if (err != nil) != tc.notJudged {
					t.Errorf("not judged: %v, want %v", err, tc.notJudged)
				}
				if l.refused.Load() == 0 {
					t.Error("the limiter refused nothing")
				}
			})
		}
	}
}

// A listing that leaves an object out still fails CONC-2 behind a
// limiter, whose refusals and answers of unknown effect leave the other
// objects to count.
func TestALostObjectFailsCONC2BehindARateLimiter(t *testing.T) {
	for _, status := range []int{http.StatusTooManyRequests, http.StatusServiceUnavailable} {
		for _, profile := range spec.Profiles() {
			m := mock(t, profile)
			loses := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodGet || r.URL.Path != "/1/data/conc_l" {
					m.ServeHTTP(w, r)
					return
				}
				rec := httptest.NewRecorder()
				m.ServeHTTP(rec, r)
				var l struct {
					Total   int               `json:"total"`
					Results []json.RawMessage `json:"results"`
				}
				if json.Unmarshal(rec.Body.Bytes(), &l) != nil || len(l.Results) == 0 {
					t.Errorf("not a listing: %s", rec.Body)
				}
				l.Total, l.Results = l.Total-1, l.Results[1:]
				body, _ := json.Marshal(l)
				w.WriteHeader(rec.Code)
				w.Write(body)
			})
			// The listing after all is request 26: one in 5 is not it. A
			// 429 runs nothing; a 503 here, everything.
			l := limit(t, loses, profile, status, 1, 5, status != http.StatusTooManyRequests)
			srv := httptest.NewServer(l)
			problems, _, err := Listings(t.Context(), Config{Target: srv.URL, Profile: profile, Clients: 8, Types: []string{"conc_l"},
				Auths: []model.Auth{{Header: model.Basic("fred"), User: "fred"}}, HTTP: &http.Client{Timeout: 10 * time.Second}})
			srv.Close()
			if err != nil || len(problems) != 1 || !strings.Contains(problems[0].Text, "a listing sent once every write was answered: total") {
				t.Errorf("%d, %s: a lost object: %v, %+v", status, profile, err, problems)
			}
		}
	}
}

// A batch answered otherwise than 200, overload aside, still fails
// CONC-2: its items' effects cannot be told.
func TestABrokenBatchFailsCONC2(t *testing.T) {
	l := limit(t, mock(t, spec.Doc), spec.Doc, http.StatusInternalServerError, 1, 5, false)
	srv := httptest.NewServer(l)
	defer srv.Close()
	problems, _, err := Listings(t.Context(), Config{Target: srv.URL, Profile: spec.Doc, Clients: 8, Types: []string{"conc_l"},
		Auths: []model.Auth{{Header: model.Basic("fred"), User: "fred"}}, HTTP: &http.Client{Timeout: 10 * time.Second}})
	if err != nil || !slices.ContainsFunc(problems, func(p ListingProblem) bool { return strings.Contains(p.Text, "answered 500, not 200 (LIM-1)") }) {
		t.Errorf("a batch answered 500: %v, %+v", err, problems)
	}
}
