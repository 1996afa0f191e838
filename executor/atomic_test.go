package executor_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/internal/pgtest"
	"github.com/safemigrate/safemigrate/planner"
)

func statuses(rep *executor.PreflightReport) []string {
	out := []string{}
	for _, m := range rep.Migrations {
		out = append(out, m.ID+"="+string(m.Status))
	}
	return out
}

func TestAtomicCommitsEverythingWithTrackingRowsOnce(t *testing.T) {
	t.Parallel()
	url, tg := fresh(t)
	conn := pgtest.Connect(t, url)
	_, err := conn.Exec(ctx(t), `CREATE SEQUENCE runs`)
	require.NoError(t, err)
	g := load(t, files(
		"0001_a.sql", "-- safe: always\nCREATE TABLE a (id int);\nSELECT pg_sleep(0.3);\n",
		"0002_b.sql", "-- safe: before_deploy\nINSERT INTO a VALUES (1);\nSELECT nextval('runs');\n",
		"0003_later.sql", "-- safe: after_deploy\n-- delay: 1d\nDROP TABLE a;\n",
	))
	var log syncBuffer
	res, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PreDeploy, Atomic: true, Log: &log})
	require.NoError(t, err, log.String())
	require.True(t, res.OK)
	require.Equal(t, []string{"0001_a", "0002_b"}, res.Applied)
	require.Equal(t, []string{"0003_later"}, res.Detected, "detection recorded as after any successful run")
	require.True(t, res.Preflight.Atomic)
	require.True(t, res.Preflight.OK)
	require.Equal(t, 1, res.Preflight.Attempts)
	require.Equal(t, []string{"0001_a=ok", "0002_b=ok"}, statuses(res.Preflight))
	require.Contains(t, log.String(), "atomic: committed 0001_a, 0002_b")

	require.Equal(t, []string{"0001_a", "0002_b"}, appliedIDs(t, conn, "public"))
	require.Equal(t, 1, queryInt(t, conn, `SELECT count(*) FROM a`))
	require.Equal(t, 1, queryInt(t, conn, `SELECT last_value FROM runs`), "every statement ran once: no separate rehearsal")
	// Each tracking row measures its own migration, not the transaction.
	require.GreaterOrEqual(t, queryInt(t, conn, `SELECT duration_ms FROM safemigrate_migrations WHERE id = '0001_a'`), 300)
	require.Less(t, queryInt(t, conn, `SELECT duration_ms FROM safemigrate_migrations WHERE id = '0002_b'`), 250)

	// Nothing left to do: a rerun is a no-op.
	res, err = executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PreDeploy, Atomic: true})
	require.NoError(t, err)
	require.Empty(t, res.Applied)
}

