// Package generative is the suites' generative mode: seeded random
// sequences, sent to the target and to an in-process mock in lockstep,
// compared by the rules, a disagreement shrunk.
//
// The sequences of direct requests and batches are internal/model's
// generator's; the mock, of the same profile, limit and users, is the
// reference; each answer of the target is
// compared with the reference's by the rules, and every few steps the
// stored objects of the run's types too. On the first disagreement the
// sequence is shrunk to a minimal one that still disagrees, for a report
// that replays it.
package generative

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/spacedog-oss/batchkit/internal/model"
	"github.com/spacedog-oss/batchkit/suites/internal/backends"
)

// Config is a generative run's settings.
type Config struct {
	Target           string // the target's base URL
	Profile          string
	MaxBatch         int
	Auths            []model.Auth // the callers: anonymous (Header ""), the users
	Prefix           string       // starts every type the run makes: unique to the run
	Strict           bool         // the SHOULD rules' choices must be the mock's
	Seed             uint64       // the first sequence's seed; the next ones follow
	Sequences, Steps int
	Budget           time.Duration // the run stops drawing sequences past it
	Every            int           // compare the stored objects every so many steps
	Gen              model.Options // the corpus's hostile items and bodies; the probe sets the choices
	// RequestTimeout bounds an exchange with the target, from sending to
	// the reply's last byte, and MaxReply the bytes of a reply read: the
	// suites' --request-timeout and --max-reply. Zero: no bound.
	RequestTimeout time.Duration
	MaxReply       int64
	// BackendHosts names the target's backends beside its own host
	// (package backends): sequences use two of them at once, the run's own.
	BackendHosts string
	// Progress, when set, hears what the run has done every ProgressEvery
	// (5 s when 0).
	Progress      func(Stats)
	ProgressEvery time.Duration
}

// ErrNoCaller is Run's error when the target serves no anonymous caller
// and the run has no user's credentials: no sequence can be sent.
var ErrNoCaller = errors.New("the target refuses anonymous callers and the run has no user: give --username and --password")

// Finding is a disagreement, shrunk: the steps that show it.
type Finding struct {
	Seed     uint64 // the seed of the sequence that found it
	Drawn    int    // the steps drawn before the disagreement showed
	Steps    []*model.Step
	Sent     []Exchange // the shrunk sequence's exchanges, the disagreeing ones last
	Problems []disagreement
	Shrinks  int // replays tried while shrinking
}

