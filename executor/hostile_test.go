package executor_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/internal/pgtest"
	"github.com/safemigrate/safemigrate/planner"
)

// A transaction: false migration that changes the role for its own
// statements and resets it at the end must apply. Today its progress row
// is written after statement 1 as the role the migration set, which may
// not write the tracking tables: the run fails after SET ROLE completed,
// preflight skipped it (transaction: false is not rehearsed on the target)
// and lint says nothing, and every rerun fails the same way. Progress must
// be recorded as the role safemigrate connected as (executor/nontx.go).
func TestNonTxSetRoleRecordsProgressAsTheMigrator(t *testing.T) {
	t.Parallel()
	url, tg := fresh(t)
	conn := pgtest.Connect(t, url)
	role := testRole(t, url, conn)
	me := queryStrings(t, conn, `SELECT current_user::text`)[0]
	g := load(t, files(
		"0001_role.sql", "-- safe: always\n-- transaction: false\nSET ROLE "+role+";\nCREATE TABLE IF NOT EXISTS b (id int);\nCREATE INDEX CONCURRENTLY IF NOT EXISTS b_id ON b (id);\nRESET ROLE;\n",
		"0002_next.sql", "-- safe: always\nCREATE TABLE c (id int);\n"))
	res, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy})
	require.NoError(t, err)
	require.Equal(t, []string{"0001_role", "0002_next"}, res.Applied)
	require.Equal(t, []string{role, me},
		queryStrings(t, conn, `SELECT tableowner::text FROM pg_tables WHERE tablename IN ('b', 'c') ORDER BY tablename`))
}

// blackholeProxy forwards TCP connections to the server of cfg until a
// client sends marker; from then on no byte moves on any connection, old
// or new, while every socket stays open and new ones are still accepted:
// a wedged middlebox that still answers TCP for the server.
type blackholeProxy struct {
	ln      net.Listener
	marker  []byte
	after   bool // forward the request that carries marker, then go dead
	onlyIt  bool // only the connection that carried marker goes dead; others keep working
	network string
	addr    string
	dead    atomic.Bool
	done    chan struct{}
	mu      sync.Mutex
	conns   []net.Conn
}

func newBlackholeProxy(t *testing.T, cfg *pgx.ConnConfig, marker string) *blackholeProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &blackholeProxy{ln: ln, marker: []byte(marker), done: make(chan struct{}), network: "tcp", addr: net.JoinHostPort(cfg.Host, fmt.Sprint(cfg.Port))}
	if strings.HasPrefix(cfg.Host, "/") {
		p.network, p.addr = "unix", filepath.Join(cfg.Host, fmt.Sprintf(".s.PGSQL.%d", cfg.Port))
	}
	go func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			p.conns = append(p.conns, client)
			p.mu.Unlock()
			if p.dead.Load() {
				continue // accepted, never answered
			}
			server, err := net.Dial(p.network, p.addr)
			if err != nil {
				_ = client.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, server)
			p.mu.Unlock()
			dead := &p.dead
			if p.onlyIt {
				dead = new(atomic.Bool)
			}
			go p.pipe(server, client, true, dead)
			go p.pipe(client, server, false, dead)
		}
	}()
	t.Cleanup(func() {
		close(p.done)
		_ = ln.Close()
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, c := range p.conns {
			_ = c.Close()
		}
	})
	return p
}

