package redact_test

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/internal/redact"
)

func TestString(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"url without password", "postgres://app@db:5432/prod?sslmode=disable", "postgres://app@db:5432/prod?sslmode=disable"},
		{"url", "postgres://app:s3cret@db:5432/prod?sslmode=disable", "postgres://app:xxxxx@db:5432/prod?sslmode=disable"},
		{"postgresql scheme", "postgresql://app:s3cret@db/prod", "postgresql://app:xxxxx@db/prod"},
		{"percent-encoded password", "postgres://app:p%40ss%2Fw@db/prod", "postgres://app:xxxxx@db/prod"},
		{"unescaped @ in password", "postgres://app:p@ss@db/prod", "postgres://app:xxxxx@db/prod"},
		{"unescaped slash in password", "postgres://app:12/ss@db/prod", "postgres://app:xxxxx@db/prod"},
		{"email as user name", "postgres://me@corp.com:s3cret@db/prod", "postgres://me@corp.com:xxxxx@db/prod"},
		{"multiple hosts", "postgres://app:s3cret@h1:5432,h2:5433/prod", "postgres://app:xxxxx@h1:5432,h2:5433/prod"},
		{"password query parameter", "postgres://app@db/prod?password=s3cret&sslmode=require", "postgres://app@db/prod?password=xxxxx&sslmode=require"},
		{"sslpassword query parameter", "postgres://app@db/prod?sslmode=verify-full&sslpassword=k3y#frag", "postgres://app@db/prod?sslmode=verify-full&sslpassword=xxxxx#frag"},
		{"url inside text", `connect "postgres://app:s3cret@db/prod": refused`, `connect "postgres://app:xxxxx@db/prod": refused`},
		{"two urls", "from postgres://a:one@x/db to postgres://b:two@y/db", "from postgres://a:xxxxx@x/db to postgres://b:xxxxx@y/db"},
		{"key=value without password", "host=db user=app dbname=prod", "host=db user=app dbname=prod"},
		{"key=value", "host=db user=app password=s3cret dbname=prod", "host=db user=app password=xxxxx dbname=prod"},
		{"key = value with spaces", "host=db password = s3cret dbname=prod", "host=db password = xxxxx dbname=prod"},
		{"quoted value", "host=db password='s3 cret' dbname=prod", "host=db password=xxxxx dbname=prod"},
		{"quoted value with escaped quote", `password='it\'s secret' dbname=prod`, "password=xxxxx dbname=prod"},
		{"unterminated quote", "password='s3 cret dbname=prod", "password=xxxxx"},
		{"escaped space unquoted", `password=s3\ cret dbname=prod`, "password=xxxxx dbname=prod"},
		{"ampersand in key=value password", "password=a&b dbname=prod", "password=xxxxx dbname=prod"},
		{"sslpassword key", "sslpassword=k3y host=db", "sslpassword=xxxxx host=db"},
		{"environment variable", "PGPASSWORD=s3cret pg_dump", "PGPASSWORD=xxxxx pg_dump"},
		{"empty password", "password= ", "password= "},
		{"already redacted url", "postgres://app:xxxxx@db/prod", "postgres://app:xxxxx@db/prod"},
		{"already redacted key=value", "password=xxxxx", "password=xxxxx"},
		{"other scheme", "https://user:token@example.com/x", "https://user:xxxxx@example.com/x"},
		{"plain text", "relation \"users\" does not exist", "relation \"users\" does not exist"},
		{"missing colon in scheme", "cannot parse `postgres//app:TYPOPW@db1.internal/app_42`: failed", "cannot parse `postgres//app:xxxxx@db1.internal/app_42`: failed"},
		{"one slash", "postgresql:/postgres:LEAK7@localhost:55432/db1", "postgresql:xxxxx@localhost:55432/db1"},
		{"no slashes", "postgres:PW@host/db", "postgres:xxxxx@host/db"},
		{"no scheme", `"app:pw@db/prod"`, `"app:xxxxx@db/prod"`},
		{"email and port are not passwords", "mail me@example.com at db:5432 or git@github.com:org/repo", "mail me@example.com at db:5432 or git@github.com:org/repo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := redact.String(tt.in)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, got, redact.String(got), "not idempotent")
		})
	}
}

func TestConnString(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"url", "postgres://app:s3cret@db/prod", "postgres://app:xxxxx@db/prod"},
		{"space in url password", "postgres://app:s3 cr et@db:x/prod", "postgres://app:xxxxx@db:x/prod"},
		{"space and @ in url password", "postgresql://app:s3 @cret@db/prod?password=two", "postgresql://app:xxxxx@db/prod?password=xxxxx"},
		{"url without password", "postgres://app@db/prod", "postgres://app@db/prod"},
		{"key=value", `password='it\'s secret' port=abc`, "password=xxxxx port=abc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, redact.ConnString(tt.in))
		})
	}
}

func TestSplitPassword(t *testing.T) {
	tests := []struct {
		name, in, rest, password string
	}{
		{"url", "postgres://app:s3cret@db:5432/prod?sslmode=disable", "postgres://app@db:5432/prod?sslmode=disable", "s3cret"},
		{"url percent-encoded", "postgres://app:p%40ss@db/prod", "postgres://app@db/prod", "p@ss"},
		{"url query parameter", "postgres://app@db/prod?password=s3cret&sslmode=disable", "postgres://app@db/prod?sslmode=disable", "s3cret"},
		{"url without password", "postgres://app@db/prod", "postgres://app@db/prod", ""},
		{"unparsable url", "postgres://app:pa/ss@db/prod", "postgres://app:pa/ss@db/prod", ""},
		{"key=value", "host=db password=s3cret dbname=prod", "host=db dbname=prod", "s3cret"},
		{"key=value quoted", `host=db password='it\'s s3cret' dbname=prod`, "host=db dbname=prod", "it's s3cret"},
		{"key=value last", "host=db password = s3cret", "host=db", "s3cret"},
		{"key=value without password", "host=db dbname=prod", "host=db dbname=prod", ""},
		// libpq and pgx take the last of repeated keys: every one must leave
		// the connection string (it ends up on pg_dump's command line).
		{"key=value repeated", "host=db password=old dbname=prod password='n w'", "host=db dbname=prod", "n w"},
		{"empty", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rest, password := redact.SplitPassword(tt.in)
			assert.Equal(t, tt.rest, rest)
			assert.Equal(t, tt.password, password)
		})
	}
}

func TestError(t *testing.T) {
	require.NoError(t, redact.Error(nil))

	base := fmt.Errorf("open postgres://app:s3cret@db/prod: %w", fs.ErrNotExist)
	err := redact.Error(base)
	assert.Equal(t, "open postgres://app:xxxxx@db/prod: file does not exist", err.Error())
	assert.ErrorIs(t, err, fs.ErrNotExist)
	assert.Same(t, base, errors.Unwrap(err))
}
