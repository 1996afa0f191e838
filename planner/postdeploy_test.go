package planner_test

import (
	"testing"
	"time"

	"github.com/safemigrate/safemigrate/planner"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPlanPostDeployDelays covers docs/planning.md: a delay is rollback
// headroom that the post-deploy phase does not cut short.
func TestPlanPostDeployDelays(t *testing.T) {
	f := files{
		"0001_a.sql":    B,
		"0002_drop.sql": A + ";delay: 7d",
		"0003_c.sql":    W,
		"y/0001_d.sql":  A,
		"y/0002_e.sql":  B + ";depends: 2",
	}
	runCases(t, []planCase{
		{
			name:        "a delay not detected yet holds it and what depends on it",
			files:       f,
			phase:       planner.PostDeploy,
			wantRun:     []string{"0001_a", "y/0001_d"},
			wantDelayed: []string{"0002_drop", "0003_c", "y/0002_e"},
			wantOK:      true,
			check: func(t *testing.T, p *planner.Plan) {
				assert.Equal(t, []string{"0002_drop", "0003_c", "y/0002_e"}, p.NewlyDetected(), "a post-deploy run detects them")
				assert.Contains(t, find(t, p.Delayed, "0002_drop").Reason, "--ignore-delays")
				assert.Contains(t, find(t, p.Delayed, "0003_c").Reason, "0002_drop")
				assert.Empty(t, p.Waiting)
				assert.True(t, p.OK())
			},
		},
		{
			name:        "a delay not passed holds it, with runnable_at",
			files:       f,
			phase:       planner.PostDeploy,
			detected:    map[string]time.Duration{"0002_drop": 2 * day},
			wantRun:     []string{"0001_a", "y/0001_d"},
			wantDelayed: []string{"0002_drop", "0003_c", "y/0002_e"},
			wantOK:      true,
			check: func(t *testing.T, p *planner.Plan) {
				s := find(t, p.Delayed, "0002_drop")
				require.NotNil(t, s.RunnableAt)
				assert.Equal(t, now.Add(5*day), *s.RunnableAt)
			},
		},
		{
			name:     "a passed delay runs",
			files:    f,
			phase:    planner.PostDeploy,
			detected: map[string]time.Duration{"0002_drop": 7 * day},
			wantRun:  []string{"0001_a", "0002_drop", "0003_c", "y/0001_d", "y/0002_e"},
			wantOK:   true,
		},
		{
			name:    "--ignore-delays runs everything",
			files:   f,
			phase:   planner.PostDeploy,
			ignore:  true,
			wantRun: []string{"0001_a", "0002_drop", "0003_c", "y/0001_d", "y/0002_e"},
			wantOK:  true,
			check: func(t *testing.T, p *planner.Plan) {
				assert.Empty(t, p.NewlyDetected())
			},
		},
		{
			name:    "mode disabled runs everything in pre-deploy, delays included",
			files:   f,
			mode:    planner.Disabled,
			wantRun: []string{"0001_a", "0002_drop", "0003_c", "y/0001_d", "y/0002_e"},
			wantOK:  true,
		},
		{
			name:    "initial runs everything, delays included",
			files:   f,
			initial: true,
			wantRun: []string{"0001_a", "0002_drop", "0003_c", "y/0001_d", "y/0002_e"},
			wantOK:  true,
		},
		{
			name:        "pre-deploy: no 'run the post-deploy phase' warning inside a delay or behind one",
			files:       files{"0001_drop.sql": A + ";delay: 7d", "0002_b.sql": A, "0003_c.sql": A},
			detected:    map[string]time.Duration{"0001_drop": day, "0002_b": day},
			wantRun:     []string{},
			wantDelayed: []string{"0001_drop", "0002_b", "0003_c"},
			wantOK:      true,
			check: func(t *testing.T, p *planner.Plan) {
				assert.Empty(t, p.Waiting)
			},
		},
		{
			name:        "pre-deploy: an after_deploy free to run in post-deploy is waiting",
			files:       files{"0001_drop.sql": A + ";delay: 7d", "x/0001_b.sql": A},
			detected:    map[string]time.Duration{"0001_drop": day, "x/0001_b": day},
			wantRun:     []string{},
			wantDelayed: []string{"0001_drop", "x/0001_b"},
			wantOK:      true,
			check: func(t *testing.T, p *planner.Plan) {
				assert.Equal(t, []string{"x/0001_b"}, stepIDs(p.Waiting))
			},
		},
	})
}

// TestPlanTarget covers --to: the target and its pending dependencies only.
func TestPlanTarget(t *testing.T) {
	f := files{
		"0001_a.sql":   B,
		"0002_b.sql":   A,
		"0003_c.sql":   B,
		"x/0001_d.sql": B + ";depends: 1",
		"x/0002_e.sql": W,
		"y/0001_f.sql": B,
	}
	runCases(t, []planCase{
		{
			name:    "only the target and its pending dependencies",
			files:   f,
			to:      "x/0002_e",
			wantRun: []string{"0001_a", "x/0001_d", "x/0002_e"},
			wantOK:  true,
		},
		{
			name:        "the target's own rules still apply",
			files:       f,
			to:          "0003_c",
			wantRun:     []string{"0001_a"},
			wantDelayed: []string{"0002_b"},
			wantBlocked: map[string][]string{"0003_c": {"0002_b"}},
			wantOK:      false,
		},
		{
			name:    "post-deploy with a target",
			files:   f,
			to:      "0003_c",
			phase:   planner.PostDeploy,
			wantRun: []string{"0001_a", "0002_b", "0003_c"},
			wantOK:  true,
		},
		{
			name:    "an applied target runs nothing",
			files:   f,
			to:      "0001_a",
			applied: []string{"0001_a"},
			wantRun: []string{},
			wantOK:  true,
		},
	})
	t.Run("an unknown target is an error", func(t *testing.T) {
		in := planCase{files: f, to: "0009_nope"}.input(t)
		p, err := planner.New(in)
		assert.Nil(t, p)
		require.ErrorIs(t, err, planner.ErrUnknownTarget)
		assert.Contains(t, err.Error(), "0009_nope")
	})
}
