package fleet_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/fleet"
	"github.com/safemigrate/safemigrate/internal/pgtest"
	"github.com/safemigrate/safemigrate/pgcluster"
	"github.com/safemigrate/safemigrate/planner"
)

// TestDatabaseFleetServerStopped: 24 databases over two throwaway
// servers, one tenant with data that breaks a migration, and the second
// server really stopped (a fast shutdown, as `pg_ctl stop -m fast`):
//
//  1. before the run: every tenant is rehearsed before any is applied
//     (docs/executing.md, "Fleets of databases"), so the run refuses in
//     its first pass, naming each tenant of the stopped server and the
//     broken one, and nothing is applied on either server;
//  2. in the middle of the apply pass, when a tenant of the second server
//     starts 0002: the run fails naming that server's tenants, every
//     migration is applied whole or not at all in every tenant, and no
//     tenant starts after the first failure;
//  3. once the server is back, a rerun applies every migration exactly
//     once in every tenant.
func TestDatabaseFleetServerStopped(t *testing.T) {
	b, err := pgcluster.Start(context.Background(), pgcluster.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Stop() })
	var urls []string
	onB := map[string]bool{} // tenant name → on the second server
	for i := range 24 {
		if i%2 == 0 {
			urls = append(urls, pgtest.NewDatabase(t))
		} else {
			urls = append(urls, createOn(t, b, fmt.Sprintf("tenant_%02d", i)))
		}
	}
	broken := urls[4] // on the first server
	bad := connectURL(t, broken)
	_, err = bad.Exec(context.Background(), `CREATE TABLE c (id int)`)
	require.NoError(t, err)
	g := load(t,
		"0001_a.sql", "-- safe: before_deploy\nCREATE TABLE a (id int);\n",
		"0002_seed.sql", "-- safe: before_deploy\nINSERT INTO a VALUES (1);\n",
		"0003_c.sql", "-- safe: before_deploy\nCREATE TABLE c (id int);\n",
	)
	f, err := fleet.NewDatabases(ctx(t), fleet.DatabaseSource{URLs: urls})
	require.NoError(t, err)
	names := f.Schemas()
	require.Len(t, names, 24)
	for i, n := range names {
		onB[n] = i%2 == 1
	}
	secrets := []string{passwordOf(urls[0]), passwordOf(urls[1])}
	noSecrets := func(s string) {
		t.Helper()
		for _, pw := range secrets {
			require.NotContains(t, s, pw)
		}
	}
	// untouched: no tracking table and none of the migrations' tables.
	tablesOf := func(url string) []string {
		conn := connectURL(t, url)
		rows, err := conn.Query(context.Background(), `SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' AND tablename IN ('a', 'c') ORDER BY 1`)
		require.NoError(t, err)
		defer rows.Close()
		var out []string
		for rows.Next() {
			var s string
			require.NoError(t, rows.Scan(&s))
			out = append(out, s)
		}
		require.NoError(t, rows.Err())
		return out
	}
	log := &syncBuffer{}
	opts := fleet.Options{Exec: executor.Options{Phase: planner.PostDeploy, Log: log}, Jobs: 6, JobsPerServer: 2}

	// 1. The second server is down before the run starts.
	require.NoError(t, b.Shutdown())
	_, err = f.Run(ctx(t), g, opts)
	require.Error(t, err)
	t.Logf("stopped before the run:\n%s", err)
	var fe *fleet.Error
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, fleet.PassPreflight, fe.Pass)
	failed := map[string]bool{}
	for _, tf := range fe.Failures {
		failed[tf.Tenant] = true
	}
	for i, n := range names {
		if onB[n] || i == 4 {
			assert.True(t, failed[n], "tenant %s is reported", n)
			assert.Contains(t, err.Error(), n)
		} else {
			assert.False(t, failed[n], "tenant %s is not reported", n)
		}
	}
	assert.ErrorIs(t, err, executor.ErrConnect)
	assert.Contains(t, err.Error(), "nothing was applied in any tenant")
	assert.Contains(t, err.Error(), "12 tenants could not be reached: start their servers (named above)")
	noSecrets(err.Error() + log.String())
	require.NoError(t, b.Start(ctx(t)))
	for i, u := range urls {
		assert.Empty(t, appliedIn(t, u), "tenant %d", i)
		if i != 4 {
			assert.Empty(t, tablesOf(u), "tenant %d", i)
		}
	}

	// 2. The data is fixed; the second server stops when one of its
	// tenants starts 0002 in the apply pass. Events come from the worker
	// running the tenant, before the statement is sent, so the stop
	// lands while that tenant's migration is under way.
	_, err = bad.Exec(context.Background(), `DROP TABLE c`)
	require.NoError(t, err)
	var mu sync.Mutex
	var stopped bool
	doneAtFailure := -1 // tenants done with the apply pass at the first failure
	opts.Exec.Events = func(e executor.Event) {
		if e.Pass != executor.PassApply || e.Kind != executor.MigrationStarted {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if !stopped && onB[e.Target] && e.Migration == "0002_seed" {
			stopped = true
			require.NoError(t, b.Shutdown())
		}
	}
	opts.Progress = func(p fleet.Progress) {
		if p.Pass == fleet.PassApply && p.State == fleet.StateFailed {
			mu.Lock()
			if doneAtFailure < 0 {
				doneAtFailure = p.Done
			}
			mu.Unlock()
		}
	}
	res, err := f.Run(ctx(t), g, opts)
	require.Error(t, err)
	t.Logf("stopped mid-apply:\n%s", err)
	require.True(t, stopped)
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, fleet.PassApply, fe.Pass)
	require.NotEmpty(t, fe.Failures)
	for _, tf := range fe.Failures {
		assert.True(t, onB[tf.Tenant], "only tenants of the stopped server fail: %s", tf.Tenant)
		assert.Contains(t, err.Error(), tf.Tenant)
	}
	noSecrets(err.Error() + log.String())
	st := states(res)
	notStarted := 0
	require.NoError(t, b.Start(ctx(t)))
	unknown := map[string]string{} // tenant → the migration whose outcome the run could not tell
	for _, tf := range fe.Failures {
		var pe *executor.PartialError
		if errors.As(tf.Err, &pe) && pe.OutcomeUnknown {
			unknown[tf.Tenant] = pe.Failed
		}
	}
	for i, n := range names {
		got := appliedIn(t, urls[i])
		want := nilIfEmpty(res.Tenants[i].Applied)
		if id, ok := unknown[n]; ok && len(got) > len(want) {
			// The server stopped after the COMMIT was durable, and the
			// run said it could not tell, not that it was rolled back.
			want = append(want, id)
		}
		assert.Equal(t, want, nilIfEmpty(got), "tenant %s: the report matches the tracking table", n)
		// Each migration whole or not at all: its tracking row exactly
		// when its effect is there.
		tables := strings.Join(tablesOf(urls[i]), ",")
		switch len(got) {
		case 0:
			assert.Empty(t, tables, n)
		case 1:
			assert.Equal(t, "a", tables, n)
			assert.Equal(t, 0, countA(t, urls[i]), n)
		case 2:
			assert.Equal(t, "a", tables, n)
			assert.Equal(t, 1, countA(t, urls[i]), n)
		case 3:
			assert.Equal(t, "a,c", tables, n)
			assert.Equal(t, 1, countA(t, urls[i]), n)
		}
		switch st[n] {
		case fleet.StateNotStarted:
			notStarted++
			assert.Empty(t, got, n)
		case fleet.StateApplied:
			assert.Len(t, got, 3, n)
		}
	}
	// No tenant starts after the first failure: besides the tenants done
	// by then, only those already running (at most Jobs-1) did anything.
	require.Positive(t, doneAtFailure)
	assert.LessOrEqual(t, len(names)-notStarted, doneAtFailure+opts.Jobs-1, "tenants that started")
	assert.Positive(t, notStarted, "the failure stopped new tenants")

	// 3. The server is back: a rerun finishes the job, each migration
	// applied exactly once.
	opts.Exec.Events, opts.Progress = nil, nil
	_, err = f.Run(ctx(t), g, opts)
	require.NoError(t, err)
	for i, n := range names {
		assert.Equal(t, []string{"0001_a", "0002_seed", "0003_c"}, appliedIn(t, urls[i]), n)
		assert.Equal(t, 1, countA(t, urls[i]), n)
	}
	noSecrets(log.String())
}

func countA(t *testing.T, url string) int {
	t.Helper()
	var n int
	require.NoError(t, connectURL(t, url).QueryRow(context.Background(), `SELECT count(*) FROM a`).Scan(&n))
	return n
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}
