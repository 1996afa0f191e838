// Package sqlparse is safemigrate's one door to the PostgreSQL parser
// (pg_query, the PostgreSQL 17 grammar).
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
// [ParsePlpgsqlJSON] compiles the PL/pgSQL body of a DO block (or
// function) with PostgreSQL's PL/pgSQL parser, so that package annotate can
// read the static SQL inside it; no other package calls pg_query.
//
// Split is safe for concurrent use; each call parses independently.
package sqlparse
