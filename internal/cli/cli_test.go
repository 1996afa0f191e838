package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/internal/cli"
)

var update = flag.Bool("update", false, "rewrite golden files")

const example = "../../migrations_example"

// result is one in-process run of the CLI.
type result struct {
	stdout, stderr string
	code           int
}

func run(t *testing.T, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return result{out.String(), errb.String(), code}
}

// golden compares got with testdata/golden/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file; run go test ./internal/cli -update")
	assert.Equal(t, string(want), got, "output differs from %s; run with -update if the change is intended", path)
}

// cleanState is a dependency-closed applied set of the example in which
// pre-deploy runs without blocking.
const cleanState = "0001_create_accounts,0002_create_users,0003_add_users_display_name,0004_backfill_users_display_name,0005_index_users_email,0006_drop_users_full_name,0007_users_display_name_not_null,0008_validate_users_display_name,billing/0001_create_plans,billing/0002_create_invoices,billing/0003_seed_plans"

// blockedState leaves the root chain's contract steps pending.
const blockedState = "0001_create_accounts,0002_create_users,0003_add_users_display_name,0004_backfill_users_display_name,0005_index_users_email,billing/0001_create_plans,billing/0002_create_invoices,billing/0003_seed_plans"

const now = "--now=2026-11-22T10:00:00Z"

func TestGoldenOutputs(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"plan_pre_offline.txt", []string{"plan", "--phase", "pre-deploy", "--offline", now}, 3},
		{"plan_pre_offline.json", []string{"plan", "--phase", "pre-deploy", "--offline", now, "--format", "json"}, 3},
		{"plan_pre_clean.txt", []string{"plan", "--phase", "pre-deploy", "--applied", cleanState, now}, 0},
		{"plan_pre_clean.json", []string{"plan", "--phase", "pre-deploy", "--applied", cleanState, now, "--format", "json"}, 0},
		{"plan_pre_blocked.txt", []string{"plan", "--phase", "pre-deploy", "--applied", blockedState, now}, 3},
		{"plan_pre_blocked.json", []string{"plan", "--phase", "pre-deploy", "--applied", blockedState, now, "--format", "json"}, 3},
		{"plan_pre_nonstrict.txt", []string{"plan", "--phase", "pre-deploy", "--applied", blockedState, "--mode", "nonstrict", now}, 0},
		{"plan_pre_disabled.txt", []string{"plan", "--phase", "pre-deploy", "--applied", blockedState, "--mode", "disabled", now}, 0},
		{"plan_pre_initial.txt", []string{"plan", "--phase", "pre-deploy", "--offline", "--initial", now}, 0},
		{"plan_post_blocked.txt", []string{"plan", "--phase", "post-deploy", "--applied", blockedState, now}, 0},
		{"plan_post_blocked.json", []string{"plan", "--phase", "post-deploy", "--applied", blockedState, now, "--format", "json"}, 0},
		{"graph.txt", []string{"graph"}, 0},
		{"graph_applied.txt", []string{"graph", "--applied", blockedState}, 0},
		{"graph.dot", []string{"graph", "--format", "dot"}, 0},
		{"graph_applied.dot", []string{"graph", "--format", "dot", "--applied", blockedState}, 0},
		{"graph.mermaid", []string{"graph", "--format", "mermaid"}, 0},
	}
	// graph reads the state from a configured database: the goldens are
	// of the example without one, whatever the environment exports.
	t.Setenv("DATABASE_URL", "")
	t.Setenv("SAFEMIGRATE_DATABASE_URL", "")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, append([]string{"--dir", example}, tt.args...)...)
			require.Equal(t, tt.code, r.code, "stderr: %s", r.stderr)
			if strings.HasSuffix(tt.name, ".json") {
				assertOneJSON(t, r.stdout)
			}
			golden(t, tt.name, r.stdout)
		})
	}
}

