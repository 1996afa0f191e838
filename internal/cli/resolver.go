package cli

import (
	"fmt"
	"os"

	"github.com/alecthomas/kong"

	"github.com/safemigrate/safemigrate/internal/config"
)

// configResolver gives flags their value when the command line does not:
// the first non-empty environment variable of the flag's env tag, then
// safemigrate.yaml (--config, or the default file if present). So
// precedence is flag > environment > configuration > default for every
// flag, in this one place. (An empty variable counts as unset, which
// kong's own first-set-variable rule does not do.)
type configResolver struct {
	loaded bool
	cfg    config.Config
	err    error
}

var _ kong.Resolver = (*configResolver)(nil)

// Validate is part of kong.Resolver.
func (r *configResolver) Validate(*kong.Application) error { return nil }

// Resolve returns the environment's or the configuration's value for flag,
// or nil.
func (r *configResolver) Resolve(kctx *kong.Context, _ *kong.Path, flag *kong.Flag) (any, error) {
	for _, name := range flag.Tag.Envs {
		if v := os.Getenv(name); v != "" {
			return v, nil
		}
	}
	path := ""
	for _, f := range kctx.Flags() {
		if f.Name == "config" {
			path, _ = kctx.FlagValue(f).(string)
		}
	}
	if r.load(path) != nil {
		return nil, nil // reported after parsing, with the file and line
	}
	return fromConfig(r.cfg, flag.Name), nil
}

// load reads the configuration file once: path, or the default file if
// it exists.
func (r *configResolver) load(path string) error {
	if r.loaded {
		return r.err
	}
	r.loaded = true
	optional := false
	if path == "" {
		path, optional = config.DefaultFile, true
	}
	r.cfg, r.err = config.Load(path, optional)
	return r.err
}

// fromConfig is the configuration's value for the flag name, or nil.
func fromConfig(c config.Config, name string) any {
	switch name {
	case "dir":
		return nonEmpty(c.Dir)
	case "database-url":
		return nonEmpty(c.DatabaseURL)
	case "mode":
		return nonEmpty(c.Mode)
	case "initial":
		return nonEmpty(c.Initial)
	case "versioning":
		return nonEmpty(c.Versioning)
	case "layout":
		return nonEmpty(c.Layout)
	case "pg-version":
		if c.PGVersion != 0 {
			return fmt.Sprint(c.PGVersion)
		}
	case "lock-retries":
		if c.LockRetries != nil {
			return fmt.Sprint(*c.LockRetries)
		}
	case "lock-timeout":
		return configDuration(c.LockTimeout)
	case "statement-timeout":
		return configDuration(c.StatementTimeout)
	case "lock-wait":
		return configDuration(c.LockWait)
	case "jobs":
		if c.Tenants.Jobs > 0 {
			return fmt.Sprint(c.Tenants.Jobs)
		}
	case "jobs-per-server":
		if c.Tenants.JobsPerServer > 0 {
			return fmt.Sprint(c.Tenants.JobsPerServer)
		}
	}
	return nil
}

func nonEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func configDuration(d config.Duration) any {
	if !d.Set {
		return nil
	}
	if d.Duration == 0 {
		return "0"
	}
	return d.Duration.String()
}
