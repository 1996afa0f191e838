package executor

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/safemigrate/safemigrate/graph"
	"github.com/safemigrate/safemigrate/migration"
	"github.com/safemigrate/safemigrate/planner"
)

// PhaseAdopted is the phase recorded for migrations that [Adopt] took
// over from another tool's tracking table without running them.
const PhaseAdopted = "adopted"

// The tools whose tracking tables [Adopt] reads (docs/commands.md, "adopt").
const (
	FromGoose         = "goose"
	FromGolangMigrate = "golang-migrate"
	FromDbmate        = "dbmate"
	FromFlyway        = "flyway"
)

// AdoptTools lists the tools [Adopt] reads, in the order docs name them.
var AdoptTools = []string{FromGoose, FromGolangMigrate, FromDbmate, FromFlyway}

// DefaultAdoptTable returns the tracking table a tool writes unless it was
// configured otherwise ("" for an unknown tool).
func DefaultAdoptTable(from string) string {
	switch from {
	case FromGoose:
		return "goose_db_version"
	case FromGolangMigrate, FromDbmate:
		return "schema_migrations"
	case FromFlyway:
		return "flyway_schema_history"
	}
	return ""
}

// ErrAdopt means the other tool's tracking table cannot be adopted as it
// is: it is missing, has another shape, or says the database is in a state
// no file describes (golang-migrate's dirty flag). Nothing was recorded.
// Callers map it to an input error (the CLI's exit 2).
var ErrAdopt = errors.New("cannot adopt the other tool's history")

// DirtyError is golang-migrate's dirty flag: a migration failed half-way
// and the database is in a state no file describes. Nothing was recorded.
type DirtyError struct {
	Table   string // schema.table
	Version string
}

// Error says what to do: repair the database, then `migrate force`.
func (e *DirtyError) Error() string {
	return fmt.Sprintf("%s records version %s as dirty: golang-migrate stopped part-way through that migration and the database is in a state no file describes; nothing was recorded\n"+
		"fix the database by hand (finish or undo migration %s), run `migrate force %s` (or `migrate force` with the previous version if you undid it), then run `safemigrate adopt --from golang-migrate` again",
		e.Table, e.Version, e.Version, e.Version)
}

// Is makes a DirtyError match [ErrAdopt].
func (e *DirtyError) Is(target error) bool { return target == ErrAdopt }

// AdoptOptions say whose tracking table [Adopt] reads.
type AdoptOptions struct {
	// From is one of [AdoptTools].
	From string
	// Table is the tool's table name in the tracking schema; empty means
	// [DefaultAdoptTable].
	Table string
	// Chain is the chain whose files match the tool's versions; empty
	// means the root chain.
	Chain string
}

// Adoption is what [Adopt] found and recorded. Every list is in
// topological order (IDs) or in the tool's version order (versions).
type Adoption struct {
	// Table is the table that was read, schema.table (unquoted).
	Table string
	// Adopted lists the migrations recorded as applied (phase
	// [PhaseAdopted]) by this call; with Options.DryRun, what would be.
	Adopted []string
	// AlreadyApplied lists migrations the tool applied that safemigrate
	// had recorded already; they are left as they are.
	AlreadyApplied []string
	// MissingFiles lists versions the tool recorded as applied that match
	// no migration file.
	MissingFiles []string
	// NotApplied lists migration files the tool never applied: they stay
	// pending.
	NotApplied []string
}

// Adopt reads another tool's tracking table (goose, golang-migrate,
// dbmate, Flyway) and records the migrations it applied as applied
// without running them, under the migration lock, in one transaction. The
// other tool's table is only read, in a read-only transaction. With
// opts.DryRun it reports what it would record and writes nothing.
func Adopt(ctx context.Context, t Target, g *graph.Graph, ao AdoptOptions, opts Options) (*Adoption, error) {
	s, err := Open(ctx, t, opts)
	if err != nil {
		return nil, err
	}
	a, err := s.Adopt(ctx, g, ao)
	if cerr := s.Close(ctx); cerr != nil && err == nil {
		err = cerr
	}
	return a, err
}

