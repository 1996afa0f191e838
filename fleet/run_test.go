package fleet_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/fleet"
	"github.com/safemigrate/safemigrate/planner"
)

func post(log *syncBuffer) fleet.Options {
	o := fleet.Options{Exec: executor.Options{Phase: planner.PostDeploy}}
	if log != nil {
		o.Exec.Log = log
	}
	return o
}

func states(res *fleet.Result) map[string]fleet.State {
	m := map[string]fleet.State{}
	for _, t := range res.Tenants {
		m[t.Tenant] = t.State
	}
	return m
}

func TestPreflightFailureInOneTenantAppliesNothingAnywhere(t *testing.T) {
	t.Parallel()
	d := newDB(t, "a", "b", "c")
	// b's data breaks 0002, c's breaks 0003: both only fail on real data.
	d.exec(t, `CREATE TABLE b.items (id int, note text); INSERT INTO b.items VALUES (1, NULL)`)
	d.exec(t, `CREATE TABLE c.items (id int, note text); INSERT INTO c.items VALUES (1, 'x'), (1, 'y')`)
	g := load(t,
		"0001_items.sql", "-- safe: before_deploy\nCREATE TABLE IF NOT EXISTS items (id int, note text);\n",
		"0002_note_not_null.sql", "-- safe: always\nALTER TABLE items ALTER COLUMN note SET NOT NULL;\n",
		"0003_unique_id.sql", "-- safe: always\nCREATE UNIQUE INDEX items_id ON items (id);\n",
		"0004_later.sql", "-- safe: after_deploy\nALTER TABLE items DROP COLUMN note;\n",
	)
	f := d.fleetOf(t, fleet.Source{Schemas: []string{"a", "b", "c"}})

	res, err := f.Run(ctx(t), g, fleet.Options{Exec: executor.Options{Phase: planner.PreDeploy}, Jobs: 3})
	require.Error(t, err)
	assert.ErrorIs(t, err, executor.ErrPreflight)
	var fe *fleet.Error
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, fleet.PassPreflight, fe.Pass)
	var failing []string
	for _, tf := range fe.Failures {
		var pe *executor.PreflightError
		require.ErrorAs(t, tf, &pe)
		for _, m := range pe.Failures {
			failing = append(failing, tf.Tenant+":"+m.ID)
		}
	}
	assert.Equal(t, []string{"b:0002_note_not_null", "c:0003_unique_id"}, failing, "every failing (tenant, migration) pair")
	assert.Contains(t, err.Error(), "tenant b:")
	assert.Contains(t, err.Error(), "nothing was applied in any tenant")

	require.NotNil(t, res)
	assert.False(t, res.OK)
	assert.Equal(t, map[string]fleet.State{"a": fleet.StatePreflighted, "b": fleet.StateFailed, "c": fleet.StateFailed}, states(res))
	assert.True(t, res.Tenants[0].OK, "a did not fail itself")
	require.NotNil(t, res.Preflight)
	assert.False(t, res.Preflight.OK)
	var pairs []string
	for _, m := range res.Preflight.Migrations {
		if m.Status == executor.StatusFailed {
			pairs = append(pairs, m.Tenant+":"+m.ID)
		}
	}
	assert.Equal(t, failing, pairs)
	assert.Len(t, res.Preflight.Migrations, 9, "3 tenants × 3 pre-deploy migrations")
	assert.Empty(t, res.Applied)

	for _, s := range []string{"a", "b", "c"} {
		assert.Empty(t, d.applied(t, s), "nothing applied in %s", s)
	}
	assert.Empty(t, d.tables(t, "a"), "a is untouched")
	assert.Equal(t, []string{"items"}, d.tables(t, "b"))
	assert.Equal(t, []string{"1"}, d.strings(t, `SELECT count(*)::text FROM b.items WHERE note IS NULL`))
}

