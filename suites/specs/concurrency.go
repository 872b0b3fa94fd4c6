package specs

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/spacedog-oss/batchkit/internal/concurrency"
	"github.com/spacedog-oss/batchkit/internal/credentials"
	"github.com/spacedog-oss/batchkit/internal/model"
	"github.com/spacedog-oss/batchkit/suites/internal/exchange"
	"github.com/spacedog-oss/batchkit/suites/internal/summary"
)

// The concurrency mode (CONTRACT §3.1): concurrent clients, their history
// checked object by object. --ginkgo.label-filter=concurrency runs it
// alone, '!concurrency' leaves it out.
var _ = Describe("Concurrent clients", Label("concurrency"), func() {
	It("see each request on one object take effect at one instant between its sending and its answer", rule("CONC-1"), func(sctx SpecContext) {
		c, seed := concurrencyConfig("conc")
		ctx, cancel := context.WithDeadline(sctx, target.health.deadline) // no request past the run's end
		defer cancel()
		res, err := concurrency.Run(ctx, c)
		if res != nil {
			AddReportEntry(summary.EntryRequests, fmt.Sprint(res.Requests), ReportEntryVisibilityNever)
		}
		if err != nil {
			// The target refused to set up (credentials it wants, a
			// type or an id it refuses): the data specs report why.
			Skip("CONC-1 not judged: " + err.Error())
		}
		if res.Ops == 0 && res.NotJudged != "" {
			Skip("CONC-1 not judged: " + res.NotJudged) // one client's answers already say why
		}
		if res.Ops == 0 {
			Skip("CONC-1 not judged: the clients sent no request before the run's deadline (--run-timeout)")
		}
		v := res.Verdict
		about := fmt.Sprintf("%d clients sent %d requests (%d operations, %.0f requests/s) in %s from seed %d; %d objects checked in %s. Rerun the mode alone: %s",
			c.Clients, res.Requests, res.Ops, float64(res.Requests)/res.Elapsed.Seconds(), res.Elapsed.Round(time.Millisecond), seed,
			v.Objects, v.Took.Round(time.Millisecond), concurrencyRerun(seed))
		GinkgoWriter.Println("concurrency mode: " + about)
		timeline := ""
		if f := v.Finding; f != nil && f.Timeline != nil {
			timeline = saveTimeline(f.Timeline)
		}
		if problem := res.Problem(replayExchange, about, timeline); problem != "" {
			AddReportEntry(summary.EntryRerunFlags, fmt.Sprintf("--conc-seed=%d", seed), ReportEntryVisibilityNever)
			Fail(problem)
		}
		if res.NotJudged != "" {
			// Overload breaks no order: too few answers said what their
			// requests did for the history to show anything. (No flag in
			// the note: the report would read it as a setting wanted.)
			Skip("CONC-1 not judged: " + res.NotJudged)
		}
	})

	It("count every object concurrent batches created in a listing sent once they were answered, and a batch's own in a listing between them", rule("CONC-2"), func(sctx SpecContext) {
		c, seed := concurrencyConfig("list")
		ctx, cancel := context.WithDeadline(sctx, target.health.deadline)
		defer cancel()
		problems, h, err := concurrency.Listings(ctx, c)
		if h != nil {
			AddReportEntry(summary.EntryRequests, fmt.Sprint(len(h.Exchanges())), ReportEntryVisibilityNever)
		}
		if err != nil {
			Skip("CONC-2 not judged: " + err.Error())
		}
		if len(problems) > 0 {
			AddReportEntry(summary.EntryRerunFlags, fmt.Sprintf("--conc-seed=%d", seed), ReportEntryVisibilityNever)
			Fail(concurrency.ListingsProblem(problems, replayExchange, fmt.Sprintf("%d clients, from seed %d. Rerun the mode alone: %s", c.Clients, seed, concurrencyRerun(seed))))
		}
	})
})

// concurrencyConfig is the mode's settings: the run's, fresh types of the
// spec's own, and the run's users; no request is sent past the run's
// deadline (--run-timeout), and those sent get their answers.
func concurrencyConfig(name string) (concurrency.Config, uint64) {
	seed := cfg.ConcSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano()%1e9) + 1
	}
	var auths []model.Auth
	for _, u := range [][2]string{{cfg.Username, cfg.Password}, {cfg.Username2, cfg.Password2}} {
		if u[0] != "" {
			auths = append(auths, model.Auth{Header: credentials.Basic(u[0], u[1]), User: u[0]})
		}
	}
	transport := boundedTransport(cfg.RequestTimeout, target.base)
	transport.MaxIdleConnsPerHost = cfg.ConcClients
	DeferCleanup(transport.CloseIdleConnections) // the Go API runs many
	return concurrency.Config{Target: target.base, Profile: cfg.Profile, Clients: cfg.ConcClients, Ops: cfg.ConcOps,
		Budget: min(cfg.ConcBudget, time.Until(target.health.deadline)), Seed: seed, Types: []string{target.freshType(name), target.freshType(name)}, Auths: auths,
		HTTP:     &http.Client{Transport: transport, Timeout: cfg.RequestTimeout, CheckRedirect: sameHostRedirects},
		MaxReply: cfg.MaxReply, CheckTimeout: cfg.ConcCheckTimeout, Timeline: true}, seed
}

// replayExchange writes an exchange of the mode as the reports' curl
// command, credentials read from the environment.
func replayExchange(ex concurrency.Exchange) string {
	return summary.Curl(exchange.Exchange{Method: ex.Method, URL: ex.URL, ReqHeader: ex.Header, ReqBody: ex.Body}, replayCredentials())
}

// saveTimeline writes Porcupine's drawing beside the reports, and names it
// to them; without --report-dir, in a temporary file. It returns where it
// is, for the failure's message.
func saveTimeline(page []byte) string {
	const name = "CONC-1-timeline.html"
	if cfg.ReportDir == "" {
		f, err := os.CreateTemp("", "spacedog-CONC-1-timeline-*.html")
		if err != nil {
			return ""
		}
		defer f.Close()
		if _, err := f.Write(page); err != nil {
			return ""
		}
		return f.Name()
	}
	if os.MkdirAll(cfg.ReportDir, 0o755) != nil || os.WriteFile(filepath.Join(cfg.ReportDir, name), page, 0o644) != nil {
		return ""
	}
	AddReportEntry(summary.EntryTimeline, name, ReportEntryVisibilityNever)
	return filepath.Join(cfg.ReportDir, name)
}

// concurrencyRerun is the command that runs the mode alone, with the run's
// settings and the seed.
func concurrencyRerun(seed uint64) string {
	return reportedRun().Replay("concurrency", fmt.Sprintf("--conc-seed=%d", seed))
}
