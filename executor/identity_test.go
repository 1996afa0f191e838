package executor_test

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/internal/pgtest"
	"github.com/safemigrate/safemigrate/planner"
)

// preparedOn plans a one-migration graph on tg and returns the Result
// for Rehearse.
func preparedOn(t *testing.T, tg executor.Target) (*executor.Result, executor.Options) {
	t.Helper()
	g := load(t, files("0001_t.sql", "-- safe: always\n-- transaction: false\nCREATE TABLE t (id int);\n"))
	opts := executor.Options{Phase: planner.PostDeploy, Log: io.Discard}
	res, err := executor.Prepare(ctx(t), tg, g, opts)
	require.NoError(t, err)
	require.Len(t, res.Plan.Run, 1)
	return res, opts
}

// tcpProxy forwards connections to 127.0.0.1:port to the server of cfg
// (its Unix socket or TCP address), so that a test server listening only
// on a socket can be reached under TCP spellings too.
func tcpProxy(t *testing.T, cfg *pgx.ConnConfig) int {
	t.Helper()
	network, addr := "tcp", net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port)))
	if strings.HasPrefix(cfg.Host, "/") {
		network, addr = "unix", filepath.Join(cfg.Host, ".s.PGSQL."+strconv.Itoa(int(cfg.Port)))
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial(network, addr)
			if err != nil {
				c.Close()
				continue
			}
			go func() { _, _ = io.Copy(s, c); s.Close() }()
			go func() { _, _ = io.Copy(c, s); c.Close() }()
		}
	}()
	return l.Addr().(*net.TCPAddr).Port
}

// spellings returns connection strings of the database of cfg that name
// it differently.
func spellings(t *testing.T, cfg *pgx.ConnConfig) map[string]string {
	t.Helper()
	port := tcpProxy(t, cfg)
	userinfo := url.UserPassword(cfg.User, cfg.Password).String()
	viaHost := func(host string) string {
		return fmt.Sprintf("postgres://%s@%s/%s?sslmode=disable", userinfo, net.JoinHostPort(host, strconv.Itoa(port)), url.PathEscape(cfg.Database))
	}
	kv := func(host string, port int) string {
		return fmt.Sprintf("host='%s' port=%d user='%s' password='%s' dbname='%s' sslmode=disable", host, port, cfg.User, cfg.Password, cfg.Database)
	}
	s := map[string]string{
		"127.0.0.1":                viaHost("127.0.0.1"),
		"localhost":                viaHost("localhost"),
		"::ffff:127.0.0.1":         viaHost("::ffff:127.0.0.1"),
		"keyword DSN on 127.0.0.1": kv("127.0.0.1", port),
	}
	if strings.HasPrefix(cfg.Host, "/") {
		s["keyword DSN on the socket"] = kv(cfg.Host, int(cfg.Port))
		s["socket directory with a trailing slash"] = kv(cfg.Host+"/", int(cfg.Port))
		s["socket directory through .."] = kv(filepath.Join(cfg.Host, "..", filepath.Base(cfg.Host))+"/.", int(cfg.Port))
	}
	return s
}

func TestRehearseRefusesTheTargetHoweverSpelled(t *testing.T) {
	t.Parallel()
	_, tg := fresh(t)
	res, opts := preparedOn(t, tg)
	for name, connString := range spellings(t, tg.Config) {
		t.Run(name, func(t *testing.T) {
			on, err := executor.ParseTarget(connString)
			require.NoError(t, err)
			err = executor.Rehearse(ctx(t), on, res, opts)
			require.ErrorIs(t, err, executor.ErrRehearsalOnTarget)
			assert.Contains(t, err.Error(), "system identifier")
			assert.NotContains(t, err.Error(), tg.Config.Password)
			assert.Nil(t, res.Preflight, "nothing was rehearsed")
		})
	}
	// Nothing ran on the target: the table of the migration is not there.
	conn := pgtest.Connect(t, tg.Config.ConnString())
	var n int
	require.NoError(t, conn.QueryRow(ctx(t), "SELECT count(*) FROM pg_class WHERE relname = 't'").Scan(&n))
	assert.Zero(t, n)
}

func TestRehearseAcceptsAnotherDatabaseOnTheSameServer(t *testing.T) {
	t.Parallel()
	_, tg := fresh(t)
	_, other := fresh(t)
	res, opts := preparedOn(t, tg)
	require.NoError(t, executor.Rehearse(ctx(t), other, res, opts))
	assert.True(t, res.OK)
}

func TestRehearseNeedsTheServerIdentity(t *testing.T) {
	t.Parallel()
	_, tg := fresh(t)
	copyURL, _ := fresh(t)
	res, opts := preparedOn(t, tg)

	// A role that may connect to the copy but not read the system
	// identifier there (as where an administrator revoked
	// pg_control_system() from PUBLIC). Even pg_monitor does not help.
	admin := pgtest.Connect(t, copyURL)
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	role := "limited_" + hex.EncodeToString(suffix)
	password := "pw-" + hex.EncodeToString(suffix)
	ident := pgx.Identifier{role}.Sanitize()
	for _, sql := range []string{
		"REVOKE EXECUTE ON FUNCTION pg_catalog.pg_control_system() FROM PUBLIC",
		"CREATE ROLE " + ident + " LOGIN PASSWORD '" + password + "' IN ROLE pg_monitor",
	} {
		_, err := admin.Exec(ctx(t), sql)
		require.NoError(t, err, sql)
	}
	t.Cleanup(func() {
		_, _ = admin.Exec(ctx(t), "DROP ROLE IF EXISTS "+ident)
	})

	cfg, err := pgx.ParseConfig(copyURL)
	require.NoError(t, err)
	u := url.URL{Scheme: "postgres", User: url.UserPassword(role, password), Path: "/" + cfg.Database,
		RawQuery: url.Values{"host": {cfg.Host}, "port": {strconv.Itoa(int(cfg.Port))}, "sslmode": {"disable"}}.Encode()}
	on, err := executor.ParseTarget(u.String())
	require.NoError(t, err)

	err = executor.Rehearse(ctx(t), on, res, opts)
	require.ErrorIs(t, err, executor.ErrIdentity)
	assert.NotErrorIs(t, err, executor.ErrRehearsalOnTarget)
	assert.Contains(t, err.Error(), "GRANT EXECUTE ON FUNCTION pg_catalog.pg_control_system() TO "+ident)
	assert.Contains(t, err.Error(), cfg.Database)
	assert.NotContains(t, err.Error(), password)
	assert.Nil(t, res.Preflight, "nothing was rehearsed")

	// With the grant, the rehearsal goes ahead.
	_, err = admin.Exec(ctx(t), "GRANT EXECUTE ON FUNCTION pg_catalog.pg_control_system() TO "+ident)
	require.NoError(t, err)
	_, err = admin.Exec(ctx(t), "GRANT CREATE ON SCHEMA public TO "+ident)
	require.NoError(t, err)
	require.NoError(t, executor.Rehearse(ctx(t), on, res, opts))
}
