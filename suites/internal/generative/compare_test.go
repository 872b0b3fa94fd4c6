package generative

import (
	"strings"
	"testing"

	"github.com/spacedog-oss/batchkit/internal/jsonvalue"
	"github.com/spacedog-oss/batchkit/spec"
)

// An error the target chose otherwise than the reference (another of the
// request's problems) is judged on its own, whatever it holds: never a
// panic, and ERR-3's envelope as each profile has it.
func TestAnErrorOfAnotherStatusIsJudgedOnItsOwn(t *testing.T) {
	a := at{where: "GET /1/data/t/missing?x=%zz", item: -1, problems: []int{400, 404}}
	for _, c := range []struct {
		profile, body string
		ok            bool
	}{
		{spec.Doc, `{"success":false,"status":404,"error":{"type":"NotFound","message":"object [missing] of type [t] not found"}}`, true},
		{spec.Doc, `{"success":false,"status":404,"error":{"message":"no type, a message"}}`, true},
		{spec.Doc, `{"success":false,"status":404}`, false},
		{spec.Doc, `{"success":false,"status":404,"error":"a string"}`, false},
		{spec.Doc, `{"success":false,"status":404,"error":null}`, false},
		{spec.Doc, `{"success":false,"status":404,"error":{"message":""}}`, false},
		{spec.Doc, `{"success":false,"status":404,"error":{"type":7,"message":"m"}}`, false},
		{spec.Doc, `{"success":false,"status":400,"error":{"message":"m"}}`, false},
		{spec.SpaceDog2016, `{"success":false,"status":404}`, true},
		{spec.SpaceDog2016, `{"success":false,"status":404,"error":"a string"}`, false},
	} {
		c := c
		got, err := jsonvalue.Decode([]byte(c.body))
		if err != nil {
			t.Fatal(err)
		}
		cmp := &comparer{profile: c.profile}
		var d []disagreement
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%s %s: panic %v", c.profile, c.body, r)
				}
			}()
			d = cmp.envelope(a, 404, got)
		}()
		if (len(d) == 0) != c.ok || len(d) > 0 && !strings.Contains(d[0].String(), "ERR-3") {
			t.Errorf("%s %s: %v, want ok %v", c.profile, c.body, d, c.ok)
		}
	}
}
