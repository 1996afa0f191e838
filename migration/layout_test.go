package migration_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/migration"
)

// copyFS reads a testdata directory into a MapFS, to edit it.
func copyFS(t *testing.T, dir string) fstest.MapFS {
	t.Helper()
	out := fstest.MapFS{}
	require.NoError(t, fs.WalkDir(os.DirFS(dir), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path.Join(dir, p))
		out[p] = &fstest.MapFile{Data: data}
		return err
	}))
	return out
}

// downMarker is where a file's down part starts ("" for none).
var downMarkers = []string{"-- +goose Down", "-- migrate:down"}

func TestLoadLayoutFixtures(t *testing.T) {
	tests := []struct {
		layout migration.Layout
		ids    []string
		noTx   string // the migration with transaction: false
	}{
		{migration.LayoutGoose, []string{"20230101120000_create_audit", "20230102120000_create_users", "20230103120000_index_users_email", "billing/20230104120000_create_invoices"}, "20230103120000_index_users_email"},
		{migration.LayoutGolangMigrate, []string{"000001_create_audit", "000002_create_users", "000003_index_users_email", "billing/000001_create_invoices"}, "000003_index_users_email"},
		{migration.LayoutDbmate, []string{"20230101120000_create_audit", "20230102120000_create_users", "20230103120000_index_users_email", "billing/20230104120000_create_invoices"}, "20230103120000_index_users_email"},
		{migration.LayoutFlyway, []string{"1__create_audit", "1.1__create_users", "1.2__add_users_name", "1.10__index_users_name", "billing/1__create_invoices"}, "1.10__index_users_name"},
	}
	for _, tt := range tests {
		t.Run(string(tt.layout), func(t *testing.T) {
			dir := path.Join("testdata", "layouts", string(tt.layout))
			fsys := copyFS(t, dir)
			for _, l := range []migration.Layout{"", migration.LayoutAuto, tt.layout} {
				set, err := migration.Read(fsys, l)
				require.NoError(t, err)
				assert.Equal(t, tt.layout, set.Layout, "detected")
				assert.Empty(t, set.Problems)
			}
			ms, err := migration.Load(fsys, migration.Options{})
			require.NoError(t, err)
			var ids []string
			for _, m := range ms {
				ids = append(ids, m.ID)
				assert.NotContains(t, string(m.SQL), "down ran", "%s: a down part is never part of the migration", m.ID)
				assert.True(t, m.DeclaredSafe, "%s: directives in the leading comments are read", m.ID)
				assert.Equal(t, m.ID != tt.noTx, m.Directives.Transaction, m.ID)
				file := fsys[m.Path].Data
				// The up part keeps the file's lines and byte offsets.
				require.LessOrEqual(t, len(m.SQL), len(file))
				fileLines := strings.Split(string(file[:len(m.SQL)]), "\n")
				for i, line := range strings.Split(string(m.SQL), "\n") {
					if line != fileLines[i] {
						assert.Contains(t, line, "transaction: false", "%s:%d: only a no-transaction marker is rewritten", m.Path, i+1)
						assert.Len(t, line, len(fileLines[i]))
					}
				}
				sum := sha256.Sum256(file[:len(m.SQL)])
				assert.Equal(t, hex.EncodeToString(sum[:]), m.Checksum, "%s: checksum of the file's up part", m.ID)
			}
			assert.Equal(t, tt.ids, ids)

			// Editing a down part is not drift: the checksums stay.
			edited := fstest.MapFS{}
			for p, f := range fsys {
				data := f.Data
				switch {
				case strings.HasSuffix(p, ".down.sql") || strings.HasPrefix(path.Base(p), "U"):
					data = append([]byte("-- reviewed\n"), data...)
				default:
					for _, mk := range downMarkers {
						if i := strings.Index(string(data), mk); i >= 0 {
							data = []byte(string(data[:i]) + mk + "\n-- reviewed\nSELECT 1;" + string(data[i+len(mk):]))
						}
					}
				}
				edited[p] = &fstest.MapFile{Data: data}
			}
			again, err := migration.Load(edited, migration.Options{})
			require.NoError(t, err)
			require.Len(t, again, len(ms))
			for i := range ms {
				assert.Equal(t, ms[i].Checksum, again[i].Checksum, "%s: editing its down part changed the checksum", ms[i].ID)
			}
		})
	}
}

