package annotate

import "fmt"

// Unsupported is syntax in a statement that the target PostgreSQL version
// rejects although the parser, which is PostgreSQL 17's (pg_query),
// accepts it.
type Unsupported struct {
	Pos     int    // byte offset in the file (the statement's start when the parser keeps no position)
	Feature string // e.g. "MERGE", "a subquery in FROM without an alias"
	Since   int    // the first major version that accepts it
}

// UnsupportedSyntax returns what in st needs a newer PostgreSQL than
// version, for the constructs recognisable from the parse tree: MERGE
// (15), MERGE ... RETURNING and WHEN NOT MATCHED BY SOURCE (17), a
// subquery in FROM without an alias (16), NULLS NOT DISTINCT (15), the
// SQL/JSON functions (IS JSON and JSON_OBJECT/JSON_ARRAY 16, JSON_TABLE,
// JSON_QUERY, JSON_VALUE, JSON_EXISTS, JSON(), JSON_SCALAR,
// JSON_SERIALIZE 17), ALTER COLUMN ... SET EXPRESSION (17), DROP
// EXPRESSION (13), CREATE OR REPLACE TRIGGER, SQL-standard function
// bodies, column COMPRESSION and DETACH PARTITION CONCURRENTLY (14),
// SET ACCESS METHOD (15), REINDEX CONCURRENTLY and stored generated
// columns (12), procedures and INCLUDE indexes (11). Inner statements of a
// DO block are checked through their own [Statement]. Syntax the scanner
// alone decides (such as 1_000 literals, 16) is not seen, nor SQL/JSON in
// a column default.
func UnsupportedSyntax(st Statement, version int) []Unsupported {
	if version >= 17 {
		return nil
	}
	var out []Unsupported
	add := func(v Node, since int, feature string) {
		if version >= since {
			return
		}
		pos := v.I("location")
		if pos < st.Start || pos > st.End {
			pos = st.Start
		}
		out = append(out, Unsupported{Pos: pos, Feature: feature, Since: since})
	}
	check := func(key string, v Node) bool {
		switch key {
		case "RangeSubselect":
			if !v.Has("alias") {
				add(v, 16, "a subquery in FROM without an alias")
			}
		case "MergeStmt":
			add(v, 15, "MERGE")
			if v.Has("returningList") {
				add(v, 17, "MERGE ... RETURNING")
			}
		case "MergeWhenClause":
			if v.Is("matchKind", "MERGE_WHEN_NOT_MATCHED_BY_SOURCE") {
				add(v, 17, "MERGE ... WHEN NOT MATCHED BY SOURCE")
			}
		case "IndexStmt":
			if v.B("nulls_not_distinct") {
				add(v, 15, "NULLS NOT DISTINCT")
			}
			if v.Has("indexIncludingParams") {
				add(v, 11, "INCLUDE columns in an index")
			}
		case "Constraint":
			if v.B("nulls_not_distinct") {
				add(v, 15, "NULLS NOT DISTINCT")
			}
			if v.Is("contype", "CONSTR_GENERATED") {
				add(v, 12, "a generated column")
			}
			if len(v.A("including")) > 0 {
				add(v, 11, "INCLUDE columns in a constraint")
			}
		case "JsonTable":
			add(v, 17, "JSON_TABLE")
		case "JsonFuncExpr":
			add(v, 17, "JSON_QUERY, JSON_VALUE or JSON_EXISTS")
		case "JsonParseExpr", "JsonScalarExpr", "JsonSerializeExpr":
			add(v, 17, "JSON(), JSON_SCALAR or JSON_SERIALIZE")
		case "JsonIsPredicate":
			add(v, 16, "IS JSON")
		case "JsonObjectConstructor", "JsonArrayConstructor", "JsonArrayQueryConstructor", "JsonObjectAgg", "JsonArrayAgg":
			add(v, 16, "the SQL/JSON constructors (JSON_OBJECT, JSON_ARRAY, JSON_OBJECTAGG, JSON_ARRAYAGG)")
		case "CreateTrigStmt":
			if v.B("replace") {
				add(v, 14, "CREATE OR REPLACE TRIGGER")
			}
		case "CreateFunctionStmt":
			if v.Has("sql_body") {
				add(v, 14, "a SQL-standard function body (BEGIN ATOMIC or RETURN)")
			}
			if v.B("is_procedure") {
				add(v, 11, "CREATE PROCEDURE")
			}
		case "CallStmt":
			add(v, 11, "CALL")
		case "ColumnDef":
			if v.Has("compression") {
				add(v, 14, "COMPRESSION")
			}
		case "AlterTableCmd":
			switch {
			case v.Is("subtype", "AT_SetExpression"):
				add(v, 17, "ALTER COLUMN ... SET EXPRESSION")
			case v.Is("subtype", "AT_DropExpression"):
				add(v, 13, "ALTER COLUMN ... DROP EXPRESSION")
			case v.Is("subtype", "AT_SetAccessMethod"):
				add(v, 15, "SET ACCESS METHOD")
			case v.Is("subtype", "AT_SetCompression"):
				add(v, 14, "SET COMPRESSION")
			case v.Is("subtype", "AT_DetachPartitionFinalize"):
				add(v, 14, "DETACH PARTITION ... FINALIZE")
			case v.Is("subtype", "AT_DetachPartition") && v.Get("def").As("PartitionCmd").B("concurrent"):
				add(v, 14, "DETACH PARTITION ... CONCURRENTLY")
			}
		case "ReindexStmt":
			if v.Has("params") && hasOption(v.A("params"), "concurrently") {
				add(v, 12, "REINDEX CONCURRENTLY")
			}
		}
		return true
	}
	// Walking a whole tree costs about what decoding it does: DDL, most of
	// a migration, is looked at where its new syntax can be; statements
	// with queries (where a subquery or SQL/JSON can hide) are walked.
	typ, v := st.Tree.Type()
	switch typ {
	case "CreateStmt":
		for _, e := range v.A("tableElts") {
			element(e, check)
		}
	case "AlterTableStmt":
		for _, c := range v.A("cmds") {
			cmd := c.As("AlterTableCmd")
			check("AlterTableCmd", cmd)
			element(cmd.Get("def"), check)
		}
	case "IndexStmt", "CreateTrigStmt", "CreateFunctionStmt", "CallStmt", "ReindexStmt":
		check(typ, v)
	case "SelectStmt", "InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt", "CreateTableAsStmt", "ViewStmt", "ExplainStmt", "DeclareCursorStmt", "CopyStmt", "RuleStmt":
		walk(st.Tree, check)
	}
	return out
}

// element checks a column definition (and its constraints) or a table
// constraint.
func element(e Node, check func(string, Node) bool) {
	if cd := e.As("ColumnDef"); cd.Exists() {
		check("ColumnDef", cd)
		for _, c := range cd.A("constraints") {
			check("Constraint", c.As("Constraint"))
		}
	} else if con := e.As("Constraint"); con.Exists() {
		check("Constraint", con)
	}
}

// String describes u for a message: "MERGE needs PostgreSQL 15".
func (u Unsupported) String() string {
	return fmt.Sprintf("%s needs PostgreSQL %d", u.Feature, u.Since)
}
