package executor_test

import (
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/internal/pgtest"
	"github.com/safemigrate/safemigrate/planner"
)

// TestTrackingSchemaOwnedByAnotherRoleIsRefused: the owner of the schema
// that holds the tracking tables (a configured tracking schema, or a
// tenant's schema) can drop and replace them between safemigrate's check
// and its use. A schema owned by a role the migrator is not a member of
// is refused (exit 2: ErrUntrustedTracking) before anything is read or
// created, naming the schema, its owner and the ALTER SCHEMA to run; a
// schema owned by a role the migrator is a member of is trusted, as is
// public whoever owns it by default.
func TestTrackingSchemaOwnedByAnotherRoleIsRefused(t *testing.T) {
	t.Parallel()
	g := load(t, files("0001_a.sql", "-- safe: always\nCREATE TABLE a (id int);\n"))
	for _, tc := range []struct {
		name   string
		tenant bool // the schema is a tenant's (tracking tables and search_path)
	}{{"tracking schema", false}, {"tenant schema", true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			url := pgtest.NewDatabase(t)
			admin := pgtest.Connect(t, url)
			owner, _ := newRole(t, admin, url, "")
			_, err := admin.Exec(ctx(t), `CREATE SCHEMA trk AUTHORIZATION `+pgx.Identifier{owner}.Sanitize())
			require.NoError(t, err)
			var me string
			require.NoError(t, admin.QueryRow(ctx(t), `SELECT current_user`).Scan(&me))
			tg := target(t, url) // a superuser: not a member of owner
			tg.TrackingSchema = "trk"
			if tc.tenant {
				tg.Schema = "trk"
			}

			for _, run := range []func() error{
				func() error {
					_, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy})
					return err
				},
				func() error { _, err := executor.ReadState(ctx(t), tg); return err },
			} {
				err := run()
				require.ErrorIs(t, err, executor.ErrUntrustedTracking)
				t.Log(err)
				assert.Contains(t, err.Error(), `tracking schema "trk"`)
				assert.Contains(t, err.Error(), `owned by "`+owner+`"`)
				assert.Contains(t, err.Error(), `ALTER SCHEMA "trk" OWNER TO "`+me+`"`)
				assert.Contains(t, err.Error(), "docs/security.md")
			}
			assert.Empty(t, queryStrings(t, admin, `SELECT tablename::text FROM pg_tables WHERE schemaname IN ('trk', 'public')`), "nothing created, nothing run")

			// Membership in the owner makes it the migrator's schema.
			_, err = admin.Exec(ctx(t), `GRANT `+pgx.Identifier{owner}.Sanitize()+` TO `+pgx.Identifier{me}.Sanitize())
			require.NoError(t, err)
			_, err = executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy})
			require.NoError(t, err)
			assert.Equal(t, []string{"0001_a"}, appliedIDs(t, admin, "trk"))
		})
	}
}

// TestPublicTrackingSchemaOfItsDefaultOwnerIsTrusted: public belongs to
// the database's owner (pg_database_owner) or to a superuser, never to
// the migrator in the recommended setup; it stays trusted.
func TestPublicTrackingSchemaOfItsDefaultOwnerIsTrusted(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	admin := pgtest.Connect(t, url)
	_, cfg := newRole(t, admin, url, "")
	g := load(t, files("0001_a.sql", "-- safe: always\nCREATE TABLE a (id int);\n"))
	_, err := executor.Run(ctx(t), executor.Target{Config: cfg}, g, executor.Options{Phase: planner.PostDeploy})
	require.NoError(t, err)
	assert.Equal(t, []string{"0001_a"}, appliedIDs(t, admin, "public"))
}
