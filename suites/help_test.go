package suites_test

import (
	"flag"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/spacedog-oss/batchkit/internal/flagenv"
	"github.com/spacedog-oss/batchkit/suites/internal/config"
)

// usage is the binary's --help: the suites' flags first, each with its
// variable and its default, then Ginkgo's, one line each. Any flag of the
// command line that is neither Ginkgo's nor go test's is the suites'.
func usage(w io.Writer) {
	fmt.Fprintf(w, `Usage: spacedog-conformance [flags]

Runs the conformance suites of SpaceDog's /1/batch API against --target, a
mock started in-process without it, and exits with status 1 unless the
target conforms.

The suites' flags; each can be given as its variable instead (a flag wins):

`)
	var ginkgo []*flag.Flag
	flag.VisitAll(func(f *flag.Flag) {
		switch {
		case strings.HasPrefix(f.Name, "ginkgo."):
			ginkgo = append(ginkgo, f)
		case strings.HasPrefix(f.Name, "test."):
		default:
			fmt.Fprint(w, suitesFlag(f))
		}
	})
	fmt.Fprintf(w, "\nGinkgo's flags (go tool ginkgo takes them without \"ginkgo.\"):\n\n")
	for _, f := range ginkgo {
		// Deprecated, or set by the ginkgo command for its processes.
		if strings.HasPrefix(f.Usage, "[DEPRECATED]") || strings.HasPrefix(f.Name, "ginkgo.parallel.") {
			continue
		}
		arg, text := flag.UnquoteUsage(f)
		if arg == "value" { // a flag that may be given more than once
			arg = "string"
		}
		fmt.Fprintf(w, "  %-40s %s\n", strings.TrimSpace("--"+f.Name+" "+arg), firstSentence(text))
	}
	fmt.Fprintf(w, "\ngo test's own flags (-test.timeout, -test.v, ...) apply too.\n")
}

// suitesFlag writes one of the suites' flags: its name and argument, its
// variable and its default on a line, what it does under it.
func suitesFlag(f *flag.Flag) string {
	arg, text := flag.UnquoteUsage(f)
	var notes []string
	if f.Name != "version" { // not a setting: flagenv gives it no variable
		notes = append(notes, flagenv.Name(config.EnvPrefix, f.Name))
		if f.DefValue != "" {
			notes = append(notes, "default "+f.DefValue)
		}
	}
	return fmt.Sprintf("  %-30s %s\n        %s\n", strings.TrimSpace("--"+f.Name+" "+arg), strings.Join(notes, ", "), text)
}

var sentenceEnd = regexp.MustCompile(`\.(\s|$)`)

// firstSentence is a usage's first sentence, without its full stop.
func firstSentence(s string) string {
	if loc := sentenceEnd.FindStringIndex(s); loc != nil {
		return s[:loc[0]]
	}
	return s
}
