package executor

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/safemigrate/safemigrate/annotate"
	"github.com/safemigrate/safemigrate/internal/sqlparse"
)

// StatementTrace is what one statement did in a traced rehearsal
// ([Options].Trace): the table-level locks it acquired and the tables it
// rewrote.
//
//	{"statement": 2, "line": 5, "sql": "ALTER TABLE t ALTER COLUMN id TYPE bigint",
//	 "locks": [{"relation": "public.t", "mode": "ACCESS EXCLUSIVE"}],
//	 "rewrites": ["public.t"]}
type StatementTrace struct {
	// Statement is the 1-based number of the statement in the file.
	Statement int `json:"statement"`
	// Line is the line of the file where the statement starts.
	Line int `json:"line"`
	// SQL is the statement with whitespace collapsed, passwords masked and
	// cut to [MaxQueryText] characters.
	SQL string `json:"sql"`
	// Locks are the locks the statement took on tables, views and
	// materialized views, strongest first, without the weaker modes a
	// stronger one on the same relation makes irrelevant: those pg_locks of the
	// rehearsing session shows right after the statement and not before
	// it, and those the rehearsal already held that the SQL analysis says
	// the statement takes (AlreadyHeld: one transaction keeps its locks
	// until it ends, so an earlier statement or migration of the rehearsal
	// may have taken them first). Locks on indexes, sequences, the
	// tracking tables and relations created by the migration itself
	// (invisible to other sessions until it commits) are left out.
	Locks []Lock `json:"locks"`
	// Rewrites are the tables and materialized views (that existed when
	// the migration started) whose storage the statement replaced (a new relfilenode: ALTER COLUMN … TYPE with a
	// conversion, VACUUM FULL, CLUSTER, TRUNCATE, …), each read in full
	// and written anew under an ACCESS EXCLUSIVE lock when applied.
	Rewrites []string `json:"rewrites"`
	// Note says how the rehearsal differs from the real statement: a
	// `transaction: false` statement rehearsed without CONCURRENTLY takes
	// stronger locks than the real one, so its Locks come from the SQL
	// analysis of the statement as written (CREATE INDEX CONCURRENTLY:
	// SHARE UPDATE EXCLUSIVE) rather than from pg_locks.
	Note string `json:"note,omitempty"`
}

// Lock is a table-level lock a statement acquired.
type Lock struct {
	// Relation is the schema-qualified name, quoted where needed.
	Relation string `json:"relation"`
	// Mode is the lock mode as LOCK TABLE spells it: ACCESS SHARE, ROW
	// SHARE, ROW EXCLUSIVE, SHARE UPDATE EXCLUSIVE, SHARE, SHARE ROW
	// EXCLUSIVE, EXCLUSIVE or ACCESS EXCLUSIVE.
	Mode string `json:"mode"`
	// AlreadyHeld is set when the rehearsal held this lock before the
	// statement (an earlier statement or migration of the same rehearsal
	// took it), so pg_locks could not show the statement taking it again;
	// the SQL analysis says the statement takes it. Applied in a
	// transaction of its own, the migration waits for it here.
	AlreadyHeld bool `json:"already_held,omitempty"`
}

// lockModes maps pg_locks.mode to LOCK TABLE's spelling, weakest first,
// with the modes each conflicts with (bit i: lockModes[i]), as the table
// in PostgreSQL's documentation ("Conflicting Lock Modes") has them.
var lockModes = []struct {
	pg, sql   string
	conflicts uint8
}{
	{"AccessShareLock", "ACCESS SHARE", 0b10000000},
	{"RowShareLock", "ROW SHARE", 0b11000000},
	{"RowExclusiveLock", "ROW EXCLUSIVE", 0b11110000},
	{"ShareUpdateExclusiveLock", "SHARE UPDATE EXCLUSIVE", 0b11111000},
	{"ShareLock", "SHARE", 0b11101100},
	{"ShareRowExclusiveLock", "SHARE ROW EXCLUSIVE", 0b11111100},
	{"ExclusiveLock", "EXCLUSIVE", 0b11111110},
	{"AccessExclusiveLock", "ACCESS EXCLUSIVE", 0b11111111},
}

// subsumed reports whether holding mode a (a strength, see [lockMode])
// blocks nothing that holding mode b does not block already.
func subsumed(a, b int) bool {
	ca, cb := lockModes[a].conflicts, lockModes[b].conflicts
	return a != b && ca&cb == ca
}

// lockMode returns the SQL spelling of a pg_locks mode and its strength
// (higher is stronger; -1 for a mode that is not a table lock mode).
func lockMode(pg string) (string, int) {
	for i, m := range lockModes {
		if m.pg == pg {
			return m.sql, i
		}
	}
	return pg, -1
}