// assertOneJSON checks that s holds exactly one JSON document.
func assertOneJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	var doc map[string]any
	require.NoError(t, dec.Decode(&doc), "stdout is not JSON: %q", s)
	var extra any
	require.Error(t, dec.Decode(&extra), "stdout holds more than one JSON document")
	return doc
}

func TestPlanJSONContract(t *testing.T) {
	r := run(t, "--dir", example, "plan", "--phase", "pre-deploy", "--applied", blockedState, now, "--format", "json")
	require.Equal(t, 3, r.code)
	doc := assertOneJSON(t, r.stdout)
	for _, k := range []string{"phase", "mode", "ok", "applied", "run", "delayed", "blocked"} {
		assert.Contains(t, doc, k)
	}
	assert.Equal(t, false, doc["ok"], "ok is false exactly when the command exits 3")
	blocked := doc["blocked"].([]any)
	require.Len(t, blocked, 1)
	b := blocked[0].(map[string]any)
	assert.Equal(t, "0009_create_audit_events", b["id"])
	assert.Equal(t, []any{"0006_drop_users_full_name", "0007_users_display_name_not_null", "0008_validate_users_display_name"}, b["blocked_by"])
	d := doc["delayed"].([]any)[0].(map[string]any)
	assert.Contains(t, d, "runnable_at")
	assert.Nil(t, d["runnable_at"])
}

func TestErrors(t *testing.T) {
	bad := filepath.Join("testdata", "bad")
	tests := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"missing dir", []string{"--dir", "testdata/nope", "plan", "--phase", "pre-deploy", "--offline"}, 2, []string{`migrations directory "testdata/nope" not found`, "--dir"}},
		{"bad headers list every file and line", []string{"--dir", bad, "graph"}, 2, []string{
			"testdata/bad/0001_a.sql:1: unknown safe value \"befor_deploy\", did you mean before_deploy?",
			"testdata/bad/0002_b.sql:2: unknown directive \"saftey\", did you mean safe?",
			"testdata/bad/0002_b.sql:4: duplicate directive depends (first on line 3)",
			"testdata/bad/0003_c.sql:2: delay needs safe: after_deploy",
			"testdata/bad/0004_d.sql:2: delay: malformed duration",
			"testdata/bad/notversioned.sql: file name has no version prefix",
			"6 problems in testdata/bad",
		}},
		{"dir with trailing slash", []string{"--dir", "./" + bad + "/", "graph"}, 2, []string{
			" testdata/bad/0002_b.sql:2: unknown directive", // not ./testdata/bad//0002_b.sql
		}},
		{"no state", []string{"--dir", example, "plan", "--phase", "pre-deploy"}, 2, []string{"--applied", "--offline"}},
		{"unknown applied id", []string{"--dir", example, "plan", "--phase", "pre-deploy", "--applied", "0042_nope"}, 2, []string{`"0042_nope"`}},
		{"bad phase", []string{"--dir", example, "plan", "--phase", "deploy", "--offline"}, 2, []string{"--phase"}},
		{"bad mode", []string{"--dir", example, "plan", "--phase", "pre-deploy", "--offline", "--mode", "lax"}, 2, []string{"--mode"}},
		{"bad format", []string{"--dir", example, "plan", "--phase", "pre-deploy", "--offline", "--format", "dot"}, 2, []string{"--format dot is not supported here"}},
		{"bad now", []string{"--dir", example, "plan", "--phase", "pre-deploy", "--offline", "--now", "yesterday"}, 2, []string{"RFC3339"}},
		{"offline and applied", []string{"--dir", example, "plan", "--phase", "pre-deploy", "--offline", "--applied", "0001_create_accounts"}, 2, []string{"exclude each other"}},
		{"initial with applied", []string{"--dir", example, "plan", "--phase", "pre-deploy", "--initial", "--applied", "0001_create_accounts"}, 2, []string{"--initial"}},
		{"unknown command", []string{"frobnicate"}, 2, []string{"unexpected argument frobnicate"}},
		{"bad config", []string{"--config", "testdata/bad_config.yaml", "version"}, 2, []string{"testdata/bad_config.yaml", "line 2", "lock_timout"}},
	}
	// "no state" needs no database to be configured, whatever the
	// environment exports.
	t.Setenv("DATABASE_URL", "")
	t.Setenv("SAFEMIGRATE_DATABASE_URL", "")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, tt.args...)
			assert.Equal(t, tt.code, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
			for _, w := range tt.want {
				assert.Contains(t, r.stderr, w)
			}
			assert.NotContains(t, r.stderr, "goroutine", "no stack traces")
		})
	}
}

