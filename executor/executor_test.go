package executor_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/internal/pgtest"
	"github.com/safemigrate/safemigrate/planner"
)

func TestRunAppliesAndTracks(t *testing.T) {
	t.Parallel()
	url, tg := fresh(t)
	fsys := files(
		"0001_users.sql", "-- safe: before_deploy\nCREATE TABLE users (id int PRIMARY KEY);\nINSERT INTO users VALUES (1);\n",
		"0002_email.sql", "-- safe: always\nALTER TABLE users ADD COLUMN email text;\n",
		"billing/0001_invoices.sql", "-- safe: before_deploy\n-- depends: 0001\nCREATE TABLE invoices (id int REFERENCES users);\n",
	)
	g := load(t, fsys)
	conn := pgtest.Connect(t, url)

	st, err := executor.ReadState(ctx(t), tg)
	require.NoError(t, err, "state before any tracking table exists")
	require.False(t, st.Exists)
	require.Empty(t, st.Applied)

	res, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy})
	require.NoError(t, err)
	require.True(t, res.OK)
	require.Equal(t, []string{"0001_users", "0002_email", "billing/0001_invoices"}, res.Applied)
	require.Equal(t, []string{"0001_users", "0002_email", "billing/0001_invoices"}, appliedIDs(t, conn, "public"))
	require.Equal(t, 1, queryInt(t, conn, `SELECT count(*) FROM users`))

	st, err = executor.ReadState(ctx(t), tg)
	require.NoError(t, err)
	require.True(t, st.Exists)
	a := st.Applied["0002_email"]
	require.Equal(t, "always", a.Safe)
	require.Equal(t, "post-deploy", a.Phase)
	m, _ := g.Lookup("0002_email")
	require.Equal(t, m.Checksum, a.Checksum)
	require.WithinDuration(t, time.Now(), a.AppliedAt, time.Minute)

	// A rerun has nothing to do.
	res, err = executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy})
	require.NoError(t, err)
	require.Empty(t, res.Applied)
	require.Empty(t, res.Preflight.Migrations)
}

func TestRunOptionsDryRunAndNoPreflight(t *testing.T) {
	t.Parallel()
	url, tg := fresh(t)
	g := load(t, files("0001_a.sql", "-- safe: always\nCREATE TABLE a (id int);\n"))
	conn := pgtest.Connect(t, url)

	res, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy, DryRun: true})
	require.NoError(t, err)
	require.True(t, res.OK)
	require.True(t, res.DryRun)
	require.Empty(t, res.Applied)
	require.Len(t, res.Preflight.Migrations, 1)
	require.Equal(t, executor.StatusOK, res.Preflight.Migrations[0].Status)
	require.Zero(t, queryInt(t, conn, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`), "dry run leaves no table, tracking tables included")

	res, err = executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy, NoPreflight: true})
	require.NoError(t, err)
	require.True(t, res.Preflight.Skipped)
	require.Equal(t, []string{"0001_a"}, res.Applied)
}

func TestRunRefusesDrift(t *testing.T) {
	t.Parallel()
	_, tg := fresh(t)
	fsys := files("0001_a.sql", "-- safe: always\nCREATE TABLE a (id int);\n")
	_, err := executor.Run(ctx(t), tg, load(t, fsys), executor.Options{Phase: planner.PostDeploy})
	require.NoError(t, err)

	fsys["0001_a.sql"].Data = []byte("-- safe: always\nCREATE TABLE a (id bigint);\n")
	fsys["0002_b.sql"] = files("x", "-- safe: always\nCREATE TABLE b (id int);\n")["x"]
	g := load(t, fsys)
	res, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy})
	var de *executor.DriftError
	require.ErrorAs(t, err, &de)
	require.ErrorIs(t, err, executor.ErrDrift)
	require.Contains(t, err.Error(), "0001_a.sql")
	require.NotNil(t, res)
	require.False(t, res.OK)
	require.Empty(t, res.Applied)

	var log syncBuffer
	res, err = executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy, AllowDrift: true, Log: &log})
	require.NoError(t, err)
	require.Equal(t, []string{"0002_b"}, res.Applied)
	require.Contains(t, log.String(), "0001_a.sql changed since it was applied")
}

func TestRunStrictBlockedTouchesNothing(t *testing.T) {
	t.Parallel()
	url, tg := fresh(t)
	g := load(t, files(
		"0001_drop.sql", "-- safe: after_deploy\nCREATE TABLE a (id int);\n",
		"0002_add.sql", "-- safe: before_deploy\nCREATE TABLE b (id int);\n",
	))
	res, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PreDeploy})
	var be *executor.BlockedError
	require.ErrorAs(t, err, &be)
	require.ErrorIs(t, err, executor.ErrBlocked)
	require.Equal(t, "0002_add", be.Blocked[0].ID())
	require.Contains(t, err.Error(), "0002_add (before_deploy) depends on pending after_deploy 0001_drop")
	require.False(t, res.OK)
	require.Nil(t, res.Preflight)
	conn := pgtest.Connect(t, url)
	require.Zero(t, queryInt(t, conn, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`), "no tracking table, no detection recorded")

	// nonstrict runs what is ready (nothing here) and records detection.
	res, err = executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PreDeploy, Mode: planner.Nonstrict})
	require.NoError(t, err)
	require.True(t, res.OK)
	require.Equal(t, []string{"0001_drop"}, res.Detected)
}

