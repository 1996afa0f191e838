package safemigrate_test

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
	"time"

	"github.com/safemigrate/safemigrate"
	"github.com/safemigrate/safemigrate/internal/pgtest"
)

// exampleTB lends pgtest the bits of a testing.TB that it uses, so that
// examples get a fresh database too. Each example's database is dropped
// when the next one asks for its own, the last one after the examples
// (with pgtest's own server, stopping it drops them all anyway).
type exampleTB struct {
	testing.TB
	name string
}

var exampleCleanups []func()

func (exampleTB) Helper()                           {}
func (t exampleTB) Name() string                    { return t.name }
func (exampleTB) Context() context.Context          { return context.Background() }
func (exampleTB) Cleanup(f func())                  { exampleCleanups = append(exampleCleanups, f) }
func (exampleTB) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
func (exampleTB) Error(args ...any)                 { panic(fmt.Sprint(args...)) }
func (exampleTB) Logf(format string, args ...any)   {}
func (exampleTB) Fatal(args ...any)                 { panic(fmt.Sprint(args...)) }
func (exampleTB) Skipf(format string, args ...any)  { panic("skip: " + fmt.Sprintf(format, args...)) }

func (exampleTB) Errorf(format string, args ...any) {
	if examplesDone {
		fmt.Fprintf(os.Stderr, "example cleanup: "+format+"\n", args...)
		return
	}
	panic(fmt.Sprintf(format, args...))
}

// databaseURL returns the URL of a fresh, empty database: in a program,
// os.Getenv("DATABASE_URL").
func databaseURL() string {
	runExampleCleanups()
	return pgtest.NewDatabase(exampleTB{name: "Example"})
}

// examplesDone makes cleanup errors after the tests warnings.
var examplesDone bool

func runExampleCleanups() {
	for i := len(exampleCleanups) - 1; i >= 0; i-- {
		exampleCleanups[i]()
	}
	exampleCleanups = nil
}

func cleanupExamples() {
	examplesDone = true
	runExampleCleanups()
}

//go:embed migrations_example
var embedded embed.FS

// The migrations are embedded in the program; a release phase runs the
// pre-deploy phase, and the errors say what to do.
func Example() {
	ctx := context.Background()
	migrations, _ := fs.Sub(embedded, "migrations_example")
	p, err := safemigrate.New(migrations,
		safemigrate.WithDatabaseURL(databaseURL()), // os.Getenv("DATABASE_URL")
		safemigrate.WithMode(safemigrate.Nonstrict),
	)
	if err != nil {
		log.Fatal(err)
	}
	rep, err := p.Migrate(ctx, safemigrate.MigrateOptions{Phase: safemigrate.PreDeploy, Initial: true})
	var partial *safemigrate.PartialError
	switch {
	case errors.Is(err, safemigrate.ErrBlocked): // nothing ran: deploy, then run post-deploy
	case errors.Is(err, safemigrate.ErrPreflight): // the rehearsal failed: nothing was applied
	case errors.As(err, &partial): // partial.Applied stay applied; a rerun continues
	case err != nil:
		log.Fatal(err)
	}
	fmt.Println(len(rep.Applied), "applied")
	// Output: 16 applied
}

var small3 = fstest.MapFS{
	"0001_accounts.sql":       {Data: []byte("-- safe: before_deploy\nCREATE TABLE accounts (id int PRIMARY KEY, legacy text);\n")},
	"0002_accounts_email.sql": {Data: []byte("-- safe: before_deploy\nALTER TABLE accounts ADD COLUMN email text;\n")},
	"0003_drop_legacy.sql":    {Data: []byte("-- safe: after_deploy\nALTER TABLE accounts DROP COLUMN legacy;\n")},
}

func ExampleNew() {
	p, err := safemigrate.New(os.DirFS("migrations_example"),
		safemigrate.WithRoot("migrations_example"), // messages name files under it
		safemigrate.WithLockTimeout(2*time.Second),
		safemigrate.WithLog(os.Stderr),
	)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.Tenants())
	// Output: false
}

func ExampleProvider_Plan() {
	p, _ := safemigrate.New(small3)
	plan, err := p.Plan(context.Background(), safemigrate.PlanOptions{Phase: safemigrate.PreDeploy, Applied: []string{"0001_accounts"}})
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range plan.Run {
		fmt.Println("run", s.ID)
	}
	for _, s := range plan.Delayed {
		fmt.Println("later", s.ID, "-", s.Reason)
	}
	// Output:
	// run 0002_accounts_email
	// later 0003_drop_legacy - runs in post-deploy
}

func ExampleProvider_Migrate() {
	ctx := context.Background()
	p, _ := safemigrate.New(small3, safemigrate.WithDatabaseURL(databaseURL()))
	rep, err := p.Migrate(ctx, safemigrate.MigrateOptions{Phase: safemigrate.PreDeploy})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("applied:", rep.Applied)
	fmt.Println("waits for post-deploy:", rep.Detected)
	// Output:
	// applied: [0001_accounts 0002_accounts_email]
	// waits for post-deploy: [0003_drop_legacy]
}

