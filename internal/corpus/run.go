package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/safemigrate/safemigrate/internal/redact"
	"github.com/safemigrate/safemigrate/internal/sqlparse"
	"github.com/safemigrate/safemigrate/pgcluster"
)

// Result is what one project's run measured; CACHE/results.json holds all.
type Result struct {
	Project     Project
	Files       int
	Statements  int
	ParseErrors []string
	Suggested   map[string]int // before_deploy, after_deploy, always, none
	Findings    map[string]int // rule → count
	Squawk      map[string]int // squawk rule → count
	SquawkTotal int
	SquawkError string `json:",omitempty"`
	// Compare is bench/lint/compare's verdict: does safemigrate report
	// every unsafe statement squawk reports (CACHE/work/NAME/compare.txt)?
	Compare     string
	Preflight   string // ok, or the first failure
	Migrate     string
	Applied     int
	PsqlApplied int
	PsqlSkipped []string // file: error
	PsqlNoTx    []string // files applied without -1 (statements PostgreSQL refuses in a transaction block)
	SchemaSame  bool
	DiffLines   int
	Work        string
}

func run(ctx context.Context, o options) error {
	projects, err := loadManifest()
	if err != nil {
		return err
	}
	cache, err := filepath.Abs(o.cache)
	if err != nil {
		return err
	}
	bin, err := filepath.Abs(o.bin)
	if err != nil {
		return err
	}
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("safemigrate binary: %w; run `make build` or pass -bin", err)
	}
	squawk := o.squawk
	if squawk == "" {
		if squawk, err = installSquawk(ctx); err != nil {
			return err
		}
	}
	fmt.Fprintln(os.Stderr, "corpus: starting a throwaway PostgreSQL…")
	cl, err := pgcluster.Start(ctx, pgcluster.Options{})
	if err != nil {
		return err
	}
	defer cl.Stop()
	var results []*Result
	for _, p := range projects {
		if o.only != "" && p.Name != o.only {
			continue
		}
		r, err := runProject(ctx, o, cl, cache, bin, squawk, p)
		if err != nil {
			return fmt.Errorf("%s: %w", p.Name, err)
		}
		results = append(results, r)
		printResult(os.Stdout, r)
	}
	if len(results) == 0 {
		return fmt.Errorf("no manifest entry named %q", o.only)
	}
	b, _ := json.MarshalIndent(results, "", "  ")
	return os.WriteFile(filepath.Join(cache, "results.json"), b, 0o644)
}

// fetch downloads the project's module into CACHE/modcache and returns
// the module's directory.
func fetch(ctx context.Context, cache string, p Project) (string, error) {
	fmt.Fprintf(os.Stderr, "corpus: go mod download %s@%s\n", p.Module, p.Version)
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", p.Module+"@"+p.Version)
	cmd.Dir = cache
	cmd.Env = append(os.Environ(), "GOMODCACHE="+filepath.Join(cache, "modcache"), "GOFLAGS=-mod=mod", "GOWORK=off")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var info struct{ Dir, Error string }
	_ = json.Unmarshal(out, &info)
	if info.Error != "" || err != nil || info.Dir == "" {
		return "", fmt.Errorf("go mod download %s@%s failed: %v %s %s; the module proxy (GOPROXY) must serve it", p.Module, p.Version, err, info.Error, strings.TrimSpace(stderr.String()))
	}
	return info.Dir, nil
}

