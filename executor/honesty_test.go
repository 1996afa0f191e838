package executor_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/internal/pgtest"
	"github.com/safemigrate/safemigrate/planner"
)

// Preflight honesty: what one transaction
// cannot rehearse is skipped, never failed; what apply would refuse,
// preflight refuses too.

const enumBase = "-- safe: always\nCREATE TYPE mood AS ENUM ('sad');\nCREATE TABLE feelings (m mood);\n"

func TestPreflightSkipsUseOfEnumValueAddedEarlier(t *testing.T) {
	t.Parallel()
	add := "-- safe: always\nALTER TYPE mood ADD VALUE 'happy';\n"
	use := "-- safe: always\nINSERT INTO feelings VALUES ('happy');\n"
	t.Run("valid deploy passes and applies", func(t *testing.T) {
		t.Parallel()
		url, tg := fresh(t)
		conn := pgtest.Connect(t, url)
		_, err := executor.Run(ctx(t), tg, load(t, files("0001_base.sql", enumBase)), executor.Options{Phase: planner.PostDeploy})
		require.NoError(t, err)
		g := load(t, files("0001_base.sql", enumBase, "0002_add.sql", add, "0003_use.sql", use,
			"0004_after.sql", "-- safe: always\nCREATE TABLE after (id int);\n"))
		res, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy})
		require.NoError(t, err)
		ms := res.Preflight.Migrations
		require.Len(t, ms, 3)
		require.Equal(t, executor.StatusOK, ms[0].Status)
		require.Equal(t, executor.StatusSkipped, ms[1].Status)
		require.Nil(t, ms[1].Error)
		require.Contains(t, ms[1].Notice, "enum value added by 0002_add earlier in this run")
		require.Contains(t, ms[1].Notice, "its own transaction")
		require.Equal(t, executor.StatusOK, ms[2].Status, "the migration after the skipped one is rehearsed")
		require.Equal(t, []string{"0002_add", "0003_use", "0004_after"}, res.Applied)
		require.Equal(t, 1, queryInt(t, conn, `SELECT count(*) FROM feelings WHERE m = 'happy'`))
	})
	t.Run("a later failure is still reported", func(t *testing.T) {
		t.Parallel()
		url, tg := fresh(t)
		conn := pgtest.Connect(t, url)
		_, err := executor.Run(ctx(t), tg, load(t, files("0001_base.sql", enumBase)), executor.Options{Phase: planner.PostDeploy})
		require.NoError(t, err)
		g := load(t, files("0001_base.sql", enumBase, "0002_add.sql", add, "0003_use.sql", use,
			"0004_bad.sql", "-- safe: always\nINSERT INTO missing VALUES (1);\n"))
		res, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy})
		require.ErrorIs(t, err, executor.ErrPreflight)
		ms := res.Preflight.Migrations
		require.Equal(t, executor.StatusSkipped, ms[1].Status)
		require.Equal(t, executor.StatusFailed, ms[2].Status)
		require.Equal(t, "42P01", ms[2].Error.SQLState)
		require.Contains(t, ms[2].Error.Hint, "0003_use")
		var pe *executor.PreflightError
		require.ErrorAs(t, err, &pe)
		require.Len(t, pe.Failures, 1)
		require.Equal(t, []string{"0001_base"}, appliedIDs(t, conn, "public"))
	})
	t.Run("adding and using in one migration fails", func(t *testing.T) {
		t.Parallel()
		_, tg := fresh(t)
		_, err := executor.Run(ctx(t), tg, load(t, files("0001_base.sql", enumBase)), executor.Options{Phase: planner.PostDeploy})
		require.NoError(t, err)
		g := load(t, files("0001_base.sql", enumBase, "0002_add.sql", add,
			"0003_both.sql", "-- safe: always\nALTER TYPE mood ADD VALUE 'calm';\nINSERT INTO feelings VALUES ('calm');\n"))
		res, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy})
		require.ErrorIs(t, err, executor.ErrPreflight)
		ms := res.Preflight.Migrations
		require.Equal(t, executor.StatusFailed, ms[1].Status, "apply fails on it too: a genuine failure")
		require.Equal(t, "55P04", ms[1].Error.SQLState)
		require.Equal(t, 2, ms[1].Error.Statement)
	})
}

