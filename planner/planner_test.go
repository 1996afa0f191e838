package planner_test

import (
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/safemigrate/safemigrate/graph"
	"github.com/safemigrate/safemigrate/migration"
	"github.com/safemigrate/safemigrate/planner"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Header shorthands: a file's header is its directives joined by ";".
const (
	B = "safe: before_deploy"
	A = "safe: after_deploy"
	W = "safe: always"
)

const day = 24 * time.Hour

var now = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// files maps paths to headers ("safe: after_deploy;delay: 7d;depends: 1").
type files map[string]string

func (f files) fs() fstest.MapFS {
	fsys := fstest.MapFS{}
	for p, h := range f {
		var b strings.Builder
		for _, l := range strings.Split(h, ";") {
			if l = strings.TrimSpace(l); l != "" {
				b.WriteString("-- " + l + "\n")
			}
		}
		b.WriteString("SELECT 1;\n")
		fsys[p] = &fstest.MapFile{Data: []byte(b.String())}
	}
	return fsys
}

func buildGraph(t testing.TB, f files) *graph.Graph {
	t.Helper()
	ms, err := migration.Load(f.fs(), migration.Options{})
	require.NoError(t, err)
	g, err := graph.New(ms)
	require.NoError(t, err)
	return g
}

func stepIDs(steps []planner.Step) []string {
	out := []string{}
	for _, s := range steps {
		out = append(out, s.ID())
	}
	return out
}

func blockedMap(steps []planner.Step) map[string][]string {
	out := map[string][]string{}
	for _, s := range steps {
		out[s.ID()] = s.BlockedBy
	}
	return out
}

func find(t *testing.T, steps []planner.Step, id string) planner.Step {
	t.Helper()
	for _, s := range steps {
		if s.ID() == id {
			return s
		}
	}
	t.Fatalf("%s not in %v", id, stepIDs(steps))
	return planner.Step{}
}

type planCase struct {
	name     string
	files    files
	applied  []string
	detected map[string]time.Duration // how long ago each was detected
	phase    planner.Phase            // default pre-deploy
	mode     planner.Mode             // default strict
	initial  bool
	ignore   bool   // IgnoreDelays
	to       string // Target

	wantRun     []string
	wantDelayed []string
	wantBlocked map[string][]string // blocked ID → blocked_by
	wantOK      bool
	check       func(t *testing.T, p *planner.Plan)
}

func (c planCase) input(t testing.TB) planner.Input {
	in := planner.Input{
		Graph:        buildGraph(t, c.files),
		Applied:      map[string]string{},
		Detected:     map[string]time.Time{},
		Now:          now,
		Phase:        c.phase,
		Mode:         c.mode,
		Initial:      c.initial,
		IgnoreDelays: c.ignore,
		Target:       c.to,
	}
	if in.Phase == "" {
		in.Phase = planner.PreDeploy
	}
	for _, id := range c.applied {
		in.Applied[id] = ""
	}
	for id, ago := range c.detected {
		in.Detected[id] = now.Add(-ago)
	}
	return in
}

func runCases(t *testing.T, cases []planCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			p, err := planner.New(tt.input(t))
			require.NoError(t, err)
			assert.Equal(t, tt.wantRun, stepIDs(p.Run), "run")
			if tt.wantDelayed == nil {
				tt.wantDelayed = []string{}
			}
			assert.Equal(t, tt.wantDelayed, stepIDs(p.Delayed), "delayed")
			if tt.wantBlocked == nil {
				tt.wantBlocked = map[string][]string{}
			}
			assert.Equal(t, tt.wantBlocked, blockedMap(p.Blocked), "blocked and blocked_by")
			assert.Equal(t, tt.wantOK, p.OK(), "ok")
			for _, s := range p.Blocked {
				assert.NotEmpty(t, s.Reason)
				for _, id := range s.BlockedBy {
					assert.Contains(t, s.Reason, id, "the reason names what blocks it")
				}
			}
			for _, s := range append(append([]planner.Step{}, p.Run...), p.Delayed...) {
				assert.NotEmpty(t, s.Reason, s.ID())
			}
			if tt.check != nil {
				tt.check(t, p)
			}
		})
	}
}