func runProject(ctx context.Context, o options, cl *pgcluster.Cluster, cache, bin, squawk string, p Project) (*Result, error) {
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return nil, err
	}
	mod, err := fetch(ctx, cache, p)
	if err != nil {
		return nil, err
	}
	work := filepath.Join(cache, "work", p.Name)
	if err := os.RemoveAll(work); err != nil {
		return nil, err
	}
	c, err := convert(p, filepath.Join(mod, filepath.FromSlash(p.Path)), filepath.Join(work, "migrations"))
	if err != nil {
		return nil, err
	}
	r := &Result{Project: p, Files: len(c.Up), Work: work,
		Suggested: map[string]int{}, Findings: map[string]int{}, Squawk: map[string]int{}}
	for _, f := range c.Up {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		stmts, err := sqlparse.Split(string(b))
		if err != nil {
			r.ParseErrors = append(r.ParseErrors, fmt.Sprintf("%s: %v", filepath.Base(f), err))
		}
		r.Statements += len(stmts)
	}
	sm := func(ctx context.Context, url, report string, args ...string) ([]byte, error) {
		full := append([]string{"--dir", c.Dir, "--layout", c.Layout}, args...)
		cmd := exec.CommandContext(ctx, bin, full...)
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "NO_COLOR=1", "SAFEMIGRATE_DATABASE_URL="+url)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		_ = os.WriteFile(filepath.Join(work, report+".json"), out, 0o644)
		_ = os.WriteFile(filepath.Join(work, report+".stderr"), []byte(redact.String(stderr.String())), 0o644)
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			return nil, err
		}
		return out, nil
	}

	fmt.Fprintf(os.Stderr, "corpus: %s: annotate, lint\n", p.Name)
	pgv := fmt.Sprint(o.pgVersion)
	out, err := sm(ctx, "", "annotate", "annotate", "--format", "json", "--pg-version", pgv)
	if err != nil {
		return nil, err
	}
	var ann struct {
		Migrations []struct{ Suggested *string }
	}
	if err := json.Unmarshal(out, &ann); err != nil {
		return nil, fmt.Errorf("annotate --format json: %w (see %s)", err, filepath.Join(work, "annotate.stderr"))
	}
	for _, m := range ann.Migrations {
		s := "none"
		if m.Suggested != nil {
			s = *m.Suggested
		}
		r.Suggested[s]++
	}
	out, err = sm(ctx, "", "lint", "lint", "--format", "json", "--pg-version", pgv)
	if err != nil {
		return nil, err
	}
	var lint struct {
		Diagnostics []struct{ Rule string }
		Error       *struct{ Message string }
	}
	if err := json.Unmarshal(out, &lint); err != nil {
		return nil, fmt.Errorf("lint --format json: %w (see %s)", err, filepath.Join(work, "lint.stderr"))
	}
	if lint.Error != nil {
		r.Findings["(lint failed: "+firstLine(lint.Error.Message)+")"]++
	}
	for _, d := range lint.Diagnostics {
		r.Findings[d.Rule]++
	}

	fmt.Fprintf(os.Stderr, "corpus: %s: squawk\n", p.Name)
	runSquawk(ctx, squawk, pgv, c.Up, work, r)
	if r.SquawkError == "" {
		r.Compare = compare(ctx, c.Dir, work)
	}

	fmt.Fprintf(os.Stderr, "corpus: %s: preflight, migrate\n", p.Name)
	smDB, psqlDB := p.Name+"_safemigrate", p.Name+"_psql"
	for _, db := range []string{smDB, psqlDB} {
		if err := cl.DropDatabase(ctx, db); err != nil {
			return nil, err
		}
	}
	smURL, err := cl.CreateDatabase(ctx, smDB)
	if err != nil {
		return nil, err
	}
	psqlURL, err := cl.CreateDatabase(ctx, psqlDB)
	if err != nil {
		return nil, err
	}
	if out, err = sm(ctx, smURL, "preflight", "preflight", "--format", "json"); err != nil {
		return nil, err
	}
	r.Preflight, _ = runOutcome(out)
	if out, err = sm(ctx, smURL, "migrate", "migrate", "--phase", "post-deploy", "--no-preflight", "--format", "json"); err != nil {
		return nil, err
	}
	r.Migrate, r.Applied = runOutcome(out)

	fmt.Fprintf(os.Stderr, "corpus: %s: psql\n", p.Name)
	if err := applyPsql(ctx, cl, psqlURL, c.Up, r); err != nil {
		return nil, err
	}
	a, err := dumpSchema(ctx, cl, smURL)
	if err != nil {
		return nil, err
	}
	b, err := dumpSchema(ctx, cl, psqlURL)
	if err != nil {
		return nil, err
	}
	_ = os.WriteFile(filepath.Join(work, "schema.safemigrate.sql"), a, 0o644)
	_ = os.WriteFile(filepath.Join(work, "schema.psql.sql"), b, 0o644)
	r.SchemaSame = bytes.Equal(a, b)
	if !r.SchemaSame {
		d, _ := exec.CommandContext(ctx, "diff", "-u", filepath.Join(work, "schema.psql.sql"), filepath.Join(work, "schema.safemigrate.sql")).Output()
		_ = os.WriteFile(filepath.Join(work, "schema.diff"), d, 0o644)
		for _, l := range strings.Split(string(d), "\n") {
			if (strings.HasPrefix(l, "+") || strings.HasPrefix(l, "-")) && !strings.HasPrefix(l, "+++") && !strings.HasPrefix(l, "---") {
				r.DiffLines++
			}
		}
	}
	for _, db := range []string{smDB, psqlDB} {
		_ = cl.DropDatabase(ctx, db)
	}
	return r, nil
}

