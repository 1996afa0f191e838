package safemigrate_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate"
	"github.com/safemigrate/safemigrate/internal/pgtest"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestMain(m *testing.M) {
	code := pgtest.Main(m)
	cleanupExamples()
	os.Exit(code)
}

// example is the repository's example directory.
const example = "migrations_example"

// clock is the fixed time of every test.
var clock = func() time.Time { return time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC) }

// blockedState leaves the root chain's contract steps pending.
var blockedState = []string{"0001_create_accounts", "0002_create_users", "0003_add_users_display_name", "0004_backfill_users_display_name", "0005_index_users_email", "billing/0001_create_plans", "billing/0002_create_invoices", "billing/0003_seed_plans"}

// small is a tiny directory: an expand, a backfill and a contract.
var small = fstest.MapFS{
	"0001_accounts.sql":       {Data: []byte("-- safe: before_deploy\nCREATE TABLE accounts (id int PRIMARY KEY, name text, legacy text);\n")},
	"0002_accounts_email.sql": {Data: []byte("-- safe: before_deploy\nALTER TABLE accounts ADD COLUMN email text;\n")},
	"0003_drop_legacy.sql":    {Data: []byte("-- safe: after_deploy\nALTER TABLE accounts DROP COLUMN legacy;\n")},
}

func newExample(t *testing.T, opts ...safemigrate.Option) *safemigrate.Provider {
	t.Helper()
	p, err := safemigrate.New(os.DirFS(example), append([]safemigrate.Option{safemigrate.WithRoot(example), safemigrate.WithClock(clock)}, opts...)...)
	require.NoError(t, err)
	return p
}

// volatile are the parts of a report that differ from run to run.
var volatile = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`"duration_ms": \d+`), `"duration_ms": 0`},
	{regexp.MustCompile(`"(applied_at|detected_at)": "[^"]+"`), `"$1": "TIME"`},
}

// golden compares v's JSON with testdata/golden/name, or rewrites it with
// -update.
func golden(t *testing.T, name string, v any) {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	require.NoError(t, enc.Encode(v))
	got := b.String()
	for _, r := range volatile {
		got = r.re.ReplaceAllString(got, r.with)
	}
	path := filepath.Join("testdata", "golden", name)
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file; run go test . -update")
	assert.Equal(t, string(want), got, "JSON differs from %s; run with -update if the change is intended", path)
}

func TestOfflineReports(t *testing.T) {
	ctx := context.Background()
	p := newExample(t)

	plan, err := p.Plan(ctx, safemigrate.PlanOptions{Phase: safemigrate.PreDeploy, Offline: true})
	require.NoError(t, err)
	assert.False(t, plan.OK, "the example blocks in strict pre-deploy")
	golden(t, "plan_offline.json", plan)
	// The CLI's plan golden is the same document.
	cli, err := os.ReadFile("internal/cli/testdata/golden/plan_pre_offline.json")
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, json.NewEncoder(&b).Encode(plan))
	assert.JSONEq(t, string(cli), b.String())

	plan, err = p.Plan(ctx, safemigrate.PlanOptions{Phase: safemigrate.PostDeploy, Applied: blockedState})
	require.NoError(t, err)
	golden(t, "plan_post_applied.json", plan)

	g, err := p.Graph(ctx, safemigrate.GraphOptions{Applied: blockedState})
	require.NoError(t, err)
	golden(t, "graph_applied.json", g)

	s, err := p.Suggest(ctx, safemigrate.SuggestOptions{})
	require.NoError(t, err)
	golden(t, "suggest.json", s)

	l, err := p.Lint(ctx, safemigrate.LintOptions{})
	require.NoError(t, err)
	golden(t, "lint.json", l)
}

