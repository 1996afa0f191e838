package executor_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/internal/pgtest"
	"github.com/safemigrate/safemigrate/planner"
)

// Dynamic SQL the input check cannot read releases the run's advisory
// lock: every lock the session holds, or every hold of the migration lock
// by its key (read from pg_locks), or one of its two holds.
const (
	unlockAll = "DO $$ BEGIN EXECUTE 'SELECT pg_advisory_' || 'unlock_all()'; END $$;\n"
	unlockKey = "DO $$ DECLARE k bigint; r boolean; BEGIN\n" +
		"  SELECT (classid::bigint << 32) | objid::bigint INTO k FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'advisory' LIMIT 1;\n" +
		"  LOOP EXECUTE 'SELECT pg_advisory_' || 'unlock($1)' USING k INTO r; EXIT WHEN NOT r; END LOOP;\nEND $$;\n"
	unlockOnce = "DO $$ DECLARE k bigint; BEGIN\n" +
		"  SELECT (classid::bigint << 32) | objid::bigint INTO k FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'advisory' LIMIT 1;\n" +
		"  EXECUTE 'SELECT pg_advisory_' || 'unlock($1)' USING k;\nEND $$;\n"
	// lockStillHeld fails a migration unless its session holds an
	// advisory lock.
	lockStillHeld = "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'advisory' AND granted)" +
		" THEN RAISE EXCEPTION 'the migration lock is gone'; END IF; END $$;\n"
)

// TestMigrationReleasingTheLockIsRefusedAtRunTime: a migration that
// releases safemigrate's advisory lock fails in the pass that runs it
// (apply, preflight, atomic): nothing of it is committed, the error names
// it and says to remove the unlock, and the lock-free session runs
// nothing more.
func TestMigrationReleasingTheLockIsRefusedAtRunTime(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		unlock string
		opts   executor.Options
		// kept is what stays applied: 0001 is applied before 0002 runs,
		// unless a rehearsal of both comes first.
		kept []string
	}{
		{"apply/unlock_all", unlockAll, executor.Options{NoPreflight: true}, []string{"0001_a"}},
		{"apply/unlock_key", unlockKey, executor.Options{NoPreflight: true}, []string{"0001_a"}},
		{"preflight", unlockAll, executor.Options{}, []string{}},
		{"atomic", unlockKey, executor.Options{Atomic: true}, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			url, tg := fresh(t)
			conn := pgtest.Connect(t, url)
			g := load(t, files(
				"0001_a.sql", "-- safe: always\nCREATE TABLE a (id int);\n",
				"0002_unlock.sql", "-- safe: always\nCREATE TABLE b (id int);\n"+tc.unlock+"INSERT INTO a VALUES (1);\n",
				"0003_c.sql", "-- safe: always\nCREATE TABLE c (id int);\n",
			))
			opts := tc.opts
			opts.Phase = planner.PostDeploy
			log := &syncBuffer{}
			opts.Log = log
			_, err := executor.Run(ctx(t), tg, g, opts)
			require.Error(t, err)
			t.Log(err)
			if tc.unlock == unlockAll {
				// The check's own release of the lost lock warns; the
				// failure says it better. (unlockKey's loop warns too,
				// and that warning is the migration's.)
				assert.NotContains(t, log.String(), "you don't own a lock")
			}
			assert.Contains(t, err.Error(), "migration 0002_unlock released safemigrate's migration lock")
			assert.Contains(t, err.Error(), "remove the pg_advisory_unlock call from 0002_unlock.sql")
			assert.NotContains(t, err.Error(), "division by zero")
			var me *executor.MigrationError
			require.ErrorAs(t, err, &me)
			assert.Equal(t, "0002_unlock", me.ID)
			assert.Equal(t, tc.kept, appliedIDs(t, conn, "public"))
			assert.Empty(t, queryStrings(t, conn, `SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' AND tablename IN ('b', 'c')`),
				"nothing of 0002 committed, and 0003 did not run")
		})
	}
}

