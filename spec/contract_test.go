package spec

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var (
	// contractRuleLine is how CONTRACT.md states a rule.
	contractRuleLine = regexp.MustCompile(`^- \*\*([A-Z]+-[0-9]+) \((MUST|SHOULD)\)\*\* \S`)
	// contractRuleLike is anything that may have been meant as one: bold text
	// that is a rule ID, or starts with one and a parenthesis. A line that
	// matches it and not contractRuleLine is an error, so that a typo cannot hide
	// a rule from the check.
	contractRuleLike = regexp.MustCompile(`\*\*\s*[A-Z]+-[0-9]+\s*(\(|\*\*)`)
	contractRuleRef  = regexp.MustCompile(`\b([A-Z]+)-[0-9]+\b`)
	contractSection  = regexp.MustCompile(`^## ([0-9]+)\. (.+)$`)
)

// contractRules reads the rules CONTRACT.md states, ID to level.
func contractRules(text string) (map[string]string, error) {
	rules := map[string]string{}
	var errs []error
	for i, line := range strings.Split(text, "\n") {
		m := contractRuleLine.FindStringSubmatch(line)
		switch {
		case m != nil && rules[m[1]] != "":
			errs = append(errs, fmt.Errorf("line %d: %s is stated a second time", i+1, m[1]))
		case m != nil:
			rules[m[1]] = m[2]
		case contractRuleLike.MatchString(line):
			errs = append(errs, fmt.Errorf("line %d: %q looks like a rule but is not written \"- **ID (MUST|SHOULD)** text\"", i+1, line))
		}
	}
	if len(rules) == 0 {
		errs = append(errs, errors.New("no rule found"))
	}
	return rules, errors.Join(errs...)
}

// contractProblems lists every way the contract's text and a document's
// x-rules disagree, each naming the rule ID concerned.
func contractProblems(text string, xrules []Rule) []string {
	contract, err := contractRules(text)
	var problems []string
	if err != nil {
		problems = strings.Split(err.Error(), "\n")
	}
	// A rule named anywhere in the text must be stated: a reference to a
	// rule that does not exist is a typo or a rule lost.
	prefixes := map[string]bool{}
	for id := range contract {
		prefixes[strings.Split(id, "-")[0]] = true
	}
	for i, line := range strings.Split(text, "\n") {
		for _, m := range contractRuleRef.FindAllStringSubmatch(line, -1) {
			if prefixes[m[1]] && contract[m[0]] == "" {
				problems = append(problems, fmt.Sprintf("line %d: refers to %s, which CONTRACT.md does not state", i+1, m[0]))
			}
		}
	}
	if len(xrules) == 0 {
		problems = append(problems, "x-rules lists no rule")
	}
	inX := map[string]string{}
	for _, r := range xrules {
		inX[r.ID] = r.Level
	}
	var ids []string
	for id := range contract {
		ids = append(ids, id)
	}
	for id := range inX {
		if contract[id] == "" {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		c, x := contract[id], inX[id]
		switch {
		case x == "":
			problems = append(problems, fmt.Sprintf("%s (%s) is in CONTRACT.md but not in x-rules", id, c))
		case c == "":
			problems = append(problems, fmt.Sprintf("%s (%s) is in x-rules but not in CONTRACT.md", id, x))
		case c != x:
			problems = append(problems, fmt.Sprintf("%s is %s in CONTRACT.md but %s in x-rules", id, c, x))
		}
	}
	return problems
}

func readContract(t *testing.T) string {
	t.Helper()
	text, err := os.ReadFile("CONTRACT.md")
	if err != nil {
		t.Fatalf("the contract must ship with the spec: %v", err)
	}
	return string(text)
}

// x-rules is the contract's list of rules, in every profile: it must not
// drift from the text people read.
func TestXRulesAreTheContracts(t *testing.T) {
	text := readContract(t)
	for _, profile := range Profiles() {
		t.Run(profile, func(t *testing.T) {
			s, err := LoadProfile(profile)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range contractProblems(text, s.Rules()) {
				t.Error(p)
			}
		})
	}

	t.Run("a disagreement is caught", func(t *testing.T) {
		s, err := Load()
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name, old, new, id string
		}{
			{"level changed", "- **STOP-4 (SHOULD)**", "- **STOP-4 (MUST)**", "STOP-4"},
			{"rule dropped", "- **DATA-6 (SHOULD)**", "- DATA-6 (SHOULD)", "DATA-6"},
			{"rule added", "## 4. ", "- **ORD-9 (MUST)** An extra rule.\n\n## 4. ", "ORD-9"},
			{"level misspelt", "- **ORD-2 (MUST)**", "- **ORD-2 (MAY)**", "ORD-2"},
			{"not a list item", "- **SUB-1 (MUST)**", "**SUB-1 (MUST)**", "SUB-1"},
			{"stated twice", "- **ERR-2 (SHOULD)**", "- **ERR-1 (MUST)** Again.\n- **ERR-2 (SHOULD)**", "ERR-1"},
			{"dangling reference", "(SUB-1).", "(SUB-9).", "SUB-9"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				altered := strings.Replace(text, tc.old, tc.new, 1)
				if altered == text {
					t.Fatalf("CONTRACT.md no longer holds %q", tc.old)
				}
				problems := contractProblems(altered, s.Rules())
				if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, tc.id) }) {
					t.Errorf("no problem names %s; got %q", tc.id, problems)
				}
			})
		}
	})
}

// Code, documents and the README cite the contract by section number
// ("CONTRACT §7"): the numbers must keep their meaning.
func TestContractSectionsKeepTheirNumbers(t *testing.T) {
	want := []string{
		"Terms",
		"The batch request",
		"Execution",
		"Whole-batch outcomes",
		"Failed sub-requests",
		"The data API",
		"Profiles",
		"Errata in the June 2016 page",
		"Precisions",
	}
	var got []string
	for _, line := range strings.Split(readContract(t), "\n") {
		if m := contractSection.FindStringSubmatch(line); m != nil {
			if m[1] != fmt.Sprint(len(got)+1) {
				t.Errorf("section %q is numbered %s, want %d", m[2], m[1], len(got)+1)
			}
			got = append(got, m[2])
		}
	}
	if len(got) != len(want) {
		t.Fatalf("sections %q, want %d of them: %q", got, len(want), want)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("section %d is %q, want %q", i+1, got[i], want[i])
		}
	}
}
