package annotate

import (
	"fmt"
	"strings"
)

// A bulk write is an UPDATE or DELETE whose WHERE clause does not pin the
// rows down by an indexed key: it touches most of the table in one
// transaction (docs/rules.md, bulk-dml).

// selective reports whether a WHERE clause limits an UPDATE or DELETE of
// the table key (aliased or not) to rows found through an indexed key: a
// comparison (=, IN, ANY, BETWEEN, <, >) of an indexed column with a value
// that is not a column of the tables the statement joins. Conjuncts: one
// selective term is enough; disjuncts: every branch must be. When the
// table's indexes are unknown (it was created outside the migrations
// analysed), an equality on any column and a range on id and *_id
// columns count as key lookups.
func (a *analyzer) selective(where Node, key string, names []string) bool {
	typ, v := where.Type()
	switch typ {
	case "BoolExpr":
		args := v.A("args")
		switch v.S("boolop") {
		case "AND_EXPR":
			// A range pins rows down when it is bounded on both sides.
			var lower, upper []string
			for _, x := range args {
				if a.selective(x, key, names) {
					return true
				}
				if col, lo, ok := a.rangeBound(x, key, names); ok {
					if lo {
						lower = append(lower, col)
					} else {
						upper = append(upper, col)
					}
					if contains(lower, col) && contains(upper, col) {
						return true
					}
				}
			}
			return false
		case "OR_EXPR":
			for _, x := range args {
				if !a.selective(x, key, names) {
					return false
				}
			}
			return len(args) > 0
		}
		return false
	case "A_Expr":
		switch v.S("kind") {
		case "AEXPR_OP", "AEXPR_IN", "AEXPR_OP_ANY", "AEXPR_BETWEEN":
		default:
			return false
		}
		op := ""
		if n := v.A("name"); len(n) > 0 {
			op = n[0].Sval()
		}
		switch op {
		case "=", "BETWEEN":
		default:
			return false // a one-sided range (id > 0) is open: see rangeBound
		}
		l, r := v.Get("lexpr"), v.Get("rexpr")
		eq := op == "=" && v.S("kind") != "AEXPR_OP_ANY" || v.S("kind") == "AEXPR_IN"
		if col, ok := ownColumn(l, names); ok && a.isKey(key, col, eq) && !joins(r, names) && !unbounded(r) {
			return true
		}
		if col, ok := ownColumn(r, names); ok && a.isKey(key, col, eq) && !joins(l, names) && !unbounded(l) {
			return true
		}
	case "CurrentOfExpr":
		return true // WHERE CURRENT OF cursor: one row
	case "SubLink":
		// col IN (SELECT ... LIMIT n), the batching idiom. Without LIMIT
		// the subquery decides the rows, as a join does.
		if v.S("subLinkType") == "ANY_SUBLINK" {
			col, ok := ownColumn(v.Get("testexpr"), names)
			return ok && a.isKey(key, col, true) && v.Get("subselect").As("SelectStmt").Has("limitCount")
		}
	}
	return false
}

// rangeBound returns the key column a one-sided range on it (col > v,
// v <= col, ...) bounds, and whether it is a lower bound.
func (a *analyzer) rangeBound(n Node, key string, names []string) (string, bool, bool) {
	v := n.As("A_Expr")
	if v.S("kind") != "AEXPR_OP" || len(v.A("name")) == 0 {
		return "", false, false
	}
	op := v.A("name")[0].Sval()
	lower := op == ">" || op == ">="
	if !lower && op != "<" && op != "<=" {
		return "", false, false
	}
	l, r := v.Get("lexpr"), v.Get("rexpr")
	if col, ok := ownColumn(l, names); ok && a.isKey(key, col, false) && !joins(r, names) && !unbounded(r) {
		return col, lower, true
	}
	if col, ok := ownColumn(r, names); ok && a.isKey(key, col, false) && !joins(l, names) && !unbounded(l) {
		return col, !lower, true
	}
	return "", false, false
}

