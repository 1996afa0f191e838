package executor_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safemigrate/safemigrate/executor"
	"github.com/safemigrate/safemigrate/internal/pgtest"
	"github.com/safemigrate/safemigrate/planner"
)

func TestPrepareAndRehearseOnACopy(t *testing.T) {
	t.Parallel()
	targetURL, target := fresh(t)
	copyURL, copyTarget := fresh(t)
	base := files("0001_t.sql", "-- safe: always\nCREATE TABLE t (id int, v text);\nINSERT INTO t VALUES (1, 'a');\n")
	for _, tg := range []executor.Target{target, copyTarget} {
		_, err := executor.Run(ctx(t), tg, load(t, base), executor.Options{Phase: planner.PostDeploy})
		require.NoError(t, err)
	}
	g := load(t, files(
		"0001_t.sql", "-- safe: always\nCREATE TABLE t (id int, v text);\nINSERT INTO t VALUES (1, 'a');\n",
		"0002_index.sql", "-- safe: before_deploy\n-- transaction: false\nCREATE INDEX CONCURRENTLY t_v ON t (v);\n",
		"0003_fails.sql", "-- safe: before_deploy\nALTER TABLE t ADD COLUMN w int NOT NULL;\n",
	))
	targetBefore, copyBefore := pgtest.DumpSchema(t, targetURL), pgtest.DumpSchema(t, copyURL)

	var log syncBuffer
	opts := executor.Options{Phase: planner.PreDeploy, Log: &log}
	res, err := executor.Prepare(ctx(t), target, g, opts)
	require.NoError(t, err)
	assert.True(t, res.DryRun)
	assert.Nil(t, res.Preflight)
	require.Len(t, res.Plan.Run, 2)

	err = executor.Rehearse(ctx(t), copyTarget, res, opts)
	require.ErrorIs(t, err, executor.ErrPreflight)
	assert.False(t, res.OK)
	ms := res.Preflight.Migrations
	require.Len(t, ms, 2)
	assert.Equal(t, executor.StatusOK, ms[0].Status, "transaction: false is rehearsed on a copy")
	assert.Contains(t, ms[0].Notice, "without CONCURRENTLY")
	assert.Equal(t, executor.StatusFailed, ms[1].Status)
	assert.Equal(t, "23502", ms[1].Error.SQLState)
	assert.Contains(t, res.Preflight.RehearsedOn, copyTarget.Config.Database)
	assert.NotContains(t, log.String(), "warning", "the copy records the target's state")

	assert.Equal(t, targetBefore, pgtest.DumpSchema(t, targetURL))
	assert.Equal(t, copyBefore, pgtest.DumpSchema(t, copyURL))

	t.Run("not on the target", func(t *testing.T) {
		err := executor.Rehearse(ctx(t), target, res, opts)
		require.ErrorIs(t, err, executor.ErrRehearsalOnTarget)
	})
	t.Run("not without Prepare", func(t *testing.T) {
		require.Error(t, executor.Rehearse(ctx(t), copyTarget, &executor.Result{}, opts))
	})
}

func TestRehearseWarnsWhenTheCopyIsAtAnotherState(t *testing.T) {
	t.Parallel()
	_, target := fresh(t)
	_, copyTarget := fresh(t)
	g := load(t, files(
		"0001_a.sql", "-- safe: always\nCREATE TABLE a (id int);\n",
		"0002_b.sql", "-- safe: always\nCREATE TABLE b (id int);\n",
	))
	_, err := executor.Run(ctx(t), copyTarget, g, executor.Options{Phase: planner.PostDeploy})
	require.NoError(t, err)

	var log syncBuffer
	opts := executor.Options{Phase: planner.PostDeploy, Log: &log}
	res, err := executor.Prepare(ctx(t), target, g, opts)
	require.NoError(t, err)
	err = executor.Rehearse(ctx(t), copyTarget, res, opts)
	require.ErrorIs(t, err, executor.ErrPreflight, "the copy has the tables already")
	assert.Contains(t, log.String(), "records other applied migrations than the target (applied there but not on the target: 0001_a, 0002_b)")
}

func TestPrepareWritesNothingAndRefusesLikeRun(t *testing.T) {
	t.Parallel()
	url, target := fresh(t)
	before := pgtest.DumpSchema(t, url)
	g := load(t, files(
		"0001_a.sql", "-- safe: after_deploy\nCREATE TABLE a (id int);\n",
		"0002_b.sql", "-- safe: before_deploy\nCREATE TABLE b (id int);\n",
	))
	res, err := executor.Prepare(ctx(t), target, g, executor.Options{Phase: planner.PreDeploy})
	require.ErrorIs(t, err, executor.ErrBlocked)
	require.NotNil(t, res, "the plan is reported with the error")
	assert.Len(t, res.Plan.Blocked, 1)

	res, err = executor.Prepare(ctx(t), target, g, executor.Options{Phase: planner.PostDeploy})
	require.NoError(t, err)
	assert.Len(t, res.Plan.Run, 2)
	assert.Equal(t, before, pgtest.DumpSchema(t, url), "not even the tracking tables are created")
}
