package executor_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/internal/pgtest"
	"github.com/safemigrate/safemigrate/internal/redact"
	"github.com/safemigrate/safemigrate/planner"
)

const secret = "Sup3rS3cretPW"

// withCredentials returns connString with the given user and password.
func withCredentials(t *testing.T, connString, user, password string) string {
	t.Helper()
	if strings.HasPrefix(connString, "postgres://") || strings.HasPrefix(connString, "postgresql://") {
		u, err := url.Parse(connString)
		require.NoError(t, err)
		if user == "" {
			user = u.User.Username()
		}
		u.User = url.UserPassword(user, password)
		return u.String()
	}
	s := connString + " password=" + password
	if user != "" {
		s += " user=" + user
	}
	return s
}

// ownerWithPassword creates a login role with password, makes it the
// owner of the database at url (so that it may create tables in public)
// and returns its name. The test server checks passwords (scram-sha-256),
// so a made-up password needs a role of its own.
func ownerWithPassword(t *testing.T, url, password string) string {
	t.Helper()
	conn := pgtest.Connect(t, url)
	db := conn.Config().Database
	role := "owner_" + db[len(db)-8:] // the database's random suffix
	ident := pgx.Identifier{role}.Sanitize()
	_, err := conn.Exec(ctx(t), "CREATE ROLE "+ident+" LOGIN PASSWORD '"+password+"'")
	require.NoError(t, err)
	t.Cleanup(func() {
		_, _ = conn.Exec(context.WithoutCancel(ctx(t)), "REASSIGN OWNED BY "+ident+" TO CURRENT_USER")
		_, _ = conn.Exec(context.WithoutCancel(ctx(t)), "DROP ROLE "+ident)
	})
	_, err = conn.Exec(ctx(t), "ALTER DATABASE "+pgx.Identifier{db}.Sanitize()+" OWNER TO "+ident)
	require.NoError(t, err)
	return role
}

func TestPasswordsNeverAppear(t *testing.T) {
	t.Parallel()
	check := func(t *testing.T, what ...string) {
		t.Helper()
		for _, s := range what {
			require.NotContains(t, s, secret)
		}
	}

	t.Run("unparsable connection string", func(t *testing.T) {
		t.Parallel()
		_, err := executor.ParseTarget("postgres://app:" + secret + "@db:notaport/x")
		require.ErrorIs(t, err, executor.ErrConnect)
		check(t, err.Error())
	})

	t.Run("unparsable key=value strings", func(t *testing.T) {
		t.Parallel()
		// pgx echoes the connection string with its own masking, which
		// stops at an escaped quote ('se\'cret') and ate the closing
		// backtick of an unquoted last value.
		for _, cs := range []string{
			`password='ab\'` + secret + `' port=abc`,
			`password='` + secret + ` \' ` + secret + `' port=abc`,
			`port=abc password=` + secret,
			`host=x port=abc sslpassword=` + secret,
			`postgres://u@127.0.0.1:abc/db?password=` + secret,
			`postgres://u:` + secret + ` ` + secret + `@127.0.0.1:1/db`,
		} {
			_, err := executor.ParseTarget(cs)
			require.ErrorIs(t, err, executor.ErrConnect)
			check(t, err.Error())
			require.NotContains(t, err.Error(), secret[3:], "no piece of the password either")
			require.Contains(t, err.Error(), "`: ", "the echoed string is closed: %s", err)
			require.Contains(t, err.Error(), redact.Mask)
		}
	})

	t.Run("connection refused", func(t *testing.T) {
		t.Parallel()
		var log syncBuffer
		tg := target(t, "postgres://app:"+secret+"@127.0.0.1:1/db?connect_timeout=5")
		res, err := executor.Run(ctx(t), tg, load(t, files("0001_a.sql", "-- safe: always\nSELECT 1;\n")),
			executor.Options{Phase: planner.PostDeploy, Log: &log})
		require.ErrorIs(t, err, executor.ErrConnect)
		require.Nil(t, res)
		check(t, err.Error(), log.String(), tg.String())
		_, err = executor.ReadState(ctx(t), tg)
		require.ErrorIs(t, err, executor.ErrConnect)
		check(t, err.Error())
	})

	t.Run("server rejects the login", func(t *testing.T) {
		t.Parallel()
		url, _ := fresh(t)
		tg := target(t, withCredentials(t, url, "no_such_role", secret))
		_, err := executor.Run(ctx(t), tg, load(t, files("0001_a.sql", "-- safe: always\nSELECT 1;\n")),
			executor.Options{Phase: planner.PostDeploy})
		require.ErrorIs(t, err, executor.ErrConnect)
		require.Contains(t, err.Error(), "no_such_role")
		check(t, err.Error())
	})

	t.Run("failing run", func(t *testing.T) {
		t.Parallel()
		url, _ := fresh(t)
		tg := target(t, withCredentials(t, url, ownerWithPassword(t, url, secret), secret))
		var log syncBuffer
		g := load(t, files(
			"0001_a.sql", "-- safe: always\nCREATE TABLE a (id int);\n",
			"0002_b.sql", "-- safe: always\nSELECT current_setting('no.such_setting');\n",
		))
		res, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy, Log: &log})
		require.ErrorIs(t, err, executor.ErrPreflight)
		b, jerr := json.Marshal(res)
		require.NoError(t, jerr)
		check(t, err.Error(), log.String(), string(b))

		// A lock wait names the holder: still no password.
		s, err := executor.Open(ctx(t), tg, executor.Options{})
		require.NoError(t, err)
		defer s.Close(ctx(t))
		_, err = executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy, Log: &log, LockWait: 50 * time.Millisecond})
		require.ErrorIs(t, err, executor.ErrLockWait)
		check(t, err.Error(), log.String())
	})
}