// pgLockMode returns the pg_locks spelling of a mode spelled as in SQL
// and its strength; "", -1 for an unknown mode.
func pgLockMode(sql string) (string, int) {
	for i, m := range lockModes {
		if m.sql == sql {
			return m.pg, i
		}
	}
	return "", -1
}

// relation is a user relation as a traced rehearsal sees it.
type relation struct {
	name     string // schema-qualified, quoted where needed
	table    bool   // has storage that a rewrite replaces (table, materialized view)
	filenode uint32
}

// heldLock is one relation lock held by the rehearsing session.
type heldLock struct {
	oid  uint32
	mode string // pg_locks spelling
}

// snapshot is the state a traced rehearsal compares around a statement.
type snapshot struct {
	rels  map[uint32]relation
	locks map[heldLock]bool
	// oids resolves the relation names of the next statement's SQL
	// analysis (see [relationName]) to OIDs; absent when unknown.
	oids map[string]uint32
}

// Queries of a snapshot. Schemas starting with pg_ are PostgreSQL's own
// (catalogs, TOAST, temporary schemas); users cannot create such schemas.
const (
	snapshotRelations = `
SELECT c.oid, format('%I.%I', n.nspname, c.relname), c.relkind IN ('r', 'm'), c.relfilenode
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p', 'm', 'v', 'f')
   AND n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
   AND NOT (n.nspname = $1 AND c.relname = ANY ($2))`
	snapshotLocks = `
SELECT l.relation, l.mode
  FROM pg_catalog.pg_locks l
 WHERE l.pid = pg_catalog.pg_backend_pid() AND l.locktype = 'relation' AND l.granted
   AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())`
)

// snapshot reads the user relations and the session's relation locks,
// and resolves names (quoted identifiers, see [relationName]), in one
// round trip.
func (s *Session) snapshot(ctx context.Context, names []string) (*snapshot, error) {
	snap := &snapshot{rels: map[uint32]relation{}, locks: map[heldLock]bool{}, oids: map[string]uint32{}}
	var b pgx.Batch
	if len(names) > 0 {
		b.Queue(`SELECT n, pg_catalog.to_regclass(n)::oid FROM unnest($1::text[]) n WHERE pg_catalog.to_regclass(n) IS NOT NULL`, names).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var name string
				var oid uint32
				if err := rows.Scan(&name, &oid); err != nil {
					return err
				}
				snap.oids[name] = oid
			}
			return rows.Err()
		})
	}
	b.Queue(snapshotRelations, s.names.schema, []string{MigrationsTable, DetectedTable, ProgressTable}).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var oid uint32
			var r relation
			if err := rows.Scan(&oid, &r.name, &r.table, &r.filenode); err != nil {
				return err
			}
			snap.rels[oid] = r
		}
		return rows.Err()
	})
	b.Queue(snapshotLocks).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var l heldLock
			if err := rows.Scan(&l.oid, &l.mode); err != nil {
				return err
			}
			snap.locks[l] = true
		}
		return rows.Err()
	})
	if err := s.conn.SendBatch(ctx, &b).Close(); err != nil {
		return nil, err
	}
	return snap, nil
}

// relationName quotes a relation as the SQL analysis prints it
// ("users", "billing.invoices") for to_regclass; "" when it has more
// parts than schema and name.
func relationName(printed string) string {
	parts := strings.Split(printed, ".")
	if len(parts) > 2 {
		return ""
	}
	return pgx.Identifier(parts).Sanitize()
}

// analysedLocks returns the locks the SQL analysis finds in each of
// stmts, the statements of one migration, from the trees they were
// parsed with.
func analysedLocks(stmts []sqlparse.Statement) [][]annotate.RelationLock {
	an := annotate.NewSchema().Analyze(annotate.FromSplit(stmts), annotate.Options{})
	out := make([][]annotate.RelationLock, len(stmts))
	for i, st := range an.Statements {
		out[i] = st.Locks
	}
	return out
}

// lockNames returns the quoted names of the relations in locks.
func lockNames(locks []annotate.RelationLock) []string {
	var names []string
	for _, l := range locks {
		if n := relationName(l.Relation); n != "" {
			names = append(names, n)
		}
	}
	return names
}