// TestPlanValues covers the three values in both phases (docs/planning.md).
func TestPlanValues(t *testing.T) {
	mixed := files{
		"0001_a.sql":   B,
		"0002_b.sql":   W,
		"0003_c.sql":   A,
		"x/0001_d.sql": B + ";depends: 2",
		"x/0002_e.sql": W,
	}
	runCases(t, []planCase{
		{
			name:    "pre-deploy: before_deploy and always run",
			files:   files{"0001_a.sql": B, "0002_b.sql": W, "0003_c.sql": B},
			wantRun: []string{"0001_a", "0002_b", "0003_c"},
			wantOK:  true,
		},
		{
			name:        "pre-deploy: after_deploy without delay waits for post-deploy",
			files:       files{"0001_a.sql": B, "0002_b.sql": A},
			wantRun:     []string{"0001_a"},
			wantDelayed: []string{"0002_b"},
			wantOK:      true,
			check: func(t *testing.T, p *planner.Plan) {
				s := p.Delayed[0]
				assert.Equal(t, migration.AfterDeploy, s.Resolved)
				assert.Nil(t, s.RunnableAt)
				assert.Contains(t, s.Reason, "post-deploy")
			},
		},
		{
			name:        "pre-deploy: a trailing after_deploy delays nothing else",
			files:       mixed,
			wantRun:     []string{"0001_a", "0002_b", "x/0001_d", "x/0002_e"},
			wantDelayed: []string{"0003_c"},
			wantOK:      true,
		},
		{
			name:    "post-deploy runs every pending migration in topological order",
			files:   mixed,
			phase:   planner.PostDeploy,
			wantRun: []string{"0001_a", "0002_b", "0003_c", "x/0001_d", "x/0002_e"},
			wantOK:  true,
			check: func(t *testing.T, p *planner.Plan) {
				assert.Equal(t, planner.PostDeploy, p.Effective)
			},
		},
		{
			name:    "post-deploy ignores blocking",
			files:   files{"0001_a.sql": A, "0002_b.sql": B, "y/0001_c.sql": W + ";depends: 1"},
			phase:   planner.PostDeploy,
			wantRun: []string{"0001_a", "0002_b", "y/0001_c"},
			wantOK:  true,
		},
		{
			name:    "post-deploy in strict mode is never blocked",
			files:   files{"0001_a.sql": A, "0002_b.sql": B},
			phase:   planner.PostDeploy,
			mode:    planner.Strict,
			wantRun: []string{"0001_a", "0002_b"},
			wantOK:  true,
		},
		{
			name:    "applied migrations are not planned",
			files:   files{"0001_a.sql": A, "0002_b.sql": B, "0003_c.sql": A},
			applied: []string{"0001_a"},
			// 0001_a (after_deploy) is applied, so 0002_b is free.
			wantRun:     []string{"0002_b"},
			wantDelayed: []string{"0003_c"},
			wantOK:      true,
			check: func(t *testing.T, p *planner.Plan) {
				assert.Equal(t, []string{"0001_a"}, p.Applied)
			},
		},
		{
			name:    "nothing pending",
			files:   files{"0001_a.sql": A, "0002_b.sql": B},
			applied: []string{"0001_a", "0002_b"},
			wantRun: []string{},
			wantOK:  true,
		},
		{
			name:    "empty graph",
			files:   files{},
			wantRun: []string{},
			wantOK:  true,
		},
	})
}

