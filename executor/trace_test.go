package executor_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/internal/pgtest"
	"github.com/safemigrate/safemigrate/planner"
)

// traceBase is applied before each traced migration: two tables with a
// row each, a foreign-key-free start.
const traceBase = "-- safe: always\nCREATE TABLE t (id int PRIMARY KEY, v varchar(10), n int);\nINSERT INTO t VALUES (1, 'a', 1);\n" +
	"CREATE TABLE u (id int PRIMARY KEY, t_id int);\nINSERT INTO u VALUES (1, 1);\nCREATE SCHEMA \"Other\";\nCREATE TABLE \"Other\".\"Mixed\" (id int);\n"

// summarise prints a statement's trace as "LOCK relation, …; rewrites …".
func summarise(tr executor.StatementTrace) string {
	var locks []string
	for _, l := range tr.Locks {
		s := l.Mode + " " + l.Relation
		if l.AlreadyHeld {
			s += " (held)"
		}
		locks = append(locks, s)
	}
	s := strings.Join(locks, ", ")
	if len(tr.Rewrites) > 0 {
		s += "; rewrites " + strings.Join(tr.Rewrites, ", ")
	}
	return s
}

func TestTraceLocksAndRewrites(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		sql  string
		want []string // per statement
	}{
		{"add column", "ALTER TABLE t ADD COLUMN c int;", []string{"ACCESS EXCLUSIVE public.t"}},
		{"create index", "CREATE INDEX t_v ON t (v);", []string{"SHARE public.t"}},
		{"int to bigint rewrites", "ALTER TABLE t ALTER COLUMN id TYPE bigint;", []string{"ACCESS EXCLUSIVE public.t; rewrites public.t"}},
		{"wider varchar does not", "ALTER TABLE t ALTER COLUMN v TYPE varchar(20);", []string{"ACCESS EXCLUSIVE public.t"}},
		{"insert", "INSERT INTO t VALUES (2, 'b', 2);", []string{"ROW EXCLUSIVE public.t"}},
		{"select", "SELECT count(*) FROM t;", []string{"ACCESS SHARE public.t"}},
		{"foreign key", "ALTER TABLE u ADD CONSTRAINT u_t FOREIGN KEY (t_id) REFERENCES t;",
			[]string{"SHARE ROW EXCLUSIVE public.t, SHARE ROW EXCLUSIVE public.u"}},
		{"validate", "ALTER TABLE u ADD CONSTRAINT u_pos CHECK (id > 0) NOT VALID;\nALTER TABLE u VALIDATE CONSTRAINT u_pos;",
			[]string{"ACCESS EXCLUSIVE public.u", "SHARE UPDATE EXCLUSIVE public.u"}},
		{"vacuum full rewrites", "TRUNCATE u;", []string{"ACCESS EXCLUSIVE public.u; rewrites public.u"}},
		{"quoted names", `ALTER TABLE "Other"."Mixed" ADD COLUMN c int;`, []string{`ACCESS EXCLUSIVE "Other"."Mixed"`}},
		{"new table", "CREATE TABLE w (id int REFERENCES t);\nCREATE INDEX w_id ON w (id);\nINSERT INTO w VALUES (1);",
			[]string{"SHARE ROW EXCLUSIVE public.t", "", "ROW SHARE public.t"}},
		{"dropped table", "DROP TABLE u;", []string{"ACCESS EXCLUSIVE public.u"}},
		{"held by an earlier statement", "ALTER TABLE t ADD COLUMN c int;\nALTER TABLE t ADD COLUMN d int;\nCREATE INDEX t_c ON t (c);",
			[]string{"ACCESS EXCLUSIVE public.t", "ACCESS EXCLUSIVE public.t (held)", "SHARE public.t"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			url, tg := fresh(t)
			_, err := executor.Run(ctx(t), tg, load(t, files("0001_base.sql", traceBase)), executor.Options{Phase: planner.PostDeploy})
			require.NoError(t, err)
			before := pgtest.DumpSchema(t, url)

			g := load(t, files("0001_base.sql", traceBase, "0002_x.sql", "-- safe: always\n"+tc.sql+"\n"))
			res, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy, DryRun: true, Trace: true})
			require.NoError(t, err)
			require.Len(t, res.Preflight.Migrations, 1)
			m := res.Preflight.Migrations[0]
			var got []string
			for i, tr := range m.Trace {
				got = append(got, summarise(tr))
				assert.Equal(t, i+1, tr.Statement)
				assert.Equal(t, i+2, tr.Line)
			}
			assert.Equal(t, tc.want, got)
			assert.Equal(t, before, pgtest.DumpSchema(t, url), "the rehearsal is rolled back")
		})
	}
}