func TestJSONErrorDocument(t *testing.T) {
	r := run(t, "--dir", "testdata/nope", "--format", "json", "plan", "--phase", "pre-deploy", "--offline")
	require.Equal(t, 2, r.code)
	doc := assertOneJSON(t, r.stdout)
	assert.Equal(t, false, doc["ok"])
	assert.Contains(t, doc["error"].(map[string]any)["message"], "not found")
}

func TestEnvAndConfig(t *testing.T) {
	t.Run("SAFEMIGRATE_DIR", func(t *testing.T) {
		t.Setenv("SAFEMIGRATE_DIR", example)
		r := run(t, "plan", "--phase", "post-deploy", "--offline")
		assert.Equal(t, 0, r.code, r.stderr)
		assert.Contains(t, r.stdout, "12 to run, 4 delayed")
	})
	t.Run("config dir and mode", func(t *testing.T) {
		cfg := filepath.Join(t.TempDir(), "safemigrate.yaml")
		abs, err := filepath.Abs(example)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(cfg, []byte("dir: "+abs+"\nmode: nonstrict\n"), 0o644))
		r := run(t, "--config", cfg, "plan", "--phase", "pre-deploy", "--offline")
		assert.Equal(t, 0, r.code, r.stderr)
		assert.Contains(t, r.stdout, "pre-deploy (nonstrict)")
	})
	t.Run("flag beats config, config beats default", func(t *testing.T) {
		cfg := filepath.Join(t.TempDir(), "safemigrate.yaml")
		require.NoError(t, os.WriteFile(cfg, []byte("mode: nonstrict\nversioning: timestamp\n"), 0o644))
		r := run(t, "--config", cfg, "--dir", example, "plan", "--phase", "pre-deploy", "--offline", "--mode", "strict")
		assert.Equal(t, 3, r.code, r.stderr)
		assert.Contains(t, r.stdout, "pre-deploy (strict)")
		dir := t.TempDir()
		r = run(t, "--config", cfg, "--dir", dir, "new", "x", "--safe", "always")
		require.Equal(t, 0, r.code, r.stderr)
		assert.Regexp(t, `/2\d{13}_x\.sql`, r.stdout, "versioning from the config")
		r = run(t, "--config", cfg, "--dir", dir, "new", "y", "--safe", "always", "--versioning", "sequential")
		require.Equal(t, 0, r.code, r.stderr)
		assert.Regexp(t, `/2\d{13}_y\.sql`, r.stdout, "sequential continues after the highest version")
	})
	t.Run("env beats config", func(t *testing.T) {
		cfg := filepath.Join(t.TempDir(), "safemigrate.yaml")
		require.NoError(t, os.WriteFile(cfg, []byte("dir: testdata/nope\n"), 0o644))
		t.Setenv("SAFEMIGRATE_DIR", example)
		r := run(t, "--config", cfg, "graph", "--offline")
		assert.Equal(t, 0, r.code, r.stderr)
	})
	t.Run("flag beats env", func(t *testing.T) {
		t.Setenv("SAFEMIGRATE_DIR", "testdata/nope")
		r := run(t, "--dir", example, "graph", "--offline")
		assert.Equal(t, 0, r.code, r.stderr)
	})
}

