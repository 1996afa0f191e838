package executor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Settings that keep a stalled network from leaving the server holding
// locks (docs/security.md, "Stalled connections").
const (
	// IdleInTransactionTimeout is idle_in_transaction_session_timeout of
	// every session safemigrate opens, unless the connection string sets
	// it: a session idle inside a transaction is never safemigrate's
	// doing for longer than a moment, so the server ends it (and its
	// transaction, and its locks). Sessions idle outside a transaction,
	// such as the one holding the migration locks of a fleet, are not
	// affected.
	IdleInTransactionTimeout = time.Minute
	// KeepAliveIdle, KeepAliveInterval and KeepAliveCount configure TCP
	// keepalives on both ends of every connection: a peer that vanished
	// is noticed after about idle + interval × count.
	KeepAliveIdle     = 30 * time.Second
	KeepAliveInterval = 10 * time.Second
	KeepAliveCount    = 3
	// RoundTripMargin is added to the statement timeouts of a round trip
	// to get its client-side deadline.
	RoundTripMargin = 30 * time.Second
)

// Stall detection of a round trip without a statement timeout (a long
// backfill must not be cut short, so there is no deadline): once a round
// trip has waited stallProbeAfter, the backend is looked at from a second
// connection every stallProbeInterval. A backend that is not working on
// the request — idle, or waiting to read the rest of it or to write the
// reply — for stallGrace while the client still waits means the network
// lost the request or the reply: the backend is terminated (ending its
// transaction and releasing its locks) and the round trip fails. When no
// new connection gets any reply from the server for stallUnreachable
// either (a server reply such as "too many clients" counts as one), the
// network to the server is gone: the round trip fails without waiting
// longer, and the server lets go of the session by itself (keepalives,
// idle_in_transaction_session_timeout). Variables so that tests can
// shorten them.
var (
	stallProbeAfter    = durationVar(10 * time.Second)
	stallProbeInterval = durationVar(5 * time.Second)
	stallGrace         = durationVar(20 * time.Second)
	stallUnreachable   = durationVar(2 * time.Minute)
	// connectTimeout bounds connecting (TCP, TLS, authentication) when
	// the connection string sets no connect_timeout: a server, or a proxy
	// in front of it, that accepts the connection and never answers must
	// not hang the run.
	connectTimeout  = durationVar(time.Minute)
	ownQueryTimeout = 2 * time.Minute
)

// durationVar is a duration tests may change while other tests run.
type durationVar int64

func (d *durationVar) get() time.Duration  { return time.Duration(atomic.LoadInt64((*int64)(d))) }
func (d *durationVar) set(v time.Duration) { atomic.StoreInt64((*int64)(d), int64(v)) }

// StalledError is a round trip that got no reply: the network stopped
// carrying the session's traffic. It matches [ErrConnect].
type StalledError struct {
	// Waited is how long the round trip waited.
	Waited time.Duration
	// Reason says how the stall was recognised.
	Reason string
	// Unreachable means no connection reached the server, so the session
	// could not be ended from the client: the server ends it by itself.
	Unreachable bool
}

func (e *StalledError) Error() string {
	if e.Unreachable {
		return fmt.Sprintf("no reply from the database after %s (%s); the server could not be told to end the session: it ends it by itself once it notices the client is gone (TCP keepalives, idle_in_transaction_session_timeout), releasing its locks; check the network between safemigrate and the server and run again",
			e.Waited.Round(time.Millisecond), e.Reason)
	}
	return fmt.Sprintf("no reply from the database after %s (%s); the session was ended so that the server holds no locks for it; check the network between safemigrate and the server and run again",
		e.Waited.Round(time.Millisecond), e.Reason)
}

// Unwrap makes a StalledError match [ErrConnect].
func (e *StalledError) Unwrap() error { return ErrConnect }

