package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The binary, built once for the tests that run it as users do.
var binary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "spacedog-mock-test")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "spacedog-mock")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", &buildError{out}
	}
	return bin, nil
})

type buildError struct{ out []byte }

func (e *buildError) Error() string { return "go build: " + string(e.out) }

func TestMain(m *testing.M) {
	code := m.Run()
	if bin, err := binary(); err == nil {
		os.RemoveAll(filepath.Dir(bin))
	}
	os.Exit(code)
}

// running is a started spacedog-mock.
type running struct {
	t      *testing.T
	cmd    *exec.Cmd
	url    string
	stderr *syncBuffer
	done   chan error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start runs the command on a free port and waits for its URL.
func start(t *testing.T, args ...string) *running {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the command")
	}
	bin, err := binary()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append([]string{"--addr", "127.0.0.1:0"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	r := &running{t: t, cmd: cmd, stderr: &syncBuffer{}, done: make(chan error, 1)}
	cmd.Stderr = r.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { r.done <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("no URL printed: %v; stderr: %s", err, r.stderr)
	}
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "spacedog-mock serving on ")
	if !ok {
		t.Fatalf("first line %q does not give the URL", line)
	}
	r.url = url
	return r
}

// fails runs the command, which must exit with an error, and returns what it said.
func fails(t *testing.T, args ...string) string {
	t.Helper()
	bin, err := binary()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, append([]string{"--addr", "127.0.0.1:0"}, args...)...).CombinedOutput()
	if err == nil {
		t.Fatalf("the command started: %s", out)
	}
	return string(out)
}

func (r *running) do(method, path, body string, header ...string) (int, string) {
	r.t.Helper()
	req, err := http.NewRequest(method, r.url+path, strings.NewReader(body))
	if err != nil {
		r.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		r.t.Fatalf("%s %s: reading the reply: %v", method, path, err)
	}
	return resp.StatusCode, string(data)
}

func (r *running) post(path, body string) (int, string) {
	r.t.Helper()
	return r.do("POST", path, body)
}

// kill ends the command with SIGKILL, as a crash would, and fails the test
// if it had ended before, on its own.
func (r *running) kill() {
	r.t.Helper()
	killErr := r.cmd.Process.Kill()
	var exit *exec.ExitError
	if err := <-r.done; !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		r.t.Fatalf("the command ended before the kill (%v): %v; stderr: %s", killErr, err, r.stderr)
	}
}

// stop signals the command and waits for a clean exit.
func (r *running) stop(sig os.Signal) {
	r.t.Helper()
	if err := r.cmd.Process.Signal(sig); err != nil {
		r.t.Fatal(err)
	}
	select {
	case err := <-r.done:
		if err != nil {
			r.t.Errorf("exit after %v: %v; stderr: %s", sig, err, r.stderr)
		}
	case <-time.After(10 * time.Second):
		r.t.Fatalf("still running 10s after %v", sig)
	}
}

// writeFile and readFile are os's, failing the test on an error.
func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestAStateFileKeepsEveryWriteAcrossACleanRestart(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state.json")
	m := start(t, "--state-file", state)
	for i, id := range []string{"a", "b", "c"} {
		if status, body := m.post("/1/data/thing?id="+id, `{"n":`+string(rune('1'+i))+`}`); status != 200 {
			t.Fatalf("create %s: %d %s", id, status, body)
		}
	}
	// The last write comes just before SIGTERM: no debounce may lose it.
	m.do("PUT", "/1/data/thing/c", `{"last":true}`)
	m.stop(syscall.SIGTERM)

	again := start(t, "--state-file", state)
	status, body := again.do("GET", "/1/data/thing/c", "")
	if status != 200 || !strings.Contains(body, `"last":true`) || !strings.Contains(body, `"version":2`) {
		t.Fatalf("after a restart: %d %s", status, body)
	}
	if _, body := again.do("GET", "/1/data/thing", ""); !strings.Contains(body, `"total":3`) {
		t.Errorf("listing after a restart: %s", body)
	}
	again.stop(os.Interrupt)
}

func TestAStateFileIsSavedWhileRunning(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state.json")
	m := start(t, "--state-file", state)
	m.post("/1/data/thing?id=a", `{}`)
	deadline := time.Now().Add(5 * time.Second)
	for {
		data, _ := os.ReadFile(state) // not written yet: read again
		if bytes.Contains(data, []byte(`"thing"`)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the state file was not written within 5s of a change")
		}
		time.Sleep(100 * time.Millisecond)
	}
	m.stop(syscall.SIGTERM)
}

