package summary

import (
	"strings"
	"testing"

	"github.com/spacedog-oss/batchkit/suites/internal/exchange"
)

// A disagreement quotes the batch item that met it, whose headers may
// carry a user's credentials: the report shows neither token nor value.
func TestASequenceShowsNoCredentials(t *testing.T) {
	token := fred.token()
	problem := `result [0] of {"method":"GET","path":"/1/login","headers":{"Authorization":"Basic ` + token + `"}}: status 200, want 401` +
		` and again, quoted: "Authorization: Basic ` + token + `" and {\"authorization\": \"Basic c2VjcmV0\"}`
	seq := NewSequence(Sequence{Problem: problem}, []SequenceStep{{Exchange: exchange.Exchange{Method: "GET", URL: "http://h/1/login"}}}, Replay{Users: []Credential{fred}})
	for _, secret := range []string{token, "c2VjcmV0"} {
		if strings.Contains(seq.Problem, secret) || strings.Contains(seq.String(), secret) {
			t.Errorf("the report shows %q:\n%s", secret, seq)
		}
	}
	if !strings.Contains(seq.Problem, "status 200, want 401") {
		t.Errorf("the problem itself is gone: %s", seq.Problem)
	}
}