// TestNonTransactionalMigrationReleasingTheLockStops: in a transaction:
// false migration the statement after the one that released the lock
// does not run; the one that ran is recorded as done.
func TestNonTransactionalMigrationReleasingTheLockStops(t *testing.T) {
	t.Parallel()
	url, tg := fresh(t)
	conn := pgtest.Connect(t, url)
	g := load(t, files(
		"0001_nontx.sql", "-- safe: always\n-- transaction: false\n"+unlockAll+"CREATE TABLE after_unlock (id int);\n",
	))
	log := &syncBuffer{}
	_, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy, Log: log})
	require.Error(t, err)
	t.Log(err)
	assert.NotContains(t, log.String(), "you don't own a lock", "the check's own warning")
	assert.Contains(t, err.Error(), "migration 0001_nontx released safemigrate's migration lock")
	assert.Contains(t, err.Error(), "remove the pg_advisory_unlock call from 0001_nontx.sql")
	var me *executor.MigrationError
	require.ErrorAs(t, err, &me)
	assert.Equal(t, "0001_nontx", me.ID)
	assert.Empty(t, appliedIDs(t, conn, "public"))
	assert.Empty(t, queryStrings(t, conn, `SELECT tablename::text FROM pg_tables WHERE tablename = 'after_unlock'`), "the next statement did not run")
}

// TestSessionQueuedForTheLockDoesNotFailTheRun: another session blocked
// in pg_advisory_lock on the migration lock's key while a run applies
// (PostgreSQL queues it) changes nothing for the run: its check that the
// lock is still held must not take the lock again, which the queue would
// refuse.
func TestSessionQueuedForTheLockDoesNotFailTheRun(t *testing.T) {
	t.Parallel()
	g := load(t, files(
		"0001_slow.sql", "-- safe: always\nCREATE TABLE a (id int);\nSELECT pg_sleep(1.5);\n",
		"0002_b.sql", "-- safe: always\nCREATE TABLE b (id int);\n",
	))
	for name, opts := range map[string]executor.Options{"apply": {NoPreflight: true}, "two passes": {}, "atomic": {Atomic: true}} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			url, tg := fresh(t)
			conn := pgtest.Connect(t, url)
			waiter := pgtest.Connect(t, url)
			opts.Phase = planner.PostDeploy
			done := make(chan error, 1)
			go func() {
				_, err := executor.Run(ctx(t), tg, g, opts)
				done <- err
			}()
			// Queue behind the run's lock as soon as it holds it.
			var key int64
			require.Eventually(t, func() bool {
				err := conn.QueryRow(ctx(t), `SELECT (classid::bigint << 32) | objid::bigint FROM pg_locks
					WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()
					  AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) LIMIT 1`).Scan(&key)
				return err == nil
			}, 10*time.Second, 10*time.Millisecond)
			queued := make(chan error, 1)
			go func() {
				_, err := waiter.Exec(ctx(t), `SELECT pg_advisory_lock($1)`, key)
				queued <- err
			}()
			require.NoError(t, <-done)
			require.NoError(t, <-queued, "the queued session gets the lock once the run is over")
			assert.Equal(t, []string{"0001_slow", "0002_b"}, appliedIDs(t, conn, "public"))
		})
	}
}

// TestMigrationReleasingTheLockThenFailingIsBlamed: a migration that
// releases the lock and then fails skips the check at the end of its
// batch; the rehearsal checks after rolling it back, so that the release
// is its own and not the next migration's.
func TestMigrationReleasingTheLockThenFailingIsBlamed(t *testing.T) {
	t.Parallel()
	g := load(t, files(
		"0001_a.sql", "-- safe: always\nCREATE TABLE a (id int);\n",
		"0002_unlock.sql", "-- safe: always\n"+unlockAll+"SELECT 1/0;\n",
		"0003_c.sql", "-- safe: always\nCREATE TABLE c (id int);\n",
	))
	for name, opts := range map[string]executor.Options{"preflight": {}, "atomic": {Atomic: true}} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			url, tg := fresh(t)
			conn := pgtest.Connect(t, url)
			opts.Phase = planner.PostDeploy
			_, err := executor.Run(ctx(t), tg, g, opts)
			require.Error(t, err)
			var me *executor.MigrationError
			require.ErrorAs(t, err, &me)
			assert.Equal(t, "0002_unlock", me.ID)
			assert.Contains(t, me.Message, "migration 0002_unlock released safemigrate's migration lock")
			assert.Contains(t, me.Detail, "it also failed: statement 2 (line 3): division by zero (SQLSTATE 22012)")
			assert.Empty(t, appliedIDs(t, conn, "public"))
		})
	}
}

