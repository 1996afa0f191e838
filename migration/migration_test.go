package migration_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/safemigrate/safemigrate/migration"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// file makes a MapFS entry.
func file(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }

func ids(ms []*migration.Migration) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.ID)
	}
	return out
}

func TestLoadChainsFromTestdata(t *testing.T) {
	ms, err := migration.Load(os.DirFS("testdata/chains"), migration.Options{})
	require.NoError(t, err)

	// Root chain first, then chains by name; versions numerically; .hidden,
	// docs/, fixtures/ and non-.sql files are ignored.
	assert.Equal(t, []string{
		"0001_init",
		"0002_add_email",
		"0010_drop_legacy",
		"auth/20251231235959_sessions",
		"auth/20260101120000_sessions_index",
		"billing/0001_accounts",
		"billing/0002_invoices",
	}, ids(ms))

	byID := map[string]*migration.Migration{}
	for _, m := range ms {
		byID[m.ID] = m
		src, err := os.ReadFile(filepath.Join("testdata/chains", filepath.FromSlash(m.Path)))
		require.NoError(t, err)
		assert.Equal(t, src, m.SQL, m.ID)
		sum := sha256.Sum256(src)
		assert.Equal(t, hex.EncodeToString(sum[:]), m.Checksum, m.ID)
	}

	init := byID["0001_init"]
	assert.Equal(t, "", init.Chain)
	assert.Equal(t, "0001", init.Version)
	assert.Equal(t, "init", init.Name)
	assert.Equal(t, "0001_init.sql", init.Path)
	assert.Equal(t, "cdf90bad900798b1761737b392d0b61de951efd3743b930ce54f0449ae9802ae", init.Checksum)
	assert.Equal(t, migration.BeforeDeploy, init.Safe())
	assert.True(t, init.DeclaredSafe)

	inv := byID["billing/0002_invoices"]
	assert.Equal(t, "billing", inv.Chain)
	assert.Equal(t, "0002", inv.Version)
	assert.Equal(t, "invoices", inv.Name)
	assert.Equal(t, "billing/0002_invoices.sql", inv.Path)
	assert.Equal(t, []string{"billing/0001_accounts"}, inv.Directives.Depends)
	assert.Equal(t, 2, inv.Directives.Lines[migration.KeyDepends])

	legacy := byID["0010_drop_legacy"]
	assert.Equal(t, migration.AfterDeploy, legacy.Safe())
	assert.Equal(t, 7*24*time.Hour, legacy.Directives.Delay)

	idx := byID["auth/20260101120000_sessions_index"]
	assert.False(t, idx.Directives.Transaction)
	assert.Equal(t, "20260101120000", idx.Version)

	// No safe directive: the default (after_deploy), not declared.
	sess := byID["auth/20251231235959_sessions"]
	assert.Equal(t, migration.AfterDeploy, sess.Safe())
	assert.False(t, sess.DeclaredSafe)
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name string
		fsys fstest.MapFS
		opts migration.Options
		want []string
	}{
		{
			name: "empty directory",
			fsys: fstest.MapFS{},
			want: nil,
		},
		{
			name: "versions compare as numbers",
			fsys: fstest.MapFS{
				"10_ten.sql":      file(""),
				"9_nine.sql":      file(""),
				"100_hundred.sql": file(""),
				"0011_eleven.sql": file(""),
				"0_zero.sql":      file(""),
			},
			want: []string{"0_zero", "9_nine", "10_ten", "0011_eleven", "100_hundred"},
		},
		{
			name: "versions longer than 64 bits compare as numbers",
			fsys: fstest.MapFS{
				"99999999999999999999_b.sql":  file(""),
				"100000000000000000000_c.sql": file(""),
				"20260101120000_a.sql":        file(""),
			},
			want: []string{"20260101120000_a", "99999999999999999999_b", "100000000000000000000_c"},
		},
		{
			name: "chains sort after root, by name",
			fsys: fstest.MapFS{
				"zeta/0001_z.sql":  file(""),
				"alpha/0002_b.sql": file(""),
				"alpha/0001_a.sql": file(""),
				"0002_root.sql":    file(""),
			},
			want: []string{"0002_root", "alpha/0001_a", "alpha/0002_b", "zeta/0001_z"},
		},
		{
			name: "non-sql files are ignored everywhere",
			fsys: fstest.MapFS{
				"0001_a.sql":            file(""),
				"0001_a.sql.bak":        file(""),
				"README.md":             file(""),
				"0002_b.SQL":            file(""),
				"billing/0001_x.sql":    file(""),
				"billing/0001_x.down":   file(""),
				"billing/fixtures/a.md": file(""),
			},
			want: []string{"0001_a", "billing/0001_x"},
		},
		{
			name: "hidden directories are skipped",
			fsys: fstest.MapFS{
				"0001_a.sql":            file(""),
				".git/0001_x.sql":       file(""),
				".idea/nested/1_no.sql": file(""),
			},
			want: []string{"0001_a"},
		},
		{
			name: "name may contain digits, dots and underscores",
			fsys: fstest.MapFS{
				"0001_add_v2.0_index.sql": file(""),
			},
			want: []string{"0001_add_v2.0_index"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms, err := migration.Load(tt.fsys, tt.opts)
			require.NoError(t, err)
			assert.Equal(t, tt.want, ids(ms))
		})
	}
}

