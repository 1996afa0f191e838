// Package sqlparse is safemigrate's one door to the PostgreSQL parser
// (pg_query, the PostgreSQL 17 grammar): no other package imports
// pg_query (TestOneDoor), and the executor, lint and --trace read the one
// tree it produces.
//
// [Split] turns a migration file into its statements, each with its byte
// range, 1-based line and column in the file, and its parse tree. A syntax
// error comes back as a [*SyntaxError] positioned the same way, never as a
// panic. Statements are never found by splitting on `;`: dollar quotes,
// strings, comments and function bodies are the parser's business.
//
//	stmts, err := sqlparse.Split(src)
//	var se *sqlparse.SyntaxError
//	if errors.As(err, &se) {
//		fmt.Printf("%s:%d:%d: %s\n", file, se.Line, se.Column, se.Message)
//	}
//
// A tree is a [Node]: libpg_query's tree, from the parser's JSON output
// decoded into a flat table (producing JSON costs the parser a fraction
// of what its protobuf tree does, which is most of lint's time on a big
// directory). Fields are read by libpg_query's names
// (st.Tree.As("IndexStmt").B("concurrent")); an absent field reads as
// the zero value, so package annotate's TestTreeNamesExist checks that
// every name read in the source exists in the parser's output.
//
// [ParsePlpgsql] compiles the PL/pgSQL body of a DO block with
// PostgreSQL's PL/pgSQL parser, so that package annotate can read the
// static SQL inside it. [WithoutConcurrently] and [IndexShape] rewrite
// one statement and render it back to SQL, for the executor's rehearsal
// of `transaction: false` migrations and its recognition of an index an
// interrupted CREATE INDEX CONCURRENTLY left.
//
// Everything here is safe for concurrent use; each call parses
// independently.
package sqlparse
