package selftest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/spacedog-oss/batchkit/spec"
)

// A conforming variant that answers as the mock does proves nothing: each
// must make the choice it is named for.
func TestConformingVariantsChooseOtherwise(t *testing.T) {
	byName := map[string]variant{}
	for _, v := range slices.Concat(conforming(), choosing()) {
		byName[v.name] = v
	}
	checked := map[string]bool{}
	type checkOf = struct {
		variant string
		check   func(t *testing.T, do doer)
	}
	var checks []checkOf
	for _, profile := range spec.Profiles() {
		for _, c := range choiceChecks() {
			checks = append(checks, checkOf{c.variant + ", " + profile, c.check})
		}
	}
	for _, tc := range append(checks, []checkOf{
		{"other error messages and types", func(t *testing.T, do doer) {
			_, body := do("PATCH", "/1/data/t", "")
			if strings.Contains(body, "io.spacedog") || !strings.Contains(body, "That did not work") {
				t.Errorf("a 405 as the mock words it: %s", body)
			}
			do("POST", "/1/data/t?id=x", "{}")
			_, body = do("GET", "/1/data/t/nope", "")
			if !strings.Contains(body, `"object [nope] of type [t] not found"`) {
				t.Errorf("ERR-7's message changed: %s", body)
			}
		}},
		{"ids of 20 other URL-safe characters", func(t *testing.T, do doer) {
			_, body := do("POST", "/1/data/t", "{}")
			if !regexp.MustCompile(`"id":"[a-z][0-9a-z.~]{19}"`).MatchString(body) {
				t.Errorf("id: %s", body)
			}
		}},
		{"listings in another order", func(t *testing.T, do doer) {
			do("POST", "/1/data/t?id=first", "{}")
			do("POST", "/1/data/t?id=second", "{}")
			_, body := do("GET", "/1/data/t", "")
			_, batch := do("POST", "/1/batch", `[{"method":"GET","path":"/1/data/t"}]`)
			for _, b := range []string{body, batch} {
				first, second := strings.Index(b, `"first"`), strings.Index(b, `"second"`)
				if first < 0 || second < 0 || second > first {
					t.Errorf("not both objects, newest first: %s", b)
				}
			}
		}},
		{"the mock enforcing the suites' users", func(t *testing.T, do doer) {
			if resp, body := do("GET", "/1/data", ""); resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("no credentials, users enforced: %d %s", resp.StatusCode, body)
			}
		}},
		{"the 2016 mock enforcing the suites' users", func(t *testing.T, do doer) {
			if resp, body := do("GET", "/1/data", ""); resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("no credentials, users enforced: %d %s", resp.StatusCode, body)
			}
		}},
		{"the mock holding other data", func(t *testing.T, do doer) {
			if _, body := do("GET", "/1/data/other0", ""); !strings.Contains(body, `"total":10`) {
				t.Errorf("no data of its own: %s", body)
			}
		}},
		{"Content-Type with charset=UTF-8, replies chunked", func(t *testing.T, do doer) {
			resp, _ := do("GET", "/1/data", "")
			if resp.Header.Get("Content-Type") != "application/json;charset=UTF-8" || resp.ContentLength != -1 {
				t.Errorf("Content-Type %q, length %d", resp.Header.Get("Content-Type"), resp.ContentLength)
			}
		}},
		{"a batch limit of 20", func(t *testing.T, do doer) {
			items := "[" + strings.TrimSuffix(strings.Repeat(`{"method":"GET","path":"/1/data"},`, 20), ",") + "]"
			if resp, body := do("POST", "/1/batch", items); resp.StatusCode != http.StatusOK || strings.Count(body, `"total"`) != 20 {
				t.Errorf("a batch of 20: %d %s", resp.StatusCode, body)
			}
		}},
		{"another method on the batch answered 404", func(t *testing.T, do doer) {
			if resp, _ := do("GET", "/1/batch", ""); resp.StatusCode != http.StatusNotFound {
				t.Errorf("GET /1/batch: %d", resp.StatusCode)
			}
		}},
		{"extra fields in every body", func(t *testing.T, do doer) {
			_, saved := do("POST", "/1/data/t?id=x", "{}")
			_, object := do("GET", "/1/data/t/x", "")
			_, failed := do("POST", "/1/batch", `[{"method":"GET","path":"/1/data/t/y"}]`)
			if !strings.Contains(saved, `"server"`) || !strings.Contains(object, `"etag"`) || !strings.Contains(failed, `"documentation"`) {
				t.Errorf("no extra member: %s %s %s", saved, object, failed)
			}
		}},
		{"extra fields in every body, in the 2016 profile", func(t *testing.T, do doer) {
			do("POST", "/1/data/t?id=x", "{}")
			_, bare := do("GET", "/1/data/t/y", "")
			_, route := do("GET", "/1/nothing", "")
			_, notImplemented := do("DELETE", "/1/data", "")
			_, batch := do("POST", "/1/batch", `[{"method":"GET","path":"/1/data/t/y"},{"method":"PATCH","path":"/1/data/t/x"}]`)
			for _, failure := range []string{bare, notImplemented} {
				if !strings.Contains(failure, `"server"`) || strings.Contains(failure, `"error"`) {
					t.Errorf("a failure without error has no extra member, or has an error: %s", failure)
				}
			}
			if !strings.Contains(route, `"documentation"`) || strings.Contains(route, `"type"`) {
				t.Errorf("a route error has no extra member, or has a type: %s", route)
			}
			if strings.Count(batch, `"server"`) != 3 || !strings.Contains(batch, `"documentation"`) {
				t.Errorf("batch results without extra members: %s", batch)
			}
		}},
		{"keys in another order, and whitespace", func(t *testing.T, do doer) {
			_, body := do("POST", "/1/data/t?id=x", "{}")
			version, id := strings.Index(body, `"version"`), strings.Index(body, `"id"`)
			if !strings.HasPrefix(body, " ") || version < 0 || id < 0 || version > id {
				t.Errorf("as the mock writes it: %q", body)
			}
		}},
		{"Content-Type without charset, replies chunked", func(t *testing.T, do doer) {
			resp, _ := do("GET", "/1/data", "")
			if resp.Header.Get("Content-Type") != "application/json" || resp.ContentLength != -1 {
				t.Errorf("Content-Type %q, length %d", resp.Header.Get("Content-Type"), resp.ContentLength)
			}
		}},
		{"no SHOULD rule met", func(t *testing.T, do doer) {
			if resp, _ := do("GET", "/1/batch", ""); resp.StatusCode != http.StatusNotFound {
				t.Errorf("GET /1/batch: %d", resp.StatusCode)
			}
			if resp, _ := do("POST", "/1/batch?stopOnError=maybe", "[]"); resp.StatusCode != http.StatusOK {
				t.Errorf("stopOnError=maybe: %d", resp.StatusCode)
			}
			if resp, _ := do("POST", "/1/batch", `[{"method":"POST","path":"/1/data/t","content":{"pad":"`+strings.Repeat("x", 1<<20)+`"}}]`); resp.StatusCode != http.StatusBadRequest {
				t.Errorf("a body over the limit: %d", resp.StatusCode)
			}
			_, body := do("POST", "/1/batch", `[{"method":"post","path":"/1/data/t","content":{}},{"method":"GET","path":"/v1/data/t"},{"method":"GET","path":"/1/data/t/"},{"method":"POST","path":"/1/data/t","content":{}},{"method":"get","path":"/v1/batch/"}]`)
			if !strings.Contains(body, `"status":405`) || strings.Count(body, `"status":404`) != 2 || !strings.Contains(body, `"id":"obj1"`) || strings.Count(body, `"status":400`) != 1 {
				t.Errorf("SUB-5 or DATA-6 met, or nesting not refused: %s", body)
			}
		}},
	}...) {
		checked[tc.variant] = true
		t.Run(tc.variant, func(t *testing.T) {
			v, ok := byName[tc.variant]
			if !ok {
				t.Fatalf("no conforming variant %q", tc.variant)
			}
			srv := v.serve(t)
			defer srv.Close()
			tc.check(t, func(method, path, body string) (*http.Response, string) {
				req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, err := io.ReadAll(resp.Body)
				if err != nil {
					t.Fatalf("%s %s: %v", method, path, err)
				}
				if !json.Valid(b) {
					t.Errorf("%s %s: not JSON: %s", method, path, b)
				}
				return resp, string(bytes.TrimRight(b, "\n"))
			})
		})
	}

	// Every variant but the mock itself makes a choice, and is checked for it.
	for name := range byName {
		if !checked[name] && !slices.Contains(asTheMock, name) {
			t.Errorf("the conforming variant %q is not checked to make its choice", name)
		}
	}
}

