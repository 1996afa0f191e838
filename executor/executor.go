package executor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/safemigrate/safemigrate/graph"
	"github.com/safemigrate/safemigrate/internal/redact"
	"github.com/safemigrate/safemigrate/internal/sqlparse"
	"github.com/safemigrate/safemigrate/planner"
)

// DefaultTrackingSchema is the schema of the tracking tables when
// Target.TrackingSchema is empty.
const DefaultTrackingSchema = "public"

// DefaultApplicationName is the application_name of safemigrate's
// sessions when the connection string sets none, so that other sessions
// (and a second safemigrate run) can tell who holds a lock.
const DefaultApplicationName = "safemigrate"

// Target is one place migrations run: a database, the schema they run in,
// and the schema of the tracking tables. A tenant fleet is many Targets on
// one database, each with its own schema and tracking tables.
type Target struct {
	// Config is the connection configuration. The executor opens its own
	// sessions from it and never modifies it.
	Config *pgx.ConnConfig
	// Schema is the schema migrations run in: when set, sessions start with
	// search_path set to it (quoted as an identifier), followed by
	// SearchPath. Empty leaves the server's default search_path.
	Schema string
	// SearchPath lists schemas appended after Schema (e.g. "public" for
	// shared extensions in tenant mode). Ignored when Schema is empty.
	SearchPath []string
	// TrackingSchema holds safemigrate_migrations, safemigrate_detected
	// and safemigrate_progress. Empty means [DefaultTrackingSchema]. It is
	// created on first apply when missing.
	TrackingSchema string
	// Name labels the target in logs and reports (a tenant's name); empty
	// for a single-database run.
	Name string
}

// ParseTarget parses a connection string (a postgres:// URL or libpq
// key=value pairs; empty uses the PG* environment variables, as pgx does)
// into a Target with the default schemas. The error never contains the
// password.
func ParseTarget(connString string) (Target, error) {
	cfg, err := pgx.ParseConfig(connString)
	if err != nil {
		return Target{}, fmt.Errorf("%w: %w", ErrConnect, parseError(connString, err))
	}
	if strings.Contains(connString, "://") && splitByPassword(cfg) {
		// Naming the target would show what follows the split: the rest
		// of the password.
		return Target{}, fmt.Errorf("%w: the connection URL's host or database name contains '@': a password with '/', '?' or '#' that is not percent-encoded splits the URL there; percent-encode the password (/ as %%2F, ? as %%3F, # as %%23, @ as %%40)", ErrConnect)
	}
	return Target{Config: cfg}, nil
}

// splitByPassword reports whether a URL's host or database name holds an
// '@', which in practice means the URL was split inside a password that
// was not percent-encoded (postgres://u:12/ab@host/db parses as host u,
// port 12, database "ab@host/db").
func splitByPassword(cfg *pgx.ConnConfig) bool {
	if strings.Contains(cfg.Database, "@") || strings.Contains(cfg.Host, "@") {
		return true
	}
	for _, fb := range cfg.Fallbacks {
		if strings.Contains(fb.Host, "@") {
			return true
		}
	}
	return false
}

// quotedToken is a quoted part of pgx's parse error: the part of the
// string it could not parse, which can be the middle of a password.
var quotedToken = regexp.MustCompile(`"[^"]*"`)

// parseError redacts a connection string parse error. pgx's message
// echoes the string with pgx's own masking, which misses passwords with
// escaped quotes; the echo is replaced with the string masked by
// [redact.ConnString], which knows libpq's quoting.
func parseError(connString string, err error) error {
	var pce *pgconn.ParseConfigError
	if !errors.As(err, &pce) {
		return redact.Error(err)
	}
	const prefix = "cannot parse `"
	msg := pce.Error()
	tail := strings.LastIndex(msg, "`: ")
	if !strings.HasPrefix(msg, prefix) || tail < len(prefix) {
		return redact.Error(err)
	}
	rest := msg[tail:]
	if strings.Contains(connString, "@") || strings.Contains(strings.ToLower(connString), "password") {
		// pgx quotes the token it could not parse (an invalid
		// percent-encoding), which in a password that was not
		// percent-encoded is part of the password.
		rest = quotedToken.ReplaceAllString(rest, `"…"`)
	}
	return errors.New(prefix + redact.ConnString(connString) + redact.String(rest))
}