// TestSafemigrateFixturesStaySafemigrate: a plain directory is detected
// as safemigrate, and its checksums are the whole file's, as before
// layouts existed.
func TestSafemigrateFixturesStaySafemigrate(t *testing.T) {
	set, err := migration.Read(os.DirFS("testdata/chains"), migration.LayoutAuto)
	require.NoError(t, err)
	assert.Equal(t, migration.LayoutSafemigrate, set.Layout)
	ms, err := migration.Load(os.DirFS("testdata/chains"), migration.Options{})
	require.NoError(t, err)
	for _, m := range ms {
		data, err := os.ReadFile(path.Join("testdata/chains", m.Path))
		require.NoError(t, err)
		assert.Equal(t, data, m.SQL)
	}
}

func TestLayoutProblems(t *testing.T) {
	tests := []struct {
		name   string
		layout migration.Layout
		files  map[string]string
		want   []string // substrings of the error, each file:line
	}{
		{"goose without Up", migration.LayoutGoose, map[string]string{
			"1_a.sql": "CREATE TABLE a (id int);\n-- +goose Down\nDROP TABLE a;\n",
		}, []string{"1_a.sql:1: SQL before `-- +goose Up`", "1_a.sql:2: `-- +goose Down` before `-- +goose Up`", "1_a.sql: no `-- +goose Up` line, so the up part cannot be found"}},
		{"goose file without markers in a goose directory", migration.LayoutAuto, map[string]string{
			"1_a.sql": "-- +goose Up\nSELECT 1;\n",
			"2_b.sql": "-- safe: always\nSELECT 2;\n",
		}, []string{"2_b.sql:2: SQL before `-- +goose Up`", "2_b.sql: no `-- +goose Up` line"}},
		{"goose ENVSUB", migration.LayoutGoose, map[string]string{
			"1_a.sql": "-- +goose Up\n-- +goose ENVSUB ON\nCREATE ROLE ${ROLE};\n",
		}, []string{"1_a.sql:2: `-- +goose ENVSUB ON` makes goose substitute environment variables"}},
		{"goose unclosed block", migration.LayoutGoose, map[string]string{
			"1_a.sql": "-- +goose Up\n-- +goose StatementBegin\nSELECT 1;\n",
		}, []string{"1_a.sql:2: `-- +goose StatementBegin` is never closed"}},
		{"goose Down inside a block", migration.LayoutGoose, map[string]string{
			"1_a.sql": "-- +goose Up\n-- +goose StatementBegin\nSELECT 1;\n-- +goose Down\nSELECT 2;\n",
		}, []string{"1_a.sql:4: `-- +goose Down` inside the StatementBegin block opened on line 2"}},
		{"goose stray StatementEnd, second Up, unknown annotation", migration.LayoutGoose, map[string]string{
			"1_a.sql": "-- +goose Up\n-- +goose StatementEnd\n-- +goose Up\n-- +goose Sideways\n",
		}, []string{"1_a.sql:2: `-- +goose StatementEnd` without a StatementBegin", "1_a.sql:3: a second `-- +goose Up` (the first is on line 1)", `1_a.sql:4: unknown goose annotation "-- +goose Sideways"`}},
		{"goose NO TRANSACTION below SQL or in the down part", migration.LayoutGoose, map[string]string{
			"1_a.sql": "-- +goose Up\nSELECT 1;\n-- +goose NO TRANSACTION\n",
			"2_b.sql": "-- +goose Up\nSELECT 1;\n-- +goose Down\n-- +goose NO TRANSACTION\n",
		}, []string{"1_a.sql:3: `-- +goose NO TRANSACTION` below SQL", "2_b.sql:4: `-- +goose NO TRANSACTION` below `-- +goose Down`"}},
		{"goose Go migration", migration.LayoutAuto, map[string]string{
			"1_a.sql":       "-- +goose Up\nSELECT 1;\n",
			"2_backfill.go": "package migrations\n",
			"helpers.go":    "package migrations\n",
		}, []string{"2_backfill.go: goose Go migrations cannot run in safemigrate"}},
		{"dbmate without up", migration.LayoutDbmate, map[string]string{
			"1_a.sql": "CREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\n",
		}, []string{"1_a.sql:1: SQL before `-- migrate:up`", "1_a.sql:2: `-- migrate:down` before `-- migrate:up`", "1_a.sql: no `-- migrate:up` line"}},
		{"dbmate unknown option, second up", migration.LayoutDbmate, map[string]string{
			"1_a.sql": "-- migrate:up transaction:maybe\nSELECT 1;\n-- migrate:up\n",
		}, []string{`1_a.sql:1: unknown dbmate option "transaction:maybe"`, "1_a.sql:3: a second `-- migrate:up`"}},
		{"golang-migrate names", migration.LayoutGolangMigrate, map[string]string{
			"1_a.up.sql":         "SELECT 1;\n",
			"2_b.down.sql":       "SELECT 2;\n",
			"3_c.sql":            "SELECT 3;\n",
			"x_d.up.sql":         "SELECT 4;\n",
			"1_a.down.sql":       "SELECT 5;\n",
			"billing/1_x.up.sql": "SELECT 6;\n",
		}, []string{"2_b.down.sql: down file without an up file of version 2", "3_c.sql: golang-migrate names files", "x_d.up.sql: golang-migrate names files"}},
		{"flyway repeatable, callback, placeholder, bad version", migration.LayoutFlyway, map[string]string{
			"V1__a.sql":             "CREATE SCHEMA ${flyway:defaultSchema};\nSELECT '${not a placeholder}';\n",
			"R__views.sql":          "CREATE VIEW v AS SELECT 1;\n",
			"afterMigrate.sql":      "SELECT 1;\n",
			"V1.x__b.sql":           "SELECT 1;\n",
			"V2__.sql":              "SELECT 1;\n",
			"U7__undo_anything.sql": "SELECT 1;\n",
		}, []string{"R__views.sql: Flyway repeatable migrations (R__…)", "V1.x__b.sql: Flyway names migrations", "V1__a.sql:1: Flyway placeholder ${flyway:defaultSchema}", "V2__.sql: Flyway names migrations", "afterMigrate.sql: Flyway names migrations"}},
		{"flyway duplicate version", migration.LayoutFlyway, map[string]string{
			"V1.0__a.sql": "SELECT 1;\n",
			"V1__b.sql":   "SELECT 1;\n",
		}, []string{"V1__b.sql: duplicate version 1 in chain (root) (also V1.0__a.sql)"}},
		{"contradicting layouts", migration.LayoutAuto, map[string]string{
			"1_a.sql":      "-- +goose Up\nSELECT 1;\n",
			"2_b.up.sql":   "SELECT 2;\n",
			"2_b.down.sql": "SELECT 3;\n",
			"x/V3__c.sql":  "SELECT 4;\n",
		}, []string{".: files of more than one tool's layout (flyway: x/V3__c.sql; golang-migrate: 2_b.down.sql, 2_b.up.sql; goose: 1_a.sql); set `layout:` in safemigrate.yaml or pass --layout"}},
		{"safemigrate layout refuses down sections", migration.LayoutSafemigrate, map[string]string{
			"1_a.sql":      "-- +goose Up\nSELECT 1;\n-- +goose Down\nSELECT 2;\n",
			"2_b.sql":      "-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT 2;\n",
			"3_c.down.sql": "SELECT 3;\n",
		}, []string{"1_a.sql:3: `-- +goose Down` starts a down section, which the safemigrate layout would run", "2_b.sql:3: `-- migrate:down` starts a down section", "3_c.down.sql: this looks like a golang-migrate file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for p, s := range tt.files {
				fsys[p] = &fstest.MapFile{Data: []byte(s)}
			}
			ms, err := migration.Load(fsys, migration.Options{Layout: tt.layout})
			require.Error(t, err)
			assert.Nil(t, ms)
			var le *migration.LoadError
			require.True(t, errors.As(err, &le), "%v", err)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.Len(t, le.Errors, len(tt.want), "%v", err)
		})
	}
}

