package annotate

import (
	"github.com/safemigrate/safemigrate/internal/sqlparse"
	"github.com/safemigrate/safemigrate/migration"
)

// DefaultPGVersion is the PostgreSQL major version assumed when
// [Options.PGVersion] is zero.
const DefaultPGVersion = 15

// Options tune the analysis.
type Options struct {
	// PGVersion is the major version of the target server (11, 12, ...).
	// Zero means DefaultPGVersion. It decides, for example, whether adding
	// a column with a constant default rewrites the table (before 11).
	PGVersion int
	// NoTransaction: the migration runs outside a transaction
	// (`-- transaction: false`), each statement on its own, so SET LOCAL
	// has no effect.
	NoTransaction bool
}

// Version returns the PostgreSQL major version the options stand for.
func (o Options) Version() int {
	if o.PGVersion <= 0 {
		return DefaultPGVersion
	}
	return o.PGVersion
}

// SyntaxError is a positioned parse error; [Parse] and [Analyze] return it
// (wrapped by nothing) for SQL the PostgreSQL parser rejects.
type SyntaxError = sqlparse.SyntaxError

// Op names the kind of operation an [Action] performs.
type Op string

// The operations the analysis tells apart.
const (
	OpCreateTable        Op = "create-table"
	OpCreateIndex        Op = "create-index"
	OpCreate             Op = "create" // any other CREATE
	OpAddColumn          Op = "add-column"
	OpDropColumn         Op = "drop-column"
	OpAlterColumnType    Op = "alter-column-type"
	OpSetNotNull         Op = "set-not-null"
	OpDropNotNull        Op = "drop-not-null"
	OpSetDefault         Op = "set-default"
	OpDropDefault        Op = "drop-default"
	OpAddConstraint      Op = "add-constraint"
	OpValidateConstraint Op = "validate-constraint"
	OpDropConstraint     Op = "drop-constraint"
	OpAttachPartition    Op = "attach-partition"
	OpDetachPartition    Op = "detach-partition"
	OpAlterTable         Op = "alter-table" // any other ALTER TABLE subcommand
	OpDropTable          Op = "drop-table"
	OpDropIndex          Op = "drop-index"
	OpDropSchema         Op = "drop-schema"
	OpDropDatabase       Op = "drop-database"
	OpDrop               Op = "drop" // any other DROP
	OpRenameColumn       Op = "rename-column"
	OpRenameTable        Op = "rename-table"
	OpRename             Op = "rename" // any other RENAME or SET SCHEMA
	OpTruncate           Op = "truncate"
	OpVacuum             Op = "vacuum"
	OpCluster            Op = "cluster"
	OpReindex            Op = "reindex"
	OpInsert             Op = "insert"
	OpUpdate             Op = "update"
	OpDelete             Op = "delete"
	OpData               Op = "data" // other DML, DO, CALL, COPY, SELECT
	OpTransaction        Op = "transaction"
	OpLock               Op = "lock"
	OpOther              Op = "other"
)

// Constraint kinds in [Action.Constraint].
const (
	ConstraintCheck      = "check"
	ConstraintForeignKey = "foreign key"
	ConstraintUnique     = "unique"
	ConstraintPrimaryKey = "primary key"
	ConstraintExclusion  = "exclusion"
)

// Default describes the default of an added column.
type Default int

// The kinds of column default.
const (
	NoDefault       Default = iota
	ConstantDefault         // constant or stable expression: no rewrite on PostgreSQL 11+
	VolatileDefault         // evaluated per row: rewrites the table
)

// Column is a column definition met in CREATE TABLE, ADD COLUMN or
// ALTER COLUMN TYPE.
type Column struct {
	Name string
	Type string // canonical, e.g. "varchar(255)", "int8", "jsonb", "text[]"
	Pos  int    // byte offset of the definition in the file
}

// Action is one thing a statement does. ALTER TABLE with three
// subcommands has three actions.
type Action struct {
	Op     Op
	Pos    int    // byte offset in the file of the clause that does it
	Object Object // the object acted on; for column operations Kind is "column"
	Table  string // the table whose lock matters, printed; "" for none
	Lock   LockMode
	// Rewrite: the table is rewritten (every row copied) under Lock.
	Rewrite bool
	// Scan: the table is read in full (to build an index or check a
	// constraint) while Lock is held.
	Scan bool
	// New: Table was created earlier in the same migration (or by this
	// statement), so nothing else can be using it and its locks are no risk.
	New    bool
	Effect Effect
	Reason string // human reason for Effect: "drops column users.email: old code selecting it fails"

	Concurrent bool // CONCURRENTLY
	IfExists   bool // IF EXISTS / IF NOT EXISTS / OR REPLACE
	// Rerunnable: running the statement a second time after it succeeded
	// (or half-succeeded outside a transaction) does not fail.
	Rerunnable bool

	Constraint     string // for OpAddConstraint and column constraints: ConstraintCheck, ...
	ConstraintName string
	NotValid       bool   // NOT VALID
	UsingIndex     bool   // UNIQUE / PRIMARY KEY USING INDEX
	NotNullCheck   string // a CHECK (col IS NOT NULL): the column
	// Referenced: this action is the lock a foreign key takes on the table
	// it references, not the constraint itself.
	Referenced bool

	Default         Default
	NotNull         bool     // ADD COLUMN ... NOT NULL
	Serial          bool     // serial type or identity column
	GeneratedStored bool     // GENERATED ALWAYS AS (...) STORED
	Columns         []Column // columns defined (CREATE TABLE, ADD COLUMN, ALTER TYPE)
	OldType         string   // ALTER COLUMN TYPE: the previous type when known, else ""
	Targets         []Column // INSERT column list, UPDATE SET targets (Type empty)
	Unique          bool     // CREATE UNIQUE INDEX
	// Partitioned: CREATE INDEX on a partitioned table, which PostgreSQL
	// cannot index CONCURRENTLY; with Scan false it is ON ONLY the parent,
	// which builds nothing.
	Partitioned bool
	NoWhere     bool // UPDATE / DELETE without WHERE
	// Unselective: UPDATE / DELETE whose WHERE does not pin rows down by
	// an indexed key (or joins another table for them): it touches most
	// of the table.
	Unselective bool
	// CopiedAt: DROP TABLE of a table this migration copied from earlier
	// (CREATE TABLE ... AS SELECT, INSERT ... SELECT): the 1-based line of
	// the copy; 0 otherwise.
	CopiedAt int
	// Opaque: part of the statement does something the analysis cannot
	// see (dynamic SQL, a procedure or unknown function, a DO block it
	// cannot read); Effect is Contract, since unknown never counts as safe.
	Opaque bool
}

