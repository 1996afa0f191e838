package sqlparse

import (
	"fmt"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// psqlScript recognises psql script where the parser failed at byte off:
// a backslash command, or the inline data rows that follow a
// COPY ... FROM STDIN. It returns nil for an ordinary syntax error.
func psqlScript(src string, off int) *SyntaxError {
	if off < len(src) && src[off] == '\\' {
		cmd := metaCommand(src[off:])
		line, col := Position(src, off)
		return &SyntaxError{Psql: PsqlMetaCommand, Offset: off, Line: line, Column: col,
			Message: fmt.Sprintf("psql meta-command %s: this file is a psql script, not SQL; the server does not know backslash commands", cmd),
			Hint:    metaHint(cmd)}
	}
	// The data rows of COPY ... FROM STDIN start right after the COPY; if
	// what precedes the error parses and ends with such a COPY, the error
	// is in its data.
	start := strings.LastIndexByte(src[:off], '\n') + 1
	for _, cut := range []int{off, start} {
		res, err := pg_query.Parse(src[:cut])
		if err != nil || len(res.Stmts) == 0 {
			continue
		}
		last := res.Stmts[len(res.Stmts)-1]
		cs := last.Stmt.GetCopyStmt()
		if cs == nil || !cs.IsFrom || cs.Filename != "" || cs.IsProgram {
			continue
		}
		at := skipSpaceAndComments(src, int(last.StmtLocation), cut)
		line, col := Position(src, at)
		dataLine, _ := Position(src, off)
		return &SyntaxError{Psql: PsqlCopyData, Offset: at, Line: line, Column: col,
			Message: fmt.Sprintf("COPY ... FROM STDIN with inline data (from line %d): the rows are psql input, not SQL, and the server would wait for them forever", dataLine),
			Hint:    CopyHint}
	}
	return nil
}

// CopyHint says what to write instead of COPY ... FROM STDIN or TO STDOUT
// in a migration.
const CopyHint = "write the rows as INSERT ... VALUES, or COPY FROM a file on the database server, or load the data outside migrations (psql \\copy, pg_restore); a migration has no client to send or read COPY data"

// metaCommand returns the backslash command at the start of s: "\copy".
func metaCommand(s string) string {
	end := 1
	for end < len(s) && end < 40 {
		c := s[end]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ';' || c == '\\' && end > 1 {
			break
		}
		end++
	}
	return strings.ToValidUTF8(s[:end], "?")
}

func metaHint(cmd string) string {
	switch strings.ToLower(strings.TrimPrefix(cmd, "\\")) {
	case "copy":
		return "a migration has no client to read or write files: write the rows as INSERT ... VALUES, COPY FROM a file on the database server, or load the data outside migrations"
	case "i", "ir", "include", "include_relative":
		return "put the included SQL into this migration (or a migration of its own): safemigrate runs each file's SQL as it is"
	case "set", "unset":
		return "write the values into the SQL: safemigrate does no psql variable substitution"
	case "c", "connect":
		return "a migration runs on the database safemigrate connects to: keep one migrations directory per database"
	}
	return "remove it and keep plain SQL: safemigrate sends the file's statements to the server, without psql"
}