func TestApplyFailureStopsNewTenantsAndRerunConverges(t *testing.T) {
	t.Parallel()
	d := newDB(t, "t1", "t2", "t3", "t4")
	// transaction: false is not rehearsed on the target: t2's duplicate
	// ids only fail when applied.
	d.exec(t, `CREATE TABLE t2.items (id int); INSERT INTO t2.items VALUES (1), (1)`)
	g := load(t,
		"0001_items.sql", "-- safe: before_deploy\nCREATE TABLE IF NOT EXISTS items (id int);\n",
		"0002_unique.sql", "-- safe: before_deploy\n-- transaction: false\nCREATE UNIQUE INDEX CONCURRENTLY items_id ON items (id);\n",
	)
	f := d.fleetOf(t, fleet.Source{Schemas: []string{"t1", "t2", "t3", "t4"}})
	opts := post(nil)
	opts.Jobs = 1

	res, err := f.Run(ctx(t), g, opts)
	var fe *fleet.Error
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, fleet.PassApply, fe.Pass)
	assert.ErrorIs(t, err, executor.ErrMigration)
	assert.Equal(t, 1, fe.Applied)
	assert.Equal(t, 2, fe.NotStarted)
	require.Len(t, fe.Failures, 1)
	assert.Equal(t, "t2", fe.Failures[0].Tenant)
	assert.Equal(t, map[string]fleet.State{"t1": fleet.StateApplied, "t2": fleet.StateFailed, "t3": fleet.StateNotStarted, "t4": fleet.StateNotStarted}, states(res))
	assert.Equal(t, []string{"0001_items"}, res.Tenants[1].Applied, "what t2 applied before the failure stays")
	require.NotNil(t, res.Tenants[1].Failed)
	assert.Equal(t, "0002_unique", res.Tenants[1].Failed.ID)
	assert.Equal(t, []string{"0001_items", "0002_unique"}, res.Applied, "applied in at least one tenant")
	assert.Equal(t, []string{"0001_items", "0002_unique"}, d.applied(t, "t1"))
	assert.Equal(t, []string{"0001_items"}, d.applied(t, "t2"))
	assert.Empty(t, d.applied(t, "t3"))
	assert.Empty(t, d.tables(t, "t4"))

	d.exec(t, `DELETE FROM t2.items`)
	res, err = f.Run(ctx(t), g, opts)
	require.NoError(t, err)
	assert.True(t, res.OK)
	for _, s := range []string{"t1", "t2", "t3", "t4"} {
		assert.Equal(t, []string{"0001_items", "0002_unique"}, d.applied(t, s), s)
	}
	assert.Empty(t, res.Tenants[0].Applied, "t1 had nothing left")
	assert.Equal(t, []string{"0002_unique"}, res.Tenants[1].Applied)
}

func TestJobsBoundParallelismAndConnections(t *testing.T) {
	t.Parallel()
	schemas := []string{"s1", "s2", "s3", "s4", "s5"}
	d := newDB(t, schemas...)
	d.exec(t, `CREATE TABLE public.runs (tenant text, started timestamptz, finished timestamptz, conns int)`)
	g := load(t, "0001_slow.sql", `-- safe: always
INSERT INTO public.runs (tenant, started, conns)
  SELECT current_schema(), clock_timestamp(), count(*) FROM pg_stat_activity
   WHERE datname = current_database() AND application_name LIKE 'safemigrate%';
SELECT pg_sleep(0.2);
UPDATE public.runs SET finished = clock_timestamp() WHERE tenant = current_schema();
`)
	f := d.fleetOf(t, fleet.Source{Schemas: schemas})
	opts := post(nil)
	opts.Jobs = 2
	opts.Exec.NoPreflight = true
	var mu sync.Mutex
	var progress []string
	opts.Progress = func(p fleet.Progress) {
		mu.Lock()
		defer mu.Unlock()
		progress = append(progress, string(p.Pass)+" "+strings.Repeat("#", p.Done))
		assert.Equal(t, len(schemas), p.Total)
	}
	res, err := f.Run(ctx(t), g, opts)
	require.NoError(t, err)
	assert.Equal(t, 2, res.Jobs)

	type run struct {
		start, end time.Time
		conns      int
	}
	rows, err := d.conn.Query(ctx(t), `SELECT started, finished, conns FROM public.runs`)
	require.NoError(t, err)
	var runs []run
	for rows.Next() {
		var r run
		require.NoError(t, rows.Scan(&r.start, &r.end, &r.conns))
		runs = append(runs, r)
	}
	require.NoError(t, rows.Err())
	require.Len(t, runs, len(schemas))
	// Sweep the intervals for the largest number running at once.
	type ev struct {
		at time.Time
		d  int
	}
	var evs []ev
	for _, r := range runs {
		evs = append(evs, ev{r.start, 1}, ev{r.end, -1})
		assert.LessOrEqual(t, r.conns, opts.Jobs+1, "the lock holder and one session per job")
	}
	sort.Slice(evs, func(i, j int) bool {
		if evs[i].at.Equal(evs[j].at) {
			return evs[i].d < evs[j].d
		}
		return evs[i].at.Before(evs[j].at)
	})
	peak, cur := 0, 0
	for _, e := range evs {
		cur += e.d
		peak = max(peak, cur)
	}
	assert.Equal(t, 2, peak, "two tenants at a time")
	assert.Len(t, progress, 2*len(schemas), "one report per tenant and pass")
	assert.Equal(t, "apply #####", progress[len(progress)-1])
}