// TestMigrationReleasingOneHoldKeepsTheLock: the session holds the
// migration lock twice, so a migration that releases it once by its key
// still runs under the lock, as does the next one: one pass goes on. Two
// passes release it twice, once in the rehearsal and once on apply, and
// the apply refuses the migration.
func TestMigrationReleasingOneHoldKeepsTheLock(t *testing.T) {
	t.Parallel()
	g := load(t, files(
		"0001_once.sql", "-- safe: always\n"+unlockOnce+lockStillHeld,
		"0002_after.sql", "-- safe: always\n"+lockStillHeld+"CREATE TABLE after_once (id int);\n",
	))
	for _, tc := range []struct {
		name    string
		opts    executor.Options
		applied []string
	}{
		{"apply", executor.Options{NoPreflight: true}, []string{"0001_once", "0002_after"}},
		{"atomic", executor.Options{Atomic: true}, []string{"0001_once", "0002_after"}},
		{"two passes", executor.Options{}, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			url, tg := fresh(t)
			conn := pgtest.Connect(t, url)
			opts := tc.opts
			opts.Phase = planner.PostDeploy
			_, err := executor.Run(ctx(t), tg, g, opts)
			if len(tc.applied) == 2 {
				require.NoError(t, err)
			} else {
				var me *executor.MigrationError
				require.ErrorAs(t, err, &me)
				assert.Equal(t, "0001_once", me.ID)
			}
			assert.Equal(t, tc.applied, appliedIDs(t, conn, "public"))
		})
	}
}

// TestRefusedReleaseLeavesNoHold: a session whose migration released the
// lock holds none of it afterwards (the check's failure leaves no hold
// behind), and another session can take the lock while it stays open.
func TestRefusedReleaseLeavesNoHold(t *testing.T) {
	t.Parallel()
	url, tg := fresh(t)
	conn := pgtest.Connect(t, url)
	g := load(t, files(
		"0001_a.sql", "-- safe: always\nCREATE TABLE a (id int);\n",
		"0002_unlock.sql", "-- safe: always\n"+unlockOnce+unlockOnce,
	))
	s, err := executor.Open(ctx(t), tg, executor.Options{Phase: planner.PostDeploy, NoPreflight: true})
	require.NoError(t, err)
	defer s.Close(ctx(t))
	plan, _, err := s.Plan(ctx(t), g)
	require.NoError(t, err)
	_, err = s.Apply(ctx(t), plan)
	require.ErrorContains(t, err, "migration 0002_unlock released safemigrate's migration lock")
	require.NoError(t, s.ReleaseLock(ctx(t)))
	assert.Empty(t, queryStrings(t, conn, `SELECT mode FROM pg_locks WHERE locktype = 'advisory' AND pid <> pg_backend_pid()
		AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`), "the open session holds nothing")
}

