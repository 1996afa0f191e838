package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/safemigrate/safemigrate/annotate"
	"github.com/safemigrate/safemigrate/graph"
	"github.com/safemigrate/safemigrate/migration"
)

// NewCmd creates the next migration file.
type NewCmd struct {
	Name          string   `arg:"" help:"What the migration does, e.g. add_email_to_users."`
	Safe          string   `required:"" enum:"before_deploy,after_deploy,always" help:"When it may run: before_deploy, after_deploy or always."`
	Chain         string   `help:"Create it in this chain (a subdirectory); default the root chain." placeholder:"CHAIN"`
	Depends       []string `sep:"," help:"Extra dependencies for the depends directive." placeholder:"REF,REF"`
	Delay         string   `help:"Delay for an after_deploy migration (e.g. 7d)." placeholder:"DURATION"`
	NoTransaction bool     `name:"no-transaction" help:"Write transaction: false (for CREATE INDEX CONCURRENTLY and the like)."`
	Versioning    string   `help:"sequential (0001, 0002, …) or timestamp (UTC YYYYMMDDHHMMSS); default from config, else sequential." placeholder:"SCHEME"`
}

// Help shows examples.
func (c *NewCmd) Help() string {
	return `Examples:
  safemigrate new add_email_to_users --safe before_deploy
  safemigrate new drop_legacy_name --safe after_deploy --delay 7d
  safemigrate new invoices --safe before_deploy --chain billing --depends 0003`
}

var nameRE = regexp.MustCompile(`[^a-z0-9]+`)

// Run writes the file and prints its path.
func (c *NewCmd) Run(env *Env) error {
	format, err := env.format("text", "json")
	if err != nil {
		return err
	}
	name := strings.Trim(nameRE.ReplaceAllString(strings.ToLower(c.Name), "_"), "_")
	if name == "" {
		return usageError("migration name %q has no letters or digits; use e.g. add_email_to_users", c.Name)
	}
	if c.Delay != "" {
		if c.Safe != string(annotate.AfterDeploy) {
			return usageError("--delay needs --safe after_deploy")
		}
		if _, err := annotate.ParseDuration(c.Delay); err != nil {
			return usageError("--delay: %v", err)
		}
	}
	if strings.ContainsAny(c.Chain, `/\.`) {
		return usageError("--chain %q must be a plain directory name (chains do not nest)", c.Chain)
	}
	scheme := c.Versioning
	if scheme == "" {
		scheme = env.Config.Versioning
	}
	if scheme == "" {
		scheme = "sequential"
	}
	if scheme != "sequential" && scheme != "timestamp" {
		return usageError("--versioning %q is not one of sequential, timestamp", scheme)
	}
	dir := filepath.Join(env.dir(), c.Chain)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return usageError("create %s: %v", dir, err)
	}
	version, err := nextVersion(dir, scheme, env.Now().UTC().Format("20060102150405"))
	if err != nil {
		return usageError("%v", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "-- safe: %s\n", c.Safe)
	var depends []string // "a, b" and "a,,b," as the user meant them
	for _, d := range c.Depends {
		if d = strings.TrimSpace(d); d != "" {
			depends = append(depends, d)
		}
	}
	if len(depends) > 0 {
		fmt.Fprintf(&b, "-- depends: %s\n", strings.Join(depends, ", "))
	}
	if c.Delay != "" {
		fmt.Fprintf(&b, "-- delay: %s\n", c.Delay)
	}
	if c.NoTransaction {
		b.WriteString("-- transaction: false\n")
	}
	b.WriteString("\n")
	path := filepath.Join(dir, version+"_"+name+".sql")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return usageError("%s already exists", path)
		}
		return usageError("create %s: %v", path, err)
	}
	if _, err := f.WriteString(b.String()); err != nil {
		f.Close()
		return usageError("write %s: %v", path, err)
	}
	if err := f.Close(); err != nil {
		return usageError("write %s: %v", path, err)
	}
	if err := checkNewFile(env.dir(), path); err != nil {
		_ = os.Remove(path)
		return usageError("%v\nnothing was written; fix the flags and run again", err)
	}
	if format == "json" {
		return writeJSON(env.Stdout, map[string]any{"ok": true, "path": path, "version": version})
	}
	fmt.Fprintln(env.Stdout, path)
	return nil
}

// checkNewFile loads the directory with the new file and returns the
// problems that concern that file (e.g. a depends reference to nothing).
// Problems elsewhere in the directory are not new's business.
func checkNewFile(dir, path string) error {
	rel, err := filepath.Rel(dir, path)
	if err != nil {
		return nil
	}
	rel = filepath.ToSlash(rel)
	ms, err := migration.Load(os.DirFS(dir), migration.Options{})
	if err == nil {
		_, err = graph.New(ms)
	}
	var many interface{ Unwrap() []error }
	if !errors.As(err, &many) {
		return nil
	}
	var mine []string
	for _, e := range many.Unwrap() {
		var fe *migration.FileError
		if errors.As(e, &fe) && fe.File == rel {
			c := *fe
			c.File = path
			mine = append(mine, c.Error())
		}
	}
	if len(mine) == 0 {
		return nil
	}
	return errors.New(strings.Join(mine, "\n"))
}

// nextVersion picks the version after the highest one in dir: the next
// number at the existing width (at least 4 digits), or the current UTC
// timestamp, bumped when a file already holds it.
func nextVersion(dir, scheme, stamp string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	highest, width := "", 4
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".sql") {
			continue
		}
		v := n[:len(n)-len(strings.TrimLeft(n, "0123456789"))]
		if v == "" {
			continue
		}
		width = max(width, len(v))
		if highest == "" || migration.CompareVersions(v, highest) > 0 {
			highest = v
		}
	}
	if scheme == "timestamp" {
		if highest == "" || migration.CompareVersions(stamp, highest) > 0 {
			return stamp, nil
		}
		return increment(highest), nil
	}
	if highest == "" {
		return fmt.Sprintf("%0*d", width, 1), nil
	}
	next := increment(highest)
	for len(next) < width {
		next = "0" + next
	}
	return next, nil
}

// increment adds one to a decimal digit string of any length.
func increment(v string) string {
	b := []byte(v)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < '9' {
			b[i]++
			return string(b)
		}
		b[i] = '0'
	}
	return "1" + string(b)
}