// mergeBulk reports whether a MERGE (content v) that updates or deletes
// matched rows finds them by a join rather than by an indexed key of its
// target: it touches most of the table, like UPDATE ... FROM.
func (a *analyzer) mergeBulk(v Node) bool {
	changes := false
	for _, w := range v.A("mergeWhenClauses") {
		c := w.As("MergeWhenClause")
		if c.S("matchKind") != "MERGE_WHEN_NOT_MATCHED_BY_TARGET" && (c.S("commandType") == "CMD_UPDATE" || c.S("commandType") == "CMD_DELETE") {
			changes = true
		}
	}
	rv := v.Get("relation")
	return changes && !a.selective(v.Get("joinCondition"), rangeVarKey(rv), relNames(rv, []Node{v.Get("sourceRelation")}))
}

// unbounded reports whether a value holds ARRAY(SELECT ...) without a
// LIMIT: col = ANY(ARRAY(SELECT ...)) then matches whatever the subquery
// returns, as a join does.
func unbounded(n Node) bool {
	found := false
	walk(n, func(key string, v Node) bool {
		if found {
			return false
		}
		if key == "SubLink" {
			if v.S("subLinkType") == "ARRAY_SUBLINK" && !v.Get("subselect").As("SelectStmt").Has("limitCount") {
				found = true
			}
			return false
		}
		return true
	})
	return found
}

// ownColumn returns the column a ColumnRef names when it is a column of
// the statement's tables (unqualified, or qualified by one of names).
func ownColumn(n Node, names []string) (string, bool) {
	if tc := n.As("TypeCast"); tc.Exists() {
		n = tc.Get("arg")
	}
	fields := n.As("ColumnRef").A("fields")
	switch len(fields) {
	case 1:
		return fields[0].Sval(), fields[0].Sval() != ""
	case 2:
		return fields[1].Sval(), contains(names, fields[0].Sval())
	}
	return "", false
}

// joins reports whether an expression reads a column of the statement's
// own tables, which makes a comparison a join rather than a lookup. A
// qualified name of another relation is a PL/pgSQL variable or an outer
// reference: a value.
func joins(n Node, names []string) bool {
	found := false
	walk(n, func(key string, v Node) bool {
		if found {
			return false
		}
		if key == "ColumnRef" {
			fields := v.A("fields")
			if len(fields) == 1 || len(fields) >= 2 && contains(names, fields[len(fields)-2].Sval()) {
				found = true
			}
			return false
		}
		return key != "SubLink"
	})
	return found
}

// isKey reports whether col leads an index of the table key. When the
// table's indexes are unknown, an equality (eq) on any column may be a key
// lookup, and a range counts on id and *_id columns.
func (a *analyzer) isKey(key, col string, eq bool) bool {
	if t := a.schema.table(key); t != nil && t.keys != nil {
		return t.keys[col]
	}
	return eq || col == "id" || strings.HasSuffix(col, "_id")
}

// relNames returns the names a statement's tables go by: the target's
// name and alias and those of FROM / USING relations.
func relNames(target Node, more []Node) []string {
	var out []string
	add := func(rv Node) {
		if n := rv.S("relname"); n != "" {
			out = append(out, n)
		}
		if al := rv.Get("alias").S("aliasname"); al != "" {
			out = append(out, al)
		}
	}
	add(target)
	for _, m := range more {
		add(m.As("RangeVar"))
	}
	return out
}

// copySources returns the keys of the tables a query reads.
func copySources(query Node) []string {
	var out []string
	walk(query, func(key string, v Node) bool {
		if key == "RangeVar" {
			if k := rangeVarKey(v); k != "" && !contains(out, k) {
				out = append(out, k)
			}
			return false
		}
		return true
	})
	return out
}

