package annotate

import (
	"fmt"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

func (a *analyzer) createTable(st *pg_query.CreateStmt) {
	rv := st.Relation
	key := rangeVarKey(rv)
	obj := relObject("table", rv)
	a.created[key] = true
	t := a.schema.ensure(key)
	act := Action{Op: OpCreateTable, Object: obj, Table: obj.String(), New: true, Effect: Expand, IfExists: st.IfNotExists, Rerunnable: st.IfNotExists,
		Reason: fmt.Sprintf("creates table %s: old code does not know it", obj)}
	if st.Partbound != nil && len(st.InhRelations) > 0 {
		// CREATE TABLE ... PARTITION OF parent locks the parent.
		parent := st.InhRelations[0].GetRangeVar()
		act.Reason = fmt.Sprintf("creates partition %s of %s", obj, relObject("table", parent))
		a.add(Action{Op: OpAttachPartition, Object: relObject("table", parent), Table: tableName(parent), Lock: AccessExclusive, New: a.created[rangeVarKey(parent)], Effect: Expand, Rerunnable: true,
			Reason: act.Reason})
	}
	var refs []*pg_query.Constraint
	for _, e := range st.TableElts {
		if cd := e.GetColumnDef(); cd != nil {
			tr := typeOf(cd.TypeName)
			t.cols[cd.Colname] = tr
			act.Columns = append(act.Columns, Column{Name: cd.Colname, Type: tr.String(), Pos: a.pos(cd.Location)})
			for _, c := range cd.Constraints {
				if con := c.GetConstraint(); con != nil && con.Contype == pg_query.ConstrType_CONSTR_FOREIGN {
					refs = append(refs, con)
				}
			}
			continue
		}
		if con := e.GetConstraint(); con != nil {
			switch con.Contype {
			case pg_query.ConstrType_CONSTR_CHECK:
				t.checks[con.Conname] = &check{notNullCol: notNullCheckColumn(con.RawExpr), valid: true}
			case pg_query.ConstrType_CONSTR_FOREIGN:
				refs = append(refs, con)
			}
		}
	}
	a.add(act)
	for _, con := range refs {
		a.references(con, true)
	}
}

// references records the lock a foreign key takes on the table it
// references.
func (a *analyzer) references(con *pg_query.Constraint, fromNew bool) {
	if con.Pktable == nil {
		return
	}
	pk := con.Pktable
	a.add(Action{Op: OpAddConstraint, Pos: a.pos(con.Location), Object: relObject("table", pk), Table: tableName(pk), Lock: ShareRowExclusive,
		New: a.created[rangeVarKey(pk)] || fromNew, Effect: Expand, Constraint: ConstraintForeignKey, ConstraintName: con.Conname, NotValid: con.SkipValidation, Rerunnable: true, Referenced: true,
		Reason: fmt.Sprintf("references %s", relObject("table", pk))})
}

// notNullCheckColumn returns col for a CHECK (col IS NOT NULL), else "".
func notNullCheckColumn(e *pg_query.Node) string {
	nt := e.GetNullTest()
	if nt == nil || nt.Nulltesttype != pg_query.NullTestType_IS_NOT_NULL {
		return ""
	}
	cr := nt.Arg.GetColumnRef()
	if cr == nil || len(cr.Fields) == 0 {
		return ""
	}
	return cr.Fields[len(cr.Fields)-1].GetString_().GetSval()
}

func (a *analyzer) createIndex(st *pg_query.IndexStmt) {
	rv := st.Relation
	key := rangeVarKey(rv)
	isNew := a.created[key]
	lock := Share
	if st.Concurrent {
		lock = ShareUpdateExclusive
		a.stmt.Transactional = false
	}
	if st.Idxname != "" {
		a.schema.indexes[relKey(rv.GetSchemaname(), st.Idxname)] = key
		a.createdIdx[relKey(rv.GetSchemaname(), st.Idxname)] = true
	}
	idx := Object{Kind: "index", Schema: rv.GetSchemaname(), Name: st.Idxname}
	act := Action{Op: OpCreateIndex, Object: idx, Table: tableName(rv), Lock: lock, Scan: true, New: isNew, Concurrent: st.Concurrent,
		IfExists: st.IfNotExists, Rerunnable: st.IfNotExists, Unique: st.Unique, Effect: Expand,
		Reason: fmt.Sprintf("creates index %s on %s: old code keeps working", idx.Name, relObject("table", rv))}
	if st.Unique && !isNew {
		act.Reason = fmt.Sprintf("creates unique index %s on %s: old code keeps working unless it writes duplicates", idx.Name, relObject("table", rv))
	}
	a.add(act)
}

func (a *analyzer) alterTable(st *pg_query.AlterTableStmt) {
	rv := st.Relation
	key := rangeVarKey(rv)
	isNew := a.created[key]
	tbl := relObject("table", rv)
	if st.Objtype == pg_query.ObjectType_OBJECT_INDEX {
		a.add(Action{Op: OpAlterTable, Object: relObject("index", rv), Lock: ShareUpdateExclusive, Effect: Neutral, Rerunnable: true, Reason: "changes index settings"})
		return
	}
	for _, c := range st.Cmds {
		cmd := c.GetAlterTableCmd()
		if cmd == nil {
			continue
		}
		col := colObject(rv, cmd.Name)
		base := Action{Object: col, Table: tbl.String(), Lock: AccessExclusive, New: isNew, Rerunnable: true}
		switch cmd.Subtype {
		case pg_query.AlterTableType_AT_AddColumn:
			a.addColumn(base, rv, cmd.GetDef().GetColumnDef(), cmd.MissingOk)
		case pg_query.AlterTableType_AT_DropColumn:
			act := base
			act.Op, act.IfExists, act.Rerunnable, act.Effect = OpDropColumn, cmd.MissingOk, cmd.MissingOk, Contract
			act.Reason = fmt.Sprintf("drops column %s: old code selecting or writing it fails", col)
			if t := a.schema.table(key); t != nil {
				delete(t.cols, cmd.Name)
			}
			a.add(a.onNew(act))
		case pg_query.AlterTableType_AT_AlterColumnType:
			a.alterColumnType(base, key, cmd)
		case pg_query.AlterTableType_AT_SetNotNull:
			act := base
			act.Op, act.Effect = OpSetNotNull, Contract
			act.Scan = !(a.version >= 12 && a.schema.checkedNotNull(key, cmd.Name))
			act.Reason = fmt.Sprintf("sets %s NOT NULL: inserts from old code that leave it empty fail", col)
			a.add(a.onNew(act))
		case pg_query.AlterTableType_AT_DropNotNull:
			act := base
			act.Op, act.Effect = OpDropNotNull, Expand
			act.Reason = fmt.Sprintf("drops NOT NULL from %s: old code keeps working", col)
			a.add(a.onNew(act))
		case pg_query.AlterTableType_AT_ColumnDefault, pg_query.AlterTableType_AT_CookedColumnDefault:
			act := base
			if cmd.Def != nil {
				act.Op, act.Effect = OpSetDefault, Neutral
				act.Reason = fmt.Sprintf("sets the default of %s", col)
			} else {
				act.Op, act.Effect = OpDropDefault, Contract
				act.Reason = fmt.Sprintf("drops the default of %s: inserts from old code that rely on it fail or store NULL", col)
			}
			a.add(a.onNew(act))
		case pg_query.AlterTableType_AT_AddConstraint:
			if con := cmd.GetDef().GetConstraint(); con != nil {
				a.addConstraint(base, rv, con)
			}
		case pg_query.AlterTableType_AT_ValidateConstraint:
			act := base
			act.Op, act.Object, act.Lock, act.Scan, act.Effect, act.ConstraintName = OpValidateConstraint, Object{Kind: "constraint", Schema: rv.Schemaname, Name: cmd.Name}, ShareUpdateExclusive, true, Neutral, cmd.Name
			act.Reason = fmt.Sprintf("validates constraint %s on %s: old code keeps working", cmd.Name, tbl)
			if t := a.schema.table(key); t != nil && t.checks[cmd.Name] != nil {
				t.checks[cmd.Name].valid = true
			}
			a.add(act)
		case pg_query.AlterTableType_AT_DropConstraint:
			act := base
			act.Op, act.Object, act.Effect, act.ConstraintName, act.IfExists, act.Rerunnable = OpDropConstraint, Object{Kind: "constraint", Schema: rv.Schemaname, Name: cmd.Name}, Neutral, cmd.Name, cmd.MissingOk, cmd.MissingOk
			act.Reason = fmt.Sprintf("drops constraint %s on %s: old code's writes are accepted as before", cmd.Name, tbl)
			if t := a.schema.table(key); t != nil {
				delete(t.checks, cmd.Name)
			}
			a.add(act)
		case pg_query.AlterTableType_AT_AttachPartition:
			pc := cmd.GetDef().GetPartitionCmd()
			act := base
			act.Op, act.Object, act.Lock, act.Effect = OpAttachPartition, tbl, ShareUpdateExclusive, Expand
			act.Reason = fmt.Sprintf("attaches a partition to %s: old code keeps working", tbl)
			a.add(act)
			if pc != nil && pc.Name != nil {
				a.add(Action{Op: OpAttachPartition, Object: relObject("table", pc.Name), Table: tableName(pc.Name), Lock: AccessExclusive, Scan: true, New: a.created[rangeVarKey(pc.Name)], Effect: Expand, Rerunnable: true,
					Reason: act.Reason})
			}
		case pg_query.AlterTableType_AT_DetachPartition, pg_query.AlterTableType_AT_DetachPartitionFinalize:
			pc := cmd.GetDef().GetPartitionCmd()
			act := base
			act.Op, act.Object, act.Effect = OpDetachPartition, tbl, Contract
			if pc != nil {
				act.Concurrent = pc.Concurrent
				act.Reason = fmt.Sprintf("detaches partition %s from %s: its rows disappear from %s for old code", relObject("table", pc.Name), tbl, tbl)
			}
			if act.Concurrent || cmd.Subtype == pg_query.AlterTableType_AT_DetachPartitionFinalize {
				act.Lock = ShareUpdateExclusive
				a.stmt.Transactional = false
			}
			a.add(a.onNew(act))
		case pg_query.AlterTableType_AT_SetStatistics, pg_query.AlterTableType_AT_ClusterOn, pg_query.AlterTableType_AT_DropCluster,
			pg_query.AlterTableType_AT_SetRelOptions, pg_query.AlterTableType_AT_ResetRelOptions, pg_query.AlterTableType_AT_SetOptions, pg_query.AlterTableType_AT_ResetOptions:
			act := base
			act.Op, act.Object, act.Lock, act.Effect, act.Reason = OpAlterTable, tbl, ShareUpdateExclusive, Neutral, "changes storage settings of "+tbl.String()
			a.add(act)
		case pg_query.AlterTableType_AT_EnableTrig, pg_query.AlterTableType_AT_DisableTrig, pg_query.AlterTableType_AT_EnableAlwaysTrig,
			pg_query.AlterTableType_AT_EnableReplicaTrig, pg_query.AlterTableType_AT_EnableTrigAll, pg_query.AlterTableType_AT_DisableTrigAll,
			pg_query.AlterTableType_AT_EnableTrigUser, pg_query.AlterTableType_AT_DisableTrigUser:
			act := base
			act.Op, act.Object, act.Lock, act.Effect, act.Reason = OpAlterTable, tbl, ShareRowExclusive, Neutral, "enables or disables triggers on "+tbl.String()
			a.add(act)
		case pg_query.AlterTableType_AT_SetTableSpace, pg_query.AlterTableType_AT_SetLogged, pg_query.AlterTableType_AT_SetUnLogged, pg_query.AlterTableType_AT_SetAccessMethod:
			act := base
			act.Op, act.Object, act.Rewrite, act.Effect, act.Reason = OpAlterTable, tbl, true, Neutral, "moves or rewrites the storage of "+tbl.String()
			a.add(a.onNew(act))
		case pg_query.AlterTableType_AT_AddIdentity, pg_query.AlterTableType_AT_SetIdentity, pg_query.AlterTableType_AT_DropIdentity:
			act := base
			act.Op, act.Effect, act.Reason = OpAlterTable, Expand, fmt.Sprintf("changes the identity of %s: old code keeps working", col)
			a.add(act)
		case pg_query.AlterTableType_AT_ChangeOwner, pg_query.AlterTableType_AT_ReplicaIdentity, pg_query.AlterTableType_AT_SetCompression, pg_query.AlterTableType_AT_SetStorage:
			act := base
			act.Op, act.Object, act.Effect, act.Reason = OpAlterTable, tbl, Neutral, "changes properties of "+tbl.String()
			a.add(act)
		default:
			act := base
			act.Op, act.Object, act.Effect = OpAlterTable, tbl, Neutral
			act.Reason = fmt.Sprintf("alters %s (%s)", tbl, strings.ToLower(strings.TrimPrefix(cmd.Subtype.String(), "AT_")))
			a.add(act)
		}
	}
}

// onNew softens an action on a table created in this migration: its effect
// is part of creating the table.
func (a *analyzer) onNew(act Action) Action {
	if act.New && act.Effect == Contract {
		act.Effect = Expand
		act.Reason = strings.SplitN(act.Reason, ":", 2)[0] + ": the table is created in this migration"
	}
	return act
}

func (a *analyzer) addColumn(base Action, rv *pg_query.RangeVar, cd *pg_query.ColumnDef, ifNotExists bool) {
	if cd == nil {
		return
	}
	key := rangeVarKey(rv)
	tr := typeOf(cd.TypeName)
	a.schema.ensure(key).cols[cd.Colname] = tr
	col := colObject(rv, cd.Colname)
	act := base
	act.Op, act.Object, act.Pos = OpAddColumn, col, a.pos(cd.Location)
	act.IfExists, act.Rerunnable = ifNotExists, ifNotExists
	act.Columns = []Column{{Name: cd.Colname, Type: tr.String(), Pos: a.pos(cd.Location)}}
	act.NotNull = cd.IsNotNull
	act.Serial = tr.isSerial() || cd.Identity != ""
	var inline []*pg_query.Constraint
	for _, c := range cd.Constraints {
		con := c.GetConstraint()
		if con == nil {
			continue
		}
		switch con.Contype {
		case pg_query.ConstrType_CONSTR_NOTNULL:
			act.NotNull = true
		case pg_query.ConstrType_CONSTR_DEFAULT:
			act.Default = ConstantDefault
			if volatile(con.RawExpr) {
				act.Default = VolatileDefault
			}
		case pg_query.ConstrType_CONSTR_IDENTITY:
			act.Serial = true
		case pg_query.ConstrType_CONSTR_GENERATED:
			act.GeneratedStored = true
		case pg_query.ConstrType_CONSTR_CHECK, pg_query.ConstrType_CONSTR_FOREIGN, pg_query.ConstrType_CONSTR_UNIQUE, pg_query.ConstrType_CONSTR_PRIMARY, pg_query.ConstrType_CONSTR_EXCLUSION:
			inline = append(inline, con)
		}
	}
	if tr.isSerial() {
		act.Default = VolatileDefault
	}
	act.Rewrite = act.Default == VolatileDefault || act.Serial || act.GeneratedStored || (act.Default == ConstantDefault && a.version < 11)
	act.Effect = Expand
	act.Reason = fmt.Sprintf("adds column %s: old code ignores it", col)
	if act.NotNull && act.Default == NoDefault && !act.Serial && !act.GeneratedStored {
		act.Effect = Contract
		act.Reason = fmt.Sprintf("adds NOT NULL column %s without a default: inserts from old code that omit it fail", col)
	}
	a.add(a.onNew(act))
	for _, con := range inline {
		at := len(a.stmt.Actions)
		a.addConstraint(base, rv, con)
		// A constraint on a column that did not exist restricts nothing
		// old code writes.
		last := &a.stmt.Actions[at]
		last.Object = col
		if last.Effect == Contract {
			last.Effect = Expand
			last.Reason = fmt.Sprintf("adds %s constraint on new column %s: old code does not write it", last.Constraint, col)
		}
	}
}

func (a *analyzer) alterColumnType(base Action, key string, cmd *pg_query.AlterTableCmd) {
	cd := cmd.GetDef().GetColumnDef()
	if cd == nil {
		return
	}
	tr := typeOf(cd.TypeName)
	old, known := a.schema.columnType(key, cmd.Name)
	act := base
	act.Op = OpAlterColumnType
	act.Columns = []Column{{Name: cmd.Name, Type: tr.String(), Pos: a.pos(cd.Location)}}
	using := cd.RawDefault != nil
	switch {
	case known:
		act.OldType = old.String()
		act.Rewrite = using || !noRewrite(old, tr)
	default:
		act.Rewrite = true // unknown old type: assume the worst
	}
	wider := known && widens(old, tr) || !known && (tr.name == "text" || tr.name == "varchar" && len(tr.mods) == 0)
	if wider {
		act.Effect = Expand
		act.Reason = fmt.Sprintf("widens %s to %s: old code keeps working", base.Object, tr)
	} else {
		act.Effect = Contract
		from := ""
		if known {
			from = " from " + old.String()
		}
		act.Reason = fmt.Sprintf("changes the type of %s%s to %s: old code may read or write values the new type does not take", base.Object, from, tr)
	}
	a.schema.ensure(key).cols[cmd.Name] = tr
	a.add(a.onNew(act))
}

func (a *analyzer) addConstraint(base Action, rv *pg_query.RangeVar, con *pg_query.Constraint) {
	key := rangeVarKey(rv)
	tbl := relObject("table", rv)
	act := base
	act.Op, act.Pos, act.Object = OpAddConstraint, a.pos(con.Location), Object{Kind: "constraint", Schema: rv.Schemaname, Name: con.Conname}
	act.ConstraintName, act.NotValid, act.Rerunnable = con.Conname, con.SkipValidation, false
	name := con.Conname
	if name != "" {
		name += " "
	}
	switch con.Contype {
	case pg_query.ConstrType_CONSTR_CHECK:
		act.Constraint = ConstraintCheck
		act.Scan = !con.SkipValidation
		act.NotNullCheck = notNullCheckColumn(con.RawExpr)
		a.schema.ensure(key).checks[con.Conname] = &check{notNullCol: act.NotNullCheck, valid: !con.SkipValidation}
	case pg_query.ConstrType_CONSTR_FOREIGN:
		act.Constraint = ConstraintForeignKey
		act.Lock = ShareRowExclusive
		act.Scan = !con.SkipValidation
		pk := con.Pktable
		defer a.add(Action{Op: OpAddConstraint, Pos: act.Pos, Object: relObject("table", pk), Table: tableName(pk), Lock: ShareRowExclusive, New: a.created[rangeVarKey(pk)] || base.New,
			Effect: Neutral, Constraint: ConstraintForeignKey, ConstraintName: con.Conname, NotValid: con.SkipValidation, Rerunnable: true, Referenced: true, Reason: fmt.Sprintf("references %s", relObject("table", pk))})
	case pg_query.ConstrType_CONSTR_UNIQUE, pg_query.ConstrType_CONSTR_PRIMARY:
		act.Constraint = ConstraintUnique
		if con.Contype == pg_query.ConstrType_CONSTR_PRIMARY {
			act.Constraint = ConstraintPrimaryKey
		}
		act.UsingIndex = con.Indexname != ""
		act.Scan = !act.UsingIndex
	case pg_query.ConstrType_CONSTR_EXCLUSION:
		act.Constraint = ConstraintExclusion
		act.Scan = true
	default:
		act.Constraint = strings.ToLower(strings.TrimPrefix(con.Contype.String(), "CONSTR_"))
	}
	// A constraint codifies what the code already does, so old code keeps
	// working, with one exception everybody hits: a CHECK (col IS NOT NULL)
	// is SET NOT NULL in disguise, and old code that leaves col empty fails.
	act.Effect = Expand
	act.Reason = fmt.Sprintf("adds %s constraint %son %s: old code keeps working unless it writes rows that violate it", act.Constraint, name, tbl)
	if act.NotNullCheck != "" {
		act.Effect = Contract
		act.Reason = fmt.Sprintf("adds CHECK (%s IS NOT NULL) on %s: inserts from old code that leave it empty fail", act.NotNullCheck, tbl)
	}
	a.add(a.onNew(act))
}

func (a *analyzer) drop(st *pg_query.DropStmt) {
	kind := objectKind(st.RemoveType)
	for _, o := range st.Objects {
		obj := nameObject(kind, o)
		key := relKey(obj.Schema, obj.Name)
		act := Action{Object: obj, IfExists: st.MissingOk, Rerunnable: st.MissingOk, Effect: Contract, Concurrent: st.Concurrent}
		switch st.RemoveType {
		case pg_query.ObjectType_OBJECT_TABLE:
			act.Op, act.Table, act.Lock, act.New = OpDropTable, obj.String(), AccessExclusive, a.created[key]
			act.Reason = fmt.Sprintf("drops table %s: old code using it fails", obj)
			a.schema.dropTable(key)
		case pg_query.ObjectType_OBJECT_INDEX:
			act.Op, act.Effect = OpDropIndex, Neutral
			act.Reason = fmt.Sprintf("drops index %s: old code keeps working, perhaps slower", obj)
			act.Lock = AccessExclusive
			if st.Concurrent {
				act.Lock = ShareUpdateExclusive
				a.stmt.Transactional = false
			}
			if tk := a.schema.indexTable(obj.Schema, obj.Name); tk != "" {
				act.Table = tk
				act.New = a.created[tk]
			} else {
				act.Table = obj.String() // the index itself; its table is unknown
			}
			act.New = act.New || a.createdIdx[key]
			delete(a.schema.indexes, key)
		case pg_query.ObjectType_OBJECT_SCHEMA:
			act.Op = OpDropSchema
			act.Reason = fmt.Sprintf("drops schema %s: old code using anything in it fails", obj)
		default:
			act.Op = OpDrop
			if st.RemoveType == pg_query.ObjectType_OBJECT_VIEW || st.RemoveType == pg_query.ObjectType_OBJECT_MATVIEW {
				act.Table, act.Lock, act.New = obj.String(), AccessExclusive, a.created[key]
			}
			act.Reason = fmt.Sprintf("drops %s %s: old code using it fails", kind, obj)
		}
		if act.New {
			act.Effect = Neutral
			act.Reason = strings.SplitN(act.Reason, ":", 2)[0] + ": it was created in this migration"
		}
		a.add(act)
	}
}

func (a *analyzer) rename(st *pg_query.RenameStmt) {
	rv := st.Relation
	key := rangeVarKey(rv)
	act := Action{Op: OpRename, Table: tableName(rv), Lock: AccessExclusive, New: a.created[key], Effect: Contract}
	switch st.RenameType {
	case pg_query.ObjectType_OBJECT_COLUMN:
		act.Op, act.Object = OpRenameColumn, colObject(rv, st.Subname)
		act.Reason = fmt.Sprintf("renames column %s to %s: old code using %s fails", act.Object, st.Newname, st.Subname)
		if t := a.schema.table(key); t != nil {
			if tr, ok := t.cols[st.Subname]; ok {
				delete(t.cols, st.Subname)
				t.cols[st.Newname] = tr
			}
		}
	case pg_query.ObjectType_OBJECT_TABLE:
		act.Op, act.Object = OpRenameTable, relObject("table", rv)
		act.Reason = fmt.Sprintf("renames table %s to %s: old code using %s fails", act.Object, st.Newname, act.Object)
		a.schema.renameTable(key, relKey(rv.GetSchemaname(), st.Newname))
		if a.created[key] {
			a.created[relKey(rv.GetSchemaname(), st.Newname)] = true
		}
	case pg_query.ObjectType_OBJECT_INDEX, pg_query.ObjectType_OBJECT_TABCONSTRAINT:
		act.Object = relObject(objectKind(st.RenameType), rv)
		if st.RenameType == pg_query.ObjectType_OBJECT_TABCONSTRAINT {
			act.Object = Object{Kind: "constraint", Schema: rv.GetSchemaname(), Name: st.Subname}
		}
		act.Lock, act.Effect = ShareUpdateExclusive, Neutral
		act.Reason = fmt.Sprintf("renames %s %s to %s: old code does not name it", act.Object.Kind, act.Object, st.Newname)
	default:
		act.Object = relObject(objectKind(st.RenameType), rv)
		if rv == nil {
			act.Object = nameObject(objectKind(st.RenameType), st.Object)
			act.Lock = NoLock
		}
		act.Reason = fmt.Sprintf("renames %s %s to %s: old code using the old name fails", act.Object.Kind, act.Object, st.Newname)
	}
	a.add(a.onNew(act))
}

func hasOption(opts []*pg_query.Node, name string) bool {
	for _, o := range opts {
		if d := o.GetDefElem(); d != nil && strings.EqualFold(d.Defname, name) {
			if d.Arg == nil {
				return true
			}
			if b := d.Arg.GetBoolean(); b != nil {
				return b.Boolval
			}
			if s := d.Arg.GetString_(); s != nil {
				return !strings.EqualFold(s.Sval, "false") && s.Sval != "0" && !strings.EqualFold(s.Sval, "off")
			}
			if i := d.Arg.GetInteger(); i != nil {
				return i.Ival != 0
			}
			return true
		}
	}
	return false
}

func (a *analyzer) vacuum(st *pg_query.VacuumStmt) {
	if !st.IsVacuumcmd {
		a.kind("ANALYZE")
	} else {
		a.kind("VACUUM")
		a.stmt.Transactional = false
	}
	full := st.IsVacuumcmd && hasOption(st.Options, "full")
	lock := ShareUpdateExclusive
	if full {
		lock = AccessExclusive
	}
	rels := st.Rels
	if len(rels) == 0 {
		a.add(Action{Op: OpVacuum, Lock: NoLock, Rewrite: full, Effect: Neutral, Rerunnable: true, Reason: "vacuums the database"})
		return
	}
	for _, r := range rels {
		rv := r.GetVacuumRelation().GetRelation()
		a.add(Action{Op: OpVacuum, Object: relObject("table", rv), Table: tableName(rv), Lock: lock, Rewrite: full, New: a.created[rangeVarKey(rv)], Effect: Neutral, Rerunnable: true,
			Reason: "vacuums or analyses a table: no change old code can see"})
	}
}

func (a *analyzer) reindex(st *pg_query.ReindexStmt) {
	a.kind("REINDEX")
	conc := hasOption(st.Params, "concurrently")
	act := Action{Op: OpReindex, Concurrent: conc, Effect: Neutral, Rerunnable: true, Reason: "rebuilds indexes: no change old code can see"}
	switch st.Kind {
	case pg_query.ReindexObjectType_REINDEX_OBJECT_INDEX:
		act.Object = relObject("index", st.Relation)
		key := rangeVarKey(st.Relation)
		act.Table = act.Object.String()
		if tk := a.schema.indexTable(st.Relation.GetSchemaname(), st.Relation.GetRelname()); tk != "" {
			act.Table, act.New = tk, a.created[tk]
		}
		act.New = act.New || a.createdIdx[key]
		act.Lock = AccessExclusive
	case pg_query.ReindexObjectType_REINDEX_OBJECT_TABLE:
		act.Object = relObject("table", st.Relation)
		act.Table = act.Object.String()
		act.New = a.created[rangeVarKey(st.Relation)]
		act.Lock = Share
	default:
		act.Object = Object{Kind: "schema", Name: st.Name}
		act.Lock = Share
		a.stmt.Transactional = false
	}
	if conc {
		act.Lock = ShareUpdateExclusive
		a.stmt.Transactional = false
	}
	act.Scan = true
	a.add(act)
}

func (a *analyzer) alterDomain(st *pg_query.AlterDomainStmt) {
	a.kind("ALTER DOMAIN")
	obj := nameObject("domain", &pg_query.Node{Node: &pg_query.Node_List{List: &pg_query.List{Items: st.TypeName}}})
	act := Action{Op: OpOther, Object: obj, Effect: Neutral, Rerunnable: true, Reason: "alters domain " + obj.String()}
	switch st.Subtype {
	case "C":
		con := st.Def.GetConstraint()
		act.Op, act.Effect, act.Rerunnable = OpAddConstraint, Expand, false
		act.Constraint = ConstraintCheck
		if con != nil {
			act.NotValid = con.SkipValidation
			act.ConstraintName = con.Conname
		}
		act.Scan = !act.NotValid
		act.Reason = fmt.Sprintf("adds a constraint to domain %s: old code keeps working unless it writes values that violate it", obj)
	case "O":
		act.Op, act.Effect, act.Scan = OpSetNotNull, Contract, true
		act.Reason = fmt.Sprintf("sets domain %s NOT NULL: writes from old code that leave it empty fail", obj)
	case "N", "X":
		act.Effect = Expand
		act.Reason = fmt.Sprintf("relaxes domain %s: old code keeps working", obj)
	case "V":
		act.Op, act.Scan = OpValidateConstraint, true
	}
	a.add(act)
}
