package annotate

import (
	"fmt"
	"slices"
	"strings"
)

// Analyze fills in the analysis fields of stmts (one migration, in file
// order), suggests the migration's safe value, and then records in s what
// the migration created, changed and dropped, so that the next migration
// analysed through s sees it. It returns an Analysis holding stmts.
func (s *Schema) Analyze(stmts []Statement, opts Options) *Analysis {
	a := &analyzer{schema: s, version: opts.Version(), noTxn: opts.NoTransaction, created: map[string]bool{}, createdIdx: map[string]bool{}, pendingViews: map[string]*viewDrop{}, copied: map[string]int{},
		first: s.analysed == 0 && !s.catalog}
	s.analysed++
	for i := range stmts {
		a.done = stmts[:i]
		a.stmt = &stmts[i]
		a.stmt.Actions, a.stmt.Inner = a.stmt.Actions[:0], nil
		a.stmt.Transactional = true
		a.statement(stmts[i].Tree)
		a.summarise()
	}
	a.finishViews()
	return suggest(stmts)
}

type analyzer struct {
	schema     *Schema
	version    int
	noTxn      bool            // the migration runs outside a transaction
	inCTE      bool            // analysing a data-modifying WITH query of the statement
	created    map[string]bool // tables created in this migration
	createdIdx map[string]bool // indexes created in this migration
	stmt       *Statement
	done       []Statement // the statements before stmt, analysed
	utc        bool        // SET timezone = 'UTC' earlier in the migration
	// first: the migration is the first of its history, and no live
	// catalog says what exists (see surelyNew).
	first bool
	// viewDrops are the views this migration dropped, in order;
	// pendingViews those not re-created yet, by key.
	viewDrops    []*viewDrop
	pendingViews map[string]*viewDrop
	// copied: tables this migration copied rows from into another table,
	// with the line of the copy.
	copied map[string]int
}

// copies records the tables a query that fills table into reads from.
func (a *analyzer) copies(query Node, into string) {
	if sel := query.As("SelectStmt"); !sel.Has("fromClause") && !sel.Has("larg") && !sel.Has("withClause") {
		return // INSERT ... VALUES reads no table
	}
	for _, k := range copySources(query) {
		if k != into && !a.created[k] {
			if _, seen := a.copied[k]; !seen {
				a.copied[k] = a.stmt.Line
			}
		}
	}
}

func (a *analyzer) add(act Action) {
	if act.Pos == 0 {
		act.Pos = a.stmt.Start
	}
	if act.Effect == "" {
		act.Effect = Neutral
	}
	a.stmt.Actions = append(a.stmt.Actions, act)
}

// pos converts a parse-tree location field into a file offset, falling
// back to the statement start. Parse-tree locations are byte offsets into
// the parsed text, which is the whole file.
func (a *analyzer) pos(n Node) int {
	loc := n.I("location")
	if loc <= 0 || loc < a.stmt.Start || loc > a.stmt.End {
		return a.stmt.Start
	}
	return loc
}

// relObject builds an object from a RangeVar node's content.
func relObject(kind string, rv Node) Object {
	return Object{Kind: kind, Schema: rv.S("schemaname"), Name: rv.S("relname")}
}

func colObject(rv Node, col string) Object {
	o := relObject("column", rv)
	o.Column = col
	return o
}

// nameObject builds an object from a qualified name (DROP, COMMENT): a
// List of Strings, a String, a TypeName or an ObjectWithArgs.
func nameObject(kind string, n Node) Object {
	var parts []Node
	typ, v := n.Type()
	switch typ {
	case "List":
		parts = v.A("items")
	case "String":
		parts = []Node{n}
	case "TypeName":
		parts = v.A("names")
	case "ObjectWithArgs":
		parts = v.A("objname")
	}
	return qualified(kind, parts)
}

// qualified builds an object from a list of String nodes.
func qualified(kind string, parts []Node) Object {
	switch len(parts) {
	case 0:
		return Object{Kind: kind}
	case 1:
		return Object{Kind: kind, Name: parts[0].Sval()}
	default:
		return Object{Kind: kind, Schema: parts[len(parts)-2].Sval(), Name: parts[len(parts)-1].Sval()}
	}
}