// runOutcome reads a migrate or preflight JSON document: "ok" or the first
// failure, and how many migrations were applied.
func runOutcome(out []byte) (string, int) {
	var doc struct {
		OK        bool
		Applied   []string
		Error     *struct{ Message string }
		Preflight *struct {
			Migrations []struct {
				ID     string
				Status string
				Error  *struct{ Message, SQLState string }
			}
		}
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		return "no JSON document: " + err.Error(), 0
	}
	if doc.OK {
		return "ok", len(doc.Applied)
	}
	if doc.Preflight != nil {
		for _, m := range doc.Preflight.Migrations {
			if m.Error != nil {
				return fmt.Sprintf("%s failed: %s (%s)", m.ID, m.Error.Message, m.Error.SQLState), len(doc.Applied)
			}
		}
	}
	if doc.Error != nil {
		return "failed: " + firstLine(doc.Error.Message), len(doc.Applied)
	}
	return "failed", len(doc.Applied)
}

// applyPsql applies every up file with `psql -X -v ON_ERROR_STOP=1 -1 -f`,
// in order. A file PostgreSQL refuses inside a transaction block (CREATE
// INDEX CONCURRENTLY and the like) is applied again without -1; any other
// failure skips the file and is reported.
func applyPsql(ctx context.Context, cl *pgcluster.Cluster, url string, files []string, r *Result) error {
	dsn, password := redact.SplitPassword(url)
	psql := filepath.Join(cl.BinDir(), "psql")
	if _, err := os.Stat(psql); err != nil {
		psql = "psql"
	}
	for _, f := range files {
		apply := func(single bool) (string, error) {
			args := []string{"-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-f", f}
			if single {
				args = append(args, "-1")
			}
			cmd := exec.CommandContext(ctx, psql, args...)
			cmd.Env = append(os.Environ(), "PGPASSWORD="+password, "PGOPTIONS=-c client_min_messages=warning")
			out, err := cmd.CombinedOutput()
			return redact.String(string(out)), err
		}
		out, err := apply(true)
		if err != nil && strings.Contains(out, "cannot run inside a transaction block") {
			r.PsqlNoTx = append(r.PsqlNoTx, filepath.Base(f))
			out, err = apply(false)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			r.PsqlSkipped = append(r.PsqlSkipped, filepath.Base(f)+": "+firstLine(strings.TrimSpace(out)))
			continue
		}
		r.PsqlApplied++
	}
	return nil
}

