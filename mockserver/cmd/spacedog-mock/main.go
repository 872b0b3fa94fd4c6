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
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strconv"
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
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	var violated violationsSeen
	switch {
	case errors.As(err, &violated):
		fmt.Fprintln(os.Stderr, "spacedog-mock:", err)
		os.Exit(1)
	case err != nil:
		fmt.Fprintln(os.Stderr, "spacedog-mock:", err)
		os.Exit(2)
	}
}

// options are the command's settings, from flags and the environment.
type options struct {
	addr      string
	cfg       mockserver.Config
	seedFile  string
	stateFile string
	stateSync string
	logJSON   bool
	conns     connLimits
	// failOnViolation makes the exit status 1 when the proxy saw any.
	failOnViolation bool
	version         bool // print the version and exit
}

// connLimits bound what a client may hold: connections, and the time
// and memory each takes.
type connLimits struct {
	maxConns       int
	maxHeaderBytes int
	headerTimeout  time.Duration // a request's headers, from its first byte
	bodyTimeout    time.Duration // a request's body, from its headers
	minBodyRate    int64         // bytes a second a body must keep up, after modemSlack
	writeTimeout   time.Duration // a reply, from the request's body (or headers)
	idleTimeout    time.Duration // a kept-alive connection without a request
}

// texts are the flags given as text that parse turns into the Config.
type texts struct {
	cors, hosts, latency, faults, seed, clock, clockStep, users, usersFile, proxy string
}

