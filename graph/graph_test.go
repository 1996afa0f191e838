package graph_test

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/safemigrate/safemigrate/graph"
	"github.com/safemigrate/safemigrate/migration"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// files maps paths to contents; a value without a newline is taken as a
// header line list joined by ";" for brevity: "safe: always;depends: 1".
type files map[string]string

func (f files) fs() fstest.MapFS {
	fsys := fstest.MapFS{}
	for p, s := range f {
		var b strings.Builder
		if s != "" {
			for _, l := range strings.Split(s, ";") {
				b.WriteString("-- " + strings.TrimSpace(l) + "\n")
			}
		}
		b.WriteString("SELECT 1;\n")
		fsys[p] = &fstest.MapFile{Data: []byte(b.String())}
	}
	return fsys
}

func build(t *testing.T, f files) (*graph.Graph, error) {
	t.Helper()
	ms, err := migration.Load(f.fs(), migration.Options{})
	require.NoError(t, err)
	return graph.New(ms)
}

func mustBuild(t *testing.T, f files) *graph.Graph {
	t.Helper()
	g, err := build(t, f)
	require.NoError(t, err)
	return g
}

func idsOf(g *graph.Graph, idx []int) []string {
	out := []string{}
	for _, i := range idx {
		out = append(out, g.At(i).ID)
	}
	return out
}

func depsOf(t *testing.T, g *graph.Graph, id string) []string {
	t.Helper()
	i, ok := g.Index(id)
	require.True(t, ok, id)
	return idsOf(g, g.Deps(i))
}

func TestChainEdges(t *testing.T) {
	g := mustBuild(t, files{
		"0001_a.sql":         "",
		"0002_b.sql":         "",
		"10_c.sql":           "",
		"9_d.sql":            "",
		"billing/0001_x.sql": "",
		"billing/0002_y.sql": "",
		"auth/5_z.sql":       "",
	})
	tests := []struct {
		id   string
		want []string
	}{
		{"0001_a", []string{}},
		{"0002_b", []string{"0001_a"}},
		{"9_d", []string{"0002_b"}},
		{"10_c", []string{"9_d"}},
		{"auth/5_z", []string{}},
		{"billing/0001_x", []string{}},
		{"billing/0002_y", []string{"billing/0001_x"}},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			assert.Equal(t, tt.want, depsOf(t, g, tt.id))
		})
	}
	assert.Equal(t, []string{"0001_a", "0002_b", "9_d", "10_c", "auth/5_z", "billing/0001_x", "billing/0002_y"},
		idsOf(g, indexes(g.Len())), "index order is (chain, numeric version), root first")
	i, _ := g.Index("0002_b")
	assert.Equal(t, []string{"9_d"}, idsOf(g, g.Dependents(i)))
}

func indexes(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func TestDependsReferenceForms(t *testing.T) {
	base := files{
		"0001_init.sql":             "",
		"0003_users.sql":            "",
		"billing/0002_invoices.sql": "",
		"billing/0010_refunds.sql":  "",
	}
	tests := []struct {
		name string
		ref  string
		want string
	}{
		{"full root ID", "0001_init", "0001_init"},
		{"full chain ID", "billing/0002_invoices", "billing/0002_invoices"},
		{"chain/version", "billing/0002", "billing/0002_invoices"},
		{"chain/version without zeros", "billing/2", "billing/0002_invoices"},
		{"chain/version numeric", "billing/10", "billing/0010_refunds"},
		{"bare root version", "0003", "0003_users"},
		{"bare root version without zeros", "1", "0001_init"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := files{"auth/0001_sessions.sql": "depends: " + tt.ref}
			for k, v := range base {
				f[k] = v
			}
			g := mustBuild(t, f)
			assert.Equal(t, []string{tt.want}, depsOf(t, g, "auth/0001_sessions"))
		})
	}

	t.Run("several references and a redundant chain predecessor", func(t *testing.T) {
		g := mustBuild(t, files{
			"0001_init.sql":             "",
			"0003_users.sql":            "depends: billing/0002, 0001_init, billing/0002_invoices",
			"billing/0002_invoices.sql": "",
		})
		assert.Equal(t, []string{"0001_init", "billing/0002_invoices"}, depsOf(t, g, "0003_users"))
		i, _ := g.Index("billing/0002_invoices")
		assert.Equal(t, []string{"0003_users"}, idsOf(g, g.Dependents(i)))
	})
}

