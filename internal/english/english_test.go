package english_test

import (
	"testing"

	"github.com/safemigrate/safemigrate/internal/english"
)

func TestPlural(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want string
	}{{0, "0 files"}, {1, "1 file"}, {2, "2 files"}, {-1, "-1 files"}} {
		if got := english.Plural(tc.n, "file"); got != tc.want {
			t.Errorf("Plural(%d, file) = %q, want %q", tc.n, got, tc.want)
		}
	}
}
