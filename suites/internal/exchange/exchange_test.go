package exchange

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/spacedog-oss/batchkit/spec"
)

// serve answers every request with the same status and body.
func serve(t *testing.T, status int, body string) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestTheCheckerJudgesResponsesAndBatchResults(t *testing.T) {
	sp, err := spec.Load()
	if err != nil {
		t.Fatal(err)
	}
	object := `{"name":"x","meta":{"id":"a","type":"t","version":1,"createdBy":"u","updatedBy":"u","createdAt":"2016-05-24T19:05:53.068Z","updatedAt":"2016-05-24T19:05:53.068Z"}}`
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		reply                    string
		violation                string // "" when the exchange keeps the spec
	}{
		{"an object", "GET", "/1/data/t/a", "", 200, object, ""},
		{"an object without meta", "GET", "/1/data/t/a", "", 200, `{"name":"x"}`, "meta"},
		{"an undocumented status", "GET", "/1/data/t/a", "", 500, `{"success":false,"status":500,"error":{"type":"x","message":"boom"}}`, "500"},
		{"a 404 without a route", "GET", "/nowhere", "", 404, `{"success":false,"status":404,"error":{"type":"x","message":"no"}}`, ""},
		{"a bare error without a route", "GET", "/nowhere", "", 404, `{"error":"no"}`, "ErrorEnvelope"},
		{"a batch of good results", "POST", "/1/batch", `[{"method":"get","path":"/v1/data/t/a/"},{"method":"GET"}]`, 200,
			`[` + object + `,{"success":false,"status":400,"error":{"type":"x","message":"no path"}}]`, ""},
		{"a saved result without version", "POST", "/1/batch", `[{"method":"POST","path":"/1/data/t","content":{}}]`, 200,
			`[{"success":true,"status":200,"id":"a","type":"t","location":"http://h/1/data/t/a"}]`, "result [0]"},
		{"a listing where an object was asked", "POST", "/1/batch", `[{"method":"GET","path":"/1/data/t/a"}]`, 200,
			`[{"total":0,"results":[]}]`, "result [0]"},
		{"more results than items", "POST", "/1/batch", `[]`, 200, `[` + object + `]`, "1 results for 0"},
		{"a failed result without the envelope", "POST", "/1/batch", `[{"method":"GET","path":"/1/data/t/b"}]`, 200,
			`[{"status":404,"message":"not found"}]`, `result [0]: GET /1/data/{type}/{id} answered 404, not as operation getObject documents`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := serve(t, tc.status, tc.reply)
			c := &Checker{Spec: sp}
			req, err := http.NewRequest(tc.method, url+tc.path, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			req.SetBasicAuth("fred", "secret")
			_, err = (&http.Client{Transport: c}).Do(req)
			var v *SpecError
			switch {
			case tc.violation == "" && err != nil:
				t.Fatalf("a good exchange was refused: %v", err)
			case tc.violation != "" && !errors.As(err, &v):
				t.Fatalf("error %v, want a violation", err)
			case tc.violation != "" && !strings.Contains(err.Error(), tc.violation):
				t.Errorf("violation %q does not say %q", err, tc.violation)
			}
			if v != nil && (strings.Contains(v.Error(), "secret") || strings.Contains(v.Error(), "ZnJlZDpzZWNyZXQ=")) {
				t.Errorf("the report shows credentials: %s", v)
			}
			if c.Count() != 1 || len(c.Since(0)) != 1 {
				t.Errorf("count %d, kept %d", c.Count(), len(c.Since(0)))
			}
		})
	}
}

func TestExchangesRedactSubRequestCredentials(t *testing.T) {
	ex := Exchange{Method: "POST", URL: "http://h/1/batch",
		ReqHeader: http.Header{"Authorization": {"Basic ZnJlZDpzZWNyZXQ="}},
		ReqBody:   []byte(`[{"method":"GET","path":"/1/data","headers":{"Authorization":"Basic dmluY2U6aGk="}}]`)}
	s := ex.String()
	if strings.Contains(s, "ZnJlZDpzZWNyZXQ=") || strings.Contains(s, "dmluY2U6aGk=") {
		t.Errorf("credentials shown:\n%s", s)
	}
}

// A request whose target is written as given keeps its host and its path
// in the record, for a replay to send it again.
func TestTheURLIsRecordedAsSent(t *testing.T) {
	sp, err := spec.Load()
	if err != nil {
		t.Fatal(err)
	}
	url := serve(t, 404, `{"success":false,"status":404,"error":{"type":"x","message":"no"}}`)
	c := &Checker{Spec: sp}
	req, err := http.NewRequest("DELETE", url+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.URL.Opaque = "/1/data/t/../k%2F?x=[1]"
	req.URL.Path = req.URL.Opaque
	resp, err := (&http.Client{Transport: c}).Do(req)
	if err == nil {
		resp.Body.Close()
	}
	if got := c.Since(0); len(got) != 1 || got[0].URL != url+"/1/data/t/../k%2F?x=[1]" {
		t.Errorf("recorded %+v", got)
	}
}
