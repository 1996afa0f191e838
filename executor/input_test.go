package executor_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/internal/pgtest"
	"github.com/safemigrate/safemigrate/planner"
)

// TestInputErrorsBeforeAnythingRuns: `COPY t FROM STDIN;` hung forever in
// preflight, apply and `transaction: false`, holding ACCESS EXCLUSIVE and
// the migration lock. It and the other files that cannot run through
// safemigrate (psql meta-commands, inline COPY data, COPY TO STDOUT,
// pg_advisory_unlock_all) are input errors found before any SQL of any
// migration is sent, on every run path.
func TestInputErrorsBeforeAnythingRuns(t *testing.T) {
	t.Parallel()
	bad := []struct {
		name, sql string
		line      int
		want      string
	}{
		{"copy from stdin", "-- safe: always\nALTER TABLE a ADD COLUMN b int;\nCOPY a FROM STDIN;\n", 3, "COPY ... FROM STDIN"},
		{"copy inline data", "-- safe: always\n\nCOPY a (id) FROM stdin;\n1\n2\n\\.\n", 3, "inline data"},
		{"copy to stdout", "-- safe: always\nCOPY (SELECT 1) TO STDOUT;\n", 2, "TO STDOUT"},
		{"meta-command", "-- safe: always\nSELECT 1;\n\\i more.sql\n", 3, `psql meta-command \i`},
		{"unlock all", "-- safe: always\nSELECT 1;\n\nSELECT pg_advisory_unlock_all();\n", 4, "pg_advisory_unlock_all()"},
		{"non-transactional copy", "-- safe: always\n-- transaction: false\nCOPY a FROM STDIN;\n", 3, "COPY ... FROM STDIN"},
	}
	paths := []struct {
		name string
		opts executor.Options
	}{
		{"preflight and apply", executor.Options{}},
		{"apply only", executor.Options{NoPreflight: true}},
		{"dry run", executor.Options{DryRun: true}},
		{"trace", executor.Options{DryRun: true, Trace: true}},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			url, tg := fresh(t)
			conn := pgtest.Connect(t, url)
			g := load(t, files(
				"0001_a.sql", "-- safe: always\nCREATE TABLE a (id int);\n",
				"0002_bad.sql", b.sql,
			))
			check := func(t *testing.T, err error, took time.Duration) {
				t.Helper()
				require.Error(t, err)
				assert.True(t, errors.Is(err, executor.ErrInput), "%T %v", err, err)
				assert.Contains(t, err.Error(), fmt.Sprintf("0002_bad.sql:%d:", b.line))
				assert.Contains(t, err.Error(), b.want)
				assert.Less(t, took, 10*time.Second, "promptly")
				assert.Zero(t, queryInt(t, conn, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`), "nothing applied, not even 0001 or the tracking tables")
				// pg_locks is cluster-wide: only this database's locks count.
				assert.Eventually(t, func() bool {
					return queryInt(t, conn, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`) == 0
				}, 5*time.Second, 50*time.Millisecond, "no migration lock left")
			}
			for _, p := range paths {
				t.Run(p.name, func(t *testing.T) {
					opts := p.opts
					opts.Phase = planner.PostDeploy
					c, cancel := context.WithTimeout(ctx(t), 20*time.Second)
					defer cancel()
					start := time.Now()
					_, err := executor.Run(c, tg, g, opts)
					check(t, err, time.Since(start))
				})
			}
			t.Run("prepare for a rehearsal", func(t *testing.T) {
				start := time.Now()
				_, err := executor.Prepare(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy})
				check(t, err, time.Since(start))
			})
			t.Run("session steps", func(t *testing.T) {
				s, err := executor.Open(ctx(t), tg, executor.Options{Phase: planner.PostDeploy, RehearseNonTransactional: true})
				require.NoError(t, err)
				plan, _, err := s.Plan(ctx(t), g)
				require.NoError(t, err)
				start := time.Now()
				_, err = s.Preflight(ctx(t), plan)
				require.Error(t, err)
				assert.True(t, errors.Is(err, executor.ErrInput), "Preflight without Check: %v", err)
				applied, err := s.Apply(ctx(t), plan)
				assert.Empty(t, applied)
				require.NoError(t, s.Close(ctx(t)))
				check(t, err, time.Since(start))
			})
		})
	}
}

// TestInputErrorListsEveryFile: one run names every file that cannot run,
// with its line, and says nothing ran.
func TestInputErrorListsEveryFile(t *testing.T) {
	t.Parallel()
	_, tg := fresh(t)
	g := load(t, files(
		"0001_a.sql", "-- safe: always\nCOPY a FROM STDIN;\n",
		"0002_b.sql", "-- safe: always\nSELECT 1;\n\\set x 1\n",
		"0003_c.sql", "-- safe: always\nSELECT 1;\n",
	))
	_, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy})
	var ie *executor.InputError
	require.ErrorAs(t, err, &ie)
	require.Len(t, ie.Failures, 2)
	msg := err.Error()
	assert.Contains(t, msg, "0001_a.sql:2:")
	assert.Contains(t, msg, "0002_b.sql:3:")
	assert.Contains(t, msg, "nothing was run")
	assert.Contains(t, msg, "INSERT ... VALUES", "says what to do instead")
	assert.Equal(t, 1, strings.Count(msg, "0002_b.sql"))
}
