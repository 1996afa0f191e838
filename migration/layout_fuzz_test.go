package migration_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/migration"
)

// checkUpPart is what every layout's parser promises for one file src:
// no panic; on success the SQL is the file's up part at the file's
// offsets (only no-transaction markers rewritten, at the same length),
// without a down marker, and checksummed as the file's bytes; on failure
// positioned problems and no migrations.
func checkUpPart(t *testing.T, layout migration.Layout, name string, src []byte, downMarker func(string) bool) {
	ms, err := migration.Load(fstest.MapFS{name: {Data: src}}, migration.Options{Layout: layout})
	if err != nil {
		require.Nil(t, ms)
		var le *migration.LoadError
		require.True(t, errors.As(err, &le), "%v", err)
		for _, fe := range le.Errors {
			require.NotEmpty(t, fe.Message)
			require.LessOrEqual(t, fe.Line, strings.Count(string(src), "\n")+1)
		}
		return
	}
	require.Len(t, ms, 1)
	m := ms[0]
	require.LessOrEqual(t, len(m.SQL), len(src))
	orig := src[:len(m.SQL)]
	sqlLines := strings.Split(string(m.SQL), "\n")
	for i, line := range strings.Split(string(orig), "\n") {
		if line != sqlLines[i] {
			require.Len(t, sqlLines[i], len(line))
			require.Contains(t, sqlLines[i], "transaction")
		}
		require.False(t, downMarker(strings.TrimSpace(strings.TrimPrefix(sqlLines[i], "\ufeff"))), "line %d of the up part is a down marker: %q", i+1, sqlLines[i])
	}
	sum := sha256.Sum256(orig)
	require.Equal(t, hex.EncodeToString(sum[:]), m.Checksum)
}

func FuzzGoose(f *testing.F) {
	for _, seed := range []string{
		"-- +goose Up\nCREATE TABLE a (id int);\n-- +goose Down\nDROP TABLE a;\n",
		"-- safe: always\n-- +goose NO TRANSACTION\n-- +goose Up\n-- +goose StatementBegin\nSELECT 1;\n-- +goose StatementEnd\n",
		"\ufeff--+goose up\r\nSELECT 1;\r\n--   +GOOSE   DOWN\r\n",
		"-- +goose Up\n-- +goose ENVSUB ON\nSELECT '${X}';\n",
		"SELECT 1;\n-- +goose Up\n",
		"  -- +goose Up\nSELECT 1;\n\t-- +goose Down\nSELECT 2;\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, src string) {
		checkUpPart(t, migration.LayoutGoose, "1_a.sql", []byte(src), func(line string) bool {
			rest, ok := strings.CutPrefix(line, "--")
			rest = strings.ToLower(strings.Join(strings.Fields(rest), " "))
			return ok && (rest == "+goose down" || strings.HasPrefix(rest, "+goose down ") || strings.HasPrefix(rest, "+goosedown"))
		})
	})
}

func FuzzDbmate(f *testing.F) {
	for _, seed := range []string{
		"-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\n",
		"-- safe: always\n-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t (a);\n",
		"--migrate:up\r\nSELECT 1;\r\n--migrate:down\r\n",
		"-- migrate:up transaction:nope\n",
		"SELECT 1;\n-- migrate:up\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, src string) {
		checkUpPart(t, migration.LayoutDbmate, "1_a.sql", []byte(src), func(line string) bool {
			rest, ok := strings.CutPrefix(line, "--")
			fields := strings.Fields(rest)
			return ok && len(fields) > 0 && fields[0] == "migrate:down"
		})
	})
}

// FuzzFileNames: every layout's file-name rule, on any name. A name that
// loads gives an ID whose version ParseID reads back, and down files
// never load.
func FuzzFileNames(f *testing.F) {
	for _, seed := range []string{"V1.2__add_users.sql", "U1_2__x.sql", "R__v.sql", "V1__.sql", "000001_a.up.sql", "000001_a.down.sql", "1_a.sql", "V.1__x.sql", "V1..2__x.sql", "1.2_x.sql", "V01.000__x.sql"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if !strings.HasSuffix(name, ".sql") || strings.ContainsAny(name, "/\\\x00") || name == ".sql" {
			return
		}
		for _, l := range migration.Layouts {
			file, err := migration.ReadFile(l, name, []byte("SELECT 1;\n"))
			if err != nil || file == nil || file.Version == "" {
				continue
			}
			require.False(t, strings.HasSuffix(name, ".down.sql") && l == migration.LayoutGolangMigrate)
			require.False(t, strings.HasPrefix(name, "U") && l == migration.LayoutFlyway)
			require.True(t, migration.IsVersion(file.Version), "%s: %q", l, file.Version)
			_, v, _, ok := migration.ParseID(file.ID)
			require.True(t, ok, "%s: ID %q", l, file.ID)
			require.Equal(t, file.Version, v)
			require.Zero(t, migration.CompareVersions(v, file.Version))
		}
	})
}

func FuzzCompareVersions(f *testing.F) {
	f.Add("1.2", "1.10")
	f.Add("0001", "1.0.0")
	f.Add("20260101120000", "9.9")
	f.Fuzz(func(t *testing.T, a, b string) {
		if !migration.IsVersion(a) || !migration.IsVersion(b) {
			return
		}
		require.Equal(t, migration.CompareVersions(a, b), -migration.CompareVersions(b, a))
		require.Zero(t, migration.CompareVersions(a, a))
		require.Zero(t, migration.CompareVersions(a, a+".0"))
	})
}
