package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spacedog-oss/batchkit/internal/testtool"
	"github.com/spacedog-oss/batchkit/mockserver"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestFlagsAndEnvironment(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		env     map[string]string
		want    options
		wantErr string
	}{
		{name: "defaults", want: options{addr: "localhost:8080", cfg: mockserver.Config{MaxBatch: 10, MaxBody: 1 << 20, Backend: "default", Profile: "doc"}}},
		{name: "the 2016 profile", args: []string{"--profile=spacedog-2016"}, want: options{addr: "localhost:8080", cfg: mockserver.Config{MaxBatch: 10, MaxBody: 1 << 20, Backend: "default", Profile: "spacedog-2016"}}},
		{name: "flags", args: []string{"--addr", ":9", "--max-batch", "20", "--max-body", "99", "--backend", "shop"},
			want: options{addr: ":9", cfg: mockserver.Config{MaxBatch: 20, MaxBody: 99, Backend: "shop"}}},
		{name: "environment", env: map[string]string{"SPACEDOG_MOCK_ADDR": ":7", "SPACEDOG_MOCK_MAX_BATCH": "20", "SPACEDOG_MOCK_MAX_BODY": "5", "SPACEDOG_MOCK_BACKEND": "blog"},
			want: options{addr: ":7", cfg: mockserver.Config{MaxBatch: 20, MaxBody: 5, Backend: "blog"}}},
		{name: "a flag wins over its variable", args: []string{"--max-batch=3"}, env: map[string]string{"SPACEDOG_MOCK_MAX_BATCH": "20"},
			want: options{addr: "localhost:8080", cfg: mockserver.Config{MaxBatch: 3, MaxBody: 1 << 20, Backend: "default"}}},
		{name: "a bad variable", env: map[string]string{"SPACEDOG_MOCK_MAX_BATCH": "ten"}, wantErr: `SPACEDOG_MOCK_MAX_BATCH="ten"`},
		{name: "a bad flag", args: []string{"--max-batch=ten"}, wantErr: "invalid value"},
		{name: "a zero limit", args: []string{"--max-batch=0"}, wantErr: "--max-batch must be at least 1"},
		{name: "a negative body", args: []string{"--max-body=-1"}, wantErr: "--max-body must be at least 1"},
		{name: "an argument", args: []string{"serve"}, wantErr: "unexpected arguments"},
		{name: "an unknown profile", env: map[string]string{"SPACEDOG_MOCK_PROFILE": "v3"}, wantErr: `--profile "v3"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parse(tc.args, env(tc.env), io.Discard)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one saying %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.addr != tc.want.addr || got.cfg.MaxBatch != tc.want.cfg.MaxBatch || got.cfg.MaxBody != tc.want.cfg.MaxBody || got.cfg.Backend != tc.want.cfg.Backend ||
				(tc.want.cfg.Profile != "" && got.cfg.Profile != tc.want.cfg.Profile) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// The command as users run it: built, started on a free port, asked for a
// batch, stopped with SIGTERM, and gone cleanly.
func TestTheCommandServesAndStopsOnSIGTERM(t *testing.T) {
	for _, sig := range []os.Signal{syscall.SIGTERM, os.Interrupt} {
		t.Run(sig.String(), func(t *testing.T) {
			m := start(t, "--max-batch", "2")
			body := `[{"method":"GET","path":"/1/data"},{"method":"GET","path":"/1/data"},{"method":"GET","path":"/1/data"}]`
			status, reply := m.post("/1/batch", body)
			if status != 400 || !strings.Contains(reply, "limited to 2") {
				t.Errorf("--max-batch 2 not applied: %d %s", status, reply)
			}
			m.stop(sig)
		})
	}
}

func TestRunStopsWhenItsContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r, w := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"--addr", "127.0.0.1:0"}, env(nil), w, io.Discard) }()
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	url := strings.TrimSpace(strings.TrimPrefix(line, "spacedog-mock serving on "))
	resp, err := http.Get(url + "/1/data")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("GET /1/data: %d", resp.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after its context ended")
	}
}

func TestAnAddressThatCannotBeListenedOnIsAnError(t *testing.T) {
	err := run(context.Background(), []string{"--addr", "256.0.0.1:1"}, env(nil), io.Discard, io.Discard)
	if err == nil {
		t.Fatal("no error for an address that cannot be listened on")
	}
}

// The start tells a newcomer where everything is: the URL alone on stdout,
// for scripts; on stderr the API, the page and the spec, at an address a
// browser opens, and how to stop it.
func TestTheStartNamesTheAPIThePageAndTheSpec(t *testing.T) {
	for _, c := range []struct {
		args []string
		base string // "": the URL of stdout
		page string
	}{
		{[]string{"--addr", "127.0.0.1:0"}, "", "(the requests as they arrive"},
		{[]string{"--addr", ":0", "--admin-token", "t0k"}, "http://localhost:", "(it asks for the token of --admin-token)"},
	} {
		ctx, cancel := context.WithCancel(context.Background())
		var stderr syncBuffer
		r, w := io.Pipe()
		done := make(chan error, 1)
		go func() { done <- run(ctx, c.args, env(nil), w, &stderr) }()
		line, err := bufio.NewReader(r).ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		url, ok := strings.CutPrefix(strings.TrimSpace(line), "spacedog-mock serving on ")
		if !ok {
			t.Fatalf("stdout's line: %q", line)
		}
		base := url
		if c.base != "" {
			base = c.base + url[strings.LastIndex(url, ":")+1:]
		}
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		for _, want := range []string{"  API   " + base + "/1/batch and " + base + "/1/data\n", "  page  " + base + "/_mock/ " + c.page,
			"  spec  " + base + "/_mock/openapi.yaml\n", "  stop  Ctrl-C, or SIGTERM"} {
			if !strings.Contains(stderr.String(), want) {
				t.Errorf("%v: stderr lacks %q:\n%s", c.args, want, stderr.String())
			}
		}
	}
}

// make mock stops with make: it runs the binary itself, which gets the
// SIGTERM make passes on to its child (go run would pass nothing on, and
// leave the mock serving).
func TestMakeMockStopsWithMake(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the command with make")
	}
	mk := testtool.Path(t, "make")
	bin := filepath.Join(t.TempDir(), "spacedog-mock")
	cmd := exec.Command(mk, "-s", "-C", filepath.Join("..", "..", ".."), "mock", "MOCK_BIN="+bin, "ARGS=--addr 127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		pids, err := exec.Command("pgrep", "-f", bin).Output() // the binary's path is this test's own
		if err != nil {
			return // none left
		}
		for _, pid := range strings.Fields(string(pids)) {
			t.Errorf("the mock (pid %s) outlived make", pid)
			if n, err := strconv.Atoi(pid); err == nil {
				syscall.Kill(n, syscall.SIGKILL) // by its pid: cleanup
			}
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("make mock printed no URL: %v; stderr: %s", err, stderr.String())
	}
	url := strings.TrimSpace(strings.TrimPrefix(line, "spacedog-mock serving on "))
	resp, err := http.Get(url + "/1/data")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil { // to make, as a test runner or an IDE sends it
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("make mock did not end after SIGTERM")
	}
	client := http.Client{Timeout: 2 * time.Second}
	if resp, err := client.Get(url + "/1/data"); err == nil {
		resp.Body.Close()
		t.Errorf("the mock still serves after make ended: %d", resp.StatusCode)
	}
}
