package cli_test

import (
	"bytes"
	"net"
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
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/pgcluster"
)

// While `preflight --ephemeral` rehearses, its throwaway server accepts
// nobody but the running user (docs/security.md): the regression test of
// another OS user connecting as superuser over 127.0.0.1 (trust) and
// running COPY … TO PROGRAM.
func TestPreflightEphemeralServerIsPrivate(t *testing.T) {
	r := startSlowEphemeral(t)
	clusters, err := filepath.Glob(filepath.Join(r.tmp, "safemigrate-pgcluster-*"))
	require.NoError(t, err)
	require.Len(t, clusters, 1)
	socketDir := filepath.Join(clusters[0], "run")
	sockets, err := filepath.Glob(filepath.Join(socketDir, ".s.PGSQL.[0-9]*[0-9]"))
	require.NoError(t, err)
	require.Len(t, sockets, 1, "the server's socket")
	port, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(sockets[0]), ".s.PGSQL."))
	require.NoError(t, err)

	for _, d := range []string{clusters[0], socketDir} {
		fi, err := os.Stat(d)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm(), d)
	}
	for _, host := range []string{"127.0.0.1", "::1"} {
		conn, err := net.DialTimeout("tcp", net.JoinHostPort(host, strconv.Itoa(port)), time.Second)
		if err == nil {
			conn.Close()
		}
		assert.Error(t, err, "the ephemeral server listens on %s port %d", host, port)
	}
	// The running user, over the socket, still needs the password.
	cfg, err := pgx.ParseConfig("host=" + socketDir + " port=" + strconv.Itoa(port) + " user=postgres dbname=postgres sslmode=disable")
	require.NoError(t, err)
	cfg.Password = "postgres"
	_, err = pgx.ConnectConfig(t.Context(), cfg)
	assert.ErrorContains(t, err, "password authentication failed")

	if os.Geteuid() == 0 {
		psql, err := pgcluster.FindBin("psql")
		require.NoError(t, err)
		u, err := user.Lookup("nobody")
		require.NoError(t, err)
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		for _, host := range []string{"127.0.0.1", socketDir} {
			for _, password := range []string{"", "postgres"} {
				cmd := exec.CommandContext(t.Context(), psql, "--no-psqlrc", "--no-password",
					"--host", host, "--port", strconv.Itoa(port), "--username", "postgres", "--dbname", "postgres",
					"--command", "COPY (SELECT 1) TO PROGRAM 'cat >/dev/null'")
				cmd.Dir = "/"
				cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=/", "PGPASSFILE=/dev/null", "PGCONNECT_TIMEOUT=5", "PGPASSWORD=" + password}
				cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
				var out bytes.Buffer
				cmd.Stdout, cmd.Stderr = &out, &out
				assert.Error(t, cmd.Run(), "user nobody connected to %s with password %q: %s", host, password, out.String())
			}
		}
	}

	r.interrupt(t)
}
