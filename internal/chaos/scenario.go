package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/safemigrate/safemigrate/executor"
)

// Fault kinds.
const (
	faultKill          = "kill"            // SIGKILL of the binary at a random moment
	faultKillNonTx     = "kill-nontx"      // SIGKILL while CREATE INDEX CONCURRENTLY runs
	faultTerminate     = "terminate"       // pg_terminate_backend of its sessions
	faultTerminateNonT = "terminate-nontx" // the same while CREATE INDEX CONCURRENTLY runs
	faultCrash         = "server-crash"    // a backend SIGKILLed: the server restarts all sessions
	faultRestart       = "restart"         // pg_ctl restart -m fast: sessions terminated, shutdown checkpoint, start
	faultCut           = "proxy-cut"       // every proxied connection closed
	faultStall         = "proxy-stall"     // nothing forwarded any more, sockets kept open
)

// scenario is what one faulted attempt does: a single binary with one
// fault, or parallel binaries with faults applied to some of them.
type scenario struct {
	name   string
	weight int
}

// scenarioParallel runs -jobs binaries at once on the same target.
const scenarioParallel = "parallel"

var scenarios = []scenario{
	{faultKill, 3},
	{faultKillNonTx, 3},
	{faultTerminate, 2},
	{faultTerminateNonT, 2},
	{faultCrash, 1},
	{faultRestart, 1},
	{faultCut, 2},
	{faultStall, 1},
	{scenarioParallel, 3},
}

// perRunFaults are the faults applied to single binaries of parallel
// runs (a server crash, a restart or a stall would hit them all).
var perRunFaults = []string{faultKill, faultKillNonTx, faultTerminate, faultTerminateNonT, faultCut}

func (h *harness) pickScenario() scenario {
	total := 0
	for _, s := range scenarios {
		total += s.weight
	}
	n := h.rng.IntN(total)
	for _, s := range scenarios {
		if n < s.weight {
			return s
		}
		n -= s.weight
	}
	return scenarios[0]
}

// plannedFault is a fault to apply to one binary, chosen before it
// starts (the random generator is not shared between goroutines).
type plannedFault struct {
	kind string
	at   time.Duration // for timed faults
	lag  time.Duration // after CREATE INDEX CONCURRENTLY is seen
}

// pendingAnomaly is an anomaly reported only once the iteration's outcome
// is known.
type pendingAnomaly struct{ iter, kind, detail, msg string }

// member is one binary of an iteration, with its own proxy.
type member struct {
	p     *proc
	px    *proxy
	fault *plannedFault
	// set by the fault goroutine
	landed, mid, partial bool
	what                 string
	restartErr           error
}

// iteration migrates a fresh database, or a fleet of tenant schemas in
// it, through one to three faulted attempts in a row (each resuming what
// the last one left), then recovers and checks convergence.
func (h *harness) iteration(ctx context.Context, db string) error {
	h.st.iterations++
	fleet := h.rng.IntN(3) == 0
	u, err := h.cluster.CreateDatabase(ctx, db)
	if err != nil {
		return err
	}
	var schemas []string
	if fleet {
		conn, err := h.adminConn(ctx, db)
		if err != nil {
			return err
		}
		for i := 1; i <= h.cfg.tenants; i++ {
			s := fmt.Sprintf("tenant_%d", i)
			schemas = append(schemas, s)
			if _, err := conn.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{s}.Sanitize()); err != nil {
				conn.Close(ctx)
				return err
			}
		}
		conn.Close(ctx)
	}
	expected := h.refTime
	target := "db"
	if fleet {
		expected = h.refTime * time.Duration(1+h.cfg.tenants) / 2
		target = "fleet"
	}
	bound := 2*h.cfg.stmtTimeout + 2*expected + 5*time.Second
	var names, kinds []string
	for a := 1 + h.rng.IntN(3); a > 0 && ctx.Err() == nil; a-- {
		sc := h.pickScenario()
		names = append(names, sc.name)
		it := fmt.Sprintf("%s (%s/%s)", db, target, sc.name)
		b := bound
		if sc.name == scenarioParallel {
			b = 2*h.cfg.stmtTimeout + time.Duration(h.cfg.jobs)*2*expected + 5*time.Second
		}
		got, err := h.faulted(ctx, it, db, u, schemas, sc, expected, b)
		if err != nil {
			return err
		}
		kinds = append(kinds, got...)
	}
	faultDesc := strings.Join(kinds, ", ")
	if faultDesc == "" {
		faultDesc = "no fault landed (the runs ended first)"
	}
	it := fmt.Sprintf("%s (%s/%s)", db, target, strings.Join(names, "+"))
	ok := h.recoverAndCheck(ctx, it, db, u, schemas, bound, faultDesc)
	if ok {
		h.st.converged++
		for _, b := range h.bystanders {
			h.anomaly(b.iter, b.kind, b.detail, "%s", b.msg)
		}
	}
	h.bystanders = nil
	fmt.Fprintf(os.Stderr, "chaos: %-40s %-4s faults=%-4d %s\n", it, okWord(ok), h.st.totalFaults(), faultDesc)
	return h.cluster.DropDatabase(ctx, db)
}

