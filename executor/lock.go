package executor

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// lockKey derives the advisory lock key of a tracking schema: one run at a
// time per set of tracking tables, so tenants of one database migrate in
// parallel while two runs on one tenant never overlap.
func lockKey(trackingSchema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("safemigrate\x00"))
	h.Write([]byte(trackingSchema))
	return int64(h.Sum64())
}

// lock takes the session-level advisory lock, polling so that it can say
// who it waits for, until Options.LockWait has passed. The session holds
// it twice, so that lockHeldSQL can release one hold and take it back
// without the lock ever being free.
func (s *Session) lock(ctx context.Context) error {
	l := locker{conn: s.conn, log: s.log, wait: s.opts.LockWait, lost: s.connLost}
	if err := l.acquire(ctx, s.lockKey, time.Now().Add(s.opts.LockWait)); err != nil {
		return err
	}
	s.locked = true
	// A lock the session holds is taken again at once: PostgreSQL only
	// counts it up, without looking at the lock's queue.
	qctx, cancel := ownCtx(ctx)
	defer cancel()
	if _, err := s.conn.Exec(qctx, `SELECT pg_catalog.pg_advisory_lock($1)`, s.lockKey); err != nil {
		return s.connLost(err)
	}
	return nil
}

// locker takes advisory locks on one connection: a [Session]'s own lock,
// or the many locks of a [LockSet].
type locker struct {
	conn *pgx.Conn
	log  *logger
	wait time.Duration // Options.LockWait, for messages
	lost func(error) error
}

// acquire takes the advisory lock key, polling so that it can say who it
// waits for, until deadline.
func (l locker) acquire(ctx context.Context, key int64, deadline time.Time) error {
	start := time.Now()
	interval := 25 * time.Millisecond
	var holder *Blocker
	waited := false
	for {
		var ok bool
		qctx, cancel := ownCtx(ctx)
		err := l.conn.QueryRow(qctx, `SELECT pg_catalog.pg_try_advisory_lock($1)`, key).Scan(&ok)
		cancel()
		if err != nil {
			if interrupted(err) {
				return errLockInterrupted(ctx)
			}
			return l.lost(err)
		}
		if ok {
			if waited {
				l.log.printf("got the migration lock after waiting %s", time.Since(start).Round(time.Millisecond))
			}
			return nil
		}
		h, err := l.holder(ctx, key)
		if err != nil {
			if interrupted(err) {
				return errLockInterrupted(ctx)
			}
			return err
		}
		if h != nil && (holder == nil || holder.PID != h.PID) {
			l.log.printf("waiting for the migration lock (up to %s): another run holds it: %s", l.wait, h)
		} else if h == nil && !waited {
			l.log.printf("waiting for the migration lock (up to %s)", l.wait)
		}
		if h != nil {
			holder = h
		}
		waited = true
		left := time.Until(deadline)
		if left <= 0 {
			return &LockWaitError{Waited: time.Since(start), Holder: holder}
		}
		t := time.NewTimer(min(interval, left))
		select {
		case <-ctx.Done():
			t.Stop()
			return errLockInterrupted(ctx)
		case <-t.C:
		}
		interval = min(interval*2, time.Second)
	}
}

func errLockInterrupted(ctx context.Context) error {
	return fmt.Errorf("interrupted while waiting for the migration lock; nothing was run: %w", context.Cause(ctx))
}

// holder returns the session holding the advisory lock key, or nil when
// it was released meanwhile.
func (l locker) holder(ctx context.Context, key int64) (*Blocker, error) {
	k := uint64(key)
	rows, err := l.conn.Query(ctx, `
SELECT a.pid, coalesce(a.application_name, ''), coalesce(a.usename::text, ''), coalesce(a.state, ''),
       a.backend_start, a.query_start, a.xact_start, coalesce(a.query, '')
  FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
 WHERE l.locktype = 'advisory' AND l.granted
   AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
   AND l.classid = $1::bigint::oid AND l.objid = $2::bigint::oid AND l.objsubid = 1
 LIMIT 1`, int64(k>>32), int64(k&0xffffffff))
	if err != nil {
		return nil, l.lost(err)
	}
	bs, err := scanBlockers(rows)
	if err != nil {
		return nil, l.lost(err)
	}
	if len(bs) == 0 {
		return nil, nil
	}
	return &bs[0], nil
}

// unlock releases the migration lock, and with it every advisory lock
// the session holds at session level: a migration can add holds of its
// own (pg_advisory_lock, _shared, on the migration lock's key or any
// other), which releasing the two holds of lock would leave behind, and a
// session kept for another target ([Session.Retarget], a fleet's worker)
// would keep other runs waiting for a target it is done with.
func (s *Session) unlock(ctx context.Context) error {
	ctx, cancel := ownCtx(ctx)
	defer cancel()
	if _, err := s.conn.Exec(ctx, unlockAllSQL); err != nil {
		return s.connLost(err)
	}
	s.locked = false
	return nil
}

