package fleet

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/safemigrate/safemigrate/executor"
)

// DatabaseListError lists every problem of a databases file at once, each
// with its line, so that a file of thousands of entries is fixed in one
// pass. It matches [ErrDatabases].
type DatabaseListError struct {
	// Problems are "FILE:LINE: what is wrong" lines, in file order.
	Problems []string
}

// Error lists the problems, one per line.
func (e *DatabaseListError) Error() string {
	return fmt.Sprintf("%s: %d problem(s) in the databases file; nothing was run:\n%s",
		ErrDatabases, len(e.Problems), strings.Join(e.Problems, "\n"))
}

// Is makes a DatabaseListError match [ErrDatabases].
func (e *DatabaseListError) Is(target error) bool { return target == ErrDatabases }

// ParseDatabaseList reads a databases file (docs/executing.md, fleets of
// databases): one connection string per line; blank lines are skipped, and
// "#" starts a comment at the beginning of a line or after white space
// (outside a quoted key=value value). A UTF-8 byte order mark is ignored.
// Every entry must parse as a connection string and name a database no
// other entry names; a *DatabaseListError lists every line that does not,
// by name:line, never with a password.
func ParseDatabaseList(name string, data []byte) ([]string, error) {
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	var urls, problems []string
	first := map[string]int{} // database name → line
	for i, line := range strings.Split(string(data), "\n") {
		n := i + 1
		line = strings.TrimSpace(stripComment(strings.TrimSuffix(line, "\r")))
		if line == "" {
			continue
		}
		t, err := executor.ParseTarget(line) // the error never holds the password
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s:%d: not a connection string: %s", name, n,
				strings.TrimPrefix(err.Error(), executor.ErrConnect.Error()+": ")))
			continue
		}
		if multiHost(t) {
			problems = append(problems, fmt.Sprintf("%s:%d: %s", name, n, errMultiHost))
			continue
		}
		db := DatabaseName(t)
		if at, ok := first[db]; ok {
			problems = append(problems, fmt.Sprintf("%s:%d: names database %s again (first on line %d); remove one of them", name, n, db, at))
			continue
		}
		first[db] = n
		urls = append(urls, line)
	}
	if len(problems) > 0 {
		return nil, &DatabaseListError{Problems: problems}
	}
	if len(urls) == 0 {
		return nil, fmt.Errorf("%w: %s lists no database (one connection string per line); nothing was run", ErrDatabases, name)
	}
	return urls, nil
}

// stripComment cuts line at a "#" that begins it or follows white space,
// unless the "#" is inside a single-quoted key=value value (libpq quoting,
// backslash escapes): password='a #b' keeps its "#".
func stripComment(line string) string {
	quoted := false
	for i := 0; i < len(line); i++ {
		switch c := line[i]; {
		case quoted && c == '\\':
			i++
		case c == '\'':
			quoted = !quoted
		case !quoted && c == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t'):
			return line[:i]
		}
	}
	return line
}

var _ error = (*DatabaseListError)(nil)

// errLineBreak is an entry of a databases query that holds a line break:
// no connection string does, and the output names tenants one per line.
var errLineBreak = errors.New("holds a line break")
