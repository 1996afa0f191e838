package safemigrate

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// pg_dump (libpq) refuses connection parameters only pgx knows
// (default_query_exec_mode, statement_cache_capacity, ...) and server
// settings given as URL parameters (search_path=...), which pgx sends as
// runtime parameters: --ephemeral failed with "invalid URI query
// parameter" on a URL every other command accepts.
func TestPgDumpConnString(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"postgres://u:p%40ss@h:5433/db", "postgres://u:p%40ss@h:5433/db"},
		{"postgres://u:pw@h/db?default_query_exec_mode=simple_protocol&sslmode=require&search_path=app&statement_cache_capacity=0",
			"postgres://u:pw@h/db?sslmode=require"},
		{"postgresql://h/db?description_cache_capacity=1&application_name=x&options=-c%20lock_timeout%3D5s",
			"postgresql://h/db?application_name=x&options=-c+lock_timeout%3D5s"},
		{"host=h password='a b\\' c' default_query_exec_mode=exec dbname=d search_path = app sslmode=disable",
			"host=h password='a b\\' c' dbname=d sslmode=disable"},
		{"dbname=d", "dbname=d"},
		{"", ""},
	} {
		assert.Equal(t, tt.want, pgDumpConnString(tt.in), tt.in)
	}
}