// TestPlanDelays covers step 1 (docs/planning.md).
func TestPlanDelays(t *testing.T) {
	week := files{"0001_a.sql": B, "0002_drop.sql": A + ";delay: 7d"}
	runCases(t, []planCase{
		{
			name:     "delay passed: counts as always and runs",
			files:    week,
			detected: map[string]time.Duration{"0002_drop": 8 * day},
			wantRun:  []string{"0001_a", "0002_drop"},
			wantOK:   true,
			check: func(t *testing.T, p *planner.Plan) {
				s := p.Run[1]
				assert.Equal(t, migration.Always, s.Resolved)
				assert.Contains(t, s.Reason, "7d")
				require.NotNil(t, s.DetectedAt)
				assert.Equal(t, now.Add(-8*day), *s.DetectedAt)
			},
		},
		{
			name:     "detection plus delay equal to now counts as passed",
			files:    week,
			detected: map[string]time.Duration{"0002_drop": 7 * day},
			wantRun:  []string{"0001_a", "0002_drop"},
			wantOK:   true,
		},
		{
			name:        "one nanosecond short is not passed",
			files:       week,
			detected:    map[string]time.Duration{"0002_drop": 7*day - time.Nanosecond},
			wantRun:     []string{"0001_a"},
			wantDelayed: []string{"0002_drop"},
			wantOK:      true,
		},
		{
			name:        "delay not passed: delayed with runnable_at",
			files:       week,
			detected:    map[string]time.Duration{"0002_drop": 2 * day},
			wantRun:     []string{"0001_a"},
			wantDelayed: []string{"0002_drop"},
			wantOK:      true,
			check: func(t *testing.T, p *planner.Plan) {
				s := p.Delayed[0]
				assert.Equal(t, migration.AfterDeploy, s.Resolved)
				require.NotNil(t, s.RunnableAt)
				assert.Equal(t, now.Add(5*day), *s.RunnableAt)
				assert.Contains(t, s.Reason, now.Add(5*day).Format(time.RFC3339))
				assert.Empty(t, p.NewlyDetected())
				assert.Empty(t, p.Waiting, "inside its delay it is not waiting for post-deploy")
			},
		},
		{
			name:        "not detected yet: delayed, no runnable_at, newly detected",
			files:       week,
			wantRun:     []string{"0001_a"},
			wantDelayed: []string{"0002_drop"},
			wantOK:      true,
			check: func(t *testing.T, p *planner.Plan) {
				s := p.Delayed[0]
				assert.Nil(t, s.RunnableAt)
				assert.Nil(t, s.DetectedAt)
				assert.Equal(t, []string{"0002_drop"}, p.NewlyDetected())
				assert.Empty(t, p.Waiting)
			},
		},
		{
			name:        "detection in the future is not passed",
			files:       week,
			detected:    map[string]time.Duration{"0002_drop": -time.Hour},
			wantRun:     []string{"0001_a"},
			wantDelayed: []string{"0002_drop"},
			wantOK:      true,
		},
		{
			name:        "detection of an after_deploy without delay never makes it run",
			files:       files{"0001_a.sql": A},
			detected:    map[string]time.Duration{"0001_a": 365 * day},
			wantRun:     []string{},
			wantDelayed: []string{"0001_a"},
			wantOK:      true,
			check: func(t *testing.T, p *planner.Plan) {
				assert.Equal(t, []string{"0001_a"}, stepIDs(p.Waiting))
				assert.Nil(t, p.Delayed[0].RunnableAt)
			},
		},
		{
			name:     "delay 0s runs once detected",
			files:    files{"0001_a.sql": A + ";delay: 0s"},
			detected: map[string]time.Duration{"0001_a": 0},
			wantRun:  []string{"0001_a"},
			wantOK:   true,
		},
		{
			name:        "delay 0s not detected yet waits",
			files:       files{"0001_a.sql": A + ";delay: 0s"},
			wantRun:     []string{},
			wantDelayed: []string{"0001_a"},
			wantOK:      true,
		},
		{
			name: "chain of after_deploy with passed and unpassed delays",
			files: files{
				"0001_a.sql":   A + ";delay: 1d",  // passed → always
				"0002_b.sql":   A + ";delay: 1d",  // passed → always
				"0003_c.sql":   A + ";delay: 7d",  // not passed
				"0004_d.sql":   A + ";delay: 1h",  // passed, but behind 0003_c
				"0005_e.sql":   W,                 // behind 0003_c
				"x/0001_f.sql": B + ";depends: 2", // behind passed ones only
			},
			detected: map[string]time.Duration{
				"0001_a": 2 * day, "0002_b": 2 * day, "0003_c": 2 * day, "0004_d": 2 * day,
			},
			wantRun:     []string{"0001_a", "0002_b", "x/0001_f"},
			wantDelayed: []string{"0003_c", "0004_d", "0005_e"},
			wantOK:      true,
			check: func(t *testing.T, p *planner.Plan) {
				c := find(t, p.Delayed, "0003_c")
				require.NotNil(t, c.RunnableAt)
				assert.Equal(t, now.Add(5*day), *c.RunnableAt)
				d := find(t, p.Delayed, "0004_d")
				assert.Equal(t, migration.Always, d.Resolved, "its own delay passed")
				assert.Nil(t, d.RunnableAt, "runnable when 0003_c is, not by its own delay")
				assert.Contains(t, d.Reason, "0003_c")
				assert.Equal(t, []string{"0005_e"}, p.NewlyDetected())
			},
		},
		{
			name: "chain of after_deploy all passed runs in order",
			files: files{
				"0001_a.sql": A + ";delay: 1d",
				"0002_b.sql": A + ";delay: 36h",
				"0003_c.sql": A + ";delay: 2d",
			},
			detected: map[string]time.Duration{"0001_a": 3 * day, "0002_b": 3 * day, "0003_c": 3 * day},
			wantRun:  []string{"0001_a", "0002_b", "0003_c"},
			wantOK:   true,
		},
	})
}

