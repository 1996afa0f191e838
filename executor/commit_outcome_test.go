package executor_test

import (
	"context"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/internal/pgtest"
	"github.com/safemigrate/safemigrate/pgcluster"
	"github.com/safemigrate/safemigrate/planner"
)

// TestSessionEndedInPlaceOfCommitsReply: the server can end a session
// after its COMMIT is durable and before the reply, e.g. when a shutdown
// or pg_terminate_backend interrupts the wait for a synchronous standby
// (a CI run met it in a fast shutdown). The FATAL error comes in place of
// COMMIT's reply, and the migration committed: the run must not say it
// was rolled back. A server that waits for a standby that never comes
// holds every COMMIT at that point, where the test ends the session.
func TestSessionEndedInPlaceOfCommitsReply(t *testing.T) {
	t.Parallel()
	c, err := pgcluster.Start(context.Background(), pgcluster.Options{Settings: map[string]string{
		"wal_level":                 "replica",
		"max_wal_senders":           "2",
		"synchronous_commit":        "on",
		"synchronous_standby_names": "nobody",
	}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Stop() })

	one := files("0001_a.sql", "-- safe: always\nCREATE TABLE a (id int);\n")
	for _, tc := range []struct {
		name   string
		db     string
		atomic bool
		// refuse makes the database refuse new connections before the
		// session is ended, so that no connection can tell the outcome.
		refuse bool
	}{
		{name: "apply, outcome checked", db: "apply_checked"},
		{name: "atomic, outcome checked", db: "atomic_checked", atomic: true},
		{name: "apply, outcome unknown", db: "apply_unknown", refuse: true},
		{name: "atomic, outcome unknown", db: "atomic_unknown", atomic: true, refuse: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The test's own commits (CREATE and ALTER DATABASE) do not
			// wait for the standby.
			admin, err := pgx.Connect(ctx(t), c.URL("postgres"))
			require.NoError(t, err)
			t.Cleanup(func() { _ = admin.Close(context.Background()) })
			_, err = admin.Exec(ctx(t), `SET synchronous_commit = local`)
			require.NoError(t, err)
			dbname := tc.db
			_, err = admin.Exec(ctx(t), `CREATE DATABASE `+pgx.Identifier{dbname}.Sanitize())
			require.NoError(t, err)
			url := c.URL(dbname)

			stop := make(chan struct{})
			ended := make(chan error, 1)
			go func() {
				ended <- endWaitingCommit(admin, dbname, tc.refuse, stop)
			}()
			res, runErr := executor.Run(ctx(t), target(t, url), load(t, one), executor.Options{Phase: planner.PostDeploy, Atomic: tc.atomic, Log: &syncBuffer{}})
			close(stop)
			require.NoError(t, <-ended)
			if tc.refuse {
				_, err = admin.Exec(ctx(t), `ALTER DATABASE `+pgx.Identifier{dbname}.Sanitize()+` ALLOW_CONNECTIONS true`)
				require.NoError(t, err)
			}
			conn, err := pgx.Connect(ctx(t), url)
			require.NoError(t, err)
			t.Cleanup(func() { _ = conn.Close(context.Background()) })
			// It did commit: the standby wait comes after the commit is
			// durable.
			require.Equal(t, []string{"0001_a"}, queryStrings(t, conn, `SELECT id FROM safemigrate_migrations`))
			if !tc.refuse {
				if runErr != nil {
					require.NotContains(t, runErr.Error(), "rolled back")
				}
				assert.Contains(t, res.Applied, "0001_a", "the report matches the tracking table")
				return
			}
			require.Error(t, runErr)
			t.Logf("%v", runErr)
			assert.NotContains(t, runErr.Error(), "nothing was applied")
			assert.Contains(t, runErr.Error(), "whether")
			assert.Contains(t, runErr.Error(), "`safemigrate status`")
			var me *executor.MigrationError
			require.ErrorAs(t, runErr, &me)
			assert.True(t, me.OutcomeUnknown)
			assert.NotContains(t, res.Applied, "0001_a", "not reported applied on a guess")
		})
	}
}

