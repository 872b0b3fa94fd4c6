package concurrency

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/spacedog-oss/batchkit/internal/model"
)

// Replay writes an exchange as a command that sends it again (the
// suites' curl renderer).
type Replay func(Exchange) string

// How much of a history may go without an answer that says what the
// request did before the run is not judged, never failed: overload breaks
// no order. A request of unknown effect (no answer, or see unknownEffect)
// may have taken effect at any time after it was sent, or never: past
// maxUnanswered of them, a history proves little, and takes long to
// check. A refused request did nothing (see refusal): past maxRefused of
// them, the clients met the target's limit more than each other.
const (
	maxUnanswered = 0.01
	maxRefused    = 0.5
)

// judgeable says why a history of ops is not judged, or "" when it is.
func (r *Result) judgeable(ops []*Op) string {
	switch {
	case r.Ops == 0:
		return ""
	case float64(r.Unanswered) > maxUnanswered*float64(r.Ops):
		byStatus := map[int]int{}
		for _, op := range ops {
			if !op.refused() && !op.answered() {
				byStatus[op.Status]++
			}
		}
		var kinds []string
		for _, status := range slices.Sorted(maps.Keys(byStatus)) {
			if status == model.Unanswered {
				first := ""
				for _, ex := range r.History.Exchanges() {
					if ex.Err != "" {
						first = fmt.Sprintf(" (the first: %s %s: %s)", ex.Method, ex.URL, ex.Err)
						break
					}
				}
				kinds = append(kinds, fmt.Sprintf("%d with none%s", byStatus[status], first))
				continue
			}
			kinds = append(kinds, fmt.Sprintf("%d answered %d %s", byStatus[status], status, http.StatusText(status)))
		}
		return fmt.Sprintf("%d of %d operations of the concurrent clients got no answer that says what they did: %s. Each may have taken effect or not, and past %g%% of them a history shows too little of CONC-1 to be judged. Give the target room for the run, or run it with fewer concurrent clients",
			r.Unanswered, r.Ops, strings.Join(kinds, ", "), maxUnanswered*100)
	case float64(r.Refused) > maxRefused*float64(r.Ops):
		return fmt.Sprintf("%d of %d operations of the concurrent clients were refused with 429 %s; each did nothing, and past %g%% of them the clients met the target's limit more than each other. Raise the limit for the suites' users, or run the mode with fewer concurrent clients",
			r.Refused, r.Ops, http.StatusText(http.StatusTooManyRequests), maxRefused*100)
	}
	return ""
}

// Problem says why the run fails CONC-1, with the evidence; "" when it
// passes, or is not judged (see NotJudged). about says what ran: the seed,
// the clients, the command that reruns the mode alone; timeline, where
// Porcupine's drawing was saved.
func (r *Result) Problem(replay Replay, about, timeline string) string {
	var b strings.Builder
	v := r.Verdict
	switch {
	case v.Finding != nil:
		b.WriteString(r.finding(v.Finding, replay, timeline))
	case len(r.Broken) > 0:
		fmt.Fprintf(&b, "%d batches of valid requests, each on objects of their own, answered what cannot be read item by item:\n\n", len(r.Broken))
		for i, ex := range r.Broken[:min(len(r.Broken), 3)] {
			fmt.Fprintf(&b, "# %d: %s\n%s\n# answer: %d %s\n\n", i+1, ex.Broken, replay(ex), ex.Status, short(ex.Reply, 600))
		}
	case r.NotJudged != "":
		return ""
	case len(v.Undecided) > 0:
		fmt.Fprintf(&b, "CONC-1 not shown to hold (this is not a pass): the check of %s did not end within --conc-check-timeout (%d objects, %d operations, checked for %s). Give it longer, or send fewer operations (--conc-ops, --conc-budget).\n",
			strings.Join(v.Undecided, ", "), v.Objects, v.Ops, v.Took.Round(1e6))
	default:
		return ""
	}
	fmt.Fprintf(&b, "\n%s\n", about)
	return b.String()
}