func parse(args []string, getenv func(string) string, stderr io.Writer) (options, error) {
	var o options
	var x texts
	fs := flag.NewFlagSet("spacedog-mock", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.addr, "addr", "localhost:8080", "`address` to listen on (host:port; port 0 picks a free one)")
	fs.IntVar(&o.cfg.MaxBatch, "max-batch", mockserver.DefaultMaxBatch, "sub-requests in a batch at most")
	fs.Int64Var(&o.cfg.MaxBody, "max-body", mockserver.DefaultMaxBody, "`bytes` of a request body at most")
	fs.StringVar(&o.cfg.Backend, "backend", mockserver.DefaultBackend, "backend of hosts that name none (localhost, IP addresses)")
	fs.StringVar(&o.cfg.Profile, "profile", spec.Doc, "wire `profile`: "+strings.Join(spec.Profiles(), " or "))
	fs.StringVar(&x.cors, "cors-origins", "", "comma-separated `origins` pages may call the API from, * for any (default: pages on localhost, *.localhost and loopback addresses, any port)")
	fs.StringVar(&x.hosts, "allowed-hosts", "", "comma-separated `hosts` answered besides IP addresses, localhost and *.localhost: a name, .name for it and its subdomains, * for any")
	fs.StringVar(&o.cfg.AdminToken, "admin-token", "", "`token` every /_mock/ request must send, as Authorization: Bearer TOKEN or "+mockserver.TokenHeader+": TOKEN")
	fs.IntVar(&o.cfg.JournalSize, "journal-size", mockserver.DefaultJournalSize, "requests GET /_mock/requests keeps")
	fs.StringVar(&o.seedFile, "seed-file", "", "JSON `file` of objects to load at start: backend → type → objects")
	fs.StringVar(&o.stateFile, "state-file", "", "JSON `file` the data is loaded from at start and saved to after changes and at exit")
	fs.StringVar(&o.stateSync, "state-sync", syncSecond, "when a write reaches the state file: `mode` second (at most a second later) or always (before its reply, through an fsynced log beside the file)")
	fs.StringVar(&x.latency, "latency", "", "`delay` added to every API response: 50ms, or a range 20ms-80ms")
	fs.StringVar(&x.faults, "faults", "", "fault rules at start: a JSON array, or @file")
	fs.StringVar(&x.seed, "seed", "", "`number` seeding generated ids, so that runs repeat them")
	fs.StringVar(&x.clock, "clock", "", "fixed `time` of the clock, like 2016-05-24T19:05:53.068Z")
	fs.StringVar(&x.clockStep, "clock-step", "", "`duration` the fixed clock moves on at each write, like 1s")
	fs.StringVar(&x.users, "users", "", "enforced credentials: `user:password` pairs, comma-separated")
	fs.StringVar(&x.usersFile, "users-file", "", "enforced credentials: a `file` of user:password lines")
	fs.StringVar(&x.proxy, "proxy", "", "`URL` of a real backend: forward every API request to it and judge its replies, each batch result by its sub-request's operation, instead of answering from memory")
	fs.BoolVar(&o.failOnViolation, "fail-on-violation", false, "with --proxy: exit with status 1 at shutdown when any reply broke the profile's document")
	fs.BoolVar(&o.logJSON, "log-json", false, "log one JSON line per request instead of text")
	fs.IntVar(&o.conns.maxConns, "max-conns", defaultMaxConns, "connections open at once at most; more wait until one closes")
	fs.IntVar(&o.conns.maxHeaderBytes, "max-header-bytes", defaultMaxHeaderBytes, "`bytes` of a request's headers at most; more is a 431")
	fs.DurationVar(&o.conns.headerTimeout, "read-header-timeout", defaultHeaderTimeout, "`time` a request's headers may take to arrive")
	fs.DurationVar(&o.conns.bodyTimeout, "body-timeout", 0, "`time` a request's body may take to arrive after its headers; more is a 408 and the connection closed "+
		"(default, or 0: --max-body at a slow modem's 56 kbit/s, 7000 bytes/s, plus 5s: 1048576 / 7000 = 150s, + 5s = 155s for 1 MiB)")
	fs.Int64Var(&o.conns.minBodyRate, "min-body-rate", modemRate, "`bytes` a second a request's body must keep up after its first 5s, a slow modem's 56 kbit/s: "+
		"byte k is due 5s + k/rate after the headers; slower is a 408 and the connection closed (0: any pace, within --body-timeout)")
	fs.DurationVar(&o.conns.writeTimeout, "write-timeout", defaultWriteTimeout, "`time` a reply may take once the request is in, delays included: the longest --latency (1m), fault delay (1m) and a minute to answer")
	fs.DurationVar(&o.conns.idleTimeout, "idle-timeout", defaultIdleTimeout, "`time` a kept-alive connection may wait for its next request")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: spacedog-mock [flags]\n\nServes SpaceDog's /1/batch and data API from memory.\n\n")
		fs.PrintDefaults()
		fmt.Fprintf(fs.Output(), "\nEach flag can be set in the environment: --max-batch as SPACEDOG_MOCK_MAX_BATCH, and so on.\n")
	}
	fs.BoolVar(&o.version, "version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.version { // whatever the rest says: no checks
		return o, nil
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
	if o.cfg.JournalSize < 1 {
		return o, fmt.Errorf("--journal-size must be at least 1, not %d", o.cfg.JournalSize)
	}
	if x.proxy != "" && (o.seedFile != "" || o.stateFile != "") {
		return o, errors.New("--proxy answers from the backend: --seed-file and --state-file do not go with it")
	}
	if o.failOnViolation && x.proxy == "" {
		return o, errors.New("--fail-on-violation goes with --proxy")
	}
	if o.stateSync != syncSecond && o.stateSync != syncAlways {
		return o, fmt.Errorf("--state-sync %q is not %s or %s", o.stateSync, syncSecond, syncAlways)
	}
	if o.stateSync == syncAlways && o.stateFile == "" {
		return o, errors.New("--state-sync always goes with --state-file")
	}
	if err := o.conns.check(o.cfg.MaxBody); err != nil {
		return o, err
	}
	if !slices.Contains(spec.Profiles(), o.cfg.Profile) {
		return o, fmt.Errorf("--profile %q is not one of %s", o.cfg.Profile, strings.Join(spec.Profiles(), ", "))
	}
	return o, x.apply(&o.cfg)
}

// check refuses limits that would turn clients away for good, and sets the
// body timeout's default from the body limit.
func (c *connLimits) check(maxBody int64) error {
	if c.maxConns < 1 {
		return fmt.Errorf("--max-conns must be at least 1, not %d", c.maxConns)
	}
	if c.maxHeaderBytes < 1 {
		return fmt.Errorf("--max-header-bytes must be at least 1, not %d", c.maxHeaderBytes)
	}
	for _, d := range []struct {
		flag string
		d    time.Duration
	}{{"--read-header-timeout", c.headerTimeout}, {"--write-timeout", c.writeTimeout}, {"--idle-timeout", c.idleTimeout}} {
		if d.d <= 0 {
			return fmt.Errorf("%s must be more than 0, not %s", d.flag, d.d)
		}
	}
	if c.minBodyRate < 0 {
		return fmt.Errorf("--min-body-rate must not be negative, not %d", c.minBodyRate)
	}
	if c.bodyTimeout < 0 {
		return fmt.Errorf("--body-timeout must not be negative, not %s", c.bodyTimeout)
	}
	if c.bodyTimeout == 0 {
		c.bodyTimeout = bodyTimeoutFor(maxBody)
	}
	return nil
}

