// Command conformance-matrix merges the results.json of several runs of
// the conformance suites into one table: a column per run (a target in a
// profile), a row per contract rule, each cell the rule's outcome there.
// The table goes to stdout as Markdown, and with -html to a page that
// needs nothing else.
//
//	go run ./suites/cmd/conformance-matrix reports/*/results.json
//	go run ./suites/cmd/conformance-matrix -html matrix.html reports/*/results.json >matrix.md
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/spacedog-oss/batchkit/suites/internal/summary"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "conformance-matrix:", err)
		}
		os.Exit(2)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("conformance-matrix", flag.ContinueOnError)
	fs.SetOutput(stderr)
	htmlFile := fs.String("html", "", "also write the matrix as an HTML page to `file`")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: conformance-matrix [-html file] results.json...")
		fs.PrintDefaults()
	}
	// Flags may follow the files too: a shell glob comes first, often.
	var files []string
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		files, rest = append(files, fs.Arg(0)), fs.Args()[1:]
	}
	if len(files) == 0 {
		fs.Usage()
		return errors.New("no results.json given")
	}
	runs := make([]summary.Results, 0, len(files))
	for _, name := range files {
		r, err := read(name)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		runs = append(runs, r)
	}
	m := summary.NewMatrix(runs)
	if *htmlFile != "" {
		var b bytes.Buffer
		if err := m.WriteHTML(&b); err != nil {
			return err
		}
		if err := os.WriteFile(*htmlFile, b.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return m.WriteMarkdown(stdout)
}

func read(name string) (summary.Results, error) {
	f, err := os.Open(name)
	if err != nil {
		return summary.Results{}, err
	}
	defer f.Close()
	return summary.ReadJSON(f)
}