// TestPlanDelayedAndBlocked covers steps 2–5 and blocked_by (docs/planning.md).
func TestPlanDelayedAndBlocked(t *testing.T) {
	runCases(t, []planCase{
		{
			name:        "an always behind a delayed one is delayed, not blocked",
			files:       files{"0001_a.sql": A, "0002_b.sql": W, "0003_c.sql": W},
			wantRun:     []string{},
			wantDelayed: []string{"0001_a", "0002_b", "0003_c"},
			wantOK:      true,
			check: func(t *testing.T, p *planner.Plan) {
				b := find(t, p.Delayed, "0002_b")
				assert.Equal(t, migration.Always, b.Resolved)
				assert.Contains(t, b.Reason, "0001_a")
				assert.Equal(t, []string{"0001_a", "0002_b", "0003_c"}, p.NewlyDetected())
			},
		},
		{
			name:        "a before_deploy behind an after_deploy is blocked",
			files:       files{"0001_a.sql": B, "0002_b.sql": A, "0003_c.sql": B},
			wantRun:     []string{"0001_a"},
			wantDelayed: []string{"0002_b"},
			wantBlocked: map[string][]string{"0003_c": {"0002_b"}},
			wantOK:      false,
		},
		{
			name: "blocked_by names root causes through several hops and across chains",
			files: files{
				"0001_a.sql":         B,
				"0002_drop.sql":      A,                // root cause 1
				"0003_b.sql":         B,                // blocked behind 0002
				"0004_c.sql":         B,                // blocked, two hops
				"auth/0001_d.sql":    A + ";delay: 7d", // root cause 2
				"auth/0002_e.sql":    B,
				"billing/0001_f.sql": B + ";depends: 4, auth/2", // three hops, two chains
				"billing/0002_g.sql": B,
				"zeta/0001_h.sql":    B + ";depends: 1", // unaffected
			},
			wantRun:     []string{"0001_a", "zeta/0001_h"},
			wantDelayed: []string{"0002_drop", "auth/0001_d"},
			wantBlocked: map[string][]string{
				"0003_b":         {"0002_drop"},
				"0004_c":         {"0002_drop"},
				"auth/0002_e":    {"auth/0001_d"},
				"billing/0001_f": {"0002_drop", "auth/0001_d"},
				"billing/0002_g": {"0002_drop", "auth/0001_d"},
			},
			wantOK: false,
		},
		{
			name: "blocked_by lists the delayed migrations it reaches, not the blocked ones",
			files: files{
				"0001_a.sql": A,
				"0002_b.sql": W, // delayed behind 0001_a
				"0003_c.sql": B, // blocked: reaches 0002_b and 0001_a
			},
			wantRun:     []string{},
			wantDelayed: []string{"0001_a", "0002_b"},
			wantBlocked: map[string][]string{"0003_c": {"0001_a", "0002_b"}},
			wantOK:      false,
		},
		{
			name: "a delayed migration behind a blocked one is blocked",
			files: files{
				"0001_a.sql":   A,
				"0002_b.sql":   B,                 // blocked
				"0003_c.sql":   A,                 // after_deploy behind blocked → blocked
				"0004_d.sql":   W,                 // always behind blocked → blocked
				"x/0001_e.sql": W + ";depends: 2", // always directly behind blocked → blocked
			},
			wantRun:     []string{},
			wantDelayed: []string{"0001_a"},
			wantBlocked: map[string][]string{
				"0002_b":   {"0001_a"},
				"0003_c":   {"0001_a"},
				"0004_d":   {"0001_a"},
				"x/0001_e": {"0001_a"},
			},
			wantOK: false,
		},
		{
			name: "blocked behind a delayed always, reached across chains",
			files: files{
				"0001_a.sql":   A,
				"x/0001_b.sql": W + ";depends: 1",   // delayed
				"y/0001_c.sql": A + ";depends: x/1", // delayed
				"z/0001_d.sql": B + ";depends: y/1", // blocked
			},
			wantRun:     []string{},
			wantDelayed: []string{"0001_a", "x/0001_b", "y/0001_c"},
			wantBlocked: map[string][]string{"z/0001_d": {"0001_a", "x/0001_b", "y/0001_c"}},
			wantOK:      false,
		},
		{
			name: "applied dependencies are not traversed for blocked_by",
			files: files{
				"0001_a.sql": A,
				"0002_b.sql": A,
				"0003_c.sql": B,
			},
			applied:     []string{"0001_a"},
			wantRun:     []string{},
			wantDelayed: []string{"0002_b"},
			wantBlocked: map[string][]string{"0003_c": {"0002_b"}},
			wantOK:      false,
		},
		{
			name: "a passed delay unblocks what follows",
			files: files{
				"0001_a.sql": A + ";delay: 7d",
				"0002_b.sql": B,
			},
			detected: map[string]time.Duration{"0001_a": 10 * day},
			wantRun:  []string{"0001_a", "0002_b"},
			wantOK:   true,
		},
		{
			name: "a diamond: ready paths run, the side behind after_deploy waits",
			files: files{
				"0001_base.sql":  B,
				"l/0001_l.sql":   A + ";depends: 1",
				"r/0001_r.sql":   W + ";depends: 1",
				"z/0001_top.sql": B + ";depends: l/1, r/1",
				"z/0002_w.sql":   W,
			},
			wantRun:     []string{"0001_base", "r/0001_r"},
			wantDelayed: []string{"l/0001_l"},
			wantBlocked: map[string][]string{"z/0001_top": {"l/0001_l"}, "z/0002_w": {"l/0001_l"}},
			wantOK:      false,
		},
	})
}