func (t Target) trackingSchema() string {
	if t.TrackingSchema == "" {
		return DefaultTrackingSchema
	}
	return t.TrackingSchema
}

// String describes the target without its password.
func (t Target) String() string {
	where := "(no connection)"
	if t.Config != nil {
		where = fmt.Sprintf("database %q on %s:%d", t.Config.Database, t.Config.Host, t.Config.Port)
	}
	if t.Name != "" {
		where = t.Name + " in " + where
	}
	return where
}

// Options configure a run. The zero value of every field is its default,
// except Phase, which is required.
type Options struct {
	Phase planner.Phase
	// Mode is strict (default), nonstrict or disabled.
	Mode planner.Mode
	// Initial runs everything in pre-deploy on a target with nothing
	// applied (docs/planning.md); an error otherwise.
	Initial bool
	// InitialAuto decides Initial per run (docs/planning.md, --initial=auto).
	InitialAuto bool
	// IgnoreDelays lets post-deploy run migrations inside their delay.
	IgnoreDelays bool
	// Target, when not empty, plans only that migration and its pending
	// dependencies (--to).
	Target string
	// AllowDrift proceeds when applied migrations changed (with a warning).
	AllowDrift bool
	// NoPreflight skips the transactional rehearsal.
	NoPreflight bool
	// DryRun plans and rehearses but applies and records nothing.
	DryRun bool
	// Atomic applies in one pass instead of preflight then apply: the
	// rehearsal's transaction commits when every migration in it passed
	// ([Session.ApplyAtomic]; docs/executing.md). Run honours it; with
	// NoPreflight or DryRun it has no effect (one applies without a
	// rehearsal, the other rehearses without applying).
	Atomic bool
	// RehearseNonTransactional rehearses `transaction: false` migrations
	// with their transactional equivalent (CREATE INDEX CONCURRENTLY →
	// CREATE INDEX) instead of skipping them. Only for disposable
	// databases: the equivalents take stronger locks.
	RehearseNonTransactional bool
	// Trace rehearses statement by statement and reports, per statement,
	// the table locks it took and the tables it rewrote
	// (MigrationReport.Trace). It costs one round trip per statement and
	// one more for reading pg_locks and pg_class after it, where the
	// untraced rehearsal sends a whole migration in one.
	Trace bool

	// LockWait bounds the wait for the migration lock held by another
	// run; default 5m. Negative means do not wait: give up at once when
	// another run holds it.
	LockWait time.Duration
	// LockTimeout is lock_timeout for every migration; default 5s. A file's
	// `-- lock_timeout:` overrides it. Negative disables it.
	LockTimeout time.Duration
	// StatementTimeout is statement_timeout for every migration; default
	// 0 = none. A file's `-- statement_timeout:` overrides it.
	StatementTimeout time.Duration
	// LockRetries is how often a statement that hit its lock timeout is
	// retried; default 3. Negative means no retries.
	LockRetries int
	// RetryBackoff is the wait before the first retry, doubled for each
	// further one (with ±20% jitter); default 1s.
	RetryBackoff time.Duration

	// Now is the clock used for detection times and delays; default
	// time.Now.
	Now func() time.Time
	// Log receives progress and warnings, one line per message (stderr in
	// the CLI). Nil discards them. Writes are serialised by the executor.
	Log io.Writer
	// Events, when set, is told which migration and statement run now
	// ([Event]), from the goroutine running the target: a fleet calls it
	// from several goroutines at once. Log then leaves out the lines
	// saying that a migration passed or was applied, which the
	// MigrationFinished events report; failures, skips and warnings stay.
	Events func(Event)
}

// Defaults of [Options].
const (
	DefaultLockWait     = 5 * time.Minute
	DefaultLockTimeout  = 5 * time.Second
	DefaultLockRetries  = 3
	DefaultRetryBackoff = time.Second
)

