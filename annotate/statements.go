package annotate

import (
	"fmt"
	"slices"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// Analyze fills in the analysis fields of stmts (one migration, in file
// order), suggests the migration's safe value, and then records in s what
// the migration created, changed and dropped, so that the next migration
// analysed through s sees it. It returns an Analysis holding stmts.
func (s *Schema) Analyze(stmts []Statement, opts Options) *Analysis {
	a := &analyzer{schema: s, version: opts.Version(), created: map[string]bool{}, createdIdx: map[string]bool{}}
	for i := range stmts {
		a.stmt = &stmts[i]
		a.stmt.Actions = a.stmt.Actions[:0]
		a.stmt.Transactional = true
		a.statement(stmts[i].Node)
		a.summarise()
	}
	return suggest(stmts)
}

type analyzer struct {
	schema     *Schema
	version    int
	created    map[string]bool // tables created in this migration
	createdIdx map[string]bool // indexes created in this migration
	stmt       *Statement
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

// pos converts a parse-tree location into a file offset, falling back to
// the statement start. Parse-tree locations are byte offsets into the
// parsed text, which is the whole file.
func (a *analyzer) pos(loc int32) int {
	if loc <= 0 || int(loc) < a.stmt.Start || int(loc) > a.stmt.End {
		return a.stmt.Start
	}
	return int(loc)
}

func relObject(kind string, rv *pg_query.RangeVar) Object {
	if rv == nil {
		return Object{Kind: kind}
	}
	return Object{Kind: kind, Schema: rv.Schemaname, Name: rv.Relname}
}

func colObject(rv *pg_query.RangeVar, col string) Object {
	o := relObject("column", rv)
	o.Column = col
	return o
}

// nameObject builds an object from a qualified name list (DROP, COMMENT).
func nameObject(kind string, n *pg_query.Node) Object {
	var parts []string
	if l := n.GetList(); l != nil {
		for _, it := range l.Items {
			parts = append(parts, it.GetString_().GetSval())
		}
	} else if s := n.GetString_(); s != nil {
		parts = []string{s.Sval}
	} else if tn := n.GetTypeName(); tn != nil {
		for _, it := range tn.Names {
			parts = append(parts, it.GetString_().GetSval())
		}
	} else if ow := n.GetObjectWithArgs(); ow != nil {
		for _, it := range ow.Objname {
			parts = append(parts, it.GetString_().GetSval())
		}
	}
	switch len(parts) {
	case 0:
		return Object{Kind: kind}
	case 1:
		return Object{Kind: kind, Name: parts[0]}
	default:
		return Object{Kind: kind, Schema: parts[len(parts)-2], Name: parts[len(parts)-1]}
	}
}

func (a *analyzer) statement(n *pg_query.Node) {
	if n == nil {
		return
	}
	switch v := n.Node.(type) {
	case *pg_query.Node_CreateStmt:
		a.kind("CREATE TABLE")
		a.createTable(v.CreateStmt)
	case *pg_query.Node_CreateTableAsStmt:
		a.kind("CREATE TABLE AS")
		rv := v.CreateTableAsStmt.GetInto().GetRel()
		key := rangeVarKey(rv)
		a.created[key] = true
		a.schema.ensure(key)
		kind := "table"
		if v.CreateTableAsStmt.Objtype == pg_query.ObjectType_OBJECT_MATVIEW {
			kind = "materialized view"
		}
		a.add(Action{Op: OpCreateTable, Object: relObject(kind, rv), Table: relObject(kind, rv).String(), New: true, Effect: Expand,
			Reason: fmt.Sprintf("creates %s %s: old code does not know it", kind, relObject(kind, rv)), IfExists: v.CreateTableAsStmt.IfNotExists, Rerunnable: v.CreateTableAsStmt.IfNotExists})
	case *pg_query.Node_IndexStmt:
		a.kind("CREATE INDEX")
		a.createIndex(v.IndexStmt)
	case *pg_query.Node_AlterTableStmt:
		a.kind("ALTER TABLE")
		a.alterTable(v.AlterTableStmt)
	case *pg_query.Node_DropStmt:
		a.kind("DROP")
		a.drop(v.DropStmt)
	case *pg_query.Node_DropdbStmt:
		a.kind("DROP DATABASE")
		a.stmt.Transactional = false
		a.add(Action{Op: OpDropDatabase, Object: Object{Kind: "database", Name: v.DropdbStmt.Dbname}, Effect: Contract, IfExists: v.DropdbStmt.MissingOk, Rerunnable: v.DropdbStmt.MissingOk,
			Reason: fmt.Sprintf("drops database %s: everything in it is gone", v.DropdbStmt.Dbname)})
	case *pg_query.Node_RenameStmt:
		a.kind("RENAME")
		a.rename(v.RenameStmt)
	case *pg_query.Node_AlterObjectSchemaStmt:
		a.kind("ALTER SET SCHEMA")
		st := v.AlterObjectSchemaStmt
		obj := relObject(strings.ToLower(objectKind(st.ObjectType)), st.Relation)
		if st.Relation == nil {
			obj = nameObject(objectKind(st.ObjectType), st.Object)
		}
		a.add(Action{Op: OpRename, Object: obj, Table: tableName(st.Relation), Lock: AccessExclusive, New: a.created[rangeVarKey(st.Relation)], Effect: Contract,
			Reason: fmt.Sprintf("moves %s %s to schema %s: old code naming it fails", obj.Kind, obj, st.Newschema)})
	case *pg_query.Node_TruncateStmt:
		a.kind("TRUNCATE")
		for _, r := range v.TruncateStmt.Relations {
			rv := r.GetRangeVar()
			key := rangeVarKey(rv)
			a.add(Action{Op: OpTruncate, Object: relObject("table", rv), Table: tableName(rv), Lock: AccessExclusive, New: a.created[key], Effect: Data, Rerunnable: true,
				Reason: fmt.Sprintf("truncates %s: every row is removed", relObject("table", rv))})
		}
	case *pg_query.Node_VacuumStmt:
		a.vacuum(v.VacuumStmt)
	case *pg_query.Node_ClusterStmt:
		a.kind("CLUSTER")
		rv := v.ClusterStmt.Relation
		if rv == nil {
			a.stmt.Transactional = false
		}
		a.add(Action{Op: OpCluster, Object: relObject("table", rv), Table: tableName(rv), Lock: AccessExclusive, Rewrite: true, New: a.created[rangeVarKey(rv)], Effect: Neutral, Rerunnable: true,
			Reason: "reorders a table physically: no change old code can see"})
	case *pg_query.Node_ReindexStmt:
		a.reindex(v.ReindexStmt)
	case *pg_query.Node_InsertStmt:
		a.kind("INSERT")
		rv := v.InsertStmt.Relation
		a.add(Action{Op: OpInsert, Object: relObject("table", rv), Table: tableName(rv), Lock: RowExclusive, New: a.created[rangeVarKey(rv)], Effect: Data, Rerunnable: true,
			Targets: a.targets(v.InsertStmt.Cols), Reason: fmt.Sprintf("inserts rows into %s", relObject("table", rv))})
	case *pg_query.Node_UpdateStmt:
		a.kind("UPDATE")
		rv := v.UpdateStmt.Relation
		noWhere := v.UpdateStmt.WhereClause == nil
		a.add(Action{Op: OpUpdate, Object: relObject("table", rv), Table: tableName(rv), Lock: RowExclusive, Scan: noWhere, NoWhere: noWhere, New: a.created[rangeVarKey(rv)], Effect: Data, Rerunnable: true,
			Targets: a.targets(v.UpdateStmt.TargetList), Reason: fmt.Sprintf("updates rows of %s", relObject("table", rv))})
	case *pg_query.Node_DeleteStmt:
		a.kind("DELETE")
		rv := v.DeleteStmt.Relation
		noWhere := v.DeleteStmt.WhereClause == nil
		a.add(Action{Op: OpDelete, Object: relObject("table", rv), Table: tableName(rv), Lock: RowExclusive, Scan: noWhere, NoWhere: noWhere, New: a.created[rangeVarKey(rv)], Effect: Data, Rerunnable: true,
			Reason: fmt.Sprintf("deletes rows of %s", relObject("table", rv))})
	case *pg_query.Node_MergeStmt:
		a.kind("MERGE")
		rv := v.MergeStmt.Relation
		a.add(Action{Op: OpData, Object: relObject("table", rv), Table: tableName(rv), Lock: RowExclusive, New: a.created[rangeVarKey(rv)], Effect: Data, Rerunnable: true,
			Reason: fmt.Sprintf("merges rows into %s", relObject("table", rv))})
	case *pg_query.Node_CopyStmt:
		a.kind("COPY")
		rv := v.CopyStmt.Relation
		lock := AccessShare
		if v.CopyStmt.IsFrom {
			lock = RowExclusive
		}
		a.add(Action{Op: OpData, Object: relObject("table", rv), Table: tableName(rv), Lock: lock, New: a.created[rangeVarKey(rv)], Effect: Data, Rerunnable: !v.CopyStmt.IsFrom,
			Reason: "copies data"})
	case *pg_query.Node_SelectStmt:
		a.kind("SELECT")
		a.add(Action{Op: OpData, Effect: Data, Rerunnable: true, Reason: "runs a query"})
	case *pg_query.Node_DoStmt:
		a.kind("DO")
		a.add(Action{Op: OpData, Effect: Data, Rerunnable: true, Reason: "runs a DO block, whose effect safemigrate cannot see"})
	case *pg_query.Node_CallStmt:
		a.kind("CALL")
		a.add(Action{Op: OpData, Effect: Data, Rerunnable: true, Reason: "calls a procedure, whose effect safemigrate cannot see"})
	case *pg_query.Node_TransactionStmt:
		a.kind("TRANSACTION")
		a.add(Action{Op: OpTransaction, Effect: Neutral, Rerunnable: true, Reason: "controls the transaction"})
	case *pg_query.Node_LockStmt:
		a.kind("LOCK")
		for _, r := range v.LockStmt.Relations {
			rv := r.GetRangeVar()
			a.add(Action{Op: OpLock, Object: relObject("table", rv), Table: tableName(rv), Lock: LockMode(v.LockStmt.Mode), New: a.created[rangeVarKey(rv)], Effect: Neutral, Rerunnable: true,
				Reason: "locks a table explicitly"})
		}
	case *pg_query.Node_CreateTrigStmt:
		a.kind("CREATE TRIGGER")
		st := v.CreateTrigStmt
		a.add(Action{Op: OpCreate, Object: Object{Kind: "trigger", Name: st.Trigname}, Table: tableName(st.Relation), Lock: ShareRowExclusive, New: a.created[rangeVarKey(st.Relation)], Effect: Expand,
			IfExists: st.Replace, Rerunnable: st.Replace, Reason: fmt.Sprintf("creates trigger %s on %s: old code keeps working", st.Trigname, relObject("table", st.Relation))})
	case *pg_query.Node_ViewStmt:
		a.kind("CREATE VIEW")
		st := v.ViewStmt
		verb := "creates"
		if st.Replace {
			verb = "replaces"
		}
		a.add(Action{Op: OpCreate, Object: relObject("view", st.View), Effect: Expand, IfExists: st.Replace, Rerunnable: st.Replace,
			Reason: fmt.Sprintf("%s view %s: old code keeps working", verb, relObject("view", st.View))})
	case *pg_query.Node_CreateFunctionStmt:
		st := v.CreateFunctionStmt
		kind := "function"
		if st.IsProcedure {
			kind = "procedure"
		}
		a.kind("CREATE " + strings.ToUpper(kind))
		obj := nameObject(kind, &pg_query.Node{Node: &pg_query.Node_List{List: &pg_query.List{Items: st.Funcname}}})
		a.add(Action{Op: OpCreate, Object: obj, Effect: Expand, IfExists: st.Replace, Rerunnable: st.Replace, Reason: fmt.Sprintf("creates %s %s: old code keeps working", kind, obj)})
	case *pg_query.Node_CreateSeqStmt:
		a.kind("CREATE SEQUENCE")
		st := v.CreateSeqStmt
		a.add(Action{Op: OpCreate, Object: relObject("sequence", st.Sequence), Effect: Expand, IfExists: st.IfNotExists, Rerunnable: st.IfNotExists, Reason: fmt.Sprintf("creates sequence %s", relObject("sequence", st.Sequence))})
	case *pg_query.Node_CreateSchemaStmt:
		a.kind("CREATE SCHEMA")
		st := v.CreateSchemaStmt
		a.add(Action{Op: OpCreate, Object: Object{Kind: "schema", Name: st.Schemaname}, Effect: Expand, IfExists: st.IfNotExists, Rerunnable: st.IfNotExists, Reason: fmt.Sprintf("creates schema %s", st.Schemaname)})
	case *pg_query.Node_CreateExtensionStmt:
		a.kind("CREATE EXTENSION")
		st := v.CreateExtensionStmt
		a.add(Action{Op: OpCreate, Object: Object{Kind: "extension", Name: st.Extname}, Effect: Expand, IfExists: st.IfNotExists, Rerunnable: st.IfNotExists, Reason: fmt.Sprintf("creates extension %s", st.Extname)})
	case *pg_query.Node_CreateEnumStmt:
		a.kind("CREATE TYPE")
		obj := nameObject("type", &pg_query.Node{Node: &pg_query.Node_List{List: &pg_query.List{Items: v.CreateEnumStmt.TypeName}}})
		a.add(Action{Op: OpCreate, Object: obj, Effect: Expand, Reason: fmt.Sprintf("creates type %s", obj)})
	case *pg_query.Node_CompositeTypeStmt:
		a.kind("CREATE TYPE")
		obj := relObject("type", v.CompositeTypeStmt.Typevar)
		a.add(Action{Op: OpCreate, Object: obj, Effect: Expand, Reason: fmt.Sprintf("creates type %s", obj)})
	case *pg_query.Node_CreateDomainStmt:
		a.kind("CREATE DOMAIN")
		obj := nameObject("domain", &pg_query.Node{Node: &pg_query.Node_List{List: &pg_query.List{Items: v.CreateDomainStmt.Domainname}}})
		a.add(Action{Op: OpCreate, Object: obj, Effect: Expand, Reason: fmt.Sprintf("creates domain %s", obj)})
	case *pg_query.Node_AlterEnumStmt:
		a.kind("ALTER TYPE")
		st := v.AlterEnumStmt
		obj := nameObject("type", &pg_query.Node{Node: &pg_query.Node_List{List: &pg_query.List{Items: st.TypeName}}})
		if st.OldVal != "" {
			a.add(Action{Op: OpRename, Object: obj, Effect: Contract, Reason: fmt.Sprintf("renames value %q of type %s: old code writing it fails", st.OldVal, obj)})
			break
		}
		if a.version < 12 {
			a.stmt.Transactional = false
		}
		a.add(Action{Op: OpAlterTable, Object: obj, Effect: Expand, IfExists: st.SkipIfNewValExists, Rerunnable: st.SkipIfNewValExists,
			Reason: fmt.Sprintf("adds value %q to type %s: old code keeps working", st.NewVal, obj)})
	case *pg_query.Node_AlterDomainStmt:
		a.alterDomain(v.AlterDomainStmt)
	case *pg_query.Node_RefreshMatViewStmt:
		a.kind("REFRESH MATERIALIZED VIEW")
		st := v.RefreshMatViewStmt
		lock := AccessExclusive
		if st.Concurrent {
			lock = Exclusive
		}
		a.add(Action{Op: OpOther, Object: relObject("materialized view", st.Relation), Table: tableName(st.Relation), Lock: lock, Concurrent: st.Concurrent, New: a.created[rangeVarKey(st.Relation)], Effect: Neutral, Rerunnable: true,
			Reason: "refreshes a materialized view"})
	case *pg_query.Node_CommentStmt:
		a.kind("COMMENT")
		a.add(Action{Op: OpOther, Object: nameObject(objectKind(v.CommentStmt.Objtype), v.CommentStmt.Object), Effect: Neutral, Rerunnable: true, Reason: "sets a comment"})
	case *pg_query.Node_GrantStmt, *pg_query.Node_GrantRoleStmt, *pg_query.Node_AlterDefaultPrivilegesStmt:
		a.kind("GRANT")
		a.add(Action{Op: OpOther, Effect: Neutral, Rerunnable: true, Reason: "changes privileges"})
	case *pg_query.Node_AlterOwnerStmt:
		a.kind("ALTER OWNER")
		a.add(Action{Op: OpOther, Effect: Neutral, Rerunnable: true, Reason: "changes an owner"})
	case *pg_query.Node_VariableSetStmt:
		a.kind("SET")
		a.add(Action{Op: OpOther, Effect: Neutral, Rerunnable: true, Reason: "sets a session variable"})
	case *pg_query.Node_AlterSystemStmt:
		a.kind("ALTER SYSTEM")
		a.stmt.Transactional = false
		a.add(Action{Op: OpOther, Effect: Neutral, Rerunnable: true, Reason: "changes server configuration"})
	case *pg_query.Node_CreatedbStmt:
		a.kind("CREATE DATABASE")
		a.stmt.Transactional = false
		a.add(Action{Op: OpCreate, Object: Object{Kind: "database", Name: v.CreatedbStmt.Dbname}, Effect: Expand, Reason: "creates a database"})
	case *pg_query.Node_CreateTableSpaceStmt, *pg_query.Node_DropTableSpaceStmt:
		a.kind("TABLESPACE")
		a.stmt.Transactional = false
		a.add(Action{Op: OpOther, Effect: Neutral, Reason: "manages a tablespace"})
	case *pg_query.Node_AlterSeqStmt:
		a.kind("ALTER SEQUENCE")
		a.add(Action{Op: OpOther, Object: relObject("sequence", v.AlterSeqStmt.Sequence), Effect: Neutral, Rerunnable: true, Reason: "changes a sequence"})
	case *pg_query.Node_CreatePolicyStmt, *pg_query.Node_RuleStmt, *pg_query.Node_CreateStatsStmt, *pg_query.Node_CreateCastStmt,
		*pg_query.Node_DefineStmt, *pg_query.Node_CreateRangeStmt, *pg_query.Node_CreatePublicationStmt, *pg_query.Node_CreateRoleStmt:
		a.kind("CREATE")
		a.add(Action{Op: OpCreate, Effect: Expand, Reason: "creates an object old code does not use"})
	case *pg_query.Node_ExplainStmt, *pg_query.Node_NotifyStmt, *pg_query.Node_ListenStmt, *pg_query.Node_CheckPointStmt, *pg_query.Node_DiscardStmt:
		a.kind("UTILITY")
		a.add(Action{Op: OpOther, Effect: Neutral, Rerunnable: true, Reason: "changes nothing in the schema"})
	default:
		name := fmt.Sprintf("%T", n.Node)
		name = strings.TrimSuffix(strings.TrimPrefix(name, "*pg_query.Node_"), "Stmt")
		a.kind(strings.ToUpper(name))
		a.add(Action{Op: OpOther, Effect: Neutral, Rerunnable: true, Reason: "a statement kind safemigrate does not analyse (" + name + ")"})
	}
}

func (a *analyzer) kind(k string) { a.stmt.Kind = k }

// targets lists the columns of an INSERT column list or UPDATE SET list.
func (a *analyzer) targets(ns []*pg_query.Node) []Column {
	var out []Column
	for _, n := range ns {
		if rt := n.GetResTarget(); rt != nil && rt.Name != "" && len(rt.Indirection) == 0 {
			out = append(out, Column{Name: rt.Name, Pos: a.pos(rt.Location)})
		}
	}
	return out
}

func tableName(rv *pg_query.RangeVar) string {
	if rv == nil {
		return ""
	}
	return relObject("table", rv).String()
}

func objectKind(t pg_query.ObjectType) string {
	s := strings.TrimPrefix(t.String(), "OBJECT_")
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
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
