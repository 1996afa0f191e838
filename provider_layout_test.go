package safemigrate_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate"
	"github.com/safemigrate/safemigrate/internal/pgtest"
)

// layoutFixtures are histories in other tools' layouts whose down parts
// record themselves in the audit table and drop what their up part made.
var layoutFixtures = []safemigrate.Layout{safemigrate.LayoutGoose, safemigrate.LayoutGolangMigrate, safemigrate.LayoutDbmate, safemigrate.LayoutFlyway}

// copyDir copies a fixture directory to a fresh temporary one.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	require.NoError(t, filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	}))
	return dst
}

// isDownFile says whether a fixture file is all down part.
func isDownFile(p string) bool {
	return strings.HasSuffix(p, ".down.sql") || strings.HasPrefix(filepath.Base(p), "U")
}

// downStart is the line where a file's down section starts (0: none).
func downStart(t *testing.T, p string) int {
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	for i, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "-- +goose Down") || strings.HasPrefix(line, "-- migrate:down") {
			return i + 1
		}
	}
	return 0
}

// TestLayoutsMigrateUpPartsOnly: in every layout, migrate applies every
// up part and nothing of a down part runs; lint finds nothing in a down
// part; editing a down part afterwards is not drift.
func TestLayoutsMigrateUpPartsOnly(t *testing.T) {
	ctx := context.Background()
	for i, layout := range layoutFixtures {
		t.Run(string(layout), func(t *testing.T) {
			dir := copyDir(t, filepath.Join("migration", "testdata", "layouts", string(layout)))
			url := pgtest.NewDatabase(t)
			opts := []safemigrate.Option{safemigrate.WithRoot(dir), safemigrate.WithDatabaseURL(url), safemigrate.WithClock(clock)}
			if i%2 == 0 {
				opts = append(opts, safemigrate.WithLayout(layout))
			} // else detected
			p, err := safemigrate.New(os.DirFS(dir), opts...)
			require.NoError(t, err)

			rep, err := p.Migrate(ctx, safemigrate.MigrateOptions{Phase: safemigrate.PostDeploy})
			require.NoError(t, err)
			require.True(t, rep.OK)
			want := 4
			if layout == safemigrate.LayoutFlyway {
				want = 5 // 1, 1.1, 1.2, 1.10, billing/1
			}
			assert.Len(t, rep.Applied, want, "%v", rep.Applied)

			conn := pgtest.Connect(t, url)
			var audit int
			require.NoError(t, conn.QueryRow(ctx, "SELECT count(*) FROM audit").Scan(&audit), "the audit table exists: no down part dropped it")
			assert.Zero(t, audit, "no down part ran")
			var users, invoices, index bool
			require.NoError(t, conn.QueryRow(ctx, `SELECT to_regclass('users') IS NOT NULL, to_regclass('invoices') IS NOT NULL,
				EXISTS (SELECT FROM pg_indexes WHERE tablename = 'users' AND indexname IN ('users_email', 'users_name'))`).Scan(&users, &invoices, &index))
			assert.True(t, users)
			assert.True(t, invoices)
			assert.True(t, index, "the non-transactional index of the last root migration")

			lr, err := p.Lint(ctx, safemigrate.LintOptions{})
			require.NoError(t, err)
			for _, d := range lr.Diagnostics {
				assert.False(t, isDownFile(d.File), "lint reported a down file: %s", d)
				if n := downStart(t, d.File); n > 0 {
					assert.Less(t, d.Line, n, "lint reported a down part: %s", d)
				}
			}

			// Editing the down parts is not drift.
			require.NoError(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				data, err := os.ReadFile(path)
				if err != nil {
					return err
				}
				switch {
				case isDownFile(path):
					data = append(data, "-- reviewed\nDROP TABLE audit;\n"...)
				case downStart(t, path) > 0:
					data = append(data, "-- reviewed\nDROP TABLE audit;\n"...)
				default:
					return nil
				}
				return os.WriteFile(path, data, 0o644)
			}))
			p, err = safemigrate.New(os.DirFS(dir), opts...)
			require.NoError(t, err)
			rep, err = p.Migrate(ctx, safemigrate.MigrateOptions{Phase: safemigrate.PostDeploy})
			require.NoError(t, err, "editing a down part is not drift")
			assert.True(t, rep.OK)
			assert.Empty(t, rep.Applied)
			require.NoError(t, conn.QueryRow(ctx, "SELECT count(*) FROM audit").Scan(&audit))
			assert.Zero(t, audit)
		})
	}
}

