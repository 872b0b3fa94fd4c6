// Command soak runs the model-checked load test of package soak against the
// built mock over loopback, samples the mock's RSS each second, and fails
// on any 5xx, transport error, lost or phantom write, or mismatch:
//
//	go run ./internal/cmd/soak -mock bin/spacedog-mock -clients 16 -duration 60s
//
// Arguments after -- go to the mock.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/spacedog-oss/batchkit/internal/soak"
)

func main() {
	mock := flag.String("mock", "bin/spacedog-mock", "the mock's `binary`")
	clients := flag.Int("clients", 16, "concurrent clients")
	duration := flag.Duration("duration", 60*time.Second, "how long to soak")
	seed := flag.Uint64("seed", uint64(time.Now().UnixNano()), "the clients' random seed, printed so that a run repeats")
	flag.Parse()
	if err := run(*mock, flag.Args(), *clients, *duration, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

func run(mock string, args []string, clients int, d time.Duration, seed uint64) error {
	cmd := exec.Command(mock, append([]string{"--addr", "127.0.0.1:0"}, args...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	url, err := serving(out)
	if err != nil {
		return err
	}
	fmt.Printf("soak: %d clients × %s against %s, seed %d\n", clients, d, url, seed)
	samples := make(chan []int64, 1)
	stop := make(chan struct{})
	go func() {
		var rss []int64
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				rss = append(rss, vmRSS(cmd.Process.Pid))
			case <-stop:
				samples <- rss
				return
			}
		}
	}()
	rep := soak.Run(context.Background(), soak.Config{URL: url, Clients: clients, Duration: d, Seed: seed,
		Prefix: "soak" + strconv.FormatUint(seed%1000000, 36)})
	close(stop)
	rss := <-samples
	fmt.Print(rep)
	fmt.Printf("\nRSS each second (MiB): %s\n", mibs(rss))
	if rep.Failed() {
		return fmt.Errorf("the mock failed the soak (seed %d)", seed)
	}
	return nil
}

func serving(out io.Reader) (string, error) {
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if _, url, ok := strings.Cut(sc.Text(), " serving on "); ok {
				found <- url
			}
		}
	}()
	select {
	case url := <-found:
		return url, nil
	case <-time.After(10 * time.Second):
		return "", fmt.Errorf("the mock did not start")
	}
}

func vmRSS(pid int) int64 {
	data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for line := range strings.SplitSeq(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func mibs(xs []int64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = strconv.FormatInt(x>>20, 10)
	}
	return strings.Join(parts, " ")
}
