package annotate

import (
	"fmt"
	"slices"
	"strings"
)

func (a *analyzer) createTable(st Node) {
	rv := st.Get("relation")
	key := rangeVarKey(rv)
	obj := relObject("table", rv)
	ine := st.B("if_not_exists")
	if ine && a.schema.exists(key) {
		// The server only notices that the relation exists: nothing is
		// created, and the table keeps its rows, columns and indexes.
		a.add(Action{Op: OpCreateTable, Object: obj, Table: obj.String(), Lock: NoLock, Effect: Neutral, IfExists: true, Rerunnable: true,
			Reason: fmt.Sprintf("creates table %s if it does not exist, and it does: nothing happens", obj)})
		return
	}
	// See surelyNew: otherwise the table may exist with rows, is not new
	// for the lock rules, and its indexes stay unknown.
	sure := a.surelyNew(key, ine)
	a.schema.forget(key)
	a.created[key] = a.created[key] || sure
	t := a.schema.ensure(key)
	if sure {
		t.keys = map[string]bool{}
	}
	t.full = sure
	act := Action{Op: OpCreateTable, Object: obj, Table: obj.String(), New: true, Effect: Expand, IfExists: ine, Rerunnable: ine,
		Reason: fmt.Sprintf("creates table %s: old code does not know it", obj)}
	t.partitioned = st.Has("partspec")
	if inh := st.A("inhRelations"); len(inh) > 0 && !st.Has("partbound") {
		t.full = false // INHERITS adds the parents' columns
	}
	if inh := st.A("inhRelations"); st.Has("partbound") && len(inh) > 0 {
		// CREATE TABLE ... PARTITION OF parent locks the parent.
		parent := inh[0].As("RangeVar")
		t.full = false
		if p := a.schema.table(rangeVarKey(parent)); p != nil {
			for c, tr := range p.cols {
				t.cols[c] = tr
			}
			t.full = sure && p.full
		}
		act.Reason = fmt.Sprintf("creates partition %s of %s", obj, relObject("table", parent))
		a.add(Action{Op: OpAttachPartition, Object: relObject("table", parent), Table: tableName(parent), Lock: AccessExclusive, New: a.created[rangeVarKey(parent)], Effect: Expand, Rerunnable: true,
			Reason: act.Reason})
	}
	var refs []Node
	for _, e := range st.A("tableElts") {
		if cd := e.As("ColumnDef"); cd.Exists() {
			tr := typeOf(cd.Get("typeName"))
			name := cd.S("colname")
			t.cols[name] = tr
			act.Columns = append(act.Columns, Column{Name: name, Type: tr.String(), Pos: a.pos(cd)})
			for _, c := range cd.A("constraints") {
				switch con := c.As("Constraint"); con.S("contype") {
				case "CONSTR_FOREIGN":
					refs = append(refs, con)
				case "CONSTR_PRIMARY", "CONSTR_UNIQUE":
					if t.keys != nil {
						t.keys[name] = true
					}
					if con.S("contype") == "CONSTR_PRIMARY" {
						t.setNotNull(name, true)
					}
				case "CONSTR_NOTNULL":
					t.setNotNull(name, true)
				}
			}
			continue
		}
		if e.As("TableLikeClause").Exists() {
			t.full = false
		}
		if con := e.As("Constraint"); con.Exists() {
			switch con.S("contype") {
			case "CONSTR_CHECK":
				t.checks[con.S("conname")] = &check{notNullCol: notNullCheckColumn(con.Get("raw_expr")), valid: true}
			case "CONSTR_FOREIGN":
				refs = append(refs, con)
			case "CONSTR_PRIMARY", "CONSTR_UNIQUE":
				if k := con.A("keys"); len(k) > 0 && t.keys != nil {
					t.keys[k[0].Sval()] = true
				}
				if con.S("contype") == "CONSTR_PRIMARY" {
					for _, k := range con.A("keys") {
						t.setNotNull(k.Sval(), true)
					}
				}
			}
		}
	}
	a.add(act)
	for _, con := range refs {
		a.references(con, a.created[key])
	}
}

// surelyNew reports whether CREATE TABLE (IF NOT EXISTS when ine) of a
// relation the schema does not know creates it here. Without IF NOT
// EXISTS it does; with it, when the table was dropped, when a live
// catalog was loaded and lacks it, or in the first migration of a
// history (nothing earlier can have created it: a history that starts
// with CREATE TABLE IF NOT EXISTS most likely starts from an empty
// database).
func (a *analyzer) surelyNew(key string, ine bool) bool {
	return !ine || a.schema.dropped[key] || a.schema.catalog || a.first
}

// references records the lock a foreign key takes on the table it
// references.
func (a *analyzer) references(con Node, fromNew bool) {
	pk := con.Get("pktable")
	if !pk.Exists() {
		return
	}
	a.add(Action{Op: OpAddConstraint, Pos: a.pos(con), Object: relObject("table", pk), Table: tableName(pk), Lock: ShareRowExclusive,
		New: a.created[rangeVarKey(pk)] || fromNew, Effect: Expand, Constraint: ConstraintForeignKey, ConstraintName: con.S("conname"), NotValid: con.B("skip_validation"), Rerunnable: true, Referenced: true,
		Reason: fmt.Sprintf("references %s", relObject("table", pk))})
}