func TestQuotedSchemaNamesAndSearchPath(t *testing.T) {
	t.Parallel()
	schemas := []string{"Tenant-One", "big co", "MiXed", `we"ird`}
	d := newDB(t, schemas...)
	d.exec(t, `CREATE FUNCTION public.next_code() RETURNS text LANGUAGE sql AS $$ SELECT 'c-' || 1 $$`)
	g := load(t,
		"0001_items.sql", "-- safe: before_deploy\nCREATE TABLE items (id int, code text DEFAULT next_code());\nINSERT INTO items (id) VALUES (1);\n",
		"0002_more.sql", "-- safe: before_deploy\nCREATE INDEX items_code ON items (code);\n",
	)
	f := d.fleetOf(t, fleet.Source{Schemas: schemas, SearchPath: []string{"public"}})
	log := &syncBuffer{}
	res, err := f.Run(ctx(t), g, post(log))
	require.NoError(t, err, log.String())
	assert.True(t, res.OK)
	for _, s := range schemas {
		assert.Equal(t, []string{"items", executor.DetectedTable, executor.MigrationsTable}, d.tables(t, s), s)
		assert.Equal(t, []string{"0001_items", "0002_more"}, d.applied(t, s), s)
	}
	assert.Equal(t, []string{"c-1"}, d.strings(t, `SELECT code FROM "big co".items`))
	assert.Empty(t, d.tables(t, "public"), "nothing lands in public")
	assert.Contains(t, log.String(), "[big co] applied 0001_items")
	assert.Contains(t, log.String(), `[we"ird] applied 0002_more`)
}

func TestSchemasQuery(t *testing.T) {
	t.Parallel()
	d := newDB(t, "tenant_b", "tenant_a", "other")
	g := load(t, "0001_t.sql", "-- safe: before_deploy\nCREATE TABLE t (id int);\n")

	f := d.fleetOf(t, fleet.Source{Query: `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tenant\_%' ORDER BY 1`})
	assert.Equal(t, []string{"tenant_a", "tenant_b"}, f.Schemas())
	_, err := f.Run(ctx(t), g, post(nil))
	require.NoError(t, err)
	assert.Equal(t, []string{"0001_t"}, d.applied(t, "tenant_a"))
	assert.Empty(t, d.tables(t, "other"))

	empty := d.fleetOf(t, fleet.Source{Query: `SELECT nspname FROM pg_namespace WHERE false`})
	res, err := empty.Run(ctx(t), g, post(nil))
	require.NoError(t, err, "a fleet without tenants has nothing to do")
	assert.True(t, res.OK)
	assert.Empty(t, res.Tenants)

	tests := []struct {
		name, query, want string
	}{
		{"two columns", `SELECT nspname, oid FROM pg_namespace`, "2 columns"},
		{"null", `SELECT NULL::text`, "row 1 is NULL"},
		{"syntax", `SELEC 1`, "syntax error"},
		{"writes", `CREATE SCHEMA sneaky`, "read-only"},
		{"missing schema", `SELECT 'tenant_zz'`, `"tenant_zz" does not exist`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := fleet.New(ctx(t), d.target, fleet.Source{Query: tt.query})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			if tt.name != "missing schema" {
				assert.ErrorIs(t, err, fleet.ErrQuery)
			}
		})
	}
	assert.Empty(t, d.strings(t, `SELECT nspname::text FROM pg_namespace WHERE nspname = 'sneaky'`))
}

