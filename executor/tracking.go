package executor

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/safemigrate/safemigrate/planner"
)

// Names of the tracking tables (docs/executing.md), created in the tracking schema.
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

	hasDetected, hasProgress bool // the other tracking tables exist
}

func newState() *State {
	return &State{Applied: map[string]Applied{}, Detected: map[string]time.Time{}, Progress: map[string]Progress{}}
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

// ErrUntrustedTracking means a tracking table exists that safemigrate
// must not trust: someone else owns it, or triggers, rules or row-level
// security can change what is read from it or run code when it is written
// (docs/security.md, "Privileges and the tracking tables").
var ErrUntrustedTracking = errors.New("untrusted tracking table")

// UntrustedTrackingError names the tracking tables that are not trusted
// and why. Nothing was read from them, and nothing was run.
type UntrustedTrackingError struct {
	Schema string
	// Target names the database: database "app" on host:5432.
	Target string
	// Role is the role safemigrate runs as (current_user).
	Role string
	// Problems says, per table, what is wrong with it.
	Problems []string
}

// Error explains the risk and what to do.
func (e *UntrustedTrackingError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "refusing to trust the tracking tables in schema %q", e.Schema)
	if e.Target != "" {
		fmt.Fprintf(&b, " of %s", e.Target)
	}
	b.WriteString("; nothing was read or run:")
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p)
	}
	fmt.Fprintf(&b, "\nthe tracking tables decide what counts as applied, and safemigrate writes them with its own privileges: "+
		"a table another role created can carry fake \"applied\" rows that skip migrations, and its triggers or rules run as %q when safemigrate writes it", e.Role)
	fmt.Fprintf(&b, "\nthey must be plain tables owned by %q (or a role it is a member of) without triggers, rules or row-level security. "+
		"If you did not create them, find out who did; then drop them (safemigrate recreates them on the next run; re-record what is applied with `safemigrate baseline`) "+
		"or, if their rows are right, remove the triggers, rules and policies and ALTER TABLE … OWNER TO %q. "+
		"See docs/security.md (Privileges and the tracking tables)", e.Role, e.Role)
	return b.String()
}

// Is makes an UntrustedTrackingError match [ErrUntrustedTracking].
func (e *UntrustedTrackingError) Is(target error) bool { return target == ErrUntrustedTracking }

// trackingTables are the names of every tracking table, checked together.
var trackingTables = []string{MigrationsTable, DetectedTable, ProgressTable}

// verifyTracking is the one place that decides whether the tracking
// tables can be trusted, before anything is read from or written to them.
// It reports which of them exist. A relation of a tracking table's name
// in the tracking schema must be an ordinary table owned by the running
// role or a role it is a member of (by real membership: a superuser is
// not "a member" of every role here), with no triggers (enabled or not),
// no rules and no row-level security; otherwise an
// *UntrustedTrackingError.
func (s *Session) verifyTracking(ctx context.Context) (map[string]bool, error) {
	v, err := s.verifyTrackingIn(ctx, []string{s.names.schema})
	if err != nil {
		return nil, err
	}
	if err := v.refused(s.names.schema); err != nil {
		return nil, err
	}
	return v.exists[s.names.schema], nil
}

// trackingCheck is what [Session.verifyTrackingIn] found, by schema.
type trackingCheck struct {
	exists    map[string]map[string]bool // the trusted tracking tables
	untrusted map[string]*UntrustedTrackingError
	// schemas are the tracking schemas owned by a role the migrator
	// does not trust (tracking_schema.go).
	schemas map[string]*UntrustedSchemaError
	oids    map[uint32]string // the trusted tables' OIDs → schema
}

// refused is why schema's tracking tables cannot be trusted (its owner
// first, then the tables), nil when they can.
func (v *trackingCheck) refused(schema string) error {
	if e := v.schemas[schema]; e != nil {
		return e
	}
	if e := v.untrusted[schema]; e != nil {
		return e
	}
	return nil
}

