package lint

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/safemigrate/safemigrate/annotate"
)

// insertAfter rewrites the first match of re in sql by appending word to
// it: "CREATE INDEX i ..." → "CREATE INDEX CONCURRENTLY i ...".
func insertAfter(sql string, re *regexp.Regexp, word string) string {
	loc := re.FindStringIndex(sql)
	if loc == nil {
		return sql
	}
	return sql[:loc[1]] + " " + word + sql[loc[1]:]
}

var (
	reIndex     = regexp.MustCompile(`(?i)^\s*CREATE\s+(UNIQUE\s+)?INDEX`)
	reDropIndex = regexp.MustCompile(`(?i)^\s*DROP\s+INDEX`)
)

const noTxn = "\nThe migration needs `-- transaction: false` in its header."

func runRequireConcurrentIndex(p *Pass) {
	p.each(func(s *annotate.Statement, a *annotate.Action) {
		if a.Op != annotate.OpCreateIndex || a.Concurrent || a.New || a.Partitioned && !a.Scan {
			return
		}
		what := "index " + a.Object.Name
		if a.Object.Name == "" {
			what = "an unnamed index on " + a.Table
		}
		hint := insertAfter(oneLine(s.SQL), reIndex, "CONCURRENTLY") + ";" + noTxn
		if a.Partitioned {
			hint = partitionedIndexHint(a)
		}
		p.Reportf(a.Pos, s.End, hint, "creates %s without CONCURRENTLY: the SHARE lock blocks writes to %s while the index builds", what, a.Table)
	})
}

// partitionedIndexHint is the procedure for indexing a partitioned table
// without blocking its writes: PostgreSQL refuses CREATE INDEX
// CONCURRENTLY on one ("cannot create index on partitioned table
// concurrently").
func partitionedIndexHint(a *annotate.Action) string {
	name := ident(a.Object.Schema, a.Object.Name)
	part := ident(a.Object.Name + "_<partition>")
	if a.Object.Name == "" {
		name, part = "<name>", "<name>_<partition>"
	}
	unique := ""
	if a.Unique {
		unique = "UNIQUE "
	}
	return fmt.Sprintf("a partitioned table cannot be indexed CONCURRENTLY: create the index on the parent alone (it stays invalid), build it on each partition concurrently, then attach each one; the parent's index becomes valid once every partition has one:\n"+
		"CREATE %[1]sINDEX %[2]s ON ONLY %[3]s (...);\n"+
		"-- for each partition, in a migration with `-- transaction: false`:\n"+
		"CREATE %[1]sINDEX CONCURRENTLY %[4]s ON <partition> (...);\n"+
		"ALTER INDEX %[2]s ATTACH PARTITION %[4]s;", unique, name, tableIdent(a), part)
}

func runRequireConcurrentDropIndex(p *Pass) {
	p.each(func(s *annotate.Statement, a *annotate.Action) {
		if a.Op != annotate.OpDropIndex || a.Concurrent || a.New {
			return
		}
		p.Reportf(a.Pos, s.End, insertAfter(oneLine(s.SQL), reDropIndex, "CONCURRENTLY")+";"+noTxn+" DROP INDEX CONCURRENTLY takes one index at a time.",
			"drops index %s without CONCURRENTLY: the ACCESS EXCLUSIVE lock on its table blocks every query until the drop commits", a.Object)
	})
}

func runRequireConcurrentReindex(p *Pass) {
	p.each(func(s *annotate.Statement, a *annotate.Action) {
		if a.Op != annotate.OpReindex || a.Concurrent || a.New {
			return
		}
		hint := fmt.Sprintf("REINDEX (CONCURRENTLY) %s %s;%s", strings.ToUpper(a.Object.Kind), ident(a.Object.Schema, a.Object.Name), noTxn)
		if p.PGVersion < 12 {
			hint = "before PostgreSQL 12 there is no REINDEX CONCURRENTLY: CREATE INDEX CONCURRENTLY a new index, DROP INDEX CONCURRENTLY the old one, then rename"
		}
		p.Reportf(a.Pos, s.End, hint, "reindexes %s without CONCURRENTLY: writes are blocked, and reads that use the index wait, until it finishes", a.Object)
	})
}

