package executor

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/safemigrate/safemigrate/planner"
)

// Names of the tracking tables (SPEC §3), created in the tracking schema.
const (
	MigrationsTable = "safemigrate_migrations"
	DetectedTable   = "safemigrate_detected"
	ProgressTable   = "safemigrate_progress"
)

// PhaseBaseline is the phase recorded for migrations adopted by
// [Baseline] without running them.
const PhaseBaseline = "baseline"

// tracking holds the quoted, schema-qualified names of the tracking tables.
type tracking struct {
	schema     string // unquoted
	migrations string
	detected   string
	progress   string
}

func newTracking(schema string) tracking {
	return tracking{
		schema:     schema,
		migrations: pgx.Identifier{schema, MigrationsTable}.Sanitize(),
		detected:   pgx.Identifier{schema, DetectedTable}.Sanitize(),
		progress:   pgx.Identifier{schema, ProgressTable}.Sanitize(),
	}
}

// Applied is one row of safemigrate_migrations.
type Applied struct {
	ID         string    `json:"id"`
	Checksum   string    `json:"checksum"`
	Safe       string    `json:"safe"`
	Phase      string    `json:"phase"` // pre-deploy, post-deploy or baseline
	AppliedAt  time.Time `json:"applied_at"`
	DurationMS int64     `json:"duration_ms"`
}

