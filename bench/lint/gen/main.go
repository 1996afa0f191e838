// Command gen writes a synthetic but realistic migrations directory for the
// lint benchmark: N files of about ten statements each, mixing DDL and
// DML the way an application's history does (new tables, indexes, added
// columns, backfills, constraints, drops), with a share of unsafe
// statements for both linters to find.
//
//	go run ./bench/lint/gen -n 2000 -out .bench/lint/corpus
//
// The output is a pure function of -n and -seed.
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/safemigrate/safemigrate/annotate"
)

type column struct {
	name, typ string
}

type table struct {
	name    string
	cols    []column
	indexes []string
}

type gen struct {
	r      *rand.Rand
	tables []*table
	seq    int
}

func main() {
	n := flag.Int("n", 2000, "number of migration files")
	out := flag.String("out", ".bench/lint/corpus", "output directory (replaced)")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	if err := run(*n, *out, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(n int, out string, seed uint64) error {
	if err := os.RemoveAll(out); err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	g := &gen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	for _, name := range []string{"accounts", "users", "orders", "products", "invoices"} {
		g.tables = append(g.tables, g.newTable(name))
	}
	stmts := 0
	for i := 1; i <= n; i++ {
		name, body, _ := g.file(i)
		parsed, err := annotate.Parse(body)
		if err != nil {
			return fmt.Errorf("generated file %d does not parse: %w", i, err)
		}
		stmts += len(parsed)
		if err := os.WriteFile(filepath.Join(out, fmt.Sprintf("%05d_%s.sql", i, name)), []byte(body), 0o644); err != nil {
			return err
		}
	}
	fmt.Printf("generated %d files, %d statements (%.1f per file) in %s\n", n, stmts, float64(stmts)/float64(n), out)
	return nil
}

var words = []string{"status", "kind", "label", "score", "region", "source", "owner_id", "parent_id", "ref", "note",
	"priority", "amount", "currency", "external_id", "slug", "title", "body", "archived", "version", "flags"}

var types = []string{"text", "bigint", "integer", "boolean", "timestamptz", "numeric(12,2)", "varchar(64)", "jsonb", "uuid", "date"}

func (g *gen) pick(xs []string) string { return xs[g.r.IntN(len(xs))] }

func (g *gen) newTable(name string) *table {
	t := &table{name: name, cols: []column{{"id", "bigint"}}}
	for range 2 + g.r.IntN(5) {
		c := column{g.pick(words) + fmt.Sprint(g.r.IntN(50)), g.pick(types)}
		t.cols = append(t.cols, c)
	}
	return t
}

func (g *gen) table() *table { return g.tables[g.r.IntN(len(g.tables))] }

func (g *gen) col(t *table) column { return t.cols[g.r.IntN(len(t.cols))] }

func (g *gen) next() int { g.seq++; return g.seq }

func value(typ string, i int) string {
	switch {
	case strings.HasPrefix(typ, "text"), strings.HasPrefix(typ, "varchar"):
		return fmt.Sprintf("'v%d'", i)
	case typ == "boolean":
		return "false"
	case typ == "timestamptz":
		return "now()"
	case typ == "date":
		return "current_date"
	case typ == "jsonb":
		return "'{}'::jsonb"
	case typ == "uuid":
		return "'00000000-0000-0000-0000-000000000000'"
	}
	return fmt.Sprint(i % 100)
}

// file returns one migration: a name, its text and its statement count.
func (g *gen) file(i int) (string, string, int) {
	var b strings.Builder
	roll := g.r.IntN(100)
	switch {
	case roll < 12: // an index migration outside a transaction
		t := g.table()
		b.WriteString("-- safe: before_deploy\n-- transaction: false\n--\n-- Indexes for the new lookups; CONCURRENTLY keeps writes flowing.\n\n")
		k := 3 + g.r.IntN(4)
		for range k {
			c := g.col(t)
			idx := fmt.Sprintf("%s_%s_idx%d", t.name, c.name, g.next())
			t.indexes = append(t.indexes, idx)
			ine := "IF NOT EXISTS "
			if g.r.IntN(4) == 0 {
				ine = ""
			}
			fmt.Fprintf(&b, "CREATE INDEX CONCURRENTLY %s%s ON %s (%s);\n", ine, idx, t.name, c.name)
		}
		if len(t.indexes) > k+1 && g.r.IntN(2) == 0 {
			fmt.Fprintf(&b, "DROP INDEX CONCURRENTLY IF EXISTS %s;\n", t.indexes[0])
			t.indexes = t.indexes[1:]
			k++
		}
		return "index_" + t.name, b.String(), k
	case roll < 30: // contract: drops and tightening, after deploy
		return g.contract(i)
	}
	return g.expand(i)
}

func (g *gen) expand(i int) (string, string, int) {
	var b strings.Builder
	safe := "before_deploy"
	if g.r.IntN(10) == 0 {
		safe = "always"
	}
	fmt.Fprintf(&b, "-- safe: %s\n--\n-- Release %d: schema for the next feature.\n\n", safe, i)
	n := 0
	name := "update"
	if g.r.IntN(3) == 0 {
		t := g.newTable(fmt.Sprintf("t%d_%s", i, g.pick(words)))
		cols := []string{"    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY"}
		for _, c := range t.cols[1:] {
			cols = append(cols, fmt.Sprintf("    %s %s", c.name, c.typ))
		}
		parent := g.table()
		cols = append(cols, fmt.Sprintf("    %s_id bigint REFERENCES %s (id)", parent.name, parent.name), "    created_at timestamptz NOT NULL DEFAULT now()")
		fmt.Fprintf(&b, "CREATE TABLE %s (\n%s\n);\n", t.name, strings.Join(cols, ",\n"))
		fmt.Fprintf(&b, "CREATE INDEX %s_created_at_idx ON %s (created_at);\n", t.name, t.name)
		fmt.Fprintf(&b, "COMMENT ON TABLE %s IS 'Created in release %d';\n", t.name, i)
		g.tables = append(g.tables, t)
		n += 3
		name = "create_" + t.name
	}
	for n < 9+g.r.IntN(5) {
		t := g.table()
		c := column{fmt.Sprintf("%s_%d", g.pick(words), g.next()), g.pick(types)}
		switch k := g.r.IntN(20); {
		case k < 5:
			fmt.Fprintf(&b, "ALTER TABLE %s ADD COLUMN %s %s;\n", t.name, c.name, c.typ)
			t.cols = append(t.cols, c)
		case k < 7:
			fmt.Fprintf(&b, "ALTER TABLE %s ADD COLUMN IF NOT EXISTS %s %s NOT NULL DEFAULT %s;\n", t.name, c.name, c.typ, value(c.typ, n))
			t.cols = append(t.cols, c)
		case k == 7:
			fmt.Fprintf(&b, "ALTER TABLE %s ADD COLUMN %s uuid DEFAULT gen_random_uuid();\n", t.name, c.name) // unsafe: volatile default
			t.cols = append(t.cols, column{c.name, "uuid"})
		case k == 8:
			old := g.col(t)
			fmt.Fprintf(&b, "CREATE INDEX %s_%s_idx%d ON %s (%s);\n", t.name, old.name, g.next(), t.name, old.name) // unsafe on an existing table
		case k < 11:
			old := g.col(t)
			fmt.Fprintf(&b, "UPDATE %s SET %s = %s WHERE id BETWEEN %d AND %d;\n", t.name, old.name, value(old.typ, n), n*1000, n*1000+999)
		case k < 13:
			old := g.col(t)
			fmt.Fprintf(&b, "INSERT INTO %s (%s) VALUES (%s), (%s) ON CONFLICT DO NOTHING;\n", t.name, old.name, value(old.typ, 1), value(old.typ, 2))
		case k == 13:
			ref := g.table()
			fmt.Fprintf(&b, "ALTER TABLE %s ADD CONSTRAINT %s_%s_fk%d FOREIGN KEY (%s_id) REFERENCES %s (id) NOT VALID;\n", t.name, t.name, ref.name, g.next(), ref.name, ref.name)
		case k == 14:
			ref := g.table()
			fmt.Fprintf(&b, "ALTER TABLE %s ADD CONSTRAINT %s_%s_fk%d FOREIGN KEY (%s_id) REFERENCES %s (id);\n", t.name, t.name, ref.name, g.next(), ref.name, ref.name) // unsafe: validates under lock
		case k == 15:
			old := g.col(t)
			fmt.Fprintf(&b, "ALTER TABLE %s ADD CONSTRAINT %s_%s_check%d CHECK (%s IS DISTINCT FROM NULL OR id > 0) NOT VALID;\n", t.name, t.name, old.name, g.next(), old.name)
		case k == 16:
			fmt.Fprintf(&b, "CREATE OR REPLACE VIEW %s_recent AS SELECT * FROM %s WHERE id > %d;\n", t.name, t.name, n)
		case k == 17:
			fmt.Fprintf(&b, "CREATE OR REPLACE FUNCTION touch_%s() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n    NEW.id := coalesce(NEW.id, 0); -- keep; 'quoted'\n    RETURN NEW;\nEND\n$$;\n", t.name)
		case k == 18:
			fmt.Fprintf(&b, "GRANT SELECT ON %s TO reporting;\n", t.name)
		default:
			for _, oc := range t.cols {
				if strings.HasPrefix(oc.typ, "varchar(") {
					fmt.Fprintf(&b, "ALTER TABLE %s ALTER COLUMN %s TYPE varchar(255);\n", t.name, oc.name) // widening: no rewrite
					oc.typ = "varchar(255)"
					break
				}
			}
			fmt.Fprintf(&b, "ANALYZE %s;\n", t.name)
		}
		n++
	}
	// The count above is approximate for the varchar case, which may add
	// one statement; count what was written.
	return name, b.String(), strings.Count(b.String(), ";\n") - strings.Count(b.String(), "'quoted'")
}

func (g *gen) contract(i int) (string, string, int) {
	var b strings.Builder
	safe := "after_deploy"
	switch g.r.IntN(10) {
	case 0:
		safe = "before_deploy" // a mistake both linters should catch
	case 1:
		b.WriteString("-- delay: 7d\n")
	}
	fmt.Fprintf(&b, "-- safe: %s\n--\n-- Release %d: remove what the previous release stopped using.\n\n", safe, i)
	b2 := &strings.Builder{}
	n := 0
	for n < 9+g.r.IntN(5) {
		t := g.table()
		switch k := g.r.IntN(14); {
		case k < 3 && len(t.cols) > 2:
			c := t.cols[len(t.cols)-1]
			t.cols = t.cols[:len(t.cols)-1]
			fmt.Fprintf(b2, "ALTER TABLE %s DROP COLUMN IF EXISTS %s;\n", t.name, c.name)
		case k < 5:
			c := g.col(t)
			fmt.Fprintf(b2, "UPDATE %s SET %s = %s WHERE %s IS NULL AND id < %d;\n", t.name, c.name, value(c.typ, n), c.name, 10000*(n+1))
		case k == 5:
			c := g.col(t)
			fmt.Fprintf(b2, "ALTER TABLE %s ALTER COLUMN %s SET NOT NULL;\n", t.name, c.name) // unsafe: scan under lock
		case k == 6:
			c := g.col(t)
			cn := fmt.Sprintf("%s_%s_nn%d", t.name, c.name, g.next())
			fmt.Fprintf(b2, "ALTER TABLE %s ADD CONSTRAINT %s CHECK (%s IS NOT NULL) NOT VALID;\n", t.name, cn, c.name)
		case k == 7 && len(t.indexes) > 0:
			fmt.Fprintf(b2, "DROP INDEX %s;\n", t.indexes[0]) // unsafe: not concurrently
			t.indexes = t.indexes[1:]
		case k == 8:
			c := g.col(t)
			if c.typ == "integer" {
				fmt.Fprintf(b2, "ALTER TABLE %s ALTER COLUMN %s TYPE bigint;\n", t.name, c.name) // unsafe: rewrite
				c.typ = "bigint"
			} else {
				fmt.Fprintf(b2, "DELETE FROM %s WHERE id < %d;\n", t.name, n*100)
			}
		case k == 9 && len(g.tables) > 8 && g.r.IntN(3) == 0:
			j := 5 + g.r.IntN(len(g.tables)-5)
			dropped := g.tables[j]
			g.tables = append(g.tables[:j], g.tables[j+1:]...)
			fmt.Fprintf(b2, "DROP VIEW IF EXISTS %s_recent;\nDROP TABLE IF EXISTS %s;\n", dropped.name, dropped.name)
			n++
		case k == 10 && g.r.IntN(4) == 0 && len(t.cols) > 2:
			c := t.cols[len(t.cols)-1]
			nn := c.name + "_v2"
			fmt.Fprintf(b2, "ALTER TABLE %s RENAME COLUMN %s TO %s;\n", t.name, c.name, nn) // unsafe: breaks one side of the deploy
			t.cols[len(t.cols)-1].name = nn
		case k == 11:
			fmt.Fprintf(b2, "ALTER TABLE %s VALIDATE CONSTRAINT %s_check_%d;\n", t.name, t.name, n)
		case k == 12:
			fmt.Fprintf(b2, "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s;\n", t.name, g.col(t).name, "0")
		default:
			fmt.Fprintf(b2, "COMMENT ON TABLE %s IS 'cleaned up in release %d';\n", t.name, i)
		}
		n++
	}
	b.WriteString(b2.String())
	return "cleanup", b.String(), n
}
