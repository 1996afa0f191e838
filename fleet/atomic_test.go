package fleet_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/fleet"
	"github.com/safemigrate/safemigrate/planner"
)

func atomicOpts(jobs int) fleet.Options {
	return fleet.Options{Exec: executor.Options{Phase: planner.PostDeploy, Atomic: true}, Jobs: jobs}
}

func migrationIDs(ms []executor.MigrationReport) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.ID+":"+string(m.Status))
	}
	return out
}

func TestAtomicFleetCommitsEveryTenantOnce(t *testing.T) {
	t.Parallel()
	tenants := []string{"a", "b", "Big Co"}
	d := newDB(t, tenants...)
	g := load(t,
		"0001_items.sql", "-- safe: before_deploy\nCREATE TABLE items (id int PRIMARY KEY);\n",
		"0002_fill.sql", "-- safe: always\nINSERT INTO items VALUES (1), (2);\n",
		"0003_more.sql", "-- safe: after_deploy\nCREATE TABLE more (id int);\n",
	)
	f := d.fleetOf(t, fleet.Source{Schemas: tenants})
	log := &syncBuffer{}
	opts := atomicOpts(2)
	opts.Exec.Log = log
	var passes []fleet.Pass
	var mu sync.Mutex
	opts.Progress = func(p fleet.Progress) { mu.Lock(); passes = append(passes, p.Pass); mu.Unlock() }

	res, err := f.Run(ctx(t), g, opts)
	require.NoError(t, err)
	assert.True(t, res.OK)
	all := []string{"0001_items", "0002_fill", "0003_more"}
	assert.Equal(t, all, res.Applied)
	require.NotNil(t, res.Preflight)
	assert.True(t, res.Preflight.OK)
	assert.True(t, res.Preflight.Atomic, "the report says the rehearsal was the apply")
	assert.Len(t, res.Preflight.Migrations, 9)
	for _, tn := range res.Tenants {
		assert.Equal(t, fleet.StateApplied, tn.State, tn.Tenant)
		assert.Equal(t, all, tn.Applied, tn.Tenant)
		require.NotNil(t, tn.Preflight, tn.Tenant)
		assert.True(t, tn.Preflight.Atomic)
		assert.Equal(t, []string{"0001_items:ok", "0002_fill:ok", "0003_more:ok"}, migrationIDs(tn.Preflight.Migrations), tn.Tenant)
		assert.Equal(t, all, d.applied(t, tn.Tenant), tn.Tenant)
	}
	assert.Equal(t, []string{"2"}, d.strings(t, `SELECT count(*)::text FROM "Big Co".items`))
	assert.Contains(t, log.String(), "[Big Co] atomic: committed 0001_items, 0002_fill, 0003_more")
	assert.Equal(t, []fleet.Pass{fleet.PassApply, fleet.PassApply, fleet.PassApply}, passes, "one pass, one progress call per tenant")

	res, err = f.Run(ctx(t), g, atomicOpts(2))
	require.NoError(t, err)
	assert.True(t, res.OK)
	assert.Empty(t, res.Applied, "a rerun has nothing to do")
	for _, s := range tenants {
		assert.Equal(t, all, d.applied(t, s), s)
	}
}

