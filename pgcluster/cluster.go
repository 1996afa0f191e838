package pgcluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// Superuser is the database superuser initdb creates. It authenticates
// with a random password (scram-sha-256), which [Cluster.URL] carries,
// over the cluster's Unix socket, the only way to reach the server: it
// has no TCP listener, and the socket's directory is private to the
// user running the server (see the package documentation).
const Superuser = "postgres"

// Files and directories inside a cluster's temporary directory.
const (
	dataSubdir   = "data"
	socketSubdir = "run"
	initLogFile  = "initdb.log"
	serverLog    = "server.log"
	// pwFile holds the superuser's password while initdb reads it.
	pwFile = "pwfile"
)

// maxSocketDir is the longest socket directory path accepted: a Unix
// socket's path (the directory, "/.s.PGSQL.", the port) must fit in
// about 100 bytes (sun_path: 104 bytes on macOS and BSD, 108 on Linux).
const maxSocketDir = 85

// Cluster is a running throwaway PostgreSQL server started by [Start].
// Its methods are safe for concurrent use. Call [Cluster.Stop] when done.
type Cluster struct {
	dir         string
	binDir      string
	port        int
	password    string
	stopTimeout time.Duration
	own         *owner   // for Restart
	settings    []string // for Restart

	proc    *os.Process
	exited  chan struct{} // closed once proc has been waited for
	exitErr error         // set before exited is closed

	stopping atomic.Bool
	stopMu   sync.Mutex // held for the whole of Stop
	stopErr  error
}

// Start creates a throwaway PostgreSQL cluster and returns once it
// accepts connections. It searches for initdb and postgres (see
// [Options.ServerBinDir]), removes directories left in the temporary
// directory by processes that died without cleaning up, creates a new
// private temporary directory (mode 0700), runs initdb there
// (scram-sha-256 authentication with a random superuser password, UTF8,
// no locale, no fsync) and runs postgres as a child process listening
// only on a Unix socket in that directory (no TCP), with settings for
// speed over durability. When this process runs as root, initdb and
// postgres run as Options.User. On Linux the server receives SIGQUIT
// (immediate shutdown) if this process dies.
//
// ctx and Options.StartTimeout bound only the start: cancelling ctx
// later does not stop the cluster; [Cluster.Stop] does. When Start fails
// or ctx is cancelled it kills what it started, removes the temporary
// directory and returns an error; failures of initdb or postgres are a
// [*StartError] with the end of the log.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	if !supported {
		return nil, ErrUnsupported
	}
	if err := opts.validate(); err != nil {
		return nil, err
	}
	binDir, err := opts.ServerBinDir()
	if err != nil {
		return nil, err
	}
	own, err := lookupOwner(opts.user())
	if err != nil {
		return nil, err
	}

	timeout := opts.startTimeout()
	ctx, cancel := context.WithTimeoutCause(ctx, timeout,
		fmt.Errorf("start did not finish within %s: %w", timeout, context.DeadlineExceeded))
	defer cancel()

	parent := opts.TempDir
	if parent == "" {
		parent = os.TempDir()
	}
	sweep(parent)
	password, err := newPassword()
	if err != nil {
		return nil, err
	}
	dir, err := newDir(parent, own)
	if err != nil {
		return nil, err
	}
	c := &Cluster{dir: dir, binDir: binDir, password: password, stopTimeout: opts.stopTimeout(), own: own, settings: opts.settingArgs()}
	ok := false
	defer func() {
		if !ok {
			c.abort()
		}
	}()

	if err := c.initdb(ctx, own); err != nil {
		return nil, err
	}
	if err := c.startServer(ctx, 0); err != nil {
		return nil, err
	}
	ok = true
	return c, nil
}