// dml analyses what a query statement (n, whose content is v) does
// beyond its own target: the writes of its data-modifying WITH queries,
// which are statements of their own (an UPDATE or DELETE there touches
// rows like a top-level one), and calls of functions safemigrate does not
// know, which make the statement opaque. It reports whether the
// statement is opaque.
func (a *analyzer) dml(n, v Node) bool {
	if a.inCTE {
		return false // the enclosing statement looks at the whole tree
	}
	if ctes := v.Get("withClause").A("ctes"); len(ctes) > 0 {
		kind := a.stmt.Kind
		a.inCTE = true
		for _, c := range ctes {
			q := c.As("CommonTableExpr").Get("ctequery")
			switch typ, _ := q.Type(); typ {
			case "InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt":
				a.statement(q)
			}
		}
		a.inCTE = false
		a.stmt.Kind = kind
	}
	if containsFold(a.stmt.SQL, "set_config") {
		a.setConfig(n)
	}
	return a.callsUnknown(n)
}

// callsUnknown makes the statement opaque when n, a part of it that runs
// (a query, a default filled in for every row), calls a function
// safemigrate does not know; it reports whether it did.
func (a *analyzer) callsUnknown(n Node) bool {
	if !a.mayCallUnknown(a.stmt.SQL) {
		return false
	}
	if name := a.unknownFunc(n); name != "" {
		a.opaque(a.stmt.Start, fmt.Sprintf("calls %s(), whose effect safemigrate cannot see", name))
		return true
	}
	return false
}

// setConfig follows set_config('timezone', value, is_local) calls, which
// set the session time zone as SET does: a constant value is read like
// SET's, any other makes the time zone unknown.
func (a *analyzer) setConfig(n Node) {
	walk(n, func(key string, v Node) bool {
		if key != "FuncCall" || funcName(v) != "set_config" {
			return true
		}
		args := v.A("args")
		if len(args) != 3 || !strings.EqualFold(constString(args[0]), "timezone") {
			return true
		}
		local := args[2].As("A_Const").Get("boolval")
		if a.noTxn && local.Exists() && local.B("boolval") {
			return true // local to a transaction that ends with the statement
		}
		a.utc = zeroOffsetZone(args[1])
		return true
	})
}

// constString returns the value of a string constant (cast or not), ""
// for anything else.
func constString(n Node) string {
	if tc := n.As("TypeCast"); tc.Exists() {
		n = tc.Get("arg")
	}
	return n.As("A_Const").Get("sval").S("sval")
}

// mayCallUnknown is a quick look at a statement's text before its tree
// is walked for calls (a seed INSERT of many rows is a big tree): false
// when every word directly before a "(" is a keyword, a known built-in or
// a name the statement gives a relation or its columns. A false alarm
// only costs the walk, which decides.
func (a *analyzer) mayCallUnknown(sql string) bool {
	for i := 0; i < len(sql); i++ {
		if sql[i] != '(' {
			continue
		}
		j := i
		for j > 0 && (sql[j-1] == ' ' || sql[j-1] == '\t' || sql[j-1] == '\n' || sql[j-1] == '\r') {
			j--
		}
		k := j
		for k > 0 && (sql[k-1] == '_' || sql[k-1] >= 'a' && sql[k-1] <= 'z' || sql[k-1] >= 'A' && sql[k-1] <= 'Z' || sql[k-1] >= '0' && sql[k-1] <= '9') {
			k--
		}
		if k == j {
			if j > 0 && sql[j-1] == '"' {
				return true // a quoted name: walk
			}
			continue // "((", ", (", "= (": no call
		}
		w := strings.ToLower(sql[k:j])
		// A schema-qualified name is a user function whatever its
		// name, unless the schema is pg_catalog.
		before, qualified := sql[:k], strings.HasSuffix(sql[:k], ".")
		if qualified {
			q := before[:len(before)-1]
			before = strings.TrimRight(q, "_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789\"")
			qualified = !strings.EqualFold(strings.Trim(q[len(before):], `"`), "pg_catalog")
		}
		if !qualified && (callFree[w] || knownFunc(w) || newerFuncs[w] != 0 && a.version >= newerFuncs[w]) {
			continue
		}
		// INSERT INTO [schema.]t (cols), an alias's column list, a CTE
		// name. Not after FROM or JOIN: a function there is a call.
		switch strings.ToLower(lastWord(before)) {
		case "into", "as", "with", "table":
			continue
		}
		return true
	}
	return false
}

