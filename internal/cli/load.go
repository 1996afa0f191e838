package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/safemigrate/safemigrate/graph"
	"github.com/safemigrate/safemigrate/migration"
)

// dir returns the migrations directory: flag or env, then config, then
// the default.
func (e *Env) dir() string {
	switch {
	case e.Globals.Dir != "":
		return e.Globals.Dir
	case e.Config.Dir != "":
		return e.Config.Dir
	}
	return "migrations"
}

// loadGraph reads and validates the migrations directory. Every problem is
// an input error (exit 2) listing all files and lines at once.
func (e *Env) loadGraph() (*graph.Graph, error) {
	dir := e.dir()
	fi, err := os.Stat(dir)
	if err != nil || !fi.IsDir() {
		return nil, usageError("migrations directory %q not found; pass --dir, set SAFEMIGRATE_DIR, or set dir in safemigrate.yaml", dir)
	}
	ms, err := migration.Load(os.DirFS(dir), migration.Options{DefaultSafe: e.Config.DefaultSafe})
	if err != nil {
		return nil, usageError("%s", prefixFiles(dir, err))
	}
	g, err := graph.New(ms)
	if err != nil {
		return nil, usageError("%s", prefixFiles(dir, err))
	}
	// Every later message (a failing statement, drift) names the file as
	// the user opens it, like the load errors above.
	for _, m := range ms {
		m.Path = displayPath(dir, m.Path)
	}
	return g, nil
}

// prefixFiles rewrites positioned file errors so their paths are relative
// to the working directory, not to the migrations FS, and adds what to do.
func prefixFiles(dir string, err error) string {
	var les interface{ Unwrap() []error }
	if !errors.As(err, &les) {
		return err.Error()
	}
	out := ""
	n := 0
	for _, e := range les.Unwrap() {
		var fe *migration.FileError
		if errors.As(e, &fe) {
			c := *fe
			c.File = displayPath(dir, fe.File)
			out += c.Error() + "\n"
			n++
		}
	}
	return fmt.Sprintf("%s%s in %s; fix them, then run again (nothing was run)", out, plural(n, "problem"), dir)
}

// displayPath returns the path of file (slash-separated, inside dir) as
// the user would type it: "migrations/0001_a.sql", also for --dir
// ./migrations/.
func displayPath(dir, file string) string {
	return filepath.Join(dir, filepath.FromSlash(file))
}
