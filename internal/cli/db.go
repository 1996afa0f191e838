package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/safemigrate/safemigrate"
)

// dir returns the migrations directory: flag, environment or config (see
// configResolver), else the default.
func (e *Env) dir() string {
	if e.Globals.Dir != "" {
		return e.Globals.Dir
	}
	return "migrations"
}

// provider opens the library on the migrations directory and the
// database, with the settings every command shares, then opts.
func (e *Env) provider(opts ...safemigrate.Option) (*safemigrate.Provider, error) {
	dir := e.dir()
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, usageError("migrations directory %q not found; pass --dir, set SAFEMIGRATE_DIR, or set dir in safemigrate.yaml", dir)
	}
	base := []safemigrate.Option{
		safemigrate.WithRoot(filepath.ToSlash(dir)),
		safemigrate.WithDatabaseURL(e.Globals.DatabaseURL),
		safemigrate.WithTrackingSchema(e.Config.TrackingSchema),
		safemigrate.WithDefaultSafe(e.Config.DefaultSafe),
		safemigrate.WithLayout(safemigrate.Layout(e.Globals.Layout)),
		safemigrate.WithClock(e.Now),
		safemigrate.WithLog(e.Stderr),
	}
	p, err := safemigrate.New(os.DirFS(dir), append(base, opts...)...)
	if err != nil {
		return nil, withCode(ExitUsage, err)
	}
	return p, nil
}

// runFlags are the execution settings shared by migrate, preflight and
// baseline; unset ones come from the environment or safemigrate.yaml,
// then the library's defaults.
type runFlags struct {
	LockTimeout      durationFlag `name:"lock-timeout" help:"lock_timeout for every migration (default 5s; a file's -- lock_timeout: wins)." placeholder:"DURATION"`
	StatementTimeout durationFlag `name:"statement-timeout" help:"statement_timeout for every migration (default none)." placeholder:"DURATION"`
	LockRetries      countFlag    `name:"lock-retries" help:"Retries after a lock timeout, with backoff (default 3)." placeholder:"N"`
	LockWait         durationFlag `name:"lock-wait" help:"How long to wait for another run's migration lock (default 5m; 0: do not wait)." placeholder:"DURATION"`
}

// Validate checks the numbers.
func (f *runFlags) Validate() error {
	if f.LockRetries.Set && f.LockRetries.N < 0 {
		return fmt.Errorf("--lock-retries must be at least 0 (got %d): it is how often a lock timeout is retried", f.LockRetries.N)
	}
	return nil
}

// options are the provider options of the flags.
func (f *runFlags) options() []safemigrate.Option {
	opts := []safemigrate.Option{
		safemigrate.WithLockTimeout(f.LockTimeout.value()),
		safemigrate.WithStatementTimeout(f.StatementTimeout.value()),
		safemigrate.WithLockWait(f.LockWait.value()),
	}
	if f.LockRetries.Set {
		opts = append(opts, safemigrate.WithLockRetries(f.LockRetries.N))
	}
	return opts
}

// modeFlag is the pre-deploy mode of plan, migrate, preflight and status.
type modeFlag struct {
	Mode string `help:"Pre-deploy mode: strict, nonstrict or disabled (default: mode in the config, else strict)." enum:"strict,nonstrict,disabled" default:"strict" placeholder:"MODE"`
}

// appliedIDs trims the IDs of --applied, dropping empty entries ("a, b",
// "a,,b", "a,"); nil when the flag was not given.
func appliedIDs(list []string) []string {
	if list == nil {
		return nil
	}
	ids := []string{}
	for _, id := range list {
		if id = strings.TrimSpace(id); id != "" {
			ids = append(ids, id)
		}
	}
	return ids
}
