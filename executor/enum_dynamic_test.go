package executor_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/internal/pgtest"
	"github.com/safemigrate/safemigrate/planner"
)

// An enum value added by dynamic SQL (EXECUTE inside a DO block), which
// the analysis cannot see, and used by a later migration: applied one
// migration per transaction this deploy is valid, so neither the
// rehearsal nor an atomic run may refuse it.
func TestEnumValueAddedByDynamicSQLIsNotARefusal(t *testing.T) {
	t.Parallel()
	add := "-- safe: always\nDO $$ BEGIN EXECUTE 'ALTER TYPE mood ADD VALUE ''happy'''; END $$;\n"
	use := "-- safe: always\nINSERT INTO feelings VALUES ('happy');\n"
	after := "-- safe: always\nCREATE TABLE after (id int);\n"
	for _, atomic := range []bool{false, true} {
		name := "two passes"
		if atomic {
			name = "atomic"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			url, tg := fresh(t)
			conn := pgtest.Connect(t, url)
			_, err := executor.Run(ctx(t), tg, load(t, files("0001_base.sql", enumBase)), executor.Options{Phase: planner.PostDeploy})
			require.NoError(t, err)
			g := load(t, files("0001_base.sql", enumBase, "0002_add.sql", add, "0003_use.sql", use, "0004_after.sql", after))
			res, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy, Atomic: atomic})
			require.NoError(t, err)
			require.Equal(t, []string{"0002_add", "0003_use", "0004_after"}, res.Applied)
			require.Equal(t, 1, queryInt(t, conn, `SELECT count(*) FROM feelings WHERE m = 'happy'`))
			require.Equal(t, []string{"0001_base", "0002_add", "0003_use", "0004_after"}, appliedIDs(t, conn, "public"))
			if atomic {
				require.Equal(t, []string{"0002_add=ok", "0003_use=ok", "0004_after=ok"}, statuses(res.Preflight), "each migration reported once")
			} else {
				ms := res.Preflight.Migrations
				require.Equal(t, executor.StatusSkipped, ms[1].Status)
				require.Contains(t, ms[1].Notice, "enum value added by an earlier migration of this run (in dynamic SQL)")
			}
		})
	}
	t.Run("a migration that uses its own dynamic value still fails", func(t *testing.T) {
		t.Parallel()
		url, tg := fresh(t)
		conn := pgtest.Connect(t, url)
		_, err := executor.Run(ctx(t), tg, load(t, files("0001_base.sql", enumBase)), executor.Options{Phase: planner.PostDeploy})
		require.NoError(t, err)
		own := "-- safe: always\nDO $$ BEGIN EXECUTE 'ALTER TYPE mood ADD VALUE ''happy'''; END $$;\nINSERT INTO feelings VALUES ('happy');\n"
		g := load(t, files("0001_base.sql", enumBase, "0002_own.sql", own))
		_, err = executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy, Atomic: true})
		require.Error(t, err)
		require.Equal(t, []string{"0001_base"}, appliedIDs(t, conn, "public"))
	})
}