func TestGooseNoTransactionAndStatementBlocks(t *testing.T) {
	src := "-- safe: after_deploy\r\n-- +goose NO TRANSACTION\r\n-- +goose Up\r\n-- +goose StatementBegin\r\nCREATE INDEX CONCURRENTLY i ON t (a);\r\n-- +goose StatementEnd\r\n-- +goose Down\r\nDROP INDEX i;\r\n"
	ms, err := migration.Load(fstest.MapFS{"7_i.sql": {Data: []byte(src)}}, migration.Options{})
	require.NoError(t, err)
	require.Len(t, ms, 1)
	m := ms[0]
	assert.False(t, m.Directives.Transaction)
	assert.Equal(t, 2, m.Directives.Lines[migration.KeyTransaction], "the marker's line")
	assert.Equal(t, "7", m.Version)
	assert.Equal(t, "i", m.Name)
	assert.Equal(t, "-- safe: after_deploy\r\n-- transaction: false   \r\n-- +goose Up\r\n-- +goose StatementBegin\r\nCREATE INDEX CONCURRENTLY i ON t (a);\r\n-- +goose StatementEnd\r\n", string(m.SQL))
	// A directive and the marker together are a duplicate directive.
	_, err = migration.Load(fstest.MapFS{"7_i.sql": {Data: []byte("-- transaction: false\n-- +goose NO TRANSACTION\n-- +goose Up\nSELECT 1;\n")}}, migration.Options{})
	assert.ErrorContains(t, err, "7_i.sql:2: duplicate directive transaction (first on line 1)")
}