// Rules are the rules the disagreement names, sorted.
func (f *Finding) Rules() []string {
	var out []string
	for _, d := range f.Problems {
		for _, r := range d.Rules {
			if !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
	}
	slices.Sort(out)
	return out
}

// Problem is what disagrees, as sentences.
func (f *Finding) Problem() string {
	var lines []string
	for _, d := range f.Problems {
		lines = append(lines, d.String())
	}
	return strings.Join(lines, "\n")
}

// Exchange is a request sent to both servers, and their answers.
type Exchange struct {
	Base                string // the target's base URL the request went to: its own, or a backend's
	Method, Path, Query string
	Header              http.Header
	Body                []byte
	Status, RefStatus   int
	Reply, RefReply     []byte
}

// Stats says what a run did.
type Stats struct {
	Sequences, Steps, Requests int
	Disagreements              int      // 0, or 1: a run stops at its first
	Types                      []string // every type the run made on the target
	// Choices are what the probe found the target chose otherwise than the
	// mock where the contract leaves the choice, which the sequences then
	// keep to: "takes the id .dot".
	Choices []string
	// Notes say what the run could not do, and what would let it.
	Notes []string
}

// Run draws sequences until one disagrees, the count is reached or the
// budget is spent, and shrinks the first disagreement. A target that gives
// no reply to an exchange within the bounds is a finding too, the sequence
// as drawn up to that exchange.
func Run(ctx context.Context, cfg Config) (*Finding, Stats, error) {
	var stats Stats
	start := time.Now()
	client := boundedClient(cfg.RequestTimeout, cfg.Target)
	defer client.CloseIdleConnections()
	ch, err := probe(ctx, cfg, client)
	stats.Requests += len(ch.sent)
	var nr *noReply
	if errors.As(err, &nr) { // the target hung on a probe: that is the finding
		stats.Disagreements++
		return &Finding{Sent: ch.sent, Problems: []disagreement{{Text: nr.Error()}}}, stats, nil
	}
	if err != nil {
		return nil, stats, err
	}
	stats.Choices = ch.notes
	if ch.finding != nil {
		stats.Disagreements++
		return ch.finding, stats, nil
	}
	cfg.Auths = ch.auths
	cfg.Gen.NoAliases, cfg.Gen.StopOnErrorTrueFalse = ch.gen.NoAliases, ch.gen.StopOnErrorTrueFalse
	cfg.Gen.IDs, cfg.Gen.BadIDs = ch.gen.IDs, ch.gen.BadIDs
	told, every := time.Now(), cmp.Or(cfg.ProgressEvery, 5*time.Second)
	tell := func() {
		if cfg.Progress != nil && time.Since(told) >= every {
			cfg.Progress(stats)
			told = time.Now()
		}
	}
	for i := range cfg.Sequences {
		if i > 0 && time.Since(start) > cfg.Budget || ctx.Err() != nil {
			break
		}
		seed := cfg.Seed + uint64(i)
		s, err := newSession(ctx, cfg, client, &stats)
		if err != nil {
			return nil, stats, err
		}
		gen := model.NewGenWith(s.model, seed, s.options())
		var steps []*model.Step
		problems, err := s.prime()
		for i := 0; i < cfg.Steps && err == nil && problems == nil; i++ {
			st := gen.Step()
			steps = append(steps, st)
			stats.Steps++
			if problems, err = s.do(st); err != nil || problems != nil {
				break
			}
			if len(steps)%max(cfg.Every, 1) == 0 {
				if problems, err = s.state(); err != nil || problems != nil {
					break
				}
			}
			tell()
		}
		if err == nil && problems == nil {
			problems, err = s.state()
		}
		prefix := s.prefix
		var nr *noReply
		if errors.As(err, &nr) {
			// No replay: each would wait out the same bound. What was sent,
			// the exchange that got no reply last, is the report.
			s.close()
			stats.Sequences++
			stats.Disagreements++
			return &Finding{Seed: seed, Drawn: len(steps), Steps: steps, Sent: s.log,
				Problems: []disagreement{{Text: nr.Error()}}}, stats, nil
		}
		s.cleanup()
		s.close()
		stats.Sequences++
		if err != nil {
			return nil, stats, err
		}
		if problems != nil {
			stats.Disagreements++
			drawn := &Finding{Steps: steps, Sent: s.log, Problems: problems}
			f, err := shrink(ctx, cfg, client, &stats, canonical(steps, prefix), drawn, tell)
			if err != nil {
				return nil, stats, err
			}
			f.Seed, f.Drawn = seed, len(steps)
			return f, stats, nil
		}
	}
	return nil, stats, nil
}

// noReply is an exchange with the target that got no whole reply within
// the run's bounds: a finding, not an error of the kit.
type noReply struct{ err error }

func (e *noReply) Error() string { return "no reply: " + e.err.Error() }
func (e *noReply) Unwrap() error { return e.err }

// boundedClient is the client of the target: each exchange within timeout,
// no redirect followed (the API redirects nothing, and a redirect elsewhere
// would take the run's credentials along).
func boundedClient(timeout time.Duration, target string) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = backends.Dial(&net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}, target) // *.localhost where the target is
	if timeout > 0 {
		t.TLSHandshakeTimeout, t.ResponseHeaderTimeout = timeout, timeout
	}
	return &http.Client{Transport: t, Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// do sends a request and reads its reply whole, at most maxReply bytes of
// it (0: no bound).
func do(client *http.Client, req *http.Request, maxReply int64) (int, []byte, error) {
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	rd := io.Reader(resp.Body)
	if maxReply > 0 {
		rd = io.LimitReader(resp.Body, maxReply+1)
	}
	b, err := io.ReadAll(rd)
	if err == nil && maxReply > 0 && int64(len(b)) > maxReply {
		err = fmt.Errorf("a reply of more than %d bytes (--max-reply)", maxReply)
	}
	if err != nil {
		return resp.StatusCode, nil, fmt.Errorf("reading the reply to %s %s: %w", req.Method, req.URL.RequestURI(), err)
	}
	return resp.StatusCode, b, nil
}

// unwrapURL drops the *url.Error around a client's error, whose quoted URL
// repeats the request the message already names.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