// foreign is what another tool's table says was applied.
type foreign struct {
	versions []string // applied versions, exactly as the tool stores them
	// upTo, when set, counts every file at or below it as applied
	// (golang-migrate's single version, a Flyway baseline).
	upTo string
}

// Adopt records what another tool applied; see the package-level [Adopt].
func (s *Session) Adopt(ctx context.Context, g *graph.Graph, ao AdoptOptions) (*Adoption, error) {
	if ao.Table == "" {
		ao.Table = DefaultAdoptTable(ao.From)
	}
	if ao.Table == "" {
		return nil, fmt.Errorf("%w: --from %q: use one of %s", ErrAdopt, ao.From, strings.Join(AdoptTools, ", "))
	}
	if ao.Chain != "" && !slices.ContainsFunc(g.Migrations(), func(m *migration.Migration) bool { return m.Chain == ao.Chain }) {
		return nil, fmt.Errorf("%w: --chain %q: no migration file is in that chain (a chain is a subdirectory of the migrations directory)", ErrAdopt, ao.Chain)
	}
	st, err := s.State(ctx) // the trust checks of every command
	if err != nil {
		return nil, err
	}
	table := pgx.Identifier{s.names.schema, ao.Table}.Sanitize()
	f, err := s.readForeign(ctx, ao, table)
	if err != nil {
		return nil, err
	}

	// Match the tool's versions to the chain's files by version value.
	var chain []int
	for i, m := range g.Migrations() {
		if m.Chain == ao.Chain {
			chain = append(chain, i)
		}
	}
	include := make([]bool, g.Len())
	var missing []string
	for _, v := range f.versions {
		found := false
		for _, i := range chain {
			if migration.CompareVersions(g.At(i).Version, v) == 0 && migration.IsVersion(v) {
				include[i], found = true, true
			}
		}
		if !found && !slices.Contains(missing, v) {
			missing = append(missing, v)
		}
	}
	if f.upTo != "" {
		for _, i := range chain {
			if migration.CompareVersions(g.At(i).Version, f.upTo) <= 0 {
				include[i] = true
			}
		}
	}
	a := &Adoption{Table: s.names.schema + "." + ao.Table, Adopted: []string{}, AlreadyApplied: []string{}, MissingFiles: missing, NotApplied: []string{}}
	if a.MissingFiles == nil {
		a.MissingFiles = []string{}
	}
	var todo []*migration.Migration
	for _, i := range g.SortAll() {
		m := g.At(i)
		_, done := st.Applied[m.ID]
		switch {
		case m.Chain != ao.Chain:
		case !include[i]:
			a.NotApplied = append(a.NotApplied, m.ID)
		case done:
			a.AlreadyApplied = append(a.AlreadyApplied, m.ID)
		default:
			todo = append(todo, m)
		}
	}
	for _, m := range todo {
		a.Adopted = append(a.Adopted, m.ID)
	}
	if s.opts.DryRun || len(todo) == 0 {
		return a, nil
	}
	if err := s.recordNotRun(ctx, todo, PhaseAdopted); err != nil {
		return nil, fmt.Errorf("adopt: %w", err)
	}
	for _, m := range todo {
		s.log.printf("adopt: recorded %s as applied (applied by %s, not run)", m.ID, ao.From)
	}
	return a, nil
}

