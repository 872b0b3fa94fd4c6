package mockserver

import (
	"cmp"
	crand "crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/spacedog-oss/batchkit/internal/ring"
	"github.com/spacedog-oss/batchkit/mockserver/internal/proxy"
	"github.com/spacedog-oss/batchkit/mockserver/internal/store"
	"github.com/spacedog-oss/batchkit/spec"
)

// Defaults of Config.
const (
	DefaultMaxBatch = 10      // the reference page's figure
	DefaultMaxBody  = 1 << 20 // 1 MiB
	DefaultBackend  = "default"
)

// Config sets up a Server. The zero value is the mock as SpaceDog's page
// describes it.
type Config struct {
	MaxBatch int    // sub-requests in a batch at most; 0 means DefaultMaxBatch
	MaxBody  int64  // bytes of a request body at most; 0 means DefaultMaxBody
	Backend  string // the backend of hosts that name none; "" means DefaultBackend
	Profile  string // the wire profile, spec.Doc or spec.SpaceDog2016; "" means spec.Doc

	Now   func() time.Time // the clock of meta times; nil means time.Now
	NewID func() string    // generates object ids; nil means RandomIDs()

	// SelfCheck, when set, validates every response the mock sends, and each
	// batch result, against the spec, and reports each violation to it.
	// Tests set it so that a mock that breaks its own spec fails them.
	SelfCheck func(error)

	// What a frontend developer's mock adds; none of it changes the contract.
	CORSOrigins []string          // origins pages may call the API from; "*" for any; none: local pages (localhost, *.localhost, loopback)
	JournalSize int               // requests /_mock/requests keeps; 0 means DefaultJournalSize
	Latency     Latency           // added to every API response
	Faults      []Fault           // the fault rules in force at start
	Users       map[string]string // username → password: credentials are enforced; nil: any is trusted
	Logger      *slog.Logger      // one line per request; nil: no log

	// AllowedHosts, when not nil, turns the Host check on: a request is
	// answered when its Host is an IP address, localhost, a *.localhost
	// name, or one of these ("name", ".name" for it and its subdomains,
	// "*" for any), else refused with 403 (DNS rebinding). Nil answers any
	// Host, as a mock inside a test process needs; the command's default
	// is an empty list.
	AllowedHosts []string
	// AdminToken, when set, is needed by every /_mock/ request, as
	// "Authorization: Bearer TOKEN" or in the TokenHeader header.
	AdminToken string

	// Proxy, when set, is the URL of a real backend: API requests are
	// forwarded to it and its replies answered unchanged, each exchange
	// judged by the profile's document (ParseProxy checks it).
	Proxy *url.URL
}

// DefaultJournalSize is how many requests the journal keeps by default.
const DefaultJournalSize = 1000

// Server is the mock: an http.Handler over an in-memory store.
type Server struct {
	cfg     Config
	dialect dialect // how the profile's server spoke and behaved (dialect.go)
	spec    *spec.Spec
	store   *store.Store
	ops     map[string]func(*call) response

	stages      []stage     // the way of a request (serve.go)
	adminRoutes adminRoutes // the /_mock/ routes (admin.go)
	cors        cors
	journal     journal
	faults      faults
	proxy       *proxy.Proxy // nil: the mock answers from memory
	// violations are the last ways the proxy's backend broke the
	// profile's document (proxy.go), and their count.
	violations *ring.Ring[Violation]
	changes    ChangeLog // nil: changes are not logged (LogTo)
	// wait waits a fault's delay, or until the client goes away: sleep,
	// but for a test that counts the delays instead of waiting them.
	wait func(r *http.Request, d time.Duration)

	subRequestSchema   *spec.Schema
	typeName, objectID *openapi3.Schema
}

// complete checks a Config and fills in its defaults.
func (cfg Config) complete() (Config, error) {
	if cfg.MaxBatch < 0 || cfg.MaxBody < 0 || cfg.JournalSize < 0 {
		return cfg, fmt.Errorf("mockserver: sizes must not be negative (max batch %d, max body %d, journal %d)", cfg.MaxBatch, cfg.MaxBody, cfg.JournalSize)
	}
	for i, f := range cfg.Faults {
		if err := f.check(); err != nil {
			return cfg, fmt.Errorf("mockserver: fault rule [%d]: %w", i, err)
		}
	}
	if cfg.Proxy != nil {
		if err := checkProxied(cfg.Faults); err != nil {
			return cfg, fmt.Errorf("mockserver: fault %w", err)
		}
	}
	if err := cfg.Latency.check(); err != nil {
		return cfg, fmt.Errorf("mockserver: %w", err)
	}
	cfg.MaxBatch = cmp.Or(cfg.MaxBatch, DefaultMaxBatch)
	cfg.MaxBody = cmp.Or(cfg.MaxBody, DefaultMaxBody)
	cfg.JournalSize = cmp.Or(cfg.JournalSize, DefaultJournalSize)
	cfg.Backend = cmp.Or(cfg.Backend, DefaultBackend)
	if err := checkBackend(cfg.Backend); err != nil {
		return cfg, fmt.Errorf("mockserver: %w", err)
	}
	cfg.Profile = cmp.Or(cfg.Profile, spec.Doc)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.NewID == nil {
		cfg.NewID = RandomIDs()
	}
	return cfg, nil
}