// configureWire sets the session parameters and the dialer that bound
// how long a stalled network can hold a session: keepalives on both ends
// and idle_in_transaction_session_timeout. Parameters the connection
// string sets win.
func configureWire(cfg *pgx.ConnConfig) {
	set := func(k, v string) {
		if _, ok := cfg.RuntimeParams[k]; !ok {
			cfg.RuntimeParams[k] = v
		}
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = connectTimeout.get()
	}
	set("idle_in_transaction_session_timeout", strconv.FormatInt(IdleInTransactionTimeout.Milliseconds(), 10))
	// Server-side keepalives (ignored on Unix sockets).
	set("tcp_keepalives_idle", strconv.Itoa(int(KeepAliveIdle/time.Second)))
	set("tcp_keepalives_interval", strconv.Itoa(int(KeepAliveInterval/time.Second)))
	set("tcp_keepalives_count", strconv.Itoa(KeepAliveCount))
	if defaultDial(cfg.DialFunc) {
		d := &net.Dialer{KeepAliveConfig: net.KeepAliveConfig{
			Enable: true, Idle: KeepAliveIdle, Interval: KeepAliveInterval, Count: KeepAliveCount,
		}}
		cfg.DialFunc = d.DialContext
	}
}

// defaultDial reports whether f is pgx's own dialer (a net.Dialer, with
// or without connect_timeout), which safemigrate may replace by one with
// keepalives; a dialer of the caller's is kept.
func defaultDial(f func(ctx context.Context, network, addr string) (net.Conn, error)) bool {
	if f == nil {
		return true
	}
	fn := runtime.FuncForPC(reflect.ValueOf(f).Pointer())
	if fn == nil {
		return false
	}
	name := fn.Name()
	return strings.HasPrefix(name, "net.(*Dialer).DialContext") || strings.HasPrefix(name, "github.com/jackc/pgx/v5/pgconn.")
}

// ConnConfig returns the configuration safemigrate connects to t with:
// t.Config plus application_name, the target's search_path, keepalives
// and idle_in_transaction_session_timeout. Packages that open their own
// connections to a target (a fleet's) use it.
func ConnConfig(t Target) *pgx.ConnConfig { return sessionConfig(t) }

// ownCtx bounds one of safemigrate's own queries (reading the tracking
// tables, taking the lock): they return at once on a healthy server.
func ownCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, ownQueryTimeout)
}

// roundTrip bounds one round trip of a migration that runs up to stmts
// statements: with a statement timeout, a deadline of stmts × the
// timeout plus [RoundTripMargin]; without one, stall detection (see
// stallProbeAfter). done returns the error to report instead of err when
// the round trip was cut short for either reason.
func (s *Session) roundTrip(ctx context.Context, u *unit, stmts int) (context.Context, func(err error) error) {
	start := time.Now()
	rctx, cancel := context.WithCancelCause(ctx)
	var timer *time.Timer
	if u.stmtTimeout > 0 {
		d := time.Duration(max(stmts, 1))*u.stmtTimeout + RoundTripMargin
		timer = time.AfterFunc(d, func() {
			cancel(&StalledError{Waited: time.Since(start), Reason: fmt.Sprintf("the client-side deadline of %s (statement_timeout %s per statement plus %s) passed", d, u.stmtTimeout, RoundTripMargin)})
		})
	}
	stopProbe := s.probeStall(rctx, start, cancel)
	return rctx, func(err error) error {
		if timer != nil {
			timer.Stop()
		}
		stopProbe()
		var se *StalledError
		if err != nil && errors.As(context.Cause(rctx), &se) {
			err = se
		}
		cancel(nil)
		return err
	}
}

