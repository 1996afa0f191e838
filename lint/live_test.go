package lint_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/annotate"
	"github.com/safemigrate/safemigrate/lint"
)

func liveTable(schema, name string, visible bool, bytes, heap, rows int64, cols ...annotate.CatalogColumn) lint.LiveTable {
	return lint.LiveTable{CatalogTable: annotate.CatalogTable{Schema: schema, Name: name, Columns: cols}, Visible: visible, Bytes: bytes, HeapBytes: heap, Rows: rows}
}

func TestLiveGradesBySize(t *testing.T) {
	live := &lint.Live{Tables: []lint.LiveTable{
		liveTable("public", "big", true, 3_400_000_000, 3_000_000_000, 41_000_000),
		liveTable("public", "mid", true, 50<<20, 40<<20, 120_000),
		liveTable("public", "empty", true, 16384, 0, 0),
		liveTable("app", "wide", false, 2<<20, 1<<20, 20_000_000),
	}}
	src := "-- safe: after_deploy\n" +
		"UPDATE big SET x = 1;\n" +
		"UPDATE mid SET x = 1;\n" +
		"UPDATE empty SET x = 1;\n" +
		"UPDATE app.wide SET x = 1;\n" +
		"UPDATE unknown SET x = 1;\n" +
		"DROP TABLE big;\n"
	res := run(t, []lint.File{{Path: "0002_x.sql", Src: []byte(src)}}, lint.Config{Live: live})
	var got []string
	for _, d := range res.Diagnostics {
		got = append(got, d.Severity.String()+" "+d.Rule+": "+d.Message)
	}
	assert.Equal(t, []string{
		"error dml-without-where: UPDATE without WHERE touches every row of big in one transaction (table big: 3.2 GB, ~41M rows)",
		"warning dml-without-where: UPDATE without WHERE touches every row of mid in one transaction (table mid: 50 MB, ~120k rows)",
		"info dml-without-where: UPDATE without WHERE touches every row of empty in one transaction (table empty: 16 kB, ~0 rows)",
		"error dml-without-where: UPDATE without WHERE touches every row of app.wide in one transaction (table app.wide: 2.0 MB, ~20M rows)",
		"warning dml-without-where: UPDATE without WHERE touches every row of unknown in one transaction",
		"warning drop-table: drops table big: the data is gone for good",
	}, got, "only lock and rewrite rules are graded; a table the database lacks keeps the rule's severity")

	// Limits of the configuration; a negative one is off.
	live.LargeBytes, live.LargeRows = 10<<20, -1
	res = run(t, []lint.File{{Path: "0002_x.sql", Src: []byte(src)}}, lint.Config{Live: live})
	var sevs []lint.Severity
	for _, d := range res.Diagnostics {
		if d.Rule == "dml-without-where" {
			sevs = append(sevs, d.Severity)
		}
	}
	assert.Equal(t, []lint.Severity{lint.Error, lint.Error, lint.Info, lint.Warning, lint.Warning}, sevs)
}

func TestLiveSchemaAndVersion(t *testing.T) {
	live := &lint.Live{PGVersion: 10, Tables: []lint.LiveTable{
		liveTable("public", "users", true, 1<<20, 1<<20, 5000, annotate.CatalogColumn{Name: "name", Type: "character varying(50)"}),
	}}
	src := []byte("-- safe: before_deploy\nALTER TABLE users ALTER COLUMN name TYPE varchar(100);\nALTER TABLE users ADD COLUMN n int DEFAULT 0;\n")
	without := run(t, []lint.File{{Path: "0002_x.sql", Src: src}}, lint.Config{})
	rules := func(res *lint.Result) []string {
		var out []string
		for _, d := range res.Diagnostics {
			out = append(out, d.Rule)
		}
		return out
	}
	assert.Contains(t, rules(without), "change-column-type", "without the database the old type is unknown")
	assert.NotContains(t, rules(without), "add-column-rewriting-default", "PostgreSQL 15 adds a column with a constant default without a rewrite")
	with := run(t, []lint.File{{Path: "0002_x.sql", Src: src}}, lint.Config{Live: live})
	assert.NotContains(t, rules(with), "change-column-type", "the live type makes the change binary-coercible")
	assert.Contains(t, rules(with), "add-column-rewriting-default", "the server's version 10 rewrites for a default")
	with = run(t, []lint.File{{Path: "0002_x.sql", Src: src}}, lint.Config{Live: live, PGVersion: 15})
	assert.NotContains(t, rules(with), "add-column-rewriting-default", "a given version wins over the server's")
}

