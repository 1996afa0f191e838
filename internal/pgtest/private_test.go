package pgtest_test

import (
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/internal/pgtest"
	"github.com/safemigrate/safemigrate/internal/redact"
)

// The throwaway test server accepts only the user running the tests: a
// Unix socket and a password, no TCP (see package pgcluster).
func TestThrowawayServerIsPrivate(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	if os.Getenv(pgtest.EnvURL) != "" {
		t.Logf("%s is set: the tests use that server, not a throwaway one", pgtest.EnvURL)
		return
	}
	cfg, err := pgx.ParseConfig(url)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(cfg.Host, "/"), "a Unix socket directory, not %s", cfg.Host)
	require.Len(t, cfg.Password, 32)
	assert.NotContains(t, redact.String(url), cfg.Password)

	fi, err := os.Stat(cfg.Host)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm())
	conn, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(int(cfg.Port))), time.Second)
	if err == nil {
		conn.Close()
	}
	assert.Error(t, err, "the test server listens on 127.0.0.1")

	cfg.Password = "guess"
	_, err = pgx.ConnectConfig(t.Context(), cfg)
	assert.ErrorContains(t, err, "password authentication failed")
}
