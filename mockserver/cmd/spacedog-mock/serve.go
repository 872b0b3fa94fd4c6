package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/spacedog-oss/batchkit/mockserver"
)

// run serves until ctx is done, then shuts down, letting requests in flight
// finish, and saves the state file last.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	o, err := parse(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	o.cfg.Logger = logger(stderr, o.logJSON)
	mock, err := mockserver.New(o.cfg)
	if err != nil {
		return err
	}
	if err := load(mock, o); err != nil {
		return err
	}
	var state *durable
	if o.stateFile != "" {
		if state, err = openDurable(mock, o); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mock, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "spacedog-mock serving on http://%s\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	var tick <-chan time.Time
	if o.stateFile != "" {
		t := time.NewTicker(time.Second) // saves at most once a second
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case err := <-errc:
			return err
		case <-tick:
			if err := state.tick(mock); err != nil {
				fmt.Fprintln(stderr, "spacedog-mock: saving the state:", err)
			}
		case <-ctx.Done():
			shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err := srv.Shutdown(shutdown)
			if state != nil {
				if serr := state.close(mock); serr != nil {
					err = errors.Join(err, fmt.Errorf("saving the state: %w", serr))
				}
			}
			if n := mock.Violations(); err == nil && o.failOnViolation && n > 0 {
				return violationsSeen(n)
			}
			return err
		}
	}
}

// load fills the mock from the state file when there is one, else from the
// seed file. A file that cannot be read stops the start, and is left as it is.
func load(mock *mockserver.Server, o options) error {
	file := o.seedFile
	if o.stateFile != "" {
		if _, err := os.Stat(o.stateFile); err == nil {
			file = o.stateFile
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	if file == "" {
		return nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	st, err := mockserver.ParseState(file, data)
	if err != nil {
		return err
	}
	if err := mock.Load(st); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	return nil
}