// probeStall watches the session's backend while a round trip waits; see
// stallProbeAfter. The returned function stops it.
func (s *Session) probeStall(ctx context.Context, start time.Time, cancel context.CancelCauseFunc) func() {
	pid := s.conn.PgConn().PID()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTimer(stallProbeAfter.get())
		defer t.Stop()
		var conn *pgx.Conn
		defer func() {
			if conn != nil {
				cctx, c := context.WithTimeout(context.Background(), 2*time.Second)
				_ = conn.Close(cctx)
				c()
			}
		}()
		var waitingSince time.Time     // first sample that saw the backend wait for us
		var unreachableSince time.Time // first failed connection without any reply from the server
		for {
			select {
			case <-stop:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
			qctx, qcancel := context.WithTimeout(ctx, stallProbeInterval.get()+5*time.Second)
			if conn == nil {
				cfg := sessionConfig(Target{Config: s.target.Config})
				cfg.RuntimeParams["application_name"] += " (monitor)"
				cfg.OnNotice = nil
				c, err := pgx.ConnectConfig(qctx, cfg)
				if err != nil {
					qcancel()
					var pe *pgconn.PgError
					switch {
					case errors.As(err, &pe): // the server answered: it is reachable
						unreachableSince = time.Time{}
					case unreachableSince.IsZero():
						unreachableSince = time.Now()
					case time.Since(unreachableSince) >= stallUnreachable.get():
						cancel(&StalledError{Waited: time.Since(start), Unreachable: true,
							Reason: fmt.Sprintf("nothing came back on this connection, and for %s no new connection got any reply from the server either: %v",
								time.Since(unreachableSince).Round(time.Second), err)})
						return
					}
					t.Reset(stallProbeInterval.get())
					continue
				}
				unreachableSince = time.Time{}
				conn = c
			}
			var found bool
			var state, waitEvent string
			var idleFor time.Duration
			err := conn.QueryRow(qctx, `
SELECT coalesce(state, ''), coalesce(wait_event, ''),
       coalesce(pg_catalog.clock_timestamp() - state_change, '0'::interval)
  FROM pg_catalog.pg_stat_activity WHERE pid = $1`, int32(pid)).Scan(&state, &waitEvent, &idleFor)
			switch {
			case errors.Is(err, pgx.ErrNoRows):
				found = false
			case err != nil:
				qcancel()
				_ = conn.Close(context.Background())
				conn = nil
				t.Reset(stallProbeInterval.get())
				continue
			default:
				found = true
			}
			now := time.Now()
			reason := ""
			switch {
			case !found:
				reason = "the server has no session for this connection any more"
			case strings.HasPrefix(state, "idle") && idleFor >= stallGrace.get():
				reason = fmt.Sprintf("the server finished and has been %q for %s, but its reply never arrived", state, idleFor.Round(time.Second))
			case state == "active" && (waitEvent == "ClientRead" || waitEvent == "ClientWrite"):
				if waitingSince.IsZero() {
					waitingSince = now
				}
				if now.Sub(waitingSince) >= stallGrace.get() {
					what := "the rest of the request never arrived"
					if waitEvent == "ClientWrite" {
						what = "it cannot send its reply"
					}
					reason = fmt.Sprintf("the server has waited on the network for at least %s: %s", now.Sub(waitingSince).Round(time.Second), what)
				}
			default:
				waitingSince = time.Time{}
			}
			if reason != "" {
				if found {
					// End the session: its transaction rolls back and
					// its locks, the migration lock included, are freed.
					// Wait (within qctx) until it is gone, so that the
					// locks are free when the run reports the stall: a
					// rerun right after must not find them held.
					_, _ = conn.Exec(qctx, `SELECT pg_catalog.pg_terminate_backend($1)`, int32(pid))
					for qctx.Err() == nil {
						var alive bool
						if conn.QueryRow(qctx, `SELECT EXISTS (SELECT FROM pg_catalog.pg_stat_activity WHERE pid = $1)`, int32(pid)).Scan(&alive) != nil || !alive {
							break
						}
						time.Sleep(20 * time.Millisecond)
					}
				}
				qcancel()
				cancel(&StalledError{Waited: time.Since(start), Reason: reason})
				return
			}
			qcancel()
			t.Reset(stallProbeInterval.get())
		}
	}()
	return func() {
		close(stop)
		wg.Wait()
	}
}