// apply reads the text flags into the Config.
func (x texts) apply(cfg *mockserver.Config) error {
	cfg.CORSOrigins = list(x.cors)
	cfg.AllowedHosts = append([]string{}, list(x.hosts)...) // never nil: the Host check is on
	for _, h := range cfg.AllowedHosts {
		if strings.ContainsAny(h, "/:@") || h == "." {
			return fmt.Errorf("--allowed-hosts: %q is not a host name, .domain or *", h)
		}
	}
	var err error
	if cfg.Latency, err = mockserver.ParseLatency(x.latency); err != nil {
		return fmt.Errorf("--latency: %w", err)
	}
	if cfg.Faults, err = parseFaults(x.faults); err != nil {
		return fmt.Errorf("--faults: %w", err)
	}
	if x.seed != "" {
		n, err := strconv.ParseUint(x.seed, 10, 64)
		if err != nil {
			return fmt.Errorf("--seed %q: a whole number", x.seed)
		}
		cfg.NewID = mockserver.SeededIDs(n)
	}
	if cfg.Now, err = parseClock(x.clock, x.clockStep); err != nil {
		return err
	}
	if x.proxy != "" {
		if cfg.Proxy, err = mockserver.ParseProxy(x.proxy); err != nil {
			return fmt.Errorf("--proxy: %w", err)
		}
	}
	cfg.Users, err = parseUsers(x.users, x.usersFile)
	return err
}

// list is a comma-separated flag's items, trimmed, the empty ones left out.
func list(s string) []string {
	var out []string
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

func parseFaults(s string) ([]mockserver.Fault, error) {
	if s == "" {
		return nil, nil
	}
	data := []byte(s)
	if file, ok := strings.CutPrefix(s, "@"); ok {
		var err error
		if data, err = os.ReadFile(file); err != nil {
			return nil, err
		}
	}
	return mockserver.ParseFaults(data)
}

func parseClock(clock, step string) (func() time.Time, error) {
	if clock == "" {
		if step != "" {
			return nil, errors.New("--clock-step goes with --clock")
		}
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339Nano, clock)
	if err != nil {
		return nil, fmt.Errorf("--clock %q: a time like 2016-05-24T19:05:53.068Z", clock)
	}
	var d time.Duration
	if step != "" {
		if d, err = time.ParseDuration(step); err != nil || d < 0 {
			return nil, fmt.Errorf("--clock-step %q: a duration like 1s", step)
		}
	}
	return mockserver.FixedClock(t, d), nil
}

// parseUsers reads user:password pairs from the flag and from the file's
// lines (blank lines and # comments aside).
func parseUsers(list, file string) (map[string]string, error) {
	if list == "" && file == "" {
		return nil, nil
	}
	users := map[string]string{}
	add := func(where, pair string) error {
		user, password, ok := strings.Cut(pair, ":")
		if !ok || user == "" || password == "" {
			return fmt.Errorf("%s: %q is not user:password", where, pair)
		}
		users[user] = password
		return nil
	}
	for _, pair := range strings.Split(list, ",") {
		if pair = strings.TrimSpace(pair); pair != "" {
			if err := add("--users", pair); err != nil {
				return nil, err
			}
		}
	}
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("--users-file: %w", err)
		}
		for i, line := range strings.Split(string(data), "\n") {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
				if err := add(fmt.Sprintf("%s:%d", file, i+1), line); err != nil {
					return nil, err
				}
			}
		}
	}
	return users, nil
}

// violationsSeen ends a proxying run that saw violations, with
// --fail-on-violation: the exit status is then 1, for CI.
type violationsSeen int64

func (v violationsSeen) Error() string {
	return fmt.Sprintf("the backend broke the contract %d times (GET /_mock/violations lists them)", int64(v))
}

func logger(w io.Writer, asJSON bool) *slog.Logger {
	if asJSON {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}