func TestCreate(t *testing.T) {
	dir := t.TempDir()
	p, err := safemigrate.New(os.DirFS(dir), safemigrate.WithRoot(dir), safemigrate.WithClock(clock))
	require.NoError(t, err)
	rep, err := p.Create(safemigrate.CreateOptions{Name: "Add e-mail", Safe: safemigrate.BeforeDeploy, Depends: []string{" x", ""}})
	require.Error(t, err, "a depends reference to nothing is refused")
	assert.ErrorIs(t, err, safemigrate.ErrInput)
	assert.Nil(t, rep)
	rep, err = p.Create(safemigrate.CreateOptions{Name: "Add e-mail", Safe: safemigrate.AfterDeploy, Delay: "7d"})
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "0001_add_e_mail.sql"), rep.Path)
	data, err := os.ReadFile(rep.Path)
	require.NoError(t, err)
	assert.Equal(t, "-- safe: after_deploy\n-- delay: 7d\n\n", string(data))
	rep.Path = filepath.Base(rep.Path)
	golden(t, "create.json", rep)
}

func TestDatabaseReports(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	p, err := safemigrate.New(small, safemigrate.WithDatabaseURL(url), safemigrate.WithClock(clock))
	require.NoError(t, err)

	pf, err := p.Preflight(ctx, safemigrate.PreflightOptions{})
	require.NoError(t, err)
	golden(t, "preflight.json", pf)

	run, err := p.Migrate(ctx, safemigrate.MigrateOptions{Phase: safemigrate.PreDeploy})
	require.NoError(t, err)
	assert.Equal(t, []string{"0001_accounts", "0002_accounts_email"}, run.Applied)
	golden(t, "migrate_pre.json", run)

	st, err := p.Status(ctx, safemigrate.StatusOptions{})
	require.NoError(t, err)
	assert.False(t, st.OK, "0003 is pending")
	golden(t, "status.json", st)

	other := pgtest.NewDatabase(t)
	b, err := safemigrate.New(small, safemigrate.WithDatabaseURL(other), safemigrate.WithClock(clock))
	require.NoError(t, err)
	base, err := b.Baseline(ctx, "0002_accounts_email")
	require.NoError(t, err)
	golden(t, "baseline.json", base)
	_, err = b.Baseline(ctx, "0042_nope")
	assert.ErrorIs(t, err, safemigrate.ErrNotFound)
	assert.ErrorIs(t, err, safemigrate.ErrInput)
}

