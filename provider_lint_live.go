package safemigrate

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/safemigrate/safemigrate/annotate"
	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/internal/redact"
	"github.com/safemigrate/safemigrate/lint"
)

// Bounds on reading the live catalog: it returns at once on a healthy
// server; a table locked by a long ALTER or VACUUM FULL must not hold lint
// up.
const (
	liveStatementTimeout = "30s"
	liveLockTimeout      = "5s"
)

// ReadLive reads what lint needs to know of the configured database
// (docs/rules.md, "Live database"): the server's major version, and the
// tables of the search_path's schemas and of the schemas files name, each
// with its columns, indexes, size and estimated rows. It only reads, in
// one READ ONLY transaction, catalogs any role may read: a role with
// USAGE on the schemas and no privilege on the tables is enough.
func (p *Provider) ReadLive(ctx context.Context, files []lint.File) (*lint.Live, error) {
	target, err := p.database()
	if err != nil {
		return nil, err
	}
	conn, err := pgx.ConnectConfig(ctx, executor.ConnConfig(target))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrConnect, target, redact.Error(err))
	}
	defer conn.Close(context.WithoutCancel(ctx))
	live, err := readLive(ctx, conn, qualifiers(files))
	if err != nil {
		return nil, fmt.Errorf("read the live schema of %s: %w", target, liveError(err))
	}
	return live, nil
}

// liveError says what to do about a failure to read the catalog.
func liveError(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "55P03":
			return fmt.Errorf("%w (a table is locked, by a long ALTER TABLE or VACUUM FULL?); run lint again later, or without --database-url", redact.Error(err))
		case "57014":
			return fmt.Errorf("%w (the catalog took over %s to read); lint without --database-url", redact.Error(err), liveStatementTimeout)
		}
	}
	return redact.Error(err)
}

// qualifierRE finds what may be a schema qualifier: a name followed by a
// dot and another name. Column references (t.col) match too, which only
// widens the query by names no schema has.
var qualifierRE = regexp.MustCompile(`(?:"((?:[^"]|"")+)"|\b([A-Za-z_][A-Za-z0-9_$]*))\s*\.\s*["A-Za-z_]`)

// qualifiers returns the names the files qualify other names with.
func qualifiers(files []lint.File) []string {
	seen := map[string]bool{}
	out := []string{}
	for _, f := range files {
		for _, m := range qualifierRE.FindAllSubmatch(f.Src, -1) {
			name := strings.ReplaceAll(string(m[1]), `""`, `"`)
			if m[2] != nil {
				name = strings.ToLower(string(m[2]))
			}
			if !seen[name] && len(seen) < 10000 {
				seen[name] = true
				out = append(out, name)
			}
		}
	}
	return out
}

// liveTablesSQL: the tables, materialized views and views (for their
// columns). A table's size and rows include its partitions' and
// inheritance children's. A partitioned table has no rows of its own: its
// reltuples, once analysed, is already the sum of its partitions', so only
// the partitions count.
const liveTablesSQL = `WITH RECURSIVE rels AS (
	SELECT c.oid, n.nspname, c.relname, pg_catalog.pg_table_is_visible(c.oid) AS visible, c.relkind = 'v' AS view, c.relkind = 'p' AS partitioned
	FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
	WHERE c.relkind IN ('r', 'p', 'm', 'v')
	  AND (n.nspname = ANY (pg_catalog.current_schemas(false)) OR n.nspname = ANY ($1::text[]))
	  AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
), tree(root, oid) AS (
	SELECT oid, oid FROM rels
	UNION ALL
	SELECT t.root, i.inhrelid FROM tree t JOIN pg_catalog.pg_inherits i ON i.inhparent = t.oid
), sizes AS (
	SELECT t.root,
	       sum(pg_catalog.pg_total_relation_size(c.oid))::int8 AS bytes,
	       sum(pg_catalog.pg_relation_size(c.oid))::int8 AS heap,
	       sum(CASE WHEN c.relkind = 'p' THEN 0
	                WHEN c.reltuples > 0 OR (c.reltuples = 0 AND c.relpages > 0) THEN c.reltuples
	                ELSE coalesce(s.n_live_tup, 0) END)::int8 AS rows
	FROM tree t JOIN pg_catalog.pg_class c ON c.oid = t.oid
	LEFT JOIN pg_catalog.pg_stat_user_tables s ON s.relid = c.oid
	GROUP BY t.root
)
SELECT r.oid, r.nspname, r.relname, r.visible, r.view, r.partitioned, coalesce(s.bytes, 0), coalesce(s.heap, 0), coalesce(s.rows, 0)
FROM rels r LEFT JOIN sizes s ON s.root = r.oid
ORDER BY r.nspname, r.relname`

const liveColumnsSQL = `SELECT a.attrelid, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull
FROM pg_catalog.pg_attribute a
WHERE a.attrelid = ANY ($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum`

const liveIndexesSQL = `SELECT i.indrelid, ic.relname, coalesce(a.attname, '')
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] AND i.indkey[0] <> 0
WHERE i.indrelid = ANY ($1::oid[])
ORDER BY i.indrelid, ic.relname`

// readLive reads the live facts in one READ ONLY transaction, which it
// rolls back.
func readLive(ctx context.Context, conn *pgx.Conn, schemas []string) (*lint.Live, error) {
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // read only: nothing to keep
	if _, err := tx.Exec(ctx, "SET LOCAL statement_timeout = '"+liveStatementTimeout+"'; SET LOCAL lock_timeout = '"+liveLockTimeout+"'"); err != nil {
		return nil, err
	}
	live := &lint.Live{}
	var num int
	if err := tx.QueryRow(ctx, "SELECT pg_catalog.current_setting('server_version_num')::int").Scan(&num); err != nil {
		return nil, err
	}
	live.PGVersion = num / 10000 // 90600 is 9, 150004 is 15
	rows, err := tx.Query(ctx, liveTablesSQL, schemas)
	if err != nil {
		return nil, err
	}
	byOID := map[uint32]int{}
	var oids []uint32
	for rows.Next() {
		var oid uint32
		var t lint.LiveTable
		if err := rows.Scan(&oid, &t.Schema, &t.Name, &t.Visible, &t.View, &t.Partitioned, &t.Bytes, &t.HeapBytes, &t.Rows); err != nil {
			rows.Close()
			return nil, err
		}
		byOID[oid] = len(live.Tables)
		oids = append(oids, oid)
		live.Tables = append(live.Tables, t)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(oids) == 0 {
		return live, nil
	}
	rows, err = tx.Query(ctx, liveColumnsSQL, oids)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var oid uint32
		var c annotate.CatalogColumn
		if err := rows.Scan(&oid, &c.Name, &c.Type, &c.NotNull); err != nil {
			rows.Close()
			return nil, err
		}
		t := &live.Tables[byOID[oid]]
		t.Columns = append(t.Columns, c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = tx.Query(ctx, liveIndexesSQL, oids)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var oid uint32
		var ix annotate.CatalogIndex
		if err := rows.Scan(&oid, &ix.Name, &ix.Column); err != nil {
			rows.Close()
			return nil, err
		}
		t := &live.Tables[byOID[oid]]
		t.Indexes = append(t.Indexes, ix)
	}
	return live, rows.Err()
}
