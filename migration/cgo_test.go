package migration_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// core is the part of safemigrate that must build without cgo: the file
// format, the graph and the planner know nothing of SQL.
var core = []string{"../migration/...", "../graph/...", "../planner/..."}

// TestCoreIsCgoFree fails when a package of the core, or anything it
// imports outside the standard library, needs cgo (libpg_query belongs to
// annotate, never here). make check also runs the CGO_ENABLED=0 build.
func TestCoreIsCgoFree(t *testing.T) {
	goBin, err := exec.LookPath("go")
	require.NoError(t, err, "the go command is needed to list the core's imports")
	args := append([]string{"list", "-deps", "-f", `{{if not .Standard}}{{.ImportPath}} {{len .CgoFiles}}{{end}}`}, core...)
	cmd := exec.Command(goBin, args...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1") // list what cgo would link
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go list: %s", out)
	var cgo []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, n, _ := strings.Cut(line, " ")
		if n != "0" || strings.Contains(pkg, "pg_query") || strings.HasSuffix(pkg, "/annotate") || strings.HasSuffix(pkg, "/internal/sqlparse") {
			cgo = append(cgo, pkg)
		}
	}
	require.Empty(t, cgo, "the core (migration, graph, planner) must not import packages that need cgo; move the code that needs them into annotate or a caller")

	build := exec.Command(goBin, append([]string{"build"}, core...)...)
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err = build.CombinedOutput()
	require.NoError(t, err, "CGO_ENABLED=0 go build of the core: %s", out)
}
