package safemigrate_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/safemigrate/safemigrate/internal/pgtest"
)

// exampleTB lends pgtest the bits of a testing.TB that it uses, so that
// examples get a fresh database too; the databases are dropped after all
// tests and examples ran.
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
func (exampleTB) Errorf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
func (exampleTB) Error(args ...any)                 { panic(fmt.Sprint(args...)) }
func (exampleTB) Logf(format string, args ...any)   {}
func (exampleTB) Fatal(args ...any)                 { panic(fmt.Sprint(args...)) }
func (exampleTB) Skipf(format string, args ...any)  { panic("skip: " + fmt.Sprintf(format, args...)) }

// databaseURL returns the URL of a fresh, empty database: in a program,
// os.Getenv("DATABASE_URL").
func databaseURL() string { return pgtest.NewDatabase(exampleTB{name: "Example"}) }

func cleanupExamples() {
	for i := len(exampleCleanups) - 1; i >= 0; i-- {
		exampleCleanups[i]()
	}
}
