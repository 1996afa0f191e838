package sqlparse

import (
	"errors"
	"fmt"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// WithoutConcurrently rewrites one statement (sql is its text alone) to run
// inside a transaction block, for a rehearsal: CREATE INDEX CONCURRENTLY
// becomes CREATE INDEX, DROP INDEX CONCURRENTLY DROP INDEX, REINDEX ...
// CONCURRENTLY REINDEX, DETACH PARTITION ... CONCURRENTLY DETACH
// PARTITION. The result is the parser's rendering of the rewritten tree;
// changed is false (and out is sql) when there was nothing to rewrite.
func WithoutConcurrently(sql string) (out string, changed bool, err error) {
	clean, err := prepare(sql)
	if err != nil {
		return "", false, err
	}
	tree, err := pg_query.Parse(clean)
	if err != nil {
		return "", false, syntaxError(sql, err)
	}
	if len(tree.Stmts) != 1 {
		return "", false, fmt.Errorf("%d statements where one was expected", len(tree.Stmts))
	}
	n := tree.Stmts[0].Stmt
	switch {
	case n.GetIndexStmt() != nil && n.GetIndexStmt().Concurrent:
		n.GetIndexStmt().Concurrent = false
		changed = true
	case n.GetDropStmt() != nil && n.GetDropStmt().Concurrent:
		n.GetDropStmt().Concurrent = false
		changed = true
	case n.GetReindexStmt() != nil:
		rs := n.GetReindexStmt()
		kept := rs.Params[:0]
		for _, p := range rs.Params {
			if d := p.GetDefElem(); d != nil && d.Defname == "concurrently" {
				changed = true
				continue
			}
			kept = append(kept, p)
		}
		rs.Params = kept
	case n.GetAlterTableStmt() != nil:
		for _, c := range n.GetAlterTableStmt().Cmds {
			if pc := c.GetAlterTableCmd().GetDef().GetPartitionCmd(); pc != nil && pc.Concurrent {
				pc.Concurrent = false
				changed = true
			}
		}
	}
	if !changed {
		return sql, false, nil
	}
	out, err = pg_query.Deparse(tree)
	if err != nil {
		return "", false, fmt.Errorf("render the rewritten statement: %w", err)
	}
	return out, true, nil
}

// IndexShape renders the CREATE INDEX statement sql without what may
// differ between a statement and pg_get_indexdef's rendering of the index
// it built: the name, the table's schema, CONCURRENTLY and IF NOT EXISTS
// (and with the access method, btree when none is written). Two
// statements with the same shape build the same index on their table.
func IndexShape(sql string) (string, error) {
	clean, err := prepare(sql)
	if err != nil {
		return "", err
	}
	tree, err := pg_query.Parse(clean)
	if err != nil {
		return "", syntaxError(sql, err)
	}
	if len(tree.Stmts) != 1 || tree.Stmts[0].Stmt.GetIndexStmt() == nil {
		return "", errors.New("not one CREATE INDEX")
	}
	ix := tree.Stmts[0].Stmt.GetIndexStmt()
	ix.Idxname, ix.Concurrent, ix.IfNotExists = "", false, false
	ix.Relation = &pg_query.RangeVar{Relname: "t", Inh: ix.Relation.GetInh(), Relpersistence: "p"}
	if ix.AccessMethod == "" {
		ix.AccessMethod = "btree"
	}
	return pg_query.Deparse(tree)
}
