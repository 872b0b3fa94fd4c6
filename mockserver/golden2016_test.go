package mockserver_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/spacedog-oss/batchkit/fixtures"
	"github.com/spacedog-oss/batchkit/mockserver"
	"github.com/spacedog-oss/batchkit/spec"
)

// The mock in the spacedog-2016 profile answers each golden exchange as the
// 2016 server's code did (fixtures/spacedog-2016/cases.json), values the
// server generates aside.
func TestGolden2016(t *testing.T) {
	goldens, err := fixtures.SpaceDog2016()
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range goldens {
		t.Run(g.Name, func(t *testing.T) {
			m := newMock(t, mockserver.Config{Profile: spec.SpaceDog2016, Users: g.Users})
			for i, s := range g.Steps {
				status, body := send(t, m.url, s.Request)
				where := fmt.Sprintf("step %d, %s %s", i, s.Request.Method, s.Request.Path)
				if status != s.Reply.Status {
					t.Errorf("%s: status %d, want %d\n%s", where, status, s.Reply.Status, body)
				}
				if s.Reply.Body == nil {
					continue
				}
				if err := fixtures.MatchJSON(s.Reply.Body, body); err != nil {
					want := s.Reply.Body
					var compact bytes.Buffer
					if json.Compact(&compact, want) == nil {
						want = compact.Bytes()
					}
					t.Errorf("%s: %v\ngot  %s\nwant %s", where, err, body, want)
				}
			}
			if t.Failed() {
				t.Logf("%s\nfrom %s", g.Difference, strings.Join(g.Source, "\n     "))
			}
		})
	}
}

// send makes a golden request to the mock, with its Host and headers.
func send(t *testing.T, base string, r fixtures.Request) (int, []byte) {
	t.Helper()
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequest(r.Method, base+r.Path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = r.Host
	for k, v := range r.Headers {
		if v != "" { // empty: not sent, as a request without credentials
			req.Header.Set(k, v)
		}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, data
}
