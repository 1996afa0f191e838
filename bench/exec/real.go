package main

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// The realistic history: what an application's migrations directory holds
// after a few years. Core tables with data (tens of thousands of rows),
// then N releases of real DDL: new tables with foreign keys and seed rows,
// added columns, backfills, indexes (some CONCURRENTLY, transaction:
// false), NOT VALID constraints validated in a later release, views,
// plpgsql functions and triggers, enums and added enum values, NOT NULL
// tightening, column type changes (rewrites), dropped columns and tables.
// Every file runs as written, under goose, psql and safemigrate alike.
// The output is a pure function of n and seed.

type rcol struct {
	name, typ string
	droppable bool
}

type rtable struct {
	name    string
	cols    []rcol
	rows    int
	refs    int // foreign keys pointing at it
	views   int
	core    bool
	pinned  bool // a constraint awaits validation: never dropped
	trigger bool
	parent  *rtable
}

type rmig struct {
	name  string
	stmts []string
	notx  bool
}

type rgen struct {
	r       *rand.Rand
	tables  []*rtable
	seq     int
	pending []string // VALIDATE CONSTRAINT statements for a later release
	enums   []string
	values  []int
	fn      bool // set_updated_at() exists
}

var rtypes = []string{"text", "integer", "bigint", "boolean", "timestamptz", "numeric(12,2)", "jsonb"}

func backfillExpr(typ string) string {
	switch typ {
	case "text":
		return "'v' || id"
	case "integer":
		return "(id % 1000)::integer"
	case "bigint":
		return "id * 2"
	case "boolean":
		return "id % 2 = 0"
	case "timestamptz":
		return "created_at + interval '1 day'"
	case "numeric(12,2)":
		return "(id % 10000) / 100.0"
	case "jsonb":
		return "jsonb_build_object('id', id)"
	}
	return "NULL"
}

// seedExpr is a value for row g of generate_series.
func seedExpr(typ string) string {
	if typ == "timestamptz" {
		return "now() - g * interval '1 minute'"
	}
	return strings.ReplaceAll(backfillExpr(typ), "id", "g")
}

func constant(typ string) string {
	switch typ {
	case "text":
		return "''"
	case "boolean":
		return "false"
	case "timestamptz":
		return "'2020-01-01 00:00:00+00'"
	case "jsonb":
		return "'{}'::jsonb"
	}
	return "0"
}

func (g *rgen) next() int { g.seq++; return g.seq }

func (g *rgen) pick(pred func(*rtable) bool) *rtable {
	var ok []*rtable
	for _, t := range g.tables {
		if pred(t) {
			ok = append(ok, t)
		}
	}
	if len(ok) == 0 {
		return nil
	}
	return ok[g.r.IntN(len(ok))]
}

func anyTable(*rtable) bool { return true }

// createTable creates t with seed rows referencing parent's rows.
func (g *rgen) createTable(name string, parent *rtable, rows int) *rmig {
	t := &rtable{name: name, rows: rows, parent: parent}
	cols := []string{"id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY"}
	insCols, insVals := []string{}, []string{}
	if parent != nil {
		parent.refs++
		cols = append(cols, fmt.Sprintf("%s_id bigint REFERENCES %s (id)", parent.name, parent.name))
		insCols = append(insCols, parent.name+"_id")
		insVals = append(insVals, fmt.Sprintf("(g %% %d) + 1", parent.rows))
	}
	for range 2 + g.r.IntN(4) {
		c := rcol{name: fmt.Sprintf("c%d", g.next()), typ: rtypes[g.r.IntN(len(rtypes))]}
		cols = append(cols, c.name+" "+c.typ)
		t.cols = append(t.cols, c)
		insCols = append(insCols, c.name)
		insVals = append(insVals, seedExpr(c.typ))
	}
	cols = append(cols, "created_at timestamptz NOT NULL DEFAULT now()")
	m := &rmig{name: "create_" + name}
	m.stmts = append(m.stmts, fmt.Sprintf("CREATE TABLE %s (\n    %s\n)", name, strings.Join(cols, ",\n    ")))
	if parent != nil {
		m.stmts = append(m.stmts, fmt.Sprintf("CREATE INDEX %s_%s_id_idx ON %s (%s_id)", name, parent.name, name, parent.name))
	}
	m.stmts = append(m.stmts, fmt.Sprintf("COMMENT ON TABLE %s IS 'created by release %d'", name, g.seq))
	if rows > 0 {
		m.stmts = append(m.stmts, fmt.Sprintf("INSERT INTO %s (%s)\nSELECT %s\n  FROM generate_series(1, %d) g", name, strings.Join(insCols, ", "), strings.Join(insVals, ", "), rows))
	}
	g.tables = append(g.tables, t)
	return m
}