// lastWord returns the word that ends s (after trailing blanks).
func lastWord(s string) string {
	s = strings.TrimRight(s, " \t\r\n")
	i := strings.LastIndexAny(s, " \t\r\n(,")
	return s[i+1:]
}

// callFree are keywords a "(" follows without a function call.
var callFree = map[string]bool{
	"values": true, "in": true, "any": true, "all": true, "some": true, "array": true, "exists": true,
	"as": true, "on": true, "and": true, "or": true, "not": true, "by": true, "over": true, "filter": true,
	"within": true, "using": true, "row": true, "select": true, "where": true, "when": true, "then": true,
	"else": true, "is": true, "lateral": true, "set": true, "returning": true, "conflict": true, "do": true,
	"cast": true, "coalesce": true, "nullif": true, "greatest": true, "least": true, "interval": true,
	"numeric": true, "decimal": true, "varchar": true, "char": true, "timestamp": true, "timestamptz": true,
	"time": true, "bit": true, "float": true, "with": true, "materialized": true, "grouping": true, "rollup": true,
	"cube": true, "sets": true, "distinct": true, "limit": true, "offset": true, "union": true, "except": true,
	"intersect": true, "like": true, "similar": true, "between": true, "to": true, "into": true,
}

// newerFuncs are built-in functions that older PostgreSQL versions do
// not have: the major version that added each.
var newerFuncs = map[string]int{
	"any_value": 16, "random_normal": 16, "array_sample": 16, "array_shuffle": 16,
	"system_user": 16, "pg_input_is_valid": 16, "pg_input_error_info": 16, "date_add": 16, "date_subtract": 16,
	"uuid_extract_timestamp": 17, "uuid_extract_version": 17, "to_bin": 17, "to_oct": 17,
}

// unknownFunc returns the first function a statement calls that is not a
// built-in of the target version ([unknownCall]).
func (a *analyzer) unknownFunc(n Node) string { return unknownCall(n, a.version) }

// unknownCall returns the first function n calls that is not a built-in
// safemigrate knows in PostgreSQL version (0: only those of every
// version), qualified by its schema when the SQL names one; "" when there
// is none. A call qualified by a schema other than pg_catalog is never a
// built-in, whatever its name.
func unknownCall(n Node, version int) string {
	found := ""
	walk(n, func(key string, v Node) bool {
		if found != "" {
			return false
		}
		if key != "FuncCall" {
			return true
		}
		fn := v.A("funcname")
		name := funcName(v)
		schema := ""
		if len(fn) > 1 {
			schema = strings.ToLower(fn[len(fn)-2].Sval())
		}
		since, newer := newerFuncs[name]
		known := knownFunc(name) || newer && version >= since
		if schema != "" && schema != "pg_catalog" || !known {
			found = name
			if schema != "" {
				found = schema + "." + name
			}
			return false
		}
		return true
	})
	return found
}

// selectInto analyses SELECT ... INTO table, which creates the table
// from the query, as CREATE TABLE ... AS does; sel is the SelectStmt
// node.
func (a *analyzer) selectInto(sel, rv Node) {
	a.kind("SELECT INTO")
	key := rangeVarKey(rv)
	a.created[key] = true
	a.schema.ensure(key).keys = map[string]bool{}
	// The copy reads the rest of the statement: the query without INTO.
	a.copies(sel, key)
	obj := relObject("table", rv)
	a.add(Action{Op: OpCreateTable, Object: obj, Table: obj.String(), New: true, Effect: Expand,
		Reason: fmt.Sprintf("creates table %s: old code does not know it", obj)})
}

// tableList prints the tables of a list of RangeVars: "users, orders".
func tableList(rels []Node) string {
	var names []string
	for _, r := range rels {
		names = append(names, relObject("table", r.As("RangeVar")).String())
	}
	return strings.Join(names, ", ")
}

