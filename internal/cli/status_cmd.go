package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/safemigrate/safemigrate"
)

// StatusCmd shows every migration's state on the target.
type StatusCmd struct {
	Check bool `help:"Exit 1 when anything is pending or drifted."`
	modeFlag
	tenantFlags
}

// Validate checks --jobs.
func (c *StatusCmd) Validate() error { return c.tenantFlags.Validate() }

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

// Run reads the state and prints it.
func (c *StatusCmd) Run(ctx context.Context, env *Env) error {
	format, err := env.format("text", "json")
	if err != nil {
		return err
	}
	opts, err := c.tenantFlags.option(env)
	if err != nil {
		return err
	}
	p, err := env.provider(opts...)
	if err != nil {
		return err
	}
	rep, err := p.Status(ctx, safemigrate.StatusOptions{Mode: safemigrate.Mode(c.Mode)})
	var unread *safemigrate.FleetReadError
	if err != nil && (rep == nil || !errors.As(err, &unread)) {
		return err
	}
	if err := env.emit(format, rep, func() {
		if rep.Tenants != nil {
			renderFleetStatus(env, rep.Tenants)
		} else {
			renderStatus(env, rep, rep.Now)
		}
	}); err != nil {
		return err
	}
	if unread != nil {
		return unread // after the tenants that could be read (exit 2)
	}
	if c.Check && !rep.OK {
		return silentExit{ExitFailure}
	}
	return nil
}

func renderStatus(env *Env, r *safemigrate.StatusReport, now time.Time) {
	w := env.Stdout
	st := style{on: env.Color}
	counts := map[string]int{}
	for _, m := range r.Migrations {
		counts[m.State]++
	}
	fmt.Fprintf(w, "%s %d applied, %d pending, %d drift, %d unknown\n\n", st.bold("Status:"),
		counts[safemigrate.StateApplied], counts[safemigrate.StatePending], counts[safemigrate.StateDrift], len(r.Unknown))
	t := table{indent: "  "}
	for _, m := range r.Migrations {
		switch m.State {
		case safemigrate.StateApplied:
			t.add(cell{"applied", st.green}, plain(m.ID), cell{string(m.Safe), st.dim},
				plain(fmt.Sprintf("%s, %s", m.AppliedAt.UTC().Format("2006-01-02 15:04:05Z"), m.Phase)))
		case safemigrate.StateDrift:
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
			warns = append(warns, fmt.Sprintf("%s has been pending for %s since a run first saw it; the post-deploy phase runs it", m.ID, since(now, *m.DetectedAt)))
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
func pendingNote(m safemigrate.StatusEntry, now time.Time) string {
	var parts []string
	switch m.PreDeploy {
	case safemigrate.PreDeployRun:
		parts = append(parts, "pre-deploy would run it")
	case safemigrate.PreDeployDelayed:
		parts = append(parts, "waits for post-deploy")
		if m.RunnableAt != nil {
			parts[0] = "pre-deploy may run it from " + m.RunnableAt.UTC().Format(time.RFC3339)
		}
	case safemigrate.PreDeployBlocked:
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
