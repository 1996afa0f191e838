// Package pgcluster starts throwaway PostgreSQL servers from the server
// binaries installed on the machine, for tests, demos and
// `safemigrate preflight --ephemeral`.
//
// [Start] finds initdb and postgres (see [Options.ServerBinDir] and
// [DefaultSearchPath]), initialises a cluster in a new temporary
// directory, starts the server on a free port of 127.0.0.1 with settings
// that trade durability for speed (fsync=off and friends), and returns a
// [*Cluster] once it accepts connections. The superuser is [Superuser],
// authenticated without a password. [Cluster.Stop] shuts the server down
// and removes the directory.
//
//	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
//	defer stop()
//
//	c, err := pgcluster.Start(ctx, pgcluster.Options{})
//	if err != nil {
//		return err // errors.Is(err, pgcluster.ErrNoServer): not installed
//	}
//	defer c.Stop()
//
//	url, err := c.CreateDatabase(ctx, "rehearsal")
//	if err != nil {
//		return err
//	}
//	conn, err := pgx.Connect(ctx, url)
//	…
//	schema, err := c.DumpSchema(ctx, "rehearsal")
//
// When no binaries are found the error matches [ErrNoServer] and its
// message says how to install PostgreSQL ([InstallHint]). [FindBin]
// locates other binaries such as pg_dump, [DumpSchema] runs pg_dump
// against any database, and [Cluster.LoadSQL] (or [LoadSQL]) loads a SQL
// file such as a schema dump with psql, stopping at the first error,
// which it reports as a *[LoadError] with the file and line.
//
// # Context, interruption and clean-up
//
// The context passed to Start bounds only the start (together with
// Options.StartTimeout); a cluster keeps running until Stop. Tie
// interruption to the context, for instance with [signal.NotifyContext]
// as above, so that an interrupted program returns through its deferred
// Stop. The server runs in its own process group, so a terminal's Ctrl-C
// reaches only this process, which then stops the server in order. Stop
// is idempotent and safe to call concurrently, from a defer and from a
// signal handler alike.
//
// If the process dies without calling Stop, Linux sends the server
// SIGQUIT (a parent-death signal), and the next Start in the same
// temporary directory removes the directory of every cluster whose owner
// process is gone. (Linux ties the parent-death signal to the thread that
// started the server; Go keeps that thread alive unless a goroutine
// exits while locked to it with [runtime.LockOSThread], so do not call
// Start from such a goroutine.)
//
// When the process runs as root, initdb and postgres run as
// Options.User (default "postgres"), because PostgreSQL refuses to run
// as root.
//
// # Concurrency
//
// Several clusters may run at once, in one process or many; each has its
// own directory and port. The methods of a Cluster are safe for
// concurrent use. The package has no global state.
package pgcluster
