package executor_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/internal/pgtest"
	"github.com/safemigrate/safemigrate/planner"
)

// TestInterruptedRunSaysSo cancels the run's context (what SIGINT and
// SIGTERM do in the CLI) while a migration sleeps: the run stops, the
// migration is rolled back, the lock is free, and the error says the run
// was interrupted rather than that the connection was lost.
func TestInterruptedRunSaysSo(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		noPreflight bool
		applied     []string
	}{
		{"during apply", true, []string{"0001_t"}},
		{"during preflight", false, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			url, tg := fresh(t)
			conn := pgtest.Connect(t, url)
			long := tg
			long.Config = tg.Config.Copy()
			long.Config.RuntimeParams["application_name"] = "long-one"
			runCtx, cancel := context.WithCancel(ctx(t))
			done := make(chan error, 1)
			go func() {
				_, err := executor.Run(runCtx, long, longGraph(t), executor.Options{Phase: planner.PostDeploy, NoPreflight: tc.noPreflight})
				done <- err
			}()
			waitForSleeper(t, conn)
			cancel()
			var err error
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("the interrupted run did not stop")
			}
			require.ErrorIs(t, err, context.Canceled)
			msg := err.Error()
			require.Contains(t, msg, "interrupted")
			require.NotContains(t, msg, "lost the connection")
			require.NotContains(t, msg, "fix it", "there is nothing to fix after an interruption")
			require.Contains(t, msg, "run again")
			require.Equal(t, tc.applied, appliedIDs(t, conn, "public"))
			require.Zero(t, queryInt(t, conn, `SELECT count(*) FROM information_schema.columns WHERE table_name = 't' AND column_name = 'c'`))

			// The lock is free at once.
			s, err := executor.Open(ctx(t), tg, executor.Options{Phase: planner.PostDeploy, LockWait: 100 * time.Millisecond})
			require.NoError(t, err)
			require.NoError(t, s.Close(ctx(t)))
		})
	}
}

func TestInterruptedLockWaitSaysSo(t *testing.T) {
	t.Parallel()
	_, tg := fresh(t)
	holder, err := executor.Open(ctx(t), tg, executor.Options{Phase: planner.PostDeploy})
	require.NoError(t, err)
	defer holder.Close(context.Background())

	runCtx, cancel := context.WithCancel(ctx(t))
	time.AfterFunc(200*time.Millisecond, cancel)
	g := load(t, files("0001_a.sql", "-- safe: always\nCREATE TABLE a (id int);\n"))
	_, err = executor.Run(runCtx, tg, g, executor.Options{Phase: planner.PostDeploy, LockWait: time.Minute})
	require.ErrorIs(t, err, context.Canceled)
	require.Contains(t, err.Error(), "interrupted while waiting for the migration lock")
	require.Contains(t, err.Error(), "nothing was run")
}

func TestInterruptedNonTransactionalSaysWhereItResumes(t *testing.T) {
	t.Parallel()
	url, tg := fresh(t)
	conn := pgtest.Connect(t, url)
	long := tg
	long.Config = tg.Config.Copy()
	long.Config.RuntimeParams["application_name"] = "long-one"
	g := load(t, files(
		"0001_t.sql", "-- safe: always\nCREATE TABLE t (id int);\n",
		"0002_long.sql", "-- safe: always\n-- transaction: false\nALTER TABLE t ADD COLUMN c int;\n"+
			"SELECT pg_sleep(CASE WHEN current_setting('application_name') = 'long-one' THEN 60 ELSE 0 END);\n"+
			"ALTER TABLE t ADD COLUMN d int;\n",
	))
	runCtx, cancel := context.WithCancel(ctx(t))
	done := make(chan error, 1)
	go func() {
		_, err := executor.Run(runCtx, long, g, executor.Options{Phase: planner.PostDeploy})
		done <- err
	}()
	waitForSleeper(t, conn)
	cancel()
	err := <-done
	require.ErrorIs(t, err, context.Canceled)
	msg := err.Error()
	require.Contains(t, msg, "interrupted")
	require.NotContains(t, msg, "rolled back", "statements outside a transaction are not rolled back")
	require.Contains(t, msg, "resume")
	require.Equal(t, []string{"0001_t"}, appliedIDs(t, conn, "public"))

	res, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy})
	require.NoError(t, err)
	require.Equal(t, []string{"0002_long"}, res.Applied)
}