const deferredBase = "-- safe: always\nCREATE TABLE parent (id int PRIMARY KEY);\n" +
	"CREATE TABLE child (id int, parent_id int REFERENCES parent DEFERRABLE INITIALLY DEFERRED);\n" +
	"CREATE TABLE strict_child (id int, parent_id int REFERENCES parent DEFERRABLE INITIALLY IMMEDIATE);\n"

func TestPreflightFiresPendingTriggerEvents(t *testing.T) {
	t.Parallel()
	t.Run("ALTER TABLE after deferred events", func(t *testing.T) {
		t.Parallel()
		url, tg := fresh(t)
		conn := pgtest.Connect(t, url)
		g := load(t, files("0001_base.sql", deferredBase,
			"0002_data.sql", "-- safe: always\nINSERT INTO parent VALUES (1);\nINSERT INTO child VALUES (1, 1);\n",
			"0003_alter.sql", "-- safe: always\nALTER TABLE child ADD COLUMN note text;\n",
			// Child before parent: valid only while the FK keeps its
			// declared deferred mode; also for a constraint created after
			// events were fired.
			"0004_more.sql", "-- safe: always\nINSERT INTO child VALUES (2, 7);\nINSERT INTO parent VALUES (7);\n",
			"0005_new_fk.sql", "-- safe: always\nCREATE TABLE grandchild (id int, child_parent int REFERENCES parent DEFERRABLE INITIALLY DEFERRED);\n"+
				"INSERT INTO grandchild VALUES (1, 8);\nINSERT INTO parent VALUES (8);\n",
		))
		res, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy})
		require.NoError(t, err)
		for _, m := range res.Preflight.Migrations {
			require.Equal(t, executor.StatusOK, m.Status, m.ID)
		}
		require.Len(t, res.Applied, 5)
		require.Equal(t, 1, queryInt(t, conn, `SELECT count(*) FROM information_schema.columns WHERE table_name = 'child' AND column_name = 'note'`))
	})
	t.Run("initially immediate stays immediate", func(t *testing.T) {
		t.Parallel()
		url, tg := fresh(t)
		conn := pgtest.Connect(t, url)
		g := load(t, files("0001_base.sql", deferredBase,
			"0002_data.sql", "-- safe: always\nINSERT INTO parent VALUES (1);\nINSERT INTO child VALUES (1, 1);\n",
			// Apply fails at statement 1: the FK is checked at once.
			"0003_strict.sql", "-- safe: always\nINSERT INTO strict_child VALUES (1, 9);\nINSERT INTO parent VALUES (9);\n",
		))
		res, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy})
		require.ErrorIs(t, err, executor.ErrPreflight)
		f := res.Preflight.Migrations[2]
		require.Equal(t, executor.StatusFailed, f.Status)
		require.Equal(t, "23503", f.Error.SQLState)
		require.Equal(t, 1, f.Error.Statement)
		require.Empty(t, appliedIDs(t, conn, "public"))
	})
}

// testRole creates a role for one test (roles are cluster-wide) that may
// create tables in public.
func testRole(t *testing.T, url string, conn *pgx.Conn) string {
	t.Helper()
	name := fmt.Sprintf("sm_role_%d", rand.Uint32())
	role := pgx.Identifier{name}.Sanitize()
	_, err := conn.Exec(ctx(t), "CREATE ROLE "+role+"; GRANT CREATE, USAGE ON SCHEMA public TO "+role)
	require.NoError(t, err)
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), url)
		if err != nil {
			t.Errorf("drop role %s: %v", name, err)
			return
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(context.Background(), "DROP OWNED BY "+role+"; DROP ROLE "+role); err != nil {
			t.Errorf("drop role %s: %v", name, err)
		}
	})
	return name
}

