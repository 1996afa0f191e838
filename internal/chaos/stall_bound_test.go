package main

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/executor"
)

// A stalled run is given the deadlines docs/security.md documents before
// it counts as a hang: 2 minutes for an own query, n × the statement
// timeout plus the round-trip margin for a round trip of the largest
// migration (4 statements in the generated set).
func TestStallDeadlineIsTheDocumentedOne(t *testing.T) {
	set, err := writeMigrations(t.TempDir(), rand.New(rand.NewPCG(1, 2)))
	require.NoError(t, err)
	require.Equal(t, 4, set.maxStmts)
	h := &harness{set: set, cfg: config{stmtTimeout: 5 * time.Second}}
	require.Equal(t, 2*time.Minute, h.stallDeadline())
	h.cfg.stmtTimeout = time.Minute
	require.Equal(t, 4*time.Minute+executor.RoundTripMargin, h.stallDeadline())
}