// readForeign reads the other tool's table in a read-only transaction,
// so that nothing in it (or behind it) can be written.
func (s *Session) readForeign(ctx context.Context, ao AdoptOptions, table string) (*foreign, error) {
	ctx, cancel := ownCtx(ctx)
	defer cancel()
	var kind string
	err := s.conn.QueryRow(ctx, `SELECT c.relkind::text FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2`,
		s.names.schema, ao.Table).Scan(&kind)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("%w: there is no table %s in this database (%s): is this the database %s migrated? If %s was configured with another table, pass --table NAME (tracking_schema in safemigrate.yaml names another schema)",
			ErrAdopt, table, s.target, ao.From, ao.From)
	}
	if err != nil {
		return nil, s.connLost(err)
	}
	if kind != "r" && kind != "p" {
		return nil, fmt.Errorf("%w: %s is a %s, not the table %s writes; nothing was read", ErrAdopt, table, relkindName(kind), ao.From)
	}
	f := &foreign{}
	err = pgx.BeginTxFunc(ctx, s.conn, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		switch ao.From {
		case FromGoose:
			return readGoose(ctx, tx, table, f)
		case FromGolangMigrate:
			return readGolangMigrate(ctx, tx, table, f)
		case FromDbmate:
			return readDbmate(ctx, tx, table, f)
		default:
			return readFlyway(ctx, tx, table, f)
		}
	})
	var de *DirtyError
	if errors.As(err, &de) {
		de.Table = s.names.schema + "." + ao.Table
		return nil, err
	}
	if pe := pgError(err); pe != nil && strings.HasPrefix(pe.Code, "42") {
		return nil, fmt.Errorf("%w: %s does not have the columns %s writes (%s, SQLSTATE %s); pass the right --from (golang-migrate and dbmate both name theirs schema_migrations) or --table", ErrAdopt, table, ao.From, pe.Message, pe.Code)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", table, s.connLost(err))
	}
	return f, nil
}

// readGoose: the latest row per version_id decides (is_applied); version
// 0 is goose's own initial row.
func readGoose(ctx context.Context, tx pgx.Tx, table string, f *foreign) error {
	rows, err := tx.Query(ctx, `SELECT version_id, is_applied FROM `+table+` ORDER BY id`)
	if err != nil {
		return err
	}
	latest := map[int64]bool{}
	var order []int64
	for rows.Next() {
		var v int64
		var applied bool
		if err := rows.Scan(&v, &applied); err != nil {
			rows.Close()
			return err
		}
		if _, seen := latest[v]; !seen {
			order = append(order, v)
		}
		latest[v] = applied
	}
	if err := rows.Err(); err != nil {
		return err
	}
	slices.Sort(order)
	for _, v := range order {
		if v != 0 && latest[v] {
			f.versions = append(f.versions, strconv.FormatInt(v, 10))
		}
	}
	return nil
}

// readGolangMigrate: one row, every file at or below its version counts
// as applied; a dirty row refuses. A negative version (or no row) means
// nothing is applied.
func readGolangMigrate(ctx context.Context, tx pgx.Tx, table string, f *foreign) error {
	rows, err := tx.Query(ctx, `SELECT version, dirty FROM `+table)
	if err != nil {
		return err
	}
	var n int
	var v int64
	var dirty bool
	for rows.Next() {
		if err := rows.Scan(&v, &dirty); err != nil {
			rows.Close()
			return err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return err
	}
	switch {
	case n > 1:
		return fmt.Errorf("%w: %s has %d rows, and golang-migrate writes one; nothing was recorded", ErrAdopt, table, n)
	case n == 0 || v < 0:
		return nil
	case dirty:
		return &DirtyError{Table: table, Version: strconv.FormatInt(v, 10)}
	}
	f.upTo = strconv.FormatInt(v, 10)
	f.versions = []string{f.upTo} // reported as missing when no file has it
	return nil
}

// readDbmate: one row per applied version.
func readDbmate(ctx context.Context, tx pgx.Tx, table string, f *foreign) error {
	rows, err := tx.Query(ctx, `SELECT version FROM `+table)
	if err != nil {
		return err
	}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return err
		}
		f.versions = append(f.versions, v)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	sortVersions(f.versions)
	return nil
}

