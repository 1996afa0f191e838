package lint

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// Dir reads the migration files of a migrations directory: the `.sql`
// files at its root (the root chain) and in each immediate subdirectory
// (a chain). Each File's ID is its path inside fsys without ".sql"; its
// Path is that path joined to prefix, for printing (prefix "" prints paths
// relative to fsys). Files come back sorted by path.
func Dir(fsys fs.FS, prefix string) ([]File, error) {
	var out []File
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
				f, err := readFile(fsys, name, prefix)
				if err != nil {
					return nil, err
				}
				out = append(out, f)
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
			f, err := readFile(fsys, path.Join(name, c.Name()), prefix)
			if err != nil {
				return nil, err
			}
			out = append(out, f)
		}
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