func TestLoadDefaultSafe(t *testing.T) {
	fsys := fstest.MapFS{
		"0001_declared.sql":   file("-- safe: always\nSELECT 1;\n"),
		"0002_undeclared.sql": file("-- just a comment\nSELECT 1;\n"),
		"0003_empty.sql":      file(""),
	}
	tests := []struct {
		name string
		opts migration.Options
		want migration.Safe
	}{
		{"zero default is after_deploy", migration.Options{}, migration.AfterDeploy},
		{"custom before_deploy", migration.Options{DefaultSafe: migration.BeforeDeploy}, migration.BeforeDeploy},
		{"custom always", migration.Options{DefaultSafe: migration.Always}, migration.Always},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms, err := migration.Load(fsys, tt.opts)
			require.NoError(t, err)
			require.Len(t, ms, 3)
			assert.Equal(t, migration.Always, ms[0].Safe())
			assert.True(t, ms[0].DeclaredSafe)
			for _, m := range ms[1:] {
				assert.Equal(t, tt.want, m.Safe(), m.ID)
				assert.False(t, m.DeclaredSafe, m.ID)
				assert.False(t, m.Directives.Has(migration.KeySafe), m.ID)
			}
		})
	}
}

func TestLoadChecksum(t *testing.T) {
	tests := []struct {
		name string
		data string
		want string
	}{
		{"empty", "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"abc", "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms, err := migration.Load(fstest.MapFS{"1_x.sql": file(tt.data)}, migration.Options{})
			require.NoError(t, err)
			require.Len(t, ms, 1)
			assert.Equal(t, tt.want, ms[0].Checksum)
		})
	}

	t.Run("one byte changes the checksum", func(t *testing.T) {
		a, err := migration.Load(fstest.MapFS{"1_x.sql": file("SELECT 1;\n")}, migration.Options{})
		require.NoError(t, err)
		b, err := migration.Load(fstest.MapFS{"1_x.sql": file("SELECT 1; \n")}, migration.Options{})
		require.NoError(t, err)
		assert.NotEqual(t, a[0].Checksum, b[0].Checksum)
	})
}

// wantErr is one expected problem: the file, the line (0 for a problem with
// the file as a whole) and substrings of the message.
type wantErr struct {
	file string
	line int
	msg  []string
}

