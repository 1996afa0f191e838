package pgcluster_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/pgcluster"
)

// tempParent returns a fresh directory for clusters' temporary
// directories that the unprivileged server user can traverse even when
// the tests run as root (t.TempDir is mode 0700).
func tempParent(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "pgcluster-test-")
	require.NoError(t, err)
	require.NoError(t, os.Chmod(dir, 0o755))
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

func start(t *testing.T, opts pgcluster.Options) *pgcluster.Cluster {
	t.Helper()
	c, err := pgcluster.Start(t.Context(), opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Stop() })
	return c
}

func TestStartQueryAndStop(t *testing.T) {
	ctx := t.Context()
	c := start(t, pgcluster.Options{Settings: map[string]string{"max_connections": "20"}})

	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	require.NoError(t, err)
	var (
		sum      int
		user     string
		fsync    string
		maxConns string
	)
	err = conn.QueryRow(ctx,
		"SELECT 1+1, current_user, current_setting('fsync'), current_setting('max_connections')",
	).Scan(&sum, &user, &fsync, &maxConns)
	require.NoError(t, err)
	assert.Equal(t, 2, sum)
	assert.Equal(t, pgcluster.Superuser, user)
	assert.Equal(t, "off", fsync)
	assert.Equal(t, "20", maxConns, "Options.Settings override the defaults")
	require.NoError(t, conn.Close(ctx))

	assert.Contains(t, c.URL("postgres"), "@/postgres?host="+url.QueryEscape(c.SocketDir()))
	assert.FileExists(t, filepath.Join(c.BinDir(), "postgres"))
	assert.DirExists(t, c.Dir())
	assert.FileExists(t, c.LogPath())

	dir, pid := c.Dir(), pgcluster.ServerPID(c)
	require.True(t, pgcluster.ProcessAlive(pid))

	// Concurrent calls, as from a deferred Stop and a signal handler.
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() { assert.NoError(t, c.Stop()) })
	}
	wg.Wait()
	assert.NoError(t, c.Stop(), "Stop is idempotent")

	assert.NoDirExists(t, dir)
	assert.False(t, pgcluster.ProcessAlive(pid), "server process still exists")
	_, err = c.CreateDatabase(ctx, "late")
	assert.ErrorIs(t, err, pgcluster.ErrStopped)
	_, err = c.DumpSchema(ctx, "postgres")
	assert.ErrorIs(t, err, pgcluster.ErrStopped)
}

func TestDatabases(t *testing.T) {
	ctx := t.Context()
	c := start(t, pgcluster.Options{})

	const name = "Mixed Case-db"
	url, err := c.CreateDatabase(ctx, name)
	require.NoError(t, err)
	assert.Equal(t, c.URL(name), url)

	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	var db string
	require.NoError(t, conn.QueryRow(ctx, "SELECT current_database()").Scan(&db))
	assert.Equal(t, name, db)
	_, err = conn.Exec(ctx, "CREATE TABLE widgets (id bigint PRIMARY KEY, name text NOT NULL)")
	require.NoError(t, err)

	_, err = c.CreateDatabase(ctx, name)
	var pgErr *pgconn.PgError
	require.ErrorAs(t, err, &pgErr, "creating it twice fails")
	assert.Equal(t, "42P04", pgErr.Code) // duplicate_database

	dump, err := c.DumpSchema(ctx, name)
	require.NoError(t, err)
	assert.Contains(t, string(dump), "CREATE TABLE public.widgets")
	assert.NotContains(t, string(dump), `\restrict`)
	again, err := c.DumpSchema(ctx, name)
	require.NoError(t, err)
	assert.Equal(t, string(dump), string(again), "dumps of one schema are equal")

	// The open connection does not prevent the drop.
	require.NoError(t, c.DropDatabase(ctx, name))
	assert.NoError(t, c.DropDatabase(ctx, name), "dropping a missing database is fine")
	_, err = pgx.Connect(ctx, url)
	require.ErrorAs(t, err, &pgErr)
	assert.Equal(t, "3D000", pgErr.Code) // invalid_catalog_name

	_, err = c.CreateDatabase(ctx, strings.Repeat("x", 64))
	assert.Error(t, err)
}

func TestStartCancelled(t *testing.T) {
	// Cancelling at different moments hits initdb or the wait for the
	// server; whichever happens, Start either succeeds or leaves nothing.
	for _, delay := range []time.Duration{0, 50 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond, 800 * time.Millisecond} {
		t.Run(delay.String(), func(t *testing.T) {
			parent := tempParent(t)
			ctx, cancel := context.WithCancel(t.Context())
			timer := time.AfterFunc(delay, cancel)
			defer timer.Stop()
			c, err := pgcluster.Start(ctx, pgcluster.Options{TempDir: parent})
			if err == nil {
				t.Logf("started before the cancellation after %s", delay)
				require.NoError(t, c.Stop())
			} else {
				assert.ErrorIs(t, err, context.Canceled)
			}
			entries, err := os.ReadDir(parent)
			require.NoError(t, err)
			assert.Empty(t, entries, "temporary directory left behind")
			assert.Empty(t, processesMentioning(t, parent), "processes left behind")
		})
	}
}

