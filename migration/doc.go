// Package migration loads migration files from an [io/fs.FS].
//
// `.sql` files at the root of the FS form the root chain; each immediate
// subdirectory is a further chain named after it. A file is named
// `<version>_<name>.sql`; its ID is `<version>_<name>` in the root chain and
// `<chain>/<version>_<name>` elsewhere. [Load] reads every file, parses its
// header with [ParseHeader], checksums it, and returns the
// migrations in (chain, version) order — or a [*LoadError] listing every
// problem in every file, never a partial set.
//
//	//go:embed migrations
//	var files embed.FS
//
//	sub, _ := fs.Sub(files, "migrations")
//	ms, err := migration.Load(sub, migration.Options{})
//
// [Walk] is how Load finds the files (symbolic links to chains followed,
// nested directories with SQL reported); lint reads a directory through
// it too, so both see the same files. A [FileError] with InFile set is a
// problem of that file's own name or header, which lint reports as a
// diagnostic; the others concern the directory.
//
// Loading reads headers and checksums only; it never parses SQL.
package migration
