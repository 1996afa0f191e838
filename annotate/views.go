package annotate

import (
	"fmt"
	"slices"
	"strings"
)

// view is what the schema knows of a view or materialized view created by
// the migrations analysed so far.
type view struct {
	obj   Object
	cols  []string // its output columns, nil when they cannot be told
	reads []string // keys of the relations its query names
	// triggers on the view (INSTEAD OF ...), and whether privileges were
	// granted on it: dropping the view drops them, and re-creating it
	// does not bring them back.
	triggers []string
	granted  bool
	// funcs are the functions whose arguments or result have the view's
	// row type: dropping the view with CASCADE drops them.
	funcs []Object
	// catalog: known from a live catalog, which tells its columns but
	// not what depends on it.
	catalog bool
}

// viewDrop is a view the migration being analysed drops: by DROP VIEW
// (act is that action's index in stmt), or by the CASCADE of another
// view's drop (act is -1, by is that drop).
type viewDrop struct {
	stmt *Statement
	act  int
	key  string
	obj  Object
	cols []string // the columns it had, nil when unknown
	// known: the view was created by an analysed migration, so what
	// depends on it is known too.
	known, cascade bool
	by             *viewDrop
	recreated      bool
	// triggers and granted as the view had them before the drop.
	triggers []string
	granted  bool
	// result: of a dropped function, what it returned ([analyzer.defineRoutine]).
	result string
	// why: the reason of a drop whose object came back different.
	why string
	// create is the statement that re-created the view, createAct the
	// index of that action.
	create    *Statement
	createAct int
}

// dependents returns the keys of the views that read key, directly or
// through other views, sorted.
func (s *Schema) dependents(key string) []string {
	var out []string
	seen := map[string]bool{key: true}
	queue := []string{key}
	for len(queue) > 0 {
		k := queue[0]
		queue = queue[1:]
		var next []string
		for vk, v := range s.views {
			if !seen[vk] && slices.Contains(v.reads, k) {
				seen[vk] = true
				next = append(next, vk)
			}
		}
		slices.Sort(next)
		out = append(out, next...)
		queue = append(queue, next...)
	}
	return out
}

// renameView follows ALTER VIEW ... RENAME (or ALTER TABLE on a view, or
// on a table views read): the views that read key now read newKey, as
// PostgreSQL's views follow the relation, not its name.
func (s *Schema) renameView(key, newKey, newName string) {
	if v, ok := s.views[key]; ok {
		delete(s.views, key)
		v.obj.Name = newName
		s.views[newKey] = v
	}
	for _, v := range s.views {
		if i := slices.Index(v.reads, key); i >= 0 {
			v.reads = slices.Clone(v.reads)
			v.reads[i] = newKey
		}
	}
}