func TestPreflightRehearsesTheTrackingRow(t *testing.T) {
	t.Parallel()
	t.Run("SET ROLE without rights on the tracking table", func(t *testing.T) {
		t.Parallel()
		url, tg := fresh(t)
		conn := pgtest.Connect(t, url)
		role := testRole(t, url, conn)
		g := load(t, files("0001_t.sql", "-- safe: always\nCREATE TABLE t (id int);\n",
			"0002_role.sql", "-- safe: always\nCREATE TABLE u (id int);\n\nSET ROLE "+role+";\nCREATE TABLE v (id int);\n"))
		res, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy})
		require.ErrorIs(t, err, executor.ErrPreflight)
		f := res.Preflight.Migrations[1]
		require.Equal(t, executor.StatusFailed, f.Status)
		require.Equal(t, "42501", f.Error.SQLState)
		require.Contains(t, f.Error.Context, executor.MigrationsTable)
		require.Equal(t, 4, f.Error.Line, "points at the SET ROLE")
		require.Contains(t, f.Error.Hint, "SET ROLE")
		require.Contains(t, err.Error(), "0002_role.sql:4")
		require.Empty(t, appliedIDs(t, conn, "public"))
		require.Zero(t, queryInt(t, conn, `SELECT count(*) FROM pg_tables WHERE tablename IN ('t', 'u', 'v')`))
	})
	t.Run("dropping the tracking schema", func(t *testing.T) {
		t.Parallel()
		for _, applied := range []bool{false, true} {
			t.Run(fmt.Sprintf("tracking tables exist: %v", applied), func(t *testing.T) {
				t.Parallel()
				url, tg := fresh(t)
				conn := pgtest.Connect(t, url)
				base := files("0001_t.sql", "-- safe: always\nCREATE TABLE t (id int);\n")
				if applied {
					_, err := executor.Run(ctx(t), tg, load(t, base), executor.Options{Phase: planner.PostDeploy})
					require.NoError(t, err)
				}
				g := load(t, files("0001_t.sql", "-- safe: always\nCREATE TABLE t (id int);\n",
					"0002_reset.sql", "-- safe: always\nDROP SCHEMA public CASCADE;\nCREATE SCHEMA public;\n"))
				res, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy})
				require.ErrorIs(t, err, executor.ErrPreflight)
				f := res.Preflight.Migrations[len(res.Preflight.Migrations)-1]
				require.Equal(t, "0002_reset", f.ID)
				require.Equal(t, executor.StatusFailed, f.Status)
				require.Equal(t, "42P01", f.Error.SQLState)
				require.Equal(t, 2, f.Error.Line, "points at the DROP SCHEMA")
				require.Contains(t, f.Error.Hint, "tracking")
				if applied {
					require.Equal(t, []string{"0001_t"}, appliedIDs(t, conn, "public"))
				} else {
					require.Empty(t, appliedIDs(t, conn, "public"))
				}
			})
		}
	})
	t.Run("the role is reset between migrations", func(t *testing.T) {
		t.Parallel()
		url, tg := fresh(t)
		conn := pgtest.Connect(t, url)
		role := testRole(t, url, conn)
		me := queryStrings(t, conn, `SELECT current_user::text`)[0]
		g := load(t, files(
			"0001_role.sql", "-- safe: always\nCREATE TABLE a (id int);\nGRANT INSERT ON "+executor.MigrationsTable+" TO "+role+";\nSET ROLE "+role+";\nCREATE TABLE b (id int);\n",
			"0002_next.sql", "-- safe: always\nCREATE TABLE c (id int);\n"))
		res, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy})
		require.NoError(t, err)
		require.Equal(t, []string{"0001_role", "0002_next"}, res.Applied)
		require.Equal(t, []string{me, role, me},
			queryStrings(t, conn, `SELECT tableowner::text FROM pg_tables WHERE tablename IN ('a', 'b', 'c') ORDER BY tablename`))
	})
}

