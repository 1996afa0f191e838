// Package annotate reads what a migration file says about itself and what
// its SQL does.
//
// The header of a migration file is the run of blank and `--` lines at its
// top. [ParseHeader] reads the directives in it (`-- safe: before_deploy`,
// `-- depends: billing/0002`, `-- transaction: false`, `-- delay: 7d`,
// `-- lock_timeout: 10s`, `-- statement_timeout: 1m`) and returns every
// problem it finds, each positioned by line, with a suggestion where one
// exists ("did you mean before_deploy?").
//
//	d, problems := annotate.ParseHeader(src)
//	for _, p := range problems {
//		fmt.Printf("%s:%d: %s\n", file, p.Line, p.Message)
//	}
//	if d.Safe == annotate.BeforeDeploy { ... }
//
// Everything here is a pure function of its input and safe for concurrent
// use; nothing blocks, so nothing takes a context.
package annotate
