package lint

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"runtime"
	"slices"
	"strings"
	"sync"
)

// Dir reads the migration files of a migrations directory: the `.sql`
// files at its root (the root chain) and in each immediate subdirectory
// (a chain). Each File's ID is its path inside fsys without ".sql"; its
// Path is that path joined to prefix, for printing (prefix "" prints paths
// relative to fsys). Files come back sorted by path.
func Dir(fsys fs.FS, prefix string) ([]File, error) {
	var paths []string
	root, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("read migrations directory: %w", err)
	}
	for _, e := range root {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		if !e.IsDir() {
			if strings.HasSuffix(name, ".sql") {
				paths = append(paths, name)
			}
			continue
		}
		entries, err := fs.ReadDir(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("read chain directory %s: %w", name, err)
		}
		for _, c := range entries {
			if c.IsDir() || !strings.HasSuffix(c.Name(), ".sql") {
				continue
			}
			paths = append(paths, path.Join(name, c.Name()))
		}
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
	display := p
	if prefix != "" && prefix != "." {
		display = strings.TrimSuffix(prefix, "/") + "/" + p
	}
	return File{Path: display, ID: strings.TrimSuffix(p, ".sql"), Src: src}, nil
}
