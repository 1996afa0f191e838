package fleet_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/fleet"
	"github.com/safemigrate/safemigrate/internal/pgtest"
)

// TestSessionEndedAfterATenantIsNotReused: the server can end a session
// after a tenant's last COMMIT (a shutdown sends its FATAL error there);
// the tenant is applied, and its worker's session must not be handed to
// the next tenant (it failed with "cannot retarget a session inside a
// transaction"): the next tenant gets a new one, and the run finishes.
func TestSessionEndedAfterATenantIsNotReused(t *testing.T) {
	t.Parallel()
	for _, atomic := range []bool{false, true} {
		name := "apply"
		if atomic {
			name = "atomic"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d := newDB(t, "t1", "t2", "t3")
			end := pgtest.EndSession(t, d.url, pgtest.EndAfter, "CREATE SEQUENCE", "COMMIT")
			tg, err := executor.ParseTarget(end.URL)
			require.NoError(t, err)
			g := load(t, "0001_a.sql", "-- safe: always\nCREATE SEQUENCE a;\n")
			f, err := fleet.New(ctx(t), tg, fleet.Source{Schemas: []string{"t1", "t2", "t3"}})
			require.NoError(t, err)
			opts := post(&syncBuffer{})
			opts.Jobs = 1
			opts.Exec.NoPreflight, opts.Exec.Atomic = !atomic, atomic
			res, err := f.Run(ctx(t), g, opts)
			require.True(t, end.Fired(), "the proxy ended a session")
			require.NoError(t, err)
			for _, s := range []string{"t1", "t2", "t3"} {
				assert.Equal(t, []string{"0001_a"}, d.applied(t, s), s)
			}
			for _, tr := range res.Tenants {
				assert.Equal(t, fleet.StateApplied, tr.State, tr.Tenant)
			}
		})
	}
}
