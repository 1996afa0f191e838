package annotate

import "github.com/safemigrate/safemigrate/internal/sqlparse"

// Node is one node of a statement's parse tree, as the PostgreSQL parser
// (libpg_query) describes it: an object with named fields, an array, a
// string, a number or a boolean. A zero Node is "absent", and every
// accessor on an absent node returns the zero value, like the parser's
// own convention of omitting empty fields.
//
// Node names and field names are libpg_query's (see its pg_query.proto):
// a statement is an object with one key naming its type, e.g.
// {"AlterTableStmt": {"relation": {...}, "cmds": [...]}}. The executor,
// lint and this package read the same tree, decoded once per file.
type Node = sqlparse.Node

// walk calls fn for every member of every object under n (n included),
// depth first in source order; fn returning false skips the member's
// value. See [sqlparse.Node.Walk].
func walk(n Node, fn func(key string, v Node) bool) { n.Walk(fn) }
