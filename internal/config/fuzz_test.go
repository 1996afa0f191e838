package config_test

import (
	"regexp"
	"testing"

	"github.com/safemigrate/safemigrate/internal/config"
)

// goTypes matches the Go and YAML type names a user should never see.
var goTypes = regexp.MustCompile(`config\.[A-Z]|\[\]string|!!(seq|map|str|int|bool)|unmarshal`)

// FuzzParse checks that any file either parses or is refused with a
// message in the user's terms, never a panic or a Go type name.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"dir: db\nmode: strict\n",
		"tenants:\n  schemas: [a, b]\n  jobs: 2\n",
		"tenants: [a]\n",
		"lint:\n  large_table: 1GB or 10M rows\n  exclude_rules: [truncate]\n",
		"lock_timeout: 5s\natomic: true\nlock_retries: 3\n",
		"a: &x {b: *x}\n",
		"---\ndir: x\n---\ndir: y\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		_, err := config.Parse([]byte(doc))
		if err != nil && goTypes.MatchString(err.Error()) {
			t.Fatalf("error names a Go or YAML type: %v\ninput: %q", err, doc)
		}
	})
}
