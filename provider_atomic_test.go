package safemigrate_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate"
	"github.com/safemigrate/safemigrate/internal/pgtest"
)

func TestMigrateAtomic(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	p, err := safemigrate.New(small, safemigrate.WithDatabaseURL(url), safemigrate.WithClock(clock))
	require.NoError(t, err)

	for _, o := range []safemigrate.MigrateOptions{
		{Phase: safemigrate.PreDeploy, Atomic: true, NoPreflight: true},
		{Phase: safemigrate.PreDeploy, Atomic: true, DryRun: true},
	} {
		_, err := p.Migrate(ctx, o)
		assert.ErrorIs(t, err, safemigrate.ErrInput, "%+v", o)
	}
	// A tenant fleet applies each tenant in one atomic pass.
	conn := pgtest.Connect(t, url)
	_, err = conn.Exec(ctx, `CREATE SCHEMA acme; CREATE SCHEMA "Big Co"`)
	require.NoError(t, err)
	fleet, err := safemigrate.New(small, safemigrate.WithDatabaseURL(url), safemigrate.WithTenants(safemigrate.Tenants{Schemas: []string{"acme", "Big Co"}}))
	require.NoError(t, err)
	frun, err := fleet.Migrate(ctx, safemigrate.MigrateOptions{Phase: safemigrate.PreDeploy, Atomic: true})
	require.NoError(t, err)
	require.Len(t, frun.Tenants, 2)
	for _, tr := range frun.Tenants {
		assert.Equal(t, safemigrate.TenantApplied, tr.State, tr.Tenant)
		assert.Equal(t, []string{"0001_accounts", "0002_accounts_email"}, tr.Applied, tr.Tenant)
		require.NotNil(t, tr.Preflight)
		assert.True(t, tr.Preflight.Atomic)
	}
	_, err = fleet.Migrate(ctx, safemigrate.MigrateOptions{Phase: safemigrate.PreDeploy, Atomic: true, DryRun: true})
	assert.ErrorIs(t, err, safemigrate.ErrInput)

	run, err := p.Migrate(ctx, safemigrate.MigrateOptions{Phase: safemigrate.PreDeploy, Atomic: true})
	require.NoError(t, err)
	assert.Equal(t, []string{"0001_accounts", "0002_accounts_email"}, run.Applied)
	require.NotNil(t, run.Preflight)
	assert.True(t, run.Preflight.Atomic)
	assert.Len(t, run.Preflight.Migrations, 2)
}
