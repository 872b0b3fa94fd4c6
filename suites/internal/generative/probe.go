package generative

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"

	"github.com/spacedog-oss/batchkit/internal/model"
	"github.com/spacedog-oss/batchkit/mockserver"
	"github.com/spacedog-oss/batchkit/spec"
)

// choices are what the probe found of the target: the generator's options
// that keep the sequences to its choices, the callers it serves, what it
// chose otherwise than the mock, and a finding when it does not keep to a
// choice of its own.
type choices struct {
	gen     model.Options
	auths   []model.Auth
	notes   []string
	finding *Finding
	sent    []Exchange // the probe's exchanges with the target
}

// probe finds the choices the target made where the contract leaves one,
// so that the sequences keep to what it takes (the choices' own specs
// judge them): the ids it takes (CONTRACT §9), SUB-5's aliases and
// STOP-4's values unless strict; and whether it serves anonymous callers.
func probe(ctx context.Context, cfg Config, client *http.Client) (choices, error) {
	ch := choices{gen: model.Options{IDs: []string{}, BadIDs: []string{}}} // none kept is none, not the defaults
	p := prober{ctx: ctx, cfg: cfg, client: client, typ: probeType(cfg.Prefix), sent: &ch.sent}
	for _, a := range cfg.Auths {
		if a.Header != "" {
			p.auth = a.Header
			break
		}
	}
	ch.auths = cfg.Auths
	status, body, err := p.do(cfg.Target, "POST", "/1/data/"+p.typ+"?id=p", "{}", "")
	switch {
	case err != nil:
		return ch, err // no reply: a finding of its own
	case status >= 300 && p.auth == "" && (status == http.StatusUnauthorized || status == http.StatusForbidden):
		return ch, ErrNoCaller
	case status >= 300:
		return ch, fmt.Errorf("probing the target: a creation answered %d %s", status, body)
	}
	defer p.do(cfg.Target, "DELETE", "/1/data/"+p.typ, "", "")
	if p.auth != "" {
		if status, _, err := p.do(cfg.Target, "POST", "/1/data/"+p.typ+"?id=q", "{}", "-"); err != nil || status >= 300 {
			ch.auths = slices.DeleteFunc(slices.Clone(ch.auths), func(a model.Auth) bool { return a.Header == "" })
		}
	}
	if err := p.ids(&ch); err != nil || ch.finding != nil {
		return ch, err
	}
	if cfg.Strict {
		return ch, nil
	}
	for _, path := range []string{"/v1/data/" + p.typ + "/p", "/1/data/" + p.typ + "/p/"} {
		status, _, err := p.do(cfg.Target, "GET", path, "", "")
		if err != nil {
			return ch, err
		}
		if status != 200 {
			ch.gen.NoAliases = true
		}
	}
	status, body, err = p.do(cfg.Target, "POST", "/1/batch", `[{"method":"get","path":"/1/data/`+p.typ+`/p"}]`, "")
	if err != nil {
		return ch, err
	}
	sp, perr := spec.LoadProfile(cfg.Profile)
	if perr != nil {
		return ch, perr
	}
	if results, _ := sp.Wire.Results(body); err != nil || status != 200 || len(results) != 1 || spec.ResultStatus(results[0]) != 200 {
		ch.gen.NoAliases = true
	}
	status, _, err = p.do(cfg.Target, "POST", "/1/batch?stopOnError=maybe", "[]", "")
	if err != nil {
		return ch, err
	}
	if status != 400 {
		ch.gen.StopOnErrorTrueFalse = true
	}
	return ch, nil
}

// probeType is the type the probe writes in.
func probeType(prefix string) string { return prefix + "probe" }

// prober sends the probe's requests, as the run's first user unless told.
type prober struct {
	ctx    context.Context
	cfg    Config
	client *http.Client
	typ    string // the probe's type
	auth   string
	sent   *[]Exchange // the exchanges with the target, for a report
}

// do sends a request to base; user "" is the run's first user, "-" none.
func (p *prober) do(base, method, path, body, user string) (int, []byte, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(p.ctx, method, strings.TrimSuffix(base, "/")+"/", rd)
	if err != nil {
		return 0, nil, err
	}
	req.URL.Opaque = strings.TrimSuffix(req.URL.Path, "/") + path // as written
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	switch user {
	case "":
		if p.auth != "" {
			req.Header.Set("Authorization", p.auth)
		}
	case "-":
	default:
		req.Header.Set("Authorization", user)
	}
	if base != p.cfg.Target {
		status, b, err := do(http.DefaultClient, req, 0)
		if err != nil {
			return 0, nil, fmt.Errorf("probing the reference (a bug of the kit): %w", err)
		}
		return status, b, nil
	}
	status, b, err := do(p.client, req, p.cfg.MaxReply)
	*p.sent = append(*p.sent, Exchange{Method: method, Path: path, Header: req.Header, Body: []byte(body), Status: status, Reply: b})
	if err != nil {
		return 0, nil, &noReply{fmt.Errorf("%s %s, probing the target: %w", method, path, unwrapURL(err))}
	}
	return status, b, nil
}