func checkLoadError(t *testing.T, err error, want []wantErr) {
	t.Helper()
	require.Error(t, err)
	var le *migration.LoadError
	require.ErrorAs(t, err, &le)
	require.Len(t, le.Errors, len(want), "errors:\n%v", err)
	lines := strings.Split(err.Error(), "\n")
	require.Len(t, lines, len(want), "one line per problem")
	for i, w := range want {
		fe := le.Errors[i]
		assert.Equal(t, w.file, fe.File, "error %d: %v", i, fe)
		assert.Equal(t, w.line, fe.Line, "error %d: %v", i, fe)
		prefix := w.file + ": "
		if w.line > 0 {
			prefix = w.file + ":" + strconv.Itoa(w.line) + ": "
		}
		assert.True(t, strings.HasPrefix(fe.Error(), prefix), "%q should start with %q", fe.Error(), prefix)
		assert.Equal(t, fe.Error(), lines[i])
		for _, s := range w.msg {
			assert.Contains(t, fe.Message, s, "error %d", i)
		}
		// Each problem is reachable through errors.As on the joined error.
		var target *migration.FileError
		require.ErrorAs(t, err, &target)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		fsys fstest.MapFS
		want []wantErr
	}{
		{
			name: "file without version prefix",
			fsys: fstest.MapFS{"create_users.sql": file("SELECT 1;")},
			want: []wantErr{{"create_users.sql", 0, []string{"no version prefix", "<version>_<name>.sql"}}},
		},
		{
			name: "version without name",
			fsys: fstest.MapFS{"0001.sql": file("")},
			want: []wantErr{{"0001.sql", 0, []string{"no version prefix"}}},
		},
		{
			name: "version with empty name",
			fsys: fstest.MapFS{"billing/0001_.sql": file("")},
			want: []wantErr{{"billing/0001_.sql", 0, []string{"no version prefix"}}},
		},
		{
			name: "dash instead of underscore",
			fsys: fstest.MapFS{"0001-init.sql": file("")},
			want: []wantErr{{"0001-init.sql", 0, []string{"no version prefix"}}},
		},
		{
			name: "version must be ASCII digits",
			fsys: fstest.MapFS{"v1_init.sql": file("")},
			want: []wantErr{{"v1_init.sql", 0, []string{"no version prefix"}}},
		},
		{
			name: "nested directory",
			fsys: fstest.MapFS{
				"billing/0001_a.sql":          file(""),
				"billing/archive/0001_a.sql":  file(""),
				"billing/archive/notes/x.txt": file(""),
			},
			want: []wantErr{{"billing/archive", 0, []string{"nested directories are not allowed", "billing/"}}},
		},
		{
			name: "deeply nested sql",
			fsys: fstest.MapFS{
				"billing/a/b/c/0001_a.sql": file(""),
			},
			want: []wantErr{{"billing/a", 0, []string{"nested directories are not allowed"}}},
		},
		{
			name: "duplicate version same spelling",
			fsys: fstest.MapFS{
				"0002_a.sql": file(""),
				"0002_b.sql": file(""),
			},
			want: []wantErr{{"0002_b.sql", 0, []string{"duplicate version 0002", "0002_a.sql"}}},
		},
		{
			name: "duplicate version 0002 and 2",
			fsys: fstest.MapFS{
				"billing/0002_invoices.sql": file(""),
				"billing/2_payments.sql":    file(""),
			},
			want: []wantErr{{"billing/2_payments.sql", 0, []string{"duplicate version 2", "billing", "billing/0002_invoices.sql"}}},
		},
		{
			name: "three equal versions",
			fsys: fstest.MapFS{
				"1_a.sql":   file(""),
				"01_b.sql":  file(""),
				"001_c.sql": file(""),
			},
			want: []wantErr{
				{"001_c.sql", 0, []string{"duplicate version"}},
				{"01_b.sql", 0, []string{"duplicate version"}},
			},
		},
		{
			name: "same version in different chains is fine but other errors remain",
			fsys: fstest.MapFS{
				"0001_a.sql":      file(""),
				"x/0001_a.sql":    file(""),
				"y/0001_a.sql":    file("-- safe: nope\n"),
				"y/0002_b.sql.gz": file(""),
			},
			want: []wantErr{{"y/0001_a.sql", 1, []string{"unknown safe value"}}},
		},
		{
			name: "unknown safe value",
			fsys: fstest.MapFS{"0001_a.sql": file("-- comment\n-- safe: befor_deploy\nSELECT 1;\n")},
			want: []wantErr{{"0001_a.sql", 2, []string{"did you mean before_deploy?"}}},
		},
		{
			name: "near-miss key saftey",
			fsys: fstest.MapFS{"auth/0001_a.sql": file("-- saftey: always\n")},
			want: []wantErr{{"auth/0001_a.sql", 1, []string{"unknown directive", "did you mean safe?"}}},
		},
		{
			name: "near-miss key depend",
			fsys: fstest.MapFS{"0001_a.sql": file("-- safe: always\n\n-- depend: 0000_x\n")},
			want: []wantErr{{"0001_a.sql", 3, []string{"unknown directive", "did you mean depends?"}}},
		},
		{
			name: "duplicate directive",
			fsys: fstest.MapFS{"0001_a.sql": file("-- safe: always\n-- transaction: false\n-- safe: before_deploy\n")},
			want: []wantErr{{"0001_a.sql", 3, []string{"duplicate directive safe"}}},
		},
		{
			name: "delay without after_deploy",
			fsys: fstest.MapFS{"0001_a.sql": file("-- safe: before_deploy\n-- delay: 7d\n")},
			want: []wantErr{{"0001_a.sql", 2, []string{"delay needs safe: after_deploy"}}},
		},
		{
			name: "delay without any safe directive",
			fsys: fstest.MapFS{"0001_a.sql": file("-- delay: 7d\n")},
			want: []wantErr{{"0001_a.sql", 1, []string{"delay needs safe: after_deploy"}}},
		},
		{
			name: "malformed duration",
			fsys: fstest.MapFS{"0001_a.sql": file("-- safe: after_deploy\n-- delay: 1 week\n-- lock_timeout: 5\n")},
			want: []wantErr{
				{"0001_a.sql", 2, []string{"delay", "malformed duration"}},
				{"0001_a.sql", 3, []string{"lock_timeout", "malformed duration"}},
			},
		},
		{
			name: "problems in several files are all reported in file and line order",
			fsys: fstest.MapFS{
				"0001_ok.sql":        file("-- safe: always\n"),
				"0002_b.sql":         file("-- safe: befor_deploy\n-- transaction: maybe\n"),
				"nover.sql":          file(""),
				"billing/0001_a.sql": file("-- depend: 1\n"),
				"billing/1_b.sql":    file(""),
			},
			want: []wantErr{
				{"0002_b.sql", 1, []string{"did you mean before_deploy?"}},
				{"0002_b.sql", 2, []string{"transaction must be true or false"}},
				{"billing/0001_a.sql", 1, []string{"did you mean depends?"}},
				{"nover.sql", 0, []string{"no version prefix"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms, err := migration.Load(tt.fsys, migration.Options{})
			assert.Nil(t, ms, "no partial set")
			checkLoadError(t, err, tt.want)
		})
	}
}

// TestLoadBrokenTestdata loads a directory with several problems in several
// files: loading fails as a whole and every problem is listed, each with its
// file and line. The full message is compared with testdata/broken.golden
// (go test -update rewrites it).
func TestLoadBrokenTestdata(t *testing.T) {
	ms, err := migration.Load(os.DirFS("testdata/broken"), migration.Options{})
	assert.Nil(t, ms)
	checkLoadError(t, err, []wantErr{
		{"0002_bad_values.sql", 1, []string{"did you mean before_deploy?"}},
		{"0002_bad_values.sql", 3, []string{"transaction must be true or false"}},
		{"auth/0001_x.sql", 2, []string{"unknown directive", "did you mean safe?"}},
		{"auth/0001_x.sql", 4, []string{"delay needs safe: after_deploy"}},
		{"auth/0001_x.sql", 5, []string{"lock_timeout", "malformed duration"}},
		{"billing/01_b.sql", 0, []string{"duplicate version 01", "billing/0001_a.sql"}},
		{"billing/deep", 0, []string{"nested directories are not allowed"}},
		{"create_users.sql", 0, []string{"no version prefix"}},
	})

	golden := filepath.Join("testdata", "broken.golden")
	got := err.Error() + "\n"
	if *update {
		require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
	}
	want, rerr := os.ReadFile(golden)
	require.NoError(t, rerr, "run go test -update to create %s", golden)
	assert.Equal(t, string(want), got)
}

func TestLoadUnreadableRoot(t *testing.T) {
	_, err := migration.Load(os.DirFS(filepath.Join(t.TempDir(), "missing")), migration.Options{})
	require.Error(t, err)
	assert.ErrorIs(t, err, fs.ErrNotExist)
	var le *migration.LoadError
	assert.False(t, errors.As(err, &le))
}

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"9", "10", -1},
		{"10", "9", 1},
		{"0002", "2", 0},
		{"0", "000", 0},
		{"0010", "9", 1},
		{"20260101120000", "20251231235959", 1},
		{"99999999999999999999", "100000000000000000000", -1},
		// Flyway: segment by segment as numbers, a missing segment is 0.
		{"1.2", "1.10", -1},
		{"1.10", "2", -1},
		{"1.0", "1", 0},
		{"1.01", "1.1", 0},
		{"1.2.3", "1.2", 1},
		{"10.1", "9.9", 1},
	}
	for _, tt := range tests {
		t.Run(tt.a+"_vs_"+tt.b, func(t *testing.T) {
			assert.Equal(t, tt.want, migration.CompareVersions(tt.a, tt.b))
			assert.Equal(t, -tt.want, migration.CompareVersions(tt.b, tt.a))
		})
	}
}

