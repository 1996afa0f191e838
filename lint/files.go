package lint

import (
	"cmp"
	"io/fs"
	"slices"
	"strings"

	"github.com/safemigrate/safemigrate/migration"
)

// Dir reads the migration files of a migrations directory the way the
// loader reads them ([migration.Read], the layout detected from the
// files): the root chain and each immediate subdirectory (a chain), and
// of each file only its up part: a down part (a .down.sql or Flyway undo
// file, a goose or dbmate down section) is never linted. Each File's ID
// is its migration ID; its Path is its path inside fsys joined to prefix,
// for printing (prefix "" prints paths relative to fsys). Files come back
// sorted by path. A directory the loader refuses as a whole (a nested
// directory with SQL in it, a file whose up part cannot be found, layouts
// that contradict each other) is a *[migration.LoadError] naming each
// problem; a problem of one file's own name is left to the
// invalid-file-name rule.
func Dir(fsys fs.FS, prefix string) ([]File, error) {
	set, err := migration.Read(fsys, migration.LayoutAuto)
	if err != nil {
		return nil, err
	}
	var problems []*migration.FileError
	for _, fe := range set.Problems {
		if !fe.InFile {
			fe.File = display(fe.File, prefix)
			problems = append(problems, fe)
		}
	}
	if len(problems) > 0 {
		slices.SortStableFunc(problems, func(a, b *migration.FileError) int {
			return cmp.Or(strings.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line))
		})
		return nil, &migration.LoadError{Errors: problems}
	}
	out := make([]File, len(set.Files))
	for i, f := range set.Files {
		out[i] = File{Path: display(f.Path, prefix), ID: f.ID, Src: f.SQL}
	}
	return out, nil
}

// display is path p of the migrations directory as printed: joined to
// prefix.
func display(p, prefix string) string {
	if prefix == "" || prefix == "." {
		return p
	}
	return strings.TrimSuffix(prefix, "/") + "/" + p
}
