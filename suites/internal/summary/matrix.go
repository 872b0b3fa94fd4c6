package summary

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Matrix is several runs side by side: a column per run (a target in a
// profile), a row per rule, each cell the rule's outcome in that run.
type Matrix struct {
	Runs []MatrixRun
	Rows []MatrixRow
}

// MatrixRun is a run and its column's name.
type MatrixRun struct {
	Name string
	Results
}

// MatrixRow is a rule's outcomes, a cell per run; "" where the run's kit
// had no such rule.
type MatrixRow struct {
	ID, Level, Summary string
	Cells              []Outcome
}

// Differs reports whether the runs disagree on the rule.
func (r MatrixRow) Differs() bool {
	return slices.ContainsFunc(r.Cells, func(o Outcome) bool { return o != r.Cells[0] })
}

// NewMatrix merges runs, in the order given, into one table: every rule
// any of them has, in the contract's order.
func NewMatrix(runs []Results) Matrix {
	var m Matrix
	names := make([]string, len(runs))
	for i, r := range runs {
		names[i] = columnName(r, false)
	}
	for i, r := range runs {
		name := names[i]
		if count(names, name) > 1 {
			name = columnName(r, true)
		}
		m.Runs = append(m.Runs, MatrixRun{Name: name, Results: r})
	}
	named := columnNames(m.Runs)
	for i, n := range named {
		if count(named, n) > 1 {
			m.Runs[i].Name = fmt.Sprintf("%s #%d", n, i+1)
		}
	}
	rows := map[string]*MatrixRow{}
	for i, r := range runs {
		for _, rule := range r.Rules {
			row, ok := rows[rule.ID]
			if !ok {
				row = &MatrixRow{ID: rule.ID, Level: rule.Level, Summary: rule.Summary, Cells: make([]Outcome, len(runs))}
				rows[rule.ID] = row
			}
			row.Cells[i] = rule.Outcome
		}
	}
	for _, row := range rows {
		m.Rows = append(m.Rows, *row)
	}
	slices.SortFunc(m.Rows, func(a, b MatrixRow) int { return compareIDs(a.ID, b.ID) })
	return m
}

// columnName names a run by its target and profile; when, by its start too.
func columnName(r Results, when bool) string {
	name := strings.TrimPrefix(strings.TrimPrefix(r.Target, "https://"), "http://") + " " + r.Profile
	if r.Strict {
		name += " strict"
	}
	if when {
		name += " " + r.Started.UTC().Format("2006-01-02 15:04")
	}
	return name
}

func columnNames(runs []MatrixRun) []string {
	out := make([]string, len(runs))
	for i, r := range runs {
		out[i] = r.Name
	}
	return out
}

func count(names []string, name string) int {
	n := 0
	for _, s := range names {
		if s == name {
			n++
		}
	}
	return n
}

// cellLabel is a cell as Markdown shows it.
func cellLabel(o Outcome) string {
	switch o {
	case "":
		return "—"
	case Fail:
		return "**FAIL**"
	}
	return o.Label()
}

// WriteMarkdown writes the matrix as two tables: the runs, then the rules.
func (m Matrix) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	b.WriteString("# SpaceDog /1/batch conformance matrix\n\n")
	header := func(first ...string) {
		cols := append(slices.Clone(first), columnNames(m.Runs)...)
		for i := range cols {
			cols[i] = cell(cols[i])
		}
		fmt.Fprintf(&b, "| %s |\n|%s\n", strings.Join(cols, " | "), strings.Repeat("---|", len(cols)))
	}
	row := func(cells ...string) { fmt.Fprintf(&b, "| %s |\n", strings.Join(cells, " | ")) }
	header("run")
	for _, line := range []struct {
		name string
		of   func(MatrixRun) string
	}{
		{"verdict", func(r MatrixRun) string { return "**" + r.Word() + "**" }},
		{"target", func(r MatrixRun) string { return cell(r.Target) }},
		{"profile", func(r MatrixRun) string { return r.Profile }},
		{"strict", func(r MatrixRun) string { return fmt.Sprint(r.Strict) }},
		{"rules", func(r MatrixRun) string { return r.Counts.String() }},
		{"started", func(r MatrixRun) string { return r.Started.UTC().Format(time.RFC3339) }},
		{"kit", func(r MatrixRun) string { return cell(r.Kit.Version) }},
	} {
		cells := []string{line.name}
		for _, r := range m.Runs {
			cells = append(cells, line.of(r))
		}
		row(cells...)
	}
	b.WriteString("\n")
	header("rule", "level")
	differ := false
	for _, r := range m.Rows {
		id := r.ID
		if r.Differs() {
			id, differ = "**"+id+"**", true
		}
		cells := []string{id, r.Level}
		for _, o := range r.Cells {
			cells = append(cells, cellLabel(o))
		}
		row(cells...)
	}
	if differ {
		b.WriteString("\nA rule in bold has different outcomes across the runs; — marks a rule that a run's kit did not have.\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteHTML writes the matrix as one page that needs nothing else.
func (m Matrix) WriteHTML(w io.Writer) error {
	return pages.ExecuteTemplate(w, "matrix.html.tmpl", m)
}
