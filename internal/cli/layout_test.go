package cli_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLayoutFlagAndConfig: --layout and the config's layout reach every
// command; lint never reads a down part, whether it gets a directory or
// files one by one.
func TestLayoutFlagAndConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string { return writeFile(t, dir, name, body) }
	// Down parts an unsafe-looking lint would flag.
	up := write("m/000001_users.up.sql", "-- safe: before_deploy\nCREATE TABLE users (id bigint PRIMARY KEY);\n")
	down := write("m/000001_users.down.sql", "DROP TABLE users;\n")
	goose := write("g/20230101000000_users.sql", "-- safe: before_deploy\n-- +goose Up\nCREATE TABLE users (id bigint PRIMARY KEY);\n-- +goose Down\nDROP TABLE users;\n")
	m, g := filepath.Dir(up), filepath.Dir(goose)

	r := run(t, "--dir", m, "lint")
	assert.Equal(t, 0, r.code, "detected golang-migrate: %s %s", r.stdout, r.stderr)
	r = run(t, "--dir", g, "lint")
	assert.Equal(t, 0, r.code, "detected goose: %s %s", r.stdout, r.stderr)
	r = run(t, "lint", up, down, goose)
	assert.Equal(t, 0, r.code, "files one by one: %s %s", r.stdout, r.stderr)
	assert.NotContains(t, r.stdout, "DROP")

	// Forcing the wrong layout is refused, naming the file.
	r = run(t, "--dir", g, "--layout", "dbmate", "lint")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "20230101000000_users.sql")
	assert.Contains(t, r.stderr, "no `-- migrate:up` line")
	r = run(t, "--layout", "safemigrate", "lint", goose)
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "20230101000000_users.sql:4: `-- +goose Down` starts a down section")

	// The configuration's layout, and a flag that overrides it.
	cfg := write("safemigrate.yaml", "layout: safemigrate\n")
	r = run(t, "--config", cfg, "--dir", g, "lint")
	assert.Equal(t, 2, r.code, r.stdout)
	assert.Contains(t, r.stderr, "set `layout: goose` in safemigrate.yaml (or pass --layout goose)")
	r = run(t, "--config", cfg, "--dir", g, "--layout", "goose", "lint")
	assert.Equal(t, 0, r.code, r.stderr)
	r = run(t, "--layout", "liquibase", "--dir", g, "lint")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "liquibase")

	// new follows the layout.
	r = run(t, "--dir", m, "new", "add_email", "--safe", "before_deploy")
	require.Equal(t, 0, r.code, r.stderr)
	assert.FileExists(t, filepath.Join(m, "000002_add_email.up.sql"))
	assert.FileExists(t, filepath.Join(m, "000002_add_email.down.sql"))
}
