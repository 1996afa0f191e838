package fleet

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/safemigrate/safemigrate/executor"
)

// pool keeps the sessions of a fleet run between tenants: a worker done
// with a tenant leaves its session idle, and the next tenant of the same
// database takes it over ([executor.Session.Retarget]) instead of
// connecting (and authenticating, and warming a new backend's catalog
// caches) again. It keeps at most jobs sessions open, perServer of them
// to one server, closing idle ones to make room.
type pool struct {
	locks     *executor.LockSet // a fleet of schemas: the sessions work under it
	opts      executor.Options
	jobs      int
	perServer int

	mu     sync.Mutex
	idle   map[string][]*executor.Session // by database
	open   map[string]int                 // sessions open, by server
	total  int
	closed []*executor.Session // to close outside the mutex
}

func newPool(locks *executor.LockSet, opts executor.Options, jobs, perServer int) *pool {
	return &pool{locks: locks, opts: opts, jobs: jobs, perServer: perServer, idle: map[string][]*executor.Session{}, open: map[string]int{}}
}

// acquire returns a session on t: an idle one of t's database retargeted
// at t, or a new one.
func (p *pool) acquire(ctx context.Context, t executor.Target) (*executor.Session, error) {
	db, srv := poolKey(t), server(t)
	p.mu.Lock()
	if l := p.idle[db]; len(l) > 0 {
		s := l[len(l)-1]
		p.idle[db] = l[:len(l)-1]
		p.mu.Unlock()
		var err error
		if p.locks != nil {
			err = p.locks.Retarget(ctx, s, t)
		} else {
			err = s.Retarget(ctx, t)
		}
		if err != nil {
			p.discard(ctx, s, t)
			return nil, err
		}
		return s, nil
	}
	// Make room: close idle sessions of this server, then of any.
	for p.open[srv] >= p.perServer || p.total >= p.jobs {
		match := func(string) bool { return true }
		if p.open[srv] >= p.perServer {
			match = func(k string) bool { return serverOfKey(k) == srv }
		}
		if !p.evict(match) {
			break // everything open is busy: the scheduler keeps this from happening
		}
	}
	p.open[srv]++
	p.total++
	closing := p.closed
	p.closed = nil
	p.mu.Unlock()
	closeAll(ctx, closing)
	var (
		s   *executor.Session
		err error
	)
	if p.locks != nil {
		s, err = p.locks.Open(ctx, t, p.opts)
	} else {
		s, err = executor.Open(ctx, t, p.opts)
	}
	if err != nil {
		p.mu.Lock()
		p.open[srv]--
		p.total--
		p.mu.Unlock()
		return nil, err
	}
	return s, nil
}

// evict moves one idle session of a database that match accepts to
// p.closed. p.mu is held.
func (p *pool) evict(match func(db string) bool) bool {
	for db, l := range p.idle {
		if len(l) == 0 || !match(db) {
			continue
		}
		s := l[len(l)-1]
		p.idle[db] = l[:len(l)-1]
		p.open[serverOfKey(db)]--
		p.total--
		p.closed = append(p.closed, s)
		return true
	}
	return false
}

// release gives s back after a tenant of t: idle when ok, closed when not.
func (p *pool) release(ctx context.Context, s *executor.Session, t executor.Target, ok bool) {
	ok = ok && !s.Closed() // the server may end a session after a tenant's last COMMIT
	if ok && p.locks == nil {
		// Idle, it must not hold the tenant's lock: another run waiting
		// for it while holding a lock this run waits for would wait in a
		// circle.
		ok = s.ReleaseLock(ctx) == nil
	}
	if !ok {
		p.discard(ctx, s, t)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	db := poolKey(t)
	p.idle[db] = append(p.idle[db], s)
}

// discard closes s, a session of t.
func (p *pool) discard(ctx context.Context, s *executor.Session, t executor.Target) {
	p.mu.Lock()
	p.open[server(t)]--
	p.total--
	p.mu.Unlock()
	closeAll(ctx, []*executor.Session{s})
}

// closeAll closes every idle session (releasing the locks they hold).
func (p *pool) closeAll(ctx context.Context) {
	p.mu.Lock()
	var all []*executor.Session
	for db, l := range p.idle {
		all = append(all, l...)
		p.open[serverOfKey(db)] -= len(l)
		p.total -= len(l)
	}
	p.idle = map[string][]*executor.Session{}
	all = append(all, p.closed...)
	p.closed = nil
	p.mu.Unlock()
	closeAll(ctx, all)
}

func closeAll(ctx context.Context, ss []*executor.Session) {
	for _, s := range ss {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		_ = s.Close(closeCtx)
		cancel()
	}
}

// poolKey identifies the database of t: its server and name.
func poolKey(t executor.Target) string { return server(t) + "\x00" + t.Config.Database }

// serverOfKey is the server part of a [poolKey].
func serverOfKey(key string) string {
	srv, _, _ := strings.Cut(key, "\x00")
	return srv
}
