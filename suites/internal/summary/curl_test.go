package summary

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/spacedog-oss/batchkit/internal/testtool"
	"github.com/spacedog-oss/batchkit/suites/internal/exchange"
)

// received is a request as the server read it.
type received struct {
	method, uri, auth, contentType string
	body                           []byte
}

// TestCurlReplaysTheRequestAsSent renders exchanges as curl commands, runs
// each in a shell with the users' credentials in the environment, and
// compares what a server receives with what was sent.
func TestCurlReplaysTheRequestAsSent(t *testing.T) {
	testtool.Paths(t, "bash", "curl", "awk", "base64")
	got := make(chan received, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- received{r.Method, r.RequestURI, r.Header.Get("Authorization"), r.Header.Get("Content-Type"), b}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"success":true,"status":200}`))
	}))
	defer srv.Close()

	fred := Credential{Username: "fred", Password: "it's $ecret", UsernameVar: "SPACEDOG_USERNAME", PasswordVar: "SPACEDOG_PASSWORD"}
	vince := Credential{Username: "vince", Password: "s3cret2", UsernameVar: "SPACEDOG_USERNAME2", PasswordVar: "SPACEDOG_PASSWORD2"}
	creds := []Credential{fred, vince}
	basic := func(c Credential) string { return "Basic " + c.token() }
	jsonType := http.Header{"Content-Type": {"application/json"}}
	as := func(c Credential, h http.Header) http.Header {
		h = h.Clone()
		if h == nil {
			h = http.Header{}
		}
		h.Set("Authorization", basic(c))
		return h
	}
	items := func(n int, item string) []byte {
		return []byte("[" + strings.TrimSuffix(strings.Repeat(item+",", n), ",") + "]")
	}
	for _, tc := range []struct {
		name    string
		ex      exchange.Exchange
		pipe    bool   // the body is written by commands piped into curl
		wantTok string // the Authorization the server must get; "" to take the exchange's
	}{
		{name: "a GET as the caller", ex: exchange.Exchange{Method: "GET", URL: srv.URL + "/1/data/t/a?size=2", ReqHeader: as(fred, nil)}},
		{name: "a batch whose item runs as the second user", ex: exchange.Exchange{Method: "POST", URL: srv.URL + "/1/batch?stopOnError=true",
			ReqHeader: as(fred, jsonType),
			ReqBody:   []byte(`[{"method":"POST","path":"/1/data/t?id=it's","content":{"q":"a 'quoted' $HOME \"x\""},"headers":{"authorization":"` + basic(vince) + `"}}]`)}},
		{name: "a path as written, with dot segments, an encoded slash and brackets", ex: exchange.Exchange{Method: "DELETE",
			URL: srv.URL + "/1/data/t/../k%2F[1]?a={b}", ReqHeader: as(fred, nil)}},
		{name: "a body over the size limit", pipe: true, ex: exchange.Exchange{Method: "POST", URL: srv.URL + "/1/batch", ReqHeader: as(fred, jsonType),
			ReqBody: []byte(`[{"method":"POST","path":"/1/data/t?id=big","content":{"pad":"` + strings.Repeat("x", 1<<20) + `"}}]`)}},
		{name: "a thousand items", pipe: true, ex: exchange.Exchange{Method: "POST", URL: srv.URL + "/1/batch", ReqHeader: as(vince, jsonType),
			ReqBody: items(1000, `{"method":"DELETE","path":"/1/data/ck0a1b2c3d_hostile17/seed1"}`)}},
		{name: "deep nesting", pipe: true, ex: exchange.Exchange{Method: "POST", URL: srv.URL + "/1/batch", ReqHeader: as(fred, jsonType),
			ReqBody: []byte(strings.Repeat("[", 20000))}},
		{name: "control characters, invalid UTF-8 and quotes", pipe: true, ex: exchange.Exchange{Method: "PUT", URL: srv.URL + "/1/data/t/a",
			ReqHeader: as(fred, jsonType), ReqBody: []byte("{\"a\":\"line\nbreak\ttab\x00nul\xff\xfe 'é' \"}")}},
		{name: "an empty body", ex: exchange.Exchange{Method: "POST", URL: srv.URL + "/1/batch", ReqHeader: as(fred, jsonType), ReqBody: []byte{}}},
		{name: "no credentials", ex: exchange.Exchange{Method: "PATCH", URL: srv.URL + "/1/batch"}},
		{name: "credentials of no known user", wantTok: "Authorization: [redacted]", ex: exchange.Exchange{Method: "GET", URL: srv.URL + "/1/data",
			ReqHeader: http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte("eve:hunter2"))}}}},
		{name: "an item with credentials of no known user", wantTok: `"Authorization": "[redacted]"`, ex: exchange.Exchange{Method: "POST", URL: srv.URL + "/1/batch",
			ReqHeader: as(fred, jsonType), ReqBody: []byte(`[{"method":"GET","path":"/1/data","headers":{"Authorization": "Basic ZXZlOmh1bnRlcjI="}}]`)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := curl(tc.ex, Replay{Users: creds})
			for _, secret := range []string{fred.Password, vince.Password, fred.token(), vince.token(), "hunter2", "ZXZlOmh1bnRlcjI="} {
				if strings.Contains(cmd, secret) {
					t.Fatalf("the replay shows credentials (%q):\n%s", secret, cmd)
				}
			}
			if piped := strings.HasPrefix(cmd, "{ "); piped != tc.pipe {
				t.Errorf("piped: %v, want %v:\n%.600s", piped, tc.pipe, cmd)
			}
			if len(cmd) > maxScript {
				t.Errorf("a replay of %d bytes", len(cmd))
			}
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			sh := exec.CommandContext(ctx, "bash", "-c", cmd)
			sh.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/nonexistent",
				"SPACEDOG_USERNAME=fred", "SPACEDOG_PASSWORD=" + fred.Password,
				"SPACEDOG_USERNAME2=vince", "SPACEDOG_PASSWORD2=" + vince.Password}
			out, err := sh.CombinedOutput()
			if tc.wantTok != "" {
				// Not replayable as it was: the command says so, and sends no secret.
				if !strings.Contains(cmd, tc.wantTok) {
					t.Errorf("unknown credentials not redacted:\n%s", cmd)
				}
				receive(t, got)
				return
			}
			if err != nil {
				t.Fatalf("the replay failed: %v\n%s\n%.2000s", err, out, cmd)
			}
			if !bytes.Contains(out, []byte("HTTP/1.1 200")) || !bytes.Contains(out, []byte(`{"success":true,"status":200}`)) {
				t.Errorf("curl -i does not show the reply's status and body:\n%s", out)
			}
			r := receive(t, got)
			want := received{tc.ex.Method, strings.TrimPrefix(tc.ex.URL, srv.URL), tc.ex.ReqHeader.Get("Authorization"), tc.ex.ReqHeader.Get("Content-Type"), tc.ex.ReqBody}
			if r.method != want.method || r.uri != want.uri || r.auth != want.auth || r.contentType != want.contentType {
				t.Errorf("received %s %s (Authorization %q, Content-Type %q), want %s %s (%q, %q)\n%.2000s",
					r.method, r.uri, r.auth, r.contentType, want.method, want.uri, want.auth, want.contentType, cmd)
			}
			if !bytes.Equal(r.body, want.body) && !(len(r.body) == 0 && len(want.body) == 0) {
				t.Errorf("received a body of %d bytes, not the %d sent:\n%.300q\n%.2000s", len(r.body), len(want.body), r.body, cmd)
			}
		})
	}
}

// TestCurlFoldsLongRunsIntoAShortCommand keeps replays readable: the body
// of a megabyte of one letter is a line.
func TestCurlFoldsLongRunsIntoAShortCommand(t *testing.T) {
	body, err := json.Marshal([]any{map[string]any{"method": "POST", "path": "/1/data/t", "content": map[string]string{"pad": strings.Repeat("x", 1<<20)}}})
	if err != nil {
		t.Fatal(err)
	}
	cmd := curl(exchange.Exchange{Method: "POST", URL: "http://h/1/batch", ReqBody: body}, Replay{})
	if len(cmd) > 600 || !strings.Contains(cmd, "i<1048576") {
		t.Errorf("a replay of %d bytes:\n%.1000s", len(cmd), cmd)
	}
	// A long body that nothing folds is not shown, and the command says so.
	irregular := []byte(rand.Text())
	for len(irregular) < 64<<10 {
		irregular = append(irregular, rand.Text()...)
	}
	cmd = curl(exchange.Exchange{Method: "POST", URL: "http://h/1/batch", ReqBody: irregular}, Replay{})
	if len(cmd) > 600 || !strings.Contains(cmd, "not replayable as shown") {
		t.Errorf("a replay of %d bytes:\n%.1000s", len(cmd), cmd)
	}
}

// A target that lived only as long as the run (a test's loopback port)
// is gone when the report is read: the replay sends to SPACEDOG_TARGET.
func TestCurlReplaysAnEphemeralTargetsRequestsWhereTold(t *testing.T) {
	testtool.Paths(t, "bash", "curl")
	got := make(chan received, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- received{method: r.Method, uri: r.RequestURI}
	}))
	defer srv.Close()
	gone := "http://127.0.0.1:9"
	cmd := curl(exchange.Exchange{Method: "GET", URL: gone + "/1/data/t/it's?size=2"}, Replay{Ephemeral: gone})
	if strings.Contains(cmd, gone) || !strings.Contains(cmd, `"$SPACEDOG_TARGET"'/1/data/t/it'\''s?size=2'`) {
		t.Fatalf("the replay names the gone target, or not the variable:\n%s", cmd)
	}
	sh := exec.CommandContext(t.Context(), "bash", "-c", cmd)
	sh.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "SPACEDOG_TARGET=" + srv.URL}
	if out, err := sh.CombinedOutput(); err != nil {
		t.Fatalf("the replay failed: %v\n%s\n%s", err, out, cmd)
	}
	if r := receive(t, got); r.method != "GET" || r.uri != "/1/data/t/it's?size=2" {
		t.Errorf("received %s %s", r.method, r.uri)
	}
}

func receive(t *testing.T, got <-chan received) received {
	t.Helper()
	select {
	case r := <-got:
		return r
	case <-time.After(30 * time.Second):
		t.Fatal("the replay sent no request")
	}
	return received{}
}