func TestRunDetectionAndDelay(t *testing.T) {
	t.Parallel()
	url, tg := fresh(t)
	g := load(t, files(
		"0001_a.sql", "-- safe: before_deploy\nCREATE TABLE a (id int);\n",
		"0002_drop.sql", "-- safe: after_deploy\n-- delay: 7d\nDROP TABLE a;\n",
		"0003_plain.sql", "-- safe: after_deploy\nCREATE TABLE c (id int);\n",
	))
	conn := pgtest.Connect(t, url)
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) func() time.Time { return func() time.Time { return t0.Add(d) } }

	// A failed pre-deploy run records nothing.
	bad := load(t, files(
		"0001_a.sql", "-- safe: before_deploy\nSELECT 1/0;\n",
		"0002_drop.sql", "-- safe: after_deploy\n-- delay: 7d\nDROP TABLE a;\n",
	))
	_, err := executor.Run(ctx(t), tg, bad, executor.Options{Phase: planner.PreDeploy, Now: at(0)})
	require.ErrorIs(t, err, executor.ErrPreflight)
	require.Zero(t, queryInt(t, conn, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`))

	// A dry run records nothing either.
	_, err = executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PreDeploy, Now: at(0), DryRun: true})
	require.NoError(t, err)
	require.Zero(t, queryInt(t, conn, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`))

	res, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PreDeploy, Now: at(0)})
	require.NoError(t, err)
	require.Equal(t, []string{"0001_a"}, res.Applied)
	require.Equal(t, []string{"0002_drop", "0003_plain"}, res.Detected)

	// Six days later: still delayed, detection time kept.
	res, err = executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PreDeploy, Now: at(6 * 24 * time.Hour)})
	require.NoError(t, err)
	require.Empty(t, res.Applied)
	require.Empty(t, res.Detected)
	st, err := executor.ReadState(ctx(t), tg)
	require.NoError(t, err)
	require.True(t, st.Detected["0002_drop"].Equal(t0), "detected at %v", st.Detected["0002_drop"])
	require.Empty(t, res.Plan.Waiting, "inside the delay, and behind it, nothing waits for post-deploy")

	// Seven days after detection the delayed drop runs in pre-deploy.
	res, err = executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PreDeploy, Now: at(7 * 24 * time.Hour)})
	require.NoError(t, err)
	require.Equal(t, []string{"0002_drop"}, res.Applied)
	require.Equal(t, []string{"0001_a", "0002_drop"}, appliedIDs(t, conn, "public"))
}

func TestRunInitial(t *testing.T) {
	t.Parallel()
	_, tg := fresh(t)
	g := load(t, files(
		"0001_a.sql", "-- safe: before_deploy\nCREATE TABLE a (id int);\n",
		"0002_b.sql", "-- safe: after_deploy\nCREATE TABLE b (id int);\n",
	))
	res, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PreDeploy, Initial: true})
	require.NoError(t, err)
	require.Equal(t, []string{"0001_a", "0002_b"}, res.Applied)
	require.Empty(t, res.Detected)

	_, err = executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PreDeploy, Initial: true})
	require.ErrorIs(t, err, planner.ErrInitialNotEmpty)
}

