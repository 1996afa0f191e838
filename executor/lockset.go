package executor

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// sqlstateOutOfMemory is "out of shared memory": the lock table is full.
const sqlstateOutOfMemory = "53200"

// LockSet holds the migration locks of many targets of one database on a
// single connection. A run over a tenant fleet takes every tenant's lock
// before it plans anything and keeps them until it is done, while it
// plans, rehearses and applies with short-lived sessions opened by
// [LockSet.Open]: the number of connections follows the parallelism, not
// the number of tenants, and no other run can change a tenant between its
// plan and its apply.
//
// Locks are taken in the order of their keys, each one waited for while
// another run holds it, so two runs over overlapping sets of targets
// never wait for each other in a circle. Each session-level advisory lock
// takes a slot of the server's lock table (max_locks_per_transaction ×
// max_connections slots in all); a fleet larger than that fails with an
// error saying so.
//
// A LockSet is safe for concurrent use.
type LockSet struct {
	mu     sync.Mutex // guards holder's connection
	holder *Session   // the connection holding the locks
	keys   map[int64]bool
}

// LockAll connects to the database of targets (they must all be on the
// same database) and takes the migration lock of each target's tracking
// schema, waiting while another run holds one and saying so on opts.Log
// (prefixed with the target's name). opts.LockWait bounds the whole wait:
// a *LockWaitError names the target and the session it waited for. On any
// error no lock is left held.
func LockAll(ctx context.Context, targets []Target, opts Options) (*LockSet, error) {
	if len(targets) == 0 {
		return nil, errors.New("executor: LockAll needs at least one target")
	}
	base := targets[0]
	for _, t := range targets {
		if t.Config == nil {
			return nil, fmt.Errorf("%w: target %s has no connection configuration", ErrConnect, t.Name)
		}
		if !sameDatabase(t, base) {
			return nil, fmt.Errorf("executor: LockAll: %s and %s are on different databases", base, t)
		}
	}
	opts = opts.withDefaults()
	deadline := time.Now().Add(opts.LockWait)
	holder, err := connect(ctx, Target{Config: base.Config}, opts)
	if err != nil {
		return nil, err
	}
	l := &LockSet{holder: holder, keys: map[int64]bool{}}
	// The holder sits idle while the tenants are worked on: a server
	// configured to end idle sessions (PostgreSQL 14+) must not take the
	// locks away. Older servers do not know the setting.
	_, _ = holder.conn.Exec(ctx, `SET idle_session_timeout = 0`)

	type entry struct {
		key    int64
		target Target
	}
	var order []entry
	for _, t := range targets {
		k := lockKey(t.trackingSchema())
		if !l.keys[k] {
			l.keys[k] = true
			order = append(order, entry{k, t})
		}
	}
	slices.SortFunc(order, func(a, b entry) int { return cmp.Compare(a.key, b.key) })
	keys := make([]int64, len(order))
	for i, e := range order {
		keys[i] = e.key
	}
	fail := func(err error) (*LockSet, error) {
		holder.closeConn() // the locks go with the connection
		return nil, err
	}

	// Fast path: try them all in one round trip. Where one is taken, keep
	// the ones before it, release the ones after it and take the rest in
	// order, waiting as needed.
	granted := make([]bool, 0, len(keys))
	rows, err := holder.conn.Query(ctx, `SELECT pg_catalog.pg_try_advisory_lock(k) FROM pg_catalog.unnest($1::bigint[]) WITH ORDINALITY AS u(k, i) ORDER BY i`, keys)
	if err == nil {
		for rows.Next() {
			var ok bool
			if err = rows.Scan(&ok); err != nil {
				break
			}
			granted = append(granted, ok)
		}
		rows.Close()
		if err == nil {
			err = rows.Err()
		}
	}
	if err != nil {
		if interrupted(err) {
			return fail(errLockInterrupted(ctx))
		}
		if pe := pgError(err); pe != nil && pe.Code == sqlstateOutOfMemory {
			return fail(fmt.Errorf("taking %d migration locks at once exceeds the server's lock table (max_locks_per_transaction × max_connections); raise max_locks_per_transaction or migrate the tenants in smaller groups: %w", len(keys), holder.connLost(err)))
		}
		return fail(fmt.Errorf("take the migration locks: %w", holder.connLost(err)))
	}
	first := slices.Index(granted, false)
	if first < 0 {
		return l, nil
	}
	var release []int64
	for i := first + 1; i < len(granted); i++ {
		if granted[i] {
			release = append(release, keys[i])
		}
	}
	if len(release) > 0 {
		if _, err := holder.conn.Exec(ctx, `SELECT pg_catalog.pg_advisory_unlock(k) FROM pg_catalog.unnest($1::bigint[]) AS u(k)`, release); err != nil {
			return fail(fmt.Errorf("take the migration locks: %w", holder.connLost(err)))
		}
	}
	for _, e := range order[first:] {
		lk := locker{conn: holder.conn, log: newLogger(opts.Log, e.target.Name), wait: opts.LockWait, lost: holder.connLost}
		if err := lk.acquire(ctx, e.key, deadline); err != nil {
			return fail(fmt.Errorf("%s: %w", e.target.label(), err))
		}
	}
	return l, nil
}

// label names a target in messages: its name, else its tracking schema.
func (t Target) label() string {
	if t.Name != "" {
		return t.Name
	}
	return "tracking schema " + t.trackingSchema()
}

// Holds reports whether the set holds the migration lock of t's tracking
// schema.
func (l *LockSet) Holds(t Target) bool {
	return l.keys[lockKey(t.trackingSchema())]
}

// Open opens a session on t that works under the lock the set holds for
// t's tracking schema: the session neither takes nor releases a lock
// itself, and its [Session.Close] only closes its connection. Open first
// checks that the set's connection, and with it the locks, is still
// there; a lost one is an ErrConnect error.
func (l *LockSet) Open(ctx context.Context, t Target, opts Options) (*Session, error) {
	if !l.Holds(t) {
		return nil, fmt.Errorf("executor: the lock set does not hold the migration lock of %s", t)
	}
	if err := l.Ping(ctx); err != nil {
		return nil, err
	}
	return connect(ctx, t, opts)
}

// Ping checks that the connection holding the locks is still alive: while
// it is, the locks are held.
func (l *LockSet) Ping(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.holder.conn.Ping(ctx); err != nil {
		if interrupted(err) {
			return err
		}
		return fmt.Errorf("%w: the connection holding the migration locks was lost: %w", ErrConnect, l.holder.connLost(err))
	}
	return nil
}

// Close releases every lock of the set and closes its connection.
func (l *LockSet) Close(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	var err error
	if !l.holder.conn.IsClosed() {
		if _, uerr := l.holder.conn.Exec(ctx, `SELECT pg_catalog.pg_advisory_unlock_all()`); uerr != nil {
			err = l.holder.connLost(uerr)
		}
	}
	l.holder.closeConn()
	return err
}
