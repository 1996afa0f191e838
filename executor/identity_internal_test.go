package executor

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestCompareIdentity(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)
	target := identity{system: 7714151736758583973, database: 16384, started: start}
	tests := []struct {
		name string
		got  identity
		want int
	}{
		{"the target", target, identSame},
		{"the target, start time in another zone", identity{target.system, target.database, start.In(time.FixedZone("x", 3600))}, identSame},
		{"another database of the server", identity{target.system, 16385, start}, identOther},
		{"another cluster", identity{target.system + 1, target.database, start}, identOther},
		{"a restored base backup or standby", identity{target.system, target.database, start.Add(time.Microsecond)}, identCopy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, compareIdentity(target, tt.got))
		})
	}
}