// TestLayoutErrorLinesAreFileLines: an error in a goose up part points
// at the file's line, through the executor.
func TestLayoutErrorLinesAreFileLines(t *testing.T) {
	ctx := context.Background()
	fsys := fstest.MapFS{
		"20230101120000_a.sql": {Data: []byte("-- safe: before_deploy\n-- +goose Up\nCREATE TABLE a (id int);\n\nCREATE TABLE b (id int,);\n-- +goose Down\nDROP TABLE a;\n")},
		"20230102120000_b.sql": {Data: []byte("-- +goose Up\n-- safe: before_deploy\n\n\nSELECT 1/0;\n-- +goose Down\nSELECT 1;\n")},
	}
	url := pgtest.NewDatabase(t)
	p, err := safemigrate.New(fsys, safemigrate.WithRoot("db"), safemigrate.WithDatabaseURL(url), safemigrate.WithClock(clock))
	require.NoError(t, err)
	_, err = p.Migrate(ctx, safemigrate.MigrateOptions{Phase: safemigrate.PreDeploy})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "db/20230101120000_a.sql:5")
	lr, err := p.Lint(ctx, safemigrate.LintOptions{})
	require.NoError(t, err)
	found := false
	for _, d := range lr.Diagnostics {
		if d.Rule == "syntax-error" {
			found = true
			assert.Equal(t, "db/20230101120000_a.sql", d.File)
			assert.Equal(t, 5, d.Line, "%s", d)
		}
	}
	assert.True(t, found, "lint reports the syntax error")

	delete(fsys, "20230101120000_a.sql")
	p, err = safemigrate.New(fsys, safemigrate.WithRoot("db"), safemigrate.WithDatabaseURL(url), safemigrate.WithClock(clock))
	require.NoError(t, err)
	for _, noPreflight := range []bool{false, true} { // rehearsal and apply
		_, err = p.Migrate(ctx, safemigrate.MigrateOptions{Phase: safemigrate.PreDeploy, NoPreflight: noPreflight})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "db/20230102120000_b.sql:5", "no preflight: %v", noPreflight)
	}
}

