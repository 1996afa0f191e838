package pgtest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// WaitForSession waits, up to 30 seconds, until a session of conn's
// database matches where (a condition on pg_stat_activity, with $1… bound
// to args) and returns its pid; the test fails when none does. Tests use
// it to order events on what the server shows (a session waiting for a
// lock, running pg_sleep) instead of sleeping and hoping:
//
//	pid := pgtest.WaitForSession(t, conn, "waits for a lock",
//		`application_name = $1 AND wait_event_type = 'Lock'`, "the-migration")
//
// what says, in the failure message, what never happened.
func WaitForSession(t testing.TB, conn *pgx.Conn, what, where string, args ...any) int {
	t.Helper()
	sql := `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND (` + where + `) ORDER BY pid LIMIT 1`
	deadline := time.Now().Add(30 * time.Second)
	for {
		var pid int
		err := conn.QueryRow(context.Background(), sql, args...).Scan(&pid)
		switch {
		case err == nil:
			return pid
		case !errors.Is(err, pgx.ErrNoRows):
			t.Fatalf("wait for a session that %s: %v", what, err)
		case time.Now().After(deadline):
			t.Fatalf("no session that %s within 30s", what)
		}
		time.Sleep(10 * time.Millisecond) // polling the server's state
	}
}