func TestStartTimeout(t *testing.T) {
	parent := tempParent(t)
	_, err := pgcluster.Start(t.Context(), pgcluster.Options{TempDir: parent, StartTimeout: 100 * time.Millisecond})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), "did not finish within 100ms")
	entries, err := os.ReadDir(parent)
	require.NoError(t, err)
	assert.Empty(t, entries)
}

func TestStartServerFailureShowsLog(t *testing.T) {
	parent := tempParent(t)
	_, err := pgcluster.Start(t.Context(), pgcluster.Options{
		TempDir:  parent,
		Settings: map[string]string{"shared_buffers": "plenty"},
	})
	var startErr *pgcluster.StartError
	require.ErrorAs(t, err, &startErr)
	assert.Equal(t, "postgres", startErr.Step)
	assert.Contains(t, startErr.LogTail, "shared_buffers")
	assert.Contains(t, err.Error(), "shared_buffers")
	entries, err := os.ReadDir(parent)
	require.NoError(t, err)
	assert.Empty(t, entries)
}

func TestStartInvalidOptions(t *testing.T) {
	tests := []struct {
		name string
		opts pgcluster.Options
	}{
		{"managed setting", pgcluster.Options{Settings: map[string]string{"port": "5432"}}},
		{"listen on TCP", pgcluster.Options{Settings: map[string]string{"listen_addresses": "*"}}},
		{"own pg_hba", pgcluster.Options{Settings: map[string]string{"hba_file": "/tmp/trust.conf"}}},
		{"socket permissions", pgcluster.Options{Settings: map[string]string{"unix_socket_permissions": "0777"}}},
		{"bad setting name", pgcluster.Options{Settings: map[string]string{"a=b": "c"}}},
		{"negative timeout", pgcluster.Options{StopTimeout: -time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := pgcluster.Start(t.Context(), tt.opts)
			assert.Error(t, err)
		})
	}
}

func TestStartSweepsStaleDirectories(t *testing.T) {
	parent := tempParent(t)
	host, err := os.Hostname()
	require.NoError(t, err)

	dead := deadPID(t)
	require.False(t, pgcluster.ProcessAlive(dead))
	alive := os.Getppid()

	mk := func(name, owner string) string {
		dir := filepath.Join(parent, name)
		require.NoError(t, os.Mkdir(dir, 0o700))
		if owner != "" {
			require.NoError(t, os.WriteFile(filepath.Join(dir, pgcluster.OwnerFile), []byte(owner), 0o644))
		}
		return dir
	}
	stale := mk(pgcluster.DirPrefix+"dead", strconv.Itoa(dead)+"\n"+host+"\n")
	staleNoHost := mk(pgcluster.DirPrefix+"dead-nohost", strconv.Itoa(dead)+"\n")
	live := mk(pgcluster.DirPrefix+"alive", strconv.Itoa(alive)+"\n"+host+"\n")
	elsewhere := mk(pgcluster.DirPrefix+"elsewhere", strconv.Itoa(dead)+"\nanother-host\n")
	fresh := mk(pgcluster.DirPrefix+"no-owner-new", "")
	old := mk(pgcluster.DirPrefix+"no-owner-old", "")
	longAgo := time.Now().Add(-2 * time.Hour)
	require.NoError(t, os.Chtimes(old, longAgo, longAgo))
	unrelated := mk("something-else", "")
	require.NoError(t, os.Chtimes(unrelated, longAgo, longAgo))
	require.NoError(t, os.WriteFile(filepath.Join(stale, "leftover"), []byte("x"), 0o644))

	c := start(t, pgcluster.Options{TempDir: parent})

	assert.NoDirExists(t, stale)
	assert.NoDirExists(t, staleNoHost)
	assert.NoDirExists(t, old)
	assert.DirExists(t, live)
	assert.DirExists(t, elsewhere)
	assert.DirExists(t, fresh)
	assert.DirExists(t, unrelated)
	assert.DirExists(t, c.Dir(), "the new cluster's own directory")
	owner, err := os.ReadFile(filepath.Join(c.Dir(), pgcluster.OwnerFile))
	require.NoError(t, err)
	assert.Equal(t, strconv.Itoa(os.Getpid())+"\n"+host+"\n", string(owner))
}

// deadPID runs a short-lived process and returns its (now unused) pid.
func deadPID(t *testing.T) int {
	t.Helper()
	p, err := os.StartProcess("/bin/sh", []string{"sh", "-c", "exit 0"}, &os.ProcAttr{})
	require.NoError(t, err)
	_, err = p.Wait()
	require.NoError(t, err)
	return p.Pid
}

// processesMentioning returns the command lines of running processes
// whose command line contains s (Linux only; nil elsewhere).
func processesMentioning(t *testing.T, s string) []string {
	t.Helper()
	var found []string
	// Killed processes may take a moment to disappear.
	for deadline := time.Now().Add(3 * time.Second); ; {
		found = found[:0]
		paths, _ := filepath.Glob("/proc/[0-9]*/cmdline")
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err == nil && strings.Contains(string(b), s) {
				found = append(found, strings.ReplaceAll(string(b), "\x00", " "))
			}
		}
		if len(found) == 0 || time.Now().After(deadline) {
			return found
		}
		time.Sleep(50 * time.Millisecond)
	}
}
