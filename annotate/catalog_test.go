package annotate_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/annotate"
	"github.com/safemigrate/safemigrate/migration"
)

// liveUsers is a table as a database's catalog describes it.
var liveUsers = []annotate.CatalogTable{{
	Name: "users",
	Columns: []annotate.CatalogColumn{
		{Name: "id", Type: "bigint", NotNull: true},
		{Name: "name", Type: "character varying(50)", NotNull: true},
		{Name: "email", Type: "text"},
		{Name: "Tags", Type: "text[]"},
	},
	Indexes: []annotate.CatalogIndex{{Name: "users_pkey", Column: "id"}, {Name: "users_email_idx", Column: "email"}, {Name: "users_lower_idx"}},
}, {Schema: "billing", Name: "invoices", Columns: []annotate.CatalogColumn{{Name: "total", Type: "numeric(10,2)"}}}}

func analyseLive(t *testing.T, src string) *annotate.Analysis {
	t.Helper()
	s := annotate.NewSchema()
	require.NoError(t, s.LoadCatalog(liveUsers))
	stmts, err := annotate.Parse(src)
	require.NoError(t, err)
	return s.Analyze(stmts, annotate.Options{PGVersion: 15})
}

func TestLoadCatalogTypes(t *testing.T) {
	s := annotate.NewSchema()
	require.NoError(t, s.LoadCatalog(liveUsers))
	for col, want := range map[string]string{"id": "int8", "name": "varchar(50)", "email": "text", "Tags": "text[]"} {
		got, ok := s.ColumnType("users", col)
		assert.True(t, ok, col)
		assert.Equal(t, want, got, col)
	}
	got, ok := s.ColumnType("billing.invoices", "total")
	assert.True(t, ok)
	assert.Equal(t, "numeric(10,2)", got)

	// Widening varchar is binary-coercible once the live type is known.
	an := analyseLive(t, "ALTER TABLE users ALTER COLUMN name TYPE varchar(100);")
	assert.Empty(t, an.Statements[0].Rewrites)
	an = analyseLive(t, "ALTER TABLE users ALTER COLUMN name TYPE int8 USING 0;")
	assert.NotEmpty(t, an.Statements[0].Rewrites)
}

func TestLoadCatalogNotNullAndIndexes(t *testing.T) {
	an := analyseLive(t, "ALTER TABLE users ALTER COLUMN name SET NOT NULL;")
	assert.False(t, an.Statements[0].Actions[0].Scan, "the column is NOT NULL already: nothing to scan")
	an = analyseLive(t, "ALTER TABLE users ALTER COLUMN email SET NOT NULL;")
	assert.True(t, an.Statements[0].Actions[0].Scan)

	// The table's indexes are known: a filter on an unindexed column is
	// unselective, one on an indexed column is not.
	an = analyseLive(t, "DELETE FROM users WHERE name = 'y';")
	assert.True(t, an.Statements[0].Actions[0].Unselective)
	an = analyseLive(t, "DELETE FROM users WHERE email = 'y';")
	assert.False(t, an.Statements[0].Actions[0].Unselective)

	// DROP INDEX knows the index's table.
	an = analyseLive(t, "DROP INDEX users_email_idx;")
	assert.Equal(t, "users", an.Statements[0].Actions[0].Table)
}

func TestLoadCatalogBadType(t *testing.T) {
	err := annotate.NewSchema().LoadCatalog([]annotate.CatalogTable{{Name: "t", Columns: []annotate.CatalogColumn{{Name: "c", Type: "not a ( type"}}}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `table "t"`)
}

func TestSetNotNullOnNotNullColumnIsNeutral(t *testing.T) {
	for name, tc := range map[string]struct {
		history []string
		src     string
		want    annotate.Effect
	}{
		"live catalog":        {nil, "ALTER TABLE users ALTER COLUMN name SET NOT NULL;", annotate.Neutral},
		"live, nullable":      {nil, "ALTER TABLE users ALTER COLUMN email SET NOT NULL;", annotate.Contract},
		"created NOT NULL":    {[]string{"CREATE TABLE tags (id int PRIMARY KEY, label text NOT NULL);"}, "ALTER TABLE tags ALTER COLUMN label SET NOT NULL;", annotate.Neutral},
		"primary key":         {[]string{"CREATE TABLE tags (id int, label text, PRIMARY KEY (id));"}, "ALTER TABLE tags ALTER COLUMN id SET NOT NULL;", annotate.Neutral},
		"added NOT NULL":      {[]string{"ALTER TABLE users ADD COLUMN code text NOT NULL DEFAULT '';"}, "ALTER TABLE users ALTER COLUMN code SET NOT NULL;", annotate.Neutral},
		"dropped NOT NULL":    {[]string{"ALTER TABLE users ALTER COLUMN name DROP NOT NULL;"}, "ALTER TABLE users ALTER COLUMN name SET NOT NULL;", annotate.Contract},
		"renamed":             {[]string{"ALTER TABLE users RENAME COLUMN name TO full_name;"}, "ALTER TABLE users ALTER COLUMN full_name SET NOT NULL;", annotate.Neutral},
		"validated CHECK":     {[]string{"ALTER TABLE users ADD CONSTRAINT email_nn CHECK (email IS NOT NULL) NOT VALID;", "ALTER TABLE users VALIDATE CONSTRAINT email_nn;"}, "ALTER TABLE users ALTER COLUMN email SET NOT NULL;", annotate.Neutral},
		"CHECK not validated": {[]string{"ALTER TABLE users ADD CONSTRAINT email_nn CHECK (email IS NOT NULL) NOT VALID;"}, "ALTER TABLE users ALTER COLUMN email SET NOT NULL;", annotate.Contract},
	} {
		s := annotate.NewSchema()
		require.NoError(t, s.LoadCatalog(liveUsers))
		for _, src := range append(tc.history, tc.src) {
			stmts, err := annotate.Parse(src)
			require.NoError(t, err)
			an := s.Analyze(stmts, annotate.Options{PGVersion: 15})
			if src == tc.src {
				assert.Equal(t, tc.want, an.Effect, "%s: %s", name, an.Reason)
			}
		}
	}
}

// TestCatalogCreateTableIfNotExists (ht10b FP3): with a live catalog, a
// table it lacks does not exist, so CREATE TABLE IF NOT EXISTS creates it
// and what follows on it is on a new table.
func TestCatalogCreateTableIfNotExists(t *testing.T) {
	an := analyseLive(t, "CREATE TABLE IF NOT EXISTS brand_new (id int);\nCREATE INDEX brand_new_id ON brand_new (id);\nALTER TABLE brand_new ADD COLUMN who text NOT NULL;")
	for _, st := range an.Statements {
		assert.True(t, st.Actions[0].New, "brand_new is not in the catalog: %s", st.SQL)
	}
	assert.Equal(t, migration.BeforeDeploy, an.Suggested, an.Reason)

	an = analyseLive(t, "CREATE TABLE IF NOT EXISTS users (id bigint);\nCREATE INDEX users_name ON users (name);")
	assert.False(t, an.Statements[1].Actions[0].New, "users is in the catalog")
	assert.Equal(t, "creates table users if it does not exist, and it does: nothing happens", an.Statements[0].Reason)
}