func (g *rgen) migration(i int) *rmig {
	roll := g.r.IntN(100)
	switch {
	case roll < 14:
		parent := g.pick(func(t *rtable) bool { return t.rows > 0 })
		rows := []int{0, 200, 1000, 5000}[g.r.IntN(4)]
		return g.createTable(fmt.Sprintf("t%d", g.next()), parent, rows)
	case roll < 28:
		t := g.pick(anyTable)
		m := &rmig{name: "add_columns_" + t.name}
		for range 1 + g.r.IntN(3) {
			c := rcol{name: fmt.Sprintf("c%d", g.next()), typ: rtypes[g.r.IntN(len(rtypes))], droppable: true}
			if g.r.IntN(3) == 0 {
				m.stmts = append(m.stmts, fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s %s NOT NULL DEFAULT %s", t.name, c.name, c.typ, constant(c.typ)))
			} else {
				m.stmts = append(m.stmts, fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s %s", t.name, c.name, c.typ))
			}
			t.cols = append(t.cols, c)
		}
		return m
	case roll < 40:
		t := g.pick(func(t *rtable) bool { return t.rows > 0 })
		c := t.cols[g.r.IntN(len(t.cols))]
		m := &rmig{name: "backfill_" + t.name + "_" + c.name}
		m.stmts = append(m.stmts, fmt.Sprintf("UPDATE %s SET %s = %s WHERE %s IS NULL OR id %% 3 = 0", t.name, c.name, backfillExpr(c.typ), c.name))
		return m
	case roll < 48:
		t := g.pick(anyTable)
		c := t.cols[g.r.IntN(len(t.cols))]
		idx := fmt.Sprintf("%s_%s_idx%d", t.name, c.name, g.next())
		if t.rows >= 10000 && g.r.IntN(2) == 0 {
			return &rmig{name: "index_" + t.name, notx: true, stmts: []string{
				fmt.Sprintf("CREATE INDEX CONCURRENTLY IF NOT EXISTS %s ON %s (%s)", idx, t.name, c.name)}}
		}
		return &rmig{name: "index_" + t.name, stmts: []string{fmt.Sprintf("CREATE INDEX %s ON %s (%s)", idx, t.name, c.name)}}
	case roll < 56:
		t := g.pick(anyTable)
		m := &rmig{name: "constrain_" + t.name}
		if ref := g.pick(func(r *rtable) bool { return r != t && r.rows > 0 }); ref != nil && g.r.IntN(2) == 0 {
			col := fmt.Sprintf("ref_%s_id%d", ref.name, g.next())
			con := fmt.Sprintf("%s_%s_fk", t.name, col)
			ref.refs++
			t.pinned = true
			// The column stays NULL (it is not in t.cols: backfills would
			// break the key).
			m.stmts = append(m.stmts,
				fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s bigint", t.name, col),
				fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s FOREIGN KEY (%s) REFERENCES %s (id) NOT VALID", t.name, con, col, ref.name))
			g.pending = append(g.pending, fmt.Sprintf("ALTER TABLE %s VALIDATE CONSTRAINT %s", t.name, con))
		} else {
			c := &t.cols[g.r.IntN(len(t.cols))]
			c.droppable = false
			t.pinned = true
			con := fmt.Sprintf("%s_%s_check%d", t.name, c.name, g.next())
			m.stmts = append(m.stmts, fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s CHECK (%s IS NOT DISTINCT FROM %s OR id > 0) NOT VALID", t.name, con, c.name, c.name))
			g.pending = append(g.pending, fmt.Sprintf("ALTER TABLE %s VALIDATE CONSTRAINT %s", t.name, con))
		}
		return m
	case roll < 62:
		t := g.pick(anyTable)
		t.views++
		v := fmt.Sprintf("%s_recent_v%d", t.name, g.next())
		sel := fmt.Sprintf("SELECT t.id, t.created_at FROM %s t WHERE t.created_at > now() - interval '30 days'", t.name)
		if t.parent != nil {
			t.parent.views++
			sel = fmt.Sprintf("SELECT t.id, t.created_at, p.id AS %s_id FROM %s t JOIN %s p ON p.id = t.%s_id WHERE t.created_at > now() - interval '30 days'",
				t.parent.name, t.name, t.parent.name, t.parent.name)
		}
		return &rmig{name: "view_" + t.name, stmts: []string{fmt.Sprintf("CREATE OR REPLACE VIEW %s AS\n%s", v, sel)}}
	case roll < 68:
		t := g.pick(func(t *rtable) bool { return !t.trigger })
		if t == nil {
			break
		}
		m := &rmig{name: "touch_" + t.name}
		if !g.fn {
			g.fn = true
			m.stmts = append(m.stmts, "CREATE OR REPLACE FUNCTION set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n    NEW.updated_at := now();\n    RETURN NEW;\nEND\n$$")
		}
		t.trigger = true
		m.stmts = append(m.stmts,
			fmt.Sprintf("ALTER TABLE %s ADD COLUMN updated_at timestamptz", t.name),
			fmt.Sprintf("CREATE TRIGGER %s_updated_at BEFORE UPDATE ON %s FOR EACH ROW EXECUTE FUNCTION set_updated_at()", t.name, t.name))
		return m
	case roll < 72:
		if len(g.enums) > 0 && g.r.IntN(2) == 0 {
			j := g.r.IntN(len(g.enums))
			g.values[j]++
			return &rmig{name: "enum_" + g.enums[j], stmts: []string{fmt.Sprintf("ALTER TYPE %s ADD VALUE IF NOT EXISTS 'v%d'", g.enums[j], g.values[j])}}
		}
		t := g.pick(anyTable)
		e := fmt.Sprintf("state%d", g.next())
		g.enums, g.values = append(g.enums, e), append(g.values, 2)
		col := e // not in t.cols: backfills stay off it
		return &rmig{name: "enum_" + e, stmts: []string{
			fmt.Sprintf("CREATE TYPE %s AS ENUM ('v1', 'v2')", e),
			fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s %s NOT NULL DEFAULT 'v1'", t.name, col, e)}}
	case roll < 78:
		t := g.pick(func(t *rtable) bool { return t.rows > 0 })
		c := &t.cols[g.r.IntN(len(t.cols))]
		c.droppable = false
		return &rmig{name: "require_" + t.name + "_" + c.name, stmts: []string{
			fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s", t.name, c.name, constant(c.typ)),
			fmt.Sprintf("UPDATE %s SET %s = %s WHERE %s IS NULL", t.name, c.name, constant(c.typ), c.name),
			fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s SET NOT NULL", t.name, c.name)}}
	case roll < 82:
		for _, t := range g.tables {
			for j := range t.cols {
				if t.cols[j].typ == "integer" {
					t.cols[j].typ = "bigint"
					return &rmig{name: "widen_" + t.name, stmts: []string{fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s TYPE bigint", t.name, t.cols[j].name)}}
				}
			}
		}
	case roll < 86:
		for _, t := range g.tables {
			for j, c := range t.cols {
				if c.droppable && len(t.cols) > 2 {
					t.cols = append(t.cols[:j], t.cols[j+1:]...)
					return &rmig{name: "drop_" + t.name + "_" + c.name, stmts: []string{fmt.Sprintf("ALTER TABLE %s DROP COLUMN IF EXISTS %s", t.name, c.name)}}
				}
			}
		}
	case roll < 89:
		for j, t := range g.tables {
			if !t.core && !t.pinned && t.refs == 0 && t.views == 0 {
				g.tables = append(g.tables[:j], g.tables[j+1:]...)
				if t.parent != nil {
					t.parent.refs--
				}
				return &rmig{name: "drop_" + t.name, stmts: []string{fmt.Sprintf("DROP TABLE IF EXISTS %s", t.name)}}
			}
		}
	}
	if len(g.pending) > 0 {
		v := g.pending[0]
		g.pending = g.pending[1:]
		return &rmig{name: "validate", stmts: []string{v}}
	}
	t := g.pick(anyTable)
	return &rmig{name: "analyze_" + t.name, stmts: []string{fmt.Sprintf("COMMENT ON TABLE %s IS 'reviewed in release %d'", t.name, i), "ANALYZE " + t.name}}
}

// realHistory is a realistic history of n migrations of real DDL.
func realHistory(n int, seed uint64) []*rmig {
	g := &rgen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	var ms []*rmig
	for _, core := range []struct {
		name   string
		parent int // index in g.tables, -1 for none
		rows   int
	}{{"accounts", -1, 2000}, {"users", 0, 30000}, {"orders", 1, 60000}, {"events", 0, 100000}} {
		var parent *rtable
		if core.parent >= 0 {
			parent = g.tables[core.parent]
		}
		ms = append(ms, g.createTable(core.name, parent, core.rows))
		g.tables[len(g.tables)-1].core = true
	}
	for i := len(ms) + 1; i <= n; i++ {
		ms = append(ms, g.migration(i))
	}
	return ms
}