func runAddColumnRewritingDefault(p *Pass) {
	p.each(func(s *annotate.Statement, a *annotate.Action) {
		if a.Op != annotate.OpAddColumn || a.New || a.Serial || a.GeneratedStored || a.Default == annotate.NoDefault || !a.Rewrite {
			return
		}
		col := a.Object.Column
		hint := fmt.Sprintf("add the column without a default, set the default for new rows, then backfill in batches in a separate migration:\n"+
			"ALTER TABLE %[1]s ADD COLUMN %[2]s %[3]s;\nALTER TABLE %[1]s ALTER COLUMN %[2]s SET DEFAULT <expr>;\n"+
			"UPDATE %[1]s SET %[2]s = <expr> WHERE %[2]s IS NULL AND <key range>;  -- repeat per batch", tableIdent(a), ident(col), a.Columns[0].Type)
		why := "its default is volatile (evaluated per row)"
		if a.Default == annotate.ConstantDefault {
			why = fmt.Sprintf("before PostgreSQL 11 every default is written into every row (target is %d)", p.PGVersion)
		}
		p.Reportf(a.Pos, s.End, hint, "adds column %s with a default that rewrites %s under an ACCESS EXCLUSIVE lock: %s", a.Object, a.Table, why)
	})
}

func runAddColumnNotNull(p *Pass) {
	p.each(func(s *annotate.Statement, a *annotate.Action) {
		if a.Op != annotate.OpAddColumn || a.New || !a.NotNull || a.Default != annotate.NoDefault || a.Serial || a.GeneratedStored {
			return
		}
		col := a.Object.Column
		hint := fmt.Sprintf("add it nullable (or with a constant DEFAULT), backfill, then enforce in a later migration:\n"+
			"ALTER TABLE %[1]s ADD COLUMN %[2]s %[3]s;\n-- backfill, then, once old code is gone:\n"+
			"ALTER TABLE %[1]s ADD CONSTRAINT %[4]s CHECK (%[2]s IS NOT NULL) NOT VALID;", tableIdent(a), ident(col), a.Columns[0].Type, ident(a.Object.Name+"_"+col+"_not_null"))
		p.Reportf(a.Pos, s.End, hint, "adds NOT NULL column %s without a default: it fails if %s has rows, and inserts from old code that omit it fail", a.Object, a.Table)
	})
}

func runAddColumnSerial(p *Pass) {
	p.each(func(s *annotate.Statement, a *annotate.Action) {
		if a.Op != annotate.OpAddColumn || a.New || !a.Serial {
			return
		}
		col := a.Object.Column
		seq := ident(a.Object.Schema, a.Object.Name+"_"+col+"_seq")
		hint := fmt.Sprintf("add a plain column, attach a sequence as its default, and backfill in batches:\n"+
			"CREATE SEQUENCE %[1]s;\nALTER TABLE %[3]s ADD COLUMN %[2]s bigint;\n"+
			"ALTER TABLE %[3]s ALTER COLUMN %[2]s SET DEFAULT nextval('%[4]s');\n-- then backfill existing rows in batches",
			seq, ident(col), tableIdent(a), strings.ReplaceAll(seq, "'", "''"))
		p.Reportf(a.Pos, s.End, hint, "adds serial or identity column %s: every existing row of %s is rewritten under an ACCESS EXCLUSIVE lock", a.Object, a.Table)
	})
}

func runAddColumnGenerated(p *Pass) {
	p.each(func(s *annotate.Statement, a *annotate.Action) {
		if a.Op != annotate.OpAddColumn || a.New || !a.GeneratedStored {
			return
		}
		hint := fmt.Sprintf("add a plain column kept up to date by a trigger (or computed by the application), and backfill in batches:\n"+
			"ALTER TABLE %s ADD COLUMN %s %s;\n-- CREATE TRIGGER ... BEFORE INSERT OR UPDATE ... to maintain it, then backfill", tableIdent(a), ident(a.Object.Column), a.Columns[0].Type)
		p.Reportf(a.Pos, s.End, hint, "adds stored generated column %s: every existing row of %s is rewritten under an ACCESS EXCLUSIVE lock", a.Object, a.Table)
	})
}