// faulted runs one scenario and returns a description of each fault
// that landed.
func (h *harness) faulted(ctx context.Context, it, db, u string, schemas []string, sc scenario, expected, bound time.Duration) ([]string, error) {
	n := 1
	if sc.name == scenarioParallel {
		n = h.cfg.jobs
	}
	members := make([]*member, n)
	for i := range members {
		members[i] = &member{}
	}
	if n == 1 {
		members[0].fault = h.plan(sc.name, expected)
	} else {
		// At least one binary gets a fault; each other one by a coin
		// toss. The runs take turns under the migration lock and the
		// first does the work, so faults are timed within it.
		for i, m := range members {
			if i == 0 || h.rng.IntN(2) == 0 {
				m.fault = h.plan(perRunFaults[h.rng.IntN(len(perRunFaults))], expected)
			}
		}
	}
	var wg sync.WaitGroup
	for i, m := range members {
		px, err := newProxy(h.srvNet, h.srvAddr)
		if err != nil {
			return nil, err
		}
		m.px = px
		m.p = h.start(ctx, withApp(u, px.Addr(), fmt.Sprintf("chaos-run-%d", i)), schemas)
		if m.fault != nil {
			wg.Add(1)
			go func() {
				defer wg.Done()
				h.apply(ctx, db, schemas, m, bound)
			}()
		}
	}
	for _, m := range members {
		b := bound
		if m.fault != nil && m.fault.kind == faultStall {
			b += h.stallDeadline()
		}
		m.p.wait(ctx, b)
	}
	wg.Wait()
	var kinds []string
	crashed := false
	for i, m := range members {
		crashed = crashed || (m.fault != nil && m.landed && m.fault.kind == faultCrash)
		m.px.Close() // also ends a stall
		if m.fault != nil && m.landed {
			h.st.faults[m.fault.kind]++
			if len(schemas) > 0 {
				h.st.fleetFaults++
			}
			if n > 1 {
				h.st.parallelFaults++
			}
			kinds = append(kinds, fmt.Sprintf("%s on run %d %s", m.fault.kind, i, m.what))
			if m.mid {
				h.st.midMigration++
			}
			if m.partial {
				h.st.midApply++
			}
		}
	}
	for _, m := range members {
		if m.restartErr != nil {
			return nil, fmt.Errorf("restart the server: %w", m.restartErr)
		}
	}
	if crashed {
		// The next attempt starts once the server has recovered: a
		// crash belongs to the attempt that caused it.
		if err := h.waitRecovered(ctx); err != nil {
			return nil, err
		}
	}
	landed := strings.Join(kinds, ", ")
	if landed == "" {
		landed = "none landed"
	}
	for i, m := range members {
		switch {
		case m.p.hung:
			h.st.hangs++
			desc, sig := "no fault of its own", "no fault of its own"
			if m.fault != nil {
				desc, sig = m.fault.kind+" "+m.what, "after "+m.fault.kind
			}
			h.anomaly(it, "hang", sig, "run %d (%s) did not end within %s and was killed; output:\n%s", i, desc, bound.Round(time.Second), m.p.output())
		case m.fault == nil && m.p.code != 0:
			// Reported only if the target converges in the end: if it
			// does not, that anomaly says why this run failed too.
			h.bystanders = append(h.bystanders, pendingAnomaly{it, "bystander", m.p.output(),
				fmt.Sprintf("run %d had no fault of its own but exited %d; faults in this attempt: %s; output:\n%s",
					i, m.p.code, landed, m.p.output())})
		}
	}
	return kinds, nil
}