// verifyTrackingIn checks the tracking tables of every schema of schemas
// in one query, as [Session.verifyTracking] does for one.
func (s *Session) verifyTrackingIn(ctx context.Context, schemas []string) (*trackingCheck, error) {
	schemaErrs, err := s.untrustedSchemas(ctx, schemas)
	if err != nil {
		return nil, err
	}
	rows, err := s.conn.Query(ctx, `
WITH RECURSIVE mine(oid) AS (
	SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = current_user
	UNION
	SELECT m.roleid FROM pg_catalog.pg_auth_members m JOIN mine ON m.member = mine.oid
)
SELECT n.nspname::text, u.name, c.oid::bigint, c.relkind::text, pg_catalog.pg_get_userbyid(c.relowner)::text,
       c.relowner IN (SELECT oid FROM mine),
       (SELECT pg_catalog.count(*) FROM pg_catalog.pg_trigger t WHERE t.tgrelid = c.oid)::int,
       (SELECT pg_catalog.count(*) FROM pg_catalog.pg_rewrite w WHERE w.ev_class = c.oid)::int,
       (SELECT pg_catalog.count(*) FROM pg_catalog.pg_policy p WHERE p.polrelid = c.oid)::int,
       c.relrowsecurity, current_user::text
  FROM pg_catalog.unnest($1::text[]) AS sc(name)
  JOIN pg_catalog.pg_namespace n ON n.nspname = sc.name
  CROSS JOIN pg_catalog.unnest($2::text[]) WITH ORDINALITY AS u(name, i)
  JOIN pg_catalog.pg_class c ON c.relname = u.name AND c.relnamespace = n.oid
 ORDER BY 1, u.i`, schemas, trackingTables)
	if err != nil {
		return nil, s.stateErr(err)
	}
	defer rows.Close()
	v := &trackingCheck{exists: map[string]map[string]bool{}, untrusted: map[string]*UntrustedTrackingError{}, schemas: schemaErrs, oids: map[uint32]string{}}
	for _, sc := range schemas {
		v.exists[sc] = map[string]bool{}
	}
	where := Target{Config: s.target.Config}.String()
	for rows.Next() {
		var schema, name, kind, owner, role string
		var oid int64
		var owned, rls bool
		var triggers, rules, policies int
		if err := rows.Scan(&schema, &name, &oid, &kind, &owner, &owned, &triggers, &rules, &policies, &rls, &role); err != nil {
			return nil, s.stateErr(err)
		}
		var probs []string
		if kind != "r" {
			probs = append(probs, fmt.Sprintf("is a %s, not a table", relkindName(kind)))
		}
		if !owned {
			probs = append(probs, fmt.Sprintf("is owned by %q, not by %q or a role it is a member of", owner, role))
		}
		if triggers > 0 {
			probs = append(probs, fmt.Sprintf("has %d trigger(s) (enabled or not)", triggers))
		}
		if rules > 0 && kind == "r" {
			probs = append(probs, fmt.Sprintf("has %d rule(s)", rules))
		}
		if policies > 0 || rls {
			probs = append(probs, "has row-level security policies or row-level security enabled")
		}
		if len(probs) > 0 {
			e := v.untrusted[schema]
			if e == nil {
				e = &UntrustedTrackingError{Schema: schema, Target: where, Role: role}
				v.untrusted[schema] = e
			}
			e.Problems = append(e.Problems, fmt.Sprintf("%s.%s %s", schema, name, strings.Join(probs, ", ")))
			continue
		}
		v.exists[schema][name] = true
		v.oids[uint32(oid)] = schema
	}
	if err := rows.Err(); err != nil {
		return nil, s.stateErr(err)
	}
	return v, nil
}

// relkindName names a pg_class.relkind for messages.
func relkindName(kind string) string {
	switch kind {
	case "v":
		return "view"
	case "m":
		return "materialized view"
	case "p":
		return "partitioned table"
	case "f":
		return "foreign table"
	case "S":
		return "sequence"
	case "i", "I":
		return "index"
	case "c":
		return "composite type"
	}
	return "relation of kind " + kind
}