func (p *blackholeProxy) pipe(dst, src net.Conn, fromClient bool, dead *atomic.Bool) {
	buf := make([]byte, 64<<10)
	for {
		n, err := src.Read(buf)
		chunk := buf[:n]
		if fromClient {
			if i := bytes.Index(chunk, p.marker); i >= 0 {
				if p.after {
					i = len(chunk)
				}
				_, _ = dst.Write(chunk[:i])
				dead.Store(true)
			}
		}
		if dead.Load() {
			<-p.done
			return
		}
		if n > 0 {
			if _, werr := dst.Write(chunk); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// TestStallWithNoWayToTheServerEndsTheRun: the network stops carrying
// anything to the server, on the migration's connection and on every new
// one (a wedged proxy that still accepts connections and answers TCP), and
// no statement timeout is set. The run must still end by itself, as
// stalled, instead of waiting forever for the monitoring connection to get
// through.
func TestStallWithNoWayToTheServerEndsTheRun(t *testing.T) {
	defer executor.SetStallTimings(200*time.Millisecond, 200*time.Millisecond, time.Second)()
	defer executor.SetUnreachableGrace(3 * time.Second)()
	url := pgtest.NewDatabase(t)
	cfg, err := pgx.ParseConfig(url)
	require.NoError(t, err)
	proxy := newBlackholeProxy(t, cfg, "BLACKHOLE_HERE")
	viaProxy := cfg.Copy()
	viaProxy.Host, viaProxy.Port = "127.0.0.1", uint16(proxy.ln.Addr().(*net.TCPAddr).Port)
	viaProxy.ConnectTimeout = 0
	g := load(t, files("0001_a.sql", "-- safe: always\nCREATE TABLE a (id int);\nSELECT 'BLACKHOLE_HERE';\n"))
	outer, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // generous: not a speed assertion
	defer cancel()
	_, err = executor.Run(outer, executor.Target{Config: viaProxy}, g, executor.Options{Phase: planner.PostDeploy, NoPreflight: true})
	require.Error(t, err)
	require.NoError(t, outer.Err(), "the run must end by itself")
	var se *executor.StalledError
	require.True(t, errors.As(err, &se), "%v", err)
	assert.ErrorIs(t, err, executor.ErrConnect)
	assert.NotContains(t, err.Error(), "the session was ended", "it could not be ended: no connection reached the server")
}

// TestReplyLostAfterCommitIsNotReportedAsRolledBack: a transactional
// migration's batch (statements, tracking row, COMMIT) reaches the server
// and commits, and then the network loses the reply (and every new
// connection). The run must end, and must not report the migration as
// rolled back with nothing applied: it was committed and recorded. Either
// it finds that out (a second look at the tracking table) or it says that
// the outcome is unknown. Today: "apply 0001_a failed and was rolled back
// (nothing was applied)", context "preparing the transaction", hint "the
// migration's transaction was rolled back" (executor/executor_apply.go,
// applyTxOnce; the hint in executor/unit.go).
// With new connections working, the monitoring connection sees the
// session idle outside a transaction (committed) and ends it; the report
// says the same wrong thing.
func TestReplyLostAfterCommitIsNotReportedAsRolledBack(t *testing.T) {
	defer executor.SetStallTimings(200*time.Millisecond, 200*time.Millisecond, time.Second)()
	defer executor.SetUnreachableGrace(3 * time.Second)()
	for _, onlyIt := range []bool{false, true} {
		t.Run(fmt.Sprintf("new connections work: %v", onlyIt), func(t *testing.T) { replyLostAfterCommit(t, onlyIt, false) })
	}
	// --atomic commits a segment in a batch of its own: with one
	// migration, the only one that releases the migration's savepoint.
	t.Run("atomic", func(t *testing.T) { replyLostAfterCommit(t, true, true) })
}

func replyLostAfterCommit(t *testing.T, onlyIt, atomic bool) {
	url := pgtest.NewDatabase(t)
	conn := pgtest.Connect(t, url)
	cfg, err := pgx.ParseConfig(url)
	require.NoError(t, err)
	marker := "REPLY_LOST"
	if atomic {
		marker = "RELEASE SAVEPOINT safemigrate_preflight"
	}
	proxy := newBlackholeProxy(t, cfg, marker)
	proxy.after, proxy.onlyIt = true, onlyIt
	viaProxy := cfg.Copy()
	viaProxy.Host, viaProxy.Port = "127.0.0.1", uint16(proxy.ln.Addr().(*net.TCPAddr).Port)
	g := load(t, files("0001_a.sql", "-- safe: always\nCREATE TABLE a (id int);\nSELECT 'REPLY_LOST';\n"))
	outer, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // generous: not a speed assertion
	defer cancel()
	res, err := executor.Run(outer, executor.Target{Config: viaProxy}, g, executor.Options{Phase: planner.PostDeploy, NoPreflight: !atomic, Atomic: atomic})
	require.NoError(t, outer.Err(), "the run must end by itself")
	require.Equal(t, []string{"0001_a"}, appliedIDs(t, conn, "public"), "the server committed the migration and its tracking row")
	if err == nil {
		require.Equal(t, []string{"0001_a"}, res.Applied)
		return
	}
	assert.NotContains(t, err.Error(), "rolled back", "it was committed")
	assert.NotContains(t, err.Error(), "nothing was applied", "it was committed")
}

// The refusal names the database whose tracking tables it refuses: with
// preflight --against, a fleet or a copy, "the tracking tables in schema
// public" alone sends the user to look at the wrong database.
func TestUntrustedTrackingNamesTheDatabase(t *testing.T) {
	t.Parallel()
	url, tg := fresh(t)
	conn := pgtest.Connect(t, url)
	role := testRole(t, url, conn)
	_, err := conn.Exec(ctx(t), "CREATE TABLE "+executor.MigrationsTable+" (id text); ALTER TABLE "+executor.MigrationsTable+" OWNER TO "+pgx.Identifier{role}.Sanitize())
	require.NoError(t, err)
	_, err = executor.Run(ctx(t), tg, load(t, files("0001_a.sql", "-- safe: always\nCREATE TABLE a (id int);\n")), executor.Options{Phase: planner.PostDeploy})
	require.ErrorIs(t, err, executor.ErrUntrustedTracking)
	assert.Contains(t, err.Error(), fmt.Sprintf("database %q", tg.Config.Database))
}

// A non-rollbackable call is attributed to the statement it is in, also
// when several statements share a line. Today the statement is guessed
// from the line (the last statement starting on or before it): setval in
// statement 2 is reported as "statement 3" (executor/executor_preflight.go,
// sideEffects).
func TestPreflightSideEffectNamesItsStatement(t *testing.T) {
	t.Parallel()
	_, tg := fresh(t)
	g := load(t, files("0001_a.sql", "-- safe: always\nCREATE SEQUENCE s; SELECT setval('s', 5); SELECT 1/0;\n"))
	res, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy})
	require.ErrorIs(t, err, executor.ErrPreflight)
	require.Len(t, res.Preflight.Migrations, 1)
	assert.Equal(t, []string{"statement 2 (line 2): setval"}, res.Preflight.Migrations[0].SideEffects)
}

// A server (or a proxy in front of it) that accepts the TCP connection
// but never answers must not hang the run while connecting: without a
// connect_timeout in the URL, `safemigrate status` waited forever.
func TestConnectToASilentServerEnds(t *testing.T) {
	defer executor.SetConnectTimeout(2 * time.Second)()
	url := pgtest.NewDatabase(t)
	cfg, err := pgx.ParseConfig(url)
	require.NoError(t, err)
	proxy := newBlackholeProxy(t, cfg, "never sent")
	proxy.dead.Store(true)
	viaProxy := cfg.Copy()
	viaProxy.Host, viaProxy.Port = "127.0.0.1", uint16(proxy.ln.Addr().(*net.TCPAddr).Port)
	viaProxy.ConnectTimeout = 0                                               // as parsed from a URL without connect_timeout
	outer, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // generous: not a speed assertion
	defer cancel()
	_, err = executor.ReadState(outer, executor.Target{Config: viaProxy})
	require.NoError(t, outer.Err(), "connecting must end by itself")
	require.ErrorIs(t, err, executor.ErrConnect)
}