// unlockAllSQL releases every session-level advisory lock of the session
// (see unlock).
const unlockAllSQL = `SELECT pg_catalog.pg_advisory_unlock_all()`

// lockHeldSQL fails (division by zero) unless this session still holds
// the advisory lock $1: a migration can release it
// (pg_advisory_unlock_all(), or pg_advisory_unlock with the key, also
// built in dynamic SQL the analysis cannot read), and then a second run
// could apply at the same time. It travels in the batch that already
// carries a migration's statements (one round trip).
//
// The session holds the lock twice (see lock). pg_advisory_unlock is
// true only while the session holds the key; it then takes one hold
// away, and pg_try_advisory_lock puts it back. On a healthy session both
// only count (the lock stays held throughout and PostgreSQL does not
// look at its queue, so a session waiting for the key changes nothing),
// and both look in the session's own lock table. The nested CASE fixes
// their order. Every outcome keeps runs apart:
//   - both holds gone (pg_advisory_unlock_all(), or two releases by key):
//     the release is false, the check fails;
//   - one hold gone (one release by key): the lock is still held; the
//     check frees it for an instant and takes it back, and fails if
//     another session took it or waits for it meanwhile. The failure
//     may then name a later migration than the one that released it.
//
// When it fails the session holds no hold at all. Reading pg_locks
// instead would copy the server's whole lock table on every check, and a
// long transaction holds thousands of locks: in an --atomic run of 500
// small migrations that read was 23% of the server's time.
const lockHeldSQL = `SELECT 1 / CASE WHEN pg_catalog.pg_advisory_unlock($1::bigint)
  THEN CASE WHEN pg_catalog.pg_try_advisory_lock($1::bigint) THEN 1 ELSE 0 END ELSE 0 END`

// lockNotOwned begins the server's warning when pg_advisory_unlock finds
// the lock not held (an internal message, never translated).
const lockNotOwned = "you don't own a lock of type"

// setChecking marks whether the lock check runs now (see Session.checking).
func (s *Session) setChecking(on bool) {
	s.mu.Lock()
	s.checking = on
	s.mu.Unlock()
}

// lockCheckFailed reports whether err is lockHeldSQL's own failure (its
// division by zero), as opposed to the session ending while it ran (a
// FATAL error: a shutdown, pg_terminate_backend), which says nothing
// about what the migration did.
func lockCheckFailed(err error) bool {
	pe := pgError(err)
	return pe != nil && pe.Code == sqlstateDivisionByZero && pe.Severity == "ERROR"
}

// lockCheckContext is the context of a failure in the lock check that is
// not the check's own (see lockCheckFailed).
const lockCheckContext = "checking that the session still holds the migration lock"

// roleLockCheck is the batch command of lockHeldSQL.
const roleLockCheck = "lock check"

// addLockCheck appends lockHeldSQL to b when the session holds its own
// lock (a session of a [LockSet] does not: the set's connection does,
// out of the migrations' reach).
func (s *Session) addLockCheck(b *batch) {
	if s.locked {
		b.addParams(lockHeldSQL, roleLockCheck, strconv.FormatInt(s.lockKey, 10))
	}
}

// checkLock runs lockHeldSQL on its own: errLockReleased when the session
// no longer holds its lock. Inside a transaction, a failed check leaves
// it aborted; the run stops then anyway.
func (s *Session) checkLock(ctx context.Context) error {
	if !s.locked {
		return nil
	}
	s.setChecking(true)
	_, err := s.conn.Exec(ctx, lockHeldSQL, s.lockKey)
	s.setChecking(false)
	switch {
	case err == nil:
		return nil
	case lockCheckFailed(err):
		return errLockReleased
	default:
		return s.connLost(err)
	}
}

// errLockReleased is a lock check that failed outside a batch.
var errLockReleased = errors.New("the session no longer holds the migration lock")

// lockReleased turns a failed lock check into the migration's failure:
// the session no longer holds the lock, so the run must stop.
func (s *Session) lockReleased(me *MigrationError, undone string) *MigrationError {
	s.locked = false // nothing left to release
	me.SQLState, me.Detail, me.Context = "", "", ""
	me.Message = "migration " + me.ID + " released safemigrate's migration lock (pg_advisory_unlock or pg_advisory_unlock_all, perhaps built in dynamic SQL), so another run could apply at the same time"
	me.Hint = "remove the pg_advisory_unlock call from " + me.File + "; " + undone
	return me
}

// failureText is a migration's failure in one line, for the detail of a
// failure reported in its place.
func failureText(me *MigrationError) string {
	var b strings.Builder
	if me.Statement > 0 {
		fmt.Fprintf(&b, "statement %d (line %d): ", me.Statement, me.Line)
	}
	b.WriteString(me.Message)
	if me.SQLState != "" {
		fmt.Fprintf(&b, " (SQLSTATE %s)", me.SQLState)
	}
	return b.String()
}
