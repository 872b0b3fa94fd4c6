package backends

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestBackendsAreNamedFromTheSettingOrTheLoopback(t *testing.T) {
	for _, c := range []struct {
		target, setting string
		want            []string
		own             bool
		why             string
	}{
		{"http://127.0.0.1:8080", "", []string{"http://a.localhost:8080", "http://b.localhost:8080"}, true, ""},
		{"http://localhost", "", []string{"http://a.localhost", "http://b.localhost"}, true, ""},
		{"https://staging.example.com", "", nil, false, "--backend-hosts"},
		{"https://staging.example.com", "{backend}.staging.example.com", []string{"https://a.staging.example.com", "https://b.staging.example.com"}, true, ""},
		{"https://x.example.com:8443", "one.example.com, two.example.com:9", []string{"https://one.example.com:8443", "https://two.example.com:9"}, false, ""},
	} {
		got, why, err := Of(c.target, c.setting, []string{"a", "b"})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(why, c.why) || c.why == "" && why != "" {
			t.Errorf("%s %q: why %q", c.target, c.setting, why)
		}
		if len(got) != len(c.want) {
			t.Fatalf("%s %q: %+v, want %v", c.target, c.setting, got, c.want)
		}
		for i, b := range got {
			if b.Base != c.want[i] || b.Own != c.own {
				t.Errorf("%s %q: %+v, want %s own %v", c.target, c.setting, b, c.want[i], c.own)
			}
		}
	}
	if _, _, err := Of("http://x.example.com", "only.example.com", []string{"a", "b"}); err == nil {
		t.Error("one host listed where two are needed, and no error")
	}
}

// A *.localhost name reaches a server on loopback, as RFC 6761 says.
func TestALocalhostNameIsDialedOnLoopback(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.Host) }))
	defer srv.Close()
	_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{DialContext: Dial(&net.Dialer{}, srv.URL)}}
	resp, err := client.Get("http://alpha.localhost:" + port + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || string(body) != "alpha.localhost:"+port {
		t.Errorf("the server saw Host %q (%v)", body, err)
	}
}

// A target on IPv6 loopback has its backends reached there, not on
// 127.0.0.1, where nothing may listen.
func TestALocalhostNameIsDialedWhereTheTargetIs(t *testing.T) {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.Host) }))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	defer srv.Close()
	_, port, err := net.SplitHostPort(ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{DialContext: Dial(&net.Dialer{}, srv.URL)}}
	resp, err := client.Get("http://alpha.localhost:" + port + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}
