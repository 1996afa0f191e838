package executor_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/internal/pgtest"
	"github.com/safemigrate/safemigrate/planner"
)

// TestStalledNetworkEndsANonTransactionalRun: the network stops carrying
// a `transaction: false` migration's own round trips (reading its
// progress: the first to send its ID, which holds the proxy's marker):
// the run ends with a StalledError instead of waiting for ever, and a
// new run applies the migration.
func TestStalledNetworkEndsANonTransactionalRun(t *testing.T) {
	defer executor.SetStallTimings(200*time.Millisecond, 200*time.Millisecond, time.Second)()
	url := pgtest.NewDatabase(t)
	cfg, err := pgx.ParseConfig(url)
	require.NoError(t, err)
	proxy := newStallProxy(t, cfg, "stallme")
	viaProxy := cfg.Copy()
	viaProxy.Host, viaProxy.Port = "127.0.0.1", uint16(proxy.ln.Addr().(*net.TCPAddr).Port)
	viaProxy.RuntimeParams["application_name"] = "stall-nontx"

	g := load(t, files("0001_stallme.sql", "-- safe: always\n-- transaction: false\nCREATE TABLE t (id int);\nCREATE INDEX CONCURRENTLY ON t (id);\n"))
	outer, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // generous: not a speed assertion
	defer cancel()
	_, err = executor.Run(outer, executor.Target{Config: viaProxy}, g, executor.Options{Phase: planner.PostDeploy, NoPreflight: true})
	require.Error(t, err)
	require.NoError(t, outer.Err(), "the run must end by itself")
	assert.Equal(t, 1, proxy.stalledConns(), "the proxy stalled the migration's connection")
	var se *executor.StalledError
	assert.True(t, errors.As(err, &se), "%v", err)

	res, err := executor.Run(outer, target(t, url), g, executor.Options{Phase: planner.PostDeploy, LockWait: -1})
	require.NoError(t, err)
	assert.Equal(t, []string{"0001_stallme"}, res.Applied)
}