// notNullCheckColumn returns col for a CHECK (col IS NOT NULL), else "".
func notNullCheckColumn(e Node) string {
	nt := e.As("NullTest")
	if nt.S("nulltesttype") != "IS_NOT_NULL" {
		return ""
	}
	fields := nt.Get("arg").As("ColumnRef").A("fields")
	if len(fields) == 0 {
		return ""
	}
	return fields[len(fields)-1].Sval()
}

func (a *analyzer) createIndex(st Node) {
	rv := st.Get("relation")
	key := rangeVarKey(rv)
	isNew := a.created[key]
	conc, name, schema := st.B("concurrent"), st.S("idxname"), rv.S("schemaname")
	lock := Share
	if conc {
		lock = ShareUpdateExclusive
		a.stmt.Transactional = false
	}
	if name != "" {
		a.schema.setIndex(relKey(schema, name), key)
		a.createdIdx[relKey(schema, name)] = true
	}
	if t := a.schema.table(key); t != nil && t.keys != nil {
		if p := st.A("indexParams"); len(p) > 0 && p[0].As("IndexElem").S("name") != "" {
			t.keys[p[0].As("IndexElem").S("name")] = true
		}
	}
	idx := Object{Kind: "index", Schema: schema, Name: name}
	ine, unique := st.B("if_not_exists"), st.B("unique")
	t := a.schema.table(key)
	part := t != nil && t.partitioned
	act := Action{Op: OpCreateIndex, Object: idx, Table: tableName(rv), Lock: lock, Scan: !part || rv.B("inh"), New: isNew, Concurrent: conc,
		IfExists: ine, Rerunnable: ine, Unique: unique, Effect: Expand, Partitioned: part,
		Reason: fmt.Sprintf("creates %s on %s: old code keeps working", indexWords(name, false), relObject("table", rv))}
	if unique && !isNew {
		act.Reason = fmt.Sprintf("creates %s on %s: old code keeps working unless it writes duplicates", indexWords(name, true), relObject("table", rv))
	}
	a.add(act)
}

// indexWords names an index in a reason: "index name", "unique index
// name", "an unnamed index" (PostgreSQL picks its name).
func indexWords(name string, unique bool) string {
	kind := "index"
	if unique {
		kind = "unique index"
	}
	if name == "" {
		return "an unnamed " + kind
	}
	return kind + " " + name
}