// timelineWords introduce the timeline.
const timelineWords = "The object's history up to that answer as a timeline, drawn by Porcupine (an operation's answer shows on hovering it; the orders drawn are the longest that explain the answers)"

// finding writes an object no order explains: the part of its history
// that shows so, each request with its times and answer, what the rules
// expected, and the requests as commands.
func (r *Result) finding(f *Finding, replay Replay, timeline string) string {
	var b strings.Builder
	if f.Disagree != "" {
		fmt.Fprintf(&b, "No order of the requests on object %s explains their answers, as Porcupine checks them; %s.\n", f.Object, f.Disagree)
		if timeline != "" {
			fmt.Fprintf(&b, "\n%s: %s\n", timelineWords, timeline)
		}
		return b.String()
	}
	if f.Alone {
		op := f.Culprit
		fmt.Fprintf(&b, "Client %d's %s got an answer that no state of the object %s gives, whatever the order of the requests around it (CONC-1: each request answers as the object's history says):\n\n", op.Client, describe(op), f.Object)
		for _, w := range f.Why {
			fmt.Fprintf(&b, "- %s\n", w)
		}
		if timeline != "" {
			fmt.Fprintf(&b, "\n%s: %s\n", timelineWords, timeline)
		}
		ex := r.History.Exchanges()[op.Exchange]
		fmt.Fprintf(&b, "\nThe request as a command, with its answer:\n\n%s\n# answer: %d %s\n", replay(ex), ex.Status, short(ex.Reply, 600))
		return b.String()
	}
	fmt.Fprintf(&b, "No order of the requests on object %s explains their answers: ", f.Object)
	fmt.Fprintf(&b, "each request takes effect at one instant between its sending and its answer (a batch item: its batch's), and answers as the object's history up to that instant says (CONC-1).\n\n")
	ms := func(t int64) string {
		if t == Never {
			return "never"
		}
		return fmt.Sprintf("%+.3f ms", float64(t-f.From)/1e6)
	}
	if len(f.Start) == 1 {
		fmt.Fprintf(&b, "At +0.000 ms the object was %s", f.Start[0])
	} else {
		fmt.Fprintf(&b, "At +0.000 ms the object was one of these, as the requests answered before allow:\n")
		for _, s := range f.Start {
			fmt.Fprintf(&b, "- %s\n", s)
		}
	}
	fmt.Fprintf(&b, "; none of the requests in flight then had taken effect.\n\nThe requests on it from then, by the time each was sent (a request that changes nothing is left out where the rest shows the same without it):\n\n")
	culprit := slices.Index(f.Ops, f.Culprit) + 1
	for i, op := range f.Ops {
		mark := ""
		if op == f.Culprit {
			mark = "  <- no order explains this answer"
		}
		fmt.Fprintf(&b, "%2d. client %d, sent %s, answered %s: %s%s\n", i+1, op.Client, ms(op.Call), ms(op.Return), describe(op), mark)
	}
	fmt.Fprintf(&b, "\nRequest %d's answer, from each state the object could be in when it came:\n", culprit)
	for _, w := range f.Why {
		fmt.Fprintf(&b, "- %s\n", w)
	}
	if timeline != "" {
		fmt.Fprintf(&b, "\n%s: %s\n", timelineWords, timeline)
	}
	b.WriteString("\nThe requests as commands, in the order sent, each followed by its answer; concurrent in the run, one at a time here, they show each answer, not the race:\n\n")
	exchanges := r.History.Exchanges()
	var shown []int
	for _, op := range f.Ops {
		if slices.Contains(shown, op.Exchange) {
			continue
		}
		shown = append(shown, op.Exchange)
		ex := exchanges[op.Exchange]
		fmt.Fprintf(&b, "# client %d, sent %s, answered %s\n%s\n", ex.Client, ms(ex.Call), ms(ex.Return), replay(ex))
		if ex.Status == 0 {
			fmt.Fprintf(&b, "# no answer: %s\n\n", ex.Err)
		} else {
			fmt.Fprintf(&b, "# answer: %d %s\n\n", ex.Status, short(ex.Reply, 600))
		}
	}
	return b.String()
}
