// Command soak runs the model-checked load test (package soak) against the
// built mock over loopback.
//
// It samples the mock's RSS each second, and fails on any 5xx, transport
// error, lost or phantom write, or mismatch:
//
//	go run ./tools/cmd/soak -mock bin/spacedog-mock -clients 16 -duration 60s [-profile spacedog-2016]
//
// With -sync the mock keeps a state file in that --state-sync mode; with
// -objects it starts holding that many objects besides the clients' (in
// the state file, or a seed file without -sync), so that a save or a fold
// of the log has the data set's size. At the end the mock gets a SIGTERM,
// which must end it, and the state file must then hold every write the
// clients saw acknowledged. Arguments after -- go to the mock.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spacedog-oss/batchkit/spec"
	"github.com/spacedog-oss/batchkit/tools/loadgen"
	"github.com/spacedog-oss/batchkit/tools/soak"
)

type options struct {
	mock     string
	args     []string
	clients  int
	duration time.Duration
	seed     uint64
	sync     string // "": no state file
	objects  int
	profile  string
}

func main() {
	var o options
	flag.StringVar(&o.mock, "mock", "bin/spacedog-mock", "the mock's `binary`")
	flag.IntVar(&o.clients, "clients", 16, "concurrent clients")
	flag.DurationVar(&o.duration, "duration", 60*time.Second, "how long to soak")
	flag.Uint64Var(&o.seed, "seed", uint64(time.Now().UnixNano()), "the clients' random seed, printed so that a run repeats")
	flag.StringVar(&o.sync, "sync", "", "the mock's --state-sync `mode` (second or always), with a state file in a temporary folder; none by default")
	flag.IntVar(&o.objects, "objects", 0, "`n` objects the mock holds from the start, besides the clients'")
	flag.StringVar(&o.profile, "profile", spec.Doc, "the mock's wire `profile`, which the soak judges it by: "+strings.Join(spec.Profiles(), " or "))
	flag.Parse()
	o.args = append([]string{"--profile", o.profile}, flag.Args()...)
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	args := append([]string{"--addr", "127.0.0.1:0"}, o.args...)
	var stateFile string
	if o.sync != "" || o.objects > 0 {
		dir, err := os.MkdirTemp("", "soak-state-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		file := filepath.Join(dir, "state.json")
		if err := writeObjects(file, o.objects); err != nil {
			return err
		}
		if o.sync != "" {
			stateFile = file
			args = append(args, "--state-file", file, "--state-sync", o.sync)
		} else {
			args = append(args, "--seed-file", file)
		}
	}
	m, err := loadgen.Start(o.mock, args...)
	if err != nil {
		return err
	}
	defer m.Stop()
	mode := cmp(o.sync, "no state file")
	fmt.Printf("soak: %d clients × %s against %s (%s profile), %s, %d objects at the start, seed %d\n", o.clients, o.duration, m.URL, o.profile, mode, o.objects, o.seed)
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
	rep := soak.Run(context.Background(), soak.Config{URL: m.URL, Clients: o.clients, Duration: o.duration, Seed: o.seed,
		Prefix: "soak" + strconv.FormatUint(o.seed%1000000, 36), Profile: o.profile})
	close(stop)
	rss := <-samples
	// The stop comes right after the load, when a save or a fold of the
	// log may be under way.
	took, stopErr := m.Terminate()
	fmt.Print(rep)
	fmt.Printf("\nRSS each second (MiB): %s\n", mibs(rss))
	fmt.Printf("SIGTERM after the load: the mock ended in %s\n", took.Round(time.Millisecond))
	var errs []error
	if rep.Failed() {
		errs = append(errs, fmt.Errorf("the mock failed the soak (seed %d)", o.seed))
	}
	if stopErr != nil {
		errs = append(errs, fmt.Errorf("the mock's stop: %v", stopErr))
	}
	if stateFile != "" {
		if err := checkStateFile(stateFile, o.objects, rep.Acknowledged); err != nil {
			errs = append(errs, err)
		} else {
			fmt.Printf("the state file holds every acknowledged write, and the %d objects of the start\n", o.objects)
		}
	}
	return errors.Join(errs...)
}

func cmp(s, def string) string {
	if s == "" {
		return def
	}
	return "--state-sync " + s
}

// fillType holds the objects of the start, in the default backend.
const fillType = "soakfill"

// writeObjects writes a state file of n objects of about 200 bytes each.
func writeObjects(file string, n int) error {
	objs := make([]json.RawMessage, n)
	for i := range objs {
		objs[i] = json.RawMessage(fmt.Sprintf(`{"meta":{"id":"f%d","version":1},"n":%d,"title":"object %d of the data set the soak starts with","tags":["soak","fill","t%d"],"body":"%s"}`,
			i, i, i, i%7, strings.Repeat("x", 64)))
	}
	data, err := json.Marshal(map[string]map[string][]json.RawMessage{"default": {fillType: objs}})
	if err != nil {
		return err
	}
	return os.WriteFile(file, data, 0o644)
}

// checkStateFile reads the state file the mock left and checks that it
// holds the objects of the start and every acknowledged write, at its
// acknowledged version.
func checkStateFile(file string, objects int, acked map[string]map[string]int) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var st map[string]map[string][]struct {
		Meta struct {
			ID      string
			Version int
		}
	}
	if err := json.Unmarshal(data, &st); err != nil {
		return fmt.Errorf("%s: %v", file, err)
	}
	types := st["default"]
	if n := len(types[fillType]); n != objects {
		return fmt.Errorf("%s: %d objects of the start, want %d", file, n, objects)
	}
	var missing []string
	for typ, objs := range acked {
		have := map[string]int{}
		for _, o := range types[typ] {
			have[o.Meta.ID] = o.Meta.Version
		}
		for id, v := range objs {
			if have[id] != v {
				missing = append(missing, fmt.Sprintf("%s/%s: version %d, want %d", typ, id, have[id], v))
			}
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s: %d acknowledged writes are not in the state file, among them %s", file, len(missing), missing[0])
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
