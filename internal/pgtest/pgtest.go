package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/safemigrate/safemigrate/internal/redact"
	"github.com/safemigrate/safemigrate/pgcluster"
)

// Environment variables that configure the test server.
const (
	// EnvURL points the tests at an existing server instead of a
	// throwaway cluster.
	EnvURL = "SAFEMIGRATE_TEST_DATABASE_URL"
	// EnvBinDir sets [pgcluster.Options].BinDir for the throwaway cluster.
	EnvBinDir = "SAFEMIGRATE_TEST_PG_BINDIR"
)

// timeout bounds each administrative step (start, create, drop, connect).
const timeout = 60 * time.Second

// server is the one PostgreSQL server of the test binary.
var server struct {
	mu          sync.Mutex
	inMain      bool               // Main is running the tests
	interrupted chan struct{}      // closed on SIGINT or SIGTERM
	adminURL    string             // where to CREATE DATABASE; "" until known
	cluster     *pgcluster.Cluster // nil when EnvURL is used or not started yet
	err         error              // why the cluster could not start
}

// Main runs the tests (m.Run) and returns the exit code for os.Exit:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
//
// Afterwards it stops the throwaway cluster if [NewDatabase] started
// one. On SIGINT or SIGTERM it stops the cluster and exits with status 1.
// When stopping fails, the failure is printed and the code is 1.
func Main(m *testing.M) int {
	interrupted := make(chan struct{})
	server.mu.Lock()
	server.inMain = true
	server.interrupted = interrupted
	server.mu.Unlock()

	sigs := make(chan os.Signal, 1)
	done := make(chan struct{})
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case s := <-sigs:
			close(interrupted) // aborts a start in progress
			_ = stopServer()
			fmt.Fprintf(os.Stderr, "pgtest: %v: stopped the test server\n", s)
			os.Exit(1)
		case <-done:
		}
	}()

	code := m.Run()

	signal.Stop(sigs)
	close(done)
	if err := stopServer(); err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		code = 1
	}
	return code
}

// stopServer stops the throwaway cluster, if any.
func stopServer() error {
	server.mu.Lock()
	c := server.cluster
	server.mu.Unlock()
	if c == nil {
		return nil
	}
	return c.Stop() // safe concurrently with another Stop
}

// adminURL returns the URL to create databases through, starting the
// throwaway cluster on first use.
func adminURL(t testing.TB) string {
	t.Helper()
	server.mu.Lock()
	defer server.mu.Unlock()
	switch {
	case !server.inMain:
		t.Fatalf("pgtest: call pgtest.Main from TestMain: func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }")
	case server.adminURL != "":
		return server.adminURL
	case os.Getenv(EnvURL) != "":
		server.adminURL = os.Getenv(EnvURL)
		return server.adminURL
	case server.err != nil:
		t.Fatalf("pgtest: no PostgreSQL server: %v", server.err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	interrupted := server.interrupted
	go func() {
		select {
		case <-interrupted:
			cancel()
		case <-ctx.Done():
		}
	}()
	c, err := pgcluster.Start(ctx, pgcluster.Options{BinDir: os.Getenv(EnvBinDir)})
	if err != nil {
		server.err = fmt.Errorf("%w\n(for the tests: or set %s to a PostgreSQL bin directory, "+
			"or %s to the URL of a server where they may create databases)", err, EnvBinDir, EnvURL)
		t.Fatalf("pgtest: no PostgreSQL server: %v", server.err)
	}
	server.cluster = c
	server.adminURL = c.URL("postgres")
	return server.adminURL
}

// NewDatabase creates an empty database for the test and returns its
// URL (or key=value connection string, following the form of [EnvURL]).
// The database is named after the test with a random suffix, and dropped
// WITH (FORCE) when the test and its subtests have finished, even if
// connections to it are still open. Any failure fails the test.
func NewDatabase(t testing.TB) string {
	t.Helper()
	admin := adminURL(t)
	name := databaseName(t.Name())
	ident := pgx.Identifier{name}.Sanitize()

	if err := run(admin, "CREATE DATABASE "+ident); err != nil {
		t.Fatalf("pgtest: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		if err := run(admin, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	dbURL, err := withDatabase(admin, name)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return dbURL
}

// run runs one statement through a new connection to connString.
func run(connString, sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, connString)
	if err != nil {
		return redact.Error(err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, sql)
	return err
}

// databaseName turns a test name into a database name: "test_", the test
// name in lower case with other characters than [a-z0-9] replaced by
// "_", shortened to fit PostgreSQL's 63 bytes with "_" and 8 random hex
// digits at the end.
func databaseName(testName string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(testName) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	const maxLen, fixed = 63, len("test_") + 1 + 8
	base := b.String()
	if len(base) > maxLen-fixed {
		base = base[:maxLen-fixed]
	}
	return "test_" + base + "_" + hex.EncodeToString(suffix)
}

// withDatabase returns connString pointing at database name.
func withDatabase(connString, name string) (string, error) {
	s := strings.TrimSpace(connString)
	if lower := strings.ToLower(s); strings.HasPrefix(lower, "postgres://") || strings.HasPrefix(lower, "postgresql://") {
		u, err := url.Parse(s)
		if err != nil {
			return "", fmt.Errorf("%s: %s", EnvURL, redact.String(err.Error()))
		}
		u.Path, u.RawPath = "/"+name, ""
		return u.String(), nil
	}
	// key=value form: a later dbname overrides an earlier one. name
	// needs no quoting (see databaseName).
	return s + " dbname=" + name, nil
}

// Connect opens a connection to connString, closed when the test ends.
// A failure fails the test.
func Connect(t testing.TB, connString string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, connString)
	if err != nil {
		t.Fatalf("pgtest: connect to %s: %v", redact.String(connString), redact.Error(err))
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		_ = conn.Close(ctx)
	})
	return conn
}

// DumpSchema returns `pg_dump --schema-only --no-owner` of the database
// at connString (see [pgcluster.DumpSchema]), using the pg_dump of the
// throwaway cluster when there is one and [pgcluster.FindBin] otherwise.
// A failure fails the test.
func DumpSchema(t testing.TB, connString string) string {
	t.Helper()
	pgDump, err := pgDumpPath()
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	out, err := pgcluster.DumpSchema(ctx, pgDump, connString)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return string(out)
}

func pgDumpPath() (string, error) {
	server.mu.Lock()
	c := server.cluster
	server.mu.Unlock()
	if c != nil {
		if p := filepath.Join(c.BinDir(), "pg_dump"); isFile(p) {
			return p, nil
		}
	}
	return pgcluster.Options{BinDir: os.Getenv(EnvBinDir)}.FindBin("pg_dump")
}

func isFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}
