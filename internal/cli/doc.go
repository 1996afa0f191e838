// Package cli is the safemigrate command line: a thin shell over package
// safemigrate. One kong struct and one file per command, each with a
// Run(ctx, *Env) method that opens a [safemigrate.Provider], calls it and
// renders its report as text or JSON.
//
// [Run] is the whole program: it parses args (flag > environment >
// safemigrate.yaml > default, resolved in one place), binds the context
// and an [*Env] (writers, configuration, clock) into every command, and
// maps the command's error to an exit code in one function
// (docs/commands.md): 0 success, 1 a migration, preflight or lint
// failure, 2 usage, configuration, input, connection or lock-wait errors,
// 3 blocked in a strict pre-deploy.
//
//	code := cli.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
//
// Tests call Run in-process with buffers for stdout and stderr. Nothing here
// keeps package-level state, so concurrent Runs are independent.
package cli