func TestCleanQuery(t *testing.T) {
	t.Parallel()
	long := "SELECT " + strings.Repeat("x, ", 100) + "1"
	tests := []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"LOCK TABLE t\n   IN ACCESS EXCLUSIVE MODE", "LOCK TABLE t IN ACCESS EXCLUSIVE MODE"},
		{"ALTER ROLE app PASSWORD '" + secret + "'", "ALTER ROLE app PASSWORD 'xxxxx'"},
		{"CREATE ROLE app LOGIN password 'it''s " + secret + "'", "CREATE ROLE app LOGIN password 'xxxxx'"},
		{"SELECT dblink('host=db password=" + secret + "', 'q')", "SELECT dblink('host=db password=xxxxx 'q')"}, // masks generously
		{long, long[:executor.MaxQueryText-1] + "…"},
		// pg_stat_activity cuts query text at track_activity_query_size,
		// possibly inside the literal.
		{"ALTER ROLE app PASSWORD '" + secret, "ALTER ROLE app PASSWORD 'xxxxx'"},
		{"ALTER ROLE app PASSWORD E'" + secret + "'", "ALTER ROLE app PASSWORD 'xxxxx'"},
		{"ALTER ROLE app ENCRYPTED PASSWORD $pw$" + secret + "$pw$ VALID UNTIL 'infinity'", "ALTER ROLE app ENCRYPTED PASSWORD 'xxxxx' VALID UNTIL 'infinity'"},
		{"ALTER ROLE app PASSWORD $$" + secret, "ALTER ROLE app PASSWORD 'xxxxx'"},
		// Forms the masks do not know hide everything after the word.
		{"ALTER ROLE weak PASSWORD U&'" + secret + "'", "ALTER ROLE weak PASSWORD xxxxx…"},
		{"ALTER ROLE weak PASSWORD/**/'" + secret + "'", "ALTER ROLE weak PASSWORD xxxxx…"},
		{"ALTER ROLE weak PASSWORD -- c\n '" + secret + "'", "ALTER ROLE weak PASSWORD xxxxx…"},
		{"SELECT 'dbname=x password=''S3cr " + secret + "'''", "SELECT 'dbname=x password xxxxx…"},
		{"SELECT password_hash FROM users", "SELECT password_hash FROM users"},
	}
	for _, tc := range tests {
		t.Run(tc.in[:min(len(tc.in), 30)], func(t *testing.T) {
			require.Equal(t, tc.want, executor.CleanQuery(tc.in))
		})
	}
}

// TestUnencodedPasswordInURLNeverAppears: a password with '/', '?' or '#'
// that is not percent-encoded splits the URL inside it. pgx then either
// quotes the token it cannot parse (the middle of the password) in its
// error, or parses the rest of the password as the database name, which
// would name the target: both are refused without showing it.
func TestUnencodedPasswordInURLNeverAppears(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ url, pw string }{
		{"postgres://app:ab/S3crX%zzY@127.0.0.1:5611/t1", "S3crX"},
		{"postgres://app:Sup3r:S3cr/t@p%w#?&=x y@127.0.0.1:5611/t1", "t@p"},
		{"postgres://app:5432/S3crXhunter@127.0.0.1:5611/t1", "S3crXhunter"},
		{"postgres://app:12/S3crXhunter@h1:5611,h2:5612/t1", "S3crXhunter"},
	} {
		_, err := executor.ParseTarget(tc.url)
		require.Error(t, err, tc.url)
		require.ErrorIs(t, err, executor.ErrConnect)
		require.NotContains(t, err.Error(), tc.pw, tc.url)
		require.NotContains(t, err.Error(), "hunter", tc.url)
	}
	_, err := executor.ParseTarget("postgres://app:5432/S3crXhunter@127.0.0.1:5611/t1")
	require.ErrorContains(t, err, "percent-encode the password")
	// After '?' the rest is a query pgx ignores: the target's name shows
	// none of it.
	tg, err := executor.ParseTarget("postgres://app:5432?S3crXhunter@127.0.0.1:5611/t1")
	if err == nil {
		require.NotContains(t, tg.String(), "hunter")
	} else {
		require.NotContains(t, err.Error(), "hunter")
	}
}
