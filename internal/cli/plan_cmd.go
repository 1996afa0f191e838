package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/graph"
	"github.com/safemigrate/safemigrate/planner"
)

// PlanCmd prints the plan for a phase.
type PlanCmd struct {
	Phase      string   `required:"" enum:"pre-deploy,post-deploy" placeholder:"pre-deploy|post-deploy" help:"Phase to plan: pre-deploy (release phase) or post-deploy."`
	Mode       string   `help:"Pre-deploy mode: strict (default), nonstrict or disabled." placeholder:"MODE"`
	Applied    []string `sep:"," help:"IDs to treat as applied, instead of reading the database." placeholder:"ID,ID"`
	Offline    bool     `help:"Plan as if nothing were applied, without a database."`
	Now        string   `help:"Plan at this time (RFC3339), for reproducible delay output." placeholder:"TIME"`
	Initial    bool     `help:"Plan a first run on an empty database: pre-deploy runs everything."`
	AllowDrift bool     `name:"allow-drift" help:"Plan even if applied migrations changed on disk."`
	tenantFlags
}

// Help shows examples.
func (c *PlanCmd) Help() string {
	return `Examples:
  safemigrate plan --phase pre-deploy
  safemigrate plan --phase pre-deploy --applied 0001_init,0002_users --now 2026-01-01T00:00:00Z
  safemigrate plan --phase post-deploy --offline --format json`
}

// Validate checks flag combinations.
func (c *PlanCmd) Validate() error {
	if c.Offline && len(c.Applied) > 0 {
		return fmt.Errorf("--offline and --applied exclude each other: --offline means nothing is applied")
	}
	if (c.Offline || len(c.Applied) > 0) && (len(c.Schemas) > 0 || c.SchemasQuery != "") {
		return fmt.Errorf("--schemas and --schemas-query read each tenant's state from the database; --offline and --applied plan without one")
	}
	return validMode(c.Mode)
}

func validMode(m string) error {
	switch m {
	case "", string(planner.Strict), string(planner.Nonstrict), string(planner.Disabled):
		return nil
	}
	return fmt.Errorf("--mode %q is not one of strict, nonstrict, disabled", m)
}

// Run plans and prints.
func (c *PlanCmd) Run(env *Env) error {
	if c.tenantFlags.active(env) && !c.Offline && len(c.Applied) == 0 {
		return c.runFleet(env)
	}
	format, err := env.format("text", "json")
	if err != nil {
		return err
	}
	g, err := env.loadGraph()
	if err != nil {
		return err
	}
	now, err := parseNow(env, c.Now)
	if err != nil {
		return err
	}
	in := planner.Input{Graph: g, Now: now, Phase: planner.Phase(c.Phase), Mode: env.mode(c.Mode), Initial: c.Initial}
	switch {
	case c.Offline:
	case len(c.Applied) > 0:
		ids, err := env.appliedFlag(g, c.Applied)
		if err != nil {
			return err
		}
		in.Applied = map[string]string{}
		for _, id := range ids {
			in.Applied[id] = ""
		}
	default:
		t, err := env.target()
		if err != nil {
			return err
		}
		st, err := executor.ReadState(env.Ctx, t)
		if err != nil {
			return execError(fmt.Errorf("%w\n(plan reads the applied state from the database; --applied or --offline plan without one)", err))
		}
		in.Applied, in.Detected = st.Checksums(), st.DetectedTimes()
	}
	plan, err := planner.New(in)
	if err != nil {
		return usageError("%v", err)
	}
	if err := checkDrift(plan, c.AllowDrift); err != nil {
		return err
	}
	if format == "json" {
		if err := writeJSON(env.Stdout, planJSON(plan, true)); err != nil {
			return err
		}
	} else {
		renderPlan(env, plan)
	}
	if !plan.OK() {
		return silentExit{ExitBlocked}
	}
	return nil
}

