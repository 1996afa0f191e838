package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// printResult prints one project's table.
func printResult(w io.Writer, r *Result) {
	p := r.Project
	yes := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	fmt.Fprintf(w, "\n== %s %s@%s (%s), %s, layout %s\n", p.Name, p.Module, p.Version, p.Licence, p.Path, p.Layout)
	fmt.Fprintf(w, "  %-28s %d\n", "files (up parts)", r.Files)
	fmt.Fprintf(w, "  %-28s %d\n", "statements", r.Statements)
	if len(r.ParseErrors) > 0 {
		fmt.Fprintf(w, "  %-28s %d (%s)\n", "files that do not parse", len(r.ParseErrors), strings.Join(r.ParseErrors, "; "))
	}
	fmt.Fprintf(w, "  %-28s before_deploy %d, after_deploy %d, always %d, none %d\n", "suggested safe",
		r.Suggested["before_deploy"], r.Suggested["after_deploy"], r.Suggested["always"], r.Suggested["none"])
	fmt.Fprintf(w, "  %-28s %d\n", "safemigrate findings", total(r.Findings))
	for _, kv := range sorted(r.Findings) {
		fmt.Fprintf(w, "    %-40s %6d\n", kv.k, kv.v)
	}
	if r.SquawkError != "" {
		fmt.Fprintf(w, "  %-28s %s\n", "squawk", r.SquawkError)
	} else {
		fmt.Fprintf(w, "  %-28s %d\n", "squawk findings", r.SquawkTotal)
		for _, kv := range sorted(r.Squawk) {
			fmt.Fprintf(w, "    %-40s %6d\n", kv.k, kv.v)
		}
	}
	if r.Compare != "" {
		fmt.Fprintf(w, "  %-28s %s (%s/compare.txt)\n", "vs squawk (per statement)", r.Compare, r.Work)
	}
	fmt.Fprintf(w, "  %-28s %s\n", "preflight", r.Preflight)
	fmt.Fprintf(w, "  %-28s %s (%d applied)\n", "migrate --phase post-deploy", r.Migrate, r.Applied)
	fmt.Fprintf(w, "  %-28s %d applied", "psql -1 -f", r.PsqlApplied)
	if len(r.PsqlNoTx) > 0 {
		fmt.Fprintf(w, ", %d of them without -1 (%s)", len(r.PsqlNoTx), strings.Join(r.PsqlNoTx, ", "))
	}
	fmt.Fprintf(w, ", %d skipped\n", len(r.PsqlSkipped))
	for _, s := range r.PsqlSkipped {
		fmt.Fprintf(w, "    skipped %s\n", s)
	}
	fmt.Fprintf(w, "  %-28s %s", "schema identical to psql's", yes(r.SchemaSame))
	if !r.SchemaSame {
		fmt.Fprintf(w, " (%d lines differ: %s/schema.diff)", r.DiffLines, r.Work)
	}
	fmt.Fprintf(w, "\n  %-28s %s\n", "reports", r.Work)
}

type kv struct {
	k string
	v int
}

// sorted returns m's entries by count, highest first, then by key.
func sorted(m map[string]int) []kv {
	out := make([]kv, 0, len(m))
	for k, v := range m {
		out = append(out, kv{k, v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].v != out[j].v {
			return out[i].v > out[j].v
		}
		return out[i].k < out[j].k
	})
	return out
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