// allCreated reports whether every table of a RangeVar list was created
// in this migration.
func (a *analyzer) allCreated(rels []Node) bool {
	for _, r := range rels {
		if !a.created[rangeVarKey(r.As("RangeVar"))] {
			return false
		}
	}
	return len(rels) > 0
}

// onCreated reports whether a GRANT / REVOKE is on objects created in
// this migration only: REVOKE ALL ON a new table (or function, procedure,
// schema, sequence, type, domain) FROM PUBLIC takes nothing from old
// code. So does one on everything in a schema created here, and on the
// sequence of a serial or identity column added here. CREATE OR REPLACE
// and IF NOT EXISTS do not count: the object may be old code's.
func (a *analyzer) onCreated(v Node) bool {
	objs := v.A("objects")
	if len(objs) == 0 {
		return false
	}
	if v.S("targtype") == "ACL_TARGET_ALL_IN_SCHEMA" {
		for _, o := range objs {
			if !a.createdObject("schema", "", o.Sval()) {
				return false
			}
		}
		return true
	}
	if v.S("targtype") != "ACL_TARGET_OBJECT" {
		return false
	}
	kind := ""
	switch v.S("objtype") {
	case "OBJECT_TABLE":
		// ON TABLE names views and sequences too.
		for _, o := range objs {
			rv := o.As("RangeVar")
			if !a.created[rangeVarKey(rv)] && !a.serialSequence("sequence", relObject("sequence", rv)) && !a.createdObject("sequence", rv.S("schemaname"), rv.S("relname")) {
				return false
			}
		}
		return true
	case "OBJECT_FUNCTION":
		kind = "function"
	case "OBJECT_PROCEDURE":
		kind = "procedure"
	case "OBJECT_ROUTINE":
		kind = "routine"
	case "OBJECT_SCHEMA":
		kind = "schema"
	case "OBJECT_SEQUENCE":
		kind = "sequence"
	case "OBJECT_TYPE":
		kind = "type"
	case "OBJECT_DOMAIN":
		kind = "domain"
	default:
		return false
	}
	for _, o := range objs {
		var obj Object
		args := -1 // argument count of a routine, -1 when not given
		switch typ, ov := o.Type(); typ {
		case "ObjectWithArgs":
			obj = qualified(kind, ov.A("objname"))
			if !ov.B("args_unspecified") {
				args = len(ov.A("objargs"))
			}
		case "RangeVar":
			obj = relObject(kind, ov)
		case "List":
			obj = qualified(kind, ov.A("items"))
		case "String":
			obj = Object{Kind: kind, Name: ov.S("sval")}
		}
		if obj.Name == "" || !a.createdObject(kind, obj.Schema, obj.Name) && !a.createdRoutine(kind, obj, args) && !a.serialSequence(kind, obj) {
			return false
		}
	}
	return true
}

// createdObject reports whether an earlier statement of this migration
// created the object of that kind (a type or domain also being a type),
// not OR REPLACE nor IF NOT EXISTS, or whether it lives in a schema
// created so.
func (a *analyzer) createdObject(kind, schema, name string) bool {
	key := relKey(schema, name)
	for i := range a.done {
		for _, s := range a.done[i].Flatten() {
			for _, act := range s.Actions {
				if act.Op != OpCreate || act.IfExists || act.Object.Name == "" {
					continue
				}
				if act.Object.Kind == "schema" && schema != "" && act.Object.Name == schema {
					return true
				}
				same := act.Object.Kind == kind || kind == "type" && act.Object.Kind == "domain" || kind == "domain" && act.Object.Kind == "type"
				if same && kind != "function" && kind != "procedure" && kind != "routine" && relKey(act.Object.Schema, act.Object.Name) == key {
					return true
				}
			}
		}
	}
	return false
}

