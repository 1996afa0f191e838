package sqlparse

import (
	"fmt"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"github.com/pganalyze/pg_query_go/v6/parser"
)

// ParsePlpgsql compiles the PL/pgSQL body of one DO or CREATE FUNCTION
// statement (stmt is that statement's text alone) with PostgreSQL's
// PL/pgSQL parser and returns the function tree, as libpg_query names it:
// a list of {"PLpgSQL_function": {...}} objects whose statements carry
// "lineno", their line in the body (1 is the line the body starts on).
// Static SQL statements come as PLpgSQL_stmt_execsql with their query
// text. A body in another language compiles to an empty function.
//
// An error means the body is not valid PL/pgSQL; its message is the
// parser's.
func ParsePlpgsql(stmt string) (Node, error) {
	clean, err := prepare(stmt)
	if err != nil {
		return Node{}, err
	}
	out, err := pg_query.ParsePlPgSqlToJSON(clean)
	if err != nil {
		if pe, ok := err.(*parser.Error); ok {
			return Node{}, fmt.Errorf("PL/pgSQL: %s", pe.Message)
		}
		return Node{}, fmt.Errorf("PL/pgSQL: %w", err)
	}
	root, err := parseTree([]byte(out))
	if err != nil {
		return Node{}, fmt.Errorf("PL/pgSQL: %w", err)
	}
	return root, nil
}
