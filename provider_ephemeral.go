package safemigrate

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/internal/redact"
	"github.com/safemigrate/safemigrate/pgcluster"
)

// ephemeral is a throwaway PostgreSQL loaded with the target's schema, for
// `preflight --ephemeral`.
type ephemeral struct {
	cluster *pgcluster.Cluster
	target  executor.Target
	// about describes it in the report: "a throwaway PostgreSQL 15.4
	// loaded from schema.sql".
	about string
}

// startEphemeral starts a throwaway cluster and loads it with schemaDump
// (a pg_dump --schema-only file) or, when empty, with pg_dump
// --schema-only of the target. The target's role names are created first
// so that GRANTs in the schema load. Progress goes to stderr. On failure
// nothing is left running.
func (p *Provider) startEphemeral(ctx context.Context, target executor.Target, schemaDump, binDir string) (eph *ephemeral, err error) {
	source := "pg_dump --schema-only of the target"
	if schemaDump != "" {
		source = schemaDump
		if _, err := os.Stat(schemaDump); err != nil {
			return nil, inputErrorf("--schema-dump: %v", err)
		}
	}
	targetVersion, roles, err := targetInfo(ctx, target)
	if err != nil {
		return nil, &InputError{Msg: fmt.Sprintf("--ephemeral: reading the target's server version and roles: %v", redact.Error(err)), Err: err}
	}
	started := time.Now()
	c, err := pgcluster.Start(ctx, pgcluster.Options{BinDir: binDir})
	if err != nil {
		if errors.Is(err, pgcluster.ErrNoServer) {
			return nil, inputErrorf("--ephemeral needs PostgreSQL's server binaries (initdb, postgres, psql, pg_dump) on this machine: %v\nor point --pg-bindir at them, or rehearse on a copy of the target you provide: preflight --against URL", err)
		}
		return nil, inputErrorf("--ephemeral: starting a throwaway PostgreSQL failed: %v", err)
	}
	defer func() {
		if err != nil {
			(&ephemeral{cluster: c}).stop(p)
		}
	}()
	version, err := serverVersion(ctx, c.URL("postgres"))
	if err != nil {
		return nil, inputErrorf("--ephemeral: %v", err)
	}
	p.logf("ephemeral: started PostgreSQL %s from %s in %s", version, c.BinDir(), time.Since(started).Round(time.Millisecond))
	if major(version) != major(targetVersion) {
		p.logf("warning: ephemeral: the target runs PostgreSQL %s, the throwaway server %s; the rehearsal may differ from the target (use --pg-bindir for binaries of the target's version)", targetVersion, version)
	}

	dbname := target.Config.Database
	switch dbname {
	case "", "postgres", "template0", "template1":
		dbname = "postgres"
	default:
		if _, err := c.CreateDatabase(ctx, dbname); err != nil {
			return nil, inputErrorf("--ephemeral: %v", err)
		}
	}
	if err := createRoles(ctx, c.URL("postgres"), roles); err != nil {
		p.logf("warning: ephemeral: the target's roles were not copied (GRANTs to them will not load): %v", redact.Error(err))
	}

	loaded := time.Now()
	path := schemaDump
	if path == "" {
		if path, err = p.dumpTarget(ctx, c); err != nil {
			return nil, err
		}
	}
	if err := c.LoadSQL(ctx, dbname, path); err != nil {
		return nil, loadError(err, schemaDump, path, version, c.BinDir())
	}
	p.logf("ephemeral: loaded %s in %s", source, time.Since(loaded).Round(time.Millisecond))

	on, err := executor.ParseTarget(c.URL(dbname))
	if err != nil {
		return nil, err
	}
	on.Schema, on.SearchPath, on.TrackingSchema = target.Schema, target.SearchPath, target.TrackingSchema
	return &ephemeral{cluster: c, target: on, about: fmt.Sprintf("a throwaway PostgreSQL %s loaded from %s", version, source)}, nil
}

// stop stops the cluster and removes its directory.
func (e *ephemeral) stop(p *Provider) {
	if err := e.cluster.Stop(); err != nil {
		p.logf("warning: ephemeral: %v", err)
	}
}

