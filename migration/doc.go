// Package migration owns the migration file format (docs/file-format.md):
// the directory layout, the file-name rule, IDs, checksums and the header
// directives. It never parses SQL and links no cgo, so packages graph, planner
// and anything else that only needs to know what the files say build with
// CGO_ENABLED=0; the SQL analysis lives in package annotate.
//
// # Layout and names
//
// `.sql` files at the root of the FS form the root chain; each immediate
// subdirectory is a further chain named after it. A file is named
// `<version>_<name>.sql` (other tools' layouts below); [ParseName] is the
// one place an ID's version is read, [CompareVersions] the one place
// versions are compared.
// Its ID is `<version>_<name>` in the root chain and
// `<chain>/<version>_<name>` elsewhere. [Load] reads every file, parses its
// header with [ParseHeader], checksums it, and returns the migrations in
// (chain, version) order — or a [*LoadError] listing every problem in
// every file, never a partial set.
//
//	//go:embed migrations
//	var files embed.FS
//
//	sub, _ := fs.Sub(files, "migrations")
//	ms, err := migration.Load(sub, migration.Options{})
//
// [Walk] is the only walker of a migrations directory (symbolic links to
// chains followed, nested directories with SQL reported): Load, lint and
// `new` all read a directory through it, so they see the same files. A
// [FileError] with InFile set is a problem of that file's own name or
// header, which lint reports as a diagnostic; the others concern the
// directory.
//
// # Other tools' layouts
//
// A directory may follow another tool's conventions ([Layout]: goose,
// golang-migrate, dbmate, Flyway; [LayoutAuto] detects it from the
// files, and files of different tools in one directory are an error that
// lists them). [Read] is the one place a layout is read: it finds each
// migration's up part and never returns a down part (a goose or dbmate
// down section, a .down.sql or Flyway undo file). [Migration.SQL] is the
// up part at the file's own line and byte offsets, and
// [Migration.Checksum] covers the up part only, so editing a down part
// is not drift. A foreign file whose up part cannot be found is an
// error, never "run the whole file". No SQL parser is needed for any of
// it: goose's StatementBegin/StatementEnd only delimit statements, which
// the executor splits with the PostgreSQL parser anyway.
//
//	set, err := migration.Read(fsys, migration.LayoutAuto)
//	// set.Layout is the detected layout, set.Files the up parts.
//
// # Header directives
//
// The header of a migration file is the run of blank and `--` lines at its
// top. [ParseHeader] reads the directives in it (`-- safe: before_deploy`,
// `-- depends: billing/0002`, `-- transaction: false`, `-- delay: 7d`,
// `-- lock_timeout: 10s`, `-- statement_timeout: 1m`) into [Directives] and
// returns every [Problem] it finds, each positioned by line, with a
// suggestion where one exists ("did you mean before_deploy?"). [Safe] and
// its values say when a migration may run; [ParseDuration] and
// [FormatDuration] read and print durations with days (`7d`, `1d12h`).
//
//	d, problems := migration.ParseHeader(src)
//	for _, p := range problems {
//		fmt.Printf("%s:%d: %s\n", file, p.Line, p.Message)
//	}
//	if d.Safe == migration.BeforeDeploy { ... }
//
// Everything here is a pure function of its input except [Load] and
// [Walk], which read the FS they are given; all are safe for concurrent
// use. Nothing blocks on the network, so nothing takes a context.
package migration