func TestFleetReports(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	conn := pgtest.Connect(t, url)
	_, err := conn.Exec(ctx, `CREATE SCHEMA acme; CREATE SCHEMA globex`)
	require.NoError(t, err)
	p, err := safemigrate.New(small, safemigrate.WithDatabaseURL(url), safemigrate.WithClock(clock),
		safemigrate.WithTenants(safemigrate.Tenants{Schemas: []string{"acme", "globex"}, Jobs: 1}))
	require.NoError(t, err)

	plan, err := p.Plan(ctx, safemigrate.PlanOptions{Phase: safemigrate.PreDeploy})
	require.NoError(t, err)
	golden(t, "fleet_plan.json", plan)

	run, err := p.Migrate(ctx, safemigrate.MigrateOptions{Phase: safemigrate.PreDeploy})
	require.NoError(t, err)
	golden(t, "fleet_migrate.json", run)

	st, err := p.Status(ctx, safemigrate.StatusOptions{})
	require.NoError(t, err)
	golden(t, "fleet_status.json", st)

	_, err = p.Baseline(ctx, "0001_accounts")
	assert.ErrorIs(t, err, safemigrate.ErrTenants, "a single-schema call refuses a fleet")
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	t.Run("every bad file at once", func(t *testing.T) {
		p, err := safemigrate.New(os.DirFS("internal/cli/testdata/bad"), safemigrate.WithRoot("bad"))
		require.NoError(t, err, "New reads nothing")
		_, err = p.Plan(ctx, safemigrate.PlanOptions{Phase: safemigrate.PreDeploy, Offline: true})
		var ie *safemigrate.InputError
		require.ErrorAs(t, err, &ie)
		assert.Contains(t, err.Error(), "bad/0001_a.sql:1: unknown safe value")
		assert.Contains(t, err.Error(), "6 problems in bad")
	})
	t.Run("options", func(t *testing.T) {
		for _, opt := range []safemigrate.Option{
			safemigrate.WithMode("lax"), safemigrate.WithDefaultSafe("sometimes"), safemigrate.WithLockRetries(-1),
			safemigrate.WithPGVersion(3), safemigrate.WithTenants(safemigrate.Tenants{}),
		} {
			_, err := safemigrate.New(small, opt)
			assert.ErrorIs(t, err, safemigrate.ErrInput)
		}
	})
	t.Run("plan options", func(t *testing.T) {
		p, err := safemigrate.New(small)
		require.NoError(t, err)
		_, err = p.Plan(ctx, safemigrate.PlanOptions{Phase: "deploy", Offline: true})
		assert.ErrorIs(t, err, safemigrate.ErrInput)
		_, err = p.Plan(ctx, safemigrate.PlanOptions{Phase: safemigrate.PreDeploy, Applied: []string{"0042_nope"}})
		assert.ErrorIs(t, err, safemigrate.ErrInput)
		_, err = p.Plan(ctx, safemigrate.PlanOptions{Phase: safemigrate.PreDeploy, Applied: []string{"0001_accounts"}, Initial: true})
		assert.ErrorIs(t, err, safemigrate.ErrInitialNotEmpty)
	})
	t.Run("connection string", func(t *testing.T) {
		p, err := safemigrate.New(small, safemigrate.WithDatabaseURL("postgres://u:s3cret@host:notaport/db"))
		require.NoError(t, err)
		_, err = p.Status(ctx, safemigrate.StatusOptions{})
		assert.ErrorIs(t, err, safemigrate.ErrDatabaseURL)
		assert.NotContains(t, err.Error(), "s3cret")
	})
	t.Run("blocked, drift", func(t *testing.T) {
		url := pgtest.NewDatabase(t)
		p, err := safemigrate.New(small, safemigrate.WithDatabaseURL(url))
		require.NoError(t, err)
		_, err = p.Migrate(ctx, safemigrate.MigrateOptions{Phase: safemigrate.PostDeploy})
		require.NoError(t, err)
		changed := fstest.MapFS{}
		for k, v := range small {
			changed[k] = v
		}
		changed["0001_accounts.sql"] = &fstest.MapFile{Data: []byte("-- safe: before_deploy\nCREATE TABLE accounts (id bigint PRIMARY KEY);\n")}
		p, err = safemigrate.New(changed, safemigrate.WithDatabaseURL(url))
		require.NoError(t, err)
		_, err = p.Plan(ctx, safemigrate.PlanOptions{Phase: safemigrate.PreDeploy})
		assert.ErrorIs(t, err, safemigrate.ErrDrift)
		rep, err := p.Migrate(ctx, safemigrate.MigrateOptions{Phase: safemigrate.PreDeploy})
		assert.ErrorIs(t, err, safemigrate.ErrDrift)
		require.NotNil(t, rep, "the report comes with the error")
		assert.False(t, rep.OK)
	})
}

func TestWithConnConfig(t *testing.T) {
	ctx := context.Background()
	cfg, err := pgx.ParseConfig(pgtest.NewDatabase(t))
	require.NoError(t, err)
	p, err := safemigrate.New(small, safemigrate.WithConnConfig(cfg))
	require.NoError(t, err)
	_, err = p.Migrate(ctx, safemigrate.MigrateOptions{Phase: safemigrate.PostDeploy})
	require.NoError(t, err)
	st, err := p.Status(ctx, safemigrate.StatusOptions{})
	require.NoError(t, err)
	assert.True(t, st.OK, "everything applied through the pgx configuration")
	_, err = safemigrate.New(small, safemigrate.WithConnConfig(nil))
	assert.Error(t, err)
}
