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
	"strconv"
	"time"

	"github.com/spacedog-oss/batchkit/internal/buildinfo"
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
	if o.version {
		_, err := fmt.Fprintln(stdout, "spacedog-mock", buildinfo.Version())
		return err
	}
	o.cfg.Logger = logger(stderr, o.logJSON)
	mock, err := mockserver.New(o.cfg)
	if err != nil {
		return err
	}
	if o.stateFile != "" {
		removeLeftovers(o.stateFile, stderr)
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
	ln = limitListen(ln, o.conns.maxConns)
	srv := &http.Server{
		Handler:           withDeadlines(mock, o.conns.bodyTimeout, o.conns.minBodyRate, o.conns.writeTimeout),
		MaxHeaderBytes:    o.conns.maxHeaderBytes,
		ReadHeaderTimeout: o.conns.headerTimeout,
		WriteTimeout:      o.conns.writeTimeout, // from the headers; withDeadlines moves it past a body
		IdleTimeout:       o.conns.idleTimeout,
	}
	srv.RegisterOnShutdown(mock.StopWaiting) // the page's long polls must not hold a stop
	fmt.Fprintf(stdout, "spacedog-mock serving on http://%s\n", ln.Addr())
	// stdout's one line is the URL, which scripts read; the rest is said on stderr.
	fmt.Fprint(stderr, startLines(ln.Addr(), o.cfg.AdminToken != ""))
	fmt.Fprintf(stderr, "spacedog-mock: CORS allows %s\n", mockserver.DescribeCORS(o.cfg.CORSOrigins))
	if warning := exposed(ln.Addr(), o.cfg.AdminToken); warning != "" {
		fmt.Fprintln(stderr, "spacedog-mock: warning:", warning)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	var tick <-chan time.Time
	var folded <-chan foldResult
	if o.stateFile != "" {
		t := time.NewTicker(time.Second) // saves at most once a second
		defer t.Stop()
		tick, folded = t.C, state.folded()
	}
	for {
		select {
		case err := <-errc:
			return err
		case <-tick:
			state.tick(mock) // a save or fold runs on its own: this loop never waits for one
		case r := <-folded:
			if err := state.finish(r); err != nil {
				fmt.Fprintln(stderr, "spacedog-mock: saving the state:", err)
			}
		case <-ctx.Done():
			shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err := srv.Shutdown(shutdown)
			if errors.Is(err, context.DeadlineExceeded) {
				// Clients still sending or reading after the grace are cut
				// off: a stalled one must not make a stop fail.
				fmt.Fprintln(stderr, "spacedog-mock: closing the connections still busy after 5s")
				err = srv.Close()
			}
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

// startLines say where the API, the page and the spec are, at a URL a
// browser on this machine opens (localhost for an address of any
// interface), and how to stop the mock.
func startLines(addr net.Addr, token bool) string {
	base := "http://" + addr.String()
	if tcp, ok := addr.(*net.TCPAddr); ok && tcp.IP.IsUnspecified() {
		base = "http://" + net.JoinHostPort("localhost", strconv.Itoa(tcp.Port))
	}
	page := "the requests as they arrive, the data, the fault rules"
	if token {
		page = "it asks for the token of --admin-token"
	}
	return fmt.Sprintf("  API   %s/1/batch and %s/1/data\n  page  %s%s (%s)\n  spec  %s%sopenapi.yaml\n  stop  Ctrl-C, or SIGTERM to its process\n",
		base, base, base, mockserver.AdminPrefix, page, base, mockserver.AdminPrefix)
}

// exposed warns when the mock listens beyond this machine with no admin
// token: anyone on the network can then read, reset and fault it.
func exposed(addr net.Addr, token string) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || tcp.IP.IsLoopback() || token != "" {
		return ""
	}
	return fmt.Sprintf("listening on %s, beyond this machine, without --admin-token: anyone on the network can read, reset and fault the mock", addr)
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

// removeLeftovers removes the temporary files of saves of the state file
// that were interrupted (a SIGKILL skips their cleanup): the state file
// itself is whole, the old one or the new.
func removeLeftovers(stateFile string, stderr io.Writer) {
	leftovers, _ := mockserver.StateFileLeftovers(stateFile) // no folder: nothing left, and the save will say
	for _, f := range leftovers {
		if err := os.Remove(f); err != nil {
			fmt.Fprintln(stderr, "spacedog-mock:", err)
			continue
		}
		fmt.Fprintf(stderr, "spacedog-mock: removed %s, left by an interrupted save\n", f)
	}
}