func TestSessionAuthorizationIsResetBetweenMigrations(t *testing.T) {
	t.Parallel()
	t.Run("SET SESSION AUTHORIZATION", func(t *testing.T) {
		t.Parallel()
		url, tg := fresh(t)
		conn := pgtest.Connect(t, url)
		role := testRole(t, url, conn)
		me := queryStrings(t, conn, `SELECT current_user::text`)[0]
		g := load(t, files(
			"0001_auth.sql", "-- safe: always\nGRANT INSERT ON "+executor.MigrationsTable+" TO "+role+";\nSET SESSION AUTHORIZATION "+role+";\nCREATE TABLE a (id int);\n",
			"0002_next.sql", "-- safe: always\nCREATE TABLE b (id int);\n"))
		_, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy})
		require.NoError(t, err)
		require.Equal(t, []string{role, me},
			queryStrings(t, conn, `SELECT tableowner::text FROM pg_tables WHERE tablename IN ('a', 'b') ORDER BY tablename`))
	})
	t.Run("a role without superuser runs", func(t *testing.T) {
		t.Parallel()
		url, tg := fresh(t)
		conn := pgtest.Connect(t, url)
		role := testRole(t, url, conn)
		// The test server checks passwords (scram-sha-256).
		_, err := conn.Exec(ctx(t), "ALTER ROLE "+pgx.Identifier{role}.Sanitize()+" LOGIN PASSWORD 'role-password'")
		require.NoError(t, err)
		tg.Config.User, tg.Config.Password = role, "role-password"
		g := load(t, files("0001_a.sql", "-- safe: always\nCREATE TABLE a (id int);\n", "0002_b.sql", "-- safe: always\nCREATE TABLE b (id int);\n"))
		res, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy})
		require.NoError(t, err)
		require.Equal(t, []string{"0001_a", "0002_b"}, res.Applied)
	})
}

// TestRoleLeftBehindDoesNotOwnTrackingTablesOrRunTheNextMigration: a
// transactional migration that ends in SET ROLE (granted what it needs to
// record itself) must not make the next `transaction: false` migration
// run as that role, nor the progress table (created by that migration)
// or the detection rows be that role's: the next run refused such a
// table, and the detection rows failed with permission denied.
func TestRoleLeftBehindDoesNotOwnTrackingTablesOrRunTheNextMigration(t *testing.T) {
	t.Parallel()
	url, tg := fresh(t)
	conn := pgtest.Connect(t, url)
	role := testRole(t, url, conn)
	me := queryStrings(t, conn, `SELECT current_user::text`)[0]
	_, err := executor.Run(ctx(t), tg, load(t, files("0000_z.sql", "-- safe: always\nCREATE TABLE z (id int);\n")), executor.Options{Phase: planner.PostDeploy})
	require.NoError(t, err)
	g := load(t, files(
		"0000_z.sql", "-- safe: always\nCREATE TABLE z (id int);\n",
		"0001_a.sql", "-- safe: always\nCREATE TABLE a (id int);\nGRANT INSERT, SELECT ON "+executor.MigrationsTable+" TO "+role+";\nGRANT CREATE ON SCHEMA public TO "+role+";\nSET ROLE "+role+";\n",
		"0002_b.sql", "-- safe: always\n-- transaction: false\nCREATE INDEX CONCURRENTLY IF NOT EXISTS a_idx ON a (id);\n",
		"0003_later.sql", "-- safe: after_deploy\n-- delay: 1h\nDROP TABLE z;\n",
	))
	res, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PreDeploy})
	require.NoError(t, err)
	require.Equal(t, []string{"0001_a", "0002_b"}, res.Applied)
	require.Equal(t, []string{"0003_later"}, res.Detected)
	require.Equal(t, []string{me, me, me}, queryStrings(t, conn,
		`SELECT tableowner::text FROM pg_tables WHERE tablename LIKE 'safemigrate%' ORDER BY tablename`), "every tracking table is the migrator's")
	require.Equal(t, []string{me}, queryStrings(t, conn,
		`SELECT pg_get_userbyid(c.relowner)::text FROM pg_class c WHERE c.relname = 'a_idx'`), "the next migration ran as the migrator")
	_, err = executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy, Now: func() time.Time { return time.Now().Add(2 * time.Hour) }})
	require.NoError(t, err, "the next run trusts the tables")
}