// TestPlanModes covers strict, nonstrict and disabled (docs/planning.md).
func TestPlanModes(t *testing.T) {
	blockedFiles := files{
		"0001_a.sql":   B,
		"0002_b.sql":   A,
		"0003_c.sql":   B,
		"x/0001_d.sql": W,
	}
	runCases(t, []planCase{
		{
			name:        "strict with blocked is not OK",
			files:       blockedFiles,
			mode:        planner.Strict,
			wantRun:     []string{"0001_a", "x/0001_d"},
			wantDelayed: []string{"0002_b"},
			wantBlocked: map[string][]string{"0003_c": {"0002_b"}},
			wantOK:      false,
		},
		{
			name:        "empty mode means strict",
			files:       blockedFiles,
			wantRun:     []string{"0001_a", "x/0001_d"},
			wantDelayed: []string{"0002_b"},
			wantBlocked: map[string][]string{"0003_c": {"0002_b"}},
			wantOK:      false,
			check: func(t *testing.T, p *planner.Plan) {
				assert.Equal(t, planner.Strict, p.Mode)
			},
		},
		{
			name:        "nonstrict runs what is ready and reports what is blocked",
			files:       blockedFiles,
			mode:        planner.Nonstrict,
			wantRun:     []string{"0001_a", "x/0001_d"},
			wantDelayed: []string{"0002_b"},
			wantBlocked: map[string][]string{"0003_c": {"0002_b"}},
			wantOK:      true,
		},
		{
			name:    "disabled pre-deploy is post-deploy",
			files:   blockedFiles,
			mode:    planner.Disabled,
			wantRun: []string{"0001_a", "0002_b", "0003_c", "x/0001_d"},
			wantOK:  true,
			check: func(t *testing.T, p *planner.Plan) {
				assert.Equal(t, planner.PreDeploy, p.Phase)
				assert.Equal(t, planner.PostDeploy, p.Effective)
				assert.Empty(t, p.NewlyDetected(), "nothing waits, nothing is detected")
			},
		},
	})

	t.Run("disabled plans exactly like post-deploy with --ignore-delays", func(t *testing.T) {
		f := files{
			"0001_a.sql":   A + ";delay: 7d",
			"0002_b.sql":   B,
			"0003_c.sql":   W,
			"x/0001_d.sql": A + ";depends: 2",
			"x/0002_e.sql": B,
		}
		for _, applied := range [][]string{nil, {"0001_a"}, {"0001_a", "0002_b", "x/0001_d"}} {
			c := planCase{files: f, applied: applied, detected: map[string]time.Duration{"0001_a": day}}
			in := c.input(t)
			in.Mode = planner.Disabled
			dis, err := planner.New(in)
			require.NoError(t, err)
			in.Phase, in.Mode, in.IgnoreDelays = planner.PostDeploy, planner.Strict, true
			post, err := planner.New(in)
			require.NoError(t, err)
			assert.Equal(t, stepIDs(post.Run), stepIDs(dis.Run))
			assert.Empty(t, dis.Delayed)
			assert.Empty(t, dis.Blocked)
			assert.True(t, dis.OK())
		}
	})
}