// dumpSchema is pg_dump --schema-only --no-owner without safemigrate's
// tracking tables.
func dumpSchema(ctx context.Context, cl *pgcluster.Cluster, url string) ([]byte, error) {
	dsn, password := redact.SplitPassword(url)
	cmd := exec.CommandContext(ctx, filepath.Join(cl.BinDir(), "pg_dump"), "--schema-only", "--no-owner",
		"--exclude-table=public.safemigrate_*", "-d", dsn)
	cmd.Env = append(os.Environ(), "PGPASSWORD="+password)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("pg_dump: %v: %s", err, redact.String(stderr.String()))
	}
	// \restrict KEY lines differ on every run (PostgreSQL 17.6, 16.10, 15.14…).
	var keep [][]byte
	for _, l := range bytes.Split(out, []byte("\n")) {
		if bytes.HasPrefix(l, []byte(`\restrict `)) || bytes.HasPrefix(l, []byte(`\unrestrict `)) {
			continue
		}
		keep = append(keep, l)
	}
	return bytes.Join(keep, []byte("\n")), nil
}

func installSquawk(ctx context.Context) (string, error) {
	dir := filepath.Join(".bench", "lint", "squawk")
	find := func() string {
		m, _ := filepath.Glob(filepath.Join(dir, "node_modules", "@squawk-cli", "*", "bin", "squawk"))
		if len(m) > 0 {
			return m[0]
		}
		if _, err := os.Stat(filepath.Join(dir, "node_modules", ".bin", "squawk")); err == nil {
			return filepath.Join(dir, "node_modules", ".bin", "squawk")
		}
		return ""
	}
	if s := find(); s != "" {
		return filepath.Abs(s)
	}
	fmt.Fprintf(os.Stderr, "corpus: npm install squawk-cli into %s\n", dir)
	cmd := exec.CommandContext(ctx, "npm", "install", "--prefix", dir, "--no-audit", "--no-fund", "--loglevel=error", "squawk-cli@latest")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("npm install squawk-cli: %w; pass -squawk PATH to use an installed squawk", err)
	}
	if s := find(); s != "" {
		return filepath.Abs(s)
	}
	return "", fmt.Errorf("squawk-cli installed into %s but no squawk binary found there; pass -squawk PATH", dir)
}

func runSquawk(ctx context.Context, squawk, pgv string, files []string, work string, r *Result) {
	args := append([]string{"--reporter", "json", "--pg-version", pgv}, files...)
	cmd := exec.CommandContext(ctx, squawk, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, _ := cmd.Output()
	_ = os.WriteFile(filepath.Join(work, "squawk.json"), out, 0o644)
	var vs []struct {
		RuleName string `json:"rule_name"`
	}
	if err := json.Unmarshal(out, &vs); err != nil {
		r.SquawkError = fmt.Sprintf("squawk output is not JSON (%v): %s", err, firstLine(stderr.String()))
		return
	}
	for _, v := range vs {
		r.Squawk[v.RuleName]++
		r.SquawkTotal++
	}
}

// compare runs bench/lint/compare (statement by statement: the unsafe
// statements squawk reports that safemigrate does not) and returns its
// verdict line; the whole output goes to WORK/compare.txt.
func compare(ctx context.Context, dir, work string) string {
	cmd := exec.CommandContext(ctx, "go", "run", "./bench/lint/compare", "-corpus", dir,
		"-ours", filepath.Join(work, "lint.json"), "-squawk", filepath.Join(work, "squawk.json"))
	out, err := cmd.CombinedOutput()
	_ = os.WriteFile(filepath.Join(work, "compare.txt"), out, 0o644)
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "OK: ") || strings.HasPrefix(l, "MISSED: ") {
			return strings.TrimSuffix(l, ":")
		}
	}
	if err != nil {
		return fmt.Sprintf("bench/lint/compare failed (%v): %s", err, firstLine(string(out)))
	}
	return "no verdict from bench/lint/compare"
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