// appliedFlag checks the IDs of --applied, ignoring white space around
// them and empty entries ("a, b", "a,,b", "a,").
func (e *Env) appliedFlag(g *graph.Graph, list []string) ([]string, error) {
	var ids []string
	for _, id := range list {
		id = strings.TrimSpace(id)
		if id == "" {
			continue
		}
		if _, ok := g.Lookup(id); !ok {
			return nil, usageError("--applied names %q, which is not a migration in %s", id, e.dir())
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// mode resolves the pre-deploy mode: flag, then config, then strict.
func (e *Env) mode(flag string) planner.Mode {
	switch {
	case flag != "":
		return planner.Mode(flag)
	case e.Config.Mode != "":
		return planner.Mode(e.Config.Mode)
	}
	return planner.Strict
}

func parseNow(env *Env, s string) (time.Time, error) {
	if s == "" {
		return env.Now(), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, usageError("--now %q is not an RFC3339 time (e.g. 2026-11-22T10:00:00Z)", s)
	}
	return t, nil
}

// checkDrift refuses a plan with changed applied files (exit 2).
func checkDrift(p *planner.Plan, allow bool) error {
	if len(p.Drift) == 0 || allow {
		return nil
	}
	var b strings.Builder
	for _, d := range p.Drift {
		fmt.Fprintf(&b, "%s: changed since it was applied as %s (checksum %.12s…, now %.12s…)\n", d.Migration.Path, d.Migration.ID, d.AppliedChecksum, d.Migration.Checksum)
	}
	b.WriteString("applied migrations must not change: restore the files (git checkout), or pass --allow-drift if the change is cosmetic")
	return withCode(ExitUsage, fmt.Errorf("%s", b.String()))
}

// planDoc is the SPEC §6 JSON shape of a plan.
type planDoc struct {
	Phase      string       `json:"phase"`
	Mode       string       `json:"mode"`
	OK         bool         `json:"ok"`
	Applied    []string     `json:"applied"`
	Run        []stepDoc    `json:"run"`
	Delayed    []delayedDoc `json:"delayed"`
	Blocked    []stepDoc    `json:"blocked"`
	Unknown    []string     `json:"unknown"`
	OutOfOrder []string     `json:"out_of_order"`
	Warnings   []string     `json:"warnings"`
}

// delayedDoc always carries runnable_at and detected_at, null when unknown.
type delayedDoc struct {
	stepDoc
	RunnableAt *string `json:"runnable_at"`
	DetectedAt *string `json:"detected_at"`
}

type stepDoc struct {
	ID        string   `json:"id"`
	Safe      string   `json:"safe"`
	Resolved  string   `json:"resolved,omitempty"`
	Reason    string   `json:"reason"`
	BlockedBy []string `json:"blocked_by,omitempty"`
}

// planJSON shapes p; driftAllowed says whether its drift was let through
// (--allow-drift) or stopped the run.
func planJSON(p *planner.Plan, driftAllowed bool) any {
	step := func(s planner.Step) stepDoc {
		d := stepDoc{ID: s.ID(), Safe: string(s.Migration.Safe()), Reason: s.Reason}
		if s.Resolved != s.Migration.Safe() {
			d.Resolved = string(s.Resolved)
		}
		return d
	}
	doc := planDoc{
		Phase: string(p.Phase), Mode: string(p.Mode), OK: p.OK(),
		Applied: nonNil(p.Applied), Run: []stepDoc{}, Delayed: []delayedDoc{}, Blocked: []stepDoc{},
		Unknown: nonNil(p.Unknown), OutOfOrder: nonNil(p.OutOfOrder), Warnings: nonNil(planWarnings(p, driftAllowed)),
	}
	for _, s := range p.Run {
		doc.Run = append(doc.Run, step(s))
	}
	for _, s := range p.Delayed {
		doc.Delayed = append(doc.Delayed, delayedDoc{step(s), timeOrNil(s.RunnableAt), timeOrNil(s.DetectedAt)})
	}
	for _, s := range p.Blocked {
		d := step(s)
		d.BlockedBy = s.BlockedBy
		doc.Blocked = append(doc.Blocked, d)
	}
	return doc
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func timeOrNil(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

// planWarnings are the things a release engineer should know but that do
// not stop the run.
func planWarnings(p *planner.Plan, driftAllowed bool) []string {
	var w []string
	for _, id := range p.Unknown {
		w = append(w, fmt.Sprintf("%s is recorded as applied but has no file", id))
	}
	for _, id := range p.OutOfOrder {
		w = append(w, fmt.Sprintf("%s sorts before an applied migration of its chain (a merged branch); it runs as usual", id))
	}
	for _, s := range p.Waiting {
		w = append(w, fmt.Sprintf("%s has waited since %s (it survived a deploy); run the post-deploy phase", s.ID(), s.DetectedAt.UTC().Format(time.RFC3339)))
	}
	for _, d := range p.Drift {
		if driftAllowed {
			w = append(w, fmt.Sprintf("%s changed since it was applied (drift allowed)", d.Migration.ID))
		} else {
			w = append(w, fmt.Sprintf("%s changed since it was applied: nothing runs until the file is restored (or --allow-drift)", d.Migration.ID))
		}
	}
	return w
}

// renderPlan prints a plan for a release log, with its verdict.
func renderPlan(env *Env, p *planner.Plan) {
	renderPlanBody(env, p, true, true)
	w := env.Stdout
	st := style{on: env.Color}
	fmt.Fprintln(w)
	switch {
	case !p.OK():
		fmt.Fprintf(w, "%s strict pre-deploy runs nothing while a migration is blocked (exit 3).\n", st.red("BLOCKED:"))
		fmt.Fprintf(w, "  Blocked by: %s\n", strings.Join(rootCauses(p), ", "))
		fmt.Fprintln(w, "  Deploy, run the post-deploy phase, then release again; or use --mode nonstrict\n  to run what is ready and skip the blocked migrations.")
	case len(p.Blocked) > 0:
		fmt.Fprintf(w, "%s %s, %s skipped (nonstrict).\n", st.yellow("OK:"), plural(len(p.Run), "migration")+" will run", plural(len(p.Blocked), "blocked migration"))
	case len(p.Run) == 0:
		fmt.Fprintf(w, "%s nothing to run.\n", st.green("OK:"))
	default:
		fmt.Fprintf(w, "%s %s will run.\n", st.green("OK:"), plural(len(p.Run), "migration"))
	}
}

// renderPlanBody prints the plan's summary line and its sections. The run
// list is left out unless withRun (callers that list the migrations
// themselves); driftAllowed as for [planJSON].
func renderPlanBody(env *Env, p *planner.Plan, withRun, driftAllowed bool) {
	w := env.Stdout
	st := style{on: env.Color}
	mode := ""
	if p.Phase == planner.PreDeploy {
		mode = " (" + string(p.Mode) + ")"
	}
	fmt.Fprintf(w, "%s %s%s: %s applied, %d to run, %d delayed, %d blocked\n",
		st.bold("Plan"), p.Phase, mode, plural(len(p.Applied), "migration"), len(p.Run), len(p.Delayed), len(p.Blocked))

	switch {
	case p.Effective != p.Phase && p.Initial:
		fmt.Fprintln(w, st.dim("--initial: the database is empty, so pre-deploy runs everything."))
	case p.Effective != p.Phase:
		fmt.Fprintln(w, st.dim("mode disabled: pre-deploy runs everything, like post-deploy."))
	}
	if withRun && len(p.Run) > 0 {
		fmt.Fprintf(w, "\n%s\n", st.bold(fmt.Sprintf("Run now, in order (%d):", len(p.Run))))
		t := table{indent: "  "}
		for i, s := range p.Run {
			note := ""
			if s.Reason != string(s.Migration.Safe()) {
				note = s.Reason
			}
			t.add(plain(fmt.Sprintf("%d.", i+1)), cell{s.ID(), st.green}, cell{string(s.Migration.Safe()), st.dim}, plain(note))
		}
		t.write(w)
	}
	if len(p.Delayed) > 0 {
		fmt.Fprintf(w, "\n%s\n", st.bold(fmt.Sprintf("Delayed until later (%d):", len(p.Delayed))))
		t := table{indent: "  "}
		for _, s := range p.Delayed {
			t.add(cell{s.ID(), st.yellow}, cell{string(s.Migration.Safe()), st.dim}, plain(s.Reason))
		}
		t.write(w)
	}
	if len(p.Blocked) > 0 {
		fmt.Fprintf(w, "\n%s\n", st.bold(fmt.Sprintf("Blocked (%d):", len(p.Blocked))))
		t := table{indent: "  "}
		for _, s := range p.Blocked {
			t.add(cell{s.ID(), st.red}, cell{string(s.Migration.Safe()), st.dim}, plain("waits for "+strings.Join(s.BlockedBy, ", ")))
		}
		t.write(w)
	}
	if ws := planWarnings(p, driftAllowed); len(ws) > 0 {
		fmt.Fprintf(w, "\n%s\n", st.bold("Warnings:"))
		for _, s := range ws {
			fmt.Fprintf(w, "  %s %s\n", st.yellow("!"), s)
		}
	}
}

// rootCauses returns the distinct blocked_by IDs of all blocked steps.
func rootCauses(p *planner.Plan) []string {
	seen := map[string]bool{}
	var ids []string
	for _, s := range p.Blocked {
		for _, id := range s.BlockedBy {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	return ids
}
