package safemigrate

import (
	"path"
	"path/filepath"

	"github.com/safemigrate/safemigrate/lint"
	"github.com/safemigrate/safemigrate/migration"
)

// Layout is the convention of a migrations directory: safemigrate's own
// or another tool's, read in place (docs/file-format.md).
type Layout = migration.Layout

// The layouts. LayoutAuto, the default, detects the layout from the
// files.
const (
	LayoutAuto          = migration.LayoutAuto
	LayoutSafemigrate   = migration.LayoutSafemigrate
	LayoutGoose         = migration.LayoutGoose
	LayoutGolangMigrate = migration.LayoutGolangMigrate
	LayoutDbmate        = migration.LayoutDbmate
	LayoutFlyway        = migration.LayoutFlyway
)

// WithLayout sets the layout of the migrations directory: "auto" (the
// default; "" means auto), "safemigrate", "goose", "golang-migrate",
// "dbmate" or "flyway". Only a file's up part is a migration: a down
// part is never run, linted or checksummed.
func WithLayout(l Layout) Option {
	return func(o *options) error {
		v, err := migration.ParseLayout(string(l))
		if err != nil {
			return inputErrorf("%v", err)
		}
		o.layout = v
		return nil
	}
}

// readFiles reads the up parts of the migration files for the SQL
// analysis, as the loader reads them, with each file's path in the FS by
// its printed path. Like Lint, it refuses (an *[InputError]) a directory
// no command can load; problems of one file's own name or header are
// left to lint, which reports them as findings.
func (p *Provider) readFiles() ([]lint.File, map[string]string, error) {
	set, err := migration.Read(p.fsys, p.o.layout)
	if err != nil {
		return nil, nil, &InputError{Msg: err.Error(), Err: err}
	}
	if err := p.checkShape(set); err != nil {
		return nil, nil, err
	}
	prefix := ""
	if p.o.root != "" {
		prefix = path.Clean(filepath.ToSlash(p.o.root))
	}
	files := make([]lint.File, len(set.Files))
	fsPaths := make(map[string]string, len(set.Files))
	for i, f := range set.Files {
		shown := f.Path
		if prefix != "" && prefix != "." {
			shown = prefix + "/" + f.Path
		}
		files[i] = lint.File{Path: shown, ID: f.ID, Src: f.SQL}
		fsPaths[shown] = f.Path
	}
	return files, fsPaths, nil
}

// UpPart reads one migration file on its own, as the loader would in
// layout (auto: the file alone decides), for a linter run on files named
// one by one: id is its migration ID without a chain, sql its up part
// (lines where they are in the file). ok is false for a down file
// (.down.sql, a Flyway undo file), which is not a migration. A file
// whose up part cannot be found is an *[InputError].
func UpPart(layout Layout, name string, src []byte) (id string, sql []byte, ok bool, err error) {
	f, err := migration.ReadFile(layout, name, src)
	if err != nil {
		return "", nil, false, &InputError{Msg: err.Error(), Err: err}
	}
	if f == nil {
		return "", nil, false, nil
	}
	return f.ID, f.SQL, true, nil
}
