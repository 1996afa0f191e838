package executor

import (
	"context"
	"fmt"
	"strings"
)

// Retarget points a session opened by [Open] at t, another schema of the
// same database, keeping its connection: it releases the lock of the old
// tracking schema (unless [Session.ReleaseLock] did already) and every
// advisory lock its migrations took, and takes the one of t's, waiting
// up to Options.LockWait as [Open] does. A fleet that works through many
// tenants of one database this way pays for one connection (and its
// authentication and cold catalog caches) per worker instead of one per
// tenant and pass. Sessions of a [LockSet] use
// [LockSet.Retarget] instead.
//
// On error the session should be closed (that releases any lock it
// still holds).
func (s *Session) Retarget(ctx context.Context, t Target) error {
	if err := s.retarget(ctx, t); err != nil {
		return err
	}
	s.lockKey = lockKey(t.trackingSchema())
	return s.lock(ctx)
}

// Closed reports whether the session's connection has ended (the server
// can end it after a migration committed: see docs/executing.md, "When
// the connection ends"); such a session is only good for [Session.Close].
func (s *Session) Closed() bool { return s.conn.IsClosed() }

// ReleaseLock releases the migration lock a session opened by [Open]
// holds, keeping its connection for a later [Session.Retarget]: an idle
// session must not keep another run waiting for a target it is done with.
func (s *Session) ReleaseLock(ctx context.Context) error {
	if !s.locked || s.conn.IsClosed() {
		return nil
	}
	return s.unlock(ctx)
}

// Retarget points s, a session opened by [LockSet.Open], at t, another
// target of the set's database whose lock the set holds, keeping its
// connection (see [Session.Retarget]).
func (l *LockSet) Retarget(ctx context.Context, s *Session, t Target) error {
	if s.locked {
		return fmt.Errorf("executor: LockSet.Retarget of a session that holds its own lock (use Session.Retarget)")
	}
	if !l.Holds(t) {
		return fmt.Errorf("executor: the lock set does not hold the migration lock of %s", t)
	}
	if err := l.Ping(ctx); err != nil {
		return err
	}
	if err := s.retarget(ctx, t); err != nil {
		return err
	}
	s.lockKey = lockKey(t.trackingSchema())
	return nil
}

// retarget switches the session's target, names and search_path. The
// search_path becomes a session setting that resetSession sets again
// after its RESET ALL (which would otherwise restore the first target's
// startup search_path).
func (s *Session) retarget(ctx context.Context, t Target) error {
	if s.conn.IsClosed() {
		return fmt.Errorf("executor: cannot retarget a session whose connection has ended")
	}
	if !sameDatabase(t, s.target) {
		return fmt.Errorf("executor: cannot retarget a session on %s to %s: another database", s.target, t)
	}
	if s.conn.PgConn().TxStatus() != 'I' {
		return fmt.Errorf("executor: cannot retarget a session inside a transaction")
	}
	path := "RESET search_path"
	if t.Schema != "" {
		path = "SET search_path TO " + searchPath(t) // quoted identifiers
	}
	qctx, cancel := ownCtx(ctx)
	defer cancel()
	// The whole reset of resetSession, in one round trip: the last
	// migration of the previous target may have left a SET ROLE in place
	// (apply resets the session before each migration, not after the
	// last), and t's tracking tables must not be read, created or
	// trusted as that role. The old target's lock goes with every
	// advisory lock its migrations took (see unlock): a session of a
	// [LockSet] holds none of its own, the set's connection does.
	s.path = ""
	if _, err := s.conn.Exec(qctx, strings.Join(append(s.resetSession(), path, unlockAllSQL), "; ")); err != nil {
		return s.connLost(err)
	}
	s.locked = false
	s.path = path
	s.target = t
	s.names = newTracking(t.trackingSchema())
	s.log = newLogger(s.opts.Log, t.Name)
	s.ready, s.readyProgress = false, false
	s.watch.target = t
	s.setCurrent("")
	return nil
}

// SchemaExists reports whether the schema of the session's target
// (Target.Schema) exists in its database; true when Target.Schema is
// empty. A caller that runs many tenants checks it first: migrations would
// otherwise run in whatever schema comes next in the search_path, and the
// tracking schema would be created on first apply.
func (s *Session) SchemaExists(ctx context.Context) (bool, error) {
	if s.target.Schema == "" {
		return true, nil
	}
	qctx, cancel := ownCtx(ctx)
	defer cancel()
	var ok bool
	if err := s.conn.QueryRow(qctx, `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1)`, s.target.Schema).Scan(&ok); err != nil {
		return false, s.connLost(err)
	}
	return ok, nil
}
