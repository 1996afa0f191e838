package cli

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/safemigrate/safemigrate"
)

// NewCmd creates the next migration file.
type NewCmd struct {
	Name          string   `arg:"" help:"What the migration does, e.g. add_email_to_users."`
	Safe          string   `required:"" enum:"before_deploy,after_deploy,always" help:"When it may run: before_deploy, after_deploy or always."`
	Chain         string   `help:"Create it in this chain (a subdirectory); default the root chain." placeholder:"CHAIN"`
	Depends       []string `sep:"," help:"Extra dependencies for the depends directive." placeholder:"REF,REF"`
	Delay         string   `help:"Delay for an after_deploy migration (e.g. 7d)." placeholder:"DURATION"`
	NoTransaction bool     `name:"no-transaction" help:"Write transaction: false (for CREATE INDEX CONCURRENTLY and the like)."`
	Versioning    string   `help:"sequential (0001, 0002, …) or timestamp (UTC YYYYMMDDHHMMSS); default from config, else sequential." enum:"sequential,timestamp" default:"sequential" placeholder:"SCHEME"`
}

// Help shows examples.
func (c *NewCmd) Help() string {
	return `Examples:
  safemigrate new add_email_to_users --safe before_deploy
  safemigrate new drop_legacy_name --safe after_deploy --delay 7d
  safemigrate new invoices --safe before_deploy --chain billing --depends 0003`
}

// Validate checks the flags, in their words.
func (c *NewCmd) Validate() error {
	if c.Delay != "" && c.Safe != string(safemigrate.AfterDeploy) {
		return errors.New("--delay needs --safe after_deploy")
	}
	if strings.ContainsAny(c.Chain, `/\.`) {
		return fmt.Errorf("--chain %q must be a plain directory name (chains do not nest)", c.Chain)
	}
	return nil
}

// Run writes the file and prints its path.
func (c *NewCmd) Run(env *Env) error {
	format, err := env.format("text", "json")
	if err != nil {
		return err
	}
	p, err := env.provider()
	if err != nil {
		var missing bool
		if missing = !dirExists(env.dir()); !missing {
			return err
		}
		// new creates the directory of the first migration.
		if err := os.MkdirAll(env.dir(), 0o755); err != nil {
			return usageError("create %s: %v", env.dir(), err)
		}
		if p, err = env.provider(); err != nil {
			return err
		}
	}
	rep, err := p.Create(safemigrate.CreateOptions{Name: c.Name, Safe: safemigrate.Safe(c.Safe), Chain: c.Chain,
		Depends: c.Depends, Delay: c.Delay, NoTransaction: c.NoTransaction, Versioning: c.Versioning})
	if err != nil {
		return err
	}
	return env.emit(format, rep, func() { fmt.Fprintln(env.Stdout, rep.Path) })
}

func dirExists(dir string) bool {
	fi, err := os.Stat(dir)
	return err == nil && fi.IsDir()
}