func TestNoColourOffTerminal(t *testing.T) {
	r := run(t, "--dir", example, "plan", "--phase", "pre-deploy", "--offline")
	assert.NotContains(t, r.stdout, "\x1b[")
	assert.NotContains(t, r.stderr, "\x1b[")
}

func TestHelp(t *testing.T) {
	r := run(t, "--help")
	assert.Equal(t, 0, r.code)
	assert.Contains(t, r.stdout, "plan")
	r = run(t, "plan", "--help")
	assert.Equal(t, 0, r.code)
	assert.Contains(t, r.stdout, "--applied")
}

func TestVersion(t *testing.T) {
	r := run(t, "version")
	require.Equal(t, 0, r.code)
	assert.Contains(t, r.stdout, "safemigrate ")
	r = run(t, "version", "--format", "json")
	require.Equal(t, 0, r.code)
	doc := assertOneJSON(t, r.stdout)
	assert.NotEmpty(t, doc["version"])
	assert.NotEmpty(t, doc["go"])
}

func TestJSONErrorDocumentForEveryUsageError(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "safemigrate.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("dirr: x\n"), 0o644))
	tests := [][]string{
		{"--format", "json", "plan", "--offline"},                           // missing --phase
		{"--format=json", "plan", "--phase", "pre-deploy", "--mode", "lax"}, // Validate
		{"--format", "json", "frobnicate"},                                  // unknown command
		{"plan", "--phase", "deploy", "--format", "json"},                   // bad enum
		{"--format", "json", "--config", cfg, "version"},                    // configuration error
	}
	for _, args := range tests {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			r := run(t, append([]string{"--dir", example}, args...)...)
			assert.Equal(t, 2, r.code, r.stderr)
			doc := assertOneJSON(t, r.stdout)
			assert.Equal(t, false, doc["ok"])
			e, _ := doc["error"].(map[string]any)
			require.NotNil(t, e, "error object: %s", r.stdout)
			assert.NotEmpty(t, e["message"])
			assert.EqualValues(t, 2, e["exit_code"])
			assert.NotEmpty(t, r.stderr, "the message goes to stderr too")
		})
	}
}

// TestTenantConfigIsNotIgnored: a configuration with tenants must never
// quietly run a command on the database's default schema instead. The
// commands that know fleets go to the database for the tenants (see
// tenants_test.go); the others refuse before connecting.
func TestTenantConfigIsNotIgnored(t *testing.T) {
	for _, tenants := range []string{"tenants:\n  schemas: [tenant_a, tenant_b]\n", "tenants:\n  query: SELECT nspname FROM pg_namespace\n", "tenants:\n  databases: [\"postgres://u@127.0.0.1:1/t1\"]\n"} {
		cfg := filepath.Join(t.TempDir(), "safemigrate.yaml")
		require.NoError(t, os.WriteFile(cfg, []byte(tenants), 0o644))
		for _, args := range [][]string{
			{"baseline", "--through", "0001_create_accounts"},
			{"graph"},
		} {
			r := run(t, append([]string{"--config", cfg, "--dir", example, "--database-url", "postgres://u@127.0.0.1:1/db"}, args...)...)
			assert.Equal(t, 2, r.code, "%v: %s", args, r.stderr)
			assert.Contains(t, r.stderr, "tenants", "%v", args)
			assert.NotContains(t, r.stderr, "connect", "%v refuses before connecting", args)
		}
		for _, args := range [][]string{
			{"migrate", "--phase", "pre-deploy"},
			{"preflight"},
			{"status"},
			{"plan", "--phase", "pre-deploy"},
		} {
			r := run(t, append([]string{"--config", cfg, "--dir", example, "--database-url", "postgres://u@127.0.0.1:1/db"}, args...)...)
			assert.Equal(t, 2, r.code, "%v: %s", args, r.stderr)
			assert.Contains(t, r.stdout+r.stderr, "cannot connect", "%v goes to the database for its tenants", args)
		}
	}
}

