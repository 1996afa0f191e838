package sqlparse

import (
	"fmt"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// parseJSON parses src and returns its parse tree in libpg_query's JSON
// form. A syntax error is a *[SyntaxError].
func parseJSON(src string) (string, error) {
	clean, err := prepare(src)
	if err != nil {
		return "", err
	}
	out, err := pg_query.ParseToJSON(clean)
	if err != nil {
		return "", syntaxError(src, err)
	}
	return out, nil
}

// stmtRange turns a statement's location and length as the parser reports them
// (length 0: to the end of the input) into the byte range [start, end) of
// its text without leading comments, blank space and the terminating
// semicolon, the way [Split] does.
func stmtRange(src string, location, length int) (start, end int, err error) {
	start, end = location, len(src)
	if length > 0 {
		end = start + length
	}
	if start < 0 || end > len(src) || start > end {
		return 0, 0, fmt.Errorf("parser returned statement range %d..%d outside a %d-byte input", start, end, len(src))
	}
	start = skipSpaceAndComments(src, start, end)
	return start, trimEnd(src, start, end), nil
}