func TestInvalidSchemasAreRefusedBeforeAnythingRuns(t *testing.T) {
	t.Parallel()
	d := newDB(t, "a", "B b")
	tests := []struct {
		name    string
		src     fleet.Source
		want    string
		schemas []string
	}{
		{"missing", fleet.Source{Schemas: []string{"a", "nope", "B b", "Nope Two"}}, `tenant schemas "nope", "Nope Two" do not exist; nothing was run`, []string{"nope", "Nope Two"}},
		{"case matters", fleet.Source{Schemas: []string{"b b"}}, `tenant schema "b b" does not exist`, []string{"b b"}},
		{"duplicate", fleet.Source{Schemas: []string{"a", "a"}}, `"a" is listed more than once`, []string{"a"}},
		{"system", fleet.Source{Schemas: []string{"pg_catalog"}}, "system schema", []string{"pg_catalog"}},
		{"empty name", fleet.Source{Schemas: []string{""}}, "empty schema name", nil},
		{"none", fleet.Source{}, "no tenant schemas", nil},
		{"both", fleet.Source{Schemas: []string{"a"}, Query: "SELECT 'a'"}, "not both", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := fleet.New(ctx(t), d.target, tt.src)
			require.Error(t, err)
			assert.ErrorIs(t, err, fleet.ErrSchema)
			assert.Contains(t, err.Error(), tt.want)
			var se *fleet.SchemaError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, tt.schemas, se.Schemas)
		})
	}
	assert.Equal(t, []string{"B b", "a"}, d.strings(t, `SELECT nspname::text FROM pg_namespace WHERE nspname NOT LIKE 'pg\_%' AND nspname NOT IN ('public', 'information_schema') ORDER BY 1`), "no schema was created")

	// A schema dropped after New is caught by Run before anything runs.
	f := d.fleetOf(t, fleet.Source{Schemas: []string{"a", "B b"}})
	d.exec(t, `DROP SCHEMA "B b"`)
	_, err := f.Run(ctx(t), load(t, "0001_t.sql", "-- safe: always\nCREATE TABLE t (id int);\n"), post(nil))
	assert.ErrorIs(t, err, fleet.ErrSchema)
	assert.Empty(t, d.tables(t, "a"))
}

func TestBlockedInOneTenantRunsNothingAnywhere(t *testing.T) {
	t.Parallel()
	d := newDB(t, "a", "b")
	base := []string{
		"0001_base.sql", "-- safe: before_deploy\nCREATE TABLE t (id int, old text);\n",
		"0002_drop_old.sql", "-- safe: after_deploy\nALTER TABLE t DROP COLUMN old;\n",
	}
	g1 := load(t, base...)
	g := load(t, append(base, "0003_add.sql", "-- safe: before_deploy\nALTER TABLE t ADD COLUMN new text;\n")...)
	// a is fully migrated; b ran the release phase only, which detected
	// 0002 and left it for post-deploy.
	_, err := d.fleetOf(t, fleet.Source{Schemas: []string{"a"}}).Run(ctx(t), g1, post(nil))
	require.NoError(t, err)
	res, err := d.fleetOf(t, fleet.Source{Schemas: []string{"b"}}).Run(ctx(t), g1, fleet.Options{Exec: executor.Options{Phase: planner.PreDeploy}})
	require.NoError(t, err)
	assert.Equal(t, []string{"0002_drop_old"}, res.Detected)
	assert.Equal(t, []string{"0002_drop_old"}, d.strings(t, `SELECT id FROM b.safemigrate_detected`), "detection recorded per tenant")
	assert.Empty(t, d.strings(t, `SELECT id FROM a.safemigrate_detected`))

	f := d.fleetOf(t, fleet.Source{Schemas: []string{"a", "b"}})
	pre := fleet.Options{Exec: executor.Options{Phase: planner.PreDeploy}, Jobs: 1}
	res, err = f.Run(ctx(t), g, pre)
	assert.ErrorIs(t, err, executor.ErrBlocked)
	assert.NotErrorIs(t, err, executor.ErrPreflight)
	assert.Equal(t, fleet.StateBlocked, res.Tenants[1].State)
	assert.False(t, res.Tenants[1].OK)
	assert.True(t, res.Tenants[0].OK)
	assert.Equal(t, []string{"0001_base", "0002_drop_old"}, d.applied(t, "a"), "0003 ran nowhere")
	assert.Contains(t, err.Error(), "tenant b: 1 migration(s) are blocked")

	pre.Exec.Mode = planner.Nonstrict
	res, err = f.Run(ctx(t), g, pre)
	require.NoError(t, err)
	assert.Equal(t, []string{"0003_add"}, res.Tenants[0].Applied)
	assert.Empty(t, res.Tenants[1].Applied)
	assert.Len(t, res.Tenants[1].Plan.Blocked, 1)
}