func TestAppliedListToleratesSpacesAndEmptyEntries(t *testing.T) {
	for _, list := range []string{"0001_create_accounts, 0002_create_users", "0001_create_accounts,,0002_create_users,"} {
		r := run(t, "--dir", example, "graph", "--applied", list)
		assert.Equal(t, 0, r.code, "graph --applied %q: %s", list, r.stderr)
		assert.Regexp(t, `0002_create_users\s+before_deploy\s+applied`, r.stdout)
		r = run(t, "--dir", example, "plan", "--phase", "post-deploy", "--applied", list)
		assert.Equal(t, 0, r.code, "plan --applied %q: %s", list, r.stderr)
		assert.Contains(t, r.stdout, "2 migrations applied")
	}
}

func TestConnectionErrorsSayWhatToCheck(t *testing.T) {
	t.Setenv("PGHOST", "127.0.0.1")
	t.Setenv("PGPORT", "1")
	t.Setenv("PGCONNECT_TIMEOUT", "2")
	t.Setenv("DATABASE_URL", "")
	t.Setenv("SAFEMIGRATE_DATABASE_URL", "")
	for _, args := range [][]string{
		{"status"},
		{"migrate", "--phase", "post-deploy"},
		{"--database-url", "postgres://u@127.0.0.1:1/db?connect_timeout=2", "preflight"},
		{"baseline", "--through", "0001_create_accounts"},
	} {
		r := run(t, append([]string{"--dir", example}, args...)...)
		assert.Equal(t, 2, r.code, "%v: %s", args, r.stderr)
		assert.Contains(t, r.stderr, "--database-url", "%v says where the connection comes from", args)
	}
}

// TestTablesAlignWideAndCombiningCharacters: columns line up by display
// width: a CJK character takes two columns, a combining accent none.
func TestTablesAlignWideAndCombiningCharacters(t *testing.T) {
	dir := t.TempDir()
	for name, safe := range map[string]string{"0001_添加用户表.sql": "always", "0002_add_users.sql": "before_deploy", "0003_cafe\u0301.sql": "always"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte("-- safe: "+safe+"\nSELECT 1;\n"), 0o644))
	}
	r := run(t, "--dir", dir, "plan", "--phase", "post-deploy", "--offline")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, ""+
		"  1.  0001_添加用户表  always\n"+
		"  2.  0002_add_users   before_deploy\n"+
		"  3.  0003_cafe\u0301        always\n")
}

// TestPGBinDirNeedsEphemeral: --pg-bindir on the command line without
// --ephemeral is a mistake; SAFEMIGRATE_PG_BINDIR in the environment
// (set for every run) is not.
func TestPGBinDirNeedsEphemeral(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	t.Setenv("SAFEMIGRATE_DATABASE_URL", "")
	r := run(t, "--dir", example, "preflight", "--pg-bindir", t.TempDir())
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "--pg-bindir needs --ephemeral")
	t.Setenv("SAFEMIGRATE_PG_BINDIR", t.TempDir())
	t.Setenv("PGHOST", "127.0.0.1")
	t.Setenv("PGPORT", "1")
	t.Setenv("PGCONNECT_TIMEOUT", "2")
	r = run(t, "--dir", example, "preflight")
	assert.NotContains(t, r.stderr, "--pg-bindir needs --ephemeral")
	assert.Contains(t, r.stderr, "cannot connect", "it got as far as the database")
}

// TestQuietExits: a command that already reported on stdout why it exits
// non-zero (findings, a blocked plan) adds no "error: exit N" line to
// stderr.
func TestQuietExits(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"lint with findings", []string{"--dir", "testdata/bad", "lint"}, 1},
		{"blocked plan", []string{"--dir", example, "plan", "--phase", "pre-deploy", "--applied", "0001_create_accounts,0002_create_users,0003_add_users_display_name,0004_backfill_users_display_name,0005_index_users_email"}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, tc.args...)
			require.Equal(t, tc.code, r.code, r.stderr)
			require.NotContains(t, r.stderr, "error: exit")
		})
	}
}
