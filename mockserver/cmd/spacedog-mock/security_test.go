package main

import (
	"context"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestTheSafetyFlagsAndTheirVariables(t *testing.T) {
	o, err := parse(nil, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.cfg.AllowedHosts == nil || len(o.cfg.AllowedHosts) != 0 || o.cfg.CORSOrigins != nil || o.cfg.AdminToken != "" {
		t.Errorf("defaults: hosts %#v, origins %#v, token %q", o.cfg.AllowedHosts, o.cfg.CORSOrigins, o.cfg.AdminToken)
	}
	o, err = parse([]string{"--allowed-hosts", "mock.test, .spacedog.io", "--cors-origins", "*", "--admin-token", "t0k"}, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(o.cfg.AllowedHosts, []string{"mock.test", ".spacedog.io"}) || !slices.Equal(o.cfg.CORSOrigins, []string{"*"}) || o.cfg.AdminToken != "t0k" {
		t.Errorf("flags: %#v %#v %q", o.cfg.AllowedHosts, o.cfg.CORSOrigins, o.cfg.AdminToken)
	}
	o, err = parse(nil, env(map[string]string{"SPACEDOG_MOCK_ALLOWED_HOSTS": "*", "SPACEDOG_MOCK_ADMIN_TOKEN": "env", "SPACEDOG_MOCK_CORS_ORIGINS": "http://app.test"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(o.cfg.AllowedHosts, []string{"*"}) || !slices.Equal(o.cfg.CORSOrigins, []string{"http://app.test"}) || o.cfg.AdminToken != "env" {
		t.Errorf("variables: %#v %#v %q", o.cfg.AllowedHosts, o.cfg.CORSOrigins, o.cfg.AdminToken)
	}
	if _, err := parse([]string{"--allowed-hosts", "http://mock.test"}, env(nil), io.Discard); err == nil || !strings.Contains(err.Error(), "--allowed-hosts") {
		t.Errorf("a URL for a host: %v", err)
	}
}

// With its default flags, the command refuses a rebinding Host, and the
// admin routes and writes to pages of other origins; curl works as before.
func TestByDefaultTheCommandRefusesForeignPagesAndHosts(t *testing.T) {
	m := start(t)
	rebound, err := http.NewRequest("GET", m.url+"/_mock/state", nil)
	if err != nil {
		t.Fatal(err)
	}
	rebound.Host = "attacker.example:8080"
	resp, err := http.DefaultClient.Do(rebound)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "--allowed-hosts") {
		t.Errorf("a rebinding Host: %d %s", resp.StatusCode, body)
	}
	req, err := http.NewRequest("OPTIONS", m.url+"/_mock/reset", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Access-Control-Request-Method", "POST")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("the preflight of a reset from another site: %d %v", resp.StatusCode, resp.Header)
	}
	if status, _ := m.do("GET", "/_mock/state", "", "Origin", "https://evil.example"); status != http.StatusForbidden {
		t.Errorf("the state to another site: %d", status)
	}
	if status, _ := m.do("POST", "/1/data/thing", `{"n":1}`, "Origin", "https://evil.example", "Content-Type", "text/plain"); status != http.StatusForbidden {
		t.Errorf("a form's write from another site: %d", status)
	}
	if status, body := m.do("POST", "/1/data/thing?id=a", `{"n":1}`); status != 200 {
		t.Errorf("curl's write: %d %s", status, body)
	}
	if status, body := m.do("POST", "/_mock/reset", ""); status != 200 {
		t.Errorf("curl's reset: %d %s", status, body)
	}
}

func TestTheStartLinesSayWhatCORSAllowsAndWarnWhenExposed(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "CORS allows pages on localhost, *.localhost and loopback addresses"},
		{[]string{"--cors-origins", "*"}, "CORS allows pages of ANY origin"},
	} {
		var stdout, stderr syncBuffer
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			done <- run(ctx, append([]string{"--addr", "127.0.0.1:0"}, tc.args...), env(nil), &stdout, &stderr)
		}()
		for !strings.Contains(stderr.String(), "CORS allows") {
			select {
			case err := <-done:
				t.Fatalf("run ended: %v; %s", err, stderr.String())
			case <-time.After(10 * time.Millisecond): // polling for the line, not timing it
			}
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(stderr.String(), tc.want) || strings.Contains(stderr.String(), "warning") || strings.Count(stdout.String(), "\n") != 1 {
			t.Errorf("%v: stdout %q, stderr %q", tc.args, stdout.String(), stderr.String())
		}
	}
	all := &net.TCPAddr{IP: net.IPv4zero, Port: 8080}
	if w := exposed(all, ""); !strings.Contains(w, "anyone on the network can read, reset") || !strings.Contains(w, "--admin-token") {
		t.Errorf("0.0.0.0 without a token: %q", w)
	}
	if w := exposed(all, "t0k"); w != "" {
		t.Errorf("with a token: %q", w)
	}
	if w := exposed(&net.TCPAddr{IP: net.IPv6loopback, Port: 8080}, ""); w != "" {
		t.Errorf("on loopback: %q", w)
	}
}

// imageEnv is the environment the Containerfile gives the mock.
func imageEnv(t *testing.T) map[string]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "Containerfile"))
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	inEnv := false
	for line := range strings.Lines(string(data)) {
		line = strings.TrimSpace(line)
		if rest, ok := strings.CutPrefix(line, "ENV "); ok {
			inEnv, line = true, rest
		} else if !inEnv || strings.HasPrefix(line, "#") {
			inEnv = false
			continue
		}
		more := strings.HasSuffix(line, `\`)
		for _, pair := range strings.Fields(strings.TrimSuffix(line, `\`)) {
			if k, v, ok := strings.Cut(pair, "="); ok {
				vars[k] = v
			}
		}
		inEnv = more
	}
	if vars["SPACEDOG_MOCK_ADDR"] == "" {
		t.Fatalf("no ENV SPACEDOG_MOCK_ADDR in the Containerfile: %v", vars)
	}
	return vars
}

// In a compose file, another container reaches the mock by its service
// name: the image answers the names docs/install.md gives it, and a
// refused one is logged with the variable that allows it.
func TestTheImagesEnvironmentAnswersItsServiceNames(t *testing.T) {
	for _, c := range []struct {
		env   map[string]string // over the image's
		hosts map[string]int
	}{
		{nil, map[string]int{"spacedog:8080": 200, "mock": 200, "localhost:8080": 200, "api:8080": 403, "evil.example:8080": 403}},
		{map[string]string{"SPACEDOG_MOCK_ALLOWED_HOSTS": "api"}, map[string]int{"api:8080": 200, "spacedog:8080": 403}},
	} {
		vars := imageEnv(t)
		maps.Copy(vars, c.env)
		var stdout, stderr syncBuffer
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- run(ctx, []string{"--addr", "127.0.0.1:0"}, env(vars), &stdout, &stderr) }()
		for !strings.Contains(stdout.String(), "\n") {
			select {
			case err := <-done:
				t.Fatalf("run ended: %v; %s", err, stderr.String())
			case <-time.After(10 * time.Millisecond): // polling for the line, not timing it
			}
		}
		url := strings.TrimSpace(strings.TrimPrefix(stdout.String(), "spacedog-mock serving on "))
		for host, want := range c.hosts {
			req, err := http.NewRequest("GET", url+"/1/data", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Host = host
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != want {
				t.Errorf("%v: Host %s: %d, want %d", c.env, host, resp.StatusCode, want)
			}
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if c.env == nil && !strings.Contains(stderr.String(), "SPACEDOG_MOCK_ALLOWED_HOSTS=api") {
			t.Errorf("the log of a refused service name does not say how to allow it:\n%s", stderr.String())
		}
	}
}