func (a *analyzer) statement(n Node) {
	typ, v := n.Type()
	switch typ {
	case "CreateStmt":
		a.kind("CREATE TABLE")
		a.createTable(v)
	case "CreateTableAsStmt":
		a.kind("CREATE TABLE AS")
		rv := v.Get("into").Get("rel").As("RangeVar")
		if !rv.Exists() {
			rv = v.Get("into").Get("rel")
		}
		key := rangeVarKey(rv)
		kind := "table"
		if v.S("objtype") == "OBJECT_MATVIEW" {
			kind = "materialized view"
		}
		obj := relObject(kind, rv)
		ine := v.B("if_not_exists")
		if ine && a.schema.exists(key) {
			a.add(Action{Op: OpCreateTable, Object: obj, Table: obj.String(), Lock: NoLock, Effect: Neutral, IfExists: true, Rerunnable: true,
				Reason: fmt.Sprintf("creates %s %s if it does not exist, and it does: nothing happens", kind, obj)})
			break
		}
		a.created[key] = a.created[key] || a.surelyNew(key, ine)
		a.schema.forget(key)
		a.schema.ensure(key).keys = map[string]bool{}
		a.copies(v.Get("query"), key)
		if !v.Get("into").B("skipData") {
			a.callsUnknown(v.Get("query")) // the query runs now
		}
		a.add(Action{Op: OpCreateTable, Object: obj, Table: obj.String(), New: true, Effect: Expand,
			Reason: fmt.Sprintf("creates %s %s: old code does not know it", kind, obj), IfExists: ine, Rerunnable: ine})
		if kind == "materialized view" {
			a.recreated(key, obj, v.Get("query"), v.Get("into").A("colNames"))
		}
	case "IndexStmt":
		a.kind("CREATE INDEX")
		a.createIndex(v)
	case "AlterTableStmt":
		a.kind("ALTER TABLE")
		a.alterTable(v)
	case "DropStmt":
		a.kind("DROP")
		a.drop(v)
	case "DropdbStmt":
		a.kind("DROP DATABASE")
		a.stmt.Transactional = false
		name, missing := v.S("dbname"), v.B("missing_ok")
		a.add(Action{Op: OpDropDatabase, Object: Object{Kind: "database", Name: name}, Effect: Contract, IfExists: missing, Rerunnable: missing,
			Reason: fmt.Sprintf("drops database %s: everything in it is gone", name)})
	case "RenameStmt":
		a.kind("RENAME")
		a.rename(v)
	case "AlterObjectSchemaStmt":
		a.kind("ALTER SET SCHEMA")
		rv := v.Get("relation")
		kind := objectKind(v.S("objectType"))
		obj := relObject(kind, rv)
		if !rv.Exists() {
			obj = nameObject(kind, v.Get("object"))
		}
		a.add(Action{Op: OpRename, Object: obj, Table: tableName(rv), Lock: AccessExclusive, New: a.created[rangeVarKey(rv)], Effect: Contract,
			Reason: fmt.Sprintf("moves %s %s to schema %s: old code naming it fails", obj.Kind, obj, v.S("newschema"))})
	case "TruncateStmt":
		a.kind("TRUNCATE")
		for _, r := range v.A("relations") {
			rv := r.As("RangeVar")
			a.add(Action{Op: OpTruncate, Object: relObject("table", rv), Table: tableName(rv), Lock: AccessExclusive, New: a.created[rangeVarKey(rv)], Effect: Data, Rerunnable: true,
				Reason: fmt.Sprintf("truncates %s: every row is removed", relObject("table", rv))})
		}
		if v.S("behavior") == "DROP_CASCADE" && !a.allCreated(v.A("relations")) {
			a.opaque(a.stmt.Start, "truncates, with CASCADE, every table that references "+tableList(v.A("relations"))+", which safemigrate cannot list")
		}
	case "VacuumStmt":
		a.vacuum(v)
	case "ClusterStmt":
		a.kind("CLUSTER")
		rv := v.Get("relation")
		if !rv.Exists() {
			a.stmt.Transactional = false
		}
		a.add(Action{Op: OpCluster, Object: relObject("table", rv), Table: tableName(rv), Lock: AccessExclusive, Rewrite: true, New: a.created[rangeVarKey(rv)], Effect: Neutral, Rerunnable: true,
			Reason: "reorders a table physically: no change old code can see"})
	case "ReindexStmt":
		a.reindex(v)
	case "InsertStmt":
		a.kind("INSERT")
		rv := v.Get("relation")
		a.dml(n, v)
		a.copies(v.Get("selectStmt"), rangeVarKey(rv))
		a.add(Action{Op: OpInsert, Object: relObject("table", rv), Table: tableName(rv), Lock: RowExclusive, New: a.created[rangeVarKey(rv)], Effect: Data, Rerunnable: true,
			Targets: a.targets(v.A("cols")), Reason: fmt.Sprintf("inserts rows into %s", relObject("table", rv))})
	case "UpdateStmt":
		a.kind("UPDATE")
		rv := v.Get("relation")
		a.dml(n, v)
		noWhere := !v.Has("whereClause")
		// UPDATE ... FROM: the join decides the rows; a plain UPDATE ...
		// WHERE is most often a targeted backfill.
		bulk := !noWhere && v.Has("fromClause") && !a.selective(v.Get("whereClause"), rangeVarKey(rv), relNames(rv, v.A("fromClause")))
		a.add(Action{Op: OpUpdate, Object: relObject("table", rv), Table: tableName(rv), Lock: RowExclusive, Scan: noWhere, NoWhere: noWhere, Unselective: bulk, New: a.created[rangeVarKey(rv)], Effect: Data, Rerunnable: true,
			Targets: a.targets(v.A("targetList")), Reason: fmt.Sprintf("updates rows of %s", relObject("table", rv))})
	case "DeleteStmt":
		a.kind("DELETE")
		rv := v.Get("relation")
		a.dml(n, v)
		noWhere := !v.Has("whereClause")
		bulk := !noWhere && !a.selective(v.Get("whereClause"), rangeVarKey(rv), relNames(rv, v.A("usingClause")))
		a.add(Action{Op: OpDelete, Object: relObject("table", rv), Table: tableName(rv), Lock: RowExclusive, Scan: noWhere, NoWhere: noWhere, Unselective: bulk, New: a.created[rangeVarKey(rv)], Effect: Data, Rerunnable: true,
			Reason: fmt.Sprintf("deletes rows of %s", relObject("table", rv))})
	case "MergeStmt":
		a.kind("MERGE")
		rv := v.Get("relation")
		a.dml(n, v)
		a.add(Action{Op: OpData, Object: relObject("table", rv), Table: tableName(rv), Lock: RowExclusive, New: a.created[rangeVarKey(rv)], Effect: Data, Rerunnable: true,
			Unselective: a.mergeBulk(v), Reason: fmt.Sprintf("merges rows into %s", relObject("table", rv))})
	case "CopyStmt":
		a.kind("COPY")
		rv := v.Get("relation")
		lock := AccessShare
		if v.B("is_from") {
			lock = RowExclusive
		}
		a.add(Action{Op: OpData, Object: relObject("table", rv), Table: tableName(rv), Lock: lock, New: a.created[rangeVarKey(rv)], Effect: Data, Rerunnable: !v.B("is_from"),
			Reason: "copies data"})
	case "SelectStmt":
		a.kind("SELECT")
		if into := v.Get("intoClause"); into.Exists() {
			a.selectInto(n, into.Get("rel"))
			a.dml(n, v)
			break
		}
		if a.dml(n, v) {
			break
		}
		a.add(Action{Op: OpData, Effect: Data, Rerunnable: true, Reason: "runs a query"})
	case "DoStmt":
		a.doBlock(v)
	case "CallStmt":
		a.kind("CALL")
		a.opaque(a.stmt.Start, fmt.Sprintf("calls procedure %s, whose effect safemigrate cannot see", qualified("procedure", v.Get("funccall").A("funcname"))))
	case "TransactionStmt":
		a.kind("TRANSACTION")
		a.add(Action{Op: OpTransaction, Effect: Neutral, Rerunnable: true, Reason: "controls the transaction"})
	case "LockStmt":
		a.kind("LOCK")
		for _, r := range v.A("relations") {
			rv := r.As("RangeVar")
			a.add(Action{Op: OpLock, Object: relObject("table", rv), Table: tableName(rv), Lock: LockMode(v.I("mode")), New: a.created[rangeVarKey(rv)], Effect: Neutral, Rerunnable: true,
				Reason: "locks a table explicitly"})
		}
	case "CreateTrigStmt":
		a.kind("CREATE TRIGGER")
		rv, name, replace := v.Get("relation"), v.S("trigname"), v.B("replace")
		a.viewTrigger(rangeVarKey(rv), name)
		a.add(Action{Op: OpCreate, Object: Object{Kind: "trigger", Name: name}, Table: tableName(rv), Lock: ShareRowExclusive, New: a.created[rangeVarKey(rv)], Effect: Expand,
			IfExists: replace, Rerunnable: replace, Reason: fmt.Sprintf("creates trigger %s on %s: old code keeps working", name, relObject("table", rv))})
		a.redefined(triggerKey(rangeVarKey(rv), name), "")
	case "ViewStmt":
		a.kind("CREATE VIEW")
		replace := v.B("replace")
		verb := "creates"
		if replace {
			verb = "replaces"
		}
		view := relObject("view", v.Get("view"))
		a.add(Action{Op: OpCreate, Object: view, Effect: Expand, IfExists: replace, Rerunnable: replace,
			Reason: fmt.Sprintf("%s view %s: old code keeps working", verb, view)})
		a.recreated(rangeVarKey(v.Get("view")), view, v.Get("query"), v.A("aliases"))
	case "CreateFunctionStmt":
		kind := "function"
		if v.B("is_procedure") {
			kind = "procedure"
		}
		a.kind("CREATE " + strings.ToUpper(kind))
		obj := qualified(kind, v.A("funcname"))
		replace := v.B("replace")
		a.add(Action{Op: OpCreate, Object: obj, Effect: Expand, IfExists: replace, Rerunnable: replace, Reason: fmt.Sprintf("creates %s %s: old code keeps working", kind, obj)})
		a.viewFunction(v, obj)
		a.defineRoutine(v, obj)
	case "CreateSeqStmt":
		a.kind("CREATE SEQUENCE")
		seq, ine := relObject("sequence", v.Get("sequence")), v.B("if_not_exists")
		a.add(Action{Op: OpCreate, Object: seq, Effect: Expand, IfExists: ine, Rerunnable: ine, Reason: fmt.Sprintf("creates sequence %s", seq)})
	case "CreateSchemaStmt":
		a.kind("CREATE SCHEMA")
		name, ine := v.S("schemaname"), v.B("if_not_exists")
		a.add(Action{Op: OpCreate, Object: Object{Kind: "schema", Name: name}, Effect: Expand, IfExists: ine, Rerunnable: ine, Reason: fmt.Sprintf("creates schema %s", name)})
	case "CreateExtensionStmt":
		a.kind("CREATE EXTENSION")
		name, ine := v.S("extname"), v.B("if_not_exists")
		a.add(Action{Op: OpCreate, Object: Object{Kind: "extension", Name: name}, Effect: Expand, IfExists: ine, Rerunnable: ine, Reason: fmt.Sprintf("creates extension %s", name)})
	case "CreateEnumStmt":
		a.kind("CREATE TYPE")
		obj := qualified("type", v.A("typeName"))
		a.add(Action{Op: OpCreate, Object: obj, Effect: Expand, Reason: fmt.Sprintf("creates type %s", obj)})
	case "CompositeTypeStmt":
		a.kind("CREATE TYPE")
		obj := relObject("type", v.Get("typevar"))
		a.add(Action{Op: OpCreate, Object: obj, Effect: Expand, Reason: fmt.Sprintf("creates type %s", obj)})
	case "CreateDomainStmt":
		a.kind("CREATE DOMAIN")
		obj := qualified("domain", v.A("domainname"))
		a.add(Action{Op: OpCreate, Object: obj, Effect: Expand, Reason: fmt.Sprintf("creates domain %s", obj)})
	case "AlterEnumStmt":
		a.kind("ALTER TYPE")
		obj := qualified("type", v.A("typeName"))
		if old := v.S("oldVal"); old != "" {
			a.add(Action{Op: OpRename, Object: obj, Effect: Contract, Reason: fmt.Sprintf("renames value %q of type %s: old code writing it fails", old, obj)})
			break
		}
		if a.version < 12 {
			a.stmt.Transactional = false
		}
		skip := v.B("skipIfNewValExists")
		a.add(Action{Op: OpAlterTable, Object: obj, Effect: Expand, IfExists: skip, Rerunnable: skip,
			Reason: fmt.Sprintf("adds value %q to type %s: old code keeps working", v.S("newVal"), obj)})
	case "AlterDomainStmt":
		a.alterDomain(v)
	case "RefreshMatViewStmt":
		a.kind("REFRESH MATERIALIZED VIEW")
		rv, conc := v.Get("relation"), v.B("concurrent")
		lock := AccessExclusive
		if conc {
			lock = Exclusive
		}
		a.add(Action{Op: OpOther, Object: relObject("materialized view", rv), Table: tableName(rv), Lock: lock, Concurrent: conc, New: a.created[rangeVarKey(rv)], Effect: Neutral, Rerunnable: true,
			Reason: "refreshes a materialized view"})
	case "CommentStmt":
		a.kind("COMMENT")
		a.add(Action{Op: OpOther, Object: nameObject(objectKind(v.S("objtype")), v.Get("object")), Effect: Neutral, Rerunnable: true, Reason: "sets a comment"})
	case "GrantStmt", "GrantRoleStmt":
		if !v.B("is_grant") && !a.onCreated(v) {
			a.kind("REVOKE")
			a.add(Action{Op: OpOther, Effect: Contract, Rerunnable: true, Reason: "revokes privileges: old code that relies on them fails with permission denied"})
			break
		}
		a.kind("GRANT")
		a.viewPrivileges(typ, v)
		a.add(Action{Op: OpOther, Effect: Neutral, Rerunnable: true, Reason: "changes privileges"})
	case "AlterDefaultPrivilegesStmt":
		// Default privileges apply to objects created later, not to what
		// old code uses now.
		a.kind("GRANT")
		a.viewPrivileges(typ, v)
		a.add(Action{Op: OpOther, Effect: Neutral, Rerunnable: true, Reason: "changes privileges"})
	case "AlterOwnerStmt":
		a.kind("ALTER OWNER")
		a.add(Action{Op: OpOther, Effect: Neutral, Rerunnable: true, Reason: "changes an owner"})
	case "VariableSetStmt":
		a.kind("SET")
		a.setVariable(v)
		a.add(Action{Op: OpOther, Effect: Neutral, Rerunnable: true, Reason: "sets a session variable"})
	case "AlterSystemStmt":
		a.kind("ALTER SYSTEM")
		a.stmt.Transactional = false
		a.add(Action{Op: OpOther, Effect: Neutral, Rerunnable: true, Reason: "changes server configuration"})
	case "CreatedbStmt":
		a.kind("CREATE DATABASE")
		a.stmt.Transactional = false
		a.add(Action{Op: OpCreate, Object: Object{Kind: "database", Name: v.S("dbname")}, Effect: Expand, Reason: "creates a database"})
	case "CreateTableSpaceStmt", "DropTableSpaceStmt":
		a.kind("TABLESPACE")
		a.stmt.Transactional = false
		a.add(Action{Op: OpOther, Effect: Neutral, Reason: "manages a tablespace"})
	case "AlterSeqStmt":
		a.kind("ALTER SEQUENCE")
		a.add(Action{Op: OpOther, Object: relObject("sequence", v.Get("sequence")), Effect: Neutral, Rerunnable: true, Reason: "changes a sequence"})
	case "RuleStmt":
		a.createRule(v)
	case "CreatePolicyStmt", "CreateStatsStmt", "CreateCastStmt", "DefineStmt", "CreateRangeStmt", "CreatePublicationStmt", "CreateRoleStmt":
		a.kind("CREATE")
		a.add(Action{Op: OpCreate, Effect: Expand, Reason: "creates an object old code does not use"})
	case "DiscardStmt":
		a.kind("DISCARD")
		if t := v.S("target"); t == "DISCARD_ALL" {
			a.utc = false // back to the server's time zone
		}
		a.add(Action{Op: OpOther, Effect: Neutral, Rerunnable: true, Reason: "changes nothing in the schema"})
	case "ConstraintsSetStmt", "VariableShowStmt", "DeallocateStmt", "DeclareCursorStmt", "FetchStmt", "ClosePortalStmt", "LoadStmt", "AlterStatsStmt":
		a.kind(strings.ToUpper(strings.TrimSuffix(typ, "Stmt")))
		a.add(Action{Op: OpOther, Effect: Neutral, Rerunnable: true, Reason: "changes nothing old code can see"})
	case "CreateForeignTableStmt", "CreateFdwStmt", "CreateForeignServerStmt", "CreateUserMappingStmt", "ImportForeignSchemaStmt",
		"CreateConversionStmt", "CreateOpClassStmt", "CreateOpFamilyStmt", "CreateTransformStmt", "CreateAmStmt":
		a.kind("CREATE")
		a.add(Action{Op: OpCreate, Effect: Expand, Reason: "creates an object old code does not use"})
	case "ExplainStmt":
		a.explain(v)
	case "NotifyStmt", "ListenStmt", "CheckPointStmt":
		a.kind("UTILITY")
		a.add(Action{Op: OpOther, Effect: Neutral, Rerunnable: true, Reason: "changes nothing in the schema"})
	case "":
		a.kind("UNKNOWN")
		a.add(Action{Op: OpOther, Effect: Neutral, Rerunnable: true, Reason: "an empty statement"})
	default:
		a.unanalysed(typ, v)
	}
}

