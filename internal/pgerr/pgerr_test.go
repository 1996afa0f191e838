package pgerr_test

import (
	"strings"
	"testing"

	"github.com/safemigrate/safemigrate/internal/pgerr"
)

func TestWriteFields(t *testing.T) {
	for _, tc := range []struct {
		name, sqlstate, detail, hint, want string
	}{
		{"all", "42703", "d", "h", "msg (SQLSTATE 42703)\n  DETAIL: d\n  HINT: h"},
		{"hint only", "", "", "h", "msg\n  HINT: h"},
		{"nothing", "", "", "", "msg"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			b.WriteString("msg")
			pgerr.WriteFields(&b, "  ", tc.sqlstate, tc.detail, tc.hint)
			if b.String() != tc.want {
				t.Errorf("got %q, want %q", b.String(), tc.want)
			}
		})
	}
}
