package executor

import "github.com/safemigrate/safemigrate/internal/sqlparse"

// LeftBy reports whether the INVALID index name (defined by def, as
// pg_get_indexdef renders it) is what an interrupted run of the CREATE
// INDEX CONCURRENTLY stmt left.
func LeftBy(stmt, name, def string, interrupted bool) bool {
	sts, err := sqlparse.Split(stmt)
	if err != nil || len(sts) != 1 || concurrentIndex(sts[0]) == nil {
		return false
	}
	return leftBy(sts[0], indexName{schema: "public", name: name, def: def}, interrupted)
}

// DoneChecksum is the progress checksum of the first done statements of
// src.
func DoneChecksum(src string, done int) string {
	sts, err := sqlparse.Split(src)
	if err != nil {
		return err.Error()
	}
	return doneChecksum(&unit{stmts: sts}, done)
}