func runChangeColumnType(p *Pass) {
	p.each(func(s *annotate.Statement, a *annotate.Action) {
		if a.Op != annotate.OpAlterColumnType || a.New || !a.Rewrite {
			return
		}
		newType := a.Columns[0].Type
		hint := fmt.Sprintf("add a new column of type %[1]s, write both from the application (or a trigger), backfill in batches, switch reads, then drop the old column:\n"+
			"ALTER TABLE %[2]s ADD COLUMN %[3]s %[1]s;", newType, tableIdent(a), ident(a.Object.Column+"_new"))
		if a.OldType == "" {
			p.Reportf(a.Pos, s.End, hint+"\nIf the change is binary-coercible (e.g. varchar(n) to varchar(m > n) or text), lint the migration that created the column together with this one so safemigrate sees the old type.",
				"changes the type of %s to %s: unless the change is binary-coercible, PostgreSQL rewrites %s and its indexes under an ACCESS EXCLUSIVE lock (the old type is not known to safemigrate)", a.Object, newType, a.Table)
			return
		}
		p.Reportf(a.Pos, s.End, hint, "changes the type of %s from %s to %s: PostgreSQL rewrites %s and its indexes under an ACCESS EXCLUSIVE lock", a.Object, a.OldType, newType, a.Table)
	})
}

func runSetNotNull(p *Pass) {
	p.each(func(s *annotate.Statement, a *annotate.Action) {
		if a.Op != annotate.OpSetNotNull || a.New || !a.Scan || a.Table == "" {
			return
		}
		col := ident(a.Object.Column)
		name := ident(a.Object.Name + "_" + a.Object.Column + "_not_null")
		hint := fmt.Sprintf("prove it first with a constraint that validates without blocking:\n"+
			"ALTER TABLE %[1]s ADD CONSTRAINT %[3]s CHECK (%[2]s IS NOT NULL) NOT VALID;\n"+
			"-- in a later migration:\nALTER TABLE %[1]s VALIDATE CONSTRAINT %[3]s;\n"+
			"ALTER TABLE %[1]s ALTER COLUMN %[2]s SET NOT NULL;  -- no scan on PostgreSQL 12+\nALTER TABLE %[1]s DROP CONSTRAINT %[3]s;", tableIdent(a), col, name)
		if p.PGVersion < 12 {
			hint = fmt.Sprintf("before PostgreSQL 12 SET NOT NULL always scans; keep a validated CHECK (%s IS NOT NULL) NOT VALID constraint instead of the column property, or run it in a quiet window", col)
		}
		p.Reportf(a.Pos, s.End, hint, "sets %s NOT NULL: every row of %s is scanned under an ACCESS EXCLUSIVE lock", a.Object, a.Table)
	})
}

func runCheckWithoutNotValid(p *Pass) {
	p.each(func(s *annotate.Statement, a *annotate.Action) {
		if a.Op != annotate.OpAddConstraint || a.Constraint != annotate.ConstraintCheck || a.NotValid || a.New {
			return
		}
		target := a.Table
		if target == "" {
			target = "every column of domain " + a.Object.String()
		}
		hint := "add it NOT VALID (new writes are checked at once), then validate in a separate migration with a weaker lock:\n" +
			"ALTER TABLE ... ADD CONSTRAINT name CHECK (...) NOT VALID;\nALTER TABLE ... VALIDATE CONSTRAINT name;  -- separate migration"
		p.Reportf(a.Pos, s.End, hint, "adds CHECK constraint %swithout NOT VALID: %s is scanned under an ACCESS EXCLUSIVE lock", named(a.ConstraintName), target)
	})
}

func named(n string) string {
	if n == "" {
		return ""
	}
	return n + " "
}

