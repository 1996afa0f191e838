package pgcluster_test

import (
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/pgcluster"
)

// TestRestart: a fast restart ends open sessions and rolls back their
// transactions, keeps committed data, and the server comes back on the
// same URL; after Stop, Restart refuses.
func TestRestart(t *testing.T) {
	ctx := t.Context()
	c := start(t, pgcluster.Options{})
	url := c.URL("postgres")
	pid := pgcluster.ServerPID(c)
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `CREATE TABLE kept (id int); INSERT INTO kept VALUES (1)`)
	require.NoError(t, err)
	_, err = conn.Exec(ctx, `BEGIN; INSERT INTO kept VALUES (2)`)
	require.NoError(t, err)

	require.NoError(t, c.Restart(ctx))
	assert.Equal(t, url, c.URL("postgres"), "same socket, port and password")
	assert.NotEqual(t, pid, pgcluster.ServerPID(c), "a new server process")
	_, err = conn.Exec(ctx, `COMMIT`)
	require.Error(t, err, "the session open across the restart was ended")

	again, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer again.Close(ctx)
	var ids []int32
	rows, err := again.Query(ctx, `SELECT id FROM kept ORDER BY id`)
	require.NoError(t, err)
	ids, err = pgx.CollectRows(rows, pgx.RowTo[int32])
	require.NoError(t, err)
	assert.Equal(t, []int32{1}, ids, "committed data kept, the open transaction rolled back")

	require.NoError(t, c.Stop())
	require.ErrorIs(t, c.Restart(ctx), pgcluster.ErrStopped)
}

// TestShutdownStart: Shutdown takes the server down and keeps its data
// directory (connections fail meanwhile), Start brings it back on the
// same URL with committed data; both are no-ops when repeated, Stop
// works after Shutdown and removes the directory, and both refuse after
// Stop.
func TestShutdownStart(t *testing.T) {
	ctx := t.Context()
	c := start(t, pgcluster.Options{})
	url := c.URL("postgres")
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	_, err = conn.Exec(ctx, `CREATE TABLE kept (id int); INSERT INTO kept VALUES (1)`)
	require.NoError(t, err)
	conn.Close(ctx)

	require.NoError(t, c.Shutdown())
	require.NoError(t, c.Shutdown(), "a second Shutdown does nothing")
	assert.False(t, pgcluster.ProcessAlive(pgcluster.ServerPID(c)), "the server process is gone")
	assert.DirExists(t, c.Dir(), "the data is kept")
	_, err = pgx.Connect(ctx, url)
	require.Error(t, err, "no server while shut down")

	require.NoError(t, c.Start(ctx))
	pid := pgcluster.ServerPID(c)
	require.NoError(t, c.Start(ctx), "Start of a running server does nothing")
	assert.Equal(t, pid, pgcluster.ServerPID(c))
	assert.Equal(t, url, c.URL("postgres"))
	again, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	var n int
	require.NoError(t, again.QueryRow(ctx, `SELECT count(*) FROM kept`).Scan(&n))
	assert.Equal(t, 1, n)
	again.Close(ctx)

	require.NoError(t, c.Shutdown())
	dir := c.Dir()
	require.NoError(t, c.Stop(), "Stop after Shutdown")
	assert.NoDirExists(t, dir)
	require.NoError(t, c.Stop(), "Stop stays idempotent")
	require.ErrorIs(t, c.Shutdown(), pgcluster.ErrStopped)
	require.ErrorIs(t, c.Start(ctx), pgcluster.ErrStopped)
}