func (o Options) withDefaults() Options {
	if o.Mode == "" {
		o.Mode = planner.Strict
	}
	if o.LockWait == 0 {
		o.LockWait = DefaultLockWait
	} else if o.LockWait < 0 {
		o.LockWait = 0
	}
	if o.LockTimeout == 0 {
		o.LockTimeout = DefaultLockTimeout
	} else if o.LockTimeout < 0 {
		o.LockTimeout = 0
	}
	if o.StatementTimeout < 0 {
		o.StatementTimeout = 0
	}
	if o.LockRetries == 0 {
		o.LockRetries = DefaultLockRetries
	} else if o.LockRetries < 0 {
		o.LockRetries = 0
	}
	if o.RetryBackoff <= 0 {
		o.RetryBackoff = DefaultRetryBackoff
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Session is one connection to a target holding the migration lock. It is
// the building block of [Run]; callers that orchestrate many targets (a
// tenant fleet: preflight everywhere, then apply everywhere) use it
// directly:
//
//	s, err := executor.Open(ctx, target, opts)
//	defer s.Close(ctx)
//	plan, _, err := s.Plan(ctx, g)
//	report, err := s.Preflight(ctx, plan)
//	applied, err := s.Apply(ctx, plan)
//
// A fleet that keeps many targets locked between its passes without a
// connection per target takes the locks with [LockAll] and opens its
// sessions with [LockSet.Open].
//
// A Session is not safe for concurrent use.
type Session struct {
	target  Target
	opts    Options
	conn    *pgx.Conn
	log     *logger
	ev      *events
	names   tracking
	lockKey int64
	locked  bool
	ready   bool // tracking tables known to exist (safemigrate_progress aside)
	// readyProgress: safemigrate_progress known to exist
	readyProgress bool
	watch         *watcher
	setup         string // session settings of prepareSession, restored by resetSession
	path          string // SET search_path of a retargeted session, restored by resetSession

	mu      sync.Mutex // guards current and checking (read by the notice handler)
	current string     // ID of the migration being run, for notices
	// checking is set while the lock check (lockHeldSQL) runs: its
	// release of a lock the session lost warns, and the failure says it
	// better.
	checking bool

	parsed map[string][]sqlparse.Statement
}

// Open connects to t and takes the migration lock, waiting up to
// opts.LockWait while another run holds it (and saying so on opts.Log).
// The lock is held until [Session.Close].
func Open(ctx context.Context, t Target, opts Options) (*Session, error) {
	s, err := connect(ctx, t, opts)
	if err != nil {
		return nil, err
	}
	if err := s.lock(ctx); err != nil {
		s.closeConn()
		return nil, err
	}
	return s, nil
}

// connect opens the session's connection without taking the lock.
func connect(ctx context.Context, t Target, opts Options) (*Session, error) {
	if t.Config == nil {
		return nil, fmt.Errorf("%w: target has no connection configuration", ErrConnect)
	}
	opts = opts.withDefaults()
	s := &Session{
		target:  t,
		opts:    opts,
		log:     newLogger(opts.Log, t.Name),
		ev:      &events{f: opts.Events, target: t.Name},
		names:   newTracking(t.trackingSchema()),
		lockKey: lockKey(t.trackingSchema()),
		parsed:  map[string][]sqlparse.Statement{},
	}
	cfg := sessionConfig(t)
	cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) {
		s.mu.Lock()
		id, checking := s.current, s.checking
		s.mu.Unlock()
		if checking && strings.HasPrefix(n.Message, lockNotOwned) {
			return
		}
		if id != "" {
			s.log.printf("%s %s: %s", n.Severity, id, n.Message)
		}
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, connectError(t, err)
	}
	s.conn = conn
	if err := s.prepareSession(ctx); err != nil {
		s.closeConn()
		return nil, err
	}
	s.watch = newWatcher(t, int(conn.PgConn().PID()))
	return s, nil
}

// sessionConfig copies t.Config with safemigrate's session settings.
func sessionConfig(t Target) *pgx.ConnConfig {
	cfg := t.Config.Copy()
	cfg.RuntimeParams = make(map[string]string, len(t.Config.RuntimeParams)+2)
	for k, v := range t.Config.RuntimeParams {
		cfg.RuntimeParams[k] = v
	}
	if cfg.RuntimeParams["application_name"] == "" {
		cfg.RuntimeParams["application_name"] = DefaultApplicationName
	}
	if t.Schema != "" {
		cfg.RuntimeParams["search_path"] = searchPath(t)
	}
	// Unnamed statements only: a migration may run DEALLOCATE ALL or
	// DISCARD ALL, which drop every prepared statement of the session,
	// and pgx's default caches named ones (the next query of safemigrate
	// failed with "prepared statement … does not exist"). The cached
	// descriptions still save the round trip that describes a statement.
	cfg.DefaultQueryExecMode = pgx.QueryExecModeCacheDescribe
	configureWire(cfg)
	return cfg
}

// searchPath renders the target's search_path with quoted identifiers.
func searchPath(t Target) string {
	path := pgx.Identifier{t.Schema}.Sanitize()
	for _, s := range t.SearchPath {
		path += ", " + pgx.Identifier{s}.Sanitize()
	}
	return path
}

// connectError wraps a connection failure without any password.
func connectError(t Target, err error) error {
	return fmt.Errorf("%w: %s: %w", ErrConnect, t, withoutTLSNoise(redact.Error(err)))
}

// prepareSession applies per-session settings that depend on the server.
func (s *Session) prepareSession(ctx context.Context) error {
	// A killed safemigrate process must not leave its backend running a
	// long statement while holding locks: since PostgreSQL 14 the server
	// can notice the dead client while a query runs.
	version := s.conn.PgConn().ParameterStatus("server_version") // "15.4 (Debian 15.4-1)"
	major, _ := strconv.Atoi(strings.TrimRightFunc(strings.SplitN(version, ".", 2)[0], func(r rune) bool { return r < '0' || r > '9' }))
	if major >= 14 {
		s.setup = "SET client_connection_check_interval = 1000"
		if _, err := s.conn.Exec(ctx, s.setup); err != nil {
			return s.connLost(err)
		}
	}
	return nil
}

// resetSession returns the commands that give the next migration the
// session's own settings and role: a plain SET in one migration (pg_dump
// output sets search_path to ”) must not change where the next one's
// tables go, and a SET ROLE must not make the next one run as, and own
// its objects as, that role. RESET ALL leaves the role and the session
// authorization alone, hence their own RESETs (both are allowed inside a
// transaction, where preflight runs them). Startup parameters
// (application_name, the target's search_path) are session defaults and
// survive RESET ALL; prepareSession's own settings are set again.
func (s *Session) resetSession() []string {
	reset := []string{"RESET SESSION AUTHORIZATION", "RESET ROLE", "RESET ALL"}
	if s.setup != "" {
		reset = append(reset, s.setup)
	}
	if s.path != "" {
		reset = append(reset, s.path) // see retarget.go
	}
	return reset
}

// resetToConnecting runs [Session.resetSession] on its own.
func (s *Session) resetToConnecting(ctx context.Context) error {
	_, err := s.conn.Exec(ctx, strings.Join(s.resetSession(), "; "))
	return err
}

// connLost wraps an error of safemigrate's own queries.
func (s *Session) connLost(err error) error {
	return fmt.Errorf("%s: %w", s.target, redact.Error(err))
}

// Close releases the migration lock and closes the session's connections.
func (s *Session) Close(ctx context.Context) error {
	var err error
	if s.locked && !s.conn.IsClosed() {
		err = s.unlock(ctx)
	}
	s.closeConn()
	return err
}

func (s *Session) closeConn() {
	if s.watch != nil {
		s.watch.close()
	}
	if s.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		closeAndWait(ctx, s.conn.PgConn())
		_ = s.conn.Close(ctx)
	}
}

