package executor

import (
	"context"

	"github.com/safemigrate/safemigrate/internal/sqlparse"
)

// CleanQuery exposes the masking and truncation of other sessions' query
// text.
var CleanQuery = cleanQuery

// Equivalents returns the rehearsal rewrite of each statement of src.
func Equivalents(src string) ([]string, error) {
	stmts, err := sqlparse.Split(src)
	if err != nil {
		return nil, err
	}
	eq, _, err := equivalents(stmts)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(eq))
	for i, st := range eq {
		out[i] = st.SQL
	}
	return out, nil
}

// BackendPID is the server process of the session's connection.
func (s *Session) BackendPID() uint32 { return s.conn.PgConn().PID() }

// ExecForTest runs sql on the session's connection.
func (s *Session) ExecForTest(ctx context.Context, sql string) error {
	_, err := s.conn.Exec(ctx, sql)
	return err
}
