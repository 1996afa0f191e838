package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// InstallHint tells a user how to make PostgreSQL's server binaries
// available. It ends every [NotFoundError] message.
const InstallHint = "install PostgreSQL (Debian/Ubuntu: apt-get install -y postgresql; " +
	"macOS: brew install postgresql@16; Fedora/RHEL: dnf install postgresql-server), " +
	"or put its bin directory on PATH or set Options.BinDir"

// ErrNoServer is matched (via [errors.Is]) by every [NotFoundError]: the
// PostgreSQL binaries a cluster needs are not installed or not found.
var ErrNoServer = errors.New("pgcluster: PostgreSQL server binaries not found")

// NotFoundError reports a PostgreSQL binary that is in none of the
// searched directories. It matches [ErrNoServer].
type NotFoundError struct {
	// Name is the binary looked for, such as "initdb" or "pg_dump".
	Name string
	// Searched lists the directories looked in, in order.
	Searched []string
}

// Error names the binary, the directories searched and [InstallHint].
func (e *NotFoundError) Error() string {
	return fmt.Sprintf("%s not found in %s; %s",
		e.Name, strings.Join(e.Searched, string(filepath.ListSeparator)), InstallHint)
}

// Is reports whether target is [ErrNoServer].
func (e *NotFoundError) Is(target error) bool { return target == ErrNoServer }

// FindBin returns the path of the PostgreSQL binary name (such as
// "pg_dump" or "psql") using the default search of a zero [Options].
func FindBin(name string) (string, error) {
	return Options{}.FindBin(name)
}

// FindBin returns the path of the PostgreSQL binary name: in o.BinDir
// when set, otherwise in the first directory of o.SearchPath (or
// [DefaultSearchPath]) that has it. When no directory has it the error
// is a [*NotFoundError] matching [ErrNoServer].
func (o Options) FindBin(name string) (string, error) {
	dirs := o.searchDirs()
	for _, dir := range dirs {
		if p := filepath.Join(dir, name); isExecutable(p) {
			return p, nil
		}
	}
	return "", &NotFoundError{Name: name, Searched: dirs}
}

// ServerBinDir returns the directory holding both initdb and postgres of
// one installation, searched like [Options.FindBin]. Symbolic links are
// resolved, so a PATH entry such as /usr/local/bin that only links to
// initdb yields the installation's real bin directory (where pg_dump of
// the same version lives too).
func (o Options) ServerBinDir() (string, error) {
	dirs := o.searchDirs()
	for _, dir := range dirs {
		initdb := filepath.Join(dir, "initdb")
		if !isExecutable(initdb) {
			continue
		}
		real, err := filepath.EvalSymlinks(initdb)
		if err != nil {
			continue
		}
		for _, d := range []string{filepath.Dir(real), dir} {
			if isExecutable(filepath.Join(d, "initdb")) && isExecutable(filepath.Join(d, "postgres")) {
				return d, nil
			}
		}
	}
	return "", &NotFoundError{Name: "initdb and postgres", Searched: dirs}
}

func (o Options) searchDirs() []string {
	switch {
	case o.BinDir != "":
		return []string{o.BinDir}
	case len(o.SearchPath) > 0:
		return o.SearchPath
	default:
		return DefaultSearchPath()
	}
}

// DefaultSearchPath returns the directories searched when neither
// Options.BinDir nor Options.SearchPath is set, in order: the entries of
// $PATH; the output of `pg_config --bindir` when pg_config is on $PATH;
// then versioned folders of common layouts, newest version first:
// /usr/lib/postgresql/*/bin (Debian, Ubuntu), /usr/pgsql-*/bin (PGDG
// RPMs), /usr/local/pgsql/bin (source builds), Homebrew's
// /opt/homebrew/opt/postgresql@*/bin and /usr/local/opt/postgresql@*/bin,
// and Postgres.app. Duplicates are dropped.
func DefaultSearchPath() []string {
	var dirs []string
	dirs = append(dirs, filepath.SplitList(os.Getenv("PATH"))...)
	if d := pgConfigBinDir(); d != "" {
		dirs = append(dirs, d)
	}
	for _, pattern := range []string{
		"/usr/lib/postgresql/*/bin",
		"/usr/pgsql-*/bin",
		"/usr/local/pgsql/bin",
		"/opt/homebrew/opt/postgresql@*/bin",
		"/opt/homebrew/opt/postgresql/bin",
		"/usr/local/opt/postgresql@*/bin",
		"/usr/local/opt/postgresql/bin",
		"/Applications/Postgres.app/Contents/Versions/*/bin",
	} {
		dirs = append(dirs, globNewestFirst(pattern)...)
	}
	seen := make(map[string]bool, len(dirs))
	out := dirs[:0]
	for _, d := range dirs {
		if d == "" || seen[d] {
			continue
		}
		seen[d] = true
		out = append(out, d)
	}
	return out
}

// pgConfigBinDir asks pg_config for its bin directory; "" when unknown.
func pgConfigBinDir() string {
	path, err := exec.LookPath("pg_config")
	if err != nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "--bindir").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// globNewestFirst expands pattern (with at most one "*") and orders the
// matches by the version number in place of the "*", newest first.
func globNewestFirst(pattern string) []string {
	matches, err := filepath.Glob(pattern)
	if err != nil || len(matches) == 0 {
		return nil
	}
	prefix, suffix, _ := strings.Cut(pattern, "*")
	version := func(m string) []int {
		v := strings.TrimSuffix(strings.TrimPrefix(m, prefix), suffix)
		var nums []int
		for _, part := range strings.Split(v, ".") {
			n, err := strconv.Atoi(part)
			if err != nil {
				n = -1 // "latest" and the like sort last
			}
			nums = append(nums, n)
		}
		return nums
	}
	sort.SliceStable(matches, func(i, j int) bool {
		a, b := version(matches[i]), version(matches[j])
		for k := 0; k < len(a) && k < len(b); k++ {
			if a[k] != b[k] {
				return a[k] > b[k]
			}
		}
		return len(a) > len(b)
	})
	return matches
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}