func TestACorruptStateFileStopsTheStartAndIsLeftAlone(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state.json")
	corrupt := []byte("{\n  \"default\": {\"thing\": [ {\"a\": 1 ]}\n}\n")
	writeFile(t, state, corrupt)
	out := fails(t, "--state-file", state)
	if !strings.Contains(out, state+": line 2, column 34") {
		t.Errorf("the error does not name the file and the place: %s", out)
	}
	if !bytes.Equal(readFile(t, state), corrupt) {
		t.Error("the corrupt state file was changed")
	}
}

func TestASeedFileLoadsAtStartOrStopsItClearly(t *testing.T) {
	seed := filepath.Join("..", "..", "..", "fixtures", "seed", "sample.json")
	m := start(t, "--seed-file", seed)
	if status, body := m.do("GET", "/1/data/product/AVTkKLKsuJhkJMV-I3kz", ""); status != 200 || !strings.Contains(body, "Thunder Buzz") {
		t.Errorf("seeded product: %d %s", status, body)
	}
	m.stop(syscall.SIGTERM)

	bad := filepath.Join(t.TempDir(), "seed.json")
	writeFile(t, bad, []byte(`{"default": {"product": [{"meta": {"id": "a/b"}}]}}`))
	if out := fails(t, "--seed-file", bad); !strings.Contains(out, bad+`: default/product[0]: meta.id "a/b"`) {
		t.Errorf("a bad seed: %s", out)
	}
}

func TestDeterministicModeRepeatsARunByteForByte(t *testing.T) {
	run := func() string {
		m := start(t, "--seed", "42", "--clock", "2016-05-24T19:05:53.068Z", "--clock-step", "1s")
		_, a := m.post("/1/data/product", `{"name":"Teddy Bear"}`)
		_, b := m.post("/1/batch", `[{"method":"POST","path":"/1/data/product","content":{"name":"Mobby Dick"}},{"method":"GET","path":"/1/data/product"}]`)
		m.stop(syscall.SIGTERM)
		return strings.ReplaceAll(a+b, m.url, "URL")
	}
	first, second := run(), run()
	if first != second {
		t.Errorf("two runs differ:\n%s\n%s", first, second)
	}
	if !strings.Contains(first, `"createdAt":"2016-05-24T19:05:53.068Z"`) || !strings.Contains(first, `"createdAt":"2016-05-24T19:05:54.068Z"`) {
		t.Errorf("the clock is not fixed and stepped: %s", first)
	}
}

func TestUsersAreEnforcedFromTheFlagAndTheFile(t *testing.T) {
	users := filepath.Join(t.TempDir(), "users")
	writeFile(t, users, []byte("# the team\nvince:hi\n\n"))
	m := start(t, "--users", "fred:secret", "--users-file", users)
	for _, tc := range []struct {
		auth string
		want int
	}{{"", 401}, {"Basic ZnJlZDpzZWNyZXQ=", 200}, {"Basic dmluY2U6aGk=", 200}, {"Basic dmluY2U6bm8=", 401}} {
		if status, _ := m.do("GET", "/1/data", "", "Authorization", tc.auth); status != tc.want {
			t.Errorf("Authorization %q: %d, want %d", tc.auth, status, tc.want)
		}
	}
	m.stop(syscall.SIGTERM)
	writeFile(t, users, []byte("vince\n"))
	if out := fails(t, "--users-file", users); !strings.Contains(out, users+":1") {
		t.Errorf("a bad users file: %s", out)
	}
}

func TestFaultsLatencyCORSAndLogsFromFlags(t *testing.T) {
	faults := filepath.Join(t.TempDir(), "faults.json")
	writeFile(t, faults, []byte(`[{"method":"GET","path":"/1/data/flaky","status":503}]`))
	m := start(t, "--faults", "@"+faults, "--latency", "10ms-20ms", "--cors-origins", "http://app.test", "--log-json")
	began := time.Now()
	if status, _ := m.do("GET", "/1/data/flaky", ""); status != 503 {
		t.Errorf("the fault from the flag: %d", status)
	}
	if time.Since(began) < 10*time.Millisecond {
		t.Error("no latency")
	}
	req, err := http.NewRequest("OPTIONS", m.url+"/1/batch", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Origin", "http://app.test")
	req.Header.Set("Access-Control-Request-Method", "POST")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Access-Control-Allow-Origin") != "http://app.test" {
		t.Errorf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
	m.stop(syscall.SIGTERM)
	if !strings.Contains(m.stderr.String(), `"path":"/1/data/flaky","status":503`) {
		t.Errorf("no JSON log line: %s", m.stderr)
	}
	if out := fails(t, "--faults", `[{"path":"/x"}]`); !strings.Contains(out, "rule [0]") {
		t.Errorf("a bad fault: %s", out)
	}
}