// New returns a mock with an empty store.
func New(cfg Config) (*Server, error) {
	cfg, err := cfg.complete()
	if err != nil {
		return nil, err
	}
	d, ok := dialectOf(cfg.Profile)
	if !ok {
		return nil, fmt.Errorf("mockserver: no profile %q; the profiles are %s", cfg.Profile, strings.Join(spec.Profiles(), ", "))
	}
	sp, err := spec.LoadProfile(cfg.Profile)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, dialect: d, spec: sp, store: store.New(cfg.NewID), wait: sleep,
		cors: cors{origins: cfg.CORSOrigins}, journal: newJournal(cfg.JournalSize), violations: ring.New[Violation](cfg.JournalSize)}
	s.faults.set(cfg.Faults)
	if cfg.Proxy != nil {
		s.proxy = s.newProxy()
	}
	if s.subRequestSchema, err = sp.CompiledSchema("SubRequest"); err != nil {
		return nil, fmt.Errorf("mockserver: %w", err)
	}
	s.typeName, s.objectID = sp.OpenAPISchema("TypeName"), sp.OpenAPISchema("ObjectId")
	if s.typeName == nil || s.objectID == nil {
		return nil, errors.New("mockserver: the spec lacks a TypeName or ObjectId schema")
	}
	s.ops = map[string]func(*call) response{
		"batch":            s.batch,
		"listAllObjects":   s.listAllObjects,
		"deleteAllObjects": s.deleteAllObjects,
		"listObjects":      s.listObjects,
		"createObject":     s.createObject,
		"deleteObjects":    s.deleteObjects,
		"getObject":        s.getObject,
		"updateObject":     s.updateObject,
		"deleteObject":     s.deleteObject,
		"login":            s.login, // logout answers as login does (login.go)
		"logout":           s.login,
	}
	s.stages, s.adminRoutes = s.pipeline(), s.newAdminRoutes()
	for path, item := range sp.Doc.Paths.Map() {
		for method, op := range item.Operations() {
			// An operation that only describes a 405 is never routed to.
			if s.ops[op.OperationID] == nil && !spec.MethodNotAllowed(op) {
				return nil, fmt.Errorf("mockserver: no operation %q for %s %s of the spec", op.OperationID, method, path)
			}
		}
	}
	return s, nil
}

func (s *Server) checkEnvelope(res response) {
	if s.cfg.SelfCheck == nil {
		return
	}
	if err := s.spec.CheckEnvelope(res.status, res.body); err != nil {
		s.cfg.SelfCheck(fmt.Errorf("self-check: %w\nbody: %s", err, res.body))
	}
}

// Changes counts the writes to the store since the mock started: it moves
// on every change of the stored data, and only then.
func (s *Server) Changes() uint64 { return s.store.Changes() }

// The makers of ids and times Config takes.

// RandomIDs generates ids like SpaceDog's: 20 URL-safe characters (DATA-6).
func RandomIDs() func() string {
	return func() string {
		var b [15]byte
		crand.Read(b[:]) // never fails on a supported platform
		return base64.RawURLEncoding.EncodeToString(b[:])
	}
}

// SeededIDs generates the same ids, in the same order, for the same seed:
// for replaying a session byte for byte.
func SeededIDs(seed uint64) func() string {
	var mu sync.Mutex
	src := rand.New(rand.NewPCG(seed, seed))
	return func() string {
		mu.Lock()
		defer mu.Unlock()
		var b [15]byte
		for i := range b {
			b[i] = byte(src.Uint32())
		}
		return base64.RawURLEncoding.EncodeToString(b[:])
	}
}

// FixedClock returns a clock that starts at t and moves step further on each
// call, for reproducible times.
func FixedClock(t time.Time, step time.Duration) func() time.Time {
	var mu sync.Mutex
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now := t
		t = t.Add(step)
		return now
	}
}
