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
	fleet, err := safemigrate.New(small, safemigrate.WithDatabaseURL(url), safemigrate.WithTenants(safemigrate.Tenants{Schemas: []string{"acme"}}))
	require.NoError(t, err)
	_, err = fleet.Migrate(ctx, safemigrate.MigrateOptions{Phase: safemigrate.PreDeploy, Atomic: true})
	assert.ErrorIs(t, err, safemigrate.ErrInput)

	run, err := p.Migrate(ctx, safemigrate.MigrateOptions{Phase: safemigrate.PreDeploy, Atomic: true})
	require.NoError(t, err)
	assert.Equal(t, []string{"0001_accounts", "0002_accounts_email"}, run.Applied)
	require.NotNil(t, run.Preflight)
	assert.True(t, run.Preflight.Atomic)
	assert.Len(t, run.Preflight.Migrations, 2)
}
