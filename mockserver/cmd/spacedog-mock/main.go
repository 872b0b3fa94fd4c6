// Command spacedog-mock serves the in-memory SpaceDog /1/batch mock.
//
// Every flag has an environment variable (SPACEDOG_MOCK_ and the flag's name
// in capitals, dashes as underscores); a flag given wins over its variable.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spacedog-oss/batchkit/internal/flagenv"
	"github.com/spacedog-oss/batchkit/mockserver"
	"github.com/spacedog-oss/batchkit/spec"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "spacedog-mock:", err)
		os.Exit(2)
	}
}

// options are the command's settings, from flags and the environment.
type options struct {
	addr string
	cfg  mockserver.Config
}

func parse(args []string, getenv func(string) string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("spacedog-mock", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.addr, "addr", "localhost:8080", "`address` to listen on (host:port; port 0 picks a free one)")
	fs.IntVar(&o.cfg.MaxBatch, "max-batch", mockserver.DefaultMaxBatch, "sub-requests in a batch at most")
	fs.Int64Var(&o.cfg.MaxBody, "max-body", mockserver.DefaultMaxBody, "`bytes` of a request body at most")
	fs.StringVar(&o.cfg.Backend, "backend", mockserver.DefaultBackend, "backend of hosts that name none (localhost, IP addresses)")
	fs.StringVar(&o.cfg.Profile, "profile", spec.Doc, "wire `profile`: "+strings.Join(spec.Profiles(), " or "))
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: spacedog-mock [flags]\n\nServes SpaceDog's /1/batch and data API from memory.\n\n")
		fs.PrintDefaults()
		fmt.Fprintf(fs.Output(), "\nEach flag can be set in the environment: --max-batch as SPACEDOG_MOCK_MAX_BATCH, and so on.\n")
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if err := flagenv.Apply(fs, "SPACEDOG_MOCK_", getenv); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if o.cfg.MaxBatch < 1 {
		return o, fmt.Errorf("--max-batch must be at least 1, not %d", o.cfg.MaxBatch)
	}
	if o.cfg.MaxBody < 1 {
		return o, fmt.Errorf("--max-body must be at least 1, not %d", o.cfg.MaxBody)
	}
	if !slices.Contains(spec.Profiles(), o.cfg.Profile) {
		return o, fmt.Errorf("--profile %q is not one of %s", o.cfg.Profile, strings.Join(spec.Profiles(), ", "))
	}
	return o, nil
}

// run serves until ctx is done, then shuts down, letting requests in flight
// finish.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	o, err := parse(args, getenv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	mock, err := mockserver.New(o.cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mock, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "spacedog-mock serving on http://%s\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}
