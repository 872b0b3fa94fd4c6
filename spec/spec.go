package spec

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
)

//go:embed openapi.yaml spacedog-2016.patch.yaml
var files embed.FS

// The wire profiles (CONTRACT §7).
const (
	Doc          = "doc"           // the reference page's, the default
	SpaceDog2016 = "spacedog-2016" // what SpaceDog's open-source server sent
)

// Profiles names the profiles, the default first.
func Profiles() []string { return []string{Doc, SpaceDog2016} }

// YAML returns the profile's document, as it is served to clients.
func YAML(profile string) ([]byte, error) {
	p, err := profileNamed(profile)
	if err != nil {
		return nil, err
	}
	return bytes.Clone(p.yaml), nil
}

// Spec is the loaded, validated document and a router over its paths. It is
// read-only and safe for concurrent use.
type Spec struct {
	Doc     *openapi3.T
	Profile string
	Wire    Wire // how the profile's replies are laid out
	router  *router
	checks  map[*openapi3.Operation]*Checks
}

// Load returns the doc profile's document.
func Load() (*Spec, error) { return LoadProfile(Doc) }

// LoadProfile returns a profile's document, parsed and validated. The work
// is done once per process: the result is immutable and shared.
func LoadProfile(profile string) (*Spec, error) {
	p, err := profileNamed(profile)
	if err != nil {
		return nil, err
	}
	return p.spec, nil
}

func profileNamed(name string) (rendered, error) {
	all, err := profiles()
	if err != nil {
		return rendered{}, err
	}
	p, ok := all[name]
	if !ok {
		return rendered{}, fmt.Errorf("spec: no profile %q; the profiles are %s", name, strings.Join(Profiles(), ", "))
	}
	return p, nil
}

type rendered struct {
	yaml []byte
	spec *Spec
}

// profiles renders and loads every profile's document: openapi.yaml is the
// doc profile's; another's is openapi.yaml with its merge patch applied.
var profiles = sync.OnceValues(func() (map[string]rendered, error) {
	out := map[string]rendered{}
	for _, name := range Profiles() {
		data, err := Render(files, name)
		if err != nil {
			return nil, err
		}
		s, err := parse(data)
		if err != nil {
			return nil, fmt.Errorf("spec: profile %s: %w", name, err)
		}
		s.Profile = name
		if s.Wire, err = wireOf(name); err != nil {
			return nil, err
		}
		out[name] = rendered{yaml: data, spec: s}
	}
	return out, nil
})

func parse(data []byte) (*Spec, error) {
	doc, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("spec: load openapi.yaml: %w", err)
	}
	if err := doc.Validate(context.Background(), openapi3.EnableExamplesValidation()); err != nil {
		return nil, fmt.Errorf("spec: openapi.yaml is not valid: %w", err)
	}
	router, err := newRouter(doc)
	if err != nil {
		return nil, err
	}
	checks, err := compileChecks(doc)
	if err != nil {
		return nil, err
	}
	return &Spec{Doc: doc, router: router, checks: checks}, nil
}

// OpenAPISchema returns the component schema of that name, as kin-openapi
// reads it, or nil; CompiledSchema returns the same schema compiled.
func (s *Spec) OpenAPISchema(name string) *openapi3.Schema {
	if ref := s.Doc.Components.Schemas[name]; ref != nil {
		return ref.Value
	}
	return nil
}

// Requirements maps each operationId to the contract rule IDs of its
// x-requirements.
func (s *Spec) Requirements() map[string][]string {
	reqs := map[string][]string{}
	for _, item := range s.Doc.Paths.Map() {
		for _, op := range item.Operations() {
			ids, _ := op.Extensions["x-requirements"].([]any)
			for _, id := range ids {
				if id, ok := id.(string); ok {
					reqs[op.OperationID] = append(reqs[op.OperationID], id)
				}
			}
			slices.Sort(reqs[op.OperationID])
		}
	}
	return reqs
}

// Rule is one rule of the contract, from the document's x-rules.
type Rule struct {
	ID      string
	Level   string // MUST or SHOULD
	Summary string
}

// Rules lists the contract's rules, ordered by ID.
func (s *Spec) Rules() []Rule {
	raw, _ := s.Doc.Extensions["x-rules"].(map[string]any)
	rules := make([]Rule, 0, len(raw))
	for id, v := range raw {
		m, _ := v.(map[string]any)
		level, _ := m["level"].(string)
		summary, _ := m["summary"].(string)
		rules = append(rules, Rule{ID: id, Level: level, Summary: summary})
	}
	slices.SortFunc(rules, func(a, b Rule) int { return strings.Compare(a.ID, b.ID) })
	return rules
}
