package executor_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/graph"
	"github.com/safemigrate/safemigrate/internal/pgtest"
	"github.com/safemigrate/safemigrate/planner"
)

// longFS has a second migration that sleeps for a minute after changing
// the schema, but only in a session named "long-one"; reruns pass through.
func longFS() map[string]string {
	return map[string]string{
		"0001_t.sql": "-- safe: always\nCREATE TABLE t (id int);\nINSERT INTO t VALUES (1);\n",
		"0002_long.sql": "-- safe: always\nALTER TABLE t ADD COLUMN c int;\nUPDATE t SET c = 1;\n" +
			"SELECT pg_sleep(CASE WHEN current_setting('application_name') = 'long-one' THEN 60 ELSE 0 END);\n",
	}
}

func longGraph(t testing.TB) *graph.Graph {
	kv := []string{}
	for k, v := range longFS() {
		kv = append(kv, k, v)
	}
	return load(t, files(kv...))
}

// runChild is the child process of TestKilledProcessLeavesNoPartialChange:
// it applies longFS to url as application "long-one" until it is killed.
func runChild(url string) int {
	tg, err := executor.ParseTarget(url)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	tg.Config.RuntimeParams["application_name"] = "long-one"
	kv := []string{}
	for k, v := range longFS() {
		kv = append(kv, k, v)
	}
	g := load(childTB{}, files(kv...))
	_, err = executor.Run(context.Background(), tg, g, executor.Options{
		Phase: planner.PostDeploy, NoPreflight: os.Getenv("CHILD_NO_PREFLIGHT") != "", Atomic: os.Getenv("CHILD_ATOMIC") != "", Log: os.Stderr,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// waitForSleeper waits until a session named long-one runs pg_sleep and
// returns its pid.
func waitForSleeper(t *testing.T, conn *pgx.Conn) int {
	t.Helper()
	return pgtest.WaitForSession(t, conn, "runs the migration's pg_sleep",
		`application_name = 'long-one' AND state = 'active' AND query LIKE '%pg_sleep%'`)
}

func TestKilledProcessLeavesNoPartialChange(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		noPreflight bool
		applied     []string // after the kill
	}{
		{"during apply", true, []string{"0001_t"}},
		{"during preflight", false, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			url, tg := fresh(t)
			conn := pgtest.Connect(t, url)
			cmd := exec.Command(os.Args[0])
			cmd.Env = append(os.Environ(), childEnv+"="+url)
			if tc.noPreflight {
				cmd.Env = append(cmd.Env, "CHILD_NO_PREFLIGHT=1")
			}
			require.NoError(t, cmd.Start())
			pid := waitForSleeper(t, conn)
			require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
			_ = cmd.Wait()

			// The orphaned backend notices the dead client and rolls back.
			deadline := time.Now().Add(15 * time.Second)
			for queryInt(t, conn, `SELECT count(*) FROM pg_stat_activity WHERE pid = $1`, pid) > 0 {
				if time.Now().After(deadline) {
					t.Fatal("the killed run's backend is still running")
				}
				time.Sleep(50 * time.Millisecond)
			}
			require.Equal(t, tc.applied, appliedIDs(t, conn, "public"))
			require.Zero(t, queryInt(t, conn, `SELECT count(*) FROM information_schema.columns WHERE table_name = 't' AND column_name = 'c'`),
				"the half-done migration left no column behind")

			res, err := executor.Run(ctx(t), tg, longGraph(t), executor.Options{Phase: planner.PostDeploy})
			require.NoError(t, err)
			require.NotEmpty(t, res.Applied)
			require.Equal(t, []string{"0001_t", "0002_long"}, appliedIDs(t, conn, "public"))
			require.Equal(t, 1, queryInt(t, conn, `SELECT c FROM t`))
		})
	}
}

func TestTerminatedSessionGivesClearErrorAndRerunConverges(t *testing.T) {
	t.Parallel()
	url, tg := fresh(t)
	conn := pgtest.Connect(t, url)
	g := longGraph(t)
	killed := tg
	killed.Config = tg.Config.Copy()
	killed.Config.RuntimeParams["application_name"] = "long-one"

	type outcome struct {
		res *executor.Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := executor.Run(ctx(t), killed, g, executor.Options{Phase: planner.PostDeploy, NoPreflight: true})
		done <- outcome{res, err}
	}()
	pid := waitForSleeper(t, conn)
	_, err := conn.Exec(ctx(t), `SELECT pg_terminate_backend($1)`, pid)
	require.NoError(t, err)
	o := <-done

	var pe *executor.PartialError
	require.ErrorAs(t, o.err, &pe)
	require.Equal(t, []string{"0001_t"}, pe.Applied)
	require.Equal(t, "0002_long", pe.Failed)
	require.ErrorIs(t, o.err, executor.ErrMigration)
	msg := o.err.Error()
	require.Contains(t, msg, "0002_long")
	require.Contains(t, msg, "terminated")
	require.Contains(t, msg, "run again")
	require.Equal(t, "0002_long", o.res.Failed.ID)
	require.Equal(t, 3, o.res.Failed.Statement)

	res, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy})
	require.NoError(t, err)
	require.Equal(t, []string{"0002_long"}, res.Applied)
}

// childTB lets load run outside a test.
type childTB struct{ testing.TB }

func (childTB) Helper() {}
func (childTB) Fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(2)
}
