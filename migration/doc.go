// Package migration loads migration files from an [io/fs.FS].
//
// `.sql` files at the root of the FS form the root chain; each immediate
// subdirectory is a further chain named after it. A file is named
// `<version>_<name>.sql`; its ID is `<version>_<name>` in the root chain and
// `<chain>/<version>_<name>` elsewhere. [Load] reads every file, parses its
// header with [annotate.ParseHeader], checksums it, and returns the
// migrations in (chain, version) order — or a [*LoadError] listing every
// problem in every file, never a partial set.
//
//	//go:embed migrations
//	var files embed.FS
//
//	sub, _ := fs.Sub(files, "migrations")
//	ms, err := migration.Load(sub, migration.Options{})
//
// Loading reads headers and checksums only; it never parses SQL.
package migration