func ExampleProvider_Preflight() {
	ctx := context.Background()
	broken := fstest.MapFS{
		"0001_accounts.sql": {Data: []byte("-- safe: before_deploy\nCREATE TABLE accounts (id int PRIMARY KEY);\n")},
		"0002_typo.sql":     {Data: []byte("-- safe: before_deploy\nALTER TABLE acounts ADD COLUMN email text;\n")},
	}
	p, _ := safemigrate.New(broken, safemigrate.WithDatabaseURL(databaseURL()))
	rep, err := p.Preflight(ctx, safemigrate.PreflightOptions{})
	fmt.Println(errors.Is(err, safemigrate.ErrPreflight))
	for _, m := range rep.Preflight.Migrations {
		fmt.Println(m.ID, m.Status)
	}
	fmt.Println(rep.Preflight.Migrations[1].Error.SQLState)
	// Output:
	// true
	// 0001_accounts ok
	// 0002_typo failed
	// 42P01
}

func ExampleProvider_Status() {
	ctx := context.Background()
	p, _ := safemigrate.New(small3, safemigrate.WithDatabaseURL(databaseURL()))
	if _, err := p.Migrate(ctx, safemigrate.MigrateOptions{Phase: safemigrate.PreDeploy}); err != nil {
		log.Fatal(err)
	}
	st, err := p.Status(ctx, safemigrate.StatusOptions{})
	if err != nil {
		log.Fatal(err)
	}
	for _, m := range st.Migrations {
		fmt.Println(m.ID, m.State)
	}
	fmt.Println("up to date:", st.OK)
	// Output:
	// 0001_accounts applied
	// 0002_accounts_email applied
	// 0003_drop_legacy pending
	// up to date: false
}

func ExampleProvider_Baseline() {
	p, _ := safemigrate.New(small3, safemigrate.WithDatabaseURL(databaseURL()))
	rep, err := p.Baseline(context.Background(), "0002_accounts_email")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(rep.Recorded)
	// Output: [0001_accounts 0002_accounts_email]
}

func ExampleProvider_Graph() {
	p, _ := safemigrate.New(small3)
	g, err := p.Graph(context.Background(), safemigrate.GraphOptions{Applied: []string{"0001_accounts"}})
	if err != nil {
		log.Fatal(err)
	}
	for _, n := range g.Migrations {
		fmt.Println(n.ID, n.State, n.DependsOn)
	}
	// Output:
	// 0001_accounts applied []
	// 0002_accounts_email pending [0001_accounts]
	// 0003_drop_legacy pending [0002_accounts_email]
}

func ExampleProvider_Suggest() {
	undeclared := fstest.MapFS{"0001_drop.sql": {Data: []byte("DROP TABLE accounts;\n")}}
	p, _ := safemigrate.New(undeclared)
	rep, err := p.Suggest(context.Background(), safemigrate.SuggestOptions{})
	if err != nil {
		log.Fatal(err)
	}
	m := rep.Migrations[0]
	fmt.Println(m.ID, *m.Suggested, "-", m.Reason)
	// Output: 0001_drop after_deploy - drops table accounts: old code using it fails
}

func ExampleProvider_Lint() {
	risky := fstest.MapFS{"0001_index.sql": {Data: []byte("-- safe: before_deploy\nCREATE INDEX accounts_email ON accounts (email);\n")}}
	p, _ := safemigrate.New(risky)
	rep, err := p.Lint(context.Background(), safemigrate.LintOptions{})
	if err != nil {
		log.Fatal(err)
	}
	for _, d := range rep.Diagnostics {
		fmt.Println(d.Line, d.Rule)
	}
	fmt.Println("ok:", rep.OK)
	// Output:
	// 2 require-concurrent-index
	// ok: false
}

func ExampleProvider_Create() {
	dir, _ := os.MkdirTemp("", "migrations")
	defer os.RemoveAll(dir)
	p, _ := safemigrate.New(os.DirFS(dir), safemigrate.WithRoot(dir))
	rep, err := p.Create(safemigrate.CreateOptions{Name: "add email to users", Safe: safemigrate.BeforeDeploy})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(filepath.Base(rep.Path))
	// Output: 0001_add_email_to_users.sql
}

func ExampleWithTenants() {
	ctx := context.Background()
	url := databaseURL()
	conn := pgtest.Connect(exampleTB{name: "ExampleWithTenants"}, url)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA acme; CREATE SCHEMA globex"); err != nil {
		log.Fatal(err)
	}
	p, _ := safemigrate.New(small3, safemigrate.WithDatabaseURL(url),
		safemigrate.WithTenants(safemigrate.Tenants{Schemas: []string{"acme", "globex"}}))
	rep, err := p.Migrate(ctx, safemigrate.MigrateOptions{Phase: safemigrate.PostDeploy})
	if err != nil {
		log.Fatal(err)
	}
	for _, t := range rep.Tenants {
		fmt.Println(t.Tenant, t.State, len(t.Applied))
	}
	// Output:
	// acme applied 3
	// globex applied 3
}
