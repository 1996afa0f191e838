package pgcluster_test

import (
	"bytes"
	"context"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/internal/redact"
	"github.com/safemigrate/safemigrate/pgcluster"
)

// TestOnlyTheRunningUserCanConnect is the regression test of a
// throwaway server that trusted every local connection on 127.0.0.1:
// another OS user connected as superuser during a rehearsal and ran
// COPY … TO PROGRAM. The server must have no TCP listener, a socket in
// a directory only the server user can enter, and a password.
func TestOnlyTheRunningUserCanConnect(t *testing.T) {
	ctx := t.Context()
	c := start(t, pgcluster.Options{TempDir: tempParent(t)})
	password := pgcluster.Password(c)
	require.Len(t, password, 32, "a random password")

	t.Run("no TCP listener", func(t *testing.T) {
		for _, host := range []string{"127.0.0.1", "::1", "localhost"} {
			conn, err := net.DialTimeout("tcp", net.JoinHostPort(host, strconv.Itoa(c.Port())), time.Second)
			if err == nil {
				conn.Close()
			}
			assert.Error(t, err, "something listens on %s port %d", host, c.Port())
		}
		assert.Equal(t, "", setting(t, c, "listen_addresses"))
	})

	t.Run("private socket directory", func(t *testing.T) {
		for _, dir := range []string{c.Dir(), c.SocketDir()} {
			fi, err := os.Stat(dir)
			require.NoError(t, err)
			assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm(), dir)
		}
		assert.Equal(t, c.SocketDir(), setting(t, c, "unix_socket_directories"))
		assert.Equal(t, "0700", setting(t, c, "unix_socket_permissions"))
	})

	t.Run("password authentication only", func(t *testing.T) {
		conn, err := pgx.Connect(ctx, c.URL("postgres"))
		require.NoError(t, err)
		defer conn.Close(context.WithoutCancel(ctx))
		rows, err := conn.Query(ctx, "SELECT type, auth_method FROM pg_catalog.pg_hba_file_rules")
		require.NoError(t, err)
		rules, err := pgx.CollectRows(rows, pgx.RowToMap)
		require.NoError(t, err)
		require.NotEmpty(t, rules)
		for _, r := range rules {
			assert.Equal(t, "scram-sha-256", r["auth_method"], "pg_hba rule %v", r)
		}

		// Even the running user needs the password.
		cfg, err := pgx.ParseConfig(c.URL("postgres"))
		require.NoError(t, err)
		cfg.Password = "not-the-password"
		_, err = pgx.ConnectConfig(ctx, cfg)
		var pgErr *pgconn.PgError
		require.ErrorAs(t, err, &pgErr)
		assert.Equal(t, "28P01", pgErr.Code) // invalid_password
		cfg.Password = ""
		_, err = pgx.ConnectConfig(ctx, cfg)
		assert.Error(t, err)
	})

	t.Run("password never shown", func(t *testing.T) {
		assert.NotContains(t, redact.String(c.URL("postgres")), password)
		assert.NotContains(t, redact.ConnString(c.URL("postgres")), password)
		rest, pw := redact.SplitPassword(c.URL("postgres"))
		assert.Equal(t, password, pw)
		assert.NotContains(t, rest, password)

		_, err := c.DumpSchema(ctx, "no_such_database")
		require.Error(t, err)
		assert.NotContains(t, err.Error(), password)
		err = c.LoadSQL(ctx, "no_such_database", filepath.Join(t.TempDir(), "missing.sql"))
		require.Error(t, err)
		assert.NotContains(t, err.Error(), password)
		logData, err := os.ReadFile(c.LogPath())
		require.NoError(t, err)
		assert.NotContains(t, string(logData), password)
		for _, name := range []string{"initdb.log", "owner"} {
			data, _ := os.ReadFile(filepath.Join(c.Dir(), name))
			assert.NotContains(t, string(data), password, name)
		}
		entries, err := os.ReadDir(c.Dir())
		require.NoError(t, err)
		for _, e := range entries {
			assert.NotContains(t, e.Name(), "pw", "the password file is removed after initdb")
		}
	})

	t.Run("other OS users", func(t *testing.T) {
		if os.Geteuid() != 0 {
			// Switching users needs root (CI runs as root); the checks
			// above cover what an unprivileged run can see.
			t.Log("not root: another user's connection attempts are not tried")
			return
		}
		psql, err := pgcluster.FindBin("psql")
		require.NoError(t, err)
		query := "COPY (SELECT 1) TO PROGRAM 'cat >/dev/null'"
		// The harness works: the running user (root) with the password.
		out, err := psqlAs(t, psql, nil, c.SocketDir(), c.Port(), password, query)
		require.NoError(t, err, "root, socket, password: %s", out)

		nobody := lookupUser(t, "nobody")
		for _, tc := range []struct{ name, host, password string }{
			{"tcp, no password", "127.0.0.1", ""},
			{"tcp, guessed password", "127.0.0.1", "postgres"},
			{"tcp, the password", "127.0.0.1", password},
			{"tcp localhost, the password", "localhost", password},
			{"socket, no password", c.SocketDir(), ""},
			{"socket, guessed password", c.SocketDir(), "postgres"},
			{"socket, the password", c.SocketDir(), password},
		} {
			t.Run("nobody "+tc.name, func(t *testing.T) {
				out, err := psqlAs(t, psql, nobody, tc.host, c.Port(), tc.password, query)
				require.Error(t, err, "user nobody connected: %s", out)
				assert.Regexp(t, `Connection refused|Permission denied|could not connect|No such file`, out)
			})
		}

		// The server's own OS user can enter the socket directory (it
		// owns it) but still needs the password.
		server := lookupUser(t, pgcluster.DefaultUser)
		out, err = psqlAs(t, psql, server, c.SocketDir(), c.Port(), "", query)
		require.Error(t, err, "the server user connected without the password: %s", out)
		assert.Contains(t, out, "password")
		out, err = psqlAs(t, psql, server, c.SocketDir(), c.Port(), "postgres", query)
		require.Error(t, err, "the server user connected with a guessed password: %s", out)
		assert.Contains(t, out, "password authentication failed")
	})
}