// TestTraceAcrossMigrations: every migration applies in a transaction of
// its own, so a lock an earlier migration of the rehearsal took is still
// reported for the later one, as already held.
func TestTraceAcrossMigrations(t *testing.T) {
	t.Parallel()
	_, tg := fresh(t)
	_, err := executor.Run(ctx(t), tg, load(t, files("0001_base.sql", traceBase)), executor.Options{Phase: planner.PostDeploy})
	require.NoError(t, err)
	g := load(t, files("0001_base.sql", traceBase,
		"0002_a.sql", "-- safe: always\nALTER TABLE t ADD COLUMN c int;\n",
		"0003_b.sql", "-- safe: always\nALTER TABLE t ADD COLUMN d int;\nSELECT 1/0;\n",
		"0004_c.sql", "-- safe: always\nALTER TABLE t ADD COLUMN d int;\n",
		"0005_d.sql", "-- safe: always\n-- transaction: false\nCREATE INDEX CONCURRENTLY t_d ON t (d);\n",
	))
	res, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy, DryRun: true, Trace: true})
	require.ErrorIs(t, err, executor.ErrPreflight)
	got := map[string][]string{}
	for _, m := range res.Preflight.Migrations {
		for _, tr := range m.Trace {
			got[m.ID] = append(got[m.ID], summarise(tr))
		}
	}
	assert.Equal(t, map[string][]string{
		"0002_a": {"ACCESS EXCLUSIVE public.t"},
		"0003_b": {"ACCESS EXCLUSIVE public.t (held)"}, // statement 2 failed: no trace for it
		"0004_c": {"ACCESS EXCLUSIVE public.t (held)"}, // d is free again: 0003 was rolled back
	}, got, "0005 is skipped on the target")
	assert.Equal(t, executor.StatusFailed, res.Preflight.Migrations[1].Status)
	assert.Equal(t, 2, res.Preflight.Migrations[1].Error.Statement)
}

func TestTraceMasksPasswordsAndCutsLongStatements(t *testing.T) {
	t.Parallel()
	_, tg := fresh(t)
	long := "SELECT " + strings.Repeat("1 + ", 100) + "1"
	role := fmt.Sprintf("trace_role_%d", len(t.Name()))
	g := load(t, files("0001_x.sql", "-- safe: always\nCREATE ROLE "+role+" PASSWORD 'hunter2';\n"+long+";\n"))
	res, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy, DryRun: true, Trace: true})
	require.NoError(t, err)
	tr := res.Preflight.Migrations[0].Trace
	require.Len(t, tr, 2)
	assert.NotContains(t, tr[0].SQL, "hunter2")
	assert.Len(t, []rune(tr[1].SQL), executor.MaxQueryText)
	assert.True(t, strings.HasSuffix(tr[1].SQL, "…"))
}

// TestTraceOfARehearsedConcurrentIndex: on a copy, CREATE INDEX
// CONCURRENTLY is rehearsed as CREATE INDEX, whose SHARE lock is not the
// real statement's; the trace lists the real one.
func TestTraceOfARehearsedConcurrentIndex(t *testing.T) {
	t.Parallel()
	_, target := fresh(t)
	_, copyTarget := fresh(t)
	for _, tg := range []executor.Target{target, copyTarget} {
		_, err := executor.Run(ctx(t), tg, load(t, files("0001_base.sql", traceBase)), executor.Options{Phase: planner.PostDeploy})
		require.NoError(t, err)
	}
	g := load(t, files("0001_base.sql", traceBase,
		"0002_index.sql", "-- safe: always\n-- transaction: false\nCREATE INDEX CONCURRENTLY t_v ON t (v);\n"))
	opts := executor.Options{Phase: planner.PostDeploy, Trace: true}
	res, err := executor.Prepare(ctx(t), target, g, opts)
	require.NoError(t, err)
	require.NoError(t, executor.Rehearse(ctx(t), copyTarget, res, opts))
	tr := res.Preflight.Migrations[0].Trace
	require.Len(t, tr, 1)
	assert.Equal(t, "SHARE UPDATE EXCLUSIVE public.t", summarise(tr[0]))
	assert.Contains(t, tr[0].Note, "rehearsed without CONCURRENTLY")
	assert.Equal(t, "CREATE INDEX CONCURRENTLY t_v ON t (v)", tr[0].SQL, "the statement as written")
}