func TestAtomicFleetFailureRollsBackTheTenantAndStopsNewOnes(t *testing.T) {
	t.Parallel()
	d := newDB(t, "t1", "t2", "t3", "t4")
	// t2's duplicate ids break 0002; 0001 and 0003 would pass there.
	d.exec(t, `CREATE TABLE t2.items (id int); INSERT INTO t2.items VALUES (1), (1)`)
	g := load(t,
		"0001_items.sql", "-- safe: before_deploy\nCREATE TABLE IF NOT EXISTS items (id int);\n",
		"0002_unique.sql", "-- safe: always\nCREATE UNIQUE INDEX items_id ON items (id);\n",
		"0003_extra.sql", "-- safe: always\nCREATE TABLE extra (id int);\n",
	)
	all := []string{"0001_items", "0002_unique", "0003_extra"}

	// t2 first: nothing is committed anywhere, as a failed preflight.
	first := d.fleetOf(t, fleet.Source{Schemas: []string{"t2", "t4"}})
	res, err := first.Run(ctx(t), g, atomicOpts(1))
	var fe *fleet.Error
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, fleet.PassPreflight, fe.Pass, "nothing was committed in any tenant")
	assert.ErrorIs(t, err, executor.ErrPreflight)
	assert.Contains(t, err.Error(), "nothing was applied in any tenant")
	assert.Equal(t, map[string]fleet.State{"t2": fleet.StateFailed, "t4": fleet.StateNotStarted}, states(res))
	assert.Empty(t, res.Applied)
	assert.Empty(t, d.applied(t, "t2"))
	assert.Equal(t, []string{"items"}, d.tables(t, "t2"), "the tenant's transaction was rolled back")
	assert.Empty(t, d.tables(t, "t4"), "a tenant not started is untouched")

	f := d.fleetOf(t, fleet.Source{Schemas: []string{"t1", "t2", "t3", "t4"}})
	res, err = f.Run(ctx(t), g, atomicOpts(1))
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, fleet.PassApply, fe.Pass, "t1 committed")
	assert.Equal(t, 1, fe.Applied)
	assert.Equal(t, 2, fe.NotStarted)
	require.Len(t, fe.Failures, 1)
	assert.Equal(t, "t2", fe.Failures[0].Tenant)
	var pe *executor.PreflightError
	require.ErrorAs(t, err, &pe)
	assert.True(t, pe.Atomic)
	assert.Equal(t, "0002_unique", pe.Failures[0].ID)
	assert.Contains(t, err.Error(), "1 applied and kept, 2 not started")
	assert.Equal(t, map[string]fleet.State{"t1": fleet.StateApplied, "t2": fleet.StateFailed, "t3": fleet.StateNotStarted, "t4": fleet.StateNotStarted}, states(res))
	t2 := res.Tenants[1]
	assert.Empty(t, t2.Applied)
	require.NotNil(t, t2.Preflight)
	assert.True(t, t2.Preflight.Atomic)
	assert.Equal(t, []string{"0001_items:ok", "0002_unique:failed", "0003_extra:ok"}, migrationIDs(t2.Preflight.Migrations), "every migration of the segment is reported")
	assert.Equal(t, all, res.Tenants[0].Applied)
	assert.Equal(t, all, res.Applied)
	assert.False(t, res.OK)
	assert.False(t, res.Preflight.OK)

	assert.Equal(t, all, d.applied(t, "t1"))
	assert.Empty(t, d.applied(t, "t2"), "nothing of the failing segment")
	assert.Equal(t, []string{"items"}, d.tables(t, "t2"))
	assert.Empty(t, d.tables(t, "t3"))
	assert.Empty(t, d.tables(t, "t4"))

	d.exec(t, `DELETE FROM t2.items`)
	res, err = f.Run(ctx(t), g, atomicOpts(1))
	require.NoError(t, err)
	assert.True(t, res.OK)
	assert.Empty(t, res.Tenants[0].Applied, "t1 had nothing left")
	for _, s := range []string{"t1", "t2", "t3", "t4"} {
		assert.Equal(t, all, d.applied(t, s), s)
	}
}