// TestMigrationDroppingPreparedStatements: DEALLOCATE ALL in a migration
// drops every prepared statement of the session; safemigrate's own
// queries use none, so the run goes on. DISCARD ALL (transaction: false
// only) also releases the migration lock, and is refused as that.
func TestMigrationDroppingPreparedStatements(t *testing.T) {
	t.Parallel()
	t.Run("DEALLOCATE ALL", func(t *testing.T) {
		t.Parallel()
		url, tg := fresh(t)
		conn := pgtest.Connect(t, url)
		g := load(t, files(
			"0001_a.sql", "-- safe: always\nCREATE TABLE a (id int);\nDEALLOCATE ALL;\n",
			"0002_nontx.sql", "-- safe: always\n-- transaction: false\nDEALLOCATE ALL;\nCREATE TABLE b (id int);\n",
			"0003_c.sql", "-- safe: always\nCREATE TABLE c (id int);\n",
		))
		_, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy})
		require.NoError(t, err)
		assert.Equal(t, []string{"0001_a", "0002_nontx", "0003_c"}, appliedIDs(t, conn, "public"))
	})
	t.Run("DISCARD ALL", func(t *testing.T) {
		t.Parallel()
		url, tg := fresh(t)
		conn := pgtest.Connect(t, url)
		g := load(t, files(
			"0001_discard.sql", "-- safe: always\n-- transaction: false\nDISCARD ALL;\nCREATE TABLE after_discard (id int);\n",
		))
		_, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy})
		require.ErrorContains(t, err, "migration 0001_discard released safemigrate's migration lock")
		assert.Empty(t, queryStrings(t, conn, `SELECT tablename::text FROM pg_tables WHERE tablename = 'after_discard'`))
	})
}

// takeHolds is a migration that takes advisory locks of its own at
// session level, which outlive its transaction: two more holds of the
// migration lock (exclusive and shared) and one on another key.
const takeHolds = "-- safe: always\nDO $$ DECLARE k bigint; BEGIN\n" +
	"  SELECT (classid::bigint << 32) | objid::bigint INTO k FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'advisory' AND mode = 'ExclusiveLock' AND objid <> 4242 LIMIT 1;\n" +
	"  PERFORM pg_advisory_lock(k), pg_advisory_lock_shared(k), pg_advisory_lock(4242);\nEND $$;\n"

// TestMigrationsOwnAdvisoryLocksAreReleased: advisory locks a migration
// took go with the migration lock when the session releases it or moves
// to another target, so a fleet's worker does not keep other runs of a
// tenant it is done with waiting.
func TestMigrationsOwnAdvisoryLocksAreReleased(t *testing.T) {
	t.Parallel()
	url, tg := fresh(t)
	conn := pgtest.Connect(t, url)
	_, err := conn.Exec(ctx(t), `CREATE SCHEMA a; CREATE SCHEMA b; CREATE SCHEMA c`)
	require.NoError(t, err)
	ts := tenants(tg, "a", "b", "c")
	g := load(t, files("0001_holds.sql", takeHolds))
	opts := executor.Options{Phase: planner.PostDeploy, LockWait: -1}
	held := func() []string {
		t.Helper()
		return queryStrings(t, conn, `SELECT objid::text || ' ' || mode FROM pg_locks WHERE locktype = 'advisory' AND pid <> pg_backend_pid()
			AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) ORDER BY 1`)
	}

	s, err := executor.Open(ctx(t), ts[0], opts)
	require.NoError(t, err)
	defer s.Close(ctx(t))
	migrateOn(t, s, g)
	require.Len(t, held(), 3, "the migration's holds outlive its transaction: %v", held())
	require.NoError(t, s.Retarget(ctx(t), ts[1]))
	require.Len(t, held(), 1, "only b's lock: %v", held())
	other, err := executor.Open(ctx(t), ts[0], opts)
	require.NoError(t, err, "a is free at once")
	require.NoError(t, other.Close(ctx(t)))
	migrateOn(t, s, g)
	require.NoError(t, s.ReleaseLock(ctx(t)))
	assert.Empty(t, held(), "released, the session holds nothing")

	// A lock set's session: its migrations' locks go when it moves on;
	// the set's own locks stay with the set.
	l, err := executor.LockAll(ctx(t), ts, executor.Options{})
	require.NoError(t, err)
	defer l.Close(ctx(t))
	setLocks := held()
	require.Len(t, setLocks, 3)
	ls, err := l.Open(ctx(t), ts[2], opts)
	require.NoError(t, err)
	defer ls.Close(ctx(t))
	migrateOn(t, ls, g)
	require.Greater(t, len(held()), len(setLocks))
	require.NoError(t, l.Retarget(ctx(t), ls, ts[0]))
	assert.Equal(t, setLocks, held())
}
