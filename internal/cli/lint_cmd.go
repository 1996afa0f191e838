package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/alecthomas/kong"

	"github.com/safemigrate/safemigrate"
	"github.com/safemigrate/safemigrate/lint"
)

// LintCmd checks directives and SQL statically.
type LintCmd struct {
	Paths            []string `arg:"" optional:"" help:"Migration files or directories to lint (default: the migrations directory)." placeholder:"PATH"`
	PGVersion        int      `name:"pg-version" help:"Target PostgreSQL major version (default: pg_version from the config, else 15)." placeholder:"N"`
	WarningsAsErrors bool     `name:"warnings-as-errors" help:"Exit 1 on warnings too, not only on errors."`
	ChangedSince     string   `name:"changed-since" help:"Report only on files changed since this git revision (its merge base with HEAD), plus uncommitted ones; the analysis still reads every file. For CI on pull requests." placeholder:"GIT_REF"`
}

// Help shows examples.
func (c *LintCmd) Help() string {
	return `--format selects text (default), json, github (workflow annotations) or sarif (code scanning).
Silence a finding with a justified comment before the statement:
  -- safemigrate:ignore require-concurrent-index -- lookup table, 40 rows
or for the whole file, in its header:
  -- safemigrate:ignore-file drop-table -- removed from the code in v2.3
Rules and their safe alternatives: docs/rules.md.

Examples:
  safemigrate lint
  safemigrate lint migrations/0042_add_index.sql --pg-version 13
  safemigrate lint --format github --warnings-as-errors
  safemigrate lint --format sarif > safemigrate.sarif
  safemigrate lint --changed-since origin/main --format github
  safemigrate lint --database-url "$DATABASE_URL"   # grade findings by live table sizes

safemigrate.yaml can leave rules or files out of every report:
  lint:
    exclude_rules: [require-concurrent-index]
    exclude_paths: ["legacy/**", "0001_*.sql"]
    large_table: 1GB or 10M rows   # with --database-url: over this, a lock or rewrite finding is an error

With --database-url on the command line (not from the environment or the
configuration), lint reads the database, read-only: each lock or rewrite
finding names its table's size and estimated rows and is graded by them
(info on an empty table, error over large_table), the schema knowledge
starts from the live catalog, and the server's version is the target
unless --pg-version or pg_version says otherwise.`
}

// Validate checks the flags.
func (c *LintCmd) Validate() error {
	if c.PGVersion != 0 && (c.PGVersion < 9 || c.PGVersion > 99) {
		return fmt.Errorf("--pg-version %d is not a PostgreSQL major version; give e.g. 13 or 16", c.PGVersion)
	}
	return nil
}

// Run lints and prints; exit 1 when an error (or, with
// --warnings-as-errors, a warning) was found.
func (c *LintCmd) Run(ctx context.Context, env *Env, kctx *kong.Context) error {
	format, err := env.format(lint.Formats...)
	if err != nil {
		return err
	}
	opts := lint.WriteOptions{Color: env.Color, WarningsAsErrors: c.WarningsAsErrors, Version: readBuildInfo().Version}
	files, err := collectLintFiles(env, c.Paths)
	if err != nil {
		// The github and sarif readers still get a valid document.
		if werr := lint.WriteLoadErrors(env.Stdout, format, lint.LoadErrorsOf(err), opts); werr != nil {
			return errors.Join(err, werr)
		}
		return err
	}
	cfg := lint.Config{PGVersion: pgVersion(env, c.PGVersion)}
	if databaseURLGiven(kctx) {
		if cfg.Live, err = readLive(ctx, env, files); err != nil {
			return err
		}
	}
	l, err := lint.New(cfg)
	if err != nil {
		return usageError("%v", err)
	}
	res, err := l.Run(ctx, files)
	if err != nil {
		return err
	}
	if err := safemigrate.FilterLint(ctx, res, safemigrate.LintFilter{ExcludeRules: env.Config.Lint.ExcludeRules,
		ExcludePaths: env.Config.Lint.ExcludePaths, Dir: env.dir(), ChangedSince: c.ChangedSince}); err != nil {
		return err
	}
	if err := lint.Write(env.Stdout, format, res, opts); err != nil {
		return err
	}
	if !res.OK(c.WarningsAsErrors) {
		return silentExit{ExitFailure}
	}
	return nil
}

