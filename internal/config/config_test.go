package config_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/safemigrate/safemigrate/internal/config"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	cfg, err := config.Parse([]byte(`
dir: db/migrations
default_safe: before_deploy
tracking_schema: ops
mode: nonstrict
versioning: timestamp
layout: goose
pg_version: 13
lock_timeout: 2s
statement_timeout: 1d
lock_wait: 90s
lock_retries: 0
tenants:
  query: SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tenant_%'
  search_path: [public]
  jobs: 4
`))
	require.NoError(t, err)
	assert.Equal(t, "db/migrations", cfg.Dir)
	assert.EqualValues(t, "before_deploy", cfg.DefaultSafe)
	assert.Equal(t, "goose", cfg.Layout)
	assert.Equal(t, 2*time.Second, cfg.LockTimeout.Duration)
	assert.Equal(t, 24*time.Hour, cfg.StatementTimeout.Duration)
	assert.True(t, cfg.LockWait.Set)
	require.NotNil(t, cfg.LockRetries)
	assert.Equal(t, 0, *cfg.LockRetries)
	assert.Equal(t, []string{"public"}, cfg.Tenants.SearchPath)
	assert.Equal(t, 13, cfg.PGVersion)
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, doc, want string }{
		{"unknown key with line", "dir: x\nlock_timout: 5s\n", "line 2: unknown key lock_timout, did you mean lock_timeout?"},
		{"unknown nested key", "tenants:\n  schema: [a]\n", "line 2: unknown key schema in tenants, did you mean schemas?"},
		{"unknown lint key", "lint:\n  exclude_rule: [x]\n", "did you mean exclude_rules?"},
		{"unknown key far from any", "zzzzzzzzzzzz: 1\n", "known keys: dir, database_url"},
		{"initial is auto or false", "initial: true\n", "initial: \"true\" is not one of auto, false"},
		{"bad safe", "default_safe: befor_deploy\n", "did you mean before_deploy"},
		{"bad duration", "lock_timeout: soon\n", "line 1"},
		{"bad mode", "mode: lax\n", `mode: "lax" is not one of strict, nonstrict, disabled`},
		{"bad versioning", "versioning: semver\n", "versioning"},
		{"bad layout", "layout: liquibase\n", `layout: unknown layout "liquibase"; use one of auto, safemigrate, goose, golang-migrate, dbmate, flyway`},
		{"section given a list", "tenants: [a]\n", "line 1: tenants must be a section of settings (schemas, query, search_path, jobs, databases, jobs_per_server), not a list"},
		{"list given a number", "tenants:\n  schemas: 5\n", "line 2: tenants.schemas must be a list, e.g. [a, b], not the number 5"},
		{"list of sections", "tenants:\n  schemas:\n    - {a: b}\n", "line 3: tenants.schemas must be a list of single values, not a section of keys"},
		{"bool given a word", "atomic: maybe\n", `line 1: atomic must be true or false, not "maybe"`},
		{"int given a word", "lock_retries: many\n", `line 1: lock_retries must be a whole number, not "many"`},
		{"string given a list", "dir: [a, b]\n", "line 1: dir must be a single value, not a list"},
		{"duration given a section", "lock_timeout: {s: 5}\n", "line 1: lock_timeout must be a single value, not a section of keys"},
		{"key of another section", "jobs: 4\n", "line 1: unknown key jobs: it belongs in the tenants section (move it under tenants)"},
		{"top-level key in a section", "tenants:\n  lock_timeout: 5s\n", "line 2: unknown key lock_timeout in tenants; it is a top-level setting: move it out of the tenants section"},
		{"alias to the wrong shape", "lint:\n  exclude_rules: &r [x]\n  large_table: *r\n", "line 2: lint.large_table must be a single value, not a list"},
		{"connection string where a list goes", "tenants:\n  databases: postgres://app:YAMLLEAK3@db/x\n", `line 2: tenants.databases must be a list, e.g. [a, b], not "postgres://app:xxxxx@db/x"`},
		{"a key given twice", "dir: a\ndir: b\n", `line 2: mapping key "dir" already defined at line 1`},
		{"not a mapping", "hello\n", `line 1: the configuration must be a section of settings (dir, database_url`},
		{"tenants both", "tenants:\n  schemas: [a]\n  query: SELECT 1\n", "either schemas or query"},
		// Errors name the line they are on (the file is added by Load).
		{"unknown rule", "mode: strict\nlint:\n  exclude_rules:\n    - truncate\n    - nosuch-rule\n", `line 5: lint: exclude_rules: no rule "nosuch-rule" (docs/rules.md lists the rules)`},
		{"misspelt rule", "lint:\n  exclude_rules: [drop-tabel]\n", `line 2: lint: exclude_rules: no rule "drop-tabel", did you mean drop-table?`},
		{"list item among keys", "mode: strict\n- x\n", "line 2: did not find expected key"},
		{"key on a value's line", "mode: strict\nfoo: bar: baz\n", "line 2: mapping values are not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Parse([]byte(tt.doc))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotRegexp(t, `config\.|\[\]string|!!|unmarshal`, err.Error(), "names Go or YAML types")
		})
	}
}

func TestParseShapes(t *testing.T) {
	cfg, err := config.Parse([]byte("lint:\n  exclude_rules: &r [truncate, drop-table]\n  exclude_paths: *r\ntenants:\n  schemas: [1, two]\n  jobs: ~\ndir: 2024\n"))
	require.NoError(t, err, "aliases, numbers as names and null values are fine")
	assert.Equal(t, []string{"truncate", "drop-table"}, cfg.Lint.ExcludePaths)
	assert.Equal(t, []string{"1", "two"}, cfg.Tenants.Schemas)
	assert.Equal(t, "2024", cfg.Dir)
	for _, doc := range []string{"", "# nothing\n", "---\n"} {
		cfg, err := config.Parse([]byte(doc))
		require.NoError(t, err, "%q", doc)
		assert.Equal(t, config.Config{}, cfg)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	cfg, err := config.Load(filepath.Join(dir, "absent.yaml"), true)
	require.NoError(t, err)
	assert.Equal(t, config.Config{}, cfg)

	_, err = config.Load(filepath.Join(dir, "absent.yaml"), false)
	require.Error(t, err)

	p := filepath.Join(dir, "safemigrate.yaml")
	require.NoError(t, os.WriteFile(p, []byte("mode: [\n"), 0o644))
	_, err = config.Load(p, false)
	require.ErrorContains(t, err, p)

	require.NoError(t, os.WriteFile(p, []byte("lint:\n  exclude_rules: [nosuch-rule]\n"), 0o644))
	_, err = config.Load(p, false)
	require.ErrorContains(t, err, p+": line 2: lint: exclude_rules: no rule \"nosuch-rule\"")
}

// TestParseRejectsSecondDocument: a second YAML document was silently
// ignored, even with unknown keys in it, so settings in it never applied.
func TestParseRejectsSecondDocument(t *testing.T) {
	tests := []struct {
		name, src string
		line      string
	}{
		{"unknown keys", "dir: db\n---\nno_such_key: 1\n", "line 2"},
		{"known keys", "dir: db\n\n---\nlock_timeout: 2s\n", "line 3"},
		{"empty", "dir: db\n---\n", "line 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Parse([]byte(tt.src))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.line)
			assert.Contains(t, err.Error(), "second YAML document")
		})
	}
	cfg, err := config.Parse([]byte("---\ndir: db\n...\n"))
	require.NoError(t, err, "one document with explicit markers is fine")
	assert.Equal(t, "db", cfg.Dir)
}

func TestTenantDatabases(t *testing.T) {
	cfg, err := config.Parse([]byte("tenants:\n  databases: [\"postgres:///a\", \"postgres:///b\"]\n  schemas: [s1]\n  jobs_per_server: 2\n"))
	require.NoError(t, err)
	assert.Equal(t, []string{"postgres:///a", "postgres:///b"}, cfg.Tenants.Databases)
	assert.Equal(t, 2, cfg.Tenants.JobsPerServer)

	_, err = config.Parse([]byte("tenants:\n  databases: [\"postgres:///a\"]\n  query: SELECT 1\n"))
	assert.ErrorContains(t, err, "not a query")
	_, err = config.Parse([]byte("tenants:\n  jobs_per_server: -1\n"))
	assert.ErrorContains(t, err, "jobs_per_server")
}

func TestLargeTable(t *testing.T) {
	for doc, want := range map[string]config.LargeTable{
		"1GB":              {Bytes: 1 << 30, Rows: -1, Set: true},
		"500 MB":           {Bytes: 500 << 20, Rows: -1, Set: true},
		"1.5gb":            {Bytes: 3 << 29, Rows: -1, Set: true},
		"10M rows":         {Bytes: -1, Rows: 10_000_000, Set: true},
		"2500 rows":        {Bytes: -1, Rows: 2500, Set: true},
		"1GB or 10M rows":  {Bytes: 1 << 30, Rows: 10_000_000, Set: true},
		"100k rows, 20 MB": {Bytes: 20 << 20, Rows: 100_000, Set: true},
		"'8192 bytes'":     {Bytes: 8192, Rows: -1, Set: true},
	} {
		cfg, err := config.Parse([]byte("lint:\n  large_table: " + doc + "\n"))
		require.NoError(t, err, doc)
		assert.Equal(t, want, cfg.Lint.LargeTable, doc)
	}
	cfg, err := config.Parse([]byte("lint:\n  exclude_rules: [truncate]\n"))
	require.NoError(t, err)
	assert.False(t, cfg.Lint.LargeTable.Set)

	for _, doc := range []string{"big", "1 GB or 2 GB", "10 rows or 5 rows", "1 GiB", "''"} {
		_, err := config.Parse([]byte("lint:\n  large_table: " + doc + "\n"))
		require.Error(t, err, doc)
		assert.Contains(t, err.Error(), "line 2: large_table", doc)
	}
}
