package annotate_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/annotate"
)

func TestNodeTree(t *testing.T) {
	src := "-- header\nALTER TABLE s.\"Odd \"\"Name\"\" \\\\ x\" ADD COLUMN a varchar(10)[] DEFAULT 'it''s', ADD COLUMN b int;\nUPDATE t SET a = -1 WHERE true;"
	stmts, err := annotate.Parse(src)
	require.NoError(t, err)
	require.Len(t, stmts, 2)

	typ, alter := stmts[0].Tree.Type()
	assert.Equal(t, "AlterTableStmt", typ)
	rel := alter.Get("relation")
	assert.Equal(t, "s", rel.S("schemaname"))
	assert.Equal(t, `Odd "Name" \\ x`, rel.S("relname"), "escapes in names are decoded")
	assert.True(t, rel.B("inh"))
	assert.Equal(t, 22, rel.I("location"), "locations are byte offsets into the whole file")

	cmds := alter.A("cmds")
	require.Len(t, cmds, 2)
	assert.Equal(t, 2, alter.Get("cmds").Len())
	first := cmds[0].As("AlterTableCmd")
	assert.Equal(t, "AT_AddColumn", first.S("subtype"))
	cd := first.Get("def").As("ColumnDef")
	assert.Equal(t, "a", cd.S("colname"))
	assert.Equal(t, "varchar", cd.Get("typeName").A("names")[1].Sval())
	assert.True(t, cd.Get("typeName").Has("arrayBounds"))
	def := cd.A("constraints")[0].As("Constraint")
	assert.Equal(t, "CONSTR_DEFAULT", def.S("contype"))
	assert.Equal(t, "it's", def.Get("raw_expr").As("A_Const").Get("sval").S("sval"))
	assert.Equal(t, "b", alter.Get("cmds").Index(1).As("AlterTableCmd").Get("def").As("ColumnDef").S("colname"))

	// Absent things read as zero values, never panic.
	none := alter.Get("nope")
	assert.False(t, none.Exists())
	assert.Equal(t, "", none.S("x"))
	assert.Equal(t, 0, none.I("x"))
	assert.False(t, none.B("x"))
	assert.Empty(t, none.A("x"))
	assert.False(t, alter.As("RangeVar").Exists())
	typ, _ = none.Type()
	assert.Equal(t, "", typ)
	assert.False(t, cmds[0].Index(5).Exists())

	_, upd := stmts[1].Tree.Type()
	assert.True(t, upd.Has("whereClause"))
	assert.Equal(t, -1, upd.A("targetList")[0].As("ResTarget").Get("val").As("A_Const").Get("ival").I("ival"))
}