// endWaitingCommit waits for a session of dbname to wait for the
// synchronous standby at COMMIT and terminates it, first making the
// database refuse new connections when refuse is set.
func endWaitingCommit(admin *pgx.Conn, dbname string, refuse bool, stop <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		var pid int32
		err := admin.QueryRow(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND wait_event = 'SyncRep'`, dbname).Scan(&pid)
		if err == nil {
			if refuse {
				if _, err := admin.Exec(ctx, `ALTER DATABASE `+pgx.Identifier{dbname}.Sanitize()+` ALLOW_CONNECTIONS false`); err != nil {
					return err
				}
			}
			_, err = admin.Exec(ctx, `SELECT pg_terminate_backend($1)`, pid)
			return err
		}
		if err != pgx.ErrNoRows {
			return err
		}
		select {
		case <-stop:
			return nil // the run ended without waiting: the assertions say so
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// TestFatalErrorAroundCommitsReply: a server ending the session (a fast
// shutdown, pg_terminate_backend) sends a FATAL error where the session
// is: after COMMIT's reply, in place of the reply to what follows (the
// lock check, the Sync that ends the round trip), or in place of
// COMMIT's reply itself. The run must report what the tracking table
// shows, never "rolled back" on a guess (a CI run did, in a fast
// shutdown), and never blame the migration for the lost session; a rerun
// finishes the job. A proxy ends the session at each point
// ([pgtest.EndSession]).
func TestFatalErrorAroundCommitsReply(t *testing.T) {
	t.Parallel()
	tx := files(
		"0001_a.sql", "-- safe: always\nCREATE TABLE a (id int);\n",
		"0002_b.sql", "-- safe: always\nCREATE TABLE b (id int);\n",
	)
	nontx := files(
		"0001_nontx.sql", "-- safe: always\n-- transaction: false\nCREATE SEQUENCE s1;\nCREATE SEQUENCE s2;\n",
		"0002_b.sql", "-- safe: always\nCREATE TABLE b (id int);\n",
	)
	segments := files( // an added enum value ends an atomic segment
		"0001_enum.sql", "-- safe: always\nCREATE TYPE e AS ENUM ('a');\nALTER TYPE e ADD VALUE 'b';\n",
		"0002_b.sql", "-- safe: always\nCREATE TABLE b (id int);\n",
	)
	all := []string{"0001_a", "0002_b"}
	for _, tc := range []struct {
		name string
		fsys fstest.MapFS
		opts executor.Options
		mode pgtest.EndMode
		tags []string
		// stoppedBefore is the migration a run that stops after a
		// commit names as not started.
		stoppedBefore string
		hint          string // what the error says to do
	}{
		{name: "after COMMIT's reply", fsys: tx, opts: executor.Options{NoPreflight: true},
			mode: pgtest.EndAfter, tags: []string{"COMMIT"}, stoppedBefore: "0002_b"},
		{name: "in place of COMMIT's reply", fsys: tx, opts: executor.Options{NoPreflight: true},
			mode: pgtest.EndInstead, tags: []string{"COMMIT"}},
		{name: "atomic, after COMMIT's reply", fsys: tx, opts: executor.Options{Atomic: true},
			mode: pgtest.EndAfter, tags: []string{"COMMIT"}},
		{name: "atomic, in place of COMMIT's reply", fsys: tx, opts: executor.Options{Atomic: true},
			mode: pgtest.EndInstead, tags: []string{"COMMIT"}},
		{name: "atomic, after the first segment's COMMIT", fsys: segments, opts: executor.Options{Atomic: true},
			mode: pgtest.EndAfter, tags: []string{"COMMIT"}, stoppedBefore: "0002_b"},
		{name: "transaction: false, after its record's COMMIT", fsys: nontx, opts: executor.Options{NoPreflight: true},
			mode: pgtest.EndAfter, tags: []string{"DELETE 1", "COMMIT"}, stoppedBefore: "0002_b"},
		{name: "transaction: false, in place of its record's lock check", fsys: nontx, opts: executor.Options{NoPreflight: true},
			mode: pgtest.EndInstead, tags: []string{"DELETE 1", "COMMIT", "SELECT 1"}, stoppedBefore: "0002_b"},
		{name: "transaction: false, in place of its record's COMMIT", fsys: nontx, opts: executor.Options{NoPreflight: true},
			mode: pgtest.EndInstead, tags: []string{"DELETE 1", "COMMIT"}},
		{name: "transaction: false, after a statement's progress", fsys: nontx, opts: executor.Options{NoPreflight: true},
			mode: pgtest.EndAfter, tags: []string{"CREATE SEQUENCE", "INSERT 0 1", "COMMIT"}},
		{name: "transaction: false, in place of a statement's progress COMMIT", fsys: nontx, opts: executor.Options{NoPreflight: true},
			mode: pgtest.EndInstead, tags: []string{"CREATE SEQUENCE", "INSERT 0 1", "COMMIT"},
			hint: "statement 1 ran and stays applied; unless the progress of statement 1 was recorded, the next run runs it again"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			url, _ := fresh(t)
			end := pgtest.EndSession(t, url, tc.mode, tc.tags...)
			opts := tc.opts
			opts.Phase, opts.Log = planner.PostDeploy, &syncBuffer{}
			g := load(t, tc.fsys)
			res, err := executor.Run(ctx(t), target(t, end.URL), g, opts)
			require.True(t, end.Fired(), "the proxy ended the session")
			conn := pgtest.Connect(t, url)
			got := queryStrings(t, conn, `SELECT id FROM safemigrate_migrations ORDER BY id`)
			if err != nil {
				t.Logf("%v", err)
				for _, s := range []string{"rolled back", "nothing was applied", "released safemigrate's migration lock"} {
					assert.NotContains(t, err.Error(), s)
				}
			}
			assert.Equal(t, nilIfEmpty(got), nilIfEmpty(res.Applied), "the report matches the tracking table")
			if tc.hint != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.hint)
			}
			if tc.stoppedBefore != "" {
				var pe *executor.PartialError
				require.ErrorAs(t, err, &pe)
				assert.True(t, pe.NotStarted)
				assert.Equal(t, tc.stoppedBefore, pe.Failed)
				assert.Contains(t, err.Error(), "apply stopped before "+tc.stoppedBefore)
			}
			// A rerun finishes the job.
			_, err = executor.Run(ctx(t), target(t, url), g, executor.Options{Phase: planner.PostDeploy, Atomic: tc.opts.Atomic})
			require.NoError(t, err)
			assert.Len(t, queryStrings(t, conn, `SELECT id FROM safemigrate_migrations ORDER BY id`), len(all))
		})
	}
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

// TestSessionEndedAtTheLockCheckIsNotBlamedOnTheMigration: a FATAL error
// in reply to the lock check (the server shut down as it ran) says
// nothing about what the migration did: the error says the session
// ended there, not that the migration released the lock. (The server
// ended the session before COMMIT: the transaction was rolled back. The
// proxy cannot stop the server from reading the COMMIT it already has,
// so what the tracking table shows is not compared here.)
func TestSessionEndedAtTheLockCheckIsNotBlamedOnTheMigration(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts executor.Options
		tags []string
	}{
		{"apply", executor.Options{NoPreflight: true}, []string{"CREATE TABLE", "INSERT 0 1", "SELECT 1"}},
		{"rehearsal", executor.Options{}, []string{"CREATE TABLE", "INSERT 0 1", "SELECT 1"}},
		{"transaction: false", executor.Options{NoPreflight: true}, []string{"CREATE SEQUENCE", "INSERT 0 1", "COMMIT", "SELECT 1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			url, _ := fresh(t)
			end := pgtest.EndSession(t, url, pgtest.EndInstead, tc.tags...)
			g := load(t, files(
				"0001_a.sql", "-- safe: always\nCREATE TABLE a (id int);\n",
				"0002_nontx.sql", "-- safe: always\n-- transaction: false\nCREATE SEQUENCE s1;\nCREATE SEQUENCE s2;\n",
			))
			opts := tc.opts
			opts.Phase, opts.Log = planner.PostDeploy, &syncBuffer{}
			_, err := executor.Run(ctx(t), target(t, end.URL), g, opts)
			require.True(t, end.Fired())
			require.Error(t, err)
			t.Log(err)
			assert.NotContains(t, err.Error(), "released safemigrate's migration lock")
			assert.NotContains(t, err.Error(), "pg_advisory_unlock")
			// In a transaction: false migration the check follows its
			// progress row's COMMIT: the next statement finds the
			// session gone.
			assert.Regexp(t, `terminating connection due to administrator command|lost the connection to the database`, err.Error())
		})
	}
}

// TestSessionEndedDuringTheRehearsal: the server ending the session after
// every reply to a migration's rehearsal stops the pass there, saying so,
// instead of blaming the next migration, which was never sent; nothing
// is applied, and a rerun finishes the job.
func TestSessionEndedDuringTheRehearsal(t *testing.T) {
	t.Parallel()
	for _, atomic := range []bool{false, true} {
		t.Run(map[bool]string{false: "preflight", true: "atomic"}[atomic], func(t *testing.T) {
			t.Parallel()
			url, _ := fresh(t)
			// RELEASE ends the round trip of 0001_a's rehearsal.
			end := pgtest.EndSession(t, url, pgtest.EndAfter, "CREATE TABLE", "RELEASE")
			g := load(t, files(
				"0001_a.sql", "-- safe: always\nCREATE TABLE a (id int);\n",
				"0002_b.sql", "-- safe: always\nCREATE TABLE b (id int);\n",
			))
			opts := executor.Options{Phase: planner.PostDeploy, Atomic: atomic, Log: &syncBuffer{}}
			res, err := executor.Run(ctx(t), target(t, end.URL), g, opts)
			require.True(t, end.Fired())
			require.Error(t, err)
			t.Log(err)
			assert.Contains(t, err.Error(), "the server ended the session after 0001_a was rehearsed, before 0002_b")
			assert.NotContains(t, err.Error(), "0001_a failed")
			assert.Empty(t, res.Applied)
			conn := pgtest.Connect(t, url)
			assert.Empty(t, queryStrings(t, conn, `SELECT tablename::text FROM pg_tables WHERE schemaname = 'public'`), "nothing applied")
			_, err = executor.Run(ctx(t), target(t, url), g, executor.Options{Phase: planner.PostDeploy, Atomic: atomic})
			require.NoError(t, err)
			assert.Equal(t, []string{"0001_a", "0002_b"}, queryStrings(t, conn, `SELECT id FROM safemigrate_migrations ORDER BY id`))
		})
	}
}
