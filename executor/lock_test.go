package executor_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/internal/pgtest"
	"github.com/safemigrate/safemigrate/planner"
)

func TestConcurrentRunsApplyEachMigrationOnce(t *testing.T) {
	t.Parallel()
	url, tg := fresh(t)
	conn := pgtest.Connect(t, url)
	_, err := conn.Exec(ctx(t), `CREATE TABLE runs (id text)`)
	require.NoError(t, err)
	var kv []string
	for i := 1; i <= 10; i++ {
		kv = append(kv, fmt.Sprintf("%04d_m.sql", i), fmt.Sprintf(
			"-- safe: always\nCREATE TABLE t%d (id int);\nINSERT INTO runs VALUES ('%04d_m');\nSELECT pg_sleep(0.02);\n", i, i))
	}
	g := load(t, files(kv...))

	const n = 8
	var wg sync.WaitGroup
	results := make([]*executor.Result, n)
	errs := make([]error, n)
	logs := make([]syncBuffer, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy, Log: &logs[i]})
		}()
	}
	wg.Wait()
	total := 0
	waited := 0
	for i := range n {
		require.NoError(t, errs[i], "run %d", i)
		total += len(results[i].Applied)
		if strings.Contains(logs[i].String(), "waiting for the migration lock") {
			waited++
		}
	}
	require.Equal(t, 10, total, "every migration applied by exactly one run")
	require.Positive(t, waited, "some runs said they waited")
	require.Len(t, appliedIDs(t, conn, "public"), 10)
	require.Zero(t, queryInt(t, conn, `SELECT count(*) FROM (SELECT id FROM runs GROUP BY id HAVING count(*) <> 1) x`))
	require.Equal(t, 10, queryInt(t, conn, `SELECT count(*) FROM runs`))
}

func TestLockWaitSaysForWhomThenGivesUp(t *testing.T) {
	t.Parallel()
	_, tg := fresh(t)
	g := load(t, files("0001_a.sql", "-- safe: always\nCREATE TABLE a (id int);\n"))
	holder := tg
	holder.Config = tg.Config.Copy()
	holder.Config.RuntimeParams["application_name"] = "deploy-42"
	s, err := executor.Open(ctx(t), holder, executor.Options{Phase: planner.PostDeploy})
	require.NoError(t, err)

	var log syncBuffer
	start := time.Now()
	_, err = executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy, LockWait: 300 * time.Millisecond, Log: &log})
	require.ErrorIs(t, err, executor.ErrLockWait)
	require.GreaterOrEqual(t, time.Since(start), 300*time.Millisecond)
	var lw *executor.LockWaitError
	require.ErrorAs(t, err, &lw)
	require.NotNil(t, lw.Holder)
	require.Equal(t, "deploy-42", lw.Holder.Application)
	require.Contains(t, log.String(), "waiting for the migration lock")
	require.Contains(t, log.String(), `application "deploy-42"`)
	require.Contains(t, err.Error(), fmt.Sprintf("pid %d", lw.Holder.PID))

	// Released while a run waits: that run proceeds. The lock is released
	// only once the run says it waits, so the run must have waited.
	log = syncBuffer{}
	type outcome struct {
		res *executor.Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy, LockWait: 30 * time.Second, Log: &log})
		done <- outcome{res, err}
	}()
	require.Eventually(t, func() bool { return strings.Contains(log.String(), "waiting for the migration lock") },
		20*time.Second, 10*time.Millisecond, "the second run never said it waits for the lock: %s", log.String())
	require.NoError(t, s.Close(context.Background()))
	o := <-done
	res, err := o.res, o.err
	require.NoError(t, err)
	require.Equal(t, []string{"0001_a"}, res.Applied)
	require.Contains(t, log.String(), "got the migration lock after waiting")
}

