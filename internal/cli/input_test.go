package cli_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/safemigrate/safemigrate/internal/pgtest"
)

// TestCopyFromStdinIsAnInputError: `COPY t FROM STDIN;` hung migrate and
// preflight forever; it is an input error (exit 2) naming file and line,
// on a single target and on a tenant fleet, and nothing runs.
func TestCopyFromStdinIsAnInputError(t *testing.T) {
	url := pgtest.NewDatabase(t)
	dir := writeDir(t, map[string]string{
		"0001_t.sql":    "-- safe: always\nCREATE TABLE t (id int);\n",
		"0002_copy.sql": "-- safe: always\n\nCOPY t FROM STDIN;\n",
	})
	for _, args := range [][]string{
		{"migrate", "--phase", "post-deploy"},
		{"preflight"},
		{"migrate", "--phase", "post-deploy", "--schemas", "public"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			r := runDB(t, url, dir, args...)
			assert.Equal(t, 2, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
			out := r.stdout + r.stderr
			assert.Contains(t, out, "0002_copy.sql:3")
			assert.Contains(t, out, "COPY ... FROM STDIN")
			assert.Contains(t, out, "INSERT ... VALUES")
		})
	}
	r := runDB(t, url, dir, "status", "--format", "json")
	assert.NotContains(t, r.stdout, `"state": "applied"`)
}