// TestCreateInLayout: new writes files the way the directory's tool
// does, and the loader reads them back.
func TestCreateInLayout(t *testing.T) {
	tests := []struct {
		layout  safemigrate.Layout
		files   []string
		content string // of the first file
		id      string
	}{
		{safemigrate.LayoutGoose, []string{"20230103120001_add_phone.sql"}, "-- safe: before_deploy\n-- +goose NO TRANSACTION\n-- +goose Up\n\n\n-- +goose Down\n\n", "20230103120001_add_phone"},
		{safemigrate.LayoutGolangMigrate, []string{"000004_add_phone.up.sql", "000004_add_phone.down.sql"}, "-- safe: before_deploy\n-- transaction: false\n\n", "000004_add_phone"},
		{safemigrate.LayoutDbmate, []string{"20230103120001_add_phone.sql"}, "-- safe: before_deploy\n-- migrate:up transaction:false\n\n\n-- migrate:down\n\n", "20230103120001_add_phone"},
		{safemigrate.LayoutFlyway, []string{"V1.11__add_phone.sql"}, "-- safe: before_deploy\n-- transaction: false\n\n", "1.11__add_phone"},
	}
	for _, tt := range tests {
		t.Run(string(tt.layout), func(t *testing.T) {
			dir := copyDir(t, filepath.Join("migration", "testdata", "layouts", string(tt.layout)))
			p, err := safemigrate.New(os.DirFS(dir), safemigrate.WithRoot(dir), safemigrate.WithClock(clock))
			require.NoError(t, err)
			rep, err := p.Create(safemigrate.CreateOptions{Name: "add phone", Safe: safemigrate.BeforeDeploy, NoTransaction: true})
			require.NoError(t, err)
			assert.Equal(t, filepath.Join(dir, tt.files[0]), rep.Path)
			for _, f := range tt.files {
				assert.FileExists(t, filepath.Join(dir, f))
			}
			data, err := os.ReadFile(rep.Path)
			require.NoError(t, err)
			assert.Equal(t, tt.content, string(data))

			p, err = safemigrate.New(os.DirFS(dir), safemigrate.WithRoot(dir), safemigrate.WithClock(clock))
			require.NoError(t, err)
			plan, err := p.Plan(context.Background(), safemigrate.PlanOptions{Phase: safemigrate.PostDeploy, Offline: true})
			require.NoError(t, err)
			found := false
			for _, s := range plan.Run {
				found = found || s.ID == tt.id
			}
			assert.True(t, found, "the new migration %s loads", tt.id)
		})
	}
	t.Run("empty directory with a layout", func(t *testing.T) {
		dir := t.TempDir()
		p, err := safemigrate.New(os.DirFS(dir), safemigrate.WithRoot(dir), safemigrate.WithLayout(safemigrate.LayoutGolangMigrate), safemigrate.WithClock(clock))
		require.NoError(t, err)
		rep, err := p.Create(safemigrate.CreateOptions{Name: "init", Safe: safemigrate.Always})
		require.NoError(t, err)
		assert.Equal(t, filepath.Join(dir, "000001_init.up.sql"), rep.Path)
		assert.FileExists(t, filepath.Join(dir, "000001_init.down.sql"))
	})
	t.Run("contradicting layouts", func(t *testing.T) {
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, "1_a.up.sql"), nil, 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "V2__b.sql"), nil, 0o644))
		p, err := safemigrate.New(os.DirFS(dir), safemigrate.WithRoot(dir))
		require.NoError(t, err)
		_, err = p.Create(safemigrate.CreateOptions{Name: "c", Safe: safemigrate.Always})
		require.ErrorIs(t, err, safemigrate.ErrInput)
		assert.Contains(t, err.Error(), "files of more than one tool's layout (flyway: V2__b.sql; golang-migrate: 1_a.up.sql)")
	})
}

// TestSuggestWriteInLayout: annotate --write puts the header into the
// file that holds the up part and leaves the down part as it was; the
// suggestion comes from the up part alone.
func TestSuggestWriteInLayout(t *testing.T) {
	dir := t.TempDir()
	goose := "-- +goose Up\nALTER TABLE users ADD COLUMN phone text;\n-- +goose Down\nALTER TABLE users DROP COLUMN phone;\n"
	up := "ALTER TABLE users ADD COLUMN phone text;\n"
	down := "ALTER TABLE users DROP COLUMN phone;\n"
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "g"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "m"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "g", "1_phone.sql"), []byte(goose), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "m", "1_phone.up.sql"), []byte(up), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "m", "1_phone.down.sql"), []byte(down), 0o644))
	for _, sub := range []string{"g", "m"} {
		root := filepath.Join(dir, sub)
		p, err := safemigrate.New(os.DirFS(root), safemigrate.WithRoot(root))
		require.NoError(t, err)
		rep, err := p.Suggest(context.Background(), safemigrate.SuggestOptions{Write: true})
		require.NoError(t, err)
		require.Len(t, rep.Migrations, 1)
		s := rep.Migrations[0]
		assert.Equal(t, "1_phone", s.ID)
		assert.Equal(t, "before_deploy", *s.Suggested, "adding a nullable column; the down part's DROP COLUMN does not count")
		assert.True(t, s.Written)
	}
	data, err := os.ReadFile(filepath.Join(dir, "g", "1_phone.sql"))
	require.NoError(t, err)
	assert.Equal(t, "-- safe: before_deploy\n"+goose, string(data))
	data, err = os.ReadFile(filepath.Join(dir, "m", "1_phone.up.sql"))
	require.NoError(t, err)
	assert.Equal(t, "-- safe: before_deploy\n"+up, string(data))
	data, err = os.ReadFile(filepath.Join(dir, "m", "1_phone.down.sql"))
	require.NoError(t, err)
	assert.Equal(t, down, string(data))
}
