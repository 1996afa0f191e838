package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/planner"
)

// StatusCmd shows every migration's state on the target.
type StatusCmd struct {
	Check bool   `help:"Exit 1 when anything is pending or drifted."`
	Mode  string `help:"Pre-deploy mode used to say what a release phase would run (default from config, else strict)." placeholder:"MODE"`
	tenantFlags
}

// Help shows examples.
func (c *StatusCmd) Help() string {
	return `Lists applied migrations (when, which phase), pending ones (value, and whether
a pre-deploy run would run, delay or block them), drift (changed after being
applied) and unknown IDs (applied, but no file).

Examples:
  safemigrate status
  safemigrate status --check            # in CI or a post-deploy health check
  safemigrate status --format json
  safemigrate status --schemas acme,globex   # a line per tenant`
}

// Validate checks the mode.
func (c *StatusCmd) Validate() error { return validMode(c.Mode) }

// Run reads the state and prints it.
func (c *StatusCmd) Run(env *Env) error {
	if c.tenantFlags.active(env) {
		return c.runFleet(env)
	}
	d, err := env.openDB(nil)
	if err != nil {
		return err
	}
	g := d.graph
	st, err := executor.ReadState(env.Ctx, d.target)
	if err != nil {
		return execError(err)
	}
	now := env.Now()
	mode := env.mode(c.Mode)
	if mode == planner.Disabled {
		mode = planner.Strict // status shows what the phases differ in
	}
	plan, err := planner.New(planner.Input{Graph: g, Applied: st.Checksums(), Detected: st.DetectedTimes(), Now: now, Phase: planner.PreDeploy, Mode: mode})
	if err != nil {
		return usageError("%v", err)
	}
	rep := executor.StatusOf(g, st, plan)
	if d.format == "json" {
		if err := writeJSON(env.Stdout, rep); err != nil {
			return err
		}
	} else {
		renderStatus(env, rep, now)
	}
	if c.Check && !rep.OK {
		return silentExit{ExitFailure}
	}
	return nil
}

func renderStatus(env *Env, r *executor.StatusReport, now time.Time) {
	w := env.Stdout
	st := style{on: env.Color}
	counts := map[string]int{}
	for _, m := range r.Migrations {
		counts[m.State]++
	}
	fmt.Fprintf(w, "%s %d applied, %d pending, %d drift, %d unknown\n\n", st.bold("Status:"),
		counts[executor.StateApplied], counts[executor.StatePending], counts[executor.StateDrift], len(r.Unknown))
	t := table{indent: "  "}
	for _, m := range r.Migrations {
		switch m.State {
		case executor.StateApplied:
			t.add(cell{"applied", st.green}, plain(m.ID), cell{string(m.Safe), st.dim},
				plain(fmt.Sprintf("%s, %s", m.AppliedAt.UTC().Format("2006-01-02 15:04:05Z"), m.Phase)))
		case executor.StateDrift:
			t.add(cell{"DRIFT", st.red}, plain(m.ID), cell{string(m.Safe), st.dim},
				plain("file changed since it was applied "+m.AppliedAt.UTC().Format("2006-01-02 15:04:05Z")))
		default:
			t.add(cell{"pending", st.yellow}, plain(m.ID), cell{string(m.Safe), st.dim}, plain(pendingNote(m, now)))
		}
	}
	for _, u := range r.Unknown {
		t.add(cell{"unknown", st.red}, plain(u.ID), cell{u.Safe, st.dim}, plain("applied "+u.AppliedAt.UTC().Format("2006-01-02 15:04:05Z")+", but no file"))
	}
	t.write(w)
	var warns []string
	for _, m := range r.Migrations {
		if m.Waiting && m.DetectedAt != nil {
			warns = append(warns, fmt.Sprintf("%s has been pending for %s since a pre-deploy run first saw it; the post-deploy phase runs it", m.ID, since(now, *m.DetectedAt)))
		}
		if m.Progress != nil {
			warns = append(warns, fmt.Sprintf("%s stopped after statement %d of %d; the next run resumes there", m.ID, m.Progress.Done, m.Progress.Total))
		}
	}
	if len(warns) > 0 {
		fmt.Fprintf(w, "\n%s\n", st.bold("Warnings:"))
		for _, s := range warns {
			fmt.Fprintf(w, "  %s %s\n", st.yellow("!"), s)
		}
	}
}

// pendingNote says what pre-deploy would do with a pending migration.
func pendingNote(m executor.StatusEntry, now time.Time) string {
	var parts []string
	switch m.PreDeploy {
	case executor.PreDeployRun:
		parts = append(parts, "pre-deploy would run it")
	case executor.PreDeployDelayed:
		parts = append(parts, "waits for post-deploy")
		if m.RunnableAt != nil {
			parts[0] = "pre-deploy may run it from " + m.RunnableAt.UTC().Format(time.RFC3339)
		}
	case executor.PreDeployBlocked:
		parts = append(parts, "blocked by "+strings.Join(m.BlockedBy, ", "))
	}
	if m.DetectedAt != nil {
		parts = append(parts, "waiting "+since(now, *m.DetectedAt))
	}
	return strings.Join(parts, "; ")
}

// since prints a coarse age ("3d4h", "15m").
func since(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "under a minute"
	case d < time.Hour:
		return d.Truncate(time.Minute).String()[:len(d.Truncate(time.Minute).String())-2]
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh%dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd%dh", int(d.Hours())/24, int(d.Hours())%24)
}
