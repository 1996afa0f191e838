package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func write(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	}
}

func names(files []string) []string {
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = filepath.Base(f)
	}
	return out
}

func TestConvertPopPicksPostgresOverGenericAndKeepsBytes(t *testing.T) {
	src, dst := t.TempDir(), filepath.Join(t.TempDir(), "m")
	write(t, src, map[string]string{
		"20200101000001000000_users.up.sql":               "CREATE TABLE generic ();\n",
		"20200101000001000000_users.postgres.up.sql":      "CREATE TABLE users (id uuid);\r\n",
		"20200101000001000000_users.mysql.up.sql":         "CREATE TABLE users (id char(36));",
		"20200101000001000000_users.postgres.down.sql":    "DROP TABLE users;",
		"20200101000002000000_empty.postgres.up.sql":      "",
		"20200101000002000000_empty.up.sql":               "SELECT 1;",
		"9_old.up.sql":                                    "CREATE TABLE old ();",
		"20200101000003000000_only_sqlite.sqlite3.up.sql": "x",
		"README.md": "not a migration",
	})
	c, err := convert(Project{Name: "t", Layout: "pop"}, src, dst)
	require.NoError(t, err)
	require.Equal(t, "safemigrate", c.Layout)
	require.Equal(t, []string{"9_old.sql", "20200101000001000000_users.sql", "20200101000002000000_empty.sql"}, names(c.Up))
	b, err := os.ReadFile(filepath.Join(dst, "20200101000001000000_users.sql"))
	require.NoError(t, err)
	require.Equal(t, "CREATE TABLE users (id uuid);\r\n", string(b))
	b, err = os.ReadFile(filepath.Join(dst, "20200101000002000000_empty.sql"))
	require.NoError(t, err)
	require.Empty(t, b, "an empty postgres file wins over the generic one, as in pop")
}

func TestConvertPopRefusesTwoMigrationsWithOneVersion(t *testing.T) {
	src := t.TempDir()
	write(t, src, map[string]string{"1_a.up.sql": "", "01_b.up.sql": ""})
	_, err := convert(Project{Name: "t", Layout: "pop"}, src, filepath.Join(t.TempDir(), "m"))
	require.ErrorContains(t, err, "one migration per version")
}

func TestConvertTemporalFollowsManifestOrder(t *testing.T) {
	src, dst := t.TempDir(), filepath.Join(t.TempDir(), "m")
	write(t, src, map[string]string{
		"v1.0/manifest.json":  `{"SchemaUpdateCqlFiles": ["schema.sql"]}`,
		"v1.0/schema.sql":     "CREATE TABLE a ();",
		"v1.10/manifest.json": `{"SchemaUpdateCqlFiles": ["z.sql", "a.sql"]}`,
		"v1.10/z.sql":         "CREATE TABLE z ();",
		"v1.10/a.sql":         "ALTER TABLE z ADD c int;",
		"v1.2/manifest.json":  `{"SchemaUpdateCqlFiles": ["q.sql"]}`,
		"v1.2/q.sql":          "CREATE TABLE q ();",
		"v1.2/unlisted.sql":   "DROP TABLE a;",
	})
	c, err := convert(Project{Name: "t", Layout: "temporal"}, src, dst)
	require.NoError(t, err)
	require.Equal(t, []string{"100001_schema.sql", "100201_q.sql", "101001_z.sql", "101002_a.sql"}, names(c.Up))
	b, err := os.ReadFile(filepath.Join(dst, "101002_a.sql"))
	require.NoError(t, err)
	require.Equal(t, "ALTER TABLE z ADD c int;", string(b))
}

func TestConvertTemporalRefusesPathsInManifest(t *testing.T) {
	src := t.TempDir()
	write(t, src, map[string]string{"v1.0/manifest.json": `{"SchemaUpdateCqlFiles": ["../x.sql"]}`})
	_, err := convert(Project{Name: "t", Layout: "temporal"}, src, filepath.Join(t.TempDir(), "m"))
	require.ErrorContains(t, err, "want a .sql file in the same directory")
}

func TestConvertGolangMigrateCopiesUpAndDownButNotSubdirectories(t *testing.T) {
	src, dst := t.TempDir(), filepath.Join(t.TempDir(), "m")
	write(t, src, map[string]string{
		"000010_b.up.sql":                   "B",
		"000002_a.up.sql":                   "A",
		"000002_a.down.sql":                 "undo A",
		"migrate.go":                        "package migrations",
		"testdata/fixtures/000002_a.up.sql": "INSERT …",
	})
	c, err := convert(Project{Name: "t", Layout: "golang-migrate"}, src, dst)
	require.NoError(t, err)
	require.Equal(t, "golang-migrate", c.Layout)
	require.Equal(t, []string{"000002_a.up.sql", "000010_b.up.sql"}, names(c.Up))
	ents, err := os.ReadDir(dst)
	require.NoError(t, err)
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	require.Equal(t, "000002_a.down.sql 000002_a.up.sql 000010_b.up.sql", strings.Join(got, " "))
}

func TestManifestEntriesAreComplete(t *testing.T) {
	ps, err := loadManifest()
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(ps), 3)
	seen := map[string]bool{}
	for _, p := range ps {
		require.False(t, seen[p.Name], "duplicate name %s", p.Name)
		seen[p.Name] = true
		require.NotEmpty(t, p.Module, p.Name)
		require.Regexp(t, `^v[0-9]`, p.Version, "%s: pin a version, never latest", p.Name)
		require.NotEmpty(t, p.Licence, p.Name)
		require.NotEmpty(t, p.Path, p.Name)
		require.Contains(t, []string{"golang-migrate", "pop", "temporal"}, p.Layout, p.Name)
	}
}

func TestConvertRefusesUnknownLayout(t *testing.T) {
	_, err := convert(Project{Name: "x", Layout: "flyway"}, t.TempDir(), filepath.Join(t.TempDir(), "m"))
	require.ErrorContains(t, err, `manifest entry x: unknown layout "flyway"`)
}