func runForeignKeyWithoutNotValid(p *Pass) {
	p.each(func(s *annotate.Statement, a *annotate.Action) {
		if a.Op == annotate.OpAddConstraint && a.Referenced && !a.New && !a.NotValid && s.Kind == "ALTER TABLE" && newTableConstraint(s, a.ConstraintName) {
			if t := newTableOf(s, a.ConstraintName); !filledBefore(p, s, t) {
				p.Warnf(a.Pos, s.End, "add it NOT VALID, or declare the foreign key in the CREATE TABLE, and keep the migration short: the lock on "+a.Table+" lasts until it commits",
					"adds foreign key %sfrom %s, created empty in this migration, to existing table %s without NOT VALID: it holds SHARE ROW EXCLUSIVE on %s, blocking its writes, until the migration commits", named(a.ConstraintName), t, a.Table, a.Table)
				return
			}
			p.Reportf(a.Pos, s.End, "add it NOT VALID (the new table's rows are checked later, by VALIDATE CONSTRAINT, which takes only SHARE UPDATE EXCLUSIVE), or declare the foreign key in the CREATE TABLE before the table is filled",
				"adds foreign key %sfrom a table created in this migration to existing table %s without NOT VALID: validating it holds SHARE ROW EXCLUSIVE on %s, blocking its writes, while every row of the new table is checked", named(a.ConstraintName), a.Table, a.Table)
			return
		}
		if a.Op != annotate.OpAddConstraint || a.Constraint != annotate.ConstraintForeignKey || a.NotValid || a.New || a.Referenced {
			return
		}
		hint := "add it NOT VALID, then validate in a separate migration (VALIDATE takes only SHARE UPDATE EXCLUSIVE):\n" +
			"ALTER TABLE ... ADD CONSTRAINT name FOREIGN KEY (...) REFERENCES ... NOT VALID;\nALTER TABLE ... VALIDATE CONSTRAINT name;  -- separate migration"
		if a.Object.Kind == "column" {
			hint = "add the column first, then the constraint NOT VALID, then validate it in a separate migration:\n" +
				"ALTER TABLE " + tableIdent(a) + " ADD COLUMN " + ident(a.Object.Column) + " <type>;\nALTER TABLE " + tableIdent(a) + " ADD CONSTRAINT name FOREIGN KEY (" + ident(a.Object.Column) + ") REFERENCES ... NOT VALID;"
		}
		p.Reportf(a.Pos, s.End, hint, "adds foreign key %swithout NOT VALID: every row of %s is checked while writes to it and to the referenced table are blocked", named(a.ConstraintName), a.Table)
	})
}

// newTableOf returns the table the foreign key name of statement s is
// added to.
func newTableOf(s *annotate.Statement, name string) string {
	for _, b := range s.Actions {
		if b.Op == annotate.OpAddConstraint && !b.Referenced && b.Constraint == annotate.ConstraintForeignKey && b.ConstraintName == name {
			return b.Table
		}
	}
	return ""
}

// filledBefore reports whether a statement of the migration before s
// may have put rows into table: CREATE TABLE ... AS, SELECT ... INTO,
// INSERT, COPY, MERGE, or a DO block or call safemigrate cannot see into.
func filledBefore(p *Pass, s *annotate.Statement, table string) bool {
	for _, st := range p.Statements() {
		if st.Start >= s.Start {
			break
		}
		for _, b := range st.Actions {
			if b.Opaque || b.Table == table && (b.Op == annotate.OpInsert || b.Op == annotate.OpData || b.Op == annotate.OpCreateTable && st.Kind != "CREATE TABLE") {
				return true
			}
		}
	}
	return false
}

// newTableConstraint reports whether the foreign key name of statement s
// is added to a table created in the same migration.
func newTableConstraint(s *annotate.Statement, name string) bool {
	for _, b := range s.Actions {
		if b.Op == annotate.OpAddConstraint && !b.Referenced && b.Constraint == annotate.ConstraintForeignKey && b.ConstraintName == name && b.New {
			return true
		}
	}
	return false
}