func TestRunTimeoutsPerFile(t *testing.T) {
	t.Parallel()
	_, tg := fresh(t)
	check := func(lock, stmt string) string {
		return "DO $$ BEGIN IF current_setting('lock_timeout') <> '" + lock + "' OR current_setting('statement_timeout') <> '" + stmt +
			"' THEN RAISE EXCEPTION 'lock_timeout %, statement_timeout %', current_setting('lock_timeout'), current_setting('statement_timeout'); END IF; END $$;\n"
	}
	g := load(t, files(
		"0001_defaults.sql", "-- safe: always\n"+check("5s", "0"),
		"0002_options.sql", "-- safe: always\n-- lock_timeout: 1500ms\n-- statement_timeout: 1m\n"+check("1500ms", "1min"),
		"0003_nontx.sql", "-- safe: always\n-- transaction: false\n-- lock_timeout: 2s\n"+check("2s", "0"),
		"0004_back.sql", "-- safe: always\n"+check("5s", "0"),
	))
	res, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy, RehearseNonTransactional: true})
	require.NoError(t, err)
	require.Len(t, res.Applied, 4)

	g = load(t, files("0001_slow.sql", "-- safe: always\n-- statement_timeout: 50ms\nSELECT pg_sleep(2);\n"))
	_, tg2 := fresh(t)
	res, err = executor.Run(ctx(t), tg2, g, executor.Options{Phase: planner.PostDeploy})
	require.ErrorIs(t, err, executor.ErrPreflight)
	require.Equal(t, "57014", res.Preflight.Migrations[0].Error.SQLState)
	require.Contains(t, res.Preflight.Migrations[0].Error.Hint, "statement_timeout", "a statement timeout says how to raise it")
	require.Contains(t, res.Preflight.Migrations[0].Error.Hint, "50ms")

	res, err = executor.Run(ctx(t), tg2, g, executor.Options{Phase: planner.PostDeploy, NoPreflight: true})
	require.ErrorIs(t, err, executor.ErrMigration)
	require.Contains(t, res.Failed.Hint, "--statement-timeout")
}

func TestRunSchemaAndTrackingSchema(t *testing.T) {
	t.Parallel()
	url, tg := fresh(t)
	conn := pgtest.Connect(t, url)
	_, err := conn.Exec(ctx(t), `CREATE SCHEMA "Tenant-1"`)
	require.NoError(t, err)
	tg.Schema = "Tenant-1"
	tg.SearchPath = []string{"public"}
	tg.TrackingSchema = "Tenant-1"
	g := load(t, files("0001_a.sql", "-- safe: always\nCREATE TABLE a (id int);\n"))
	_, err = executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy})
	require.NoError(t, err)
	tables := `SELECT schemaname || '.' || tablename FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`
	// safemigrate_progress waits for the first transaction: false
	// migration (a table costs what a migration's CREATE TABLE costs).
	require.Equal(t, []string{"Tenant-1.a", "Tenant-1.safemigrate_detected", "Tenant-1.safemigrate_migrations"}, queryStrings(t, conn, tables))
	g2 := load(t, files("0001_a.sql", "-- safe: always\nCREATE TABLE a (id int);\n",
		"0002_b.sql", "-- safe: always\n-- transaction: false\nCREATE INDEX CONCURRENTLY a_id ON a (id);\n"))
	_, err = executor.Run(ctx(t), tg, g2, executor.Options{Phase: planner.PostDeploy})
	require.NoError(t, err)
	require.Equal(t, []string{"Tenant-1.a", "Tenant-1.safemigrate_detected", "Tenant-1.safemigrate_migrations", "Tenant-1.safemigrate_progress"}, queryStrings(t, conn, tables))
	require.Equal(t, 0, queryInt(t, conn, `SELECT count(*) FROM "Tenant-1".safemigrate_progress`), "no progress left once applied")

	// A tracking schema that does not exist is created.
	_, tg2 := fresh(t)
	tg2.TrackingSchema = "safemigrate"
	_, err = executor.Run(ctx(t), tg2, g, executor.Options{Phase: planner.PostDeploy})
	require.NoError(t, err)
	st, err := executor.ReadState(ctx(t), tg2)
	require.NoError(t, err)
	require.Contains(t, st.Applied, "0001_a")
}

