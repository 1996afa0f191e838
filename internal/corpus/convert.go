package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Project is one manifest entry: a public repository's migration history,
// fetched as a Go module from the module proxy (manifest.json).
type Project struct {
	Name       string `json:"name"`
	Repository string `json:"repository"`
	Module     string `json:"module"`
	Version    string `json:"version"`
	Licence    string `json:"licence"`
	// Path is the migrations directory inside the module.
	Path string `json:"path"`
	// Layout is how the history is laid out upstream: golang-migrate
	// (read in place by safemigrate), pop (ory's gobuffalo/pop
	// <version>_<name>[.<dialect>].up.sql files) or temporal (versioned
	// vX.Y directories whose manifest.json orders the files).
	Layout string `json:"layout"`
}

// Converted is a history copied into the cache in a layout safemigrate
// reads, byte for byte.
type Converted struct {
	Dir string // the migrations directory to pass as --dir
	// Layout is the --layout value: golang-migrate or safemigrate.
	Layout string
	// Up lists the files holding the up parts, in the order the upstream
	// tool applies them; psql applies exactly these.
	Up []string
}

// convert copies the history under src into dst (which must not exist
// yet) without changing a byte of SQL.
func convert(p Project, src, dst string) (*Converted, error) {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return nil, err
	}
	switch p.Layout {
	case "golang-migrate":
		return convertGolangMigrate(src, dst)
	case "pop":
		return convertPop(src, dst)
	case "temporal":
		return convertTemporal(src, dst)
	}
	return nil, fmt.Errorf("manifest entry %s: unknown layout %q; use golang-migrate, pop or temporal", p.Name, p.Layout)
}

var golangMigrateName = regexp.MustCompile(`^([0-9]+)_(.+)\.(up|down)\.sql$`)

// convertGolangMigrate copies the .up.sql and .down.sql files directly in
// src (not its testdata directory, which safemigrate would read as a
// chain) unchanged; safemigrate reads them with --layout golang-migrate.
func convertGolangMigrate(src, dst string) (*Converted, error) {
	ents, err := os.ReadDir(src)
	if err != nil {
		return nil, err
	}
	type up struct {
		version uint64
		file    string
	}
	var ups []up
	for _, e := range ents {
		m := golangMigrateName.FindStringSubmatch(e.Name())
		if e.IsDir() || m == nil {
			continue
		}
		if err := copyFile(filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())); err != nil {
			return nil, err
		}
		if m[3] == "up" {
			v, err := strconv.ParseUint(m[1], 10, 64)
			if err != nil {
				return nil, fmt.Errorf("%s: version %s: %w", filepath.Join(src, e.Name()), m[1], err)
			}
			ups = append(ups, up{v, filepath.Join(dst, e.Name())})
		}
	}
	sort.Slice(ups, func(i, j int) bool { return ups[i].version < ups[j].version })
	c := &Converted{Dir: dst, Layout: "golang-migrate"}
	for _, u := range ups {
		c.Up = append(c.Up, u.file)
	}
	return c, nil
}

var popName = regexp.MustCompile(`^([0-9]+)_([^.]+)(?:\.([a-z0-9]+))?\.(up|down)\.sql$`)

// convertPop picks, per migration, the PostgreSQL up file
// (<version>_<name>.postgres.up.sql) or else the one for every dialect
// (<version>_<name>.up.sql), as pop does, and copies it to
// <version>_<name>.sql. Empty files (pop's way of saying "nothing for this
// dialect") are copied too.
func convertPop(src, dst string) (*Converted, error) {
	ents, err := os.ReadDir(src)
	if err != nil {
		return nil, err
	}
	type pick struct {
		version, name, file string
		specific            bool
	}
	picks := map[string]*pick{} // by <version>_<name>
	for _, e := range ents {
		m := popName.FindStringSubmatch(e.Name())
		if e.IsDir() || m == nil || m[4] != "up" {
			continue
		}
		dialect := m[3]
		if dialect != "" && dialect != "postgres" {
			continue
		}
		key := m[1] + "_" + m[2]
		if old := picks[key]; old != nil && old.specific {
			continue
		}
		picks[key] = &pick{m[1], m[2], e.Name(), dialect == "postgres"}
	}
	keys := make([]string, 0, len(picks))
	seen := map[string]string{}
	for k, p := range picks {
		if other, dup := seen[strings.TrimLeft(p.version, "0")]; dup {
			return nil, fmt.Errorf("%s: version %s is used by %s and %s; safemigrate needs one migration per version", src, p.version, other, p.file)
		}
		seen[strings.TrimLeft(p.version, "0")] = p.file
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return lessVersion(picks[keys[i]].version, picks[keys[j]].version) })
	c := &Converted{Dir: dst, Layout: "safemigrate"}
	for _, k := range keys {
		p := picks[k]
		out := filepath.Join(dst, p.version+"_"+p.name+".sql")
		if err := copyFile(filepath.Join(src, p.file), out); err != nil {
			return nil, err
		}
		c.Up = append(c.Up, out)
	}
	return c, nil
}

// lessVersion compares digit strings as numbers of any length.
func lessVersion(a, b string) bool {
	a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

var temporalDir = regexp.MustCompile(`^v([0-9]+)\.([0-9]+)$`)

// convertTemporal reads the vMAJOR.MINOR directories in version order and,
// in each, the files its manifest.json lists (SchemaUpdateCqlFiles, in that
// order), and copies file number N (1-based) to
// <MAJOR><MINOR:3><N:2>_<file>, e.g. v1.7/no_start_version.sql →
// 100702_no_start_version.sql.
func convertTemporal(src, dst string) (*Converted, error) {
	ents, err := os.ReadDir(src)
	if err != nil {
		return nil, err
	}
	type ver struct{ major, minor int }
	var vers []ver
	for _, e := range ents {
		m := temporalDir.FindStringSubmatch(e.Name())
		if !e.IsDir() || m == nil {
			continue
		}
		maj, _ := strconv.Atoi(m[1])
		min, _ := strconv.Atoi(m[2])
		vers = append(vers, ver{maj, min})
	}
	sort.Slice(vers, func(i, j int) bool {
		if vers[i].major != vers[j].major {
			return vers[i].major < vers[j].major
		}
		return vers[i].minor < vers[j].minor
	})
	c := &Converted{Dir: dst, Layout: "safemigrate"}
	for _, v := range vers {
		dir := filepath.Join(src, fmt.Sprintf("v%d.%d", v.major, v.minor))
		raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
		if err != nil {
			return nil, err
		}
		var man struct{ SchemaUpdateCqlFiles []string }
		if err := json.Unmarshal(raw, &man); err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "manifest.json"), err)
		}
		if len(man.SchemaUpdateCqlFiles) > 99 || v.minor > 999 {
			return nil, fmt.Errorf("%s: more files or a higher minor version than the naming scheme holds", dir)
		}
		for i, f := range man.SchemaUpdateCqlFiles {
			if filepath.Base(f) != f || !strings.HasSuffix(f, ".sql") {
				return nil, fmt.Errorf("%s: manifest.json lists %q; want a .sql file in the same directory", dir, f)
			}
			out := filepath.Join(dst, fmt.Sprintf("%d%03d%02d_%s", v.major, v.minor, i+1, f))
			if err := copyFile(filepath.Join(dir, f), out); err != nil {
				return nil, err
			}
			c.Up = append(c.Up, out)
		}
	}
	return c, nil
}

func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o644)
}
