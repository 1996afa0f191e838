package fleet

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"unicode"

	"github.com/jackc/pgx/v5"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/internal/redact"
)

// Source says which schemas of the database are the tenants.
type Source struct {
	// Schemas names the tenant schemas, exactly as they are spelled in
	// pg_namespace (they are always quoted as identifiers).
	Schemas []string
	// Query, instead of Schemas, is run on the database in a read-only
	// transaction; its one text column, one row per tenant, names the
	// schemas. Zero rows is a fleet without tenants.
	Query string
	// SearchPath lists schemas appended after each tenant's schema in its
	// search_path (e.g. "public" for shared extensions and tables).
	SearchPath []string
}

// Fleet is the tenant schemas of one database: each tenant is a
// [executor.Target] whose migrations run with search_path set to its
// schema (then Source.SearchPath) and whose tracking tables live in its
// schema. Build one with [New].
type Fleet struct {
	db         executor.Target // a fleet of schemas: their database
	schemas    []string        // a fleet of schemas: the schemas
	searchPath []string
	// databases is true for a fleet of databases ([NewDatabases]).
	databases bool
	// names and targets are the tenants, in order.
	names   []string
	targets []executor.Target
}

// DefaultJobs is the number of tenants worked on at a time when
// Options.Jobs is zero: min(4, GOMAXPROCS).
func DefaultJobs() int {
	return min(4, runtime.GOMAXPROCS(0))
}

// New resolves src on the database of db (its Config; its schema fields
// are ignored) and checks the schemas: none empty or listed twice, none a
// system schema, every one existing. Problems with the schemas are a
// *SchemaError ([ErrSchema]) naming them, a failing Query a *QueryError
// ([ErrQuery]), an unreachable database an [executor.ErrConnect] error.
func New(ctx context.Context, db executor.Target, src Source) (*Fleet, error) {
	if db.Config == nil {
		return nil, fmt.Errorf("%w: the fleet's database has no connection configuration", executor.ErrConnect)
	}
	switch {
	case src.Query != "" && len(src.Schemas) > 0:
		return nil, &SchemaError{Problem: "give either the schemas or a query that lists them, not both"}
	case src.Query == "" && len(src.Schemas) == 0:
		return nil, &SchemaError{Problem: "no tenant schemas: give the schemas or a query that lists them"}
	}
	for _, s := range src.SearchPath {
		if s == "" {
			return nil, &SchemaError{Problem: "the tenants' search_path names an empty schema"}
		}
	}
	conn, err := connect(ctx, db)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	schemas := src.Schemas
	if src.Query != "" {
		if schemas, err = query(ctx, conn, src.Query); err != nil {
			return nil, err
		}
	}
	if err := validate(schemas); err != nil {
		return nil, err
	}
	if err := checkExist(ctx, conn, db, schemas); err != nil {
		return nil, err
	}
	db.Schema, db.SearchPath, db.TrackingSchema, db.Name = "", nil, "", ""
	f := &Fleet{db: db, schemas: schemas, searchPath: src.SearchPath}
	for _, s := range schemas {
		t := db
		t.Schema, t.TrackingSchema, t.Name = s, s, Display(s)
		t.SearchPath = append([]string(nil), src.SearchPath...)
		f.names = append(f.names, s)
		f.targets = append(f.targets, t)
	}
	return f, nil
}

// connect opens a connection for the fleet's own queries, configured as
// the executor's sessions are (application_name, keepalives,
// idle_in_transaction_session_timeout).
func connect(ctx context.Context, db executor.Target) (*pgx.Conn, error) {
	cfg := executor.ConnConfig(executor.Target{Config: db.Config})
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", executor.ErrConnect, db, redact.Error(err))
	}
	return conn, nil
}

// query runs the tenants query in a read-only transaction.
func query(ctx context.Context, conn *pgx.Conn, sql string) ([]string, error) {
	return queryNames(ctx, conn, sql, "schema names")
}