// Progress is the recorded progress of a `transaction: false` migration
// that stopped part-way: a rerun resumes at statement Done+1 unless one of
// the Done completed statements changed since.
type Progress struct {
	ID string `json:"id"`
	// Checksum identifies the text of the completed statements (older
	// versions recorded the file's checksum).
	Checksum  string    `json:"checksum"`
	Done      int       `json:"statements_done"`
	Total     int       `json:"statements_total"`
	LastError string    `json:"last_error,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
}

// State is what a target's tracking tables say. A target whose tables do
// not exist yet has an empty State (nothing applied).
type State struct {
	// Exists reports whether safemigrate_migrations exists.
	Exists   bool
	Applied  map[string]Applied
	Detected map[string]time.Time
	Progress map[string]Progress
}

// Checksums returns the applied IDs with their checksums, the form
// planner.Input wants.
func (st *State) Checksums() map[string]string {
	m := make(map[string]string, len(st.Applied))
	for id, a := range st.Applied {
		m[id] = a.Checksum
	}
	return m
}

// DetectedTimes returns the detection times, the form planner.Input wants.
func (st *State) DetectedTimes() map[string]time.Time {
	return maps.Clone(st.Detected)
}

// AppliedIDs returns the applied IDs in sorted order.
func (st *State) AppliedIDs() []string {
	return slices.Sorted(maps.Keys(st.Applied))
}

// ReadState reads the target's tracking tables without taking the lock
// (for `plan` and `status`). Missing tables read as empty.
func ReadState(ctx context.Context, t Target) (*State, error) {
	s, err := connect(ctx, t, Options{})
	if err != nil {
		return nil, err
	}
	defer s.closeConn()
	return s.State(ctx)
}

// State reads the target's tracking tables. Missing tables read as empty.
func (s *Session) State(ctx context.Context) (*State, error) {
	st := &State{Applied: map[string]Applied{}, Detected: map[string]time.Time{}, Progress: map[string]Progress{}}
	var hasMig, hasDet, hasProg bool
	err := s.conn.QueryRow(ctx,
		`SELECT to_regclass($1) IS NOT NULL, to_regclass($2) IS NOT NULL, to_regclass($3) IS NOT NULL`,
		s.names.migrations, s.names.detected, s.names.progress).Scan(&hasMig, &hasDet, &hasProg)
	if err != nil {
		return nil, s.stateErr(err)
	}
	st.Exists = hasMig
	if hasMig && hasDet && hasProg {
		s.ready = true
	}
	if hasMig {
		rows, err := s.conn.Query(ctx, `SELECT id, checksum, safe, phase, applied_at, duration_ms FROM `+s.names.migrations)
		if err != nil {
			return nil, s.stateErr(err)
		}
		for rows.Next() {
			var a Applied
			if err := rows.Scan(&a.ID, &a.Checksum, &a.Safe, &a.Phase, &a.AppliedAt, &a.DurationMS); err != nil {
				rows.Close()
				return nil, s.stateErr(err)
			}
			st.Applied[a.ID] = a
		}
		if err := rows.Err(); err != nil {
			return nil, s.stateErr(err)
		}
	}
	if hasDet {
		rows, err := s.conn.Query(ctx, `SELECT id, detected_at FROM `+s.names.detected)
		if err != nil {
			return nil, s.stateErr(err)
		}
		for rows.Next() {
			var id string
			var at time.Time
			if err := rows.Scan(&id, &at); err != nil {
				rows.Close()
				return nil, s.stateErr(err)
			}
			st.Detected[id] = at
		}
		if err := rows.Err(); err != nil {
			return nil, s.stateErr(err)
		}
	}
	if hasProg {
		rows, err := s.conn.Query(ctx, `SELECT id, checksum, statements_done, statements_total, coalesce(last_error, ''), updated_at FROM `+s.names.progress)
		if err != nil {
			return nil, s.stateErr(err)
		}
		for rows.Next() {
			var p Progress
			if err := rows.Scan(&p.ID, &p.Checksum, &p.Done, &p.Total, &p.LastError, &p.UpdatedAt); err != nil {
				rows.Close()
				return nil, s.stateErr(err)
			}
			st.Progress[p.ID] = p
		}
		if err := rows.Err(); err != nil {
			return nil, s.stateErr(err)
		}
	}
	return st, nil
}

func (s *Session) stateErr(err error) error {
	return fmt.Errorf("read tracking tables in schema %q: %w", s.names.schema, s.connLost(err))
}

// ensureTables creates the tracking schema and tables when missing. It
// runs under the migration lock, so concurrent runs never race on it.
func (s *Session) ensureTables(ctx context.Context) error {
	if s.ready {
		return nil
	}
	var schemaExists bool
	if err := s.conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, s.names.schema).Scan(&schemaExists); err != nil {
		return s.trackingErr(err)
	}
	ddl := ""
	if !schemaExists {
		ddl += `CREATE SCHEMA IF NOT EXISTS ` + pgx.Identifier{s.names.schema}.Sanitize() + `;`
	}
	ddl += `
CREATE TABLE IF NOT EXISTS ` + s.names.migrations + ` (
	id            text PRIMARY KEY,
	checksum      text NOT NULL,
	safe          text NOT NULL,
	phase         text NOT NULL,
	applied_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
	duration_ms   integer NOT NULL,
	transactional boolean NOT NULL DEFAULT true,
	applied_by    text NOT NULL DEFAULT current_user
);
CREATE TABLE IF NOT EXISTS ` + s.names.detected + ` (
	id          text PRIMARY KEY,
	detected_at timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS ` + s.names.progress + ` (
	id               text PRIMARY KEY,
	checksum         text NOT NULL,
	statements_done  integer NOT NULL,
	statements_total integer NOT NULL,
	last_error       text,
	updated_at       timestamptz NOT NULL DEFAULT clock_timestamp()
);`
	// One implicit transaction: the tables appear together or not at all.
	if _, err := s.conn.Exec(ctx, ddl); err != nil {
		return s.trackingErr(err)
	}
	s.ready = true
	return nil
}

func (s *Session) trackingErr(err error) error {
	return fmt.Errorf("create tracking tables in schema %q: %w", s.names.schema, s.connLost(err))
}

// RecordDetected records the detection time (Options.Now) of every delayed
// migration of plan that has none yet, and returns their IDs. [Run] calls
// it only after a successful pre-deploy run (SPEC §2.3).
func (s *Session) RecordDetected(ctx context.Context, plan *planner.Plan) ([]string, error) {
	ids := plan.NewlyDetected()
	if len(ids) == 0 {
		return nil, nil
	}
	if err := s.ensureTables(ctx); err != nil {
		return nil, err
	}
	now := s.opts.Now()
	_, err := s.conn.Exec(ctx,
		`INSERT INTO `+s.names.detected+` (id, detected_at) SELECT unnest($1::text[]), $2 ON CONFLICT (id) DO NOTHING`,
		ids, now)
	if err != nil {
		return nil, fmt.Errorf("record detection times: %w", s.connLost(err))
	}
	plan.MarkDetected(ids, now)
	for _, id := range ids {
		s.log.printf("detected %s: waiting for post-deploy", id)
	}
	return ids, nil
}
