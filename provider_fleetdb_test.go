package safemigrate_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate"
	"github.com/safemigrate/safemigrate/internal/pgtest"
	"github.com/safemigrate/safemigrate/internal/redact"
)

// TestProviderFleetOfDatabases: Tenants.Databases and DatabasesQuery make
// every database a tenant of the Provider's fleet calls, named by
// host/database and never by a connection string with its password.
func TestProviderFleetOfDatabases(t *testing.T) {
	ctx := context.Background()
	a, b, via := pgtest.NewDatabase(t), pgtest.NewDatabase(t), pgtest.NewDatabase(t)
	_, pw := redact.SplitPassword(a)
	require.NotEmpty(t, pw)

	p, err := safemigrate.New(small, safemigrate.WithClock(clock),
		safemigrate.WithTenants(safemigrate.Tenants{Databases: []string{a, b}, Jobs: 2, JobsPerServer: 1}))
	require.NoError(t, err)
	assert.True(t, p.Tenants())
	run, err := p.Migrate(ctx, safemigrate.MigrateOptions{Phase: safemigrate.PostDeploy})
	require.NoError(t, err)
	require.Len(t, run.Tenants, 2)
	for _, tn := range run.Tenants {
		assert.Regexp(t, `^.+/[^/]+$`, tn.Tenant, "host/database")
		assert.Len(t, tn.Applied, 3, tn.Tenant)
	}
	doc, err := json.Marshal(run)
	require.NoError(t, err)
	assert.NotContains(t, string(doc), pw)

	st, err := p.Status(ctx, safemigrate.StatusOptions{})
	require.NoError(t, err)
	require.Len(t, st.Tenants, 2)
	doc, err = json.Marshal(st)
	require.NoError(t, err)
	assert.NotContains(t, string(doc), pw)
	_, err = p.Baseline(ctx, "0001_accounts")
	assert.ErrorIs(t, err, safemigrate.ErrTenants, "a single-schema call refuses a fleet of databases")

	// The query form runs on the Provider's database.
	conn := pgtest.Connect(t, via)
	_, err = conn.Exec(ctx, `CREATE TABLE tenants (url text)`)
	require.NoError(t, err)
	_, err = conn.Exec(ctx, `INSERT INTO tenants VALUES ($1)`, b)
	require.NoError(t, err)
	q, err := safemigrate.New(small, safemigrate.WithClock(clock), safemigrate.WithDatabaseURL(via),
		safemigrate.WithTenants(safemigrate.Tenants{DatabasesQuery: "SELECT url FROM tenants"}))
	require.NoError(t, err)
	plan, err := q.Plan(ctx, safemigrate.PlanOptions{Phase: safemigrate.PostDeploy})
	require.NoError(t, err)
	doc, err = json.Marshal(plan)
	require.NoError(t, err)
	assert.NotContains(t, string(doc), pw)
	assert.Contains(t, string(doc), `"tenants"`)

	// A bad entry is ErrDatabases (and ErrInput), without the password.
	bad, err := safemigrate.New(small, safemigrate.WithTenants(safemigrate.Tenants{Databases: []string{a, "postgres://u:" + pw + "@h/x?sslmode=nonsense"}}))
	require.NoError(t, err)
	_, err = bad.Status(ctx, safemigrate.StatusOptions{})
	assert.ErrorIs(t, err, safemigrate.ErrDatabases)
	assert.ErrorIs(t, err, safemigrate.ErrInput)
	assert.Contains(t, err.Error(), "entry 2")
	assert.NotContains(t, err.Error(), pw)
}

func TestTenantsDatabaseOptions(t *testing.T) {
	for _, tn := range []safemigrate.Tenants{
		{Databases: []string{"postgres:///a"}, DatabasesQuery: "SELECT 1"},
		{Databases: []string{"postgres:///a"}, Query: "SELECT 'a'"},
		{Databases: []string{"postgres:///a"}, JobsPerServer: -1},
	} {
		_, err := safemigrate.New(small, safemigrate.WithTenants(tn))
		assert.ErrorIs(t, err, safemigrate.ErrInput, "%+v", tn)
	}
	_, err := safemigrate.New(small, safemigrate.WithTenants(safemigrate.Tenants{Databases: []string{"postgres:///a"}, Schemas: []string{"s1"}, JobsPerServer: 2}))
	assert.NoError(t, err, "schemas in each database")
}
