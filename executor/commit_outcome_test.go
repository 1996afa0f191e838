package executor_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	neturl "net/url"
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
	"github.com/safemigrate/safemigrate/pgcluster"
	"github.com/safemigrate/safemigrate/planner"
)

// TestSessionEndedInPlaceOfCommitsReply: the server can end a session
// after its COMMIT is durable and before the reply, e.g. when a shutdown
// or pg_terminate_backend interrupts the wait for a synchronous standby
// (a CI run met it in a fast shutdown). The FATAL error comes in place of
// COMMIT's reply, and the migration committed: the run must not say it
// was rolled back. A server that waits for a standby that never comes
// holds every COMMIT at that point, where the test ends the session.
func TestSessionEndedInPlaceOfCommitsReply(t *testing.T) {
	t.Parallel()
	c, err := pgcluster.Start(context.Background(), pgcluster.Options{Settings: map[string]string{
		"wal_level":                 "replica",
		"max_wal_senders":           "2",
		"synchronous_commit":        "on",
		"synchronous_standby_names": "nobody",
	}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Stop() })

	one := files("0001_a.sql", "-- safe: always\nCREATE TABLE a (id int);\n")
	for _, tc := range []struct {
		name   string
		db     string
		atomic bool
		// refuse makes the database refuse new connections before the
		// session is ended, so that no connection can tell the outcome.
		refuse bool
	}{
		{name: "apply, outcome checked", db: "apply_checked"},
		{name: "atomic, outcome checked", db: "atomic_checked", atomic: true},
		{name: "apply, outcome unknown", db: "apply_unknown", refuse: true},
		{name: "atomic, outcome unknown", db: "atomic_unknown", atomic: true, refuse: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The test's own commits (CREATE and ALTER DATABASE) do not
			// wait for the standby.
			admin, err := pgx.Connect(ctx(t), c.URL("postgres"))
			require.NoError(t, err)
			t.Cleanup(func() { _ = admin.Close(context.Background()) })
			_, err = admin.Exec(ctx(t), `SET synchronous_commit = local`)
			require.NoError(t, err)
			dbname := tc.db
			_, err = admin.Exec(ctx(t), `CREATE DATABASE `+pgx.Identifier{dbname}.Sanitize())
			require.NoError(t, err)
			url := c.URL(dbname)

			stop := make(chan struct{})
			ended := make(chan error, 1)
			go func() {
				ended <- endWaitingCommit(admin, dbname, tc.refuse, stop)
			}()
			res, runErr := executor.Run(ctx(t), target(t, url), load(t, one), executor.Options{Phase: planner.PostDeploy, Atomic: tc.atomic, Log: &syncBuffer{}})
			close(stop)
			require.NoError(t, <-ended)
			if tc.refuse {
				_, err = admin.Exec(ctx(t), `ALTER DATABASE `+pgx.Identifier{dbname}.Sanitize()+` ALLOW_CONNECTIONS true`)
				require.NoError(t, err)
			}
			conn, err := pgx.Connect(ctx(t), url)
			require.NoError(t, err)
			t.Cleanup(func() { _ = conn.Close(context.Background()) })
			// It did commit: the standby wait comes after the commit is
			// durable.
			require.Equal(t, []string{"0001_a"}, queryStrings(t, conn, `SELECT id FROM safemigrate_migrations`))
			if !tc.refuse {
				if runErr != nil {
					require.NotContains(t, runErr.Error(), "rolled back")
				}
				assert.Contains(t, res.Applied, "0001_a", "the report matches the tracking table")
				return
			}
			require.Error(t, runErr)
			t.Logf("%v", runErr)
			assert.NotContains(t, runErr.Error(), "nothing was applied")
			assert.Contains(t, runErr.Error(), "whether")
			assert.Contains(t, runErr.Error(), "`safemigrate status`")
			var me *executor.MigrationError
			require.ErrorAs(t, runErr, &me)
			assert.True(t, me.OutcomeUnknown)
			assert.NotContains(t, res.Applied, "0001_a", "not reported applied on a guess")
		})
	}
}