// TestLockTimeoutNamesBlocker holds a table in ACCESS EXCLUSIVE from
// another session: the migration gives up after its lock timeout and
// retries, naming the blocker, and a third session's query on the table
// is never queued behind the migration for longer than the lock timeout.
func TestLockTimeoutNamesBlocker(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		noPreflight bool
	}{{"apply", true}, {"preflight", false}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			const lockTimeout = 300 * time.Millisecond
			url, tg := fresh(t)
			conn := pgtest.Connect(t, url)
			_, err := conn.Exec(ctx(t), `CREATE TABLE t (id int); INSERT INTO t VALUES (1)`)
			require.NoError(t, err)

			blocker := pgtest.Connect(t, url)
			_, err = blocker.Exec(ctx(t), `SET application_name = 'the-blocker'`)
			require.NoError(t, err)
			_, err = blocker.Exec(ctx(t), `BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE`)
			require.NoError(t, err)
			blockerPID := int(blocker.PgConn().PID())

			migrating := tg
			migrating.Config = tg.Config.Copy()
			migrating.Config.RuntimeParams["application_name"] = "the-migration"
			g := load(t, files("0001_alter.sql", "-- safe: always\nSELECT 1;\nALTER TABLE t ADD COLUMN x int;\n"))
			type outcome struct {
				res *executor.Result
				err error
			}
			done := make(chan outcome, 1)
			var log syncBuffer
			start := time.Now()
			go func() {
				res, err := executor.Run(ctx(t), migrating, g, executor.Options{
					Phase: planner.PostDeploy, NoPreflight: tc.noPreflight,
					LockTimeout: lockTimeout, LockRetries: 2, RetryBackoff: 100 * time.Millisecond, Log: &log,
				})
				done <- outcome{res, err}
			}()

			// The third session queries t while the migration waits.
			migPID := waitForLockWait(t, conn, "the-migration")
			third := pgtest.Connect(t, url)
			thirdPID := int(third.PgConn().PID())
			thirdDone := make(chan error, 1)
			go func() {
				_, err := third.Exec(context.Background(), `SELECT count(*) FROM t`)
				thirdDone <- err
			}()
			// Watch whom the third session waits for.
			var longest, current time.Duration
			last := time.Now()
			var o outcome
		watch:
			for {
				select {
				case o = <-done:
					break watch
				default:
				}
				var pids []int32
				err := conn.QueryRow(ctx(t), `SELECT pg_blocking_pids($1)`, thirdPID).Scan(&pids)
				require.NoError(t, err)
				now := time.Now()
				if containsPID(pids, migPID) {
					current += now.Sub(last)
					longest = max(longest, current)
				} else {
					current = 0
				}
				last = now
				time.Sleep(10 * time.Millisecond)
			}
			elapsed := time.Since(start)
			_, err = blocker.Exec(ctx(t), `ROLLBACK`)
			require.NoError(t, err)
			require.NoError(t, <-thirdDone)

			require.LessOrEqual(t, longest, lockTimeout+150*time.Millisecond, "third session queued behind the migration for %s", longest)
			require.GreaterOrEqual(t, elapsed, 3*lockTimeout, "three attempts")
			require.Error(t, o.err)
			var me *executor.MigrationError
			require.ErrorAs(t, o.err, &me)
			require.Equal(t, "55P03", me.SQLState)
			require.Equal(t, 2, me.Statement)
			require.Equal(t, 3, me.Attempts)
			require.NotEmpty(t, me.Blockers, "blocker named")
			require.Equal(t, blockerPID, me.Blockers[0].PID)
			require.Equal(t, "the-blocker", me.Blockers[0].Application)
			require.Equal(t, "idle in transaction", me.Blockers[0].State)
			require.Contains(t, me.Blockers[0].Query, "LOCK TABLE t IN ACCESS EXCLUSIVE MODE")
			msg := o.err.Error()
			require.Contains(t, msg, fmt.Sprintf("blocked by pid %d", blockerPID))
			require.Contains(t, msg, `application "the-blocker"`)
			require.Contains(t, log.String(), "lock timeout")
			if tc.noPreflight {
				require.ErrorIs(t, o.err, executor.ErrMigration)
				require.Equal(t, "0001_alter", o.res.Failed.ID)
			} else {
				require.ErrorIs(t, o.err, executor.ErrPreflight)
				require.Equal(t, 3, o.res.Preflight.Attempts)
			}
			require.Empty(t, appliedIDs(t, conn, "public"))
		})
	}
}

// waitForLockWait waits until the session named app waits for a lock and
// returns its pid.
func waitForLockWait(t *testing.T, conn *pgx.Conn, app string) int {
	t.Helper()
	return pgtest.WaitForSession(t, conn, "is named "+app+" and waits for a lock",
		`application_name = $1 AND wait_event_type = 'Lock'`, app)
}

func containsPID(pids []int32, pid int) bool {
	for _, p := range pids {
		if int(p) == pid {
			return true
		}
	}
	return false
}

// TestCloseWaitsForTheBackendToExit: when Close returns, the session's
// backend is gone from pg_stat_activity, so that a fleet opening its next
// connection to the server right away never has one more than
// --jobs-per-server there (found flaky in TestDatabaseFleetAcrossTwoServers).
func TestCloseWaitsForTheBackendToExit(t *testing.T) {
	t.Parallel()
	url, tg := fresh(t)
	conn := pgtest.Connect(t, url)
	for range 3 {
		s, err := executor.Open(ctx(t), tg, executor.Options{})
		require.NoError(t, err)
		// Temporary tables make the backend's exit slow (it drops them
		// first), so that a close that does not wait shows.
		require.NoError(t, s.ExecForTest(ctx(t), `DO $$ BEGIN FOR i IN 1..1500 LOOP EXECUTE format('CREATE TEMP TABLE t%s (id int)', i); END LOOP; END $$`))
		pid := s.BackendPID()
		require.NoError(t, s.Close(ctx(t)))
		require.Equal(t, 0, queryInt(t, conn, fmt.Sprintf(`SELECT count(*) FROM pg_stat_activity WHERE pid = %d`, pid)), "backend %d still listed after Close", pid)
	}
}
