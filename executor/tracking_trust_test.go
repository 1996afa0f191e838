package executor_test

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/internal/pgtest"
	"github.com/safemigrate/safemigrate/planner"
)

// newRole creates a login role with a random name (roles are global to
// the cluster) and returns a connection configuration for it on url's
// database. The role is dropped when the test ends.
func newRole(t *testing.T, admin *pgx.Conn, url, attrs string) (string, *pgx.ConnConfig) {
	t.Helper()
	buf := make([]byte, 6)
	_, _ = rand.Read(buf)
	name := "sm_role_" + hex.EncodeToString(buf)
	_, _ = rand.Read(buf)
	password := hex.EncodeToString(buf)
	// The server quotes the name and the password (format %I, %L).
	var ddl string
	require.NoError(t, admin.QueryRow(ctx(t), `SELECT format('CREATE ROLE %I LOGIN PASSWORD %L '||$3, $1::text, $2::text)`, name, password, attrs).Scan(&ddl))
	_, err := admin.Exec(ctx(t), ddl)
	require.NoError(t, err)
	t.Cleanup(func() {
		c := pgtest.Connect(t, url)
		_, _ = c.Exec(ctx(t), `DROP OWNED BY `+pgx.Identifier{name}.Sanitize())
		_, _ = c.Exec(ctx(t), `DROP ROLE IF EXISTS `+pgx.Identifier{name}.Sanitize())
	})
	_, err = admin.Exec(ctx(t), `GRANT USAGE, CREATE ON SCHEMA public TO `+pgx.Identifier{name}.Sanitize())
	require.NoError(t, err)
	cfg, err := pgx.ParseConfig(url)
	require.NoError(t, err)
	cfg.User, cfg.Password = name, password
	return name, cfg
}

func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// attack pre-creates the tracking table as attacker (a role with nothing
// but CREATE on public, the default before PostgreSQL 15), with a fake
// "applied" row for securityID and a trigger that runs with the rights
// of whoever inserts next: it records that it fired and tries to make
// the attacker a superuser.
func attack(t *testing.T, attacker *pgx.ConnConfig, attackerName, securityID, securitySQL string) {
	t.Helper()
	c, err := pgx.ConnectConfig(ctx(t), attacker)
	require.NoError(t, err)
	defer c.Close(ctx(t))
	_, err = c.Exec(ctx(t), `
CREATE TABLE public.fired (who text);
GRANT ALL ON public.fired TO PUBLIC;
CREATE TABLE public.safemigrate_migrations (
	id text PRIMARY KEY, checksum text NOT NULL, safe text NOT NULL, phase text NOT NULL,
	applied_at timestamptz NOT NULL DEFAULT clock_timestamp(), duration_ms integer NOT NULL,
	transactional boolean NOT NULL DEFAULT true, applied_by text NOT NULL DEFAULT current_user);
GRANT ALL ON public.safemigrate_migrations TO PUBLIC;
CREATE FUNCTION public.pwn() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO public.fired VALUES (current_user);
	BEGIN
		EXECUTE 'ALTER ROLE ' || quote_ident(TG_ARGV[0]) || ' SUPERUSER';
	EXCEPTION WHEN insufficient_privilege THEN NULL;
	END;
	RETURN NEW;
END $$;`)
	require.NoError(t, err)
	_, err = c.Exec(ctx(t), `INSERT INTO public.safemigrate_migrations (id, checksum, safe, phase, duration_ms) VALUES ($1, $2, 'always', 'post-deploy', 0)`,
		securityID, sum(securitySQL))
	require.NoError(t, err)
	_, err = c.Exec(ctx(t), `CREATE TRIGGER pwn BEFORE INSERT ON public.safemigrate_migrations FOR EACH ROW EXECUTE FUNCTION public.pwn(`+quoteLiteralArg(attackerName)+`)`)
	require.NoError(t, err)
}

// quoteLiteralArg renders a trigger argument: role names of newRole are
// [a-z0-9_] only.
func quoteLiteralArg(s string) string {
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			panic("unexpected character in " + s)
		}
	}
	return "'" + s + "'"
}