// TestPlanInitial covers --initial (docs/planning.md).
func TestPlanInitial(t *testing.T) {
	f := files{
		"0001_a.sql":   A + ";delay: 7d",
		"0002_b.sql":   B,
		"x/0001_c.sql": A,
		"x/0002_d.sql": B + ";depends: 2",
	}
	runCases(t, []planCase{
		{
			name:    "initial on an empty target runs everything in pre-deploy",
			files:   f,
			initial: true,
			wantRun: []string{"0001_a", "0002_b", "x/0001_c", "x/0002_d"},
			wantOK:  true,
			check: func(t *testing.T, p *planner.Plan) {
				assert.True(t, p.Initial)
				assert.Equal(t, planner.PreDeploy, p.Phase)
				assert.Equal(t, planner.PostDeploy, p.Effective)
				assert.Empty(t, p.NewlyDetected())
			},
		},
		{
			name:    "initial with nonstrict still runs everything",
			files:   f,
			initial: true,
			mode:    planner.Nonstrict,
			wantRun: []string{"0001_a", "0002_b", "x/0001_c", "x/0002_d"},
			wantOK:  true,
		},
	})

	tests := []struct {
		name    string
		applied map[string]string
	}{
		{"a known applied row", map[string]string{"0001_a": ""}},
		{"an unknown applied row", map[string]string{"0000_gone": "abc"}},
	}
	for _, tt := range tests {
		t.Run("initial with "+tt.name+" is an error", func(t *testing.T) {
			in := planCase{files: f, initial: true}.input(t)
			in.Applied = tt.applied
			p, err := planner.New(in)
			assert.Nil(t, p)
			require.ErrorIs(t, err, planner.ErrInitialNotEmpty)
			assert.Contains(t, err.Error(), "1 migration(s)")
		})
	}
}

// TestPlanAppliedAnomalies covers docs/planning.md.
func TestPlanAppliedAnomalies(t *testing.T) {
	g := buildGraph(t, files{
		"0001_a.sql":   B,
		"0002_b.sql":   B,
		"0003_c.sql":   B,
		"x/0001_d.sql": W,
		"x/0002_e.sql": W,
		"x/0003_f.sql": W,
	})
	sum := func(id string) string {
		m, ok := g.Lookup(id)
		require.True(t, ok)
		return m.Checksum
	}

	t.Run("drift and unknown IDs", func(t *testing.T) {
		p, err := planner.New(planner.Input{
			Graph: g,
			Applied: map[string]string{
				"0001_a":      sum("0001_a"),                                                      // matches
				"0002_b":      "0000000000000000000000000000000000000000000000000000000000000000", // drift
				"x/0001_d":    "",                                                                 // unknown checksum: no drift
				"0009_zzz":    "abc",
				"y/0001_gone": "",
			},
			Now:   now,
			Phase: planner.PreDeploy,
		})
		require.NoError(t, err)
		require.Len(t, p.Drift, 1)
		assert.Equal(t, "0002_b", p.Drift[0].Migration.ID)
		assert.Equal(t, strings.Repeat("0", 64), p.Drift[0].AppliedChecksum)
		assert.Equal(t, []string{"0009_zzz", "y/0001_gone"}, p.Unknown)
		assert.Equal(t, []string{"0001_a", "0002_b", "x/0001_d"}, p.Applied)
		assert.Equal(t, []string{"0003_c", "x/0002_e", "x/0003_f"}, stepIDs(p.Run))
		assert.True(t, p.OK(), "drift is the caller's decision (--allow-drift), not the planner's")
	})

	t.Run("a pending migration before an applied one runs as usual and is mentioned", func(t *testing.T) {
		p, err := planner.New(planner.Input{
			Graph:   g,
			Applied: map[string]string{"0001_a": "", "0003_c": "", "x/0001_d": "", "x/0003_f": ""},
			Now:     now,
			Phase:   planner.PreDeploy,
		})
		require.NoError(t, err)
		assert.Equal(t, []string{"0002_b", "x/0002_e"}, p.OutOfOrder)
		assert.Equal(t, []string{"0002_b", "x/0002_e"}, stepIDs(p.Run))
		assert.True(t, p.OK())
	})

	t.Run("nothing out of order when pending ones come last", func(t *testing.T) {
		p, err := planner.New(planner.Input{
			Graph:   g,
			Applied: map[string]string{"0001_a": "", "x/0001_d": ""},
			Now:     now,
			Phase:   planner.PostDeploy,
		})
		require.NoError(t, err)
		assert.Empty(t, p.OutOfOrder)
	})
}

