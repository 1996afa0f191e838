// Package annotate analyses the SQL of a migration: what each statement
// does, the locks it takes, and the safe value it calls for. It is SQL
// analysis only, and it needs cgo: it parses through libpg_query, the
// PostgreSQL parser.
//
// The file format — names, IDs, the directory layout and the header
// directives — belongs to package [migration] (docs/file-format.md), which
// links no cgo; the [migration.Safe] values annotate suggests come from
// there.
//
// # SQL analysis
//
// [Parse] splits a file into [Statement] values through the PostgreSQL
// parser; [Schema.Analyze] then works out, per statement, the [Action]s it
// performs: the objects it touches, the [LockMode] it takes on each
// relation, whether it rewrites or scans a table, whether it may run in a
// transaction, and its [Effect] on code that is already running (expand,
// contract, data, neutral) with a human reason. From the strictest
// statement it suggests the migration's [migration.Safe] value.
//
// Each statement keeps its parse tree as a [Node]: libpg_query's tree,
// decoded from the parser's JSON into a flat table (producing JSON costs
// the parser a fraction of what the protobuf tree does, which is most of
// lint's time on a big directory). Walk it with [Node.Get], [Node.Type],
// [Node.As] and friends: an absent field reads as the zero value.
//
// A [Schema] carries knowledge from one migration to the next: analyse a
// directory's migrations in order through one Schema and a later
// `ALTER COLUMN ... TYPE` knows the column's old type, a `SET NOT NULL`
// knows of a validated `CHECK (col IS NOT NULL)`. Within one migration,
// tables it creates are known to be new, so indexing them is no lock risk.
//
//	an, err := annotate.Analyze(sql, annotate.Options{PGVersion: 15})
//	fmt.Println(an.Suggested, an.Reason)
//	// after_deploy line 4: drops column users.email: old code selecting or writing it fails
//
// A DO block is read through PostgreSQL's PL/pgSQL parser: its static SQL
// statements are [Statement.Inner], analysed like top-level ones with
// their positions in the file. What stays out of sight (dynamic EXECUTE,
// CALL, a function safemigrate does not know, another language) is an
// [Action] marked Opaque, whose effect is Contract: unknown never counts
// as safe (docs/rules.md, opaque-statement). [UnsupportedSyntax] lists
// syntax of PostgreSQL 17's grammar, which the parser is, that an older
// target version rejects.
//
// # What a run cannot undo or cannot run
//
// [SideEffects] lists the calls whose effect a rollback cannot undo
// (setval, nextval outside column defaults, pg_advisory_unlock*, dblink*):
// a rehearsal that rolls back leaves them behind. [Refusals] lists what
// cannot run through safemigrate at all: COPY ... FROM STDIN or TO STDOUT
// (inline rows included), psql meta-commands, pg_advisory_unlock_all().
// The executor refuses such a file before anything runs, and lint reports
// both (docs/rules.md).
//
//	effects, err := annotate.SideEffects(sql)
//	for _, e := range effects {
//		fmt.Printf("%s:%d: %s() is not undone by a rollback\n", file, e.Line, e.Func)
//	}
//
// Everything here is a pure function of its input: [Parse],
// [Analyze], [SideEffects] and [Refusals] are safe for concurrent use; a
// [Schema] is not and is used by one goroutine at a time. Nothing blocks, so nothing takes a context.
package annotate