// ownQueryDeadline is the fixed deadline of safemigrate's own short
// queries (reading the tracking tables, taking the migration lock), as
// docs/security.md ("Stalled connections") documents it.
const ownQueryDeadline = 2 * time.Minute

// stallDeadline is how long a run may wait, by its documented deadlines
// (docs/security.md, "Stalled connections"), before it gives up on a
// network that stopped carrying its traffic: its own queries have
// ownQueryDeadline; a round trip of n statements, n × the statement
// timeout plus executor.RoundTripMargin. A stalled run is a hang only
// when it outlives the usual bound by more than that: it waits for ever,
// or past a deadline it promises.
func (h *harness) stallDeadline() time.Duration {
	return max(ownQueryDeadline, time.Duration(h.set.maxStmts)*h.cfg.stmtTimeout+executor.RoundTripMargin)
}

func okWord(ok bool) string {
	if ok {
		return "ok"
	}
	return "FAIL"
}

func (h *harness) plan(kind string, expected time.Duration) *plannedFault {
	return &plannedFault{kind: kind, at: h.jitter(expected), lag: h.jitter(40 * time.Millisecond)}
}

// apply waits for m's moment and injects its fault, unless the run ends
// first.
func (h *harness) apply(ctx context.Context, db string, schemas []string, m *member, bound time.Duration) {
	f := m.fault
	app := m.p.app
	conn, err := h.adminConn(ctx, "postgres")
	if err != nil {
		return
	}
	defer func() { conn.Close(context.WithoutCancel(ctx)) }()
	switch f.kind {
	case faultKillNonTx, faultTerminateNonT:
		deadline := time.Now().Add(bound)
		for {
			if m.p.exited() || time.Now().After(deadline) {
				return
			}
			var n int
			err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
				WHERE application_name = $1 AND state = 'active' AND query ILIKE '%INDEX CONCURRENTLY%'`, app).Scan(&n)
			if err != nil {
				return
			}
			if n > 0 {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(f.lag)
	default:
		select {
		case <-m.p.done:
			return
		case <-time.After(f.at):
		}
	}
	if m.p.exited() {
		return
	}
	m.what, m.mid, m.partial = h.observe(ctx, conn, db, app, schemas)
	m.landed = true
	switch f.kind {
	case faultKill, faultKillNonTx:
		m.p.kill()
	case faultTerminate, faultTerminateNonT:
		_, _ = conn.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE $1 || '%'`, app)
	case faultCrash:
		var pid int
		err := conn.QueryRow(ctx, `SELECT pid FROM pg_stat_activity
			WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()
			ORDER BY application_name LIKE $1 || '%' DESC, random() LIMIT 1`, app).Scan(&pid)
		if err != nil {
			pid = 0
		}
		if pid == 0 {
			// No other session: kill our own backend, which crashes the server just the same.
			_ = conn.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&pid)
		}
		_ = syscall.Kill(pid, syscall.SIGKILL)
	case faultCut:
		m.px.Cut()
	case faultStall:
		m.px.Stall()
	case faultRestart:
		// Returns once the server accepts connections again; a failed
		// start ends the whole run (nothing can be checked any more).
		if err := h.cluster.Restart(context.WithoutCancel(ctx)); err != nil {
			m.restartErr = err
		}
	}
}

