package lint

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/safemigrate/safemigrate/migration"
)

// Diagnostic is one finding. Rules fill Pos, End, Message and Hint; the
// runner adds File, Rule, Severity, and turns the byte offsets into Line
// and Column (1-based, columns count bytes) once the file is done.
type Diagnostic struct {
	File     string
	Pos, End int // byte offsets into the file; End >= Pos
	Line     int
	Column   int
	// EndLine and EndColumn locate End.
	EndLine, EndColumn int
	Rule               string
	Severity           Severity
	Message            string
	Hint               string // the safe alternative, may hold SQL and newlines
}

// String prints the diagnostic the way the text format does, without the
// hint: "file:line:col: severity rule: message".
func (d Diagnostic) String() string {
	return fmt.Sprintf("%s:%d:%d: %s %s: %s", d.File, d.Line, d.Column, d.Severity, d.Rule, d.Message)
}

// Suggestion is the safe value the SQL analysis suggests for a migration.
type Suggestion struct {
	ID        string
	File      string
	Declared  migration.Safe // "" when the file has no safe directive
	Suggested migration.Safe
	// Line is the line of the statement that decided, 0 for none; Reason
	// says what it does.
	Line   int
	Reason string
}

// Result is the outcome of linting a set of files.
type Result struct {
	Files       int
	Diagnostics []Diagnostic // by file, then position, then rule
	Suggested   []Suggestion // by migration order (chain, version)
}

// Count returns the number of diagnostics of severity sev.
func (r *Result) Count(sev Severity) int {
	n := 0
	for _, d := range r.Diagnostics {
		if d.Severity == sev {
			n++
		}
	}
	return n
}

// OK reports whether the lint passes: no errors, and with
// warningsAsErrors no warnings either.
func (r *Result) OK(warningsAsErrors bool) bool {
	if r.Count(Error) > 0 {
		return false
	}
	return !warningsAsErrors || r.Count(Warning) == 0
}

// lineIndex maps byte offsets to line and column.
type lineIndex []int // offsets of line starts

func newLineIndex(src []byte) lineIndex {
	li := make(lineIndex, 1, bytes.Count(src, []byte{'\n'})+1)
	for i := 0; ; {
		j := bytes.IndexByte(src[i:], '\n')
		if j < 0 {
			return li
		}
		i += j + 1
		li = append(li, i)
	}
}

func (li lineIndex) position(off int) (line, col int) {
	lo, hi := 0, len(li)
	for lo+1 < hi {
		mid := (lo + hi) / 2
		if li[mid] <= off {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo + 1, off - li[lo] + 1
}

// lineStart returns the offset of 1-based line n.
func (li lineIndex) lineStart(n int) int {
	if n < 1 {
		return 0
	}
	if n > len(li) {
		return li[len(li)-1]
	}
	return li[n-1]
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