// queryNames runs a query returning one text column of what (in
// messages) in a read-only transaction.
func queryNames(ctx context.Context, conn *pgx.Conn, sql, what string) ([]string, error) {
	fail := func(format string, args ...any) error {
		return &QueryError{Query: sql, Err: fmt.Errorf(format, args...)}
	}
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fail("%w", redact.Error(err))
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	rows, err := tx.Query(ctx, sql)
	if err != nil {
		return nil, fail("%w", err)
	}
	defer rows.Close()
	shape := func() error {
		if n := len(rows.FieldDescriptions()); n != 1 {
			return fail("it returns %d columns; it must return one text column, the %s", n, what)
		}
		return nil
	}
	schemas := []string{}
	for rows.Next() {
		if err := shape(); err != nil {
			return nil, err
		}
		var s *string
		if err := rows.Scan(&s); err != nil {
			return nil, fail("it must return one text column, the %s: %w", what, err)
		}
		if s == nil {
			return nil, fail("row %d is NULL; it must return %s", len(schemas)+1, what)
		}
		schemas = append(schemas, *s)
	}
	if err := rows.Err(); err != nil {
		return nil, fail("%w", err)
	}
	if err := shape(); err != nil {
		return nil, err
	}
	return schemas, nil
}

// validate checks the names themselves.
func validate(schemas []string) error {
	seen := map[string]bool{}
	var dup, system []string
	for _, s := range schemas {
		switch {
		case s == "":
			return &SchemaError{Problem: "an empty schema name is not a tenant"}
		case seen[s]:
			dup = append(dup, s)
		case strings.HasPrefix(s, "pg_") || s == "information_schema":
			system = append(system, s)
		}
		seen[s] = true
	}
	if len(dup) > 0 {
		return &SchemaError{Problem: ProblemDuplicate, Schemas: dup}
	}
	if len(system) > 0 {
		return &SchemaError{Problem: ProblemSystem, Schemas: system}
	}
	return nil
}

// checkExist fails with a *SchemaError naming every schema that does not
// exist.
func checkExist(ctx context.Context, conn *pgx.Conn, db executor.Target, schemas []string) error {
	if len(schemas) == 0 {
		return nil
	}
	rows, err := conn.Query(ctx, `
SELECT u.s FROM unnest($1::text[]) WITH ORDINALITY AS u(s, i)
 WHERE NOT EXISTS (SELECT 1 FROM pg_namespace n WHERE n.nspname = u.s)
 ORDER BY u.i`, schemas)
	if err != nil {
		return fmt.Errorf("check the tenant schemas on %s: %w", db, redact.Error(err))
	}
	missing, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("check the tenant schemas on %s: %w", db, redact.Error(err))
	}
	if len(missing) > 0 {
		return &SchemaError{Problem: ProblemMissing, Schemas: missing}
	}
	return nil
}

// Schemas returns the tenants' names in their order: the schemas of a
// fleet of schemas, "host/database" (or "host/database/schema") in a
// fleet of databases (see [NewDatabases]).
func (f *Fleet) Schemas() []string {
	return append([]string(nil), f.names...)
}

// Targets returns one target per tenant, in order: Schema and
// TrackingSchema are the tenant's schema, SearchPath follows it, and Name
// is the tenant's name as [Display] shows it.
func (f *Fleet) Targets() []executor.Target {
	ts := make([]executor.Target, len(f.targets))
	for i, t := range f.targets {
		t.SearchPath = append([]string(nil), t.SearchPath...)
		ts[i] = t
	}
	return ts
}

// Display returns a schema name for logs and tables: the name itself, or
// the name as a quoted Go string when it has white space at either end or
// characters that are not printable.
func Display(schema string) string {
	if schema != strings.TrimSpace(schema) {
		return strconv.Quote(schema)
	}
	for _, r := range schema {
		if !unicode.IsGraphic(r) {
			return strconv.Quote(schema)
		}
	}
	return schema
}
