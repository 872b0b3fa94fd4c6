// Command soak runs the model-checked load test of package soak against the
// built mock over loopback, samples the mock's RSS each second, and fails
// on any 5xx, transport error, lost or phantom write, or mismatch:
//
//	go run ./tools/cmd/soak -mock bin/spacedog-mock -clients 16 -duration 60s [-profile spacedog-2016]
//
// Arguments after -- go to the mock.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spacedog-oss/batchkit/spec"
	"github.com/spacedog-oss/batchkit/tools/loadgen"
	"github.com/spacedog-oss/batchkit/tools/soak"
)

func main() {
	mock := flag.String("mock", "bin/spacedog-mock", "the mock's `binary`")
	clients := flag.Int("clients", 16, "concurrent clients")
	duration := flag.Duration("duration", 60*time.Second, "how long to soak")
	seed := flag.Uint64("seed", uint64(time.Now().UnixNano()), "the clients' random seed, printed so that a run repeats")
	profile := flag.String("profile", spec.Doc, "the mock's wire `profile`, which the soak judges it by: "+strings.Join(spec.Profiles(), " or "))
	flag.Parse()
	args := append([]string{"--profile", *profile}, flag.Args()...)
	if err := run(*mock, args, *clients, *duration, *seed, *profile); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

func run(mock string, args []string, clients int, d time.Duration, seed uint64, profile string) error {
	m, err := loadgen.Start(mock, append([]string{"--addr", "127.0.0.1:0"}, args...)...)
	if err != nil {
		return err
	}
	defer m.Stop()
	fmt.Printf("soak: %d clients × %s against %s (%s profile), seed %d\n", clients, d, m.URL, profile, seed)
	samples := make(chan []int64, 1)
	stop := make(chan struct{})
	go func() {
		var rss []int64
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				rss = append(rss, m.RSS())
			case <-stop:
				samples <- rss
				return
			}
		}
	}()
	rep := soak.Run(context.Background(), soak.Config{URL: m.URL, Clients: clients, Duration: d, Seed: seed,
		Prefix: "soak" + strconv.FormatUint(seed%1000000, 36), Profile: profile})
	close(stop)
	rss := <-samples
	fmt.Print(rep)
	fmt.Printf("\nRSS each second (MiB): %s\n", mibs(rss))
	if rep.Failed() {
		return fmt.Errorf("the mock failed the soak (seed %d)", seed)
	}
	return nil
}

func mibs(xs []int64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = strconv.FormatInt(x>>20, 10)
	}
	return strings.Join(parts, " ")
}
