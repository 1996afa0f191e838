package executor

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/safemigrate/safemigrate/migration"
)

// settleTimeout bounds how long a run looks for the outcome of a
// migration whose reply was lost.
const settleTimeout = 30 * time.Second

// committed settles what a lost reply hides: whether a transactional
// migration whose batch (COMMIT included) was sent committed. It ends the
// old backend if it is still there, so that the answer cannot change
// afterwards (a COMMIT in flight either finishes or rolls back), then
// reads the migration's tracking row from a new connection. known is
// false when that could not be found out.
func (s *Session) committed(ctx context.Context, m *migration.Migration) (committed, known bool) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
	defer cancel()
	cfg := sessionConfig(Target{Config: s.target.Config})
	app := cfg.RuntimeParams["application_name"] // the old backend's too
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return false, false
	}
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()
	pid := int32(s.conn.PgConn().PID())
	for {
		var alive bool
		err := conn.QueryRow(ctx, `SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity WHERE pid = $1 AND application_name = $2`, pid, app).Scan(&alive)
		if errors.Is(err, pgx.ErrNoRows) {
			break // gone: its transaction is settled
		}
		if err != nil {
			return false, false
		}
		select {
		case <-ctx.Done():
			return false, false
		case <-time.After(50 * time.Millisecond):
		}
	}
	var n int
	err = conn.QueryRow(ctx, `SELECT count(*) FROM `+s.names.migrations+` WHERE id = $1 AND checksum = $2`, m.ID, m.Checksum).Scan(&n)
	if pe := pgError(err); pe != nil && (pe.Code == sqlstateUndefinedTable || pe.Code == sqlstateInvalidSchemaName) {
		// The tracking tables are created in the transaction of the first
		// migration (and of an atomic run's first segment), and commit
		// with it: without them, it did not commit.
		return false, true
	}
	if err != nil {
		return false, false
	}
	return n > 0, true
}