func TestPlanOutOfOrderAfterDeploy(t *testing.T) {
	// A merged branch brings an after_deploy before an applied migration:
	// applied migrations are never blocked by it, pending ones are.
	runCases(t, []planCase{
		{
			name:    "an out-of-order after_deploy waits; applied successors are untouched",
			files:   files{"0001_a.sql": B, "0002_late.sql": A, "0003_c.sql": B, "0004_d.sql": B},
			applied: []string{"0001_a", "0003_c"},
			wantRun: []string{"0004_d"},
			// 0004_d depends on 0003_c (applied), not directly on 0002_late.
			wantDelayed: []string{"0002_late"},
			wantOK:      true,
			check: func(t *testing.T, p *planner.Plan) {
				assert.Equal(t, []string{"0002_late"}, p.OutOfOrder)
			},
		},
	})
}

func TestPlanInputErrors(t *testing.T) {
	g := buildGraph(t, files{"0001_a.sql": B})
	tests := []struct {
		name string
		in   planner.Input
		want string
	}{
		{"nil graph", planner.Input{Phase: planner.PreDeploy}, "nil graph"},
		{"unknown phase", planner.Input{Graph: g, Phase: "deploy"}, `unknown phase "deploy"`},
		{"empty phase", planner.Input{Graph: g}, "unknown phase"},
		{"unknown mode", planner.Input{Graph: g, Phase: planner.PreDeploy, Mode: "lenient"}, `unknown mode "lenient"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := planner.New(tt.in)
			assert.Nil(t, p)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// TestPlanIsPure plans the same input twice and with shuffled map contents.
func TestPlanIsPure(t *testing.T) {
	c := planCase{
		files: files{
			"0001_a.sql": A + ";delay: 7d", "0002_b.sql": B, "x/0001_c.sql": A, "x/0002_d.sql": B + ";depends: 2",
			"y/0001_e.sql": W, "y/0002_f.sql": A + ";delay: 1h",
		},
		applied:  []string{"y/0001_e"},
		detected: map[string]time.Duration{"0001_a": day, "y/0002_f": 2 * time.Hour},
	}
	in := c.input(t)
	p1, err := planner.New(in)
	require.NoError(t, err)
	for range 10 {
		p2, err := planner.New(in)
		require.NoError(t, err)
		assert.Equal(t, p1, p2)
	}
}

func TestMarkDetected(t *testing.T) {
	g := buildGraph(t, files{"0001_a.sql": A + ";delay: 7d", "0002_b.sql": A})
	p, err := planner.New(planner.Input{Graph: g, Now: now, Phase: planner.PreDeploy})
	require.NoError(t, err)
	require.Equal(t, []string{"0001_a", "0002_b"}, p.NewlyDetected())
	p.MarkDetected(p.NewlyDetected(), now)
	assert.Empty(t, p.NewlyDetected())
	require.NotNil(t, p.Delayed[0].RunnableAt)
	assert.Equal(t, now.Add(7*day), *p.Delayed[0].RunnableAt)
	assert.Equal(t, "delay 7d: runnable at 2026-06-08T12:00:00Z", p.Delayed[0].Reason)
	assert.Nil(t, p.Delayed[1].RunnableAt)
	assert.Equal(t, "runs in post-deploy", p.Delayed[1].Reason)
	assert.Empty(t, p.Waiting, "newly detected migrations have not survived a deploy")
}