func TestMissingReferences(t *testing.T) {
	tests := []struct {
		name string
		ref  string
	}{
		{"unknown full ID", "0001_typo"},
		{"unknown chain version", "billing/0003"},
		{"chain version with wrong name", "billing/0002_wrong"},
		{"unknown chain", "shipping/0001"},
		{"bare version not in root", "7"},
		{"bare version of a chain migration", "0002"},
		{"chain name only", "billing"},
		{"not a version", "billing/latest"},
		{"trailing slash", "billing/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := build(t, files{
				"0001_init.sql":             "",
				"billing/0002_invoices.sql": "",
				"auth/0001_sessions.sql":    "safe: always;transaction: false;depends: " + tt.ref,
			})
			var ge *graph.Error
			require.ErrorAs(t, err, &ge)
			require.Len(t, ge.Errors, 1)
			fe := ge.Errors[0]
			assert.Equal(t, "auth/0001_sessions.sql", fe.File)
			assert.Equal(t, 3, fe.Line, "line of the depends directive")
			assert.True(t, strings.HasPrefix(err.Error(), "auth/0001_sessions.sql:3: "), err.Error())
			assert.Contains(t, fe.Message, strconv.Quote(tt.ref))
			assert.Contains(t, fe.Message, "matches no migration")
			assert.Empty(t, ge.Cycle)
		})
	}

	t.Run("every missing reference is listed", func(t *testing.T) {
		_, err := build(t, files{
			"0001_init.sql":      "depends: 9, 8",
			"billing/0001_a.sql": "safe: always;depends: nope/1",
		})
		var ge *graph.Error
		require.ErrorAs(t, err, &ge)
		require.Len(t, ge.Errors, 3)
		lines := strings.Split(err.Error(), "\n")
		assert.True(t, strings.HasPrefix(lines[0], `0001_init.sql:1: depends on "9"`), lines[0])
		assert.True(t, strings.HasPrefix(lines[1], `0001_init.sql:1: depends on "8"`), lines[1])
		assert.True(t, strings.HasPrefix(lines[2], `billing/0001_a.sql:2: depends on "nope/1"`), lines[2])

		// The same positioned-file-error list as loading: its message,
		// and each file error through errors.As.
		assert.Equal(t, (&migration.LoadError{Errors: ge.Errors}).Error(), err.Error())
		var fe *migration.FileError
		require.ErrorAs(t, err, &fe)
		assert.Equal(t, "0001_init.sql", fe.File)
	})
}

func TestDuplicates(t *testing.T) {
	m := func(chain, version, name string) *migration.Migration {
		id := version + "_" + name
		if chain != "" {
			id = chain + "/" + id
		}
		return &migration.Migration{ID: id, Chain: chain, Version: version, Name: name, Path: id + ".sql",
			Directives: migration.Directives{Safe: migration.Always, Transaction: true}}
	}
	tests := []struct {
		name string
		ms   []*migration.Migration
		want []string // file: message prefixes
	}{
		{
			name: "duplicate version 0002 and 2",
			ms:   []*migration.Migration{m("", "0001", "a"), m("", "0002", "b"), m("", "2", "c")},
			want: []string{"2_c.sql: duplicate version 2"},
		},
		{
			name: "duplicate ID",
			ms:   []*migration.Migration{m("x", "1", "a"), m("x", "1", "a")},
			want: []string{"x/1_a.sql: duplicate migration ID x/1_a"},
		},
		{
			name: "same version in two chains is fine",
			ms:   []*migration.Migration{m("x", "1", "a"), m("y", "1", "a"), m("", "1", "a")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := graph.New(tt.ms)
			if tt.want == nil {
				require.NoError(t, err)
				assert.Equal(t, len(tt.ms), g.Len())
				return
			}
			var ge *graph.Error
			require.ErrorAs(t, err, &ge)
			assert.Nil(t, g)
			require.Len(t, ge.Errors, len(tt.want))
			for i, w := range tt.want {
				assert.True(t, strings.HasPrefix(ge.Errors[i].Error(), w), ge.Errors[i].Error())
			}
		})
	}
}

