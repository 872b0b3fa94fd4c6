package specs

import (
	"fmt"
	"slices"

	. "github.com/onsi/ginkgo/v2"

	"github.com/spacedog-oss/batchkit/spec"
)

// rule labels a spec with the contract rules it checks and their level:
// must when any of them is a MUST, should otherwise. An unknown ID stops
// the suite from building.
func rule(ids ...string) Labels {
	sp, err := spec.Load()
	if err != nil {
		panic(err)
	}
	level := "should"
	for _, id := range ids {
		i := slices.IndexFunc(sp.Rules(), func(r spec.Rule) bool { return r.ID == id })
		if i < 0 {
			panic(fmt.Sprintf("suites: no contract rule %q", id))
		}
		if sp.Rules()[i].Level == "MUST" {
			level = "must"
		}
	}
	return Label(append(ids, level)...)
}

// only labels a spec that holds in one profile: it is skipped in another.
func only(profile string) Labels { return Label(profile) }

// levelOf is a spec's level: must when any of its rules is a MUST.
func levelOf(labels []string) string {
	switch {
	case slices.Contains(labels, "must"):
		return "must"
	case slices.Contains(labels, "should"):
		return "should"
	}
	return ""
}

// isMust reports whether a rule is a MUST.
func isMust(id string) bool {
	return slices.Contains(rule(id), "must")
}
