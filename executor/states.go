package executor

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// statesPerQuery bounds the tracking schemas whose rows one query of
// [LockSet.States] reads (a UNION ALL of up to three tables each).
const statesPerQuery = 200

// States reads the tracking tables of targets, all of them targets whose
// lock the set holds, on the set's own connection: one query checks the
// tracking tables of every target (as [Session.State] checks one
// target's, [ErrUntrustedTracking]) and a few more read their rows,
// where reading them target by target costs a round trip, and a
// transaction of the server, per target. Since the set holds the locks,
// no other run changes what was read before the run is done; a session of
// the set plans from it with [Session.PlanFrom].
//
// states[i] is the State of targets[i], or errs[i] why it has none (an
// *UntrustedTrackingError or *UntrustedSchemaError). err is for the query itself (a lost
// connection), when none was read.
func (l *LockSet) States(ctx context.Context, targets []Target) (states []*State, errs []error, err error) {
	for _, t := range targets {
		if !l.Holds(t) {
			return nil, nil, fmt.Errorf("executor: the lock set does not hold the migration lock of %s", t)
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.holder
	ctx, cancel := ownCtx(ctx)
	defer cancel()
	var schemas []string
	seen := map[string]bool{}
	for _, t := range targets {
		if sc := t.trackingSchema(); !seen[sc] {
			seen[sc] = true
			schemas = append(schemas, sc)
		}
	}
	v, err := s.verifyTrackingIn(ctx, schemas)
	if err != nil {
		return nil, nil, err
	}
	by := make(map[string]*State, len(schemas))
	for _, sc := range schemas {
		st := newState()
		ex := v.exists[sc]
		st.Exists, st.hasDetected, st.hasProgress = ex[MigrationsTable], ex[DetectedTable], ex[ProgressTable]
		by[sc] = st
	}
	var parts []string
	for i, sc := range schemas {
		if v.refused(sc) == nil {
			parts = append(parts, stateParts(sc, v.exists[sc])...)
		}
		if len(parts) > 0 && ((i+1)%statesPerQuery == 0 || i == len(schemas)-1) {
			if err := s.readStates(ctx, strings.Join(parts, "\nUNION ALL\n"), v.oids, by); err != nil {
				return nil, nil, err
			}
			parts = nil
		}
	}
	states = make([]*State, len(targets))
	errs = make([]error, len(targets))
	for i, t := range targets {
		sc := t.trackingSchema()
		if e := v.refused(sc); e != nil {
			errs[i] = e
			continue
		}
		states[i] = by[sc]
	}
	return states, errs, nil
}

// stateParts are the SELECTs of [LockSet.States] for the trusted tracking
// tables of schema that exist, in one shape: kind (1 applied, 2
// detected, 3 progress), table OID, id, checksum, safe, phase, time,
// two numbers and the last error. The names are quoted identifiers.
func stateParts(schema string, exists map[string]bool) []string {
	names := newTracking(schema)
	var parts []string
	if exists[MigrationsTable] {
		parts = append(parts, `SELECT 1, tableoid::bigint, id::text, checksum::text, safe::text, phase::text, applied_at::timestamptz, duration_ms::bigint, 0::bigint, ''::text FROM `+names.migrations)
	}
	if exists[DetectedTable] {
		parts = append(parts, `SELECT 2, tableoid::bigint, id::text, '', '', '', detected_at::timestamptz, 0, 0, '' FROM `+names.detected)
	}
	if exists[ProgressTable] {
		parts = append(parts, `SELECT 3, tableoid::bigint, id::text, checksum::text, '', '', updated_at::timestamptz, statements_done::bigint, statements_total::bigint, coalesce(last_error, '')::text FROM `+names.progress)
	}
	return parts
}

// readStates runs a query of stateParts and files its rows in the State
// of their table's schema.
func (s *Session) readStates(ctx context.Context, sql string, oids map[uint32]string, by map[string]*State) error {
	rows, err := s.conn.Query(ctx, sql, pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		return s.statesErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			kind                        int
			oid, n1, n2                 int64
			id, sum, safe, phase, lastE string
			at                          time.Time
		)
		if err := rows.Scan(&kind, &oid, &id, &sum, &safe, &phase, &at, &n1, &n2, &lastE); err != nil {
			return s.statesErr(err)
		}
		st := by[oids[uint32(oid)]]
		if st == nil {
			return s.statesErr(fmt.Errorf("a row of table OID %d, not one of the tracking tables checked", oid))
		}
		switch kind {
		case 1:
			st.Applied[id] = Applied{ID: id, Checksum: sum, Safe: safe, Phase: phase, AppliedAt: at, DurationMS: n1}
		case 2:
			st.Detected[id] = at
		case 3:
			st.Progress[id] = Progress{ID: id, Checksum: sum, Done: int(n1), Total: int(n2), LastError: lastE, UpdatedAt: at}
		}
	}
	if err := rows.Err(); err != nil {
		return s.statesErr(err)
	}
	return nil
}

func (s *Session) statesErr(err error) error {
	return fmt.Errorf("read the tracking tables of the fleet: %w", s.connLost(err))
}