// newPassword returns a random password for the superuser: 32 hex
// digits (128 bits), safe in a URL.
func newPassword() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("pgcluster: random password: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// newDir creates the cluster's temporary directory and, inside it, the
// socket directory, both mode 0700 and owned by own (the server's user
// when this process is root, which can enter them anyway; otherwise this
// process's user), so that no other OS user can reach the socket.
func newDir(parent string, own *owner) (string, error) {
	dir, err := os.MkdirTemp(parent, dirPrefix)
	if err != nil {
		return "", fmt.Errorf("pgcluster: create temporary directory: %w", err)
	}
	if sock := filepath.Join(dir, socketSubdir); len(sock) > maxSocketDir {
		_ = os.RemoveAll(dir)
		return "", fmt.Errorf("pgcluster: the socket directory %s is longer than %d bytes, too long for a Unix socket path; set Options.TempDir (or TMPDIR) to a shorter directory", sock, maxSocketDir)
	}
	err = os.Chmod(dir, 0o700) // MkdirTemp's mode, whatever the umask
	if err == nil {
		err = writeOwner(dir)
	}
	if err == nil {
		err = os.Mkdir(filepath.Join(dir, socketSubdir), 0o700)
	}
	if err == nil {
		err = own.chown(dir)
	}
	if err == nil {
		err = own.chown(filepath.Join(dir, socketSubdir))
	}
	if err == nil {
		err = os.Chmod(filepath.Join(dir, socketSubdir), 0o700)
	}
	if err != nil {
		_ = os.RemoveAll(dir)
		return "", fmt.Errorf("pgcluster: prepare %s: %w", dir, err)
	}
	return dir, nil
}

// serverEnv is the environment of initdb and postgres: this process's,
// without PG* variables that could redirect them, in the C locale so
// that log messages are in English.
func serverEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PG") || strings.HasPrefix(kv, "LC_") || strings.HasPrefix(kv, "LANG=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "LC_ALL=C", "LANG=C")
}

func (c *Cluster) initdb(ctx context.Context, own *owner) error {
	logPath := filepath.Join(c.dir, initLogFile)
	logFile, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	defer logFile.Close()

	// The password reaches initdb in a file only the server's user can
	// read, removed as soon as initdb is done.
	pwPath := filepath.Join(c.dir, pwFile)
	if err := os.WriteFile(pwPath, []byte(c.password+"\n"), 0o600); err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	defer os.Remove(pwPath)
	if err := own.chown(pwPath); err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}

	cmd := exec.CommandContext(ctx, filepath.Join(c.binDir, "initdb"),
		"-D", filepath.Join(c.dir, dataSubdir),
		"-U", Superuser, "--pwfile", pwPath, "-A", "scram-sha-256",
		"-E", "UTF8", "--no-locale", "--no-sync")
	cmd.Dir = c.dir
	cmd.Env = serverEnv()
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = sysProcAttr(own, syscall.SIGKILL)
	// initdb runs postgres in bootstrap mode as its child: kill them both.
	cmd.Cancel = func() error { return killGroup(cmd.Process.Pid) }
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		if cerr := context.Cause(ctx); cerr != nil {
			err = cerr
		}
		return &StartError{Step: "initdb", Err: err, LogTail: logTail(logPath, 20)}
	}
	return nil
}

// startServer starts postgres, listening only on its Unix socket, and
// waits until it accepts connections. port 0 picks one (a first start);
// a restart keeps the cluster's. On failure the server is no longer
// running.
func (c *Cluster) startServer(ctx context.Context, port int) error {
	// The port only names the socket (.s.PGSQL.PORT), which is alone in
	// its directory; a port free on 127.0.0.1 keeps tools that check
	// the port number from confusing the cluster with a TCP server.
	if port == 0 {
		p, err := freePort()
		if err != nil {
			return fmt.Errorf("pgcluster: pick a port: %w", err)
		}
		port = p
		c.port = port
	}
	logPath := filepath.Join(c.dir, serverLog)
	logFile, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	defer logFile.Close() // the child has its own descriptor

	args := []string{
		"-D", filepath.Join(c.dir, dataSubdir),
		"-p", strconv.Itoa(port),
		"-c", "listen_addresses=",
		"-c", "unix_socket_directories=" + c.SocketDir(),
		"-c", "unix_socket_permissions=0700",
		"-c", "password_encryption=scram-sha-256",
	}
	cmd := exec.Command(filepath.Join(c.binDir, "postgres"), append(args, c.settings...)...)
	cmd.Dir = c.dir
	cmd.Env = serverEnv()
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = sysProcAttr(c.own, syscall.SIGQUIT)
	if err := cmd.Start(); err != nil {
		return &StartError{Step: "postgres", Err: err}
	}
	c.proc = cmd.Process
	exited := make(chan struct{})
	c.exited = exited
	go func() {
		c.exitErr = cmd.Wait()
		close(exited)
	}()

	if err := c.waitReady(ctx); err != nil {
		c.kill()
		return &StartError{Step: "postgres", Err: err, LogTail: logTail(logPath, 20)}
	}
	return nil
}