// State reads the target's tracking tables after checking that they can
// be trusted ([ErrUntrustedTracking]). Missing tables read as empty.
func (s *Session) State(ctx context.Context) (*State, error) {
	ctx, cancel := ownCtx(ctx)
	defer cancel()
	st := newState()
	exists, err := s.verifyTracking(ctx)
	if err != nil {
		return nil, err
	}
	hasMig, hasDet, hasProg := exists[MigrationsTable], exists[DetectedTable], exists[ProgressTable]
	st.Exists, st.hasDetected, st.hasProgress = hasMig, hasDet, hasProg
	s.useState(st)
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

// useState notes which tracking tables st, read under the lock, found.
func (s *Session) useState(st *State) {
	s.ready = st.Exists && st.hasDetected
	s.readyProgress = st.hasProgress
}

func (s *Session) stateErr(err error) error {
	return fmt.Errorf("read tracking tables in schema %q: %w", s.names.schema, s.connLost(err))
}

// ensureTables creates the tracking schema, safemigrate_migrations and
// safemigrate_detected when missing, together or not at all. It runs
// under the migration lock, so concurrent runs never race on it.
// safemigrate_progress is created by the first `transaction: false`
// migration that needs it ([Session.ensureProgress]): a table costs about
// what a migration's CREATE TABLE costs, and a fleet of schemas pays it
// in every tenant.
func (s *Session) ensureTables(ctx context.Context) error {
	if s.ready {
		return nil
	}
	ctx, cancel := ownCtx(ctx)
	defer cancel()
	var schemaExists bool
	if err := s.conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, s.names.schema).Scan(&schemaExists); err != nil {
		return s.trackingErr(err)
	}
	// As the connecting role, whatever role a migration left behind:
	// tables created as another role would be refused by the next run.
	ddl := strings.Join(s.resetSession(), "; ") + ";"
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
);`
	// One implicit transaction: the tables appear together or not at all.
	if _, err := s.conn.Exec(ctx, ddl); err != nil {
		return s.trackingErr(err)
	}
	// CREATE TABLE IF NOT EXISTS keeps a table another role created since
	// the state was read: check again before writing anything.
	if _, err := s.verifyTracking(ctx); err != nil {
		return err
	}
	s.ready = true
	return nil
}

// ensureProgress creates safemigrate_progress when missing, after the
// other tracking tables ([Session.ensureTables]), and checks again that
// the tables can be trusted.
func (s *Session) ensureProgress(ctx context.Context) error {
	if err := s.ensureTables(ctx); err != nil {
		return err
	}
	if s.readyProgress {
		return nil
	}
	ctx, cancel := ownCtx(ctx)
	defer cancel()
	if _, err := s.conn.Exec(ctx, strings.Join(s.resetSession(), "; ")+`;
CREATE TABLE IF NOT EXISTS `+s.names.progress+` (
	id                text PRIMARY KEY,
	checksum          text NOT NULL,
	statements_done   integer NOT NULL,
	statements_total  integer NOT NULL,
	last_error        text,
	updated_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
	started_statement text,
	started_indexes   oid[]
)`); err != nil {
		return s.trackingErr(err)
	}
	if _, err := s.verifyTracking(ctx); err != nil {
		return err
	}
	s.readyProgress = true
	return nil
}

func (s *Session) trackingErr(err error) error {
	return fmt.Errorf("create tracking tables in schema %q: %w", s.names.schema, s.connLost(err))
}

// RecordDetected records the detection time (Options.Now) of every delayed
// migration of plan that has none yet, and returns their IDs. [Run] calls
// it only after a successful run (docs/planning.md).
func (s *Session) RecordDetected(ctx context.Context, plan *planner.Plan) ([]string, error) {
	ids := plan.NewlyDetected()
	if len(ids) == 0 {
		return nil, nil
	}
	if err := s.ensureTables(ctx); err != nil {
		return nil, err
	}
	now := s.opts.Now()
	ctx, cancel := ownCtx(ctx)
	defer cancel()
	// The last migration may have left SET ROLE behind: the rows are the
	// connecting role's.
	if err := s.resetToConnecting(ctx); err != nil {
		return nil, fmt.Errorf("record detection times: %w", s.connLost(err))
	}
	_, err := s.conn.Exec(ctx,
		`INSERT INTO `+s.names.detected+` (id, detected_at) SELECT pg_catalog.unnest($1::text[]), $2 ON CONFLICT (id) DO NOTHING`,
		ids, now)
	if err != nil {
		return nil, fmt.Errorf("record detection times: %w", s.connLost(err))
	}
	plan.MarkDetected(ids, now)
	for _, id := range ids {
		if plan.Phase == planner.PostDeploy {
			s.log.printf("detected %s: its delay starts now", id)
		} else {
			s.log.printf("detected %s: waiting for post-deploy", id)
		}
	}
	return ids, nil
}
