package fleet_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/fleet"
	"github.com/safemigrate/safemigrate/internal/pgtest"
	"github.com/safemigrate/safemigrate/pgcluster"
	"github.com/safemigrate/safemigrate/planner"
)

// secondCluster starts another throwaway server for the test, reached
// through a proxy that the test can stop and start again, as a server
// that goes down and comes back.
func secondCluster(t *testing.T) (*pgcluster.Cluster, *proxy) {
	t.Helper()
	c, err := pgcluster.Start(context.Background(), pgcluster.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Stop() })
	dir, err := os.MkdirTemp("", "fp") // short: a socket path must fit in ~100 bytes
	require.NoError(t, err)
	require.NoError(t, os.Chmod(dir, 0o700))
	t.Cleanup(func() { os.RemoveAll(dir) })
	name := ".s.PGSQL." + strconv.Itoa(c.Port())
	p := &proxy{dir: dir, path: filepath.Join(dir, name), target: filepath.Join(c.SocketDir(), name)}
	p.start(t)
	t.Cleanup(p.stop)
	return c, p
}

// proxy forwards a Unix socket to a server's socket.
type proxy struct {
	dir, path, target string
	mu                sync.Mutex
	ln                net.Listener
	conns             []net.Conn
}

func (p *proxy) start(t *testing.T) {
	t.Helper()
	_ = os.Remove(p.path)
	ln, err := net.Listen("unix", p.path)
	require.NoError(t, err)
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("unix", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, u)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(u, c); u.Close() }()
			go func() { _, _ = io.Copy(c, u); c.Close() }()
		}
	}()
}

// stop makes the server unreachable: no new connections, and the open
// ones cut.
func (p *proxy) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// via rewrites a URL of the proxied cluster to go through the proxy.
func (p *proxy) via(c *pgcluster.Cluster, url string) string {
	return strings.Replace(url, "host="+urlEscape(c.SocketDir()), "host="+urlEscape(p.dir), 1)
}

func urlEscape(s string) string { return strings.ReplaceAll(s, "/", "%2F") }

// databaseURL returns the URL of database name on the proxied cluster.
func createOn(t *testing.T, c *pgcluster.Cluster, name string) string {
	t.Helper()
	url, err := c.CreateDatabase(context.Background(), name)
	require.NoError(t, err)
	return url
}