// asTheMock are the conforming variants that answer as the mock does: the
// mock in each profile, and the strict run of a variant checked above.
var asTheMock = []string{"the mock", "the 2016 mock", "no SHOULD rule met, strictly"}

// doer sends a request to the variant; it returns the response and its body.
type doer = func(method, path, body string) (*http.Response, string)

// choiceChecks are the checks of the variants that make an open choice,
// by their name before the profile they are served in.
func choiceChecks() []struct {
	variant string
	check   func(t *testing.T, do doer)
} {
	return []struct {
		variant string
		check   func(t *testing.T, do doer)
	}{
		{"item errors in other words, the index and field in another notation", func(t *testing.T, do doer) {
			_, body := do("POST", "/1/batch", `[{"method":"GET","path":"/1/data"},{"POST":"/v1/data/product"},{"path":"/1/data"}]`)
			if strings.Contains(body, "batch item [") || !strings.Contains(body, `Item #1 cannot run without \"method\". Did you mean {\"method\":\"POST\",\"path\":\"/v1/data/product\"}?`) ||
				!strings.Contains(body, `Item #2 cannot run`) {
				t.Errorf("an item's refusal as the mock words it: %s", body)
			}
		}},
		{"the query string read before the route", func(t *testing.T, do doer) {
			for _, path := range []string{"/1/nowhere?x=%zz", "/1/data/t/a/b?x=%zz"} {
				if resp, body := do("GET", path, ""); resp.StatusCode != http.StatusBadRequest {
					t.Errorf("GET %s: %d %s, want 400", path, resp.StatusCode, body)
				}
			}
			if resp, body := do("PATCH", "/1/data/t?x=%zz", ""); resp.StatusCode != http.StatusBadRequest {
				t.Errorf("PATCH with a bad query: %d %s, want 400", resp.StatusCode, body)
			}
			_, body := do("POST", "/1/batch", `[{"method":"GET","path":"/1/nowhere?x=%zz"},{"method":"GET","path":"/1/nowhere"}]`)
			if strings.Count(body, `"status":400`) != 1 || strings.Count(body, `"status":404`) != 1 {
				t.Errorf("in a batch: %s", body)
			}
		}},
		{"ids of letters and digits only", func(t *testing.T, do doer) {
			for _, id := range []string{"k_1", "-dash", "x.y~z"} {
				if resp, body := do("POST", "/1/data/t?id="+id, "{}"); resp.StatusCode != http.StatusBadRequest {
					t.Errorf("created with id %s: %d %s", id, resp.StatusCode, body)
				}
				if resp, body := do("GET", "/1/data/t/"+id, ""); resp.StatusCode != http.StatusBadRequest {
					t.Errorf("GET of id %s: %d %s", id, resp.StatusCode, body)
				}
			}
			_, body := do("POST", "/1/data/t", "{}")
			if !regexp.MustCompile(`"id":"[A-Za-z0-9]{20}"`).MatchString(body) {
				t.Errorf("a generated id: %s", body)
			}
			if _, body := do("POST", "/1/batch", `[{"method":"GET","path":"/1/data/t/k_1"},{"method":"POST","path":"/1/data/t","parameters":{"id":"k_1"},"content":{}}]`); strings.Count(body, `"status":400`) != 2 {
				t.Errorf("in a batch: %s", body)
			}
		}},
		{"locations escaping ~ as %7e", func(t *testing.T, do doer) {
			_, body := do("POST", "/1/data/t?id=x.y~z", "{}")
			if !strings.Contains(body, `/1/data/t/x.y%7ez"`) {
				t.Errorf("a location as the mock writes it: %s", body)
			}
		}},
		{"ids of any characters but / and \\", func(t *testing.T, do doer) {
			resp, body := do("POST", "/1/data/t?id=.dot", `{"n":1}`)
			if resp.StatusCode >= 300 || !strings.Contains(body, `"id":".dot"`) || !strings.Contains(body, `/1/data/t/.dot"`) {
				t.Fatalf("created with id .dot: %d %s", resp.StatusCode, body)
			}
			if resp, body := do("GET", "/1/data/t/.dot", ""); resp.StatusCode != http.StatusOK || !strings.Contains(body, `".dot"`) || strings.Contains(body, "zzalias") {
				t.Errorf("read back: %d %s", resp.StatusCode, body)
			}
			if resp, body := do("GET", "/1/data/t/%C3%A9", ""); resp.StatusCode != http.StatusNotFound || strings.Contains(body, "zzalias") {
				t.Errorf("a missing é: %d %s", resp.StatusCode, body)
			}
			if resp, body := do("GET", "/1/data/t/k%2F", ""); resp.StatusCode != http.StatusBadRequest {
				t.Errorf("k/ is still no id (CONTRACT §9): %d %s", resp.StatusCode, body)
			}
			if _, body := do("POST", "/1/batch", `[{"method":"GET","path":"/1/data/t/.dot"},{"method":"DELETE","path":"/1/data/t/.dot"}]`); !strings.Contains(body, `"id":".dot"`) || strings.Count(body, `"status":200`) < 1 || strings.Contains(body, "zzalias") {
				t.Errorf("in a batch: %s", body)
			}
		}},
	}
}
