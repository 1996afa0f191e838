package lint

import (
	"errors"
	"fmt"
	"io/fs"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/safemigrate/safemigrate/migration"
)

// Dir reads the migration files of a migrations directory: the `.sql`
// files at its root (the root chain) and in each immediate subdirectory
// (a chain), found by [migration.Walk] exactly as the loader finds them
// (symbolic links to chains followed). Each File's ID is its path inside
// fsys without ".sql"; its Path is that path joined to prefix, for
// printing (prefix "" prints paths relative to fsys). Files come back
// sorted by path. A directory of the wrong shape (a nested directory with
// SQL in it) is a *[migration.LoadError] naming each problem.
func Dir(fsys fs.FS, prefix string) ([]File, error) {
	srcs, problems, err := migration.Walk(fsys)
	if err != nil {
		return nil, err
	}
	if len(problems) > 0 {
		for _, fe := range problems {
			fe.File = display(fe.File, prefix)
		}
		return nil, &migration.LoadError{Errors: problems}
	}
	paths := make([]string, len(srcs))
	for i, src := range srcs {
		paths[i] = src.Path
	}
	// Reading thousands of small files is syscall-bound; a few readers at
	// once finish sooner.
	out := make([]File, len(paths))
	errs := make([]error, len(paths))
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(runtime.GOMAXPROCS(0)*2, len(paths)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i], errs[i] = readFile(fsys, paths[i], prefix)
			}
		}()
	}
	for i := range paths {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	return out, nil
}

func readFile(fsys fs.FS, p, prefix string) (File, error) {
	src, err := fs.ReadFile(fsys, p)
	if err != nil {
		return File{}, fmt.Errorf("read %s: %w", p, err)
	}
	return File{Path: display(p, prefix), ID: strings.TrimSuffix(p, ".sql"), Src: src}, nil
}

// display is path p of the migrations directory as printed: joined to
// prefix.
func display(p, prefix string) string {
	if prefix == "" || prefix == "." {
		return p
	}
	return strings.TrimSuffix(prefix, "/") + "/" + p
}
