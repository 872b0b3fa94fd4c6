package model

import (
	"net/http"
	"slices"
	"testing"

	"github.com/spacedog-oss/batchkit/spec"
)

// The model's own answer to a refused request is always one of the
// problems it lists, and a request it carries out has none: the mock's
// choice is one of the choices the generative mode accepts, never outside
// them. Over random sequences in both profiles, direct requests and items
// alike, the state moving as the model applies each.
func TestTheModelsAnswerIsOneOfTheProblemsItLists(t *testing.T) {
	for _, profile := range spec.Profiles() {
		m := newModel(t, profile)
		gen := NewGen(m, 3)
		several := 0
		for range 3000 {
			st := gen.Step()
			var reqs []Request
			var callers []Auth
			if st.Req != nil {
				reqs, callers = []Request{*st.Req}, []Auth{st.Auth}
			}
			for _, it := range st.Items {
				if it.Req != nil {
					reqs, callers = append(reqs, *it.Req), append(callers, m.itemAuth(it, st.Auth))
				}
			}
			for i, r := range reqs {
				item := -1
				if st.Req == nil {
					item = i
				}
				problems := m.Problems(st.Host, r, callers[i], item)
				out := m.Apply(st.Host, r, callers[i], item)
				if out.status < 0 { // a batch sent as a request: not the model's to say
					continue
				}
				refused := out.status >= http.StatusBadRequest && out.status != http.StatusNotImplemented
				if refused != (len(problems) > 0) || refused && !slices.Contains(problems, out.status) {
					t.Fatalf("%s: %s %s?%s answers %d, its problems are %v", profile, r.Method, r.Path, r.Query, out.status, problems)
				}
				if len(problems) > 1 {
					several++
				}
			}
		}
		if several == 0 {
			t.Errorf("%s: no request had several problems: the choice is never exercised", profile)
		}
		t.Logf("%s: %d requests with several problems", profile, several)
	}
}