func runValidateInSameTransaction(p *Pass) {
	if !p.Directives.Transaction {
		return
	}
	added := map[string]int{} // table/constraint -> line of ADD ... NOT VALID
	p.each(func(s *annotate.Statement, a *annotate.Action) {
		switch {
		case a.Op == annotate.OpAddConstraint && a.NotValid && !a.Referenced && a.ConstraintName != "":
			added[a.Table+"/"+a.ConstraintName] = s.Line
		case a.Op == annotate.OpValidateConstraint && !a.New:
			if line, ok := added[a.Table+"/"+a.ConstraintName]; ok {
				p.Reportf(s.Start, s.End, "move VALIDATE CONSTRAINT into a separate, later migration; on its own it takes only SHARE UPDATE EXCLUSIVE, which lets reads and writes go on",
					"validates constraint %s in the transaction that added it NOT VALID on line %d: the lock from ADD CONSTRAINT is held while every row is checked", a.ConstraintName, line)
			}
		}
	})
}

func runUniqueWithoutUsingIndex(p *Pass) {
	p.each(func(s *annotate.Statement, a *annotate.Action) {
		if a.Op != annotate.OpAddConstraint || (a.Constraint != annotate.ConstraintUnique && a.Constraint != annotate.ConstraintPrimaryKey) || a.UsingIndex || a.New {
			return
		}
		kw := strings.ToUpper(a.Constraint)
		name := a.ConstraintName
		if name == "" {
			name = "name"
		}
		// The index lives in the table's schema; USING INDEX names it
		// unqualified.
		idx := ident(name + "_idx")
		hint := fmt.Sprintf("build the index concurrently (in a `-- transaction: false` migration), then attach it:\n"+
			"CREATE UNIQUE INDEX CONCURRENTLY %[1]s ON %[2]s (...);\nALTER TABLE %[2]s ADD CONSTRAINT %[4]s %[3]s USING INDEX %[1]s;", idx, tableIdent(a), kw, ident(name))
		p.Reportf(a.Pos, s.End, hint, "adds %s constraint %swithout USING INDEX: its index is built under an ACCESS EXCLUSIVE lock on %s", kw, named(a.ConstraintName), a.Table)
	})
}

func runExclusionConstraint(p *Pass) {
	p.each(func(s *annotate.Statement, a *annotate.Action) {
		if a.Op != annotate.OpAddConstraint || a.Constraint != annotate.ConstraintExclusion || a.New {
			return
		}
		p.Reportf(a.Pos, s.End, "there is no concurrent way to add an exclusion constraint: create a new table with the constraint and move the data, or add it in a maintenance window and ignore this rule with a justification",
			"adds exclusion constraint %son existing table %s: its index is built under an ACCESS EXCLUSIVE lock", named(a.ConstraintName), a.Table)
	})
}

var dropOps = map[string]annotate.Op{
	"drop-column": annotate.OpDropColumn, "drop-table": annotate.OpDropTable,
	"drop-schema": annotate.OpDropSchema, "drop-database": annotate.OpDropDatabase,
}

func runDrop(id string) func(*Pass) {
	op := dropOps[id]
	return func(p *Pass) {
		p.each(func(s *annotate.Statement, a *annotate.Action) {
			if a.Op != op || a.New {
				return
			}
			switch op {
			case annotate.OpDropDatabase:
				p.Reportf(s.Start, s.End, "drop databases by hand, not from a migration", "drops database %s", a.Object.Name)
			default:
				hint := "run it in an after_deploy migration once no deployed code uses it; keep a backup if the data may be needed. When that is so, silence this with `-- safemigrate:ignore " + id + " -- why`"
				p.Reportf(a.Pos, s.End, hint, "%s: the data is gone for good", firstClause(a.Reason))
			}
		})
	}
}

func runRename(id string) func(*Pass) {
	op := annotate.OpRenameColumn
	if id == "rename-table" {
		op = annotate.OpRenameTable
	}
	return func(p *Pass) {
		p.each(func(s *annotate.Statement, a *annotate.Action) {
			if a.Op != op || a.New {
				return
			}
			hint := "expand and contract instead: add the new column, write both (application or trigger), backfill, switch reads, and drop the old column after deploy"
			if op == annotate.OpRenameTable {
				hint = fmt.Sprintf("rename, and keep the old name alive as a view until old code is gone:\nALTER TABLE %[1]s RENAME TO <new>;\nCREATE VIEW %[1]s AS SELECT * FROM <new>;  -- drop it in an after_deploy migration", ident(a.Object.Schema, a.Object.Name))
			}
			p.Reportf(a.Pos, s.End, hint, "%s; whichever code runs on the other side of the deploy breaks", a.Reason)
		})
	}
}

