package safemigrate_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate"
	"github.com/safemigrate/safemigrate/internal/pgtest"
)

// golang-migrate's table as it creates it: golang-migrate/migrate v4,
// database/postgres/postgres.go (ensureVersionTable).
const golangMigrateDDL = `CREATE TABLE IF NOT EXISTS schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL)`

func TestAdopt(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	conn := pgtest.Connect(t, url)
	_, err := conn.Exec(ctx, golangMigrateDDL+`; INSERT INTO schema_migrations (version, dirty) VALUES (2, false)`)
	require.NoError(t, err)
	p, err := safemigrate.New(small, safemigrate.WithDatabaseURL(url), safemigrate.WithClock(clock))
	require.NoError(t, err)

	dry, err := p.Adopt(ctx, safemigrate.AdoptOptions{From: safemigrate.FromGolangMigrate, DryRun: true})
	require.NoError(t, err)
	golden(t, "adopt_dry_run.json", dry)
	st, err := p.Status(ctx, safemigrate.StatusOptions{})
	require.NoError(t, err)
	for _, m := range st.Migrations {
		assert.Equal(t, safemigrate.StatePending, m.State, "a dry run recorded %s", m.ID)
	}

	rep, err := p.Adopt(ctx, safemigrate.AdoptOptions{From: safemigrate.FromGolangMigrate})
	require.NoError(t, err)
	golden(t, "adopt.json", rep)
	st, err = p.Status(ctx, safemigrate.StatusOptions{})
	require.NoError(t, err)
	require.Len(t, st.Migrations, 3)
	assert.Equal(t, safemigrate.PhaseAdopted, st.Migrations[0].Phase)
	assert.Equal(t, safemigrate.PhaseAdopted, st.Migrations[1].Phase)
	plan, err := p.Plan(ctx, safemigrate.PlanOptions{Phase: safemigrate.PostDeploy})
	require.NoError(t, err)
	assert.Equal(t, []string{"0001_accounts", "0002_accounts_email"}, plan.Applied)
	require.Len(t, plan.Run, 1)
	assert.Equal(t, "0003_drop_legacy", plan.Run[0].ID)

	_, err = conn.Exec(ctx, `UPDATE schema_migrations SET version = 3, dirty = true`)
	require.NoError(t, err)
	_, err = p.Adopt(ctx, safemigrate.AdoptOptions{From: safemigrate.FromGolangMigrate})
	var de *safemigrate.DirtyError
	require.ErrorAs(t, err, &de)
	assert.ErrorIs(t, err, safemigrate.ErrInput, "a dirty table is an input error (exit 2)")
	assert.Equal(t, "3", de.Version)

	_, err = p.Adopt(ctx, safemigrate.AdoptOptions{From: "liquibase"})
	assert.ErrorIs(t, err, safemigrate.ErrInput)
	_, err = p.Adopt(ctx, safemigrate.AdoptOptions{From: safemigrate.FromFlyway})
	assert.ErrorIs(t, err, safemigrate.ErrInput, "no flyway_schema_history")
}
