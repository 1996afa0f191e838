package planner_test

import (
	"fmt"
	"math/rand/v2"
	"path"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/safemigrate/safemigrate/graph"
	"github.com/safemigrate/safemigrate/migration"
	"github.com/safemigrate/safemigrate/planner"
	"github.com/stretchr/testify/require"
)

// benchRepo is a generated migrations directory: files in an in-memory FS
// and the IDs in creation order (a topological order).
type benchRepo struct {
	fsys    fstest.MapFS
	created []string
	after   map[string]bool // after_deploy migrations
	bytes   int
}

// genRepo writes n migrations in chains chains (the root chain and
// chains-1 named ones), as a team would over years: real headers, a few SQL
// statements each, and cross-chain depends on earlier migrations in all
// three reference forms.
func genRepo(n, chains int) *benchRepo {
	r := rand.New(rand.NewPCG(10000, 20))
	repo := &benchRepo{fsys: fstest.MapFS{}, after: map[string]bool{}}
	names := []string{""}
	for k := 1; k < chains; k++ {
		names = append(names, fmt.Sprintf("app%02d", k))
	}
	type made struct{ chain, version, id string }
	var all []made
	next := make([]int, chains)
	ts := time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)
	for k := range n {
		c := r.IntN(chains)
		next[c]++
		var version string
		if c%2 == 0 {
			version = fmt.Sprintf("%04d", next[c]) // sequential
		} else {
			ts = ts.Add(time.Duration(1+r.IntN(3600*6)) * time.Second)
			version = ts.Format("20060102150405") // timestamps
		}
		name := fmt.Sprintf("change_%d_%s", k, []string{"users", "invoices", "events", "orders", "audit"}[r.IntN(5)])
		id := version + "_" + name
		if names[c] != "" {
			id = names[c] + "/" + id
		}
		var h strings.Builder
		fmt.Fprintf(&h, "-- %s: generated migration %d for the benchmark.\n", id, k)
		safe := "before_deploy"
		switch x := r.IntN(10); {
		case x < 2:
			safe = "always"
		case x < 4:
			safe = "after_deploy"
			repo.after[id] = true
		}
		fmt.Fprintf(&h, "-- safe: %s\n", safe)
		if safe == "after_deploy" && r.IntN(3) == 0 {
			h.WriteString("-- delay: 7d\n")
		}
		if len(all) > 0 && r.IntN(10) == 0 {
			var refs []string
			for range 1 + r.IntN(2) {
				t := all[r.IntN(len(all))]
				switch {
				case r.IntN(2) == 0:
					refs = append(refs, t.id)
				case t.chain == "":
					refs = append(refs, t.version)
				default:
					refs = append(refs, t.chain+"/"+t.version)
				}
			}
			fmt.Fprintf(&h, "-- depends: %s\n", strings.Join(refs, ", "))
		}
		if r.IntN(20) == 0 {
			h.WriteString("-- transaction: false\n-- lock_timeout: 10s\n")
		}
		h.WriteString("\n")
		fmt.Fprintf(&h, "ALTER TABLE t%d ADD COLUMN c%d text;\n", k%97, k)
		fmt.Fprintf(&h, "UPDATE t%d SET c%d = 'value ' || id WHERE c%d IS NULL; -- safe: not a header\n", k%97, k, k)
		for range r.IntN(6) {
			fmt.Fprintf(&h, "CREATE INDEX IF NOT EXISTS i%d_%d ON t%d (c%d, created_at) WHERE deleted_at IS NULL;\n", k, r.IntN(1000), k%97, k)
		}
		p := path.Join(names[c], id[strings.LastIndexByte(id, '/')+1:]+".sql")
		repo.fsys[p] = &fstest.MapFile{Data: []byte(h.String())}
		repo.bytes += h.Len()
		all = append(all, made{names[c], version, id})
		repo.created = append(repo.created, id)
	}
	return repo
}

// peakHeap samples the bytes of live heap objects while a benchmark runs.
type peakHeap struct {
	stop chan struct{}
	wg   sync.WaitGroup
	mu   sync.Mutex
	max  uint64
}

const heapMetric = "/memory/classes/heap/objects:bytes"

func startPeakHeap() *peakHeap {
	p := &peakHeap{stop: make(chan struct{})}
	p.sample()
	p.wg.Go(func() {
		tick := time.NewTicker(200 * time.Microsecond)
		defer tick.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-tick.C:
				p.sample()
			}
		}
	})
	return p
}

func (p *peakHeap) sample() {
	s := []metrics.Sample{{Name: heapMetric}}
	metrics.Read(s)
	p.mu.Lock()
	p.max = max(p.max, s[0].Value.Uint64())
	p.mu.Unlock()
}

func (p *peakHeap) done() uint64 {
	p.sample()
	close(p.stop)
	p.wg.Wait()
	return p.max
}

// BenchmarkLoadAndPlan loads 10,000 migrations in 20 chains from an
// in-memory FS, builds the graph and plans a strict pre-deploy:
//
//   - applied=98%: a production database with the last 200 migrations pending;
//   - applied=0%: `plan --offline`, everything pending (the worst case for
//     delayed and blocked bookkeeping).
//
// Besides ns/op and allocations it reports ms/op and peak-heap-MB, the
// largest live heap seen while it ran (the generated files, about
// 5 MB, included).
func BenchmarkLoadAndPlan(b *testing.B) {
	const n, chains = 10_000, 20
	repo := genRepo(n, chains)
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	for _, bc := range []struct {
		name    string
		applied int
	}{
		{"applied=98%", n - 200},
		{"applied=0%", 0},
	} {
		applied := map[string]string{}
		detected := map[string]time.Time{}
		for k, id := range repo.created {
			switch {
			case k < bc.applied:
				applied[id] = ""
			case repo.after[id] && k%2 == 0:
				detected[id] = now.Add(-8 * 24 * time.Hour)
			}
		}
		b.Run(bc.name, func(b *testing.B) {
			runtime.GC()
			peak := startPeakHeap()
			b.ReportAllocs()
			var p *planner.Plan
			for b.Loop() {
				ms, err := migration.Load(repo.fsys, migration.Options{})
				if err != nil {
					b.Fatal(err)
				}
				g, err := graph.New(ms)
				if err != nil {
					b.Fatal(err)
				}
				p, err = planner.New(planner.Input{
					Graph: g, Applied: applied, Detected: detected, Now: now,
					Phase: planner.PreDeploy, Mode: planner.Strict,
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			maxHeap := peak.done()
			b.ReportMetric(float64(b.Elapsed())/float64(time.Millisecond)/float64(b.N), "ms/op")
			b.ReportMetric(float64(maxHeap)/(1<<20), "peak-heap-MB")
			require.Equal(b, n-bc.applied, len(p.Run)+len(p.Delayed)+len(p.Blocked))
		})
	}
}

// TestBenchRepoIsValid keeps the benchmark's input honest: it loads, it is
// a valid graph with cross-chain edges, and the realistic plan has work in
// every bucket.
func TestBenchRepoIsValid(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 10,000 files")
	}
	repo := genRepo(10_000, 20)
	ms, err := migration.Load(repo.fsys, migration.Options{})
	require.NoError(t, err)
	require.Len(t, ms, 10_000)
	g, err := graph.New(ms)
	require.NoError(t, err)
	chains := map[string]bool{}
	cross := 0
	for i, m := range g.Migrations() {
		chains[m.Chain] = true
		for _, d := range g.Deps(i) {
			if g.At(d).Chain != m.Chain {
				cross++
			}
		}
	}
	require.Len(t, chains, 20)
	require.Greater(t, cross, 500)
}