func runTruncate(p *Pass) {
	p.each(func(s *annotate.Statement, a *annotate.Action) {
		if a.Op != annotate.OpTruncate || a.New {
			return
		}
		p.Reportf(a.Pos, s.End, "delete in batches (DELETE ... WHERE id IN (SELECT id ... LIMIT 10000)) if the table is live; if emptying it is intended, silence this with `-- safemigrate:ignore truncate -- why`",
			"truncates %s under an ACCESS EXCLUSIVE lock: every row is gone", a.Table)
	})
}

func runVacuumFull(p *Pass) {
	p.each(func(s *annotate.Statement, a *annotate.Action) {
		if a.Op != annotate.OpVacuum || !a.Rewrite || a.New {
			return
		}
		what := a.Table
		if what == "" {
			what = "every table"
		}
		p.Reportf(a.Pos, s.End, "use plain VACUUM (no lock on reads or writes), or pg_repack / pg_squeeze to compact a live table",
			"VACUUM FULL rewrites %s under an ACCESS EXCLUSIVE lock", what)
	})
}

func runCluster(p *Pass) {
	p.each(func(s *annotate.Statement, a *annotate.Action) {
		if a.Op != annotate.OpCluster || a.New {
			return
		}
		what := a.Table
		if what == "" {
			what = "every clustered table"
		}
		p.Reportf(a.Pos, s.End, "use pg_repack (which reorders without a long lock) or run CLUSTER in a maintenance window, outside migrations",
			"CLUSTER rewrites %s under an ACCESS EXCLUSIVE lock", what)
	})
}

func runAlterTableRewrite(p *Pass) {
	p.each(func(s *annotate.Statement, a *annotate.Action) {
		if a.Op != annotate.OpAlterTable || !a.Rewrite || a.New {
			return
		}
		p.Reportf(s.Start, s.End, "create a new table with the wanted storage and move the data in batches, or do it in a maintenance window",
			"%s: the table is rewritten under an ACCESS EXCLUSIVE lock", firstClause(a.Reason))
	})
}

func runRequireConcurrentDetach(p *Pass) {
	p.each(func(s *annotate.Statement, a *annotate.Action) {
		if a.Op != annotate.OpDetachPartition || a.Concurrent || a.New || a.Lock != annotate.AccessExclusive {
			return
		}
		hint := "ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY;" + noTxn
		if p.PGVersion < 14 {
			hint = fmt.Sprintf("DETACH PARTITION CONCURRENTLY needs PostgreSQL 14 (target is %d): detach in a quiet window", p.PGVersion)
		}
		p.Reportf(a.Pos, s.End, hint, "detaches a partition of %s without CONCURRENTLY: the ACCESS EXCLUSIVE lock on %s blocks every query", a.Table, a.Table)
	})
}

func runPreferJSONB(p *Pass) {
	p.each(func(s *annotate.Statement, a *annotate.Action) {
		for _, c := range a.Columns {
			if c.Type == "json" || c.Type == "json[]" {
				p.Reportf(c.Pos, s.End, "declare it "+strings.Replace(c.Type, "json", "jsonb", 1)+"; to convert an existing json column, add a jsonb column and backfill it, since ALTER ... TYPE jsonb rewrites the table",
					"column %s is json: stored as text, reparsed on every access, with no equality operator or index support", c.Name)
			}
		}
	})
}

