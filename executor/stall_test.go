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
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/internal/pgtest"
	"github.com/safemigrate/safemigrate/planner"
)

// stallProxy forwards TCP connections on 127.0.0.1 to the server of cfg
// (over a Unix socket when its host is a directory). A connection whose
// client sends marker is forwarded up to the marker and then stalls: no
// byte moves in either direction any more, but both sockets stay open,
// like a middlebox that stopped forwarding. Other connections are not
// affected.
type stallProxy struct {
	ln      net.Listener
	marker  []byte
	network string
	addr    string

	mu      sync.Mutex
	conns   []net.Conn
	stalled int
	done    chan struct{}
}

func newStallProxy(t *testing.T, cfg *pgx.ConnConfig, marker string) *stallProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &stallProxy{ln: ln, marker: []byte(marker), done: make(chan struct{}), network: "tcp", addr: net.JoinHostPort(cfg.Host, fmt.Sprint(cfg.Port))}
	if strings.HasPrefix(cfg.Host, "/") {
		p.network, p.addr = "unix", filepath.Join(cfg.Host, fmt.Sprintf(".s.PGSQL.%d", cfg.Port))
	}
	go p.serve()
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

func (p *stallProxy) serve() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial(p.network, p.addr)
		if err != nil {
			_ = client.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, client, server)
		p.mu.Unlock()
		stall := make(chan struct{})
		var once sync.Once
		go p.pipe(server, client, stall, &once, true)
		go p.pipe(client, server, stall, &once, false)
	}
}

// pipe copies from src to dst until the connection stalls.
func (p *stallProxy) pipe(dst, src net.Conn, stall chan struct{}, once *sync.Once, fromClient bool) {
	buf := make([]byte, 64<<10)
	for {
		n, err := src.Read(buf)
		select {
		case <-stall:
			<-p.done // swallow everything, keep the sockets open
			return
		default:
		}
		chunk := buf[:n]
		if fromClient {
			if i := bytes.Index(chunk, p.marker); i >= 0 {
				_, _ = dst.Write(chunk[:i])
				once.Do(func() {
					close(stall)
					p.mu.Lock()
					p.stalled++
					p.mu.Unlock()
				})
				<-p.done
				return
			}
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

func (p *stallProxy) stalledConns() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stalled
}

// TestStalledNetworkEndsTheRunAndFreesTheServer: the network stops
// carrying a migration's round trip half-way, in the rehearsal's
// transaction after it locked a table, while both TCP connections stay
// open. The run ends with an error, the server ends up holding nothing
// for the stalled session (no locks, no migration lock), and a new run
// succeeds.
func TestStalledNetworkEndsTheRunAndFreesTheServer(t *testing.T) {
	defer executor.SetStallTimings(200*time.Millisecond, 200*time.Millisecond, time.Second)()
	url := pgtest.NewDatabase(t)
	admin := pgtest.Connect(t, url)
	_, err := admin.Exec(ctx(t), `CREATE TABLE busy (id int)`)
	require.NoError(t, err)

	cfg, err := pgx.ParseConfig(url)
	require.NoError(t, err)
	proxy := newStallProxy(t, cfg, "STALL_HERE")
	viaProxy := cfg.Copy()
	viaProxy.Host, viaProxy.Port = "127.0.0.1", uint16(proxy.ln.Addr().(*net.TCPAddr).Port)
	viaProxy.RuntimeParams["application_name"] = "stall-test"
	tg := executor.Target{Config: viaProxy}

	g := load(t, files(
		"0001_busy.sql", "-- safe: always\nLOCK TABLE busy IN ACCESS EXCLUSIVE MODE;\nSELECT 'STALL_HERE';\n",
	))
	outer, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // generous: not a speed assertion
	defer cancel()
	for _, opts := range []executor.Options{
		{Phase: planner.PostDeploy}, // stalls in the rehearsal
		{Phase: planner.PostDeploy, NoPreflight: true, StatementTimeout: 2 * time.Second}, // stalls in the apply, with a deadline
	} {
		before := proxy.stalledConns()
		_, err = executor.Run(outer, tg, g, opts)
		require.Error(t, err)
		require.NoError(t, outer.Err(), "the run must end by itself")
		assert.Equal(t, before+1, proxy.stalledConns(), "the proxy stalled the migration's connection")
		var se *executor.StalledError
		assert.True(t, errors.As(err, &se), "%v", err)
		assert.ErrorIs(t, err, executor.ErrConnect)

		// The server lets go of everything of the stalled session.
		for {
			var sessions, locks int
			require.NoError(t, admin.QueryRow(outer, `
SELECT (SELECT count(*) FROM pg_stat_activity WHERE application_name = 'stall-test' AND datname = current_database()),
       (SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
         WHERE a.application_name = 'stall-test' AND (l.locktype = 'advisory' OR l.relation = 'busy'::regclass))`).Scan(&sessions, &locks))
			if sessions == 0 && locks == 0 {
				break
			}
			require.NoError(t, outer.Err(), "the stalled session still holds %d lock(s)", locks)
			time.Sleep(50 * time.Millisecond) // polling the observable state
		}
	}

	// A new run (not through the stalling proxy) succeeds.
	g = load(t, files("0001_busy.sql", "-- safe: always\nLOCK TABLE busy IN ACCESS EXCLUSIVE MODE;\nSELECT 'done';\n"))
	res, err := executor.Run(outer, target(t, url), g, executor.Options{Phase: planner.PostDeploy, LockWait: -1})
	require.NoError(t, err)
	assert.Equal(t, []string{"0001_busy"}, res.Applied)
}

// TestSessionsEndIdleTransactions: migrations run in sessions whose
// server ends them when they sit idle inside a transaction, with
// keepalives, also after a migration's own SET and RESET ALL.
func TestSessionsEndIdleTransactions(t *testing.T) {
	url, tg := fresh(t)
	g := load(t, files(
		"0001_a.sql", "-- safe: always\nSET idle_in_transaction_session_timeout = 0;\n",
		"0002_b.sql", "-- safe: always\nCREATE TABLE s AS SELECT current_setting('idle_in_transaction_session_timeout') AS idle, current_setting('application_name') AS app;\n",
	))
	_, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy})
	require.NoError(t, err)
	conn := pgtest.Connect(t, url)
	assert.Equal(t, []string{"1min|safemigrate"}, queryStrings(t, conn, `SELECT idle || '|' || app FROM s`))
}
