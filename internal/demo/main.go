// Command demo runs the example migrations through a release on a
// throwaway local PostgreSQL: plan, pre-deploy, status, post-deploy, status.
// `make demo` builds bin/safemigrate and runs this.
//
// It starts a cluster with pgcluster (the same package `preflight
// --ephemeral` uses), runs the real binary against it, prints every command
// with its output and exit code, and removes the cluster on the way out,
// also on Ctrl-C.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"

	"github.com/safemigrate/safemigrate/pgcluster"
)

func main() {
	bin := flag.String("bin", "bin/safemigrate", "safemigrate binary")
	dir := flag.String("dir", "migrations_example", "migrations directory")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, *bin, *dir)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "demo: %v\n", err)
		os.Exit(1)
	}
}

// step is one command of the demo and the exit code it must end with.
type step struct {
	args []string
	want int
	note string
}

func run(ctx context.Context, bin, dir string) error {
	fmt.Fprintln(os.Stderr, "demo: starting a throwaway PostgreSQL…")
	c, err := pgcluster.Start(ctx, pgcluster.Options{})
	if err != nil {
		return err
	}
	defer c.Stop()
	url, err := c.CreateDatabase(ctx, "demo")
	if err != nil {
		return err
	}
	steps := []step{
		{[]string{"plan", "--phase", "pre-deploy"}, 3,
			"Release 1, on an empty database. The release phase plans first: strict mode would refuse,\nbecause 0009 (before_deploy) sits behind after_deploy migrations."},
		{[]string{"migrate", "--phase", "pre-deploy", "--mode", "nonstrict"}, 0,
			"So this team runs the release phase in nonstrict mode: it rehearses and applies what is ready\nand skips the blocked migration."},
		{[]string{"status"}, 0, "The new code is live now. What is applied, what waits:"},
		{[]string{"migrate", "--phase", "post-deploy"}, 0, "The post-deploy job runs the rest, except 0006: it drops a column with delay: 7d, rollback\nheadroom the job does not cut short (and what depends on it waits with it)."},
		{[]string{"migrate", "--phase", "post-deploy", "--ignore-delays"}, 0, "A week later the post-deploy job runs the contract step too; --ignore-delays stands in for the week."},
		{[]string{"status", "--check"}, 0, "Nothing is left pending."},
	}
	for _, s := range steps {
		fmt.Printf("\n# %s\n$ safemigrate %s\n", strings.ReplaceAll(s.note, "\n", "\n# "), strings.Join(s.args, " "))
		cmd := exec.CommandContext(ctx, bin, append([]string{"--dir", dir}, s.args...)...)
		cmd.Env = append(os.Environ(), "SAFEMIGRATE_DATABASE_URL="+url, "NO_COLOR=1")
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stdout
		code := 0
		if err := cmd.Run(); err != nil {
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				return err
			}
			code = ee.ExitCode()
		}
		fmt.Printf("(exit %d)\n", code)
		if code != s.want {
			return fmt.Errorf("safemigrate %s exited %d, want %d", strings.Join(s.args, " "), code, s.want)
		}
	}
	return nil
}
