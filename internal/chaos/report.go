package main

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// report prints the summary table (for a release log) and every anomaly.
func (h *harness) report(elapsed time.Duration) {
	s := &h.st
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Printf("\nsafemigrate chaos: seed %d, %s, %d-way parallel runs, %d-tenant fleets\n\n",
		h.cfg.seed, elapsed.Round(time.Second), h.cfg.jobs, h.cfg.tenants)
	row := func(name string, v int) { fmt.Fprintf(w, "  %s\t%d\t\n", name, v) }
	row("iterations", s.iterations)
	row("safemigrate runs", s.runs)
	row("faults injected", s.totalFaults())
	kinds := make([]string, 0, len(s.faults))
	for k := range s.faults {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		row("  "+k, s.faults[k])
	}
	row("faults on tenant fleets", s.fleetFaults)
	row("faults in parallel runs", s.parallelFaults)
	row("faults landed mid-migration", s.midMigration)
	row("faults landed with a partial apply", s.midApply)
	row("converged", s.converged)
	row("hangs", s.hangs)
	row("anomalies", len(s.anomalies))
	w.Flush()
	if len(s.anomalies) > 0 {
		// One entry per signature: how often, where first, in full.
		var order []string
		bySig := map[string][]anomaly{}
		for _, a := range s.anomalies {
			if _, ok := bySig[a.sig]; !ok {
				order = append(order, a.sig)
			}
			bySig[a.sig] = append(bySig[a.sig], a)
		}
		fmt.Printf("\nAnomalies by signature (%d distinct):\n", len(order))
		for i, sig := range order {
			all := bySig[sig]
			fmt.Printf("\n%2d. %d× %s\n", i+1, len(all), sig)
			var its []string
			for _, a := range all {
				its = append(its, a.iter)
			}
			fmt.Printf("    in: %s\n", strings.Join(its, ", "))
			fmt.Printf("    first: %s [%s] %s\n", all[0].iter, all[0].kind, strings.ReplaceAll(all[0].msg, "\n", "\n      "))
		}
		fmt.Printf("\nFAIL: %d anomalies (replay with -seed %d)\n", len(s.anomalies), h.cfg.seed)
		return
	}
	fmt.Printf("\nOK: %d faults, every iteration converged\n", s.totalFaults())
}
