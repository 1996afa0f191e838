package sqlparse

import (
	"fmt"
	"strings"

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
// parser's. A function with a SQL-standard body (BEGIN ATOMIC, RETURN)
// is an error too: libpg_query would abort the process on it.
func ParsePlpgsql(stmt string) (Node, error) {
	clean, err := prepare(stmt)
	if err != nil {
		return Node{}, err
	}
	if !isDo(clean) {
		stmts, err := Split(clean)
		if err != nil {
			return Node{}, err
		}
		if len(stmts) != 1 {
			return Node{}, fmt.Errorf("PL/pgSQL: %d statements where one DO or CREATE FUNCTION was expected", len(stmts))
		}
		if fn := stmts[0].Tree.As("CreateFunctionStmt"); !fn.Exists() || fn.Has("sql_body") {
			return Node{}, fmt.Errorf("PL/pgSQL: not a DO block or a function with an AS body (a SQL-standard function body is SQL, not PL/pgSQL)")
		}
	}
	out, err := pg_query.ParsePlPgSqlToJSON(clean)
	if err != nil {
		if pe, ok := err.(*parser.Error); ok {
			return Node{}, fmt.Errorf("PL/pgSQL: %s", pe.Message)
		}
		return Node{}, fmt.Errorf("PL/pgSQL: %w", err)
	}
	root, err := parseTree(out)
	if err != nil {
		return Node{}, fmt.Errorf("PL/pgSQL: %w", err)
	}
	return root, nil
}

// isDo reports whether the statement src starts with the keyword DO.
func isDo(src string) bool {
	i := skipSpaceAndComments(src, 0, len(src))
	return len(src) >= i+3 && strings.EqualFold(src[i:i+2], "do") && (src[i+2] == ' ' || src[i+2] == '\t' || src[i+2] == '\n' || src[i+2] == '\r' || src[i+2] == '$' || src[i+2] == '\'')
}
