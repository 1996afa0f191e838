package executor

import (
	"context"
	"fmt"
	"hash/fnv"
	"time"
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
// who it waits for, until Options.LockWait has passed.
func (s *Session) lock(ctx context.Context) error {
	start := time.Now()
	deadline := start.Add(s.opts.LockWait)
	interval := 25 * time.Millisecond
	var holder *Blocker
	waited := false
	for {
		var ok bool
		if err := s.conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, s.lockKey).Scan(&ok); err != nil {
			if interrupted(err) {
				return errLockInterrupted(ctx)
			}
			return s.connLost(err)
		}
		if ok {
			s.locked = true
			if waited {
				s.log.printf("got the migration lock after waiting %s", time.Since(start).Round(time.Millisecond))
			}
			return nil
		}
		h, err := s.lockHolder(ctx)
		if err != nil {
			if interrupted(err) {
				return errLockInterrupted(ctx)
			}
			return err
		}
		if h != nil && (holder == nil || holder.PID != h.PID) {
			s.log.printf("waiting for the migration lock (up to %s): another run holds it: %s", s.opts.LockWait, h)
		} else if h == nil && !waited {
			s.log.printf("waiting for the migration lock (up to %s)", s.opts.LockWait)
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

// lockHolder returns the session holding the migration lock, or nil when
// it was released meanwhile.
func (s *Session) lockHolder(ctx context.Context) (*Blocker, error) {
	key := uint64(s.lockKey)
	rows, err := s.conn.Query(ctx, `
SELECT a.pid, coalesce(a.application_name, ''), coalesce(a.usename::text, ''), coalesce(a.state, ''),
       a.backend_start, a.query_start, a.xact_start, coalesce(a.query, '')
  FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
 WHERE l.locktype = 'advisory' AND l.granted
   AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
   AND l.classid = $1::bigint::oid AND l.objid = $2::bigint::oid AND l.objsubid = 1
 LIMIT 1`, int64(key>>32), int64(key&0xffffffff))
	if err != nil {
		return nil, s.connLost(err)
	}
	bs, err := scanBlockers(rows)
	if err != nil {
		return nil, s.connLost(err)
	}
	if len(bs) == 0 {
		return nil, nil
	}
	return &bs[0], nil
}

// unlock releases the advisory lock.
func (s *Session) unlock(ctx context.Context) error {
	if _, err := s.conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, s.lockKey); err != nil {
		return s.connLost(err)
	}
	s.locked = false
	return nil
}