func TestDriftInOneTenantRefusesTheFleet(t *testing.T) {
	t.Parallel()
	d := newDB(t, "a", "b")
	one := []string{"0001_t.sql", "-- safe: before_deploy\nCREATE TABLE t (id int);\n"}
	f := d.fleetOf(t, fleet.Source{Schemas: []string{"a", "b"}})
	_, err := f.Run(ctx(t), load(t, one...), post(nil))
	require.NoError(t, err)
	d.exec(t, `UPDATE b.safemigrate_migrations SET checksum = 'changed'`)

	g := load(t, append(one, "0002_u.sql", "-- safe: before_deploy\nCREATE TABLE u (id int);\n")...)
	res, err := f.Run(ctx(t), g, post(nil))
	assert.ErrorIs(t, err, executor.ErrDrift)
	assert.Equal(t, fleet.StateDrift, res.Tenants[1].State)
	assert.Equal(t, []string{"0001_t"}, d.applied(t, "a"), "nothing ran in a either")

	opts := post(nil)
	opts.Exec.AllowDrift = true
	_, err = f.Run(ctx(t), g, opts)
	require.NoError(t, err)
	assert.Equal(t, []string{"0001_t", "0002_u"}, d.applied(t, "b"))
}

func TestLocksAreHeldFromPlanToApply(t *testing.T) {
	t.Parallel()
	d := newDB(t, "a", "b")
	g := load(t, "0001_t.sql", "-- safe: before_deploy\nCREATE TABLE t (id int);\n")
	f := d.fleetOf(t, fleet.Source{Schemas: []string{"a", "b"}})
	tenant := func(s string) executor.Target {
		tg := d.target
		tg.Schema, tg.TrackingSchema, tg.Name = s, s, s
		return tg
	}

	// Another run on b: the fleet waits for it, up to LockWait, and
	// starts nothing anywhere meanwhile.
	other, err := executor.Open(ctx(t), tenant("b"), executor.Options{Phase: planner.PostDeploy})
	require.NoError(t, err)
	log := &syncBuffer{}
	opts := post(log)
	opts.Exec.LockWait = 300 * time.Millisecond
	_, err = f.Run(ctx(t), g, opts)
	assert.ErrorIs(t, err, executor.ErrLockWait)
	assert.Contains(t, err.Error(), "b: another safemigrate run is in progress")
	assert.Contains(t, log.String(), "[b] waiting for the migration lock")
	assert.Empty(t, d.applied(t, "a"))
	require.NoError(t, other.Close(ctx(t)))

	// While the fleet runs, no other run gets a tenant's lock between
	// its rehearsal and its apply.
	var mu sync.Mutex
	var during []error
	opts = post(nil)
	opts.Jobs = 1
	opts.Progress = func(p fleet.Progress) {
		if p.Pass != fleet.PassPreflight {
			return
		}
		_, err := executor.Run(ctx(t), tenant(p.Tenant), g, executor.Options{Phase: planner.PostDeploy, LockWait: -1})
		mu.Lock()
		during = append(during, err)
		mu.Unlock()
	}
	res, err := f.Run(ctx(t), g, opts)
	require.NoError(t, err)
	require.Len(t, during, 2)
	for _, e := range during {
		assert.ErrorIs(t, e, executor.ErrLockWait)
	}
	for _, tn := range res.Tenants {
		assert.Equal(t, []string{"0001_t"}, tn.Applied, "the fleet applied it, not the other run")
	}
}