func runMultipleAccessExclusive(p *Pass) {
	if !p.Directives.Transaction {
		return
	}
	stmts := p.Statements()
	first := map[string]int{} // table -> index of the first statement taking ACCESS EXCLUSIVE on it
	reported := map[string]bool{}
	for i := range stmts {
		s := &stmts[i]
		for _, a := range s.Actions {
			if a.Lock != annotate.AccessExclusive || a.New || a.Table == "" || reported[a.Table] {
				continue
			}
			f, seen := first[a.Table]
			if !seen {
				first[a.Table] = i
				continue
			}
			if f == i {
				continue
			}
			// Several quick catalog changes under one lock are harmless; the
			// risk is slow work done while the lock is held.
			slow := -1
			for j := f; j <= i && slow < 0; j++ {
				if slowStatement(&stmts[j]) {
					slow = j
				}
			}
			if slow < 0 {
				continue
			}
			reported[a.Table] = true
			p.table = a.Table
			where := fmt.Sprintf("first on line %d, slow work on line %d", stmts[f].Line, stmts[slow].Line)
			if slow == f {
				where = fmt.Sprintf("first on line %d, which does slow work under it", stmts[f].Line)
			}
			p.Reportf(s.Start, s.End, fmt.Sprintf("split the migration so that the slow step runs in its own transaction, or combine the quick changes to %s into one ALTER TABLE after it", a.Table),
				"takes ACCESS EXCLUSIVE on %s again (%s): reads and writes of %s wait from line %d until commit",
				a.Table, where, a.Table, stmts[f].Line)
		}
	}
}

// slowStatement reports whether a statement's run time grows with table
// size: it scans or rewrites a table, or changes rows, or does something
// safemigrate cannot see. A DO block is as slow as the statements in it.
func slowStatement(s *annotate.Statement) bool {
	for i := range s.Inner {
		if slowStatement(&s.Inner[i]) {
			return true
		}
	}
	if len(s.Scans) > 0 || len(s.Rewrites) > 0 {
		for _, a := range s.Actions {
			if (a.Scan || a.Rewrite) && !a.New {
				return true
			}
		}
	}
	for _, a := range s.Actions {
		switch a.Op {
		case annotate.OpUpdate, annotate.OpDelete:
			if !a.New {
				return true
			}
		case annotate.OpData:
			// A DO block's own action is neutral: its statements decide.
			if !a.New && (a.Effect == annotate.Data || a.Opaque) {
				return true
			}
		}
	}
	return false
}

func runDMLWithoutWhere(p *Pass) {
	p.each(func(s *annotate.Statement, a *annotate.Action) {
		if !a.NoWhere || a.New {
			return
		}
		p.Reportf(s.Start, s.End, "work in batches by key range (WHERE id BETWEEN ... AND ...) in a `-- transaction: false` migration, or move the backfill out of the migration",
			"%s without WHERE touches every row of %s in one transaction", dmlVerb(a), a.Table)
	})
}

// dmlVerb names the statement of a bulk write action.
func dmlVerb(a *annotate.Action) string {
	switch a.Op {
	case annotate.OpDelete:
		return "DELETE"
	case annotate.OpData:
		return "MERGE"
	}
	return "UPDATE"
}

func runBulkDML(p *Pass) {
	p.each(func(s *annotate.Statement, a *annotate.Action) {
		if !a.Unselective || a.New {
			return
		}
		p.Reportf(s.Start, s.End, "work in batches by key range (AND id BETWEEN ... AND ...) in a `-- transaction: false` migration, or move the backfill out of the migration; if the table is small, silence this with `-- safemigrate:ignore bulk-dml -- why`",
			"%s on %s selects its rows by no indexed key: it reads the whole table, and holds a lock on every row it changes until the migration commits", dmlVerb(a), a.Table)
	})
}

func runCopyThenDrop(p *Pass) {
	p.each(func(s *annotate.Statement, a *annotate.Action) {
		if a.CopiedAt == 0 {
			return
		}
		p.Reportf(a.Pos, s.End, "keep the old table until old code is gone: copy in a before_deploy migration, keep both in step (a trigger, or writes from the new code), and drop the old table in an after_deploy migration",
			"drops %s after copying its rows on line %d: rows old code writes to %s between the copy and the drop are lost", a.Table, a.CopiedAt, a.Table)
	})
}
