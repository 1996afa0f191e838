package executor

import (
	"context"
	"fmt"
	"strings"
)

// InitialChoice is what --initial=auto decided for a target
// (docs/planning.md): initial when the target has no tracking rows and no
// tables of its own in the tracking schema.
type InitialChoice struct {
	Initial bool
	// Reason says why, for a person.
	Reason string
}

// ownTablesLimit bounds how many table names a choice lists.
const ownTablesLimit = 3

// ownTables returns up to limit names of the tables, views and foreign
// tables in the tracking schema other than the tracking tables and the
// members of extensions (PostGIS's spatial_ref_sys is not the
// application's), and how many there are in all.
func (s *Session) ownTables(ctx context.Context, limit int) ([]string, int, error) {
	ctx, cancel := ownCtx(ctx)
	defer cancel()
	rows, err := s.conn.Query(ctx, `
SELECT c.relname::text, pg_catalog.count(*) OVER ()
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = $1
   AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
   AND c.relname <> ALL ($2::text[])
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                    WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                      AND d.objid = c.oid AND d.deptype = 'e')
 ORDER BY c.relname
 LIMIT $3`, s.names.schema, trackingTables, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("list the tables in schema %q: %w", s.names.schema, s.connLost(err))
	}
	defer rows.Close()
	var names []string
	total := 0
	for rows.Next() {
		var name string
		if err := rows.Scan(&name, &total); err != nil {
			return nil, 0, fmt.Errorf("list the tables in schema %q: %w", s.names.schema, s.connLost(err))
		}
		names = append(names, name)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("list the tables in schema %q: %w", s.names.schema, s.connLost(err))
	}
	return names, total, nil
}

// chooseInitial decides --initial=auto for the target whose state st was
// just read (under the lock in a run, so nothing changes in between).
func (s *Session) chooseInitial(ctx context.Context, st *State) (InitialChoice, error) {
	if n := len(st.Applied); n > 0 {
		return InitialChoice{Reason: fmt.Sprintf("%d migration(s) recorded as applied: a normal run", n)}, nil
	}
	names, total, err := s.ownTables(ctx, ownTablesLimit)
	if err != nil {
		return InitialChoice{}, err
	}
	if total > 0 {
		list := strings.Join(names, ", ")
		if total > len(names) {
			list += fmt.Sprintf(" and %d more", total-len(names))
		}
		return InitialChoice{Reason: fmt.Sprintf("no tracking rows, but schema %q has tables (%s): a normal run (baseline adopts an existing database)", s.names.schema, list)}, nil
	}
	return InitialChoice{Initial: true, Reason: fmt.Sprintf("no tracking rows and no tables in schema %q: a fresh database, so the initial run runs everything", s.names.schema)}, nil
}

// ReadInitial reads the target's state like [ReadState] and decides
// --initial=auto for it, without taking the lock (for `plan`).
func ReadInitial(ctx context.Context, t Target) (*State, InitialChoice, error) {
	s, err := connect(ctx, t, Options{})
	if err != nil {
		return nil, InitialChoice{}, err
	}
	defer s.closeConn()
	st, err := s.State(ctx)
	if err != nil {
		return nil, InitialChoice{}, err
	}
	c, err := s.chooseInitial(ctx, st)
	return st, c, err
}

// planInitial returns the Initial a run plans with: Options.Initial, or
// with Options.InitialAuto the choice for st, which it logs.
func (s *Session) planInitial(ctx context.Context, st *State) (initial bool, reason string, err error) {
	if !s.opts.InitialAuto {
		return s.opts.Initial, "", nil
	}
	c, err := s.chooseInitial(ctx, st)
	if err != nil {
		return false, "", err
	}
	s.log.printf("--initial=auto: %s", c.Reason)
	return c.Initial, c.Reason, nil
}