func TestBaseline(t *testing.T) {
	t.Parallel()
	url, tg := fresh(t)
	g := load(t, files(
		"0001_a.sql", "-- safe: always\nCREATE TABLE a (id int);\n",
		"0002_b.sql", "-- safe: always\nCREATE TABLE b (id int);\n",
		"0003_c.sql", "-- safe: always\nCREATE TABLE c (id int);\n",
		"other/0001_x.sql", "-- safe: always\nCREATE TABLE x (id int);\n",
	))
	conn := pgtest.Connect(t, url)
	// The existing database already has a and b.
	_, err := conn.Exec(ctx(t), `CREATE TABLE a (id int); CREATE TABLE b (id int)`)
	require.NoError(t, err)

	_, err = executor.Baseline(ctx(t), tg, g, "0009_nope", executor.Options{})
	require.Error(t, err)
	require.Contains(t, err.Error(), "0009_nope")

	ids, err := executor.Baseline(ctx(t), tg, g, "0002_b", executor.Options{})
	require.NoError(t, err)
	require.Equal(t, []string{"0001_a", "0002_b"}, ids)
	ids, err = executor.Baseline(ctx(t), tg, g, "0002_b", executor.Options{})
	require.NoError(t, err)
	require.Empty(t, ids, "baseline twice records nothing new")
	st, err := executor.ReadState(ctx(t), tg)
	require.NoError(t, err)
	require.Equal(t, executor.PhaseBaseline, st.Applied["0001_a"].Phase)

	res, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy})
	require.NoError(t, err)
	require.Equal(t, []string{"0003_c", "other/0001_x"}, res.Applied)
}

func TestResultJSONShape(t *testing.T) {
	t.Parallel()
	_, tg := fresh(t)
	g := load(t, files(
		"0001_users.sql", "-- safe: always\nCREATE TABLE users (id int, email text);\nINSERT INTO users VALUES (1, NULL);\n",
		"0002_not_null.sql", "-- safe: always\n\n-- Every user needs an email.\nUPDATE users SET id = id;\nALTER TABLE users\n  ALTER COLUMN email SET NOT NULL;\n",
	))
	res, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy})
	require.ErrorIs(t, err, executor.ErrPreflight)
	b, err := json.Marshal(res)
	require.NoError(t, err)
	var doc struct {
		OK        *bool  `json:"ok"`
		Phase     string `json:"phase"`
		Preflight *struct {
			OK         *bool `json:"ok"`
			Migrations []struct {
				ID         string `json:"id"`
				Status     string `json:"status"`
				DurationMS *int64 `json:"duration_ms"`
				Error      *struct {
					Statement int     `json:"statement"`
					Line      int     `json:"line"`
					SQLState  string  `json:"sqlstate"`
					Message   string  `json:"message"`
					Detail    *string `json:"detail"`
					Hint      *string `json:"hint"`
				} `json:"error"`
			} `json:"migrations"`
		} `json:"preflight"`
		Applied []string `json:"applied"`
	}
	require.NoError(t, json.Unmarshal(b, &doc), "%s", b)
	require.False(t, *doc.OK)
	require.Equal(t, "post-deploy", doc.Phase)
	require.False(t, *doc.Preflight.OK)
	require.NotNil(t, doc.Applied, "applied is [] not null: %s", b)
	require.Empty(t, doc.Applied)
	require.Len(t, doc.Preflight.Migrations, 2)
	require.Equal(t, "ok", doc.Preflight.Migrations[0].Status)
	require.NotNil(t, doc.Preflight.Migrations[0].DurationMS)
	f := doc.Preflight.Migrations[1]
	require.Equal(t, "failed", f.Status)
	require.Equal(t, 2, f.Error.Statement)
	require.Equal(t, 5, f.Error.Line)
	require.Equal(t, "23502", f.Error.SQLState)
	require.Contains(t, f.Error.Message, `column "email"`)
	require.NotNil(t, f.Error.Detail)
	require.NotNil(t, f.Error.Hint)
}