func TestCompare(t *testing.T) {
	m := func(chain, version string) *migration.Migration {
		return &migration.Migration{Chain: chain, Version: version, Name: "x"}
	}
	tests := []struct {
		name string
		a, b *migration.Migration
		want int
	}{
		{"root before any chain", m("", "9"), m("a", "1"), -1},
		{"chain after root", m("a", "1"), m("", "9"), 1},
		{"chains by name", m("auth", "9"), m("billing", "1"), -1},
		{"versions as numbers", m("a", "9"), m("a", "10"), -1},
		{"equal", m("a", "0002"), m("a", "2"), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, migration.Compare(tt.a, tt.b))
		})
	}
}

func TestLoadRootPrefixesPathsAndErrors(t *testing.T) {
	fsys := fstest.MapFS{
		"0001_a.sql":         {Data: []byte("-- safe: always\n")},
		"billing/0001_b.sql": {Data: []byte("-- safe: always\n")},
	}
	ms, err := migration.Load(fsys, migration.Options{Root: "db/migrations"})
	require.NoError(t, err)
	assert.Equal(t, "db/migrations/0001_a.sql", ms[0].Path)
	assert.Equal(t, "db/migrations/billing/0001_b.sql", ms[1].Path)
	assert.Equal(t, "billing/0001_b", ms[1].ID, "IDs do not depend on the root")

	fsys["0002_c.sql"] = &fstest.MapFile{Data: []byte("-- safe: befor_deploy\n")}
	fsys["01_d.sql"] = &fstest.MapFile{Data: []byte("-- safe: always\n")}
	_, err = migration.Load(fsys, migration.Options{Root: "db/migrations"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "db/migrations/0002_c.sql:1: unknown safe value")
	assert.Contains(t, err.Error(), "db/migrations/01_d.sql: duplicate version 01 in chain (root) (also db/migrations/0001_a.sql)")
}

// TestLoadFollowsSymlinks: a chain directory or a file may be a symlink
// (shared migrations, a monorepo); a symlinked chain used to be taken for
// a file without .sql and silently left out.
func TestLoadFollowsSymlinks(t *testing.T) {
	shared := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(shared, "billing"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(shared, "billing", "0001_plans.sql"), []byte("-- safe: always\nSELECT 1;\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(shared, "0001_a.sql"), []byte("-- safe: always\nSELECT 1;\n"), 0o644))
	require.NoError(t, os.MkdirAll(filepath.Join(shared, "deep", "x"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(shared, "deep", "x", "0001_x.sql"), []byte("-- safe: always\nSELECT 1;\n"), 0o644))

	dir := t.TempDir()
	require.NoError(t, os.Symlink(filepath.Join(shared, "billing"), filepath.Join(dir, "billing")))
	require.NoError(t, os.Symlink(filepath.Join(shared, "0001_a.sql"), filepath.Join(dir, "0001_a.sql")))
	ms, err := migration.Load(os.DirFS(dir), migration.Options{})
	require.NoError(t, err)
	assert.Equal(t, []string{"0001_a", "billing/0001_plans"}, ids(ms))

	// A symlinked directory below a chain is nesting, as a real one is.
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "auth"), 0o755))
	require.NoError(t, os.Symlink(filepath.Join(shared, "deep", "x"), filepath.Join(dir, "auth", "x")))
	_, err = migration.Load(os.DirFS(dir), migration.Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "auth/x: nested directories are not allowed")
}

// TestLoadFileNameNotUTF8: io/fs refuses such names with a bare "invalid
// argument"; the error says what is wrong and what to do.
func TestLoadFileNameNotUTF8(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "0001_caf\xe9.sql"), []byte("-- safe: always\nSELECT 1;\n"), 0o644))
	_, err := migration.Load(os.DirFS(dir), migration.Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "file name is not valid UTF-8")
	assert.NotContains(t, err.Error(), "invalid argument")

	require.NoError(t, os.Mkdir(filepath.Join(dir, "b\xe9"), 0o755))
	_, err = migration.Load(os.DirFS(dir), migration.Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "directory name is not valid UTF-8")
}

