package sqlparse

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/pganalyze/pg_query_go/v6/parser"
)

// Statement is one SQL statement of a file.
type Statement struct {
	// SQL is the statement's text without leading comments and blank space
	// and without its terminating semicolon.
	SQL string
	// Start and End are byte offsets into the parsed source: src[Start:End]
	// is SQL.
	Start, End int
	// Line and Column are the 1-based position of Start (columns count
	// bytes).
	Line, Column int
	// Tree is the statement's parse tree, a node wrapper such as
	// {"AlterTableStmt": {...}}; see [Node].
	Tree Node
}

// SyntaxError is a parse error positioned in the source.
type SyntaxError struct {
	Message string
	Offset  int // byte offset of the error
	Line    int // 1-based
	Column  int // 1-based
	// Psql is set when the input is not SQL but psql script: PsqlMetaCommand
	// (a backslash command such as \copy, \i or \set) or PsqlCopyData (the
	// rows of a COPY ... FROM STDIN written into the file). The server
	// cannot run either; Message says what was found and Hint what to do
	// instead.
	Psql string
	Hint string
}

// The kinds of psql script a [SyntaxError] recognises.
const (
	PsqlMetaCommand = "meta-command"
	PsqlCopyData    = "copy-data"
)

func (e *SyntaxError) Error() string {
	if e.Psql != "" {
		return fmt.Sprintf("%d:%d: %s", e.Line, e.Column, e.Message)
	}
	return fmt.Sprintf("%d:%d: syntax error: %s", e.Line, e.Column, e.Message)
}

// Split parses src and returns its statements in order. Comments-only and
// empty input yield no statements. A leading UTF-8 byte order mark is
// ignored (offsets still count its three bytes).
//
// The trees come from libpg_query's JSON output, decoded into a flat
// table ([Node]): producing JSON costs the parser a fraction of what its
// protobuf tree does, which is most of lint's time on a big directory.
func Split(src string) ([]Statement, error) {
	js, err := parseJSON(src)
	if err != nil {
		return nil, err
	}
	root, err := parseTree(js)
	if err != nil {
		return nil, fmt.Errorf("parse SQL: %w", err)
	}
	raw := root.A("stmts")
	stmts := make([]Statement, 0, len(raw))
	var lines lineIndex
	for _, rs := range raw {
		start, end, err := stmtRange(src, rs.I("stmt_location"), rs.I("stmt_len"))
		if err != nil {
			return nil, err
		}
		line, col := lines.position(src, start)
		stmts = append(stmts, Statement{SQL: src[start:end], Start: start, End: end, Line: line, Column: col, Tree: rs.Get("stmt")})
	}
	return stmts, nil
}

// bom is the UTF-8 byte-order mark some editors put first in a file.
const bom = "\ufeff"

// prepare returns src ready for the parser: a leading byte-order mark is
// blanked (same length, so offsets stay those of the file) and a NUL byte,
// which would silently truncate the C string, is an error.
func prepare(src string) (string, error) {
	if i := strings.IndexByte(src, 0); i >= 0 {
		line, col := Position(src, i)
		return "", &SyntaxError{Message: "NUL byte in SQL text", Offset: i, Line: line, Column: col}
	}
	if strings.HasPrefix(src, bom) {
		src = "   " + src[len(bom):]
	}
	if !utf8.ValidString(src) {
		i := 0
		for i < len(src) {
			r, size := utf8.DecodeRuneInString(src[i:])
			if r == utf8.RuneError && size <= 1 {
				break
			}
			i += size
		}
		line, col := Position(src, i)
		return "", &SyntaxError{Message: fmt.Sprintf("invalid UTF-8 (byte 0x%02x): save the file as UTF-8", src[i]), Offset: i, Line: line, Column: col}
	}
	return src, nil
}

// syntaxError converts a pg_query error into a positioned SyntaxError.
// pg_query reports a 1-based character (not byte) position.
func syntaxError(src string, err error) error {
	pe, ok := err.(*parser.Error)
	if !ok {
		return fmt.Errorf("parse SQL: %w", err)
	}
	off := len(src)
	if pe.Cursorpos > 0 {
		off = charToByte(src, pe.Cursorpos-1)
	}
	if se := psqlScript(src, off); se != nil {
		return se
	}
	line, col := Position(src, off)
	return &SyntaxError{Message: pe.Message, Offset: off, Line: line, Column: col}
}

func charToByte(src string, chars int) int {
	off := 0
	for i := 0; i < chars && off < len(src); i++ {
		_, size := utf8.DecodeRuneInString(src[off:])
		off += size
	}
	return off
}

// Position returns the 1-based line and byte column of offset in src.
func Position(src string, offset int) (line, col int) {
	var li lineIndex
	return li.position(src, offset)
}

// lineIndex memoises the last position so that a forward walk over many
// statements is linear in the file size.
type lineIndex struct {
	off, line, lineStart int
}

func (li *lineIndex) position(src string, offset int) (int, int) {
	if offset > len(src) {
		offset = len(src)
	}
	if li.line == 0 || offset < li.off {
		*li = lineIndex{line: 1}
	}
	for i := li.off; i < offset; i++ {
		if src[i] == '\n' {
			li.line++
			li.lineStart = i + 1
		}
	}
	li.off = offset
	return li.line, offset - li.lineStart + 1
}

// skipSpaceAndComments returns the offset of the first byte in src[i:end]
// that is neither white space nor inside a comment.
func skipSpaceAndComments(src string, i, end int) int {
	for i < end {
		switch {
		case i == 0 && strings.HasPrefix(src, bom):
			i += len(bom)
		case src[i] == ' ' || src[i] == '\t' || src[i] == '\n' || src[i] == '\r' || src[i] == '\f' || src[i] == '\v':
			i++
		case i+1 < end && src[i] == '-' && src[i+1] == '-':
			for i < end && src[i] != '\n' {
				i++
			}
		case i+1 < end && src[i] == '/' && src[i+1] == '*':
			depth := 0
			for i < end {
				if i+1 < end && src[i] == '/' && src[i+1] == '*' {
					depth++
					i += 2
				} else if i+1 < end && src[i] == '*' && src[i+1] == '/' {
					depth--
					i += 2
					if depth == 0 {
						break
					}
				} else {
					i++
				}
			}
		default:
			return i
		}
	}
	return i
}

// trimEnd drops trailing white space and a terminating semicolon.
func trimEnd(src string, start, end int) int {
	for end > start {
		switch src[end-1] {
		case ' ', '\t', '\n', '\r', '\f', '\v', ';':
			end--
		default:
			return end
		}
	}
	return end
}