// endWaitingCommit waits for a session of dbname to wait for the
// synchronous standby at COMMIT and terminates it, first making the
// database refuse new connections when refuse is set.
func endWaitingCommit(admin *pgx.Conn, dbname string, refuse bool, stop <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		var pid int32
		err := admin.QueryRow(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND wait_event = 'SyncRep'`, dbname).Scan(&pid)
		if err == nil {
			if refuse {
				if _, err := admin.Exec(ctx, `ALTER DATABASE `+pgx.Identifier{dbname}.Sanitize()+` ALLOW_CONNECTIONS false`); err != nil {
					return err
				}
			}
			_, err = admin.Exec(ctx, `SELECT pg_terminate_backend($1)`, pid)
			return err
		}
		if err != pgx.ErrNoRows {
			return err
		}
		select {
		case <-stop:
			return nil // the run ended without waiting: the assertions say so
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// TestFatalErrorAroundCommitsReply: a server ending the session (a fast
// shutdown, pg_terminate_backend) sends a FATAL error where the session
// is: after COMMIT's reply, in place of the reply to the Sync that ends
// the round trip, or in place of COMMIT's reply itself. Both times the
// migration committed, and the run must say so, not "rolled back" (a CI
// run did, in a fast shutdown). A proxy between the session and the
// server ends the session at either point, sending the FATAL error the
// server sends.
func TestFatalErrorAroundCommitsReply(t *testing.T) {
	t.Parallel()
	g := load(t, files(
		"0001_a.sql", "-- safe: always\nCREATE TABLE a (id int);\n",
		"0002_b.sql", "-- safe: always\nCREATE TABLE b (id int);\n",
	))
	for _, tc := range []struct {
		name    string
		instead bool
		atomic  bool
	}{
		{name: "after COMMIT's reply"},
		{name: "in place of COMMIT's reply", instead: true},
		{name: "atomic, after COMMIT's reply", atomic: true},
		{name: "atomic, in place of COMMIT's reply", atomic: true, instead: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			url, _ := fresh(t)
			p := newCommitProxy(t, url, tc.instead)
			res, err := executor.Run(ctx(t), target(t, p.url), g, executor.Options{Phase: planner.PostDeploy, Atomic: tc.atomic, Log: &syncBuffer{}})
			require.True(t, p.fired(), "the proxy ended the session at a COMMIT")
			conn := pgtest.Connect(t, url)
			got := queryStrings(t, conn, `SELECT id FROM safemigrate_migrations ORDER BY id`)
			require.NotEmpty(t, got, "the first COMMIT went through")
			if err != nil {
				t.Logf("%v", err)
				assert.NotContains(t, err.Error(), "rolled back")
				assert.NotContains(t, err.Error(), "nothing was applied")
			}
			assert.Equal(t, got, res.Applied, "the report matches the tracking table")
			// A rerun finishes the job.
			_, err = executor.Run(ctx(t), target(t, url), g, executor.Options{Phase: planner.PostDeploy, Atomic: tc.atomic})
			require.NoError(t, err)
			assert.Equal(t, []string{"0001_a", "0002_b"}, queryStrings(t, conn, `SELECT id FROM safemigrate_migrations ORDER BY id`))
		})
	}
}

// commitProxy forwards connections to a server and ends the first session
// whose COMMIT succeeds with a FATAL error, as a server shutting down does:
// after the reply to COMMIT, or in place of it (instead).
type commitProxy struct {
	url     string
	instead bool
	once    sync.Once
	done    atomic.Bool
}

func (p *commitProxy) fired() bool { return p.done.Load() }

func newCommitProxy(t *testing.T, url string, instead bool) *commitProxy {
	t.Helper()
	cfg, err := pgx.ParseConfig(url)
	require.NoError(t, err)
	network, addr := "tcp", net.JoinHostPort(cfg.Host, fmt.Sprint(cfg.Port))
	if strings.HasPrefix(cfg.Host, "/") {
		network, addr = "unix", fmt.Sprintf("%s/.s.PGSQL.%d", cfg.Host, cfg.Port)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	host, port, err := net.SplitHostPort(ln.Addr().String())
	require.NoError(t, err)
	u := neturl.URL{
		Scheme:   "postgres",
		User:     neturl.UserPassword(cfg.User, cfg.Password),
		Host:     net.JoinHostPort(host, port),
		Path:     "/" + cfg.Database,
		RawQuery: "sslmode=disable",
	}
	p := &commitProxy{url: u.String(), instead: instead}
	go func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			server, err := net.Dial(network, addr)
			if err != nil {
				_ = client.Close()
				continue
			}
			go func() { _, _ = io.Copy(server, client); _ = server.Close() }()
			go p.serverToClient(server, client)
		}
	}()
	return p
}

// serverToClient forwards the server's messages whole (after the
// untyped startup, every message is a type byte and a length), watching
// for CommandComplete "COMMIT".
func (p *commitProxy) serverToClient(server, client net.Conn) {
	defer client.Close()
	defer server.Close()
	r := bufio.NewReader(server)
	for {
		head := make([]byte, 5)
		if _, err := io.ReadFull(r, head); err != nil {
			return
		}
		body := make([]byte, int(binary.BigEndian.Uint32(head[1:]))-4)
		if _, err := io.ReadFull(r, body); err != nil {
			return
		}
		commit := head[0] == 'C' && string(body) == "COMMIT\x00"
		end := false
		if commit {
			p.once.Do(func() { end = true })
		}
		if !(end && p.instead) {
			if _, err := client.Write(append(head, body...)); err != nil {
				return
			}
		}
		if end {
			// The server's own words for a fast shutdown.
			var e []byte
			for _, f := range []string{"SFATAL", "VFATAL", "C57P01", "Mterminating connection due to administrator command"} {
				e = append(append(e, f...), 0)
			}
			e = append(e, 0)
			msg := binary.BigEndian.AppendUint32([]byte{'E'}, uint32(len(e)+4))
			_, _ = client.Write(append(msg, e...))
			p.done.Store(true)
			return
		}
	}
}
