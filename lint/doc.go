// Package lint checks migration files statically: their header
// directives, and what their SQL does to locks and to code that is already
// running.
//
// A rule is a value — [Rule]{ID, Doc, Severity, Run} — in the registry
// [Rules]; [New] validates the registry ([Validate]: unique kebab-case IDs,
// never reused, non-empty Doc). A rule's Run inspects one migration
// through a [Pass] (directives, parse errors, and the statement-by-statement
// analysis from package annotate) and reports [Diagnostic] values through
// [Pass.Report]; it never prints. Diagnostics carry byte offsets; the
// runner turns them into line and column once the file is done.
//
//	l, err := lint.New(lint.Config{PGVersion: 15})
//	files, err := lint.Dir(os.DirFS("migrations"), "migrations")
//	res, err := l.Run(ctx, files)
//	lint.Write(os.Stdout, "text", res, lint.WriteOptions{})
//	if !res.OK(false) { ... }
//
// Suppression is written in the migration: `-- safemigrate:ignore rule-a,
// rule-b -- reason` before a statement (or after its semicolon),
// `-- safemigrate:ignore-file rule -- reason` in the header. An ignore that
// silences nothing is itself reported (rule unused-ignore).
//
// Output formats ([Write]): text (grouped by file, optional colour), json
// (docs/json.md), github (workflow-command annotations) and sarif (2.1.0).
//
// # Concurrency
//
// [Linter.Run] parses files on a pool of Config.Workers goroutines
// (default GOMAXPROCS), analyses them in migration order through one
// annotate.Schema (so later migrations know the columns and constraints
// earlier ones created), then runs the rules in parallel again. The
// result does not depend on scheduling: diagnostics are sorted by file,
// position and rule. Run stops early with ctx's error when ctx is done. A
// Linter is safe for concurrent use.
package lint