func TestCycles(t *testing.T) {
	tests := []struct {
		name      string
		files     files
		wantCycle []string
		wantFile  string
		wantLine  int
	}{
		{
			name:      "self dependency",
			files:     files{"0001_a.sql": "safe: always;depends: 0001_a"},
			wantCycle: []string{"0001_a", "0001_a"},
			wantFile:  "0001_a.sql", wantLine: 2,
		},
		{
			name: "depends on a later migration of its own chain",
			files: files{
				"0001_a.sql": "depends: 2",
				"0002_b.sql": "",
			},
			wantCycle: []string{"0001_a", "0002_b", "0001_a"},
			wantFile:  "0001_a.sql", wantLine: 1,
		},
		{
			name: "two chains depending on each other",
			files: files{
				"0001_a.sql":         "",
				"0002_b.sql":         "depends: billing/2",
				"billing/0001_x.sql": "",
				"billing/0002_y.sql": "depends: 2",
			},
			wantCycle: []string{"0002_b", "billing/0002_y", "0002_b"},
			wantFile:  "0002_b.sql", wantLine: 1,
		},
		{
			name: "three chains through chain edges, named in dependency order",
			files: files{
				"0001_r.sql":      "",
				"a/0001_a.sql":    "",
				"a/0002_a.sql":    "depends: c/0002",
				"b/0001_b.sql":    "depends: a/0002",
				"c/0001_c.sql":    "",
				"c/0002_c.sql":    "depends: b/1",
				"c/0003_late.sql": "",
			},
			wantCycle: []string{"a/0002_a", "c/0002_c", "b/0001_b", "a/0002_a"},
			wantFile:  "a/0002_a.sql", wantLine: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := build(t, tt.files)
			assert.Nil(t, g)
			var ge *graph.Error
			require.ErrorAs(t, err, &ge)
			assert.Equal(t, tt.wantCycle, ge.Cycle)
			require.Len(t, ge.Errors, 1)
			fe := ge.Errors[0]
			assert.Equal(t, tt.wantFile, fe.File)
			assert.Equal(t, tt.wantLine, fe.Line)
			assert.True(t, strings.HasPrefix(err.Error(), tt.wantFile+":"+strconv.Itoa(tt.wantLine)+": dependency cycle: "), err.Error())
			assert.Contains(t, fe.Message, strings.Join(tt.wantCycle, " → "))
		})
	}

	t.Run("cycle reached from a chain edge names it in dependency order", func(t *testing.T) {
		// 0003 depends on x/0002 whose chain predecessor x/0001 depends on 0002,
		// which precedes 0003 — no cycle. Adding 0002 → x/0002 makes one:
		// 0002 → x/0002 → x/0001 → 0002.
		_, err := build(t, files{
			"0001_a.sql":    "",
			"0002_b.sql":    "depends: x/0002",
			"0003_c.sql":    "",
			"x/0001_x.sql":  "depends: 0002",
			"x/0002_xx.sql": "",
		})
		var ge *graph.Error
		require.ErrorAs(t, err, &ge)
		assert.Equal(t, []string{"0002_b", "x/0002_xx", "x/0001_x", "0002_b"}, ge.Cycle)
	})
}

func TestSortAll(t *testing.T) {
	tests := []struct {
		name  string
		files files
		want  []string
	}{
		{
			name: "root chain first, then chains by name",
			files: files{
				"billing/0001_y.sql": "",
				"auth/0001_x.sql":    "",
				"0001_a.sql":         "",
				"0002_b.sql":         "depends: billing/1",
			},
			// Free at start: 0001_a, auth/1, billing/1. 0002_b waits for billing/1.
			want: []string{"0001_a", "auth/0001_x", "billing/0001_y", "0002_b"},
		},
		{
			name: "smallest free, not depth first",
			files: files{
				"0001_a.sql":   "",
				"0002_b.sql":   "",
				"0003_c.sql":   "",
				"a/0001_x.sql": "depends: 1",
				"a/0002_y.sql": "",
			},
			want: []string{"0001_a", "0002_b", "0003_c", "a/0001_x", "a/0002_y"},
		},
		{
			name: "root waits for a chain",
			files: files{
				"0001_a.sql":   "depends: z/0002",
				"0002_b.sql":   "",
				"z/0001_x.sql": "",
				"z/0002_y.sql": "",
				"y/0001_w.sql": "",
			},
			want: []string{"y/0001_w", "z/0001_x", "z/0002_y", "0001_a", "0002_b"},
		},
		{
			name: "versions compare as numbers",
			files: files{
				"9_a.sql":      "",
				"10_b.sql":     "",
				"c/100_x.sql":  "depends: 10",
				"c/0020_y.sql": "",
				"d/3_z.sql":    "depends: c/20",
			},
			want: []string{"9_a", "10_b", "c/0020_y", "c/100_x", "d/3_z"},
		},
		{
			name: "interleaving chains",
			files: files{
				"0001_a.sql":   "",
				"0002_b.sql":   "depends: m/1",
				"0003_c.sql":   "",
				"m/0001_m.sql": "depends: 1",
				"m/0002_n.sql": "depends: 3",
				"k/0001_k.sql": "depends: m/2",
			},
			want: []string{"0001_a", "m/0001_m", "0002_b", "0003_c", "m/0002_n", "k/0001_k"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := mustBuild(t, tt.files)
			assert.Equal(t, tt.want, idsOf(g, g.SortAll()))
		})
	}
}

