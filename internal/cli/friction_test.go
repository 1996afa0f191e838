package cli_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/internal/pgtest"
)

func TestBareCommandPrintsHelp(t *testing.T) {
	r := run(t)
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Usage: safemigrate <command>")
	assert.Contains(t, r.stdout, "migrate")
}

func TestMissingFlagPointsAtTheCommandsHelp(t *testing.T) {
	r := run(t, "migrate")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "missing flags: --phase")
	assert.Contains(t, r.stderr, "Run `safemigrate migrate --help` for usage.")
	r = run(t, "baseline")
	assert.Contains(t, r.stderr, "Run `safemigrate baseline --help` for usage.")
}

// TestMissingSafeHeaderIsSaid: files without `-- safe:` count as
// after_deploy; plan says so instead of a bare "nothing to run".
func TestMissingSafeHeaderIsSaid(t *testing.T) {
	dir := writeDir(t, map[string]string{
		"0001_a.sql": "CREATE TABLE a (id int);\n",
		"0002_b.sql": "-- safe: after_deploy\nCREATE TABLE b (id int);\n",
	})
	r := run(t, "--dir", dir, "--no-color", "plan", "--phase", "pre-deploy", "--offline")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "1 pending migration(s) have no `-- safe:` header and count as after_deploy (default_safe): 0001_a")
	assert.NotContains(t, r.stdout, "0002_b;")
}

func TestConfigKeyTypoSuggests(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "safemigrate.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("lock_timeot: 5s\n"), 0o644))
	r := run(t, "--config", cfg, "--dir", example, "plan", "--phase", "pre-deploy", "--offline")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "unknown key lock_timeot, did you mean lock_timeout?")
	assert.NotContains(t, r.stderr, "config.Config")
}

// lintDir is a git repository with two committed migrations that lint
// flags, on a branch that adds a third.
func lintDir(t *testing.T) (repo, dir string) {
	repo = t.TempDir()
	git := func(args ...string) {
		cmd := exec.Command("git", append([]string{"-C", repo, "-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "git %v: %s", args, out)
	}
	dir = filepath.Join(repo, "migrations")
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "legacy"), 0o755))
	write := func(name, body string) { writeFile(t, dir, name, body) }
	write("0001_t.sql", "-- safe: before_deploy\nCREATE TABLE t (id int);\n")
	write("0002_idx.sql", "-- safe: before_deploy\nCREATE INDEX t_id ON t (id);\n")
	write("legacy/0001_drop.sql", "-- safe: after_deploy\nDROP TABLE t;\n")
	git("init", "-q", "-b", "main")
	git("add", ".")
	git("commit", "-q", "-m", "base")
	git("checkout", "-q", "-b", "feature")
	write("0003_idx2.sql", "-- safe: before_deploy\nCREATE INDEX t_id2 ON t (id);\n")
	git("add", ".")
	git("commit", "-q", "-m", "feature")
	return repo, dir
}

func TestLintExcludesAndChangedSince(t *testing.T) {
	_, dir := lintDir(t)
	r := run(t, "--dir", dir, "lint", "--format", "json")
	require.Equal(t, 1, r.code, r.stderr)
	all := assertOneJSON(t, r.stdout)["diagnostics"].([]any)
	files := func(ds []any) map[string]bool {
		out := map[string]bool{}
		for _, d := range ds {
			out[filepath.Base(d.(map[string]any)["file"].(string))] = true
		}
		return out
	}
	require.True(t, files(all)["0002_idx.sql"] && files(all)["0003_idx2.sql"], "the setup lints: %v", files(all))

	r = run(t, "--dir", dir, "lint", "--format", "json", "--changed-since", "main")
	doc := assertOneJSON(t, r.stdout)
	got := files(doc["diagnostics"].([]any))
	assert.True(t, got["0003_idx2.sql"], "the changed file is reported")
	assert.False(t, got["0002_idx.sql"], "an unchanged file is not")
	assert.False(t, got["0001_drop.sql"])

	r = run(t, "--dir", dir, "lint", "--changed-since", "no-such-branch")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "no-such-branch")

	cfg := filepath.Join(t.TempDir(), "safemigrate.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("lint:\n  exclude_rules: [require-concurrent-index]\n  exclude_paths: [\"legacy/**\"]\n"), 0o644))
	r = run(t, "--config", cfg, "--dir", dir, "lint", "--format", "json")
	doc = assertOneJSON(t, r.stdout)
	for _, d := range doc["diagnostics"].([]any) {
		dm := d.(map[string]any)
		assert.NotEqual(t, "require-concurrent-index", dm["rule"])
		assert.NotContains(t, dm["file"], "legacy/")
	}

	require.NoError(t, os.WriteFile(cfg, []byte("lint:\n  exclude_rules: [require-concurent-index]\n"), 0o644))
	r = run(t, "--config", cfg, "--dir", dir, "lint")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "did you mean require-concurrent-index?")
}

// TestPermissionDeniedOnTrackingIsExitTwo: a role that may not read its
// tracking table has a configuration problem (exit 2), not a failed
// migration (exit 1).
func TestPermissionDeniedOnTrackingIsExitTwo(t *testing.T) {
	admin := pgtest.NewDatabase(t)
	conn := pgtest.Connect(t, admin)
	ctx := context.Background()
	role := fmt.Sprintf("app_%d", time.Now().UnixNano())
	_, err := conn.Exec(ctx, `CREATE ROLE `+role+` LOGIN PASSWORD 'app-pw'; GRANT CREATE, USAGE ON SCHEMA public TO `+role)
	require.NoError(t, err)
	t.Cleanup(func() {
		_, _ = conn.Exec(context.Background(), `DROP OWNED BY `+role+`; DROP ROLE `+role)
	})
	u, err := url.Parse(admin)
	require.NoError(t, err)
	u.User = url.UserPassword(role, "app-pw")
	app := u.String()

	dir := writeDir(t, map[string]string{"0001_a.sql": "-- safe: always\nCREATE TABLE a (id int);\n"})
	r := runDB(t, app, dir, "migrate", "--phase", "pre-deploy")
	require.Equal(t, 0, r.code, r.stderr)
	_, err = conn.Exec(ctx, `REVOKE ALL ON public.safemigrate_migrations FROM `+role)
	require.NoError(t, err)

	for _, args := range [][]string{{"plan", "--phase", "pre-deploy"}, {"migrate", "--phase", "pre-deploy"}, {"status"}} {
		r = runDB(t, app, dir, args...)
		assert.Equal(t, 2, r.code, "%v: %s", args, r.stderr)
		assert.Contains(t, r.stderr, "permission denied", args)
		assert.Contains(t, r.stderr, "docs/security.md", args)
		assert.NotContains(t, r.stderr, "app-pw")
	}
}