// readFlyway: successful versioned rows in installed_rank order. A
// BASELINE row counts every file at or below it; a DELETE row (flyway
// repair) or UNDO_SQL row takes its version back; repeatables (no
// version), the SCHEMA marker and failed rows are skipped.
func readFlyway(ctx context.Context, tx pgx.Tx, table string, f *foreign) error {
	rows, err := tx.Query(ctx, `SELECT version, type FROM `+table+` WHERE success AND version IS NOT NULL ORDER BY installed_rank`)
	if err != nil {
		return err
	}
	var applied []string
	for rows.Next() {
		var v, typ string
		if err := rows.Scan(&v, &typ); err != nil {
			rows.Close()
			return err
		}
		switch strings.ToUpper(typ) {
		case "SCHEMA":
		case "BASELINE":
			f.upTo = v
		case "DELETE", "UNDO_SQL", "UNDO_SPRING_JDBC", "UNDO_JDBC", "UNDO_SCRIPT":
			applied = slices.DeleteFunc(applied, func(x string) bool { return migration.CompareVersions(x, v) == 0 })
		default:
			applied = append(applied, v)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	sortVersions(applied)
	f.versions = applied
	return nil
}

// sortVersions orders versions as numbers; values that are not versions
// go last, in text order.
func sortVersions(vs []string) {
	slices.SortStableFunc(vs, func(a, b string) int {
		va, vb := migration.IsVersion(a), migration.IsVersion(b)
		switch {
		case va && vb:
			return migration.CompareVersions(a, b)
		case va != vb:
			if va {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
}

// SQLSTATEs of an object that already exists: duplicate table, column,
// object.
var alreadyExists = []string{"42P07", "42701", "42710"}

// hintAdopt completes the error of a run on a database where safemigrate
// has recorded nothing and the first failure is an object that already
// exists: the schema was most likely built by another tool or by hand, so
// the hint suggests `adopt` (naming the other tool when its table is
// there) or `baseline`. It changes err's *MigrationError in place.
func (s *Session) hintAdopt(ctx context.Context, plan *planner.Plan, err error) {
	if plan == nil || len(plan.Applied) > 0 || len(plan.Unknown) > 0 {
		return
	}
	var pe *PartialError
	if errors.As(err, &pe) && len(pe.Applied) > 0 {
		return // this run applied something: not a first migration
	}
	var me *MigrationError
	if !errors.As(err, &me) || !slices.Contains(alreadyExists, me.SQLState) {
		return
	}
	for _, t := range trackingTables {
		if strings.Contains(me.Message, `"`+t+`"`) {
			// It exists because safemigrate made it, for this very run.
			hint := fmt.Sprintf("%s creates a table named like safemigrate's own tracking table %s.%s: rename the migration's table, or keep the tracking tables in a schema of their own (config tracking_schema)", me.ID, s.names.schema, t)
			if me.Hint != "" {
				hint = me.Hint + "\n  " + hint
			}
			me.Hint = hint
			return
		}
	}
	adopt := "if another tool (" + strings.Join(AdoptTools, ", ") + ") migrated this database, `safemigrate adopt --from " + strings.Join(AdoptTools, "|") + "` records what it applied"
	if tool, table := s.foreignTable(ctx); tool != "" {
		adopt = fmt.Sprintf("%s.%s is here: if %s applied these migrations, `safemigrate adopt --from %s` records what it applied", s.names.schema, table, tool, tool)
	}
	hint := fmt.Sprintf("safemigrate has recorded nothing on this database, and %s creates something that exists already; %s; otherwise `safemigrate baseline --through ID` records the migrations the schema already has (ID and what it depends on) without running them", me.ID, adopt)
	if me.Hint != "" {
		hint = me.Hint + "\n  " + hint
	}
	me.Hint = hint
}

// foreignTable names another tool's tracking table in the tracking
// schema, and the tool; "" when there is none or it cannot be read.
func (s *Session) foreignTable(ctx context.Context) (tool, table string) {
	ctx, cancel := ownCtx(ctx)
	defer cancel()
	rows, err := s.conn.Query(ctx, `SELECT c.relname::text, EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'dirty' AND NOT a.attisdropped)
 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = $1 AND c.relname = ANY($2) AND c.relkind IN ('r', 'p') ORDER BY 1`,
		s.names.schema, []string{"goose_db_version", "schema_migrations", "flyway_schema_history"})
	if err != nil {
		return "", ""
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var dirty bool
		if rows.Scan(&name, &dirty) != nil {
			return "", ""
		}
		switch {
		case name == "goose_db_version":
			return FromGoose, name
		case name == "flyway_schema_history":
			return FromFlyway, name
		case dirty:
			return FromGolangMigrate, name
		default:
			return FromDbmate, name
		}
	}
	return "", ""
}