func TestDbmateTransactionFalse(t *testing.T) {
	src := "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t (a);\n-- migrate:down\nDROP INDEX i;\n"
	ms, err := migration.Load(fstest.MapFS{"20230101000000_i.sql": {Data: []byte(src)}}, migration.Options{Layout: migration.LayoutDbmate})
	require.NoError(t, err)
	assert.False(t, ms[0].Directives.Transaction)
	assert.Equal(t, "-- transaction: false          \nCREATE INDEX CONCURRENTLY i ON t (a);\n", string(ms[0].SQL))
	sum := sha256.Sum256([]byte(src[:strings.Index(src, "-- migrate:down")]))
	assert.Equal(t, hex.EncodeToString(sum[:]), ms[0].Checksum)
}

func TestParseLayout(t *testing.T) {
	for _, l := range migration.Layouts {
		got, err := migration.ParseLayout(string(l))
		require.NoError(t, err)
		assert.Equal(t, l, got)
	}
	got, err := migration.ParseLayout("")
	require.NoError(t, err)
	assert.Equal(t, migration.LayoutAuto, got)
	_, err = migration.ParseLayout("liquibase")
	assert.EqualError(t, err, `unknown layout "liquibase"; use one of auto, safemigrate, goose, golang-migrate, dbmate, flyway`)
}

func TestReadFile(t *testing.T) {
	f, err := migration.ReadFile(migration.LayoutAuto, "db/000002_users.down.sql", []byte("DROP TABLE users;\n"))
	require.NoError(t, err)
	assert.Nil(t, f, "a down file is not a migration")
	f, err = migration.ReadFile(migration.LayoutAuto, "db/3_x.sql", []byte("-- +goose Up\nSELECT 1;\n-- +goose Down\nSELECT 2;\n"))
	require.NoError(t, err)
	assert.Equal(t, "3_x", f.ID)
	assert.Equal(t, "-- +goose Up\nSELECT 1;\n", string(f.SQL))
	f, err = migration.ReadFile(migration.LayoutFlyway, "V1_2__x.sql", []byte("SELECT 1;\n"))
	require.NoError(t, err)
	assert.Equal(t, "1.2__x", f.ID)
	_, err = migration.ReadFile(migration.LayoutGoose, "db/3_x.sql", []byte("SELECT 1;\n"))
	assert.ErrorContains(t, err, "db/3_x.sql:1: SQL before `-- +goose Up`")
	f, err = migration.ReadFile(migration.LayoutAuto, "notes.sql", []byte("SELECT 1;\n"))
	require.NoError(t, err, "a name lint reports as invalid-file-name")
	assert.Equal(t, "notes", f.ID)
}
