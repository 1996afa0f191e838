package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"

	"github.com/safemigrate/safemigrate/internal/sqlparse"
)

// migrationSet is one round's migrations on disk and what they create.
type migrationSet struct {
	dir string
	ids []string // every migration ID, as recorded in safemigrate_migrations
	// maxStmts is the most statements of one migration: the most one
	// round trip of safemigrate runs.
	maxStmts int
}

// writeMigrations generates a migration set in dir: transactional
// migrations (tables, indexes, a backfill widened with pg_sleep),
// `transaction: false` migrations with CREATE INDEX CONCURRENTLY, named
// and unnamed, on a table with enough rows to take a while, and a chain
// that depends on the root chain. Sizes and sleeps vary with rng. The
// format is docs/file-format.md's.
func writeMigrations(dir string, rng *rand.Rand) (*migrationSet, error) {
	rows := 10000 + rng.IntN(20000)
	sleep := func() string { return fmt.Sprintf("%.2f", 0.02+rng.Float64()*0.15) }
	files := map[string]string{
		"0001_create_items.sql": fmt.Sprintf(`-- safe: before_deploy

CREATE TABLE items (
    id    bigint PRIMARY KEY,
    name  text   NOT NULL,
    note  text
);
INSERT INTO items (id, name, note)
SELECT g, md5(g::text), CASE WHEN g %% 3 = 0 THEN 'n' || g END
  FROM generate_series(1, %d) AS g;
`, rows),
		"0002_items_score.sql": `-- safe: always

ALTER TABLE items ADD COLUMN score integer;
CREATE INDEX items_note_idx ON items (note);
`,
		"0003_backfill_score.sql": fmt.Sprintf(`-- safe: always
--
-- Backfill, slowed down so that faults land inside it.

UPDATE items SET score = (id %% 97)::integer;
SELECT pg_sleep(%s);
`, sleep()),
		"0004_index_items_concurrently.sql": fmt.Sprintf(`-- safe: after_deploy
-- transaction: false

CREATE INDEX CONCURRENTLY items_name_idx ON items (name);
SELECT pg_sleep(%s);
CREATE INDEX CONCURRENTLY ON items (score);
CREATE UNIQUE INDEX CONCURRENTLY items_name_id_key ON items (name, id);
`, sleep()),
		"0005_create_audit.sql": fmt.Sprintf(`-- safe: after_deploy

CREATE TABLE audit (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item_id bigint NOT NULL REFERENCES items (id),
    at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_item_id_idx ON audit (item_id);
INSERT INTO audit (item_id) SELECT id FROM items WHERE id %% 10 = 0;
SELECT pg_sleep(%s);
`, sleep()),
		"0006_items_score_not_null.sql": `-- safe: after_deploy

ALTER TABLE items ALTER COLUMN score SET NOT NULL;
`,
		"billing/0001_create_invoices.sql": `-- safe: before_deploy
-- depends: 0002

CREATE TABLE invoices (
    id      bigint PRIMARY KEY,
    item_id bigint NOT NULL REFERENCES items (id),
    total   numeric(12, 2) NOT NULL DEFAULT 0
);
INSERT INTO invoices (id, item_id, total) SELECT id, id, id / 7.0 FROM items WHERE id % 2 = 0;
`,
		"billing/0002_index_invoices.sql": fmt.Sprintf(`-- safe: always
-- transaction: false

CREATE INDEX CONCURRENTLY ON invoices (item_id);
SELECT pg_sleep(%s);
CREATE INDEX CONCURRENTLY invoices_total_idx ON invoices (total);
`, sleep()),
		"billing/0003_invoice_status.sql": fmt.Sprintf(`-- safe: always

ALTER TABLE invoices ADD COLUMN status text NOT NULL DEFAULT 'open';
UPDATE invoices SET status = 'paid' WHERE id %% 4 = 0;
SELECT pg_sleep(%s);
`, sleep()),
	}
	set := &migrationSet{dir: dir}
	for name, body := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			return nil, err
		}
		id := name[:len(name)-len(".sql")]
		set.ids = append(set.ids, id)
		stmts, err := sqlparse.Split(body)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		set.maxStmts = max(set.maxStmts, len(stmts))
	}
	sort.Strings(set.ids)
	return set, nil
}