func TestStatusOf(t *testing.T) {
	t.Parallel()
	g := load(t, files(
		"0001_a.sql", "-- safe: before_deploy\nCREATE TABLE a (id int);\n",
		"0002_b.sql", "-- safe: before_deploy\nCREATE TABLE b (id int);\n",
		"0003_c.sql", "-- safe: after_deploy\n-- delay: 1d\nDROP TABLE a;\n",
		"0004_d.sql", "-- safe: before_deploy\nCREATE TABLE d (id int);\n",
		"0005_e.sql", "-- safe: after_deploy\nCREATE TABLE e (id int);\n",
	))
	m1, _ := g.Lookup("0001_a")
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		state  *executor.State
		ok     bool
		states map[string]string // id → state/pre-deploy
	}{
		{
			name:  "nothing applied",
			state: &executor.State{},
			ok:    false,
			states: map[string]string{
				"0001_a": "pending/run", "0002_b": "pending/run", "0003_c": "pending/delayed",
				"0004_d": "pending/blocked", "0005_e": "pending/blocked",
			},
		},
		{
			name: "drift and unknown",
			state: &executor.State{Applied: map[string]executor.Applied{
				"0001_a":    {ID: "0001_a", Checksum: "changed", Phase: "pre-deploy", AppliedAt: t0},
				"0002_b":    {ID: "0002_b", Checksum: "", Phase: "baseline", AppliedAt: t0},
				"0000_gone": {ID: "0000_gone", Checksum: "x", AppliedAt: t0},
			}, Detected: map[string]time.Time{"0003_c": t0}},
			ok: false,
			states: map[string]string{
				"0001_a": "drift/", "0002_b": "applied/", "0003_c": "pending/delayed",
				"0004_d": "pending/blocked", "0005_e": "pending/blocked",
			},
		},
		{
			name: "all applied",
			state: &executor.State{Applied: map[string]executor.Applied{
				"0001_a": {ID: "0001_a", Checksum: m1.Checksum}, "0002_b": {ID: "0002_b"}, "0003_c": {ID: "0003_c"},
				"0004_d": {ID: "0004_d"}, "0005_e": {ID: "0005_e"},
			}},
			ok: true,
			states: map[string]string{
				"0001_a": "applied/", "0002_b": "applied/", "0003_c": "applied/", "0004_d": "applied/", "0005_e": "applied/",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			applied := map[string]string{}
			for id, a := range tc.state.Applied {
				applied[id] = a.Checksum
			}
			plan, err := planner.New(planner.Input{Graph: g, Applied: applied, Detected: tc.state.Detected, Now: t0.Add(time.Hour), Phase: planner.PreDeploy})
			require.NoError(t, err)
			r := executor.StatusOf(g, tc.state, plan)
			require.Equal(t, tc.ok, r.OK)
			got := map[string]string{}
			for _, e := range r.Migrations {
				got[e.ID] = e.State + "/" + e.PreDeploy
			}
			require.Equal(t, tc.states, got)
			if tc.name == "drift and unknown" {
				require.Len(t, r.Unknown, 1)
				require.Equal(t, "0000_gone", r.Unknown[0].ID)
				c := r.Migrations[2]
				require.Equal(t, "0003_c", c.ID)
				require.False(t, c.Waiting, "inside its delay it waits for the delay, not for post-deploy")
				require.Equal(t, t0.Add(24*time.Hour), *c.RunnableAt)
				require.Equal(t, []string{"0003_c"}, r.Migrations[3].BlockedBy)
			}
		})
	}
}