// createdRoutine reports whether an earlier CREATE FUNCTION or CREATE
// PROCEDURE of this migration (not OR REPLACE) created obj, with args
// input arguments when args >= 0.
func (a *analyzer) createdRoutine(kind string, obj Object, args int) bool {
	switch kind {
	case "function", "procedure", "routine":
	default:
		return false
	}
	key := relKey(obj.Schema, obj.Name)
	for i := range a.done {
		for _, s := range a.done[i].Flatten() {
			fn := s.Tree.As("CreateFunctionStmt")
			if !fn.Exists() || fn.B("replace") || relKey(qualified(kind, fn.A("funcname")).Schema, qualified(kind, fn.A("funcname")).Name) != key {
				continue
			}
			if kind == "function" && fn.B("is_procedure") || kind == "procedure" && !fn.B("is_procedure") {
				continue
			}
			if args < 0 {
				return true
			}
			in := 0
			for _, p := range fn.A("parameters") {
				switch p.As("FunctionParameter").S("mode") {
				case "FUNC_PARAM_OUT", "FUNC_PARAM_TABLE":
				default:
					in++
				}
			}
			if in == args {
				return true
			}
		}
	}
	return false
}

// serialSequence reports whether obj is the sequence of a serial or
// identity column that an earlier statement of this migration created
// (with its table or by ADD COLUMN): <table>_<column>_seq.
func (a *analyzer) serialSequence(kind string, obj Object) bool {
	if kind != "sequence" || !strings.HasSuffix(obj.Name, "_seq") {
		return false
	}
	key := relKey(obj.Schema, obj.Name)
	for i := range a.done {
		for _, s := range a.done[i].Flatten() {
			var rv Node
			switch typ, v := s.Tree.Type(); typ {
			case "CreateStmt":
				rv = v.Get("relation")
				if v.B("if_not_exists") {
					continue
				}
			case "AlterTableStmt":
				rv = v.Get("relation")
			default:
				continue
			}
			found := false
			walk(s.Tree, func(k string, c Node) bool {
				if found || k != "ColumnDef" {
					return !found
				}
				if serialColumn(c) && relKey(rv.S("schemaname"), rv.S("relname")+"_"+c.S("colname")+"_seq") == key {
					found = true
				}
				return false
			})
			if found {
				return true
			}
		}
	}
	return false
}

// serialColumn reports whether a ColumnDef is serial or an identity
// column, either of which creates a sequence with the column.
func serialColumn(c Node) bool {
	names := c.Get("typeName").A("names")
	if len(names) > 0 {
		switch strings.ToLower(names[len(names)-1].Sval()) {
		case "serial", "bigserial", "smallserial", "serial2", "serial4", "serial8":
			return true
		}
	}
	for _, con := range c.A("constraints") {
		if con.As("Constraint").S("contype") == "CONSTR_IDENTITY" {
			return true
		}
	}
	return false
}

// explain analyses EXPLAIN: with ANALYZE the statement runs, and is
// analysed as if it stood on its own (an EXPLAIN ANALYZE UPDATE updates).
func (a *analyzer) explain(v Node) {
	for _, o := range v.A("options") {
		d := o.As("DefElem")
		if d.S("defname") != "analyze" {
			continue
		}
		if arg := d.Get("arg"); arg.Exists() && !truthy(arg) {
			break
		}
		a.statement(v.Get("query"))
		a.kind("EXPLAIN ANALYZE")
		return
	}
	a.kind("UTILITY")
	a.add(Action{Op: OpOther, Effect: Neutral, Rerunnable: true, Reason: "changes nothing in the schema"})
}

// truthy reports whether an EXPLAIN option value turns the option on:
// true, on, 1 (the parser gives a String or an Integer).
func truthy(n Node) bool {
	if n.As("Integer").Exists() {
		return n.As("Integer").I("ival") != 0
	}
	switch strings.ToLower(n.Sval()) {
	case "false", "off", "0", "no":
		return false
	}
	return true
}

// containsFold reports whether s holds word (lower case), in any case,
// without copying s.
func containsFold(s, word string) bool {
	for i := 0; i+len(word) <= len(s); i++ {
		if s[i]|0x20 == word[0] && strings.EqualFold(s[i:i+len(word)], word) {
			return true
		}
	}
	return false
}
