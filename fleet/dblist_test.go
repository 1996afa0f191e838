package fleet_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/fleet"
)

func TestParseDatabaseList(t *testing.T) {
	tests := []struct {
		name, file string
		want       []string
		problems   []string // substrings, one per problem, in order
	}{
		{
			name: "comments, blank lines, CRLF and a byte order mark",
			file: "\uFEFFpostgres://app:pw@db1/a\r\n\r\n# eu\r\n  postgres://db2:5433/b   # eu primary\r\nhost=db3 dbname=c password='x #y'\n",
			want: []string{"postgres://app:pw@db1/a", "postgres://db2:5433/b", "host=db3 dbname=c password='x #y'"},
		},
		{
			name: "every bad line at once, by line, without the password",
			file: "# fleet\n\npostgres://db1/a\npostgres//app:LEAK1@db1/b\npostgres://db1/a\nhost=db2 dbname=x port=abc\npostgresql://db1:5432/a\n",
			problems: []string{
				"dbs.txt:4: not a connection string",
				"dbs.txt:5: names database db1/a again (first on line 3); remove one of them",
				"dbs.txt:6: not a connection string",
				"dbs.txt:7: names database db1/a again (first on line 3)",
			},
		},
		{name: "nothing but comments", file: "# none yet\n\n", problems: []string{"dbs.txt lists no database"}},
		{
			name:     "a host list names several servers; sslmode=prefer alone is one",
			file:     "postgres://app:LEAK1@db1:5699,db2:5612/f1\npostgres://db3/x?sslmode=prefer\nhost=db1,db2 dbname=y\n",
			problems: []string{"dbs.txt:1: lists several hosts", "dbs.txt:3: lists several hosts"},
		},
		{name: "IPv6 hosts are bracketed", file: "postgres://[::1]:5433/a\npostgres://[::1]:5433/a\n", problems: []string{"names database [::1]:5433/a again"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := fleet.ParseDatabaseList("dbs.txt", []byte(tt.file))
			if tt.problems == nil {
				require.NoError(t, err)
				assert.Equal(t, tt.want, got)
				return
			}
			require.ErrorIs(t, err, fleet.ErrDatabases)
			assert.NotContains(t, err.Error(), "LEAK1")
			assert.NotContains(t, err.Error(), "cannot connect", "a parse error is not a connection error")
			pos := 0
			for _, p := range tt.problems {
				i := strings.Index(err.Error()[pos:], p)
				require.GreaterOrEqual(t, i, 0, "%q (in order) in:\n%s", p, err)
				pos += i
			}
		})
	}
}