func TestRunWarnsAboutUnknownAndOutOfOrder(t *testing.T) {
	t.Parallel()
	_, tg := fresh(t)
	_, err := executor.Run(ctx(t), tg, load(t, files(
		"0001_a.sql", "-- safe: always\nCREATE TABLE a (id int);\n",
		"0003_c.sql", "-- safe: always\n-- depends: 0001\nCREATE TABLE c (id int);\n",
		"0009_gone.sql", "-- safe: always\nSELECT 1;\n",
	)), executor.Options{Phase: planner.PostDeploy})
	require.NoError(t, err)

	var log syncBuffer
	res, err := executor.Run(ctx(t), tg, load(t, files(
		"0001_a.sql", "-- safe: always\nCREATE TABLE a (id int);\n",
		"0002_b.sql", "-- safe: always\nCREATE TABLE b (id int);\n",
		"0003_c.sql", "-- safe: always\n-- depends: 0001\nCREATE TABLE c (id int);\n",
	)), executor.Options{Phase: planner.PostDeploy, Log: &log})
	require.NoError(t, err)
	require.Equal(t, []string{"0002_b"}, res.Applied)
	require.Contains(t, log.String(), "warning: 0009_gone is recorded as applied but has no migration file")
	require.Contains(t, log.String(), "note: 0002_b sorts before an applied migration")
}

// TestSessionSteps drives a Session step by step the way a fleet
// orchestrator will, rehearsing the plan of one database on another.
func TestSessionSteps(t *testing.T) {
	t.Parallel()
	_, prod := fresh(t)
	_, copyDB := fresh(t)
	base := files("0001_t.sql", "-- safe: always\nCREATE TABLE t (id int);\n")
	for _, tg := range []executor.Target{prod, copyDB} {
		_, err := executor.Run(ctx(t), tg, load(t, base), executor.Options{Phase: planner.PostDeploy})
		require.NoError(t, err)
	}
	g := load(t, files(
		"0001_t.sql", "-- safe: always\nCREATE TABLE t (id int);\n",
		"0002_idx.sql", "-- safe: before_deploy\n-- transaction: false\nCREATE INDEX CONCURRENTLY t_id ON t (id);\n",
		"0003_late.sql", "-- safe: after_deploy\nALTER TABLE t DROP COLUMN id;\n",
	))
	opts := executor.Options{Phase: planner.PreDeploy, RehearseNonTransactional: true}
	s, err := executor.Open(ctx(t), prod, opts)
	require.NoError(t, err)
	defer s.Close(ctx(t))
	plan, st, err := s.Plan(ctx(t), g)
	require.NoError(t, err)
	require.Contains(t, st.Applied, "0001_t")
	require.NoError(t, s.Check(plan))

	rehearsal, err := executor.Open(ctx(t), copyDB, opts)
	require.NoError(t, err)
	report, err := rehearsal.Preflight(ctx(t), plan)
	require.NoError(t, err)
	require.NoError(t, rehearsal.Close(ctx(t)))
	require.True(t, report.OK)
	require.Equal(t, executor.StatusOK, report.Migrations[0].Status, "rehearsed with CREATE INDEX on the copy")

	applied, err := s.Apply(ctx(t), plan)
	require.NoError(t, err)
	require.Equal(t, []string{"0002_idx"}, applied)
	detected, err := s.RecordDetected(ctx(t), plan)
	require.NoError(t, err)
	require.Equal(t, []string{"0003_late"}, detected)
}

// TestResultListsAreNeverNull: a pre-deploy run that detects nothing
// reports "detected": [], as "applied" is [], not null.
func TestResultListsAreNeverNull(t *testing.T) {
	t.Parallel()
	_, tg := fresh(t)
	g := load(t, files("0001_a.sql", "-- safe: always\nSELECT 1;\n"))
	res, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PreDeploy})
	require.NoError(t, err)
	b, err := json.Marshal(res)
	require.NoError(t, err)
	require.Contains(t, string(b), `"detected":[]`)
	require.Contains(t, string(b), `"applied":["0001_a"]`)
}

