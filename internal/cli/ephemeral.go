package cli

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
func startEphemeral(env *Env, target executor.Target, schemaDump string) (eph *ephemeral, err error) {
	ctx := env.Ctx
	source := "pg_dump --schema-only of the target"
	if schemaDump != "" {
		source = schemaDump
		if _, err := os.Stat(schemaDump); err != nil {
			return nil, usageError("--schema-dump: %v", err)
		}
	}
	started := time.Now()
	c, err := pgcluster.Start(ctx, pgcluster.Options{})
	if err != nil {
		if errors.Is(err, pgcluster.ErrNoServer) {
			return nil, usageError("--ephemeral needs PostgreSQL's server binaries (initdb, postgres, psql) on this machine: %v\nor rehearse on a copy of the target you provide: preflight --against URL", err)
		}
		return nil, usageError("--ephemeral: starting a throwaway PostgreSQL failed: %v", err)
	}
	eph = &ephemeral{cluster: c}
	defer func() {
		if err != nil {
			eph.stop(env)
		}
	}()
	version, err := serverVersion(ctx, c.URL("postgres"))
	if err != nil {
		return nil, usageError("--ephemeral: %v", err)
	}
	fmt.Fprintf(env.Stderr, "ephemeral: started PostgreSQL %s from %s in %s\n", version, c.BinDir(), time.Since(started).Round(time.Millisecond))

	dbname := target.Config.Database
	switch dbname {
	case "", "postgres", "template0", "template1":
		dbname = "postgres"
	default:
		if _, err := c.CreateDatabase(ctx, dbname); err != nil {
			return nil, usageError("--ephemeral: %v", err)
		}
	}
	if err := copyRoles(ctx, target, c.URL("postgres")); err != nil {
		fmt.Fprintf(env.Stderr, "warning: ephemeral: the target's roles were not copied (GRANTs to them will not load): %v\n", redact.Error(err))
	}

	loaded := time.Now()
	path := schemaDump
	if path == "" {
		if path, err = dumpTarget(env, c); err != nil {
			return nil, err
		}
	}
	if err := c.LoadSQL(ctx, dbname, path); err != nil {
		return nil, loadError(err, schemaDump, path, version, c.BinDir())
	}
	fmt.Fprintf(env.Stderr, "ephemeral: loaded %s in %s\n", source, time.Since(loaded).Round(time.Millisecond))

	eph.target, err = executor.ParseTarget(c.URL(dbname))
	if err != nil {
		return nil, err
	}
	eph.target.Schema, eph.target.SearchPath, eph.target.TrackingSchema = target.Schema, target.SearchPath, target.TrackingSchema
	eph.about = fmt.Sprintf("a throwaway PostgreSQL %s loaded from %s", version, source)
	return eph, nil
}

// stop stops the cluster and removes its directory.
func (e *ephemeral) stop(env *Env) {
	if err := e.cluster.Stop(); err != nil {
		fmt.Fprintf(env.Stderr, "warning: ephemeral: %v\n", err)
	}
}

// dumpTarget writes pg_dump --schema-only of the target into the
// cluster's directory (removed with it) and returns the file's path.
func dumpTarget(env *Env, c *pgcluster.Cluster) (string, error) {
	pgDump := filepath.Join(c.BinDir(), "pg_dump")
	if _, err := os.Stat(pgDump); err != nil {
		if pgDump, err = pgcluster.FindBin("pg_dump"); err != nil {
			return "", usageError("--ephemeral: %v", err)
		}
	}
	dump, err := pgcluster.DumpSchema(env.Ctx, pgDump, env.databaseURL())
	if err != nil {
		return "", usageError("--ephemeral: dumping the target's schema failed: %v\npg_dump must be at least as new as the target's server; or dump the schema yourself and pass --schema-dump FILE", err)
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
		return usageError("--ephemeral: loading the schema failed: %v", err)
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
	return usageError("--ephemeral: the schema did not load: %s\n%s", strings.ReplaceAll(where, "\n", "\n  "), hint)
}

// serverVersion returns the server_version of the database at url.
func serverVersion(ctx context.Context, url string) (string, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return "", redact.Error(err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	v := conn.PgConn().ParameterStatus("server_version")
	if i := strings.IndexByte(v, ' '); i > 0 {
		v = v[:i] // "15.4 (Debian 15.4-1.pgdg120+1)"
	}
	return v, nil
}

// copyRoles creates the target's roles (names only, NOLOGIN, no
// memberships or privileges) in the cluster at adminURL.
func copyRoles(ctx context.Context, target executor.Target, adminURL string) error {
	const query = `SELECT rolname FROM pg_catalog.pg_roles WHERE rolname !~ '^pg_'`
	src, err := pgx.ConnectConfig(ctx, target.Config.Copy())
	if err != nil {
		return err
	}
	defer src.Close(context.WithoutCancel(ctx))
	rows, err := src.Query(ctx, query)
	if err != nil {
		return err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	dst, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return err
	}
	defer dst.Close(context.WithoutCancel(ctx))
	rows, err = dst.Query(ctx, query)
	if err != nil {
		return err
	}
	have, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	var b pgx.Batch
	for _, n := range names {
		if !slices.Contains(have, n) {
			b.Queue("CREATE ROLE " + pgx.Identifier{n}.Sanitize() + " NOLOGIN")
		}
	}
	if b.Len() == 0 {
		return nil
	}
	return dst.SendBatch(ctx, &b).Close()
}