func connectURL(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func appliedIn(t *testing.T, url string) []string {
	t.Helper()
	conn := connectURL(t, url)
	var ok bool
	require.NoError(t, conn.QueryRow(context.Background(), `SELECT to_regclass('public.safemigrate_migrations') IS NOT NULL`).Scan(&ok))
	if !ok {
		return []string{}
	}
	rows, err := conn.Query(context.Background(), `SELECT id FROM public.safemigrate_migrations ORDER BY id`)
	require.NoError(t, err)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	if ids == nil {
		ids = []string{}
	}
	return ids
}

func passwordOf(url string) string {
	_, pw := splitPassword(url)
	return pw
}

func splitPassword(url string) (string, string) {
	at := strings.Index(url, "@")
	colon := strings.LastIndex(url[:at], ":")
	return url[:colon] + url[at:], url[colon+1 : at]
}

func TestDatabaseFleetAcrossTwoServers(t *testing.T) {
	// 24 databases, alternately on the test server and on a second one
	// behind a proxy. One tenant's data breaks 0002: nothing is applied
	// anywhere. Then the second server goes down in the middle of the
	// apply pass: the run fails, reports every tenant's state, and a
	// rerun once it is back finishes the job.
	b, px := secondCluster(t)
	var urls []string
	for i := range 24 {
		if i%2 == 0 {
			urls = append(urls, pgtest.NewDatabase(t))
		} else {
			urls = append(urls, px.via(b, createOn(t, b, fmt.Sprintf("tenant_%02d", i))))
		}
	}
	broken := urls[7] // on the second server
	bad := connectURL(t, broken)
	_, err := bad.Exec(context.Background(), `CREATE TABLE b (id int PRIMARY KEY); INSERT INTO b VALUES (1)`)
	require.NoError(t, err)
	g := load(t,
		"0001_a.sql", "-- safe: before_deploy\nCREATE TABLE a (id int);\n",
		"0002_b.sql", "-- safe: before_deploy\nCREATE TABLE IF NOT EXISTS b (id int PRIMARY KEY);\nINSERT INTO b VALUES (1);\n",
	)
	f, err := fleet.NewDatabases(ctx(t), fleet.DatabaseSource{URLs: urls})
	require.NoError(t, err)
	names := f.Schemas()
	require.Len(t, names, 24)
	secrets := []string{passwordOf(urls[0]), passwordOf(urls[1])}
	noSecrets := func(s string) {
		t.Helper()
		for _, pw := range secrets {
			require.NotContains(t, s, pw)
		}
	}
	for _, n := range names {
		noSecrets(n)
		assert.Regexp(t, `^/.+/(tenant_\d\d|[a-z0-9_]+)$`, n)
	}

	// Budget: 6 at a time, 2 per server; sampled on both servers while it runs.
	var maxA, maxB atomic.Int64
	admA, admB := connectURL(t, urls[0]), connectURL(t, urls[1])
	count := func(conn *pgx.Conn, max *atomic.Int64) {
		var n int64
		_ = conn.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity WHERE application_name = 'safemigrate' AND pid <> pg_backend_pid()`).Scan(&n)
		if n > max.Load() {
			max.Store(n)
		}
	}
	log := &syncBuffer{}
	opts := fleet.Options{Exec: executor.Options{Phase: planner.PostDeploy, Log: log}, Jobs: 6, JobsPerServer: 2}
	opts.Progress = func(fleet.Progress) { count(admA, &maxA); count(admB, &maxB) }

	res, err := f.Run(ctx(t), g, opts)
	require.Error(t, err)
	assert.ErrorIs(t, err, executor.ErrPreflight)
	var fe *fleet.Error
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, fleet.PassPreflight, fe.Pass)
	require.Len(t, fe.Failures, 1)
	assert.Equal(t, names[7], fe.Failures[0].Tenant)
	assert.Contains(t, err.Error(), names[7])
	for i, u := range urls {
		assert.Empty(t, appliedIn(t, u), "tenant %d", i)
	}
	js, jerr := json.Marshal(res)
	require.NoError(t, jerr)
	noSecrets(string(js) + err.Error() + log.String())
	assert.LessOrEqual(t, maxA.Load(), int64(2))
	assert.LessOrEqual(t, maxB.Load(), int64(2))
	assert.Positive(t, maxB.Load())

	// Fix the data; the second server goes down after 6 tenants are applied.
	_, err = bad.Exec(context.Background(), `DROP TABLE b`)
	require.NoError(t, err)
	var applied atomic.Int64
	var once sync.Once
	opts.Progress = func(p fleet.Progress) {
		if p.Pass == fleet.PassApply && p.State == fleet.StateApplied && applied.Add(1) == 6 {
			once.Do(px.stop)
		}
	}
	res, err = f.Run(ctx(t), g, opts)
	require.Error(t, err)
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, fleet.PassApply, fe.Pass)
	st := states(res)
	done := 0
	for i, n := range names {
		if st[n] == fleet.StateApplied {
			done++
			assert.Equal(t, []string{"0001_a", "0002_b"}, res.Tenants[i].Applied)
		}
	}
	assert.GreaterOrEqual(t, done, 6)
	assert.Less(t, done, 24)
	for _, tf := range fe.Failures {
		assert.Contains(t, tf.Tenant, "tenant_", "only tenants of the stopped server fail")
	}
	js, _ = json.Marshal(res)
	noSecrets(string(js) + err.Error() + log.String())

	// The server is back: a rerun finishes the job, every migration once.
	px.start(t)
	opts.Progress = nil
	res, err = f.Run(ctx(t), g, opts)
	require.NoError(t, err)
	assert.True(t, res.OK)
	for i, u := range urls {
		assert.Equal(t, []string{"0001_a", "0002_b"}, appliedIn(t, u), "tenant %d", i)
	}
	res, err = f.Run(ctx(t), g, opts)
	require.NoError(t, err)
	assert.Empty(t, res.Applied)
}

func TestDatabaseFleetWithSchemas(t *testing.T) {
	// Each schema of each database is a tenant; a database without one
	// of the schemas fails that tenant before anything is applied.
	t.Parallel()
	ds := []*db{newDB(t, "s1", "s2"), newDB(t, "s1", "s2"), newDB(t, "s1")}
	g := load(t, "0001_a.sql", "-- safe: before_deploy\nCREATE TABLE a (id int);\nSET search_path TO public;\n",
		"0002_b.sql", "-- safe: before_deploy\nCREATE TABLE b (id int);\n")
	f, err := fleet.NewDatabases(ctx(t), fleet.DatabaseSource{URLs: []string{ds[0].url, ds[1].url, ds[2].url}, Schemas: []string{"s1", "s2"}})
	require.NoError(t, err)
	names := f.Schemas()
	require.Len(t, names, 6)
	assert.True(t, strings.HasSuffix(names[5], "/s2"), names[5])
	assert.Equal(t, fleet.DatabaseName(ds[2].target)+"/s2", names[5])

	res, err := f.Run(ctx(t), g, fleet.Options{Exec: executor.Options{Phase: planner.PostDeploy}, Jobs: 2})
	require.Error(t, err)
	var fe *fleet.Error
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, fleet.PassPreflight, fe.Pass)
	require.Len(t, fe.Failures, 1)
	assert.Equal(t, names[5], fe.Failures[0].Tenant)
	assert.Contains(t, err.Error(), `tenant schema "s2" does not exist in `+fleet.DatabaseName(ds[2].target)+`; nothing was run`)
	assert.ErrorIs(t, err, fleet.ErrSchema)
	assert.Equal(t, fleet.StatePreflighted, res.Tenants[0].State)
	for _, d := range ds {
		assert.Empty(t, d.applied(t, "s1"))
	}

	ds[2].exec(t, "CREATE SCHEMA s2")
	_, err = f.Run(ctx(t), g, fleet.Options{Exec: executor.Options{Phase: planner.PostDeploy}, Jobs: 2})
	require.NoError(t, err)
	for _, d := range ds {
		for _, s := range []string{"s1", "s2"} {
			// The workers kept their connection from s1 to s2, and the
			// SET search_path of 0001 did not send 0002 to public.
			assert.Equal(t, []string{"0001_a", "0002_b"}, d.applied(t, s), s)
			assert.Equal(t, []string{"a", "b", "safemigrate_detected", "safemigrate_migrations"}, d.tables(t, s), s)
		}
		assert.Empty(t, d.tables(t, "public"))
	}
}

func TestDatabaseFleetReplansUnderTheLockBeforeApplying(t *testing.T) {
	// Between a tenant's rehearsal and its apply its lock is not held:
	// the apply pass plans it again. Another run that applied part of
	// the rehearsed migrations leaves the rest to apply; a tenant whose
	// pending migrations are not the rehearsed ones is not applied.
	t.Parallel()
	a, b := newDB(t), newDB(t)
	g := load(t, "0001_a.sql", "-- safe: before_deploy\nCREATE TABLE a (id int);\n",
		"0002_b.sql", "-- safe: before_deploy\nCREATE TABLE b (id int);\n")
	first := load(t, "0001_a.sql", "-- safe: before_deploy\nCREATE TABLE a (id int);\n")
	_, err := executor.Run(ctx(t), b.target, first, executor.Options{Phase: planner.PostDeploy})
	require.NoError(t, err)
	f, err := fleet.NewDatabases(ctx(t), fleet.DatabaseSource{URLs: []string{a.url, b.url}})
	require.NoError(t, err)
	var once sync.Once
	opts := fleet.Options{Exec: executor.Options{Phase: planner.PostDeploy}, Jobs: 1}
	opts.Progress = func(p fleet.Progress) {
		if p.Pass != fleet.PassPreflight || p.Done != 2 {
			return
		}
		once.Do(func() {
			// a: another run applies 0001 meanwhile. b: its 0001 row
			// vanishes, so 0001 is pending again, unrehearsed.
			_, err := executor.Run(context.Background(), a.target, first, executor.Options{Phase: planner.PostDeploy})
			assert.NoError(t, err)
			b.exec(t, `DELETE FROM public.safemigrate_migrations WHERE id = '0001_a'`)
		})
	}
	res, err := f.Run(ctx(t), g, opts)
	require.Error(t, err)
	assert.ErrorIs(t, err, fleet.ErrChanged)
	assert.Equal(t, []string{"0002_b"}, res.Tenants[0].Applied)
	assert.Equal(t, fleet.StateApplied, res.Tenants[0].State)
	assert.Equal(t, fleet.StateFailed, res.Tenants[1].State)
	assert.Contains(t, err.Error(), "rehearsed 0002_b, now pending 0001_a, 0002_b")
	assert.Equal(t, []string{"0001_a", "0002_b"}, a.applied(t, "public"))
	assert.Empty(t, b.applied(t, "public"))
}

func TestConcurrentFleetRunsApplyEachMigrationOnce(t *testing.T) {
	t.Parallel()
	g := load(t,
		"0001_log.sql", "-- safe: before_deploy\nCREATE TABLE IF NOT EXISTS log (n serial, note text);\n",
		"0002_one.sql", "-- safe: before_deploy\nINSERT INTO log (note) VALUES ('0002');\n",
		"0003_two.sql", "-- safe: before_deploy\nINSERT INTO log (note) VALUES ('0003');\n",
	)
	check := func(t *testing.T, d *db, schema string) {
		t.Helper()
		assert.Equal(t, []string{"0001_log", "0002_one", "0003_two"}, d.applied(t, schema))
		assert.Equal(t, []string{"0002", "0003"}, d.strings(t, `SELECT note FROM `+pgx.Identifier{schema, "log"}.Sanitize()+` ORDER BY n`))
	}
	eight := func(t *testing.T, f *fleet.Fleet) {
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = f.Run(ctx(t), g, fleet.Options{Exec: executor.Options{Phase: planner.PostDeploy}, Jobs: 2})
			}()
		}
		wg.Wait()
		for i, err := range errs {
			assert.NoError(t, err, "run %d", i)
		}
	}
	t.Run("databases", func(t *testing.T) {
		t.Parallel()
		var ds []*db
		var urls []string
		for range 6 {
			d := newDB(t)
			ds = append(ds, d)
			urls = append(urls, d.url)
		}
		f, err := fleet.NewDatabases(ctx(t), fleet.DatabaseSource{URLs: urls})
		require.NoError(t, err)
		eight(t, f)
		for _, d := range ds {
			check(t, d, "public")
		}
	})
	t.Run("schemas", func(t *testing.T) {
		t.Parallel()
		schemas := []string{"a", "b", "c", "d", "e", "f"}
		d := newDB(t, schemas...)
		eight(t, d.fleetOf(t, fleet.Source{Schemas: schemas}))
		for _, s := range schemas {
			check(t, d, s)
		}
	})
}

func TestNewDatabasesRefusesBadLists(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	_, err := fleet.NewDatabases(ctx(t), fleet.DatabaseSource{URLs: []string{d.url, d.url}})
	assert.ErrorIs(t, err, fleet.ErrDatabases)
	assert.Contains(t, err.Error(), "listed more than once")
	assert.NotContains(t, err.Error(), passwordOf(d.url))
	_, err = fleet.NewDatabases(ctx(t), fleet.DatabaseSource{URLs: []string{"postgres://u:s3cret-pw@h:5432/x?sslmode=bogus"}})
	assert.ErrorIs(t, err, fleet.ErrDatabases)
	assert.Contains(t, err.Error(), "entry 1")
	assert.NotContains(t, err.Error(), "s3cret-pw")
	_, err = fleet.NewDatabases(ctx(t), fleet.DatabaseSource{URLs: []string{"postgres://u:s3cret-pw@h1:5699,h2:5612/x"}})
	assert.ErrorIs(t, err, fleet.ErrDatabases)
	assert.Contains(t, err.Error(), "entry 1 lists several hosts")
	assert.NotContains(t, err.Error(), "s3cret-pw")
	_, err = fleet.NewDatabases(ctx(t), fleet.DatabaseSource{})
	assert.ErrorIs(t, err, fleet.ErrDatabases)

	// A query lists them, read-only, on another database.
	d.exec(t, `CREATE TABLE tenants (url text)`)
	d.exec(t, `INSERT INTO tenants VALUES ($1)`, d.url)
	f, err := fleet.NewDatabases(ctx(t), fleet.DatabaseSource{Query: `SELECT url FROM tenants`, Via: d.target})
	require.NoError(t, err)
	assert.Equal(t, []string{fleet.DatabaseName(d.target)}, f.Schemas())
	_, err = fleet.NewDatabases(ctx(t), fleet.DatabaseSource{Query: `SELECT url, 1 FROM tenants`, Via: d.target})
	assert.ErrorIs(t, err, fleet.ErrQuery)
	assert.NotContains(t, err.Error(), passwordOf(d.url))
}

func TestWorkersKeepTheirConnectionsFromTenantToTenant(t *testing.T) {
	// 12 tenants, 2 at a time: the apply pass runs on 2 backends, not
	// one new connection per tenant and pass.
	t.Parallel()
	var schemas []string
	for i := range 12 {
		schemas = append(schemas, fmt.Sprintf("t%02d", i))
	}
	d := newDB(t, schemas...)
	d.exec(t, `CREATE TABLE public.pids (schema text, pid int)`)
	g := load(t, "0001_pid.sql", "-- safe: always\nCREATE TABLE x (id int);\nINSERT INTO public.pids SELECT current_schema(), pg_backend_pid();\n")
	f := d.fleetOf(t, fleet.Source{Schemas: schemas, SearchPath: []string{"public"}})
	_, err := f.Run(ctx(t), g, fleet.Options{Exec: executor.Options{Phase: planner.PostDeploy}, Jobs: 2})
	require.NoError(t, err)
	assert.Len(t, d.strings(t, `SELECT DISTINCT schema FROM public.pids`), 12)
	assert.LessOrEqual(t, len(d.strings(t, `SELECT DISTINCT pid::text FROM public.pids`)), 2)
}