// A plain SET in one migration (pg_dump output sets search_path to ”)
// must not change where the next migration's objects go: each migration
// starts with the session's own settings, in preflight and in apply, for
// transactional and transaction: false migrations alike.
func TestSettingsDoNotLeakBetweenMigrations(t *testing.T) {
	t.Parallel()
	url, tg := fresh(t)
	conn := pgtest.Connect(t, url)
	tg.Schema = "app"
	tg.SearchPath = []string{"public"}
	_, err := conn.Exec(ctx(t), `CREATE SCHEMA app; CREATE SCHEMA other`)
	require.NoError(t, err)
	g := load(t, files(
		"0001_set.sql", "-- safe: always\nSET search_path = other;\nSET lock_timeout = '1h';\nCREATE TABLE x (id int);\n",
		"0002_nontx.sql", "-- safe: always\n-- transaction: false\nSET search_path = other;\n",
		"0003_y.sql", "-- safe: always\nCREATE TABLE y (id int);\nSELECT 1 FROM app.y;\nDO $$ BEGIN IF current_setting('lock_timeout') = '1h' THEN RAISE 'lock_timeout leaked'; END IF; END $$;\n",
	))
	_, err = executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy})
	require.NoError(t, err)
	require.Equal(t, []string{"app.y", "other.x"},
		queryStrings(t, conn, `SELECT schemaname || '.' || tablename FROM pg_tables WHERE tablename IN ('x', 'y') ORDER BY 1`))
}

// A migration is sent as one batch; a statement that ends in a line
// comment must not swallow the next one, and a failure deep in the batch
// is still attributed to its own statement and line.
func TestBatchedMigrationBoundaries(t *testing.T) {
	t.Parallel()
	url, tg := fresh(t)
	conn := pgtest.Connect(t, url)
	g := load(t, files(
		"0001_a.sql", "-- safe: always\nCREATE TABLE a (id int) -- trailing comment\n;\nCREATE TABLE b (id int); -- another\nINSERT INTO a VALUES (1);\n",
		"0002_b.sql", "-- safe: always\nINSERT INTO b VALUES (1);\nINSERT INTO b VALUES (2);\n\nINSERT INTO b\n  VALUES ('x');\n",
	))
	_, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy, NoPreflight: true})
	var me *executor.MigrationError
	require.ErrorAs(t, err, &me)
	require.Equal(t, "0002_b", me.ID)
	require.Equal(t, 3, me.Statement)
	require.Equal(t, 6, me.Line, "the line of the error position inside the statement")
	require.Equal(t, "22P02", me.SQLState)
	require.Equal(t, []string{"a", "b"}, queryStrings(t, conn, `SELECT tablename FROM pg_tables WHERE tablename IN ('a', 'b') ORDER BY 1`))
	require.Equal(t, []string{"0"}, queryStrings(t, conn, `SELECT count(*)::text FROM b`), "the failed migration was rolled back")
}

// TestTrackingTablesCommitWithTheFirstMigration: apply creates the
// tracking tables in the first migration's transaction, so that a first
// migration that fails leaves nothing behind, tables included, and one
// that passes commits them with its row.
func TestTrackingTablesCommitWithTheFirstMigration(t *testing.T) {
	t.Parallel()
	url, tg := fresh(t)
	conn := pgtest.Connect(t, url)
	tables := `SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`
	bad := load(t, files("0001_bad.sql", "-- safe: always\nCREATE TABLE a (id int);\nSELECT 1/0;\n"))
	_, err := executor.Run(ctx(t), tg, bad, executor.Options{Phase: planner.PostDeploy, NoPreflight: true})
	require.ErrorIs(t, err, executor.ErrMigration)
	require.Empty(t, queryStrings(t, conn, tables), "nothing left behind")

	good := load(t, files("0001_bad.sql", "-- safe: always\nCREATE TABLE a (id int);\n"))
	_, err = executor.Run(ctx(t), tg, good, executor.Options{Phase: planner.PostDeploy, NoPreflight: true})
	require.NoError(t, err)
	require.Equal(t, []string{"a", "safemigrate_detected", "safemigrate_migrations"}, queryStrings(t, conn, tables))
	require.Equal(t, []string{"0001_bad"}, appliedIDs(t, conn, "public"))
	require.Equal(t, 1, queryInt(t, conn, `SELECT count(DISTINCT xmin::text::bigint) FROM pg_class WHERE relname IN ('a', 'safemigrate_migrations', 'safemigrate_detected')`),
		"one transaction created the migration's table and the tracking tables")
}
