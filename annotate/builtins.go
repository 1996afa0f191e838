package annotate

import (
	_ "embed"
	"strings"
)

// builtinsText lists the functions of pg_catalog in PostgreSQL 15, one
// name per line, as the server lists them (builtins_test.go checks it
// against a live server and rewrites it with -update). Functions added
// later are in newerFuncs, with their version.
//
//go:embed builtins.txt
var builtinsText string

// builtins is builtinsText as a set.
var builtins = func() map[string]bool {
	m := map[string]bool{}
	for _, name := range strings.Fields(builtinsText) {
		m[name] = true
	}
	return m
}()

// IsBuiltinFunc reports whether name (lower case, unqualified) is a
// function of pg_catalog in PostgreSQL 15.
func IsBuiltinFunc(name string) bool { return builtins[name] }