func TestLiveBadCatalog(t *testing.T) {
	live := &lint.Live{Tables: []lint.LiveTable{liveTable("public", "t", true, 0, 0, 0, annotate.CatalogColumn{Name: "c", Type: "no ( type"})}}
	l, err := lint.New(lint.Config{Live: live})
	require.NoError(t, err)
	_, err = l.Run(t.Context(), []lint.File{{Path: "0001_x.sql", Src: []byte("-- safe: always\nSELECT 1;\n")}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "live schema")
}

// TestBySizeDocumented keeps the list of graded rules in docs/rules.md
// ("Live database") in step with the registry.
func TestBySizeDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/rules.md")
	require.NoError(t, err)
	_, after, ok := strings.Cut(string(doc), "These rules are\n  graded: ")
	require.True(t, ok, "docs/rules.md lists the graded rules")
	list, _, _ := strings.Cut(after, ". A table")
	var documented []string
	for _, m := range regexp.MustCompile("`([a-z0-9-]+)`").FindAllStringSubmatch(list, -1) {
		documented = append(documented, m[1])
	}
	var graded []string
	for _, r := range lint.Rules {
		if r.BySize {
			graded = append(graded, r.ID)
		}
	}
	assert.Equal(t, graded, documented)
}

// TestLiveCreateTableIfNotExists: a table the live catalog has makes
// CREATE TABLE IF NOT EXISTS a no-op, so the table is not new for the lock
// rules that follow.
func TestLiveCreateTableIfNotExists(t *testing.T) {
	live := &lint.Live{Tables: []lint.LiveTable{
		liveTable("public", "orders", true, 50<<20, 40<<20, 120_000, annotate.CatalogColumn{Name: "id", Type: "integer"}, annotate.CatalogColumn{Name: "note", Type: "text"}),
	}}
	src := []byte("-- safe: before_deploy\n" +
		"CREATE TABLE IF NOT EXISTS orders (id int, note text);\n" +
		"CREATE INDEX orders_note ON orders (note);\n" +
		"ALTER TABLE orders ADD CONSTRAINT note_short CHECK (length(note) < 500);\n")
	var got []string
	for _, d := range run(t, []lint.File{{Path: "0002_x.sql", Src: src}}, lint.Config{Live: live}).Diagnostics {
		got = append(got, d.Rule+": "+d.Message)
	}
	assert.Equal(t, []string{
		"require-concurrent-index: creates index orders_note without CONCURRENTLY: the SHARE lock blocks writes to orders while the index builds (table orders: 50 MB, ~120k rows)",
		"check-without-not-valid: adds CHECK constraint note_short without NOT VALID: orders is scanned under an ACCESS EXCLUSIVE lock (table orders: 50 MB, ~120k rows)",
	}, got)
}

// TestLiveViewColumns: the live catalog's views tell the columns a view
// dropped and re-created had; what depends on them stays unknown.
func TestLiveViewColumns(t *testing.T) {
	users := liveTable("public", "users", true, 50<<20, 40<<20, 120_000, annotate.CatalogColumn{Name: "id", Type: "integer"}, annotate.CatalogColumn{Name: "email", Type: "text"})
	view := liveTable("public", "user_emails", true, 0, 0, 0, annotate.CatalogColumn{Name: "id", Type: "integer"}, annotate.CatalogColumn{Name: "email", Type: "text"})
	view.View = true
	live := &lint.Live{Tables: []lint.LiveTable{users, view}}
	contract := func(src string, live *lint.Live) []string {
		var out []string
		for _, d := range run(t, []lint.File{{Path: "0002_x.sql", Src: []byte("-- safe: always\n" + src)}}, lint.Config{Live: live}).Diagnostics {
			out = append(out, d.Rule+": "+d.Message)
		}
		return out
	}
	same := "DROP VIEW user_emails;\nCREATE VIEW user_emails AS SELECT id, email FROM users WHERE email <> '';\n"
	assert.Empty(t, contract(same, live), "the live view had id and email: both are back")
	assert.NotEmpty(t, contract(same, nil), "offline, the old columns are unknown")
	assert.Equal(t, []string{"contract-before-deploy: re-creates view user_emails without column email: old code selecting it fails; this migration is always, so old code is still running when it runs"},
		contract("DROP VIEW user_emails;\nCREATE VIEW user_emails AS SELECT id FROM users;\n", live))
	assert.Equal(t, []string{"contract-before-deploy: drops view user_emails CASCADE: safemigrate does not know what depends on it, and old code using what the CASCADE drops fails; this migration is always, so old code is still running when it runs"},
		contract("DROP VIEW user_emails CASCADE;\nCREATE VIEW user_emails AS SELECT id, email FROM users;\n", live))
	assert.Equal(t, []string{"dml-without-where: UPDATE without WHERE touches every row of user_emails in one transaction"},
		contract("UPDATE user_emails SET email = lower(email);\n", live), "a view has no size to grade by")
}
