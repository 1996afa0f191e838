package executor_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/internal/pgtest"
	"github.com/safemigrate/safemigrate/planner"
)

// tenants returns targets on tg's database with one tracking schema each.
func tenants(tg executor.Target, schemas ...string) []executor.Target {
	ts := make([]executor.Target, len(schemas))
	for i, s := range schemas {
		t := tg
		t.Schema, t.TrackingSchema, t.Name = s, s, s
		ts[i] = t
	}
	return ts
}

func TestLockSetsOverOverlappingTargetsTakeTurns(t *testing.T) {
	t.Parallel()
	_, tg := fresh(t)
	// Overlapping sets in different orders, all at once: ordered
	// acquisition means every one of them gets its locks in turn rather
	// than each holding a part and waiting for the rest.
	sets := [][]string{{"a", "b", "c"}, {"c", "b", "a"}, {"b", "d"}, {"d", "a"}}
	var wg sync.WaitGroup
	errs := make([]error, len(sets))
	for i, set := range sets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				l, err := executor.LockAll(ctx(t), tenants(tg, set...), executor.Options{LockWait: 10 * time.Second})
				if err != nil {
					errs[i] = err
					return
				}
				time.Sleep(5 * time.Millisecond)
				if err := l.Close(ctx(t)); err != nil {
					errs[i] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		assert.NoError(t, err, "set %v", sets[i])
	}
}

func TestLockSetExcludesSingleRunsAndOpensSessions(t *testing.T) {
	t.Parallel()
	url, tg := fresh(t)
	conn := pgtest.Connect(t, url)
	_, err := conn.Exec(ctx(t), `CREATE SCHEMA a; CREATE SCHEMA b`)
	require.NoError(t, err)
	ts := tenants(tg, "a", "b")
	l, err := executor.LockAll(ctx(t), ts, executor.Options{})
	require.NoError(t, err)
	assert.True(t, l.Holds(ts[1]))
	assert.False(t, l.Holds(tenants(tg, "c")[0]))

	_, err = executor.Open(ctx(t), ts[0], executor.Options{LockWait: -1})
	assert.ErrorIs(t, err, executor.ErrLockWait, "a single run on a locked tenant waits")

	g := load(t, files("0001_t.sql", "-- safe: always\nCREATE TABLE t (id int);\n"))
	s, err := l.Open(ctx(t), ts[1], executor.Options{Phase: planner.PostDeploy})
	require.NoError(t, err)
	plan, _, err := s.Plan(ctx(t), g)
	require.NoError(t, err)
	applied, err := s.Apply(ctx(t), plan)
	require.NoError(t, err)
	assert.Equal(t, []string{"0001_t"}, applied)
	require.NoError(t, s.Close(ctx(t)))
	assert.Equal(t, 2, queryInt(t, conn, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`), "closing a session keeps the set's locks")

	_, err = l.Open(ctx(t), tenants(tg, "c")[0], executor.Options{})
	assert.ErrorContains(t, err, "does not hold")

	require.NoError(t, l.Close(ctx(t)))
	assert.Zero(t, queryInt(t, conn, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`))
	s2, err := executor.Open(ctx(t), ts[0], executor.Options{LockWait: -1})
	require.NoError(t, err, "released")
	require.NoError(t, s2.Close(ctx(t)))
	assert.Equal(t, []string{"0001_t"}, appliedIDs(t, conn, "b"))
}

// TestLockSetStatesReadWhatEachTargetReads: the states a lock set reads
// for all its targets at once are what each target's own read finds:
// applied rows, detection times and progress rows, no tables at all, a
// schema without tracking tables, and an untrusted table refused for its
// target only.
func TestLockSetStatesReadWhatEachTargetReads(t *testing.T) {
	t.Parallel()
	url, tg := fresh(t)
	conn := pgtest.Connect(t, url)
	_, err := conn.Exec(ctx(t), `CREATE SCHEMA a; CREATE SCHEMA b; CREATE SCHEMA "C c"; CREATE SCHEMA d; CREATE SCHEMA e`)
	require.NoError(t, err)
	ts := tenants(tg, "a", "b", "C c", "d", "e")
	first := files(
		"0001_t.sql", "-- safe: always\nCREATE TABLE t (id int);\n",
		"0002_later.sql", "-- safe: after_deploy\n-- delay: 1h\nCREATE TABLE u (id int);\n",
	)
	all := files(
		"0001_t.sql", "-- safe: always\nCREATE TABLE t (id int);\n",
		"0002_later.sql", "-- safe: after_deploy\n-- delay: 1h\nCREATE TABLE u (id int);\n",
		"0003_nontx.sql", "-- safe: always\n-- transaction: false\nCREATE TABLE v (id int);\nSELECT 1/0;\n",
	)
	g := load(t, all)
	// a: applied, detected and a progress row (its 0003 stopped at
	// statement 2); "C c": applied, detected; b: nothing yet; e: untrusted.
	for _, i := range []int{0, 2} {
		_, err := executor.Run(ctx(t), ts[i], load(t, first), executor.Options{Phase: planner.PreDeploy})
		require.NoError(t, err)
	}
	_, err = executor.Run(ctx(t), ts[0], g, executor.Options{Phase: planner.PostDeploy, IgnoreDelays: true})
	require.ErrorIs(t, err, executor.ErrMigration)
	_, err = conn.Exec(ctx(t), `CREATE TABLE d.unrelated (id int);
CREATE TABLE e.safemigrate_migrations (id text PRIMARY KEY, checksum text NOT NULL, safe text NOT NULL, phase text NOT NULL,
	applied_at timestamptz NOT NULL DEFAULT now(), duration_ms integer NOT NULL);
CREATE RULE r AS ON INSERT TO e.safemigrate_migrations DO ALSO NOTIFY x`)
	require.NoError(t, err)

	l, err := executor.LockAll(ctx(t), ts, executor.Options{})
	require.NoError(t, err)
	defer l.Close(ctx(t))
	states, errs, err := l.States(ctx(t), ts)
	require.NoError(t, err)
	require.Len(t, states, len(ts))
	for i, target := range ts[:4] {
		require.NoError(t, errs[i], target.Name)
		want, err := executor.ReadState(ctx(t), target)
		require.NoError(t, err, target.Name)
		assert.Equal(t, want, states[i], target.Name)
	}
	assert.Len(t, states[0].Applied, 2)
	assert.Len(t, states[0].Detected, 1)
	assert.Len(t, states[0].Progress, 1)
	assert.Len(t, states[2].Applied, 1)
	assert.False(t, states[1].Exists)
	require.ErrorIs(t, errs[4], executor.ErrUntrustedTracking)
	assert.Contains(t, errs[4].Error(), "e.safemigrate_migrations has 1 rule(s)")
	assert.Nil(t, states[4])

	// A session of the set plans from its state as from its own read.
	s, err := l.Open(ctx(t), ts[0], executor.Options{Phase: planner.PostDeploy, IgnoreDelays: true})
	require.NoError(t, err)
	defer s.Close(ctx(t))
	from, err := s.PlanFrom(ctx(t), g, states[0])
	require.NoError(t, err)
	own, _, err := s.Plan(ctx(t), g)
	require.NoError(t, err)
	assert.Equal(t, own.Run, from.Run)
	assert.Equal(t, own.Applied, from.Applied)
}