func TestSortSubset(t *testing.T) {
	g := mustBuild(t, files{
		"0001_a.sql":   "",
		"0002_b.sql":   "",
		"0003_c.sql":   "depends: x/2",
		"x/0001_x.sql": "",
		"x/0002_y.sql": "",
		"y/0001_z.sql": "depends: 2",
	})
	tests := []struct {
		name    string
		include []string
		want    []string
	}{
		{"empty", nil, []string{}},
		{"one", []string{"x/0002_y"}, []string{"x/0002_y"}},
		{"dependencies outside count as satisfied", []string{"0003_c", "y/0001_z"}, []string{"0003_c", "y/0001_z"}},
		{"dependencies inside are respected", []string{"0003_c", "x/0002_y", "y/0001_z"}, []string{"x/0002_y", "0003_c", "y/0001_z"}},
		{"everything", []string{"0001_a", "0002_b", "0003_c", "x/0001_x", "x/0002_y", "y/0001_z"},
			[]string{"0001_a", "0002_b", "x/0001_x", "x/0002_y", "0003_c", "y/0001_z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			include := make([]bool, g.Len())
			for _, id := range tt.include {
				i, ok := g.Index(id)
				require.True(t, ok)
				include[i] = true
			}
			assert.Equal(t, tt.want, idsOf(g, g.Sort(include)))
		})
	}
}

func TestAncestors(t *testing.T) {
	g := mustBuild(t, files{
		"0001_a.sql":   "",
		"0002_b.sql":   "",
		"0003_c.sql":   "depends: x/1",
		"x/0001_x.sql": "",
		"x/0002_y.sql": "depends: 3",
		"y/0001_z.sql": "",
	})
	tests := []struct {
		id   string
		want []string
	}{
		{"0001_a", []string{}},
		{"0003_c", []string{"0001_a", "0002_b", "x/0001_x"}},
		{"x/0002_y", []string{"0001_a", "0002_b", "0003_c", "x/0001_x"}},
		{"y/0001_z", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			i, ok := g.Index(tt.id)
			require.True(t, ok)
			assert.Equal(t, tt.want, idsOf(g, g.Ancestors(i)))
		})
	}
}

func TestLookup(t *testing.T) {
	g := mustBuild(t, files{"0001_a.sql": "", "x/0002_b.sql": ""})
	m, ok := g.Lookup("x/0002_b")
	require.True(t, ok)
	assert.Equal(t, "x", m.Chain)
	_, ok = g.Lookup("x/0002")
	assert.False(t, ok, "Lookup takes full IDs only")
	_, ok = g.Index("nope")
	assert.False(t, ok)
	assert.Len(t, g.Migrations(), 2)
}

// TestInputOrderDoesNotMatter shuffles the migrations given to New: the
// graph and its order are the same.
func TestInputOrderDoesNotMatter(t *testing.T) {
	ms, err := migration.Load(files{
		"0001_a.sql":   "",
		"0002_b.sql":   "depends: m/1",
		"0003_c.sql":   "",
		"m/0001_m.sql": "depends: 1",
		"m/0002_n.sql": "depends: 3",
		"k/0001_k.sql": "depends: m/2",
	}.fs(), migration.Options{})
	require.NoError(t, err)
	g0, err := graph.New(ms)
	require.NoError(t, err)
	want := idsOf(g0, g0.SortAll())
	r := rand.New(rand.NewPCG(7, 7))
	for range 20 {
		r.Shuffle(len(ms), func(i, j int) { ms[i], ms[j] = ms[j], ms[i] })
		g, err := graph.New(ms)
		require.NoError(t, err)
		assert.Equal(t, want, idsOf(g, g.SortAll()))
	}
}
