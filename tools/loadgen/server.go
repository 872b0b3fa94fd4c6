package loadgen

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Server is a server process under load: the mock's binary or another
// that prints "... serving on URL" when it listens.
type Server struct {
	cmd *exec.Cmd
	URL string
}

// Start runs the command and waits for the URL it prints.
func Start(name string, args ...string) (*Server, error) {
	cmd := exec.Command(name, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if _, url, ok := strings.Cut(sc.Text(), " serving on "); ok {
				found <- url
			}
		}
		io.Copy(io.Discard, out)
	}()
	select {
	case url := <-found:
		return &Server{cmd: cmd, URL: url}, nil
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("%s did not start", name)
	}
}

// Stop kills the process and waits for it.
func (s *Server) Stop() {
	s.cmd.Process.Kill()
	s.cmd.Wait()
}

// RSS is the process's resident set in bytes, from /proc; 0 where there
// is none.
func (s *Server) RSS() int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// Terminate sends SIGTERM and waits for the process to end; it says how
// long that took, and the process's error (nil when it exited with 0).
func (s *Server) Terminate() (time.Duration, error) {
	start := time.Now()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return 0, err
	}
	err := s.cmd.Wait()
	return time.Since(start), err
}