// idChoice is what a server does with an id: takes it (a read of it is
// 404, a creation with it succeeds), refuses it (400 both), or neither.
type idChoice string

const (
	takes   idChoice = "takes"
	refuses idChoice = "refuses"
)

// ids asks the target and a mock what they do with each id the generator
// may send (CONTRACT §9: which ids a server takes is its own choice). The
// ids both treat alike stay in the sequences; one the target treats
// otherwise is left out of them, noted, and checked here for the one thing
// the contract asks of that choice: that the target keeps to it, directly
// and in a batch.
func (p *prober) ids(ch *choices) error {
	mock, err := mockserver.New(mockserver.Config{Profile: p.cfg.Profile, MaxBatch: p.cfg.MaxBatch})
	if err != nil {
		return err
	}
	ref := httptest.NewServer(mock)
	defer ref.Close()
	if status, _, err := p.do(ref.URL, "POST", "/1/data/"+p.typ+"?id=p", "{}", ""); err != nil || status >= 300 {
		return fmt.Errorf("probing the reference (a bug of the kit): %d %v", status, err)
	}
	sp, err := spec.LoadProfile(p.cfg.Profile)
	if err != nil {
		return err
	}
	wire := sp.Wire
	for _, id := range slices.Concat(p.cfg.Gen.IDs, p.cfg.Gen.BadIDs, model.IDs, model.BadIDs) {
		if slices.Contains(ch.gen.IDs, id) || slices.Contains(ch.gen.BadIDs, id) || slices.Contains(ch.excluded(), id) {
			continue
		}
		theirs, sent, err := p.idChoice(p.cfg.Target, id, wire)
		if err != nil {
			return err
		}
		ours, _, err := p.idChoice(ref.URL, id, wire)
		if err != nil {
			return err
		}
		switch {
		case theirs == ours && ours == takes:
			ch.gen.IDs = append(ch.gen.IDs, id)
		case theirs == ours && ours == refuses:
			ch.gen.BadIDs = append(ch.gen.BadIDs, id)
		case theirs == takes || theirs == refuses:
			ch.notes = append(ch.notes, fmt.Sprintf("%s the id %q, which the mock %s", theirs, id, ours))
		default:
			ch.finding = &Finding{Sent: sent, Problems: []disagreement{{Rules: []string{"DATA-5"}, Text: fmt.Sprintf(
				"the id %q is neither taken nor refused: an id a server refuses gets 400 wherever it is named, and one it takes but does not hold gets 404 (CONTRACT §9): %s", id, theirs)}}}
			return nil
		}
	}
	return nil
}

// excluded are the ids the notes name.
func (ch *choices) excluded() []string {
	var out []string
	for _, n := range ch.notes {
		if _, rest, ok := strings.Cut(n, `the id "`); ok {
			id, _, _ := strings.Cut(rest, `"`)
			out = append(out, id)
		}
	}
	return out
}

// idChoice asks a server what it does with an id, written as a path
// segment: a read of it, a creation with it as the generator writes one
// (?id=, then deleted), and a read in a batch. Anything but one choice,
// kept to in all three, is said as a sentence with the exchanges.
func (p *prober) idChoice(base, id string, wire spec.Wire) (idChoice, []Exchange, error) {
	var sent []Exchange
	ask := func(method, path, body string) (int, []byte, error) {
		status, b, err := p.do(base, method, path, body, "")
		sent = append(sent, Exchange{Method: method, Path: path, Body: []byte(body), Status: status, Reply: b})
		return status, b, err
	}
	read, _, err := ask("GET", "/1/data/"+p.typ+"/"+id, "")
	if err != nil {
		return "", sent, err
	}
	created, _, err := ask("POST", "/1/data/"+p.typ+"?id="+url.QueryEscape(id), "{}")
	if err != nil {
		return "", sent, err
	}
	if created < 300 {
		if _, _, err := ask("DELETE", "/1/data/"+p.typ+"/"+id, ""); err != nil {
			return "", sent, err
		}
	}
	status, body, err := ask("POST", "/1/batch", `[{"method":"GET","path":"/1/data/`+p.typ+`/`+id+`"}]`)
	if err != nil {
		return "", sent, err
	}
	results, rerr := wire.Results(body)
	batched := 0
	if status == http.StatusOK && rerr == nil && len(results) == 1 {
		batched = spec.ResultStatus(results[0])
	}
	switch {
	case read == http.StatusNotFound && created < 300 && batched == http.StatusNotFound:
		return takes, sent, nil
	case read == http.StatusBadRequest && created == http.StatusBadRequest && batched == http.StatusBadRequest:
		return refuses, sent, nil
	}
	return idChoice(fmt.Sprintf("answers a read %d, a creation %d and a read in a batch %d", read, created, batched)), sent, nil
}
