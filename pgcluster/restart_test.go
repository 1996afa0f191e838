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
