package migration_test

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/safemigrate/safemigrate/migration"
	"github.com/stretchr/testify/require"
)

// fuzzFS turns fuzz input into a file set: records separated by "\n==> ",
// each a path line followed by the file's content. Invalid paths and paths
// that would make a file also a directory are dropped.
func fuzzFS(input string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for rec := range strings.SplitSeq(input, "\n==> ") {
		name, data, _ := strings.Cut(rec, "\n")
		name = strings.TrimPrefix(name, "==> ")
		if !fs.ValidPath(name) || name == "." {
			continue
		}
		clash := false
		for other := range fsys {
			if strings.HasPrefix(other, name+"/") || strings.HasPrefix(name, other+"/") || other == name {
				clash = true
				break
			}
		}
		if !clash {
			fsys[name] = &fstest.MapFile{Data: []byte(data)}
		}
	}
	return fsys
}

// versionOf mirrors docs/file-format.md: <digits>_<name>.sql.
func versionOf(base string) (string, bool) {
	i := 0
	for i < len(base) && base[i] >= '0' && base[i] <= '9' {
		i++
	}
	if i == 0 || i+1 >= len(base) || base[i] != '_' {
		return "", false
	}
	return base[:i], true
}

// expectProblems counts the problems docs/file-format.md lists in fsys, independently of
// the loader, and lists the migration paths a successful load must return.
func expectProblems(fsys fstest.MapFS) (problems int, paths []string) {
	type key struct{ chain, version string }
	versions := map[key]int{}
	nested := map[string]bool{}
	for p := range fsys {
		parts := strings.Split(p, "/")
		if !strings.HasSuffix(p, ".sql") {
			continue
		}
		if len(parts) > 1 && strings.HasPrefix(parts[0], ".") {
			continue // hidden top-level directory
		}
		if len(parts) > 2 {
			nested[parts[0]+"/"+parts[1]] = true
			continue
		}
		chain := ""
		if len(parts) == 2 {
			chain = parts[0]
		}
		stem := strings.TrimSuffix(parts[len(parts)-1], ".sql")
		if strings.HasSuffix(stem, ".up") || strings.HasSuffix(stem, ".down") {
			problems++ // a golang-migrate name in the safemigrate layout
			continue
		}
		v, ok := versionOf(stem)
		if !ok {
			problems++
			continue
		}
		if n := foreignDowns(fsys[p].Data); n > 0 {
			problems += n // a down section the safemigrate layout would run
			continue
		}
		_, probs := migration.ParseHeader(fsys[p].Data)
		if len(probs) > 0 {
			problems += len(probs)
			continue
		}
		versions[key{chain, strings.TrimLeft(v, "0")}]++
		paths = append(paths, p)
	}
	for _, n := range versions {
		problems += n - 1
	}
	return problems + len(nested), paths
}

// foreignDowns counts the goose and dbmate down markers in src.
func foreignDowns(src []byte) int {
	n := 0
	for i, line := range strings.Split(string(src), "\n") {
		line = strings.TrimSpace(line)
		if i == 0 {
			line = strings.TrimSpace(strings.TrimPrefix(line, "\ufeff"))
		}
		rest, ok := strings.CutPrefix(line, "--")
		if !ok {
			continue
		}
		fields := strings.Fields(strings.ToLower(rest))
		if len(fields) > 0 && (fields[0] == "+goose" && len(fields) == 2 && fields[1] == "down" || fields[0] == "+goosedown" && len(fields) == 1) {
			n++
		} else if f := strings.Fields(rest); len(f) > 0 && f[0] == "migrate:down" {
			n++
		}
	}
	return n
}

func FuzzLoad(f *testing.F) {
	for _, seed := range []string{
		"",
		"0001_init.sql\n-- safe: before_deploy\nSELECT 1;\n",
		"0001_init.sql\n-- safe: always\n\n==> 0002_b.sql\n-- safe: after_deploy\n-- delay: 7d\n==> billing/0001_x.sql\n-- depends: 0002\n",
		"9_a.sql\n\n==> 10_b.sql\n\n==> 0010_c.sql\n-- safe: befor_deploy\n",
		"a/b/1_x.sql\n\n==> a/1_y.sql\n-- saftey: x\n==> noversion.sql\nx\n==> README.md\nhi\n",
		".git/1_x.sql\n\n==> 1_.sql\n\n==> 01_a.sql\n-- delay: 1h\n-- safe: always\n==> 1_b.sql\n",
		"x/fixtures/data.csv\n1,2\n==> x/0001_a.sql\n-- transaction: false\n-- lock_timeout: 5s\nCREATE INDEX CONCURRENTLY i ON t (a);\n",
		"1_a.up.sql\n\n==> 1_a.down.sql\n\n==> 2_b.sql\n-- +goose Up\nSELECT 1;\n-- +goose Down\n-- migrate:down\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, input string) {
		fsys := fuzzFS(input)
		ms, err := migration.Load(fsys, migration.Options{Layout: migration.LayoutSafemigrate})
		wantProblems, wantPaths := expectProblems(fsys)

		if err != nil {
			require.Nil(t, ms, "no partial set")
			var le *migration.LoadError
			require.ErrorAs(t, err, &le)
			require.Len(t, le.Errors, wantProblems, "%v", err)
			for i, fe := range le.Errors {
				require.NotEmpty(t, fe.Message)
				_, isFile := fsys[fe.File]
				isDir := false
				for p := range fsys {
					isDir = isDir || strings.HasPrefix(p, fe.File+"/")
				}
				require.True(t, isFile || isDir, "error names %q, which is not in the set", fe.File)
				if fe.Line > 0 {
					require.True(t, isFile)
					require.LessOrEqual(t, fe.Line, strings.Count(string(fsys[fe.File].Data), "\n")+1)
				}
				require.True(t, strings.HasPrefix(fe.Error(), fe.File+":"), fe.Error())
				if i > 0 {
					prev := le.Errors[i-1]
					require.True(t, prev.File < fe.File || prev.File == fe.File && prev.Line <= fe.Line, "errors sorted")
				}
			}
			return
		}

		require.Zero(t, wantProblems, "a file set with problems loaded")
		var gotPaths []string
		seen := map[string]bool{}
		for i, m := range ms {
			gotPaths = append(gotPaths, m.Path)
			require.False(t, seen[m.ID], "duplicate ID %s", m.ID)
			seen[m.ID] = true
			if i > 0 {
				require.Negative(t, migration.Compare(ms[i-1], m), "sorted by (chain, version), versions unique")
			}
			require.Equal(t, fsys[m.Path].Data, m.SQL)
			sum := sha256.Sum256(m.SQL)
			require.Equal(t, hex.EncodeToString(sum[:]), m.Checksum)
			wantID := m.Version + "_" + m.Name
			if m.Chain != "" {
				wantID = m.Chain + "/" + wantID
			}
			require.Equal(t, wantID, m.ID)
			require.Equal(t, m.ID+".sql", m.Path)
			d, probs := migration.ParseHeader(m.SQL)
			require.Empty(t, probs)
			require.Equal(t, d.Has(migration.KeySafe), m.DeclaredSafe)
			if !m.DeclaredSafe {
				d.Safe = migration.AfterDeploy
			}
			require.Equal(t, d, m.Directives)
		}
		slices.Sort(gotPaths)
		slices.Sort(wantPaths)
		require.Equal(t, wantPaths, gotPaths)
	})
}