// waitRecovered waits until the server, SIGKILLed in one backend, has
// gone through crash recovery and accepts connections again.
func (h *harness) waitRecovered(ctx context.Context) error {
	time.Sleep(300 * time.Millisecond) // the postmaster notices the dead backend
	conn, err := h.adminConn(ctx, "postgres")
	if err != nil {
		return fmt.Errorf("the server did not come back after a crash: %w", err)
	}
	return conn.Close(ctx)
}

// observe describes what app was doing just before a fault: the statement
// it was running, whether that was migration work (not the lock or the
// tracking tables), and whether the target was partly migrated.
func (h *harness) observe(ctx context.Context, conn *pgx.Conn, db, app string, schemas []string) (what string, mid, partial bool) {
	var q string
	err := conn.QueryRow(ctx, `SELECT coalesce(string_agg(left(regexp_replace(query, '\s+', ' ', 'g'), 70), ' | '), '')
		FROM pg_stat_activity WHERE application_name LIKE $1 || '%' AND state = 'active'
		AND query NOT ILIKE '%advisory%' AND query NOT ILIKE '%safemigrate_%'`, app).Scan(&q)
	if err == nil && q != "" {
		mid = true
		what = "during: " + q
	} else {
		what = "between statements"
	}
	tconn, err := pgx.Connect(ctx, withApp(h.cluster.URL(db), "", "chaos-admin"))
	if err != nil {
		return what, mid, false
	}
	defer tconn.Close(context.WithoutCancel(ctx))
	if len(schemas) == 0 {
		schemas = []string{"public"}
	}
	for _, s := range schemas {
		has, err := hasTable(ctx, tconn, s, "safemigrate_migrations")
		if err != nil || !has {
			continue
		}
		var n int
		if err := tconn.QueryRow(ctx, `SELECT count(*) FROM `+pgx.Identifier{s, "safemigrate_migrations"}.Sanitize()).Scan(&n); err != nil {
			continue
		}
		if n > 0 && n < len(h.set.ids) {
			partial = true
			what += fmt.Sprintf(" [%s: %d/%d applied]", s, n, len(h.set.ids))
		}
	}
	return what, mid, partial
}

// recoverAndCheck reruns safemigrate without faults until it succeeds,
// then checks convergence. It reports whether everything was as expected.
func (h *harness) recoverAndCheck(ctx context.Context, it, db, u string, schemas []string, bound time.Duration, faults string) bool {
	var last *proc
	ok := false
	for attempt := 1; attempt <= recoverAttempts; attempt++ {
		last = h.start(ctx, withApp(u, "", "chaos-recover"), schemas)
		if last.wait(ctx, bound) == 0 {
			ok = true
			break
		}
		if last.hung {
			h.st.hangs++
			h.anomaly(it, "hang", "clean rerun", "clean rerun %d did not end within %s after %s; output:\n%s", attempt, bound.Round(time.Second), faults, last.output())
			return false
		}
		time.Sleep(500 * time.Millisecond)
	}
	if !ok {
		h.anomaly(it, "no-convergence", last.output(), "%d clean reruns after %s all failed; last (exit %d):\n%s", recoverAttempts, faults, last.code, last.output())
		return false
	}
	conn, err := h.adminConn(ctx, db)
	if err != nil {
		h.anomaly(it, "check", err.Error(), "%v", err)
		return false
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if len(schemas) == 0 {
		schemas = []string{"public"}
	}
	for _, s := range schemas {
		p, err := checkSchema(ctx, conn, s, h.ref, h.set.ids)
		if err != nil {
			h.anomaly(it, "check", err.Error(), "schema %s: %v", s, err)
			ok = false
			continue
		}
		if len(p) > 0 {
			h.anomaly(it, "diverged", joinProblems(p), "schema %s after %s differs from the reference: %s", s, faults, joinProblems(p))
			ok = false
		}
	}
	left, err := leftovers(ctx, conn, db, "chaos-r", 15*time.Second)
	if err != nil {
		h.anomaly(it, "check", err.Error(), "%v", err)
		return false
	}
	if len(left) > 0 {
		h.anomaly(it, "leftover", joinProblems(left), "after %s and a successful rerun: %s", faults, joinProblems(left))
		ok = false
	}
	return ok
}
