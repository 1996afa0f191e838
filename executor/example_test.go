package executor_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing/fstest"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/graph"
	"github.com/safemigrate/safemigrate/migration"
	"github.com/safemigrate/safemigrate/planner"
)

// A program runs its release phase with migrations it carries itself (an
// embed.FS in practice; a MapFS here).
func Example() {
	ctx := context.Background()
	files := fstest.MapFS{
		"0001_users.sql": {Data: []byte("-- safe: before_deploy\nCREATE TABLE users (id bigint PRIMARY KEY);\n")},
	}
	ms, err := migration.Load(files, migration.Options{})
	if err != nil {
		fmt.Println(err) // *migration.LoadError: every problem, file:line
		return
	}
	g, err := graph.New(ms)
	if err != nil {
		fmt.Println(err)
		return
	}
	t, err := executor.ParseTarget(os.Getenv("DATABASE_URL"))
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := executor.Run(ctx, t, g, executor.Options{Phase: planner.PreDeploy, Log: os.Stderr})
	switch {
	case errors.Is(err, executor.ErrBlocked):
		fmt.Println("blocked: deploy, run post-deploy, release again")
	case err != nil:
		fmt.Println(err)
	default:
		fmt.Println("applied", res.Applied)
	}
}