func TestAtomicFailureCommitsNothingAndReportsEveryFailure(t *testing.T) {
	t.Parallel()
	url, tg := fresh(t)
	conn := pgtest.Connect(t, url)
	g := load(t, files(
		"0001_a.sql", "-- safe: always\nCREATE TABLE a (id int);\n",
		"0002_bad.sql", "-- safe: always\nINSERT INTO a VALUES (1);\nINSERT INTO missing VALUES (1);\n",
		"0003_c.sql", "-- safe: always\nCREATE TABLE c (id int);\n",
		"0004_deferred.sql", "-- safe: always\nCREATE TABLE p (id int PRIMARY KEY);\n"+
			"CREATE TABLE ch (pid int REFERENCES p DEFERRABLE INITIALLY DEFERRED);\nINSERT INTO ch VALUES (1);\n",
		"0005_d.sql", "-- safe: always\nCREATE TABLE d (id int);\n",
	))
	var log syncBuffer
	res, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy, Atomic: true, Log: &log})
	require.ErrorIs(t, err, executor.ErrPreflight)
	var pe *executor.PreflightError
	require.ErrorAs(t, err, &pe)
	require.True(t, pe.Atomic)
	require.Len(t, pe.Failures, 2)
	require.Equal(t, "0002_bad", pe.Failures[0].ID)
	require.Equal(t, 2, pe.Failures[0].Statement)
	require.Equal(t, "0004_deferred", pe.Failures[1].ID)
	require.Equal(t, "23503", pe.Failures[1].SQLState)
	require.Contains(t, err.Error(), "nothing was applied")

	require.False(t, res.OK)
	require.Empty(t, res.Applied)
	require.Equal(t, []string{"0001_a=ok", "0002_bad=failed", "0003_c=ok", "0004_deferred=failed", "0005_d=ok"}, statuses(res.Preflight))
	require.Empty(t, appliedIDs(t, conn, "public"))
	require.Zero(t, queryInt(t, conn, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename IN ('a', 'c', 'd', 'p', 'ch')`),
		"nothing committed")
	require.NotContains(t, log.String(), "atomic: committed")
}

func TestAtomicSegmentsSplitAtEnumValueAndNonTransactional(t *testing.T) {
	t.Parallel()
	base := []string{
		"0001_type.sql", "-- safe: always\nCREATE TYPE mood AS ENUM ('a');\nCREATE TABLE t (m mood, id int);\n",
		"0002_enum.sql", "-- safe: always\nALTER TYPE mood ADD VALUE 'b';\n",
		"0003_use.sql", "-- safe: always\nINSERT INTO t VALUES ('b', 1);\n",
		"0004_cic.sql", "-- safe: always\n-- transaction: false\nCREATE INDEX CONCURRENTLY t_id ON t (id);\n",
	}
	t.Run("all pass", func(t *testing.T) {
		t.Parallel()
		url, tg := fresh(t)
		conn := pgtest.Connect(t, url)
		g := load(t, files(append(base, "0005_more.sql", "-- safe: always\nINSERT INTO t VALUES ('a', 2);\n")...))
		var log syncBuffer
		res, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy, Atomic: true, Log: &log})
		require.NoError(t, err, log.String())
		require.Equal(t, []string{"0001_type", "0002_enum", "0003_use", "0004_cic", "0005_more"}, res.Applied)
		require.Equal(t, []string{"0001_type=ok", "0002_enum=ok", "0003_use=ok", "0004_cic=ok", "0005_more=ok"}, statuses(res.Preflight))
		l := log.String()
		require.Contains(t, l, "atomic: committed 0001_type, 0002_enum\n")
		require.Contains(t, l, "atomic: committed 0003_use\n")
		require.Contains(t, l, "applied 0004_cic")
		require.Contains(t, l, "atomic: committed 0005_more\n")
		require.Equal(t, res.Applied, appliedIDs(t, conn, "public"))
		require.Equal(t, 2, queryInt(t, conn, `SELECT count(*) FROM t`))
		require.Equal(t, 1, queryInt(t, conn, `SELECT count(*) FROM pg_index WHERE indexrelid = 't_id'::regclass AND indisvalid`))
	})
	t.Run("later segment fails", func(t *testing.T) {
		t.Parallel()
		url, tg := fresh(t)
		conn := pgtest.Connect(t, url)
		g := load(t, files(append(base,
			"0005_bad.sql", "-- safe: always\nINSERT INTO t VALUES ('c', 2);\n",
			"0006_ok.sql", "-- safe: always\nCREATE TABLE u (id int);\n",
			"0007_bad.sql", "-- safe: always\nALTER TABLE nope ADD COLUMN x int;\n",
		)...))
		res, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy, Atomic: true})
		require.ErrorIs(t, err, executor.ErrMigration)
		require.NotErrorIs(t, err, executor.ErrPreflight, "something was applied")
		var part *executor.PartialError
		require.ErrorAs(t, err, &part)
		kept := []string{"0001_type", "0002_enum", "0003_use", "0004_cic"}
		require.Equal(t, kept, part.Applied)
		require.Equal(t, "0005_bad", part.Failed)
		var pe *executor.PreflightError
		require.ErrorAs(t, err, &pe)
		require.Len(t, pe.Failures, 2, "every failure of the segment reported")
		msg := err.Error()
		require.Contains(t, msg, "kept: 0001_type, 0002_enum, 0003_use, 0004_cic")
		require.Contains(t, msg, "0007_bad")
		require.NotContains(t, msg, "nothing was applied")

		require.Equal(t, kept, res.Applied)
		require.Equal(t, "0005_bad", res.Failed.ID)
		require.False(t, res.Preflight.OK)
		require.Equal(t, []string{"0001_type=ok", "0002_enum=ok", "0003_use=ok", "0004_cic=ok", "0005_bad=failed", "0006_ok=ok", "0007_bad=failed"}, statuses(res.Preflight))
		require.Equal(t, kept, appliedIDs(t, conn, "public"))
		require.Zero(t, queryInt(t, conn, `SELECT count(*) FROM pg_tables WHERE tablename = 'u'`), "the failing segment rolled back whole")
	})
}

func TestAtomicLockTimeoutReleasesLocksDuringBackoff(t *testing.T) {
	t.Parallel()
	url, tg := fresh(t)
	conn := pgtest.Connect(t, url)
	_, err := conn.Exec(ctx(t), `CREATE TABLE a (id int); CREATE TABLE b (id int); INSERT INTO a VALUES (1)`)
	require.NoError(t, err)

	blocker := pgtest.Connect(t, url)
	_, err = blocker.Exec(ctx(t), `BEGIN; LOCK TABLE b IN ACCESS EXCLUSIVE MODE`)
	require.NoError(t, err)

	migrating := tg
	migrating.Config = tg.Config.Copy()
	migrating.Config.RuntimeParams["application_name"] = "the-migration"
	g := load(t, files(
		"0001_a.sql", "-- safe: always\nALTER TABLE a ADD COLUMN x int;\n",
		"0002_b.sql", "-- safe: always\nALTER TABLE b ADD COLUMN y int;\n",
	))
	type outcome struct {
		res *executor.Result
		err error
	}
	done := make(chan outcome, 1)
	var log syncBuffer
	go func() {
		res, err := executor.Run(ctx(t), migrating, g, executor.Options{
			Phase: planner.PostDeploy, Atomic: true,
			LockTimeout: 500 * time.Millisecond, LockRetries: 1, RetryBackoff: 3 * time.Second, Log: &log,
		})
		done <- outcome{res, err}
	}()

	// The segment holds a's lock (0001) while 0002 waits for b; a third
	// session needs a and queues behind the segment.
	waitForLockWait(t, conn, "the-migration")
	third := pgtest.Connect(t, url)
	_, err = third.Exec(ctx(t), `SET application_name = 'the-reader'`)
	require.NoError(t, err)
	thirdDone := make(chan error, 1)
	go func() {
		_, err := third.Exec(context.Background(), `SELECT count(*) FROM a`)
		thirdDone <- err
	}()
	waitForLockWait(t, conn, "the-reader")

	// The lock timeout rolls the segment back: the reader gets through
	// while the run backs off, long before it can finish (b stays locked
	// until the reader is through).
	select {
	case err := <-thirdDone:
		require.NoError(t, err)
	case o := <-done:
		t.Fatalf("the run ended (%v) before the reader got through: the segment kept its locks", o.err)
	case <-time.After(20 * time.Second):
		t.Fatal("the reader never got through")
	}
	select {
	case o := <-done:
		t.Fatalf("the run ended before the blocker let go: %v", o.err)
	default:
	}
	require.Zero(t, queryInt(t, conn, `
SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
 WHERE a.application_name = 'the-migration' AND l.relation IN ('a'::regclass, 'b'::regclass)`), "no table lock held during the backoff")
	_, err = blocker.Exec(ctx(t), `ROLLBACK`)
	require.NoError(t, err)

	o := <-done
	require.NoError(t, o.err, log.String())
	require.Equal(t, []string{"0001_a", "0002_b"}, o.res.Applied)
	require.Equal(t, 2, o.res.Preflight.Attempts)
	require.Contains(t, log.String(), "rolled back the atomic transaction (every lock released)")
	require.Equal(t, []string{"0001_a", "0002_b"}, appliedIDs(t, conn, "public"))
}

func TestAtomicKilledMidSegmentRerunConverges(t *testing.T) {
	t.Parallel()
	url, tg := fresh(t)
	conn := pgtest.Connect(t, url)
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), childEnv+"="+url, "CHILD_ATOMIC=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	pid := waitForSleeper(t, conn)
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	_ = cmd.Wait()
	require.NotContains(t, stderr.String(), "atomic: committed", "killed before the segment committed")

	deadline := time.Now().Add(15 * time.Second)
	for queryInt(t, conn, `SELECT count(*) FROM pg_stat_activity WHERE pid = $1`, pid) > 0 {
		if time.Now().After(deadline) {
			t.Fatal("the killed run's backend is still running")
		}
		time.Sleep(50 * time.Millisecond)
	}
	require.Empty(t, appliedIDs(t, conn, "public"), "the segment was one transaction: nothing of it stayed")
	require.Zero(t, queryInt(t, conn, `SELECT count(*) FROM pg_tables WHERE tablename = 't'`))

	res, err := executor.Run(ctx(t), tg, longGraph(t), executor.Options{Phase: planner.PostDeploy, Atomic: true})
	require.NoError(t, err)
	require.Equal(t, []string{"0001_t", "0002_long"}, res.Applied)
	require.Equal(t, []string{"0001_t", "0002_long"}, appliedIDs(t, conn, "public"))
	require.Equal(t, 1, queryInt(t, conn, `SELECT c FROM t`))
}