// dumpTarget writes pg_dump --schema-only of the target into the
// cluster's directory (removed with it) and returns the file's path.
func (p *Provider) dumpTarget(ctx context.Context, c *pgcluster.Cluster) (string, error) {
	pgDump := filepath.Join(c.BinDir(), "pg_dump")
	if _, err := os.Stat(pgDump); err != nil {
		if pgDump, err = pgcluster.FindBin("pg_dump"); err != nil {
			return "", inputErrorf("--ephemeral: %v", err)
		}
	}
	dump, err := pgcluster.DumpSchema(ctx, pgDump, p.connString())
	if err != nil {
		return "", inputErrorf("--ephemeral: dumping the target's schema failed: %v\npg_dump must be at least as new as the target's server; or dump the schema yourself and pass --schema-dump FILE", err)
	}
	path := filepath.Join(c.Dir(), "target-schema.sql")
	if err := os.WriteFile(path, dump, 0o644); err != nil {
		return "", fmt.Errorf("--ephemeral: %w", err)
	}
	return path, nil
}

// loadError explains a schema that did not load. schemaDump is the
// user's file, or "" for the dump of the target at path.
func loadError(err error, schemaDump, path, version, binDir string) error {
	var le *pgcluster.LoadError
	if !errors.As(err, &le) {
		return inputErrorf("--ephemeral: loading the schema failed: %v", err)
	}
	where := le.Error()
	if schemaDump == "" {
		// The file is gone with the cluster: show the line instead.
		where = strings.Replace(where, le.File+":", "pg_dump of the target, line ", 1)
		if data, rerr := os.ReadFile(path); rerr == nil {
			if lines := strings.Split(string(data), "\n"); le.Line >= 1 && le.Line <= len(lines) {
				where += "\n  at: " + strings.TrimSpace(lines[le.Line-1])
			}
		}
	} else {
		where = strings.Replace(where, le.File+":", schemaDump+":", 1)
	}
	hint := fmt.Sprintf("the throwaway server is PostgreSQL %s (%s): a dump from a newer pg_dump, extensions not installed here, or objects the dump does not contain (roles, other databases) keep it from loading; fix the dump, or rehearse on a copy with --against URL", version, binDir)
	if le.SQLState == "0A000" || le.SQLState == "58P01" {
		hint = fmt.Sprintf("install the extension for the local PostgreSQL %s (%s), or rehearse on a copy that has it with --against URL", version, binDir)
	}
	return inputErrorf("--ephemeral: the schema did not load: %s\n%s", strings.ReplaceAll(where, "\n", "\n  "), hint)
}

// serverVersion returns the server_version of the database at url.
func serverVersion(ctx context.Context, url string) (string, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return "", redact.Error(err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return version(conn), nil
}

// version returns the server's version number: "15.4" of
// "15.4 (Debian 15.4-1.pgdg120+1)".
func version(conn *pgx.Conn) string {
	v := conn.PgConn().ParameterStatus("server_version")
	if i := strings.IndexByte(v, ' '); i > 0 {
		v = v[:i]
	}
	return v
}

// major returns the major version of a version number: "15" of "15.4"
// and of "15beta1", "9.6" of "9.6.24".
func major(v string) string {
	digits := func(s string) string {
		if i := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }); i >= 0 {
			return s[:i]
		}
		return s
	}
	parts := strings.SplitN(v, ".", 3)
	if parts[0] == "9" && len(parts) > 1 {
		return "9." + digits(parts[1])
	}
	return digits(parts[0])
}

// targetInfo reads the target's server version and role names (those not
// built in).
func targetInfo(ctx context.Context, target executor.Target) (string, []string, error) {
	conn, err := pgx.ConnectConfig(ctx, target.Config.Copy())
	if err != nil {
		return "", nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	rows, err := conn.Query(ctx, `SELECT rolname FROM pg_catalog.pg_roles WHERE rolname !~ '^pg_'`)
	if err != nil {
		return "", nil, err
	}
	roles, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return version(conn), roles, err
}

// createRoles creates the roles that do not exist yet in the cluster at
// adminURL, by name only: NOLOGIN, without memberships or privileges.
func createRoles(ctx context.Context, adminURL string, roles []string) error {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	rows, err := conn.Query(ctx, `SELECT rolname FROM pg_catalog.pg_roles`)
	if err != nil {
		return err
	}
	have, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	var b pgx.Batch
	for _, n := range roles {
		if !slices.Contains(have, n) {
			b.Queue("CREATE ROLE " + pgx.Identifier{n}.Sanitize() + " NOLOGIN")
		}
	}
	if b.Len() == 0 {
		return nil
	}
	return conn.SendBatch(ctx, &b).Close()
}

// connString is the target's connection string, for pg_dump.
func (p *Provider) connString() string {
	if p.o.connConfig != nil {
		return p.o.connConfig.ConnString()
	}
	return p.o.url
}

// inputErrorf is an *InputError with a formatted message.
func inputErrorf(format string, args ...any) error {
	return &InputError{Msg: fmt.Sprintf(format, args...)}
}