// relationColumns returns the column names of a table or view whose
// columns are all known, nil otherwise; a table's come sorted.
func (s *Schema) relationColumns(key string) []string {
	if v, ok := s.views[key]; ok {
		return v.cols
	}
	t := s.tables[key]
	if t == nil || !t.full {
		return nil
	}
	out := make([]string, 0, len(t.cols))
	for c := range t.cols {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// droppedView records the drop of a view by the action at index act of
// the current statement. A CASCADE drops the views that depend on it too:
// each must be re-created in this migration for old code to keep working,
// and when the view is not one the migrations created, what depends on it
// is unknown.
func (a *analyzer) droppedView(key string, obj Object, cascade bool, act int) {
	if p := a.pendingViews[key]; p != nil && p.by != nil && p.act < 0 {
		// DROP VIEW a, b CASCADE where b reads a: b is gone with a.
		p.stmt, p.act, p.cascade = a.stmt, act, cascade
		return
	}
	v, ok := a.schema.views[key]
	known := ok && !v.catalog
	d := &viewDrop{stmt: a.stmt, act: act, key: key, obj: obj, known: known, cascade: cascade}
	if ok {
		d.cols, d.triggers, d.granted = v.cols, v.triggers, v.granted
	} else {
		d.cols = a.schema.relationColumns(key) // a materialized view of the live catalog
	}
	for _, e := range a.viewDrops {
		if e.key == key && e.recreated {
			// Dropped and re-created earlier in this migration: old code
			// knows the view as it was before, and never sees what the
			// earlier re-creation added.
			d.cols, d.known, d.triggers, d.granted = e.cols, e.known, e.triggers, e.granted
			if c := &e.create.Actions[e.createAct]; c.Effect == Expand {
				c.Effect = Neutral
				c.Reason = fmt.Sprintf("re-creates %s %s, dropped again on line %d: old code never sees it", obj.Kind, obj, a.stmt.Line)
				cur := a.stmt
				a.stmt = e.create
				a.summarise()
				a.stmt = cur
			}
			break
		}
	}
	var deps []string
	var funcs []Object
	if cascade {
		deps = a.schema.dependents(key)
		funcs = a.cascadedFunctions(key, deps)
	}
	delete(a.schema.views, key)
	if a.schema.tables[key] != nil {
		a.schema.dropTable(key)
	}
	a.viewDrops = append(a.viewDrops, d)
	a.pendingViews[key] = d
	var names []string
	for _, f := range funcs {
		e := &viewDrop{stmt: a.stmt, act: -1, key: funcKey(f), obj: f, known: true, by: d}
		a.viewDrops = append(a.viewDrops, e)
		a.pendingViews[e.key] = e
		names = append(names, f.Kind+" "+f.String())
	}
	for _, dk := range deps {
		dv := a.schema.views[dk]
		delete(a.schema.views, dk)
		if a.created[dk] {
			continue // created in this migration: old code does not use it
		}
		e := &viewDrop{stmt: a.stmt, act: -1, key: dk, obj: dv.obj, cols: dv.cols, known: true, by: d, triggers: dv.triggers, granted: dv.granted}
		a.viewDrops = append(a.viewDrops, e)
		a.pendingViews[dk] = e
		names = append(names, dv.obj.Kind+" "+dv.obj.String())
	}
	drop := &a.stmt.Actions[act]
	if !cascade || drop.New {
		return
	}
	switch {
	case !known:
		drop.Reason = fmt.Sprintf("drops %s %s CASCADE: safemigrate does not know what depends on it, and old code using what the CASCADE drops fails", obj.Kind, obj)
	case len(names) > 0:
		drop.Reason = fmt.Sprintf("drops %s %s CASCADE, and with it %s: old code using them fails", obj.Kind, obj, strings.Join(names, ", "))
	}
}

// recreated records a view (or materialized view) the statement creates,
// from its query and column aliases, and when the migration dropped it
// earlier, makes the creation neutral: within one transaction nobody sees
// the view missing. It stays a contract when the new view lacks columns
// the old one had, or when either's columns cannot be told.
func (a *analyzer) recreated(key string, obj Object, query Node, aliases []Node) {
	cols := a.viewColumns(query, aliases)
	existed := a.schema.exists(key)
	nv := &view{obj: obj, cols: cols, reads: copySources(query), granted: a.schema.defaultGrants}
	if old := a.schema.views[key]; old != nil {
		// CREATE OR REPLACE keeps the view's triggers, privileges and the
		// functions of its row type.
		nv.triggers, nv.granted, nv.funcs = old.triggers, old.granted || nv.granted, old.funcs
	}
	a.schema.views[key] = nv
	me := &a.stmt.Actions[len(a.stmt.Actions)-1]
	d, dropped := a.pendingViews[key]
	if !dropped {
		if !existed && !me.IfExists {
			a.created[key] = true // dropping it again is no change for old code
		}
		return
	}
	delete(a.pendingViews, key)
	d.recreated = true
	d.create, d.createAct = a.stmt, len(a.stmt.Actions)-1
	how := "dropped"
	if d.by != nil {
		how = "dropped by the CASCADE"
	}
	me.Effect = Neutral
	me.Reason = fmt.Sprintf("re-creates %s %s %s on line %d: old code keeps working", obj.Kind, obj, how, d.stmt.Line)
	switch {
	case d.cols == nil:
		me.Effect = Contract
		me.Reason = fmt.Sprintf("re-creates %s %s %s on line %d, whose old columns safemigrate cannot tell: old code selecting one the new view lacks fails", obj.Kind, obj, how, d.stmt.Line)
	case cols == nil:
		me.Effect = Contract
		me.Reason = fmt.Sprintf("re-creates %s %s %s on line %d with columns safemigrate cannot tell: old code selecting one the new view lacks fails", obj.Kind, obj, how, d.stmt.Line)
	default:
		var lost, added []string
		for _, c := range d.cols {
			if !slices.Contains(cols, c) && !slices.Contains(lost, c) {
				lost = append(lost, c)
			}
		}
		for _, c := range cols {
			if !slices.Contains(d.cols, c) && !slices.Contains(added, c) {
				added = append(added, c)
			}
		}
		switch {
		case len(lost) > 0:
			me.Effect = Contract
			me.Reason = fmt.Sprintf("re-creates %s %s without %s: old code selecting it fails", obj.Kind, obj, columnList(lost))
		case len(added) > 0:
			// What CREATE OR REPLACE adding columns is: new code may
			// select them, so it runs before the deploy.
			me.Effect = Expand
			me.Reason = fmt.Sprintf("re-creates %s %s with the new %s: old code keeps working", obj.Kind, obj, columnList(added))
		}
	}
}

// columnList names columns for a reason: "column a", "columns a, b".
func columnList(cols []string) string {
	if len(cols) == 1 {
		return "column " + cols[0]
	}
	return "columns " + strings.Join(cols, ", ")
}

// funcKey is the key of a function among pendingViews.
func funcKey(f Object) string {
	return "function " + relKey(f.Schema, f.Name)
}

// cascadedFunctions returns the functions that have the row type of the
// view key or of one of its dependents deps.
func (a *analyzer) cascadedFunctions(key string, deps []string) []Object {
	var out []Object
	for _, k := range append([]string{key}, deps...) {
		if v := a.schema.views[k]; v != nil {
			for _, f := range v.funcs {
				if !slices.Contains(out, f) {
					out = append(out, f)
				}
			}
		}
	}
	return out
}

// viewFunction records a function whose arguments or result have a
// view's row type, and that a function dropped by a CASCADE is back.
func (a *analyzer) viewFunction(st Node, f Object) {
	if e := a.pendingViews[funcKey(f)]; e != nil {
		e.recreated = true
		delete(a.pendingViews, funcKey(f))
	}
	types := []Node{st.Get("returnType")}
	for _, p := range st.A("parameters") {
		types = append(types, p.As("FunctionParameter").Get("argType"))
	}
	for _, t := range types {
		names := t.A("names")
		if len(names) == 0 || len(names) > 2 {
			continue
		}
		key := names[len(names)-1].Sval()
		if len(names) == 2 {
			key = relKey(names[0].Sval(), key)
		}
		if v := a.schema.views[key]; v != nil && !slices.Contains(v.funcs, f) {
			v.funcs = append(v.funcs, f)
		}
	}
}

// dropFunction forgets a dropped function: a later CASCADE no longer
// drops it.
func (s *Schema) dropFunction(f Object) {
	for _, v := range s.views {
		if i := slices.Index(v.funcs, f); i >= 0 {
			v.funcs = slices.Delete(slices.Clone(v.funcs), i, i+1)
		}
	}
}

// viewTrigger records a trigger created on a view.
func (a *analyzer) viewTrigger(key, name string) {
	if v := a.schema.views[key]; v != nil && !slices.Contains(v.triggers, name) {
		v.triggers = append(v.triggers, name)
	}
}

// viewPrivileges records GRANTs on views, on all tables of a schema, and
// default privileges on tables.
func (a *analyzer) viewPrivileges(typ string, st Node) {
	if typ == "AlterDefaultPrivilegesStmt" {
		if g := st.Get("action"); g.B("is_grant") && g.S("objtype") == "OBJECT_TABLE" {
			a.schema.defaultGrants = true
		}
		return
	}
	if typ != "GrantStmt" || !st.B("is_grant") || st.S("objtype") != "OBJECT_TABLE" {
		return
	}
	for _, o := range st.A("objects") {
		switch st.S("targtype") {
		case "ACL_TARGET_OBJECT":
			if v := a.schema.views[rangeVarKey(o.As("RangeVar"))]; v != nil {
				v.granted = true
			}
		case "ACL_TARGET_ALL_IN_SCHEMA":
			schema := o.Sval()
			for k, v := range a.schema.views {
				if s, _, ok := strings.Cut(k, "."); ok && s == schema || !ok && schema == "public" {
					v.granted = true
				}
			}
		}
	}
}

// lostWithView lists what old code used of a view dropped by d and that
// the migration has not brought back: its triggers, its privileges.
func (a *analyzer) lostWithView(d *viewDrop) []string {
	now := a.schema.views[d.key]
	if now == nil {
		return nil
	}
	var lost []string
	for _, t := range d.triggers {
		if !slices.Contains(now.triggers, t) {
			lost = append(lost, fmt.Sprintf("trigger %s on %s", t, d.obj))
		}
	}
	if d.granted && !now.granted {
		lost = append(lost, fmt.Sprintf("the privileges granted on %s", d.obj))
	}
	return lost
}

// finishViews decides, once the whole migration is read, the effect of
// each DROP VIEW: neutral when the view, and every view its CASCADE
// dropped, is re-created in the migration with its triggers and
// privileges; a contract otherwise.
func (a *analyzer) finishViews() {
	cur := a.stmt
	defer func() { a.stmt = cur }()
	for _, d := range a.viewDrops {
		if d.why != "" {
			d.stmt.Actions[d.act].Reason = d.why
			a.stmt = d.stmt
			a.summarise()
		}
		if d.act < 0 || !d.recreated {
			continue
		}
		drop := &d.stmt.Actions[d.act]
		if drop.New {
			continue
		}
		var missing []string
		for _, e := range a.viewDrops {
			if e.by == d && !e.recreated {
				missing = append(missing, e.obj.Kind+" "+e.obj.String())
			}
		}
		lost := a.lostWithView(d)
		for _, e := range a.viewDrops {
			if e.by == d && e.recreated {
				lost = append(lost, a.lostWithView(e)...)
			}
		}
		switch {
		case d.cascade && !d.known:
			// the reason given at the drop stands
		case len(missing) > 0:
			drop.Reason = fmt.Sprintf("drops %s %s CASCADE, which also drops %s, not re-created in this migration: old code using it fails", d.obj.Kind, d.obj, strings.Join(missing, ", "))
		case len(lost) > 0:
			drop.Reason = fmt.Sprintf("drops %s %s, and with it %s, which this migration does not restore: old code relying on them fails", d.obj.Kind, d.obj, strings.Join(lost, ", "))
		default:
			drop.Effect = Neutral
			drop.Reason = fmt.Sprintf("drops %s %s to re-create it: old code keeps working", d.obj.Kind, d.obj)
		}
		a.stmt = d.stmt
		a.summarise()
	}
}

// viewColumns returns the names of the columns a view's query produces
// (its alias list first), as PostgreSQL names them: `*` and `t.*` expand
// to the columns the schema knows of the relations in FROM. It returns nil
// when they cannot be told (a relation whose columns are unknown, a
// function in FROM, an expression whose name is not modelled).
func (a *analyzer) viewColumns(query Node, aliases []Node) []string {
	cols := a.queryColumns(query, nil)
	if cols == nil {
		return nil
	}
	for i, al := range aliases {
		if i < len(cols) {
			cols[i] = al.Sval()
		}
	}
	return cols
}

// ctes are the column lists of the WITH queries in scope, by name.
type ctes map[string][]string

func (a *analyzer) queryColumns(query Node, outer ctes) []string {
	sel := query.As("SelectStmt")
	if !sel.Exists() {
		return nil
	}
	return a.selectColumns(sel, outer)
}

// selectColumns is queryColumns for the content of a SelectStmt (a set
// operation's arms come unwrapped).
func (a *analyzer) selectColumns(sel Node, outer ctes) []string {
	scope := outer
	if w := sel.Get("withClause"); w.Exists() {
		scope = ctes{}
		for k, v := range outer {
			scope[k] = v
		}
		for _, c := range w.A("ctes") {
			cte := c.As("CommonTableExpr")
			cols := a.queryColumns(cte.Get("ctequery"), scope)
			if cols != nil {
				cols = renamed(cols, cte.A("aliascolnames"))
			}
			scope[cte.S("ctename")] = cols
		}
	}
	if sel.Has("larg") {
		return a.selectColumns(sel.Get("larg"), scope) // the first arm names the columns
	}
	if vl := sel.A("valuesLists"); len(vl) > 0 {
		var cols []string
		for i := range vl[0].As("List").A("items") {
			cols = append(cols, fmt.Sprintf("column%d", i+1))
		}
		return cols
	}
	from := sel.A("fromClause")
	var cols []string
	for _, t := range sel.A("targetList") {
		rt := t.As("ResTarget")
		if name := rt.S("name"); name != "" {
			cols = append(cols, name)
			continue
		}
		val := rt.Get("val")
		if fields := val.As("ColumnRef").A("fields"); len(fields) > 0 {
			if last, _ := fields[len(fields)-1].Type(); last == "A_Star" {
				qual := ""
				if len(fields) > 1 {
					qual = fields[len(fields)-2].Sval()
				}
				star, ok := a.starColumns(from, qual, scope)
				if !ok {
					return nil
				}
				cols = append(cols, star...)
				continue
			}
		}
		name, _ := figureColname(val)
		if name == "" {
			return nil
		}
		cols = append(cols, name)
	}
	if cols == nil {
		cols = []string{} // SELECT with no columns: known, and empty
	}
	return cols
}

// starColumns returns the columns `*` (qual "") or `qual.*` expands to
// over the FROM items, and whether they are all known.
func (a *analyzer) starColumns(from []Node, qual string, scope ctes) ([]string, bool) {
	var out []string
	found := false
	for _, item := range from {
		cols, ok, hit := a.itemColumns(item, qual, scope)
		if !ok {
			return nil, false
		}
		if hit {
			out = append(out, cols...)
			found = true
		}
	}
	return out, found
}

// itemColumns returns the columns of a FROM item that qual ("" for every
// item) selects, whether they are known, and whether qual names it.
func (a *analyzer) itemColumns(item Node, qual string, scope ctes) (cols []string, ok, hit bool) {
	typ, v := item.Type()
	switch typ {
	case "RangeVar":
		name := v.S("relname")
		alias := v.Get("alias")
		if qual != "" && qual != name && qual != alias.S("aliasname") {
			return nil, true, false
		}
		var known []string
		if c, isCTE := scope[name]; isCTE && v.S("schemaname") == "" {
			known = c
		} else {
			known = a.schema.relationColumns(rangeVarKey(v))
		}
		if known == nil || len(alias.A("colnames")) > 0 && v.S("schemaname") == "" && scope[name] == nil {
			return nil, false, true // unknown, or renamed by position in an order not kept
		}
		return renamed(known, alias.A("colnames")), true, true
	case "RangeSubselect":
		alias := v.Get("alias")
		if qual != "" && qual != alias.S("aliasname") {
			return nil, true, false
		}
		known := a.queryColumns(v.Get("subquery"), scope)
		if known == nil {
			return nil, false, true
		}
		return renamed(known, alias.A("colnames")), true, true
	case "JoinExpr":
		if al := v.Get("alias").S("aliasname"); qual != "" && qual == al {
			qual = ""
		}
		var out []string
		hitAny := false
		for _, side := range []Node{v.Get("larg"), v.Get("rarg")} {
			c, ok, h := a.itemColumns(side, qual, scope)
			if !ok {
				return nil, false, true
			}
			if h {
				hitAny = true
				out = append(out, c...)
			}
		}
		return out, true, hitAny
	}
	return nil, false, true // a function, a table sample, …: unknown
}

// renamed applies a column alias list to the first columns.
func renamed(cols []string, aliases []Node) []string {
	out := slices.Clone(cols)
	for i, al := range aliases {
		if i < len(out) {
			out[i] = al.Sval()
		}
	}
	return out
}

// figureColname names an output column as PostgreSQL's FigureColname
// does, with the strength of the name (2 a column or function name, 1 a
// keyword such as "case", 0 "?column?"); "" when the node is not modelled.
func figureColname(n Node) (string, int) {
	typ, v := n.Type()
	switch typ {
	case "ColumnRef":
		fields := v.A("fields")
		if len(fields) == 0 {
			return "", 0
		}
		if name := fields[len(fields)-1].Sval(); name != "" {
			return name, 2
		}
		return "", 0
	case "A_Indirection":
		ind := v.A("indirection")
		if len(ind) > 0 {
			if name := ind[len(ind)-1].Sval(); name != "" {
				return name, 2
			}
		}
		return figureColname(v.Get("arg"))
	case "FuncCall":
		names := v.A("funcname")
		if len(names) == 0 {
			return "", 0
		}
		return names[len(names)-1].Sval(), 2
	case "A_Expr":
		if v.S("kind") == "AEXPR_NULLIF" {
			return "nullif", 2
		}
		return "?column?", 0
	case "TypeCast":
		name, strength := figureColname(v.Get("arg"))
		if name == "" {
			return "", 0
		}
		if strength <= 1 {
			if tn := v.Get("typeName").A("names"); len(tn) > 0 {
				return tn[len(tn)-1].Sval(), 1
			}
		}
		return name, strength
	case "CollateClause":
		return figureColname(v.Get("arg"))
	case "CaseExpr":
		if def := v.Get("defresult"); def.Exists() {
			name, strength := figureColname(def)
			if name == "" {
				return "", 0
			}
			if strength == 2 {
				return name, 2
			}
		}
		return "case", 1
	case "SubLink":
		switch v.S("subLinkType") {
		case "EXISTS_SUBLINK":
			return "exists", 2
		case "ARRAY_SUBLINK":
			return "array", 2
		case "EXPR_SUBLINK":
			if tl := v.Get("subselect").As("SelectStmt").A("targetList"); len(tl) == 1 {
				if name := tl[0].As("ResTarget").S("name"); name != "" {
					return name, 2
				}
			}
		}
		return "?column?", 0
	case "A_ArrayExpr":
		return "array", 2
	case "RowExpr":
		return "row", 2
	case "CoalesceExpr":
		return "coalesce", 2
	case "MinMaxExpr":
		if v.S("op") == "IS_LEAST" {
			return "least", 2
		}
		return "greatest", 2
	case "GroupingFunc":
		return "grouping", 2
	case "SQLValueFunction":
		op := strings.TrimSuffix(strings.TrimPrefix(v.S("op"), "SVFOP_"), "_N")
		if op == "" {
			return "", 0
		}
		return strings.ToLower(op), 2
	case "A_Const", "ParamRef", "BoolExpr", "NullTest", "BooleanTest":
		return "?column?", 0
	}
	return "", 0
}

// Triggers and functions dropped and created again in one migration are
// tracked as views are, among pendingViews and viewDrops: within the
// migration's transaction nobody sees them missing, so the pair is
// neutral when the new one is what old code used (a trigger of the same
// name on the same table; a function of the same signature and result).

// triggerKey is the key of trigger name on table key.
func triggerKey(table, name string) string {
	return "trigger " + table + " " + name
}

// routineKey is the key of a function or procedure: its name and the
// types of its input arguments, as PostgreSQL tells overloads apart
// (type modifiers do not count).
func routineKey(obj Object, args []Node) string {
	var b strings.Builder
	b.WriteString("routine " + relKey(obj.Schema, obj.Name) + "(")
	for i, t := range args {
		if i > 0 {
			b.WriteByte(',')
		}
		if tn := t.As("TypeName"); tn.Exists() {
			t = tn // DROP's objargs come wrapped
		}
		tr := typeOf(t)
		tr.mods, tr.serial = nil, false
		b.WriteString(tr.String())
	}
	b.WriteByte(')')
	return b.String()
}

// inputArg reports whether a FunctionParameter's mode makes it part of
// the signature.
func inputArg(mode string) bool {
	return mode != "FUNC_PARAM_OUT" && mode != "FUNC_PARAM_TABLE"
}

// defineRoutine records a function or procedure CREATE FUNCTION (or
// PROCEDURE) defines, and when the migration dropped it earlier, makes
// the creation neutral if it returns what it returned.
func (a *analyzer) defineRoutine(st Node, obj Object) {
	var args []Node
	var result []string
	for _, p := range st.A("parameters") {
		fp := p.As("FunctionParameter")
		if inputArg(fp.S("mode")) {
			args = append(args, fp.Get("argType"))
			continue
		}
		// OUT and TABLE columns are part of the result old code reads.
		result = append(result, fp.S("name")+" "+typeOf(fp.Get("argType")).String())
	}
	switch rt := st.Get("returnType"); {
	case result != nil && rt.B("setof"):
		result = []string{"TABLE (" + strings.Join(result, ", ") + ")"}
	case result != nil:
		result = []string{"(" + strings.Join(result, ", ") + ")"}
	case rt.Exists():
		result = []string{typeOf(rt).String()}
		if rt.B("setof") {
			result[0] = "SETOF " + result[0]
		}
	}
	key := routineKey(obj, args)
	a.schema.funcs[key] = strings.Join(result, "")
	a.redefined(key, strings.Join(result, ""))
}

// droppedRoutine returns the key of the function DROP FUNCTION names
// (o: its ObjectWithArgs), "" when its signature cannot be told (no
// argument list, and not exactly one known function of that name).
func (a *analyzer) droppedRoutine(o Node, obj Object) string {
	if !o.Exists() {
		return ""
	}
	key := ""
	if !o.B("args_unspecified") {
		key = routineKey(obj, o.A("objargs"))
	} else {
		prefix := "routine " + relKey(obj.Schema, obj.Name) + "("
		for k := range a.schema.funcs {
			if strings.HasPrefix(k, prefix) {
				if key != "" {
					return "" // overloaded: PostgreSQL refuses the drop
				}
				key = k
			}
		}
	}
	return key
}

// droppedForRedefinition records the drop of a trigger or function (key,
// at action act of the current statement), made neutral if the
// migration creates it again (see redefined, finishViews).
func (a *analyzer) droppedForRedefinition(key string, obj Object, act int) {
	d := &viewDrop{stmt: a.stmt, act: act, key: key, obj: obj, known: true}
	if strings.HasPrefix(key, "routine ") {
		d.result, d.known = a.schema.funcs[key]
	}
	a.viewDrops = append(a.viewDrops, d)
	a.pendingViews[key] = d
}

// redefined handles the creation of the trigger or function key with
// result ("" for a trigger): when the migration dropped it earlier, the
// creation is neutral, and so is the drop (finishViews), unless the
// function's result differs or the old one cannot be told.
func (a *analyzer) redefined(key, result string) {
	d := a.pendingViews[key]
	if d == nil {
		return
	}
	delete(a.pendingViews, key)
	me := &a.stmt.Actions[len(a.stmt.Actions)-1]
	obj := d.obj.Kind + " " + d.obj.String()
	if strings.HasPrefix(key, "trigger ") {
		obj = fmt.Sprintf("trigger %s on %s", d.obj.Name, me.Table)
	}
	switch {
	case strings.HasPrefix(key, "routine ") && !d.known:
		me.Effect = Contract
		me.Reason = fmt.Sprintf("re-creates %s dropped on line %d, whose old result safemigrate cannot tell: old code reading a column or type it no longer returns fails", obj, d.stmt.Line)
		d.why = fmt.Sprintf("drops %s, re-created on line %d, whose old result safemigrate cannot tell: old code reading a column or type it no longer returns fails", obj, a.stmt.Line)
	case d.result != result:
		me.Effect = Contract
		me.Reason = fmt.Sprintf("re-creates %s dropped on line %d with a different result (%s, was %s): old code reading it may fail", obj, d.stmt.Line, result, d.result)
		d.why = fmt.Sprintf("drops %s, re-created on line %d with a different result (%s, was %s): old code reading it may fail", obj, a.stmt.Line, result, d.result)
	default:
		d.recreated = true
		me.Effect = Neutral
		me.Reason = fmt.Sprintf("re-creates %s dropped on line %d: old code keeps working", obj, d.stmt.Line)
	}
}