func TestAtomicFleetBlockedTenantStopsTheRun(t *testing.T) {
	t.Parallel()
	d := newDB(t, "a", "b", "c")
	base := []string{
		"0001_base.sql", "-- safe: before_deploy\nCREATE TABLE t (id int, old text);\n",
		"0002_drop_old.sql", "-- safe: after_deploy\nALTER TABLE t DROP COLUMN old;\n",
	}
	g1 := load(t, base...)
	g := load(t, append(base, "0003_add.sql", "-- safe: before_deploy\nALTER TABLE t ADD COLUMN new text;\n")...)
	// a is fully migrated; b ran the release phase only: 0003 is blocked
	// behind 0002 there.
	_, err := d.fleetOf(t, fleet.Source{Schemas: []string{"a"}}).Run(ctx(t), g1, post(nil))
	require.NoError(t, err)
	_, err = d.fleetOf(t, fleet.Source{Schemas: []string{"b"}}).Run(ctx(t), g1, fleet.Options{Exec: executor.Options{Phase: planner.PreDeploy}})
	require.NoError(t, err)
	opts := atomicOpts(1)
	opts.Exec.Phase = planner.PreDeploy

	// b first: nothing committed anywhere, the refusal's own error.
	res, err := d.fleetOf(t, fleet.Source{Schemas: []string{"b", "c"}}).Run(ctx(t), g, opts)
	assert.ErrorIs(t, err, executor.ErrBlocked)
	var fe *fleet.Error
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, fleet.PassPreflight, fe.Pass, "nothing committed: the fleet's exit code is the refusal's")
	assert.Equal(t, map[string]fleet.State{"b": fleet.StateBlocked, "c": fleet.StateNotStarted}, states(res))
	assert.Empty(t, d.tables(t, "c"))

	// a first: a commits, then b's refusal stops the run.
	res, err = d.fleetOf(t, fleet.Source{Schemas: []string{"a", "b", "c"}}).Run(ctx(t), g, opts)
	assert.ErrorIs(t, err, executor.ErrBlocked)
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, fleet.PassApply, fe.Pass, "a committed")
	assert.Equal(t, map[string]fleet.State{"a": fleet.StateApplied, "b": fleet.StateBlocked, "c": fleet.StateNotStarted}, states(res))
	assert.Equal(t, []string{"0001_base", "0002_drop_old", "0003_add"}, d.applied(t, "a"))
	assert.Equal(t, []string{"0001_base"}, d.applied(t, "b"))
	assert.Empty(t, d.tables(t, "c"))
}

func TestConcurrentAtomicFleetRunsApplyEachMigrationOnce(t *testing.T) {
	t.Parallel()
	var kv []string
	for i := 1; i <= 4; i++ {
		kv = append(kv, fmt.Sprintf("%04d_m%d.sql", i, i),
			fmt.Sprintf("-- safe: always\nCREATE TABLE m%d (id int);\nINSERT INTO public.ran VALUES (current_schema(), '%d');\n", i, i))
	}
	g := load(t, kv...)
	all := []string{"0001_m1", "0002_m2", "0003_m3", "0004_m4"}
	eight := func(t *testing.T, f *fleet.Fleet) {
		errs := make([]error, 8)
		var wg sync.WaitGroup
		for k := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[k] = f.Run(ctx(t), g, atomicOpts(2))
			}()
		}
		wg.Wait()
		for k, err := range errs {
			assert.NoError(t, err, "run %d", k)
		}
	}
	once := func(t *testing.T, d *db, rows string) {
		t.Helper()
		assert.Equal(t, []string{rows}, d.strings(t, `SELECT count(*)::text FROM public.ran`))
		assert.Equal(t, []string{"0"}, d.strings(t, `SELECT count(*)::text FROM (SELECT tenant, id FROM public.ran GROUP BY 1, 2 HAVING count(*) > 1) x`))
	}
	t.Run("schemas", func(t *testing.T) {
		t.Parallel()
		tenants := []string{"t1", "t2", "t3", "t4", "t5", "t6"}
		d := newDB(t, tenants...)
		d.exec(t, `CREATE TABLE public.ran (tenant text, id text)`)
		eight(t, d.fleetOf(t, fleet.Source{Schemas: tenants, SearchPath: []string{"public"}}))
		once(t, d, "24")
		for _, s := range tenants {
			assert.Equal(t, all, d.applied(t, s), s)
		}
	})
	t.Run("databases", func(t *testing.T) {
		t.Parallel()
		var ds []*db
		var urls []string
		for range 4 {
			d := newDB(t)
			d.exec(t, `CREATE TABLE public.ran (tenant text, id text)`)
			ds = append(ds, d)
			urls = append(urls, d.url)
		}
		f, err := fleet.NewDatabases(ctx(t), fleet.DatabaseSource{URLs: urls})
		require.NoError(t, err)
		eight(t, f)
		for _, d := range ds {
			once(t, d, "4")
			assert.Equal(t, all, d.applied(t, "public"))
		}
	})
}
