package sqlparse

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// Call is a function call found by [Calls].
type Call struct {
	Name string // lower case unless written as a quoted identifier; without schema
	Pos  int    // byte offset of the name in the scanned text
}

// Calls returns the function calls in src, a PL/pgSQL body (the text of a
// DO block or function), in order: an identifier (not a keyword; schema
// qualified or not) directly followed by "(". It uses the SQL scanner, which
// PL/pgSQL shares, so comments and string literals (such as the text of
// an EXECUTE) are skipped. Text the scanner rejects yields the calls found
// up to there: the server reports the error when the body runs.
func Calls(src string) []Call {
	res, err := pg_query.Scan(src)
	if err != nil || res == nil {
		return nil
	}
	toks := res.GetTokens()
	var out []Call
	for i := 0; i+1 < len(toks); i++ {
		tk := toks[i]
		if tk.GetToken() != pg_query.Token_IDENT || toks[i+1].GetToken() != pg_query.Token_ASCII_40 { // "("
			continue
		}
		start, end := int(tk.GetStart()), int(tk.GetEnd())
		if start < 0 || end > len(src) || start >= end {
			continue
		}
		name := src[start:end]
		if len(name) >= 2 && name[0] == '"' && name[len(name)-1] == '"' {
			name = strings.ReplaceAll(name[1:len(name)-1], `""`, `"`)
		} else {
			name = strings.ToLower(name)
		}
		out = append(out, Call{Name: name, Pos: start})
	}
	return out
}
