package cli

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/safemigrate/safemigrate"
)

// traceSQLWidth is how much of a statement a trace line shows.
const traceSQLWidth = 56

// writeTraced writes the preflight table t, one row per migration of ms,
// with each migration's statement trace (preflight --trace) under its
// row. The trace lines form a table of their own, aligned across all
// migrations.
func writeTraced(w io.Writer, t *table, ms []safemigrate.MigrationReport, st style) {
	traced := table{indent: t.indent + "    "}
	owner := []int{} // index into ms of each trace row
	for i, m := range ms {
		for _, tr := range m.Trace {
			traced.add(traceRow(tr, st)...)
			owner = append(owner, i)
		}
	}
	if len(owner) == 0 {
		t.write(w)
		return
	}
	rows, lines := tableLines(t), tableLines(&traced)
	k := 0
	for i, row := range rows {
		fmt.Fprintln(w, row)
		for ; k < len(lines) && owner[k] == i; k++ {
			fmt.Fprintln(w, lines[k])
		}
	}
}

// traceRow is one statement of a trace: number, line, SQL, the locks it
// took, the tables it rewrote and how the rehearsal differed.
func traceRow(tr safemigrate.StatementTrace, st style) []cell {
	locks := make([]string, len(tr.Locks))
	blocksWrites := false
	for i, l := range tr.Locks {
		locks[i] = l.Mode + " " + l.Relation
		if l.AlreadyHeld {
			locks[i] += " (already held)"
		}
		switch l.Mode {
		case "SHARE", "SHARE ROW EXCLUSIVE", "EXCLUSIVE", "ACCESS EXCLUSIVE":
			blocksWrites = true
		}
	}
	lockCell := cell{text: strings.Join(locks, ", ")}
	if len(locks) == 0 {
		lockCell = cell{text: "no table locks", color: st.dim}
	} else if blocksWrites {
		lockCell.color = st.yellow
	}
	rewrites := cell{}
	if len(tr.Rewrites) > 0 {
		rewrites = cell{text: "rewrites " + strings.Join(tr.Rewrites, ", "), color: st.red}
	}
	row := []cell{
		plain(fmt.Sprintf("#%d", tr.Statement)),
		plain(fmt.Sprintf("line %d", tr.Line)),
		plain(cut(tr.SQL, traceSQLWidth)),
		lockCell,
		rewrites,
	}
	if tr.Note != "" {
		row = append(row, cell{text: tr.Note, color: st.dim})
	}
	return row
}

// tableLines renders t into its lines.
func tableLines(t *table) []string {
	var b bytes.Buffer
	t.write(&b)
	return strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
}

// cut shortens s to n characters, marking the cut with "…".
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