// TestWalkIsLoadsView: Walk lists what Load reads, marks problems of the
// directory's shape, and Load marks a file's own problems InFile (lint
// reports those as diagnostics; the others make every command exit 2).
func TestWalkIsLoadsView(t *testing.T) {
	fsys := fstest.MapFS{
		"0001_a.sql":              {Data: []byte("-- safe: always\nSELECT 1;\n")},
		"README.md":               {Data: []byte("x")},
		"billing/0001_b.sql":      {Data: []byte("-- saftey: always\nSELECT 1;\n")},
		"billing/old/0001_c.sql":  {Data: []byte("SELECT 1;\n")},
		"billing/fixtures/x.json": {Data: []byte("{}")},
		".git/0001_d.sql":         {Data: []byte("SELECT 1;\n")},
	}
	srcs, problems, err := migration.Walk(fsys)
	require.NoError(t, err)
	assert.Equal(t, []migration.Source{{Path: "0001_a.sql", Name: "0001_a.sql"}, {Path: "billing/0001_b.sql", Chain: "billing", Name: "0001_b.sql"}}, srcs)
	require.Len(t, problems, 1)
	assert.Equal(t, "billing/old", problems[0].File)
	assert.False(t, problems[0].InFile)

	_, err = migration.Load(fsys, migration.Options{})
	var le *migration.LoadError
	require.ErrorAs(t, err, &le)
	require.Len(t, le.Errors, 2)
	assert.Equal(t, "billing/0001_b.sql", le.Errors[0].File)
	assert.True(t, le.Errors[0].InFile, "a header problem is the file's own")
	assert.False(t, le.Errors[1].InFile)
}