// waitReady polls until the server accepts a connection, the server
// exits, or ctx ends. It also makes sure the server that answers is this
// cluster's and not another one that took the port.
func (c *Cluster) waitReady(ctx context.Context) error {
	want := filepath.Join(c.dir, dataSubdir)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-c.exited:
			return fmt.Errorf("server exited during start: %v", c.exitErr)
		default:
		}
		dataDir, err := c.probe(ctx)
		switch {
		case err == nil && dataDir == want:
			return nil
		case err == nil:
			return fmt.Errorf("port %d is served by another server (data directory %s)", c.port, dataDir)
		}
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-c.exited:
			return fmt.Errorf("server exited during start: %v", c.exitErr)
		case <-tick.C:
		}
	}
}

// probe connects once and returns the server's data directory.
func (c *Cluster) probe(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return "", err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var dataDir string
	err = conn.QueryRow(ctx, "SELECT current_setting('data_directory')").Scan(&dataDir)
	return dataDir, err
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// kill stops the server, if running, with SIGKILL to its process group,
// and waits (briefly) for it to exit.
func (c *Cluster) kill() {
	if c.proc == nil {
		return
	}
	select {
	case <-c.exited:
		return
	default:
	}
	_ = killGroup(c.proc.Pid)
	select {
	case <-c.exited:
	case <-time.After(5 * time.Second):
	}
}

// abort undoes a failed Start.
func (c *Cluster) abort() {
	c.stopping.Store(true)
	c.kill()
	_ = removeAll(c.dir)
}

// removeAll removes dir, retrying briefly while just-killed processes may
// still be writing into it.
func removeAll(dir string) error {
	var err error
	for range 5 {
		if err = os.RemoveAll(dir); err == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return err
}

// Stop shuts the server down and removes the cluster's temporary
// directory. It requests a fast shutdown (SIGINT: open sessions are
// terminated, transactions rolled back), waits up to Options.StopTimeout,
// then kills the server's process group. Stop is idempotent and safe to
// call concurrently, e.g. from a deferred call and a signal handler: later
// calls wait for the first and return its result.
func (c *Cluster) Stop() error {
	c.stopMu.Lock()
	defer c.stopMu.Unlock()
	if c.stopping.Swap(true) {
		return c.stopErr
	}
	var errs []error
	select {
	case <-c.exited:
	default:
		if err := c.proc.Signal(os.Interrupt); err != nil && !errors.Is(err, os.ErrProcessDone) {
			errs = append(errs, fmt.Errorf("pgcluster: signal server: %w", err))
		}
		select {
		case <-c.exited:
		case <-time.After(c.stopTimeout):
			c.kill()
		}
	}
	select {
	case <-c.exited:
	default:
		errs = append(errs, fmt.Errorf("pgcluster: server (pid %d) did not exit", c.proc.Pid))
	}
	if err := removeAll(c.dir); err != nil {
		errs = append(errs, fmt.Errorf("pgcluster: remove %s: %w", c.dir, err))
	}
	c.stopErr = errors.Join(errs...)
	return c.stopErr
}

// Restart restarts the server as `pg_ctl restart -m fast` does:
// [Cluster.Shutdown] then [Cluster.Start], so that [Cluster.URL] stays
// valid. It returns once the server accepts connections again; until
// then new connections fail. ctx bounds the start. Restart and Stop
// exclude each other; Restart after Stop returns [ErrStopped].
func (c *Cluster) Restart(ctx context.Context) error {
	c.stopMu.Lock()
	defer c.stopMu.Unlock()
	if err := c.shutdown(); err != nil {
		return err
	}
	return c.start(ctx)
}

// Shutdown shuts the server down as `pg_ctl stop -m fast` does, and
// keeps the cluster's directory: a fast shutdown (SIGINT: open sessions
// are terminated, their transactions rolled back, a shutdown checkpoint
// written), waiting up to Options.StopTimeout, then a kill of the
// server's process group (crash recovery on the next start). Until
// [Cluster.Start], connections to [Cluster.URL] fail; afterwards the
// same URL works again and committed data is kept. Shutdown of a server
// that is already down does nothing. [Cluster.Stop] still removes the
// directory afterwards; Shutdown after Stop returns [ErrStopped].
func (c *Cluster) Shutdown() error {
	c.stopMu.Lock()
	defer c.stopMu.Unlock()
	return c.shutdown()
}

// Start starts the server again after [Cluster.Shutdown], on the same
// data directory, socket and port, and returns once it accepts
// connections; ctx bounds the wait. Start of a running server does
// nothing. Start after Stop returns [ErrStopped].
func (c *Cluster) Start(ctx context.Context) error {
	c.stopMu.Lock()
	defer c.stopMu.Unlock()
	return c.start(ctx)
}

// shutdown is Shutdown with stopMu held.
func (c *Cluster) shutdown() error {
	if c.stopping.Load() {
		return ErrStopped
	}
	select {
	case <-c.exited:
		return nil
	default:
	}
	if err := c.proc.Signal(os.Interrupt); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("pgcluster: signal server: %w", err)
	}
	select {
	case <-c.exited:
	case <-time.After(c.stopTimeout):
		c.kill()
	}
	select {
	case <-c.exited:
		return nil
	default:
		return fmt.Errorf("pgcluster: server (pid %d) did not exit", c.proc.Pid)
	}
}

// start is Start with stopMu held.
func (c *Cluster) start(ctx context.Context) error {
	if c.stopping.Load() {
		return ErrStopped
	}
	select {
	case <-c.exited:
	default:
		return nil // running
	}
	return c.startServer(ctx, c.port)
}

// URL returns the connection URL of database dbname as [Superuser],
// through the cluster's Unix socket and with its password:
// postgres://postgres:PASSWORD@/DBNAME?host=SOCKETDIR&port=PORT&sslmode=disable.
// pgx, psql, pg_dump and other libpq clients accept it. It holds the
// password: show it only through redact (internal/redact), as every
// error of this package does.
func (c *Cluster) URL(dbname string) string {
	u := url.URL{
		Scheme: "postgres",
		User:   url.UserPassword(Superuser, c.password),
		Path:   "/" + dbname,
		RawQuery: url.Values{
			"host":    {c.SocketDir()},
			"port":    {strconv.Itoa(c.port)},
			"sslmode": {"disable"},
		}.Encode(),
	}
	return u.String()
}

// Port returns the port number of the server's socket
// (SOCKETDIR/.s.PGSQL.PORT). The server does not listen on TCP.
func (c *Cluster) Port() int { return c.port }

// SocketDir returns the directory of the server's Unix socket.
func (c *Cluster) SocketDir() string { return filepath.Join(c.dir, socketSubdir) }

// BinDir returns the directory of the PostgreSQL binaries that run the
// cluster; pg_dump and psql of the same version are usually there too.
func (c *Cluster) BinDir() string { return c.binDir }

// Dir returns the cluster's temporary directory (data directory, socket
// directory and logs), which [Cluster.Stop] removes.
func (c *Cluster) Dir() string { return c.dir }

// LogPath returns the path of the server's log file, useful when a test
// against the cluster fails. It is removed by [Cluster.Stop].
func (c *Cluster) LogPath() string { return filepath.Join(c.dir, serverLog) }

// CreateDatabase creates database name and returns its URL (see
// [Cluster.URL]). name is used verbatim as a quoted identifier and must
// be at most 63 bytes long.
func (c *Cluster) CreateDatabase(ctx context.Context, name string) (string, error) {
	if err := checkDBName(name); err != nil {
		return "", err
	}
	if err := c.admin(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("pgcluster: create database %q: %w", name, err)
	}
	return c.URL(name), nil
}

// DropDatabase drops database name if it exists, terminating sessions
// still connected to it (DROP DATABASE … WITH (FORCE), PostgreSQL 13+).
func (c *Cluster) DropDatabase(ctx context.Context, name string) error {
	if err := checkDBName(name); err != nil {
		return err
	}
	sql := "DROP DATABASE IF EXISTS " + pgx.Identifier{name}.Sanitize() + " WITH (FORCE)"
	if err := c.admin(ctx, sql); err != nil {
		return fmt.Errorf("pgcluster: drop database %q: %w", name, err)
	}
	return nil
}

// admin runs one statement in the postgres database.
func (c *Cluster) admin(ctx context.Context, sql string) error {
	if c.stopping.Load() {
		return ErrStopped
	}
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, sql)
	return err
}

func checkDBName(name string) error {
	if name == "" || len(name) > 63 {
		return fmt.Errorf("pgcluster: database name %q must be 1 to 63 bytes long", name)
	}
	return nil
}

// DumpSchema returns `pg_dump --schema-only --no-owner` of database
// dbname, using the pg_dump of the cluster's installation (see
// [DumpSchema] for the details).
func (c *Cluster) DumpSchema(ctx context.Context, dbname string) ([]byte, error) {
	if c.stopping.Load() {
		return nil, ErrStopped
	}
	pgDump := filepath.Join(c.binDir, "pg_dump")
	if !isExecutable(pgDump) {
		var err error
		if pgDump, err = FindBin("pg_dump"); err != nil {
			return nil, err
		}
	}
	return DumpSchema(ctx, pgDump, c.URL(dbname))
}