func setting(t *testing.T, c *pgcluster.Cluster, name string) string {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), c.URL("postgres"))
	require.NoError(t, err)
	defer conn.Close(context.WithoutCancel(t.Context()))
	var v string
	require.NoError(t, conn.QueryRow(t.Context(), "SELECT current_setting($1)", name).Scan(&v))
	return v
}

func lookupUser(t *testing.T, name string) *syscall.Credential {
	t.Helper()
	u, err := user.Lookup(name)
	require.NoError(t, err, "the test needs OS user %s", name)
	uid, err := strconv.Atoi(u.Uid)
	require.NoError(t, err)
	gid, err := strconv.Atoi(u.Gid)
	require.NoError(t, err)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
}

// psqlAs runs query with psql as cred (nil: this process's user) against
// host and port as the cluster's superuser, with password (if any) in
// PGPASSWORD and no password prompt.
func psqlAs(t *testing.T, psql string, cred *syscall.Credential, host string, port int, password, query string) (string, error) {
	t.Helper()
	u := url.URL{Scheme: "postgres", User: url.User(pgcluster.Superuser), Path: "/postgres",
		RawQuery: url.Values{"host": {host}, "port": {strconv.Itoa(port)}, "sslmode": {"disable"}, "connect_timeout": {"5"}}.Encode()}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, psql, "--no-psqlrc", "--no-password", "--dbname="+u.String(), "--command", query)
	cmd.Dir = "/"
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=/", "PGPASSFILE=/dev/null", "LC_ALL=C"}
	if password != "" {
		cmd.Env = append(cmd.Env, "PGPASSWORD="+password)
	}
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return strings.TrimSpace(out.String()), err
}

func TestStartRefusesASocketPathTooLong(t *testing.T) {
	parent := filepath.Join(tempParent(t), strings.Repeat("d", 60))
	require.NoError(t, os.Mkdir(parent, 0o755))
	_, err := pgcluster.Start(t.Context(), pgcluster.Options{TempDir: parent})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "too long for a Unix socket path; set Options.TempDir (or TMPDIR) to a shorter directory")
	entries, err := os.ReadDir(parent)
	require.NoError(t, err)
	assert.Empty(t, entries)
}