// databaseURLGiven reports whether --database-url is on the command line:
// only then does lint read the database (a DATABASE_URL in the
// environment of a CI job does not make it connect).
func databaseURLGiven(kctx *kong.Context) bool {
	for _, p := range kctx.Path {
		if p.Flag != nil && p.Flag.Name == "database-url" && !p.Resolved {
			return true
		}
	}
	return false
}

// readLive reads the live facts of --database-url with the configured
// large_table.
func readLive(ctx context.Context, env *Env, files []lint.File) (*lint.Live, error) {
	prov, err := safemigrate.New(os.DirFS("."), safemigrate.WithDatabaseURL(env.Globals.DatabaseURL))
	if err != nil {
		return nil, withCode(ExitUsage, err)
	}
	live, err := prov.ReadLive(ctx, files)
	if err != nil {
		return nil, withCode(ExitUsage, err)
	}
	if lt := env.Config.Lint.LargeTable; lt.Set {
		live.LargeBytes, live.LargeRows = lt.Bytes, lt.Rows
	}
	return live, nil
}

func pgVersion(env *Env, flag int) int {
	if flag != 0 {
		return flag
	}
	return env.Config.PGVersion
}

// collectLintFiles reads the files to lint: each directory argument as a
// migrations directory (root chain plus one level of chains), each file
// argument as it is. A file inside the configured migrations directory
// keeps its migration ID (billing/0002_invoices), so that rules that need
// the migration order see it.
func collectLintFiles(env *Env, paths []string) ([]lint.File, error) {
	if len(paths) == 0 {
		dir := env.dir()
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			return nil, usageError("migrations directory %q not found; pass paths to lint, --dir, set SAFEMIGRATE_DIR, or set dir in safemigrate.yaml", dir)
		}
		paths = []string{dir}
	}
	var out []lint.File
	seen := map[string]bool{}
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, usageError("cannot lint %s: %v", p, err)
		}
		if fi.IsDir() {
			prov, err := safemigrate.New(os.DirFS(p), safemigrate.WithRoot(filepath.ToSlash(filepath.Clean(p))), safemigrate.WithDefaultSafe(env.Config.DefaultSafe), safemigrate.WithLayout(safemigrate.Layout(env.Globals.Layout)))
			if err != nil {
				return nil, err
			}
			files, err := prov.LintFiles()
			if err != nil {
				return nil, err
			}
			for _, f := range files {
				if !seen[f.Path] {
					seen[f.Path] = true
					out = append(out, f)
				}
			}
			continue
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return nil, usageError("cannot lint %s: %v", p, err)
		}
		display := filepath.ToSlash(filepath.Clean(p))
		// Only the up part is linted, read as the loader reads it.
		base, up, ok, err := safemigrate.UpPart(safemigrate.Layout(env.Globals.Layout), display, src)
		if err != nil {
			return nil, withCode(ExitUsage, err)
		}
		if ok && !seen[display] {
			seen[display] = true
			id := migrationID(env.dir(), p)
			if i := strings.LastIndexByte(id, '/'); i >= 0 {
				id = id[:i+1] + base
			} else {
				id = base
			}
			out = append(out, lint.File{Path: display, ID: id, Src: up})
		}
	}
	return out, nil
}

// migrationID is p's ID relative to the migrations directory, or its base
// name when p lies elsewhere.
func migrationID(dir, p string) string {
	id := strings.TrimSuffix(filepath.Base(p), ".sql")
	absDir, err1 := filepath.Abs(dir)
	absP, err2 := filepath.Abs(p)
	if err1 != nil || err2 != nil {
		return id
	}
	rel, err := filepath.Rel(absDir, absP)
	if err != nil || strings.HasPrefix(rel, "..") || strings.Count(filepath.ToSlash(rel), "/") > 1 {
		return id
	}
	return strings.TrimSuffix(filepath.ToSlash(rel), ".sql")
}
