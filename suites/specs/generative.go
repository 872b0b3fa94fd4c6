package specs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/spacedog-oss/batchkit/fixtures"
	"github.com/spacedog-oss/batchkit/internal/credentials"
	"github.com/spacedog-oss/batchkit/internal/model"
	"github.com/spacedog-oss/batchkit/suites/internal/exchange"
	"github.com/spacedog-oss/batchkit/suites/internal/generative"
	"github.com/spacedog-oss/batchkit/suites/internal/summary"
)

// The generative mode: random sequences, sent to the target and to an
// in-process mock in lockstep, compared by the rules. It runs with the
// others, within --gen-budget; --ginkgo.label-filter=generative runs it
// alone, '!generative' leaves it out.
var _ = Describe("Random sequences of requests and batches", Label("generative"), func() {
	It("are answered as the reference, the mock, answers them, by the rules", func(sctx SpecContext) {
		seed := cfg.GenSeed
		if seed == 0 {
			seed = uint64(time.Now().UnixNano()%1e9) + 1
		}
		gen := model.Options{}
		gen.Hostile, gen.HostileBodies = hostileCorpus()
		var auths []model.Auth
		auths = append(auths, model.Auth{User: "anonymous"})
		for _, u := range [][2]string{{cfg.Username, cfg.Password}, {cfg.Username2, cfg.Password2}} {
			if u[0] != "" {
				auths = append(auths, model.Auth{Header: credentials.Basic(u[0], u[1]), User: u[0]})
			}
		}
		// What the run did, in every report, whether it passes or fails:
		// its seed above all, which replays it.
		run := summary.GenerativeRun{Seed: seed, Budget: cfg.GenBudget.String(), Replay: replayCommand(seed, cfg.GenSequences)}
		DeferCleanup(func() { AddReportEntry(summary.EntryGenerative, run, ReportEntryVisibilityNever) })
		ctx, cancel := context.WithDeadline(sctx, target.health.deadline) // and a signal's interrupt
		defer cancel()
		f, stats, err := generative.Run(ctx, generative.Config{
			Target: target.base, Profile: cfg.Profile, MaxBatch: cfg.MaxBatch, Auths: auths, Strict: cfg.Strict,
			Prefix: target.prefix + "_gen", Seed: seed, Sequences: cfg.GenSequences, Steps: cfg.GenSteps,
			Budget: cfg.GenBudget, Every: 5, Gen: gen, RequestTimeout: cfg.RequestTimeout, MaxReply: cfg.MaxReply,
			BackendHosts: cfg.BackendHosts,
			Progress: func(st generative.Stats) {
				fmt.Fprintf(os.Stdout, "generative mode: %d sequences, %d requests, %d disagreements so far (seed %d)\n",
					st.Sequences, st.Requests, st.Disagreements, seed)
			},
		})
		run.Sequences, run.Requests, run.Disagreements, run.Choices, run.Notes = stats.Sequences, stats.Requests, stats.Disagreements, stats.Choices, stats.Notes
		AddReportEntry(summary.EntryRequests, fmt.Sprint(stats.Requests), ReportEntryVisibilityNever)
		if errors.Is(err, generative.ErrNoCaller) {
			Skip("needs the caller's credentials: set --username and --password (SPACEDOG_USERNAME, SPACEDOG_PASSWORD): the target refuses anonymous callers")
		}
		Expect(err).NotTo(HaveOccurred(), "the generative mode could not run")
		GinkgoWriter.Printf("generative mode: %d sequences, %d requests, from seed %d\n", stats.Sequences, stats.Requests, seed)
		if f == nil {
			return
		}
		seq := summary.NewSequence(summary.Sequence{Rules: f.Rules(), Problem: f.Problem(), Seed: f.Seed, Drawn: f.Drawn,
			Replay: replayCommand(f.Seed, 1)}, sequenceSteps(f), replayCredentials())
		AddReportEntry(summary.EntrySequence, seq, ReportEntryVisibilityNever)
		Fail(seq.String())
	})
})

// replayCommand runs the generative mode alone again from a seed, for so
// many sequences, with the run's other settings.
func replayCommand(seed uint64, sequences int) string {
	return reportedRun().Replay("generative", fmt.Sprintf("--gen-seed=%d", seed), fmt.Sprintf("--gen-sequences=%d", sequences))
}

// sequenceSteps are the finding's exchanges as the report writes them.
func sequenceSteps(f *generative.Finding) []summary.SequenceStep {
	var out []summary.SequenceStep
	for _, ex := range f.Sent {
		u := ex.Base + ex.Path
		if ex.Query != "" {
			u += "?" + ex.Query
		}
		out = append(out, summary.SequenceStep{Exchange: exchange.Exchange{Method: ex.Method, URL: u, ReqHeader: ex.Header,
			ReqBody: ex.Body, Status: ex.Status, RespBody: ex.Reply}, RefStatus: ex.RefStatus, RefBody: ex.RefReply})
	}
	return out
}

// hostileCorpus is the corpus's inputs for the generator: the items each
// refused at its place, and the whole batch bodies refused, of the run's
// profile, short enough to mix in.
func hostileCorpus() (items []json.RawMessage, bodies [][]byte) {
	cases, err := fixtures.Hostile()
	Expect(err).NotTo(HaveOccurred())
	for _, c := range cases {
		if c.Method != "POST" || c.Path != "/1/batch" || c.Query != "" || c.File != "" || c.Repeat != nil ||
			len(c.Profiles) > 0 && !slices.Contains(c.Profiles, cfg.Profile) {
			continue
		}
		if c.Status != http.StatusOK {
			switch {
			case c.Raw != nil:
				bodies = append(bodies, []byte(*c.Raw))
			case c.Items != nil:
				bodies = append(bodies, c.Items)
			}
			continue
		}
		var list []json.RawMessage
		if json.Unmarshal(c.Items, &list) != nil {
			continue
		}
		for i, it := range list {
			if i < len(c.Results) && c.Results[i] >= 400 {
				items = append(items, it)
			}
		}
	}
	return items, bodies
}