// traceStatement compares the snapshots before and after statement n
// (1-based) of a migration; start is the snapshot before the migration's
// first statement. st is the statement of the file, ran what was
// rehearsed in its place, analysed the locks the SQL analysis finds in st.
func traceStatement(start, before, after *snapshot, n int, st, ran sqlparse.Statement, analysed []annotate.RelationLock) StatementTrace {
	tr := StatementTrace{Statement: n, Line: st.Line, SQL: cleanQuery(st.SQL), Locks: []Lock{}, Rewrites: []string{}}
	type ranked struct {
		Lock
		strength int
	}
	// A statement rehearsed in another form (without CONCURRENTLY) takes
	// the other form's locks: list those of the SQL analysis instead.
	rewritten := ran.SQL != st.SQL
	var locks []ranked
	for l := range after.locks {
		rel, existed := before.rels[l.oid]
		if _, old := start.rels[l.oid]; rewritten || before.locks[l] || !existed || !old {
			continue
		}
		mode, strength := lockMode(l.mode)
		if strength < 0 {
			continue // SIReadLock of a serializable transaction: not a table lock
		}
		locks = append(locks, ranked{Lock{Relation: rel.name, Mode: mode}, strength})
	}
	for _, al := range analysed {
		oid, ok := before.oids[relationName(al.Relation)]
		if !ok {
			continue
		}
		pg, strength := pgLockMode(al.Mode.String())
		rel, existed := before.rels[oid]
		held := before.locks[heldLock{oid, pg}]
		if _, old := start.rels[oid]; strength < 0 || !existed || !old || !(held || rewritten) {
			continue
		}
		locks = append(locks, ranked{Lock{Relation: rel.name, Mode: al.Mode.String(), AlreadyHeld: held}, strength})
	}
	slices.SortFunc(locks, func(a, b ranked) int {
		return cmp.Or(cmp.Compare(b.strength, a.strength), strings.Compare(a.Relation, b.Relation))
	})
	// A weaker lock that comes with a stronger one on the same relation
	// (the SHARE of an index rebuilt under ACCESS EXCLUSIVE, the ACCESS
	// SHARE of a foreign key's check) adds nothing: leave it out.
	for _, l := range locks {
		if !slices.ContainsFunc(locks, func(o ranked) bool { return o.Relation == l.Relation && subsumed(l.strength, o.strength) }) {
			tr.Locks = append(tr.Locks, l.Lock)
		}
	}
	for oid, rel := range before.rels {
		_, old := start.rels[oid]
		if now, ok := after.rels[oid]; ok && old && rel.table && now.filenode != rel.filenode {
			tr.Rewrites = append(tr.Rewrites, rel.name)
		}
	}
	slices.Sort(tr.Rewrites)
	if rewritten {
		tr.Note = "rehearsed without CONCURRENTLY; the locks are those of the statement as written, from the SQL analysis"
	}
	return tr
}

// execTraced runs the commands of b like [Session.execBatch], but each
// migration statement on its own, with a snapshot of relations and locks
// before the first and after each: the statement-by-statement rehearsal
// of Options.Trace. stmts are the statements that were rehearsed, u.stmts
// the file's. A failing snapshot is reported as a command with roleTrace.
func (s *Session) execTraced(ctx context.Context, b *batch, u *unit, stmts []sqlparse.Statement) ([]StatementTrace, *command, []Blocker, error) {
	trace := []StatementTrace{}
	analysed := analysedLocks(u.stmts)
	names := func(stmt int) []string { // of statement stmt (1-based)
		if stmt < 1 || stmt > len(analysed) {
			return nil
		}
		return lockNames(analysed[stmt-1])
	}
	var seg batch
	flush := func() (*command, []Blocker, error) {
		cmd, blockers, err := s.execBatch(ctx, &seg, u)
		seg = batch{}
		return cmd, blockers, err
	}
	take := func(next int) (*snapshot, error) {
		snap, err := s.snapshot(ctx, names(next))
		if err != nil {
			return nil, fmt.Errorf("read relations and locks for the trace: %w", err)
		}
		return snap, nil
	}
	var start, before *snapshot
	for k, c := range b.cmds {
		if c.stmt == 0 {
			seg.cmds = append(seg.cmds, c)
			continue
		}
		if cmd, blockers, err := flush(); err != nil {
			return trace, cmd, blockers, err
		}
		if before == nil {
			var err error
			if before, err = take(c.stmt); err != nil {
				return trace, &command{role: roleTrace}, nil, err
			}
			start = before
		}
		seg.cmds = append(seg.cmds, c)
		if cmd, blockers, err := flush(); err != nil {
			return trace, cmd, blockers, err
		}
		after, err := take(nextStatement(b.cmds[k+1:]))
		if err != nil {
			return trace, &command{role: roleTrace}, nil, err
		}
		var al []annotate.RelationLock
		if c.stmt <= len(analysed) {
			al = analysed[c.stmt-1]
		}
		trace = append(trace, traceStatement(start, before, after, c.stmt, u.stmts[c.stmt-1], stmts[c.stmt-1], al))
		before = after
	}
	cmd, blockers, err := flush()
	return trace, cmd, blockers, err
}

// nextStatement returns the statement number of the first migration
// statement among cmds, 0 when there is none.
func nextStatement(cmds []command) int {
	for _, c := range cmds {
		if c.stmt > 0 {
			return c.stmt
		}
	}
	return 0
}
