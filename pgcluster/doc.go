// Package pgcluster starts throwaway PostgreSQL servers from the server
// binaries installed on the machine, for tests, demos and
// `safemigrate preflight --ephemeral`.
//
// [Start] finds initdb and postgres (see [Options.ServerBinDir] and
// [DefaultSearchPath]), initialises a cluster in a new temporary
// directory, starts the server with settings that trade durability for
// speed (fsync=off and friends), and returns a [*Cluster] once it accepts
// connections. The superuser is [Superuser]; [Cluster.URL] gives the
// connection URL, password included. [Cluster.Stop] shuts the server
// down and removes the directory. To take a server down for a while and
// bring it back with its data, as a test of a server outage does,
// [Cluster.Shutdown] (a fast shutdown that keeps the directory) and
// [Cluster.Start] (same socket, port and URL) make a pair;
// [Cluster.Restart] is the two in one call.
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
// # Who can connect
//
// Only the user running the program: the server has no TCP listener
// (listen_addresses is empty), its Unix socket lies in a directory of
// mode 0700 inside the cluster's temporary directory (also 0700), and
// every connection authenticates with scram-sha-256 and a random
// password made for the cluster (pg_hba.conf has no trust line). initdb
// reads the password from a file of mode 0600 that is removed as soon as
// it is done; afterwards the password exists only in this process and in
// the URLs it hands out, which must be shown only through redaction (the
// errors of this package are).
//
// When the process runs as root, initdb and postgres run as
// Options.User (default "postgres"), because PostgreSQL refuses to run
// as root. The directories then belong to that user: root enters them
// regardless of their mode, other users cannot, and the server's own
// user, who can, still needs the password. Settings that would open the
// server (listen_addresses, unix_socket_permissions, hba_file and the
// like) are refused in Options.Settings.
//
// # Concurrency
//
// Several clusters may run at once, in one process or many; each has its
// own directory and port. The methods of a Cluster are safe for
// concurrent use. The package has no global state.
package pgcluster