// closeAndWait ends a connection the way PostgreSQL documents as a
// synchronous close: it sends Terminate and waits for the server to close
// its side, which the backend does only once it has exited and left
// pg_stat_activity. A fleet that opens its next connection to a server
// right after closing one then stays within --jobs-per-server on the
// server's side too, not only on its own. It gives up after a second in
// all (a stalled network must not make closing slow: the connection is
// closed regardless).
func closeAndWait(ctx context.Context, pc *pgconn.PgConn) {
	if pc.IsClosed() {
		return
	}
	deadline := time.Now().Add(time.Second)
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	if pc.SyncConn(ctx) != nil {
		return
	}
	nc := pc.Conn()
	if nc.SetDeadline(deadline) != nil {
		return
	}
	if _, err := nc.Write([]byte{'X', 0, 0, 0, 4}); err != nil {
		return
	}
	_, _ = io.Copy(io.Discard, nc) // until EOF: the backend has exited
}

// Target returns the session's target.
func (s *Session) Target() Target { return s.target }

// Plan reads the target's state under the lock and plans with the
// session's options. Drift and strict blocking are not errors here; see
// [Session.Check].
func (s *Session) Plan(ctx context.Context, g *graph.Graph) (*planner.Plan, *State, error) {
	st, err := s.State(ctx)
	if err != nil {
		return nil, nil, err
	}
	p, err := s.planFrom(ctx, g, st)
	return p, st, err
}