func (a *analyzer) alterTable(st Node) {
	rv := st.Get("relation")
	key := rangeVarKey(rv)
	isNew := a.created[key]
	tbl := relObject("table", rv)
	schema := rv.S("schemaname")
	if st.S("objtype") == "OBJECT_INDEX" {
		a.add(Action{Op: OpAlterTable, Object: relObject("index", rv), Lock: ShareUpdateExclusive, Effect: Neutral, Rerunnable: true, Reason: "changes index settings"})
		return
	}
	cmds := st.A("cmds")
	at := a.subcommands(rv, len(cmds))
	for i, c := range cmds {
		cmd := c.As("AlterTableCmd")
		if !cmd.Exists() {
			continue
		}
		name, missing, def := cmd.S("name"), cmd.B("missing_ok"), cmd.Get("def")
		col := colObject(rv, name)
		base := Action{Pos: at[i], Object: col, Table: tbl.String(), Lock: AccessExclusive, New: isNew, Rerunnable: true}
		switch sub := cmd.S("subtype"); sub {
		case "AT_AddColumn":
			a.addColumn(base, rv, def.As("ColumnDef"), missing)
		case "AT_DropColumn":
			act := base
			act.Op, act.IfExists, act.Rerunnable, act.Effect = OpDropColumn, missing, missing, Contract
			act.Reason = fmt.Sprintf("drops column %s: old code selecting or writing it fails", col)
			if t := a.schema.table(key); t != nil {
				delete(t.cols, name)
				delete(t.notNull, name)
			}
			a.add(a.onNew(act))
		case "AT_AlterColumnType":
			a.alterColumnType(base, key, name, def.As("ColumnDef"))
		case "AT_SetNotNull":
			act := base
			act.Op, act.Effect = OpSetNotNull, Contract
			already := a.schema.checkedNotNull(key, name)
			act.Scan = !(already && (a.version >= 12 || a.schema.notNull(key, name)))
			act.Reason = fmt.Sprintf("sets %s NOT NULL: inserts from old code that leave it empty fail", col)
			if already {
				// NOT NULL already, or a validated CHECK (col IS NOT
				// NULL): old code's inserts that leave it empty fail today.
				act.Effect = Neutral
				act.Reason = fmt.Sprintf("sets %s NOT NULL, which it is already: old code keeps working", col)
			}
			a.schema.setNotNull(key, name, true)
			a.add(a.onNew(act))
		case "AT_DropNotNull":
			act := base
			act.Op, act.Effect = OpDropNotNull, Expand
			act.Reason = fmt.Sprintf("drops NOT NULL from %s: old code keeps working", col)
			a.schema.setNotNull(key, name, false)
			a.add(a.onNew(act))
		case "AT_ColumnDefault", "AT_CookedColumnDefault":
			act := base
			if def.Exists() {
				act.Op, act.Effect = OpSetDefault, Neutral
				act.Reason = fmt.Sprintf("sets the default of %s", col)
			} else {
				act.Op, act.Effect = OpDropDefault, Contract
				act.Reason = fmt.Sprintf("drops the default of %s: inserts from old code that rely on it fail or store NULL", col)
			}
			a.add(a.onNew(act))
		case "AT_AddConstraint":
			if con := def.As("Constraint"); con.Exists() {
				a.addConstraint(base, rv, con)
			}
		case "AT_ValidateConstraint":
			act := base
			act.Op, act.Object, act.Lock, act.Scan, act.Effect, act.ConstraintName = OpValidateConstraint, Object{Kind: "constraint", Schema: schema, Name: name}, ShareUpdateExclusive, true, Neutral, name
			act.Reason = fmt.Sprintf("validates constraint %s on %s: old code keeps working", name, tbl)
			if t := a.schema.table(key); t != nil && t.checks[name] != nil {
				t.checks[name].valid = true
			}
			a.add(act)
		case "AT_DropConstraint":
			act := base
			act.Op, act.Object, act.Effect, act.ConstraintName, act.IfExists, act.Rerunnable = OpDropConstraint, Object{Kind: "constraint", Schema: schema, Name: name}, Neutral, name, missing, missing
			act.Reason = fmt.Sprintf("drops constraint %s on %s: old code's writes are accepted as before", name, tbl)
			t := a.schema.table(key)
			if (t == nil || t.checks[name] == nil) && uniqueName(name) {
				// A primary key or unique constraint by PostgreSQL's own
				// naming: old code's INSERT ... ON CONFLICT on its columns
				// fails without it.
				act.Effect = Contract
				act.Reason = fmt.Sprintf("drops constraint %s on %s, a primary key or unique constraint: old code's INSERT ... ON CONFLICT on its columns fails, and duplicates it relies on not existing can be written", name, tbl)
			}
			if t != nil {
				delete(t.checks, name)
			}
			a.add(a.onNew(act))
		case "AT_AttachPartition":
			pc := def.As("PartitionCmd")
			act := base
			act.Op, act.Object, act.Lock, act.Effect = OpAttachPartition, tbl, ShareUpdateExclusive, Expand
			act.Reason = fmt.Sprintf("attaches a partition to %s: old code keeps working", tbl)
			a.add(act)
			if part := pc.Get("name"); part.Exists() {
				a.add(Action{Op: OpAttachPartition, Object: relObject("table", part), Table: tableName(part), Lock: AccessExclusive, Scan: true, New: a.created[rangeVarKey(part)], Effect: Expand, Rerunnable: true,
					Reason: act.Reason})
			}
		case "AT_DetachPartition", "AT_DetachPartitionFinalize":
			pc := def.As("PartitionCmd")
			act := base
			act.Op, act.Object, act.Effect = OpDetachPartition, tbl, Contract
			act.Concurrent = pc.B("concurrent")
			act.Reason = fmt.Sprintf("detaches partition %s from %s: its rows disappear from %s for old code", relObject("table", pc.Get("name")), tbl, tbl)
			if act.Concurrent || sub == "AT_DetachPartitionFinalize" {
				act.Lock = ShareUpdateExclusive
				a.stmt.Transactional = false
			}
			a.add(a.onNew(act))
		case "AT_SetExpression":
			act := base
			act.Op, act.Rewrite, act.Effect = OpAlterTable, true, Data
			act.Reason = fmt.Sprintf("changes the expression of generated column %s: every row of %s is rewritten under an ACCESS EXCLUSIVE lock", col, tbl)
			a.add(act)
		case "AT_DropExpression":
			act := base
			act.Op, act.Effect = OpAlterTable, Expand
			act.Reason = fmt.Sprintf("makes generated column %s a plain column: old code keeps working", col)
			a.add(act)
		case "AT_EnableRowSecurity", "AT_ForceRowSecurity":
			act := base
			act.Op, act.Object, act.Effect = OpAlterTable, tbl, Contract
			act.Reason = fmt.Sprintf("enables row level security on %s: old code sees and writes only the rows a policy allows, none without one", tbl)
			a.add(a.onNew(act))
		case "AT_DisableRowSecurity", "AT_NoForceRowSecurity":
			act := base
			act.Op, act.Object, act.Effect = OpAlterTable, tbl, Expand
			act.Reason = fmt.Sprintf("disables row level security on %s: old code keeps working", tbl)
			a.add(act)
		case "AT_SetStatistics", "AT_ClusterOn", "AT_DropCluster", "AT_SetRelOptions", "AT_ResetRelOptions", "AT_SetOptions", "AT_ResetOptions":
			act := base
			act.Op, act.Object, act.Lock, act.Effect, act.Reason = OpAlterTable, tbl, ShareUpdateExclusive, Neutral, "changes storage settings of "+tbl.String()
			a.add(act)
		case "AT_EnableTrig", "AT_DisableTrig", "AT_EnableAlwaysTrig", "AT_EnableReplicaTrig", "AT_EnableTrigAll", "AT_DisableTrigAll", "AT_EnableTrigUser", "AT_DisableTrigUser":
			act := base
			act.Op, act.Object, act.Lock, act.Effect, act.Reason = OpAlterTable, tbl, ShareRowExclusive, Neutral, "enables or disables triggers on "+tbl.String()
			a.add(act)
		case "AT_SetTableSpace", "AT_SetLogged", "AT_SetUnLogged", "AT_SetAccessMethod":
			act := base
			act.Op, act.Object, act.Rewrite, act.Effect, act.Reason = OpAlterTable, tbl, true, Neutral, "moves or rewrites the storage of "+tbl.String()
			a.add(a.onNew(act))
		case "AT_AddIdentity", "AT_SetIdentity", "AT_DropIdentity":
			act := base
			act.Op, act.Effect, act.Reason = OpAlterTable, Expand, fmt.Sprintf("changes the identity of %s: old code keeps working", col)
			a.add(act)
		case "AT_ChangeOwner", "AT_ReplicaIdentity", "AT_SetCompression", "AT_SetStorage":
			act := base
			act.Op, act.Object, act.Effect, act.Reason = OpAlterTable, tbl, Neutral, "changes properties of "+tbl.String()
			a.add(act)
		case "AT_ReplaceRelOptions", "AT_GenericOptions", "AT_AlterColumnGenericOptions", "AT_AlterConstraint":
			act := base
			act.Op, act.Object, act.Effect = OpAlterTable, tbl, Neutral
			act.Reason = fmt.Sprintf("alters %s (%s)", tbl, strings.ToLower(strings.TrimPrefix(sub, "AT_")))
			a.add(act)
		default:
			// INHERIT, OF, ENABLE / DISABLE RULE, ...: what old code's
			// statements on the table do may change, and the analysis
			// does not follow it.
			act := base
			act.Op, act.Object, act.Effect = OpAlterTable, tbl, Neutral
			act.Reason = fmt.Sprintf("alters %s (%s)", tbl, strings.ToLower(strings.TrimPrefix(sub, "AT_")))
			a.add(act)
			if !isNew {
				a.opaque(at[i], fmt.Sprintf("alters %s (%s), which safemigrate does not analyse", tbl, strings.ToLower(strings.TrimPrefix(sub, "AT_"))))
			}
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

func (a *analyzer) addColumn(base Action, rv Node, cd Node, ifNotExists bool) {
	if !cd.Exists() {
		return
	}
	key := rangeVarKey(rv)
	name := cd.S("colname")
	tr := typeOf(cd.Get("typeName"))
	a.schema.ensure(key).cols[name] = tr
	col := colObject(rv, name)
	act := base
	act.Op, act.Object, act.Pos = OpAddColumn, col, a.pos(cd)
	act.IfExists, act.Rerunnable = ifNotExists, ifNotExists
	act.Columns = []Column{{Name: name, Type: tr.String(), Pos: a.pos(cd)}}
	// NOT NULL and GENERATED ... AS IDENTITY come as constraints: the
	// parser leaves ColumnDef's is_not_null and identity to parse analysis.
	act.Serial = tr.isSerial()
	var inline []Node
	for _, c := range cd.A("constraints") {
		con := c.As("Constraint")
		switch con.S("contype") {
		case "CONSTR_NOTNULL":
			act.NotNull = true
		case "CONSTR_DEFAULT":
			act.Default = ConstantDefault
			if volatile(con.Get("raw_expr")) {
				act.Default = VolatileDefault
				if !a.created[key] {
					a.callsUnknown(con.Get("raw_expr")) // runs for every row
				}
			}
		case "CONSTR_IDENTITY":
			act.Serial = true
		case "CONSTR_GENERATED":
			act.GeneratedStored = true
			if !a.created[key] {
				a.callsUnknown(con.Get("raw_expr")) // runs for every row
			}
		case "CONSTR_CHECK", "CONSTR_FOREIGN", "CONSTR_UNIQUE", "CONSTR_PRIMARY", "CONSTR_EXCLUSION":
			inline = append(inline, con)
		}
	}
	if tr.isSerial() {
		act.Default = VolatileDefault
	}
	pk := false
	for _, con := range inline {
		pk = pk || con.S("contype") == "CONSTR_PRIMARY"
	}
	a.schema.setNotNull(key, name, act.NotNull || pk)
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

func (a *analyzer) alterColumnType(base Action, key, name string, cd Node) {
	if !cd.Exists() {
		return
	}
	tr := typeOf(cd.Get("typeName"))
	old, known := a.schema.columnType(key, name)
	act := base
	act.Op = OpAlterColumnType
	act.Columns = []Column{{Name: name, Type: tr.String(), Pos: a.pos(cd)}}
	using := cd.Has("raw_default")
	switch {
	case known:
		act.OldType = old.String()
		act.Rewrite = using || !noRewrite(old, tr) && !a.utcTimestamp(old, tr)
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
	a.schema.ensure(key).cols[name] = tr
	a.add(a.onNew(act))
}

// utcTimestamp reports whether changing old to new is timestamp ↔
// timestamptz (same precision) under a session time zone of UTC set
// earlier in the migration: PostgreSQL 12+ then only relabels the column,
// since the stored values mean the same instant.
func (a *analyzer) utcTimestamp(old, new typeRef) bool {
	if a.version < 12 || !a.utc || old.array != new.array || !slices.Equal(old.mods, new.mods) {
		return false
	}
	return old.name == "timestamp" && new.name == "timestamptz" || old.name == "timestamptz" && new.name == "timestamp"
}

// setVariable follows SET timezone within the migration. SET LOCAL
// outside a transaction does nothing; RESET, DEFAULT (and RESET ALL)
// return to the server's time zone, which the analysis does not know, so
// a later timestamp change counts as a rewrite.
func (a *analyzer) setVariable(v Node) {
	if v.S("kind") == "VAR_RESET_ALL" {
		a.utc = false
		return
	}
	if !strings.EqualFold(v.S("name"), "timezone") || v.B("is_local") && a.noTxn {
		return
	}
	a.utc = false
	if v.S("kind") != "VAR_SET_VALUE" {
		return
	}
	if args := v.A("args"); len(args) == 1 {
		a.utc = zeroOffsetZone(args[0])
	}
}

func (a *analyzer) addConstraint(base Action, rv Node, con Node) {
	key := rangeVarKey(rv)
	tbl := relObject("table", rv)
	conname, notValid := con.S("conname"), con.B("skip_validation")
	act := base
	act.Op, act.Pos, act.Object = OpAddConstraint, a.pos(con), Object{Kind: "constraint", Schema: rv.S("schemaname"), Name: conname}
	act.ConstraintName, act.NotValid, act.Rerunnable = conname, notValid, false
	name := conname
	if name != "" {
		name += " "
	}
	switch typ := con.S("contype"); typ {
	case "CONSTR_CHECK":
		act.Constraint = ConstraintCheck
		act.Scan = !notValid
		act.NotNullCheck = notNullCheckColumn(con.Get("raw_expr"))
		a.schema.ensure(key).checks[conname] = &check{notNullCol: act.NotNullCheck, valid: !notValid}
	case "CONSTR_FOREIGN":
		act.Constraint = ConstraintForeignKey
		act.Lock = ShareRowExclusive
		act.Scan = !notValid
		pk := con.Get("pktable")
		defer a.add(Action{Op: OpAddConstraint, Pos: act.Pos, Object: relObject("table", pk), Table: tableName(pk), Lock: ShareRowExclusive, New: a.created[rangeVarKey(pk)],
			Effect: Neutral, Constraint: ConstraintForeignKey, ConstraintName: conname, NotValid: notValid, Rerunnable: true, Referenced: true, Reason: fmt.Sprintf("references %s", relObject("table", pk))})
	case "CONSTR_UNIQUE", "CONSTR_PRIMARY":
		act.Constraint = ConstraintUnique
		if typ == "CONSTR_PRIMARY" {
			act.Constraint = ConstraintPrimaryKey
		}
		act.UsingIndex = con.S("indexname") != ""
		act.Scan = !act.UsingIndex
		if t := a.schema.table(key); t != nil && t.keys != nil {
			if k := con.A("keys"); len(k) > 0 {
				t.keys[k[0].Sval()] = true
			}
		}
	case "CONSTR_EXCLUSION":
		act.Constraint = ConstraintExclusion
		act.Scan = true
	default:
		act.Constraint = strings.ToLower(strings.TrimPrefix(typ, "CONSTR_"))
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

func (a *analyzer) drop(st Node) {
	removeType := st.S("removeType")
	kind := objectKind(removeType)
	missing, conc := st.B("missing_ok"), st.B("concurrent")
	cascade := st.S("behavior") == "DROP_CASCADE"
	for _, o := range st.A("objects") {
		obj := nameObject(kind, o)
		key := relKey(obj.Schema, obj.Name)
		act := Action{Object: obj, IfExists: missing, Rerunnable: missing, Effect: Contract, Concurrent: conc}
		isView := false
		redef := "" // a trigger or function: its key among pendingViews
		switch removeType {
		case "OBJECT_TABLE":
			act.Op, act.Table, act.Lock, act.New = OpDropTable, obj.String(), AccessExclusive, a.created[key]
			act.Reason = fmt.Sprintf("drops table %s: old code using it fails", obj)
			if line, ok := a.copied[key]; ok && !act.New {
				act.CopiedAt = line
				act.Reason = fmt.Sprintf("drops table %s after copying it on line %d: rows old code writes to it in between are lost", obj, line)
			}
			if cascade {
				for _, dk := range a.schema.dependents(key) {
					delete(a.schema.views, dk)
				}
			}
			a.schema.dropTable(key)
		case "OBJECT_INDEX":
			act.Op, act.Effect = OpDropIndex, Neutral
			act.Reason = fmt.Sprintf("drops index %s: old code keeps working, perhaps slower", obj)
			act.Lock = AccessExclusive
			if conc {
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
			a.schema.deleteIndex(key)
		case "OBJECT_FUNCTION", "OBJECT_PROCEDURE":
			act.Op = OpDrop
			act.Reason = fmt.Sprintf("drops %s %s: old code using it fails", kind, obj)
			a.schema.dropFunction(obj)
			redef = a.droppedRoutine(o.As("ObjectWithArgs"), obj)
		case "OBJECT_TRIGGER":
			act.Op = OpDrop
			act.Reason = fmt.Sprintf("drops %s %s: old code using it fails", kind, obj)
			if items := o.As("List").A("items"); len(items) >= 2 {
				tbl := qualified("table", items[:len(items)-1])
				redef = triggerKey(relKey(tbl.Schema, tbl.Name), items[len(items)-1].Sval())
				obj = Object{Kind: "trigger", Name: items[len(items)-1].Sval()}
				act.Object = obj
				act.Reason = fmt.Sprintf("drops trigger %s on %s: what it did for old code's writes stops", obj.Name, tbl)
			}
		case "OBJECT_SCHEMA":
			act.Op = OpDropSchema
			act.Reason = fmt.Sprintf("drops schema %s: old code using anything in it fails", obj)
		default:
			act.Op = OpDrop
			act.Reason = fmt.Sprintf("drops %s %s: old code using it fails", kind, obj)
			if removeType == "OBJECT_VIEW" || removeType == "OBJECT_MATVIEW" {
				act.Table, act.Lock, act.New = obj.String(), AccessExclusive, a.created[key]
				isView = true
			}
		}
		if act.New {
			act.Effect = Neutral
			act.Reason = strings.SplitN(act.Reason, ":", 2)[0] + ": it was created in this migration"
		}
		a.add(act)
		if isView {
			a.droppedView(key, obj, cascade, len(a.stmt.Actions)-1)
		}
		if redef != "" {
			if !cascade && !act.New && !a.noTxn {
				a.droppedForRedefinition(redef, obj, len(a.stmt.Actions)-1)
			}
			delete(a.schema.funcs, redef)
		}
	}
}

func (a *analyzer) rename(st Node) {
	rv := st.Get("relation")
	key := rangeVarKey(rv)
	sub, newName, renameType := st.S("subname"), st.S("newname"), st.S("renameType")
	act := Action{Op: OpRename, Table: tableName(rv), Lock: AccessExclusive, New: a.created[key], Effect: Contract}
	switch renameType {
	case "OBJECT_COLUMN":
		act.Op, act.Object = OpRenameColumn, colObject(rv, sub)
		act.Reason = fmt.Sprintf("renames column %s to %s: old code using %s fails", act.Object, newName, sub)
		if t := a.schema.table(key); t != nil {
			if tr, ok := t.cols[sub]; ok {
				delete(t.cols, sub)
				t.cols[newName] = tr
			}
			if t.notNull[sub] {
				delete(t.notNull, sub)
				t.setNotNull(newName, true)
			}
		}
		if v := a.schema.views[key]; v != nil {
			if i := slices.Index(v.cols, sub); i >= 0 {
				v.cols = slices.Clone(v.cols)
				v.cols[i] = newName
			}
		}
	case "OBJECT_TABLE":
		act.Op, act.Object = OpRenameTable, relObject("table", rv)
		act.Reason = fmt.Sprintf("renames table %s to %s: old code using %s fails", act.Object, newName, act.Object)
		newKey := relKey(rv.S("schemaname"), newName)
		a.schema.renameTable(key, newKey)
		a.schema.renameView(key, newKey, newName)
		if a.created[key] {
			a.created[newKey] = true
		}
		if line, ok := a.copied[key]; ok {
			a.copied[newKey] = line // dropping it under its new name loses the same rows
		}
	case "OBJECT_INDEX", "OBJECT_TABCONSTRAINT":
		act.Object = relObject(objectKind(renameType), rv)
		if renameType == "OBJECT_TABCONSTRAINT" {
			act.Object = Object{Kind: "constraint", Schema: rv.S("schemaname"), Name: sub}
		}
		act.Lock, act.Effect = ShareUpdateExclusive, Neutral
		act.Reason = fmt.Sprintf("renames %s %s to %s: old code does not name it", act.Object.Kind, act.Object, newName)
	default:
		act.Object = relObject(objectKind(renameType), rv)
		if renameType == "OBJECT_VIEW" || renameType == "OBJECT_MATVIEW" {
			newKey := relKey(rv.S("schemaname"), newName)
			a.schema.renameView(key, newKey, newName)
			a.schema.renameTable(key, newKey) // a materialized view of the live catalog
			if a.created[key] {
				a.created[newKey] = true
			}
		}
		if !rv.Exists() {
			act.Object = nameObject(objectKind(renameType), st.Get("object"))
			if act.Object.Name == "" {
				act.Object.Name = sub // databases, schemas and roles go by subname
			}
			act.Lock = NoLock
		}
		act.Reason = fmt.Sprintf("renames %s %s to %s: old code using the old name fails", act.Object.Kind, act.Object, newName)
	}
	a.add(a.onNew(act))
}

// hasOption reports whether a DefElem list sets the boolean option name.
func hasOption(opts []Node, name string) bool {
	for _, o := range opts {
		d := o.As("DefElem")
		if !d.Exists() || !strings.EqualFold(d.S("defname"), name) {
			continue
		}
		arg := d.Get("arg")
		if !arg.Exists() {
			return true
		}
		typ, v := arg.Type()
		switch typ {
		case "Boolean":
			return v.B("boolval")
		case "String":
			s := v.S("sval")
			return !strings.EqualFold(s, "false") && s != "0" && !strings.EqualFold(s, "off")
		case "Integer":
			return v.I("ival") != 0
		}
		return true
	}
	return false
}

func (a *analyzer) vacuum(st Node) {
	isVacuum := st.B("is_vacuumcmd")
	if !isVacuum {
		a.kind("ANALYZE")
	} else {
		a.kind("VACUUM")
		a.stmt.Transactional = false
	}
	full := isVacuum && hasOption(st.A("options"), "full")
	lock := ShareUpdateExclusive
	if full {
		lock = AccessExclusive
	}
	rels := st.A("rels")
	if len(rels) == 0 {
		a.add(Action{Op: OpVacuum, Lock: NoLock, Rewrite: full, Effect: Neutral, Rerunnable: true, Reason: "vacuums the database"})
		return
	}
	for _, r := range rels {
		rv := r.As("VacuumRelation").Get("relation")
		a.add(Action{Op: OpVacuum, Object: relObject("table", rv), Table: tableName(rv), Lock: lock, Rewrite: full, New: a.created[rangeVarKey(rv)], Effect: Neutral, Rerunnable: true,
			Reason: "vacuums or analyses a table: no change old code can see"})
	}
}

func (a *analyzer) reindex(st Node) {
	a.kind("REINDEX")
	conc := hasOption(st.A("params"), "concurrently")
	rv := st.Get("relation")
	act := Action{Op: OpReindex, Concurrent: conc, Effect: Neutral, Rerunnable: true, Reason: "rebuilds indexes: no change old code can see"}
	switch st.S("kind") {
	case "REINDEX_OBJECT_INDEX":
		act.Object = relObject("index", rv)
		key := rangeVarKey(rv)
		act.Table = act.Object.String()
		if tk := a.schema.indexTable(rv.S("schemaname"), rv.S("relname")); tk != "" {
			act.Table, act.New = tk, a.created[tk]
		}
		act.New = act.New || a.createdIdx[key]
		act.Lock = AccessExclusive
	case "REINDEX_OBJECT_TABLE":
		act.Object = relObject("table", rv)
		act.Table = act.Object.String()
		act.New = a.created[rangeVarKey(rv)]
		act.Lock = Share
	default:
		act.Object = Object{Kind: "schema", Name: st.S("name")}
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

func (a *analyzer) alterDomain(st Node) {
	a.kind("ALTER DOMAIN")
	obj := qualified("domain", st.A("typeName"))
	act := Action{Op: OpOther, Object: obj, Effect: Neutral, Rerunnable: true, Reason: "alters domain " + obj.String()}
	switch st.S("subtype") {
	case "C":
		con := st.Get("def").As("Constraint")
		act.Op, act.Effect, act.Rerunnable = OpAddConstraint, Expand, false
		act.Constraint = ConstraintCheck
		act.NotValid = con.B("skip_validation")
		act.ConstraintName = con.S("conname")
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

// subcommands returns the file offset of each of the n subcommands of an
// ALTER TABLE (the parser keeps no position for them): the statement text
// after the table name, split at top-level commas. When the split does not
// give n parts, or there is a single subcommand, every subcommand is
// placed at the statement's start.
func (a *analyzer) subcommands(rv Node, n int) []int {
	st := a.stmt
	out := make([]int, n)
	for i := range out {
		out[i] = st.Start
	}
	loc := rv.I("location")
	if n < 2 || loc < st.Start || loc >= st.End {
		return out
	}
	src := st.SQL
	i := loc - st.Start
	// Skip the (possibly quoted, qualified) table name.
	for i < len(src) {
		switch c := src[i]; {
		case c == '"':
			j := strings.IndexByte(src[i+1:], '"')
			if j < 0 {
				return out
			}
			i += j + 2
		case c == '.' || c == '_' || c == '$' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80:
			i++
		default:
			goto cmds
		}
	}
cmds:
	var starts []int
	next := true // the next non-blank byte starts a subcommand
	depth := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			i++
			continue
		case c == '-' && i+1 < len(src) && src[i+1] == '-':
			j := strings.IndexByte(src[i:], '\n')
			if j < 0 {
				i = len(src)
			} else {
				i += j
			}
			continue
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			j := strings.Index(src[i+2:], "*/")
			if j < 0 {
				return out
			}
			i += j + 4
			continue
		}
		if next {
			starts = append(starts, st.Start+i)
			next = false
		}
		switch {
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(src) && (src[j] != c || j+1 < len(src) && src[j+1] == c) {
				if src[j] == c {
					j++ // doubled quote
				}
				j++
			}
			i = j + 1
		case c == '$':
			j := i + 1
			for j < len(src) && (src[j] == '_' || src[j] >= 'a' && src[j] <= 'z' || src[j] >= 'A' && src[j] <= 'Z' || src[j] >= '0' && src[j] <= '9' && j > i+1) {
				j++
			}
			if j < len(src) && src[j] == '$' {
				tag := src[i : j+1]
				k := strings.Index(src[j+1:], tag)
				if k < 0 {
					return out
				}
				i = j + 1 + k + len(tag)
			} else {
				i++
			}
		case c == '(':
			depth++
			i++
		case c == ')':
			depth--
			i++
		case c == ',' && depth == 0:
			next = true
			i++
		default:
			i++
		}
	}
	if len(starts) != n {
		return out
	}
	return starts
}

// uniqueName reports whether a constraint name is the one PostgreSQL
// gives a primary key (table_pkey) or unique constraint (table_col_key).
func uniqueName(name string) bool {
	return strings.HasSuffix(name, "_pkey") || strings.HasSuffix(name, "_key")
}

// createRule analyses CREATE RULE: a rule on an existing table rewrites
// the statements old code runs against it (DO INSTEAD NOTHING discards
// them), and what the rule's actions do in their place is not followed:
// after_deploy and opaque-statement.
func (a *analyzer) createRule(v Node) {
	a.kind("CREATE RULE")
	rv := v.Get("relation")
	tbl := relObject("table", rv)
	replace := v.B("replace")
	event := strings.TrimPrefix(v.S("event"), "CMD_")
	act := Action{Op: OpCreate, Object: Object{Kind: "rule", Schema: rv.S("schemaname"), Name: v.S("rulename")}, Table: tbl.String(), Lock: AccessExclusive,
		New: a.created[rangeVarKey(rv)], Effect: Expand, IfExists: replace, Rerunnable: replace,
		Reason: fmt.Sprintf("creates rule %s on %s, created in this migration", v.S("rulename"), tbl)}
	if !act.New {
		a.add(act)
		a.opaque(a.stmt.Start, fmt.Sprintf("creates rule %s on %s, which rewrites old code's %s statements on it into what the rule says", v.S("rulename"), tbl, event))
		return
	}
	a.add(act)
}

// unanalysed handles a statement kind the analysis does not follow.
// Unknown never counts as safe (docs/rules.md, opaque-statement): it is
// opaque, with a reason for the kinds known to reach beyond what the SQL
// names.
func (a *analyzer) unanalysed(typ string, v Node) {
	name := strings.TrimSuffix(typ, "Stmt")
	a.kind(strings.ToUpper(name))
	what := "runs a statement safemigrate does not analyse (" + name + "), whose effect it cannot see"
	switch typ {
	case "DropOwnedStmt":
		a.kind("DROP OWNED")
		what = "drops every object the roles own, which safemigrate cannot list"
	case "ReassignOwnedStmt":
		a.kind("REASSIGN OWNED")
		what = "gives every object the roles own to another role, which safemigrate cannot list"
	case "AlterExtensionStmt":
		a.kind("ALTER EXTENSION")
		what = fmt.Sprintf("updates extension %s, whose script safemigrate cannot see", v.S("extname"))
	case "AlterExtensionContentsStmt":
		a.kind("ALTER EXTENSION")
		what = fmt.Sprintf("changes the members of extension %s", v.S("extname"))
	case "CreateEventTrigStmt":
		a.kind("CREATE EVENT TRIGGER")
		what = fmt.Sprintf("creates event trigger %s, which runs on DDL from then on", v.S("trigname"))
	case "AlterEventTrigStmt":
		a.kind("ALTER EVENT TRIGGER")
		what = fmt.Sprintf("changes event trigger %s, which runs on DDL", v.S("trigname"))
	case "SecLabelStmt":
		a.kind("SECURITY LABEL")
		what = "sets a security label, which may change who can use the object"
	}
	a.opaque(a.stmt.Start, what)
}