func TestStatesPerTenant(t *testing.T) {
	t.Parallel()
	d := newDB(t, "a", "b")
	g := load(t,
		"0001_t.sql", "-- safe: before_deploy\nCREATE TABLE t (id int);\n",
		"0002_u.sql", "-- safe: before_deploy\nCREATE TABLE u (id int);\n",
	)
	_, err := d.fleetOf(t, fleet.Source{Schemas: []string{"a"}}).Run(ctx(t), g, post(nil))
	require.NoError(t, err)
	f := d.fleetOf(t, fleet.Source{Schemas: []string{"a", "b"}})
	sts, err := f.States(ctx(t), 0)
	require.NoError(t, err)
	require.Len(t, sts, 2)
	assert.Equal(t, []string{"0001_t", "0002_u"}, sts[0].AppliedIDs())
	assert.Empty(t, sts[1].AppliedIDs())
	assert.False(t, sts[1].Exists)
	assert.True(t, slices.Equal([]string{"a", "b"}, f.Schemas()))
	assert.False(t, errors.Is(err, fleet.ErrSchema))
}

func TestLostLocksStopTheApply(t *testing.T) {
	t.Parallel()
	d := newDB(t, "a", "b")
	g := load(t, "0001_t.sql", "-- safe: before_deploy\nCREATE TABLE t (id int);\n")
	f := d.fleetOf(t, fleet.Source{Schemas: []string{"a", "b"}})
	opts := post(nil)
	opts.Progress = func(p fleet.Progress) {
		if p.Pass == fleet.PassPreflight && p.Done == p.Total {
			// The connection holding the locks dies between the passes.
			d.exec(t, `SELECT pg_terminate_backend(pid) FROM pg_locks
			            WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`)
		}
	}
	res, err := f.Run(ctx(t), g, opts)
	var fe *fleet.Error
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, fleet.PassApply, fe.Pass)
	assert.ErrorIs(t, err, executor.ErrConnect)
	assert.Contains(t, err.Error(), "the connection holding the migration locks was lost")
	assert.Empty(t, res.Applied)
	assert.Empty(t, d.applied(t, "a"))
	assert.Empty(t, d.applied(t, "b"))
}

// TestRoleLeftByATenantDoesNotOwnTheNextTenantsTables: a migration that
// ends with SET ROLE leaves the role set after its COMMIT (apply resets
// it before the next migration, not after the last one). A worker that
// takes its connection on to the next tenant must not read, create or
// trust that tenant's tracking tables as that role: they would be owned
// by it, and the next run would refuse them.
func TestRoleLeftByATenantDoesNotOwnTheNextTenantsTables(t *testing.T) {
	t.Parallel()
	d := newDB(t, "a", "b")
	role := fmt.Sprintf("sm_fleet_role_%d", rand.Uint32())
	r := pgx.Identifier{role}.Sanitize()
	d.exec(t, "CREATE ROLE "+r+"; GRANT USAGE, CREATE ON SCHEMA a, b TO "+r)
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), d.url)
		if err != nil {
			t.Errorf("drop role %s: %v", role, err)
			return
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(context.Background(), "DROP OWNED BY "+r+"; DROP ROLE "+r); err != nil {
			t.Errorf("drop role %s: %v", role, err)
		}
	})
	g := load(t, "0001_t.sql", "-- safe: always\nCREATE TABLE t (id int);\nGRANT INSERT ON safemigrate_migrations TO "+r+";\nSET ROLE "+r+";\n")
	me := d.strings(t, `SELECT current_user::text`)[0]
	for _, atomic := range []bool{false, true} {
		f := d.fleetOf(t, fleet.Source{Schemas: []string{"a", "b"}})
		opts := post(nil)
		opts.Jobs = 1 // one connection, from a to b
		opts.Exec.Atomic = atomic
		if atomic {
			d.exec(t, "DROP TABLE a.t, a.safemigrate_migrations, a.safemigrate_detected, b.t, b.safemigrate_migrations, b.safemigrate_detected")
		}
		_, err := f.Run(ctx(t), g, opts)
		require.NoError(t, err, "atomic %v", atomic)
		for _, s := range []string{"a", "b"} {
			assert.Equal(t, []string{me, me}, d.strings(t, `SELECT tableowner::text FROM pg_tables WHERE schemaname = $1 AND tablename LIKE 'safemigrate\_%' ORDER BY 1`, s), "atomic %v: %s", atomic, s)
		}
		_, err = f.Run(ctx(t), g, opts)
		require.NoError(t, err, "atomic %v: a rerun trusts the tables", atomic)
	}
}