// PlanFrom plans as [Session.Plan] does, from st, the state of the
// session's target that [LockSet.States] read under the migration lock
// the set still holds (a fleet reads every tenant's in a few queries).
func (s *Session) PlanFrom(ctx context.Context, g *graph.Graph, st *State) (*planner.Plan, error) {
	if st == nil {
		return nil, fmt.Errorf("executor: PlanFrom needs the State of %s", s.target)
	}
	s.useState(st)
	return s.planFrom(ctx, g, st)
}

func (s *Session) planFrom(ctx context.Context, g *graph.Graph, st *State) (*planner.Plan, error) {
	initial, reason, err := s.planInitial(ctx, st)
	if err != nil {
		return nil, err
	}
	p, err := planner.New(planner.Input{
		Graph:         g,
		Applied:       st.Checksums(),
		Detected:      st.DetectedTimes(),
		Now:           s.opts.Now(),
		Phase:         s.opts.Phase,
		Mode:          s.opts.Mode,
		Initial:       initial,
		InitialAuto:   s.opts.InitialAuto,
		InitialReason: reason,
		IgnoreDelays:  s.opts.IgnoreDelays,
		Target:        s.opts.Target,
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// Check returns the error that stops a run of plan before it touches the
// database: a *DriftError unless AllowDrift, a *BlockedError for a strict
// pre-deploy with blocked migrations, an *InputError for a migration that
// cannot run as written. It logs unknown applied IDs and
// allowed drift as warnings.
func (s *Session) Check(plan *planner.Plan) error {
	for _, id := range plan.Unknown {
		s.log.printf("warning: %s is recorded as applied but has no migration file", id)
	}
	if len(plan.Drift) > 0 {
		if !s.opts.AllowDrift {
			return &DriftError{Drift: plan.Drift}
		}
		for _, d := range plan.Drift {
			s.log.printf("warning: %s changed since it was applied (--allow-drift)", d.Migration.Path)
		}
	}
	if !plan.OK() {
		return &BlockedError{Blocked: plan.Blocked}
	}
	return s.checkInput(plan)
}

// Run does everything `safemigrate migrate` does for one target: take the
// lock, read the state, plan, refuse drift and strict blocking, preflight
// (unless NoPreflight), apply (unless DryRun), record detection times
// after a successful run, release the lock.
//
// The Result is non-nil whenever planning succeeded, also together with an
// error, so that callers can report it. Errors: ErrConnect, *LockWaitError,
// *DriftError, *BlockedError, planner.ErrInitialNotEmpty, *PreflightError
// (nothing applied), *PartialError (applied up to a failure).
func Run(ctx context.Context, t Target, g *graph.Graph, opts Options) (*Result, error) {
	if err := checkRun(g, opts); err != nil {
		return nil, err
	}
	s, err := Open(ctx, t, opts)
	if err != nil {
		return nil, err
	}
	defer s.closeAfter(ctx)
	return s.run(ctx, g)
}

func (s *Session) run(ctx context.Context, g *graph.Graph) (*Result, error) {
	res, err := s.prepare(ctx, g)
	if err != nil {
		return res, err
	}
	plan := res.Plan
	atomic := s.opts.Atomic && !s.opts.NoPreflight && !s.opts.DryRun
	if !s.opts.NoPreflight && !atomic {
		pf, err := s.Preflight(ctx, plan)
		res.Preflight = pf
		if err != nil {
			return res, err
		}
		if !pf.OK {
			err := pf.Err()
			s.hintAdopt(ctx, plan, err)
			return res, err
		}
	}
	if s.opts.DryRun {
		res.OK = true
		return res, nil
	}
	var applied []string
	if atomic {
		res.Preflight, applied, err = s.ApplyAtomic(ctx, plan)
	} else {
		applied, err = s.Apply(ctx, plan)
	}
	res.Applied = append(res.Applied, applied...)
	if err != nil {
		s.hintAdopt(ctx, plan, err)
		var pe *PartialError
		if errors.As(err, &pe) {
			var me *MigrationError
			if errors.As(pe.Err, &me) {
				res.Failed = me
			}
		}
		return res, err
	}
	// Detection is recorded after a successful run of either phase
	// (docs/planning.md).
	detected, err := s.RecordDetected(ctx, plan)
	res.Detected = append(res.Detected, detected...)
	if err != nil {
		return res, err
	}
	res.OK = true
	return res, nil
}