func (a *analyzer) kind(k string) { a.stmt.Kind = k }

// targets lists the columns of an INSERT column list or UPDATE SET list.
func (a *analyzer) targets(ns []Node) []Column {
	var out []Column
	for _, n := range ns {
		if rt := n.As("ResTarget"); rt.Exists() && rt.S("name") != "" && !rt.Has("indirection") {
			out = append(out, Column{Name: rt.S("name"), Pos: a.pos(rt)})
		}
	}
	return out
}

func tableName(rv Node) string {
	if !rv.Exists() {
		return ""
	}
	return relObject("table", rv).String()
}

// objectKind turns an ObjectType enum name ("OBJECT_MATVIEW") into words.
func objectKind(t string) string {
	s := strings.TrimPrefix(t, "OBJECT_")
	s = strings.ToLower(strings.ReplaceAll(s, "_", " "))
	switch s {
	case "matview":
		return "materialized view"
	case "tabconstraint":
		return "constraint"
	}
	return s
}

// summarise computes the statement-level fields from its actions.
func (a *analyzer) summarise() {
	st := a.stmt
	st.Effect, st.Reason = Neutral, ""
	st.Objects, st.Locks, st.Rewrites, st.Scans = nil, nil, nil, nil
	// Statements have a handful of actions: linear scans beat maps here.
	for i := range st.Actions {
		act := &st.Actions[i]
		if act.Effect.rank() > st.Effect.rank() || st.Reason == "" && act.Reason != "" && act.Effect == st.Effect {
			st.Effect, st.Reason = act.Effect, act.Reason
		}
		if act.Object.Name != "" && !slices.Contains(st.Objects, act.Object) {
			st.Objects = append(st.Objects, act.Object)
		}
		if act.Table != "" && act.Lock != NoLock {
			j := slices.IndexFunc(st.Locks, func(l RelationLock) bool { return l.Relation == act.Table })
			if j >= 0 {
				st.Locks[j].Mode = max(st.Locks[j].Mode, act.Lock)
			} else {
				st.Locks = append(st.Locks, RelationLock{Relation: act.Table, Mode: act.Lock})
			}
		}
		if act.Rewrite && act.Table != "" && !contains(st.Rewrites, act.Table) {
			st.Rewrites = append(st.Rewrites, act.Table)
		}
		if act.Scan && act.Table != "" && !contains(st.Scans, act.Table) {
			st.Scans = append(st.Scans, act.Table)
		}
	}
	// A DO block holds the locks of the statements it runs.
	for i := range st.Inner {
		in := &st.Inner[i]
		for _, l := range in.Locks {
			j := slices.IndexFunc(st.Locks, func(m RelationLock) bool { return m.Relation == l.Relation })
			if j >= 0 {
				st.Locks[j].Mode = max(st.Locks[j].Mode, l.Mode)
			} else {
				st.Locks = append(st.Locks, l)
			}
		}
		for _, t := range in.Rewrites {
			if !contains(st.Rewrites, t) {
				st.Rewrites = append(st.Rewrites, t)
			}
		}
		for _, t := range in.Scans {
			if !contains(st.Scans, t) {
				st.Scans = append(st.Scans, t)
			}
		}
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
