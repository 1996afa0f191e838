package main

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// snapshot describes one schema after migrating, as sorted lines that do
// not mention the schema's name, so that a tenant schema compares with a
// reference migrated once without faults: relations, columns, indexes,
// constraints, row counts and the tracking rows.
func snapshot(ctx context.Context, conn *pgx.Conn, schema string) ([]string, error) {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	// With the schema alone on the search path, format_type and
	// pg_get_constraintdef leave the schema name out.
	if _, err := tx.Exec(ctx, `SELECT set_config('search_path', $1, true)`, pgx.Identifier{schema}.Sanitize()); err != nil {
		return nil, err
	}
	queries := []string{
		`SELECT 'relation ' || c.relname || ' kind ' || c.relkind::text
		   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		  WHERE n.nspname = $1 AND c.relkind IN ('r','p','v','m','S','i')`,
		`SELECT 'column ' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
		        || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
		        || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '')
		        || CASE WHEN a.attidentity <> '' THEN ' identity' ELSE '' END
		   FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
		   JOIN pg_namespace n ON n.oid = c.relnamespace
		   LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
		  WHERE n.nspname = $1 AND c.relkind IN ('r','p') AND a.attnum > 0 AND NOT a.attisdropped`,
		`SELECT 'index ' || pg_get_indexdef(i.indexrelid)
		        || CASE WHEN i.indisvalid THEN '' ELSE ' INVALID' END
		   FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
		   JOIN pg_namespace n ON n.oid = c.relnamespace
		  WHERE n.nspname = $1`,
		`SELECT 'constraint ' || c.relname || '.' || k.conname || ' ' || pg_get_constraintdef(k.oid)
		        || CASE WHEN k.convalidated THEN '' ELSE ' NOT VALID' END
		   FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
		   JOIN pg_namespace n ON n.oid = c.relnamespace
		  WHERE n.nspname = $1`,
	}
	var lines []string
	for _, q := range queries {
		got, err := queryStrings(ctx, tx, q, schema)
		if err != nil {
			return nil, err
		}
		lines = append(lines, got...)
	}
	tables, err := queryStrings(ctx, tx, `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relkind = 'r' AND c.relname NOT IN ('safemigrate_migrations', 'safemigrate_detected', 'safemigrate_progress')`, schema)
	if err != nil {
		return nil, err
	}
	for _, t := range tables {
		var n int64
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM `+pgx.Identifier{schema, t}.Sanitize()).Scan(&n); err != nil {
			return nil, err
		}
		lines = append(lines, fmt.Sprintf("rows %s %d", t, n))
	}
	if has, err := hasTable(ctx, tx, schema, "safemigrate_migrations"); err != nil {
		return nil, err
	} else if has {
		got, err := queryStrings(ctx, tx, `SELECT 'applied ' || id || ' ' || checksum || ' ' || safe FROM `+
			pgx.Identifier{schema, "safemigrate_migrations"}.Sanitize())
		if err != nil {
			return nil, err
		}
		lines = append(lines, got...)
	}
	for i, l := range lines {
		lines[i] = qualified.ReplaceAllString(l, " ON ")
	}
	sort.Strings(lines)
	return lines, nil
}

// qualified matches the schema-qualified table name of an index or
// constraint definition, which pg_get_indexdef writes whatever the
// search_path.
var qualified = regexp.MustCompile(` ON (?:"[^"]+"|[a-z_][a-z0-9_$]*)\.`)

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func queryStrings(ctx context.Context, q querier, sql string, args ...any) ([]string, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

func hasTable(ctx context.Context, q querier, schema, table string) (bool, error) {
	var ok bool
	err := q.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, pgx.Identifier{schema, table}.Sanitize()).Scan(&ok)
	return ok, err
}

// checkSchema compares schema with the reference snapshot and the
// migration IDs that must each be recorded exactly once, and looks for
// INVALID indexes and progress rows. It returns one line per problem.
func checkSchema(ctx context.Context, conn *pgx.Conn, schema string, ref []string, ids []string) ([]string, error) {
	var problems []string
	got, err := snapshot(ctx, conn, schema)
	if err != nil {
		return nil, fmt.Errorf("snapshot of schema %s: %w", schema, err)
	}
	problems = append(problems, diffLines(ref, got)...)

	if has, err := hasTable(ctx, conn, schema, "safemigrate_migrations"); err != nil {
		return nil, err
	} else if !has {
		problems = append(problems, "no safemigrate_migrations table")
	} else {
		rows, err := conn.Query(ctx, `SELECT id, count(*) FROM `+pgx.Identifier{schema, "safemigrate_migrations"}.Sanitize()+` GROUP BY id`)
		if err != nil {
			return nil, err
		}
		counts := map[string]int64{}
		for rows.Next() {
			var id string
			var n int64
			if err := rows.Scan(&id, &n); err != nil {
				return nil, err
			}
			counts[id] = n
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
		for _, id := range ids {
			if n := counts[id]; n != 1 {
				problems = append(problems, fmt.Sprintf("migration %s recorded %d times", id, n))
			}
			delete(counts, id)
		}
		for id := range counts {
			problems = append(problems, fmt.Sprintf("unexpected migration %s recorded", id))
		}
	}
	if has, err := hasTable(ctx, conn, schema, "safemigrate_progress"); err != nil {
		return nil, err
	} else if has {
		left, err := queryStrings(ctx, conn, `SELECT id || ' (' || statements_done || '/' || statements_total || ')' FROM `+
			pgx.Identifier{schema, "safemigrate_progress"}.Sanitize())
		if err != nil {
			return nil, err
		}
		for _, l := range left {
			problems = append(problems, "progress row left: "+l)
		}
	}
	invalid, err := queryStrings(ctx, conn, `SELECT c.relname FROM pg_index i
		JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND NOT (i.indisvalid AND i.indisready)`, schema)
	if err != nil {
		return nil, err
	}
	for _, ix := range invalid {
		problems = append(problems, "INVALID index "+ix)
	}
	return problems, nil
}

// diffLines reports lines of want missing from got and lines of got not
// in want (both sorted).
func diffLines(want, got []string) []string {
	count := map[string]int{}
	for _, l := range want {
		count[l]++
	}
	for _, l := range got {
		count[l]--
	}
	var out []string
	for _, l := range want {
		if count[l] > 0 {
			out = append(out, "missing: "+l)
			count[l]--
		}
	}
	for _, l := range got {
		if count[l] < 0 {
			out = append(out, "unexpected: "+l)
			count[l]++
		}
	}
	return out
}

// leftovers waits up to wait for sessions of safemigrate (by application
// name prefix) and advisory locks in database dbname to go away, and
// reports what is still there. A backend of a killed client may finish
// its statement before it notices the client is gone, so some patience
// is due.
func leftovers(ctx context.Context, conn *pgx.Conn, dbname, appPrefix string, wait time.Duration) ([]string, error) {
	deadline := time.Now().Add(wait)
	for {
		left, err := queryStrings(ctx, conn, `
SELECT 'session pid ' || a.pid || ' ' || a.application_name || ' ' || coalesce(a.state, '') || ': ' || left(a.query, 80)
  FROM pg_stat_activity a
 WHERE a.datname = $1 AND a.application_name LIKE $2 || '%' AND a.pid <> pg_backend_pid()
UNION ALL
SELECT 'advisory lock held by pid ' || l.pid
  FROM pg_locks l JOIN pg_database d ON d.oid = l.database
 WHERE l.locktype = 'advisory' AND l.granted AND d.datname = $1`, dbname, appPrefix)
		if err != nil {
			return nil, err
		}
		if len(left) == 0 || time.Now().After(deadline) {
			return left, nil
		}
		select {
		case <-ctx.Done():
			return left, nil
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func joinProblems(p []string) string { return strings.Join(p, "; ") }
