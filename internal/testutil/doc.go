// Package testutil holds small helpers shared by safemigrate's tests that
// need no database (those live in internal/pgtest).
//
//	var log testutil.SyncBuffer
//	go run(ctx, &log) // writes from several goroutines
//	require.Eventually(t, func() bool { return strings.Contains(log.String(), "waiting") }, …)
//
// Every helper is safe for concurrent use.
package testutil
