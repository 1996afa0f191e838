// Package pgerr renders what PostgreSQL says about a failure, the same
// way wherever safemigrate reports one: the message, its SQLSTATE, then
// the DETAIL and HINT lines, as psql shows them.
//
//	var b strings.Builder
//	fmt.Fprintf(&b, "%s:%d: %s", file, line, pe.Message)
//	pgerr.WriteFields(&b, "  ", pe.Code, pe.Detail, pe.Hint)
//	// 0001_init.sql:3: column "x" does not exist (SQLSTATE 42703)
//	//   HINT: Perhaps you meant to reference the column "t.y".
package pgerr

import "strings"

// WriteFields appends " (SQLSTATE code)" to the line in b, then a
// "DETAIL: …" and a "HINT: …" line, each on a new line starting with
// indent. Empty fields are left out.
func WriteFields(b *strings.Builder, indent, sqlstate, detail, hint string) {
	if sqlstate != "" {
		b.WriteString(" (SQLSTATE " + sqlstate + ")")
	}
	if detail != "" {
		b.WriteString("\n" + indent + "DETAIL: " + detail)
	}
	if hint != "" {
		b.WriteString("\n" + indent + "HINT: " + hint)
	}
}
