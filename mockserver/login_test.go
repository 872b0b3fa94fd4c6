package mockserver_test

import (
	"slices"
	"testing"

	"github.com/spacedog-oss/batchkit/internal/subreq"
	"github.com/spacedog-oss/batchkit/mockserver"
	"github.com/spacedog-oss/batchkit/spec"
)

// GET /1/login and GET /1/logout (CONTRACT §6.1) in the doc profile; the
// spacedog-2016 profile's answers are golden exchanges (golden2016_test.go).
func TestAUTH_LoginAndLogoutAnswerEveryAlias(t *testing.T) {
	m := newMock(t, mockserver.Config{}) // trusts any well-formed Basic header
	for _, path := range []string{"/1/login", "/1/login/", "/v1/login", "/v1/login/", "/1/logout", "/1/logout/", "/v1/logout", "/v1/logout/"} {
		r := m.do("GET", path, nil, "Authorization", basic("fred"))
		if r.status != 200 || !equalJSON(r.json(t), obj{"success": true, "status": jsonNumber(200)}) {
			t.Errorf("%s: %d %s", path, r.status, r.body)
		}
	}
	for _, method := range []string{"POST", "PUT", "DELETE", "PATCH"} {
		r := m.do(method, "/1/login", nil, "Authorization", basic("fred"))
		if r.status != 405 || r.header.Get("Allow") != "GET" {
			t.Errorf("%s /1/login: %d, Allow %q", method, r.status, r.header.Get("Allow"))
		}
	}
}

func TestAUTH_RefusalsInEachMode(t *testing.T) {
	for _, tc := range []struct {
		name   string
		users  map[string]string
		header string
		status int
		typ    string
	}{
		{"trusting, any user", nil, "Basic bm9ib2R5OmhpIGZyZWQ=", 200, ""},
		{"trusting, no credentials", nil, "", 403, "io.spacedog.services.ForbiddenException"},
		{"trusting, another scheme", nil, "Bearer abc", 401, "io.spacedog.services.AuthenticationException"},
		{"trusting, no base 64", nil, "Basic !!!!", 401, "io.spacedog.services.AuthenticationException"},
		{"trusting, no password", nil, "Basic ZnJlZDo=", 401, "io.spacedog.services.AuthenticationException"},
		{"enforcing, the password", map[string]string{"fred": "hi fred"}, "Basic ZnJlZDpoaSBmcmVk", 200, ""},
		{"enforcing, a wrong password", map[string]string{"fred": "hi fred"}, "Basic ZnJlZDp3cm9uZw==", 401, "io.spacedog.services.AuthenticationException"},
		{"enforcing, an unknown user", map[string]string{"fred": "hi fred"}, "Basic bm9ib2R5OmhpIGZyZWQ=", 401, "io.spacedog.services.AuthenticationException"},
		{"enforcing, no credentials", map[string]string{"fred": "hi fred"}, "", 403, "io.spacedog.services.ForbiddenException"},
		{"enforcing, malformed", map[string]string{"fred": "hi fred"}, "Basic", 401, "io.spacedog.services.AuthenticationException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newMock(t, mockserver.Config{Users: tc.users})
			var headers []string
			if tc.header != "" {
				headers = []string{"Authorization", tc.header}
			}
			direct := m.do("GET", "/1/logout", nil, headers...)
			if direct.status != tc.status {
				t.Fatalf("%d, want %d: %s", direct.status, tc.status, direct.body)
			}
			if tc.status >= 400 {
				assertEnvelope(t, direct.json(t), tc.status)
				if typ := direct.json(t).(obj)["error"].(obj)["type"]; typ != tc.typ {
					t.Errorf("type %v, want %s", typ, tc.typ)
				}
			}
			// In a batch, the same answer in place (ORD-4), whether the
			// credentials are the item's or the batch's (SUB-4).
			item := subreq.Get("/1/login")
			if tc.header != "" {
				item = item.With("headers", obj{"Authorization": tc.header})
			}
			for _, r := range []reply{m.do("POST", "/1/batch", []any{item}), m.do("POST", "/1/batch", []any{subreq.Get("/1/login")}, headers...)} {
				res := r.results(t)
				if r.status != 200 || len(res) != 1 || !equalJSON(res[0], direct.json(t)) {
					t.Errorf("in a batch: %d %s, want the direct %s", r.status, r.body, direct.body)
				}
			}
		})
	}
}

// A batch of N+1 logins is refused whole by the limit (LIM-2), as the 2016
// server's own test has it.
func TestAUTH_ABatchOfNPlusOneLoginsIs400(t *testing.T) {
	for _, profile := range spec.Profiles() {
		m := newMock(t, mockserver.Config{Profile: profile, Users: map[string]string{"fred": "secret"}})
		items := slices.Repeat([]any{subreq.Get("/1/login")}, mockserver.DefaultMaxBatch+1)
		r := m.do("POST", "/1/batch", items, "Authorization", basic("fred"))
		if r.status != 400 {
			t.Fatalf("%s: %d %s", profile, r.status, r.body)
		}
		assertEnvelope(t, r.json(t), 400)
	}
}

func TestEnforcedCredentialsGive401PerSubRequest(t *testing.T) {
	m := newMock(t, mockserver.Config{Users: map[string]string{"fred": "secret", "vince": "hi"}})
	if r := m.do("GET", "/1/data", nil); r.status != 401 {
		t.Errorf("no credentials: %d", r.status)
	} else {
		assertEnvelope(t, r.json(t), 401)
	}
	if r := m.do("GET", "/1/data", nil, "Authorization", "Basic ZnJlZDp3cm9uZw=="); r.status != 401 { // fred:wrong
		t.Errorf("a wrong password: %d", r.status)
	}
	if r := m.do("GET", "/1/data", nil, "Authorization", basic("fred")); r.status != 200 {
		t.Errorf("fred's credentials: %d", r.status)
	}
	r := m.do("POST", "/1/batch", []any{
		subreq.Post("/1/data/t?id=a", obj{}),
		subreq.Post("/1/data/t?id=b", obj{}).With("headers", obj{"Authorization": "Basic dmluY2U6aGk="}),
		subreq.Post("/1/data/t?id=c", obj{}).With("headers", obj{"Authorization": "Basic dmluY2U6d3Jvbmc="}),
	})
	res := r.results(t)
	if got := statuses(res); got[0] != "401" || got[1] != "200" || got[2] != "401" {
		t.Errorf("a batch without credentials: %v", got)
	}
	if got := statuses(m.do("POST", "/1/batch", []any{subreq.Get("/1/data/t/b")}, "Authorization", "Basic dmluY2U6aGk=").results(t)); got[0] != "200" {
		t.Errorf("with the batch's credentials: %v", got)
	}
}