// Statement is one SQL statement of a migration with what the analysis
// found out about it.
type Statement struct {
	Index        int    // 0-based position in the file
	SQL          string // text without leading comments and trailing semicolon
	Start, End   int    // byte offsets: src[Start:End] == SQL
	Line, Column int    // 1-based position of Start
	// Tree is the statement's parse tree, a node wrapper such as
	// {"AlterTableStmt": {...}}; see [Node].
	Tree Node

	// Filled by Analyze.
	Kind          string // "ALTER TABLE", "CREATE INDEX", ...
	Actions       []Action
	Objects       []Object
	Locks         []RelationLock // strongest lock per relation, in first-seen order
	Rewrites      []string       // tables rewritten
	Scans         []string       // tables read in full under a lock
	Transactional bool           // may run inside a transaction block
	Effect        Effect
	Reason        string
	// Inner are the static SQL statements of a DO block, positioned in the
	// file and analysed like top-level ones (Index counts within the
	// block). The DO statement's own Effect covers only what it does
	// itself (opaque parts); its Locks, Rewrites and Scans include the
	// inner statements'. See [Statement.Flatten].
	Inner []Statement
}

// Flatten returns s followed by its inner statements (and theirs),
// depth first in file order.
func (s *Statement) Flatten() []*Statement {
	out := []*Statement{s}
	for i := range s.Inner {
		out = append(out, s.Inner[i].Flatten()...)
	}
	return out
}

// Analysis is the result of analysing one migration.
type Analysis struct {
	Statements []Statement
	// Suggested is the safe value the SQL calls for: after_deploy when any
	// statement contracts, before_deploy when any expands, else always.
	Suggested migration.Safe
	// Effect is the strictest statement effect (Neutral for no statements).
	Effect Effect
	// Decider is the index in Statements of the first statement with the
	// strictest effect (for a statement inside a DO block: of the DO), -1
	// when there are no statements.
	Decider int
	// Line is the 1-based line of the deciding statement (inside a DO
	// block: the inner statement's), 0 when there are none.
	Line int
	// Reason explains Suggested through the deciding statement.
	Reason string
}

// Parse splits src into statements using the PostgreSQL parser. The
// statements carry positions and parse trees; the analysis fields are
// filled by [Schema.Analyze]. A syntax error is a *[SyntaxError]. Parse is
// safe for concurrent use.
func Parse(src string) ([]Statement, error) {
	stmts, err := sqlparse.Split(src)
	if err != nil {
		return nil, err
	}
	return FromSplit(stmts), nil
}

// FromSplit turns statements of a file as [sqlparse.Split] returns them
// into Statements ready for [Schema.Analyze], [Refusals] and
// [SideEffects], sharing their parse trees: a caller that has split a
// file (the executor) does not parse it again.
func FromSplit(stmts []sqlparse.Statement) []Statement {
	out := make([]Statement, len(stmts))
	for i, st := range stmts {
		out[i] = Statement{Index: i, SQL: st.SQL, Start: st.Start, End: st.End, Line: st.Line, Column: st.Column, Tree: st.Tree}
	}
	return out
}

// lines memoises the last position so that a forward walk over a file's
// statements is linear in its size.
type lines struct{ off, line, lineStart int }

func (li *lines) position(src string, off int) (int, int) {
	if li.line == 0 || off < li.off {
		*li = lines{line: 1}
	}
	for i := li.off; i < off && i < len(src); i++ {
		if src[i] == '\n' {
			li.line++
			li.lineStart = i + 1
		}
	}
	li.off = off
	return li.line, off - li.lineStart + 1
}

// Analyze parses and analyses one migration on its own, as if the
// database held nothing the migration does not create itself.
func Analyze(src string, opts Options) (*Analysis, error) {
	stmts, err := Parse(src)
	if err != nil {
		return nil, err
	}
	return NewSchema().Analyze(stmts, opts), nil
}