// TestTrackingTablePreCreatedByAnotherRoleIsRefused: the attack of a role
// with CREATE on public, against a migrator that is a superuser (the
// trigger would make the attacker one) and against an ordinary migrator.
// Every command that reads state refuses before believing the fake row
// or firing the trigger.
func TestTrackingTablePreCreatedByAnotherRoleIsRefused(t *testing.T) {
	const securityID = "0002_revoke_public"
	const securitySQL = "-- safe: always\nCREATE TABLE secured (id int);\n"
	for _, superMigrator := range []bool{true, false} {
		name := "ordinary migrator"
		if superMigrator {
			name = "superuser migrator"
		}
		t.Run(name, func(t *testing.T) {
			url := pgtest.NewDatabase(t)
			admin := pgtest.Connect(t, url)
			attackerName, attacker := newRole(t, admin, url, "")
			tg := target(t, url) // the test's own role: a superuser
			if !superMigrator {
				_, cfg := newRole(t, admin, url, "")
				tg = executor.Target{Config: cfg}
			}
			attack(t, attacker, attackerName, securityID, securitySQL)

			g := load(t, files(
				"0001_init.sql", "-- safe: always\nCREATE TABLE init (id int);\n",
				securityID+".sql", securitySQL,
			))
			check := func(err error) {
				t.Helper()
				require.Error(t, err)
				assert.True(t, errors.Is(err, executor.ErrUntrustedTracking), "%v", err)
				var ue *executor.UntrustedTrackingError
				require.True(t, errors.As(err, &ue), "%v", err)
				assert.Contains(t, err.Error(), "safemigrate_migrations")
				assert.Contains(t, err.Error(), `is owned by "`+attackerName+`"`)
				assert.Contains(t, err.Error(), "has 1 trigger(s)")
				assert.Contains(t, err.Error(), "docs/security.md")
			}
			_, err := executor.ReadState(ctx(t), tg) // plan, status, graph
			check(err)
			for _, opts := range []executor.Options{
				{Phase: planner.PostDeploy},                    // migrate
				{Phase: planner.PostDeploy, DryRun: true},      // preflight
				{Phase: planner.PostDeploy, NoPreflight: true}, // migrate --no-preflight
			} {
				_, err = executor.Run(ctx(t), tg, g, opts)
				check(err)
			}
			_, err = executor.Baseline(ctx(t), tg, g, securityID, executor.Options{})
			check(err)

			assert.Equal(t, 0, queryInt(t, admin, `SELECT count(*) FROM public.fired`), "the attacker's trigger fired")
			assert.Equal(t, 0, queryInt(t, admin, `SELECT count(*) FROM pg_roles WHERE rolname = $1 AND rolsuper`, attackerName))
			assert.Equal(t, 0, queryInt(t, admin, `SELECT count(*) FROM pg_tables WHERE tablename IN ('init', 'secured')`), "nothing may run")
		})
	}
}

// TestTrackingTableTamperedIsRefused: a tracking table owned by the
// migrator is still refused with a trigger (also a disabled one), a rule,
// row-level security or a policy on it, or when the name is a view.
func TestTrackingTableTamperedIsRefused(t *testing.T) {
	g := load(t, files("0001_init.sql", "-- safe: always\nCREATE TABLE init (id int);\n"))
	cases := []struct {
		name, sql, want string
	}{
		{"disabled trigger", `
CREATE FUNCTION nop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER t BEFORE INSERT ON safemigrate_detected FOR EACH ROW EXECUTE FUNCTION nop();
ALTER TABLE safemigrate_detected DISABLE TRIGGER t`, "public.safemigrate_detected has 1 trigger(s) (enabled or not)"},
		{"rule", `CREATE RULE r AS ON INSERT TO safemigrate_migrations DO ALSO NOTIFY x`, "public.safemigrate_migrations has 1 rule(s)"},
		{"row-level security", `CREATE TABLE safemigrate_progress (id text PRIMARY KEY);
ALTER TABLE safemigrate_progress ENABLE ROW LEVEL SECURITY`, "public.safemigrate_progress has row-level security"},
		{"policy", `CREATE POLICY p ON safemigrate_migrations USING (true)`, "public.safemigrate_migrations has row-level security"},
		{"view", `
ALTER TABLE safemigrate_migrations RENAME TO real_migrations;
CREATE VIEW safemigrate_migrations AS SELECT * FROM real_migrations`, "public.safemigrate_migrations is a view, not a table"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			url, tg := fresh(t)
			_, err := executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy})
			require.NoError(t, err)
			admin := pgtest.Connect(t, url)
			_, err = admin.Exec(ctx(t), c.sql)
			require.NoError(t, err)
			_, err = executor.ReadState(ctx(t), tg)
			require.ErrorIs(t, err, executor.ErrUntrustedTracking)
			assert.Contains(t, err.Error(), c.want)
			_, err = executor.Run(ctx(t), tg, g, executor.Options{Phase: planner.PostDeploy})
			require.ErrorIs(t, err, executor.ErrUntrustedTracking)
		})
	}
}

// TestTrackingTablesAreSchemaQualified: a same-named table in a schema
// earlier on the search_path ("$user") is neither read nor written.
func TestTrackingTablesAreSchemaQualified(t *testing.T) {
	url, tg := fresh(t)
	admin := pgtest.Connect(t, url)
	var user string
	require.NoError(t, admin.QueryRow(ctx(t), `SELECT current_user`).Scan(&user))
	_, err := admin.Exec(ctx(t), `CREATE SCHEMA `+pgx.Identifier{user}.Sanitize())
	require.NoError(t, err)
	_, err = admin.Exec(ctx(t), `CREATE TABLE `+pgx.Identifier{user, "safemigrate_migrations"}.Sanitize()+` (id text, checksum text, safe text, phase text, applied_at timestamptz, duration_ms int)`)
	require.NoError(t, err)
	sql := "-- safe: always\nCREATE TABLE public.init (id int);\n"
	_, err = admin.Exec(ctx(t), `INSERT INTO `+pgx.Identifier{user, "safemigrate_migrations"}.Sanitize()+` VALUES ('0001_init', $1, 'always', 'post-deploy', now(), 0)`, sum(sql))
	require.NoError(t, err)

	res, err := executor.Run(ctx(t), tg, load(t, files("0001_init.sql", sql)), executor.Options{Phase: planner.PostDeploy})
	require.NoError(t, err)
	assert.Equal(t, []string{"0001_init"}, res.Applied, "the row in the earlier schema must not count as applied")
	assert.Equal(t, []string{"0001_init"}, appliedIDs(t, admin, "public"))
}
