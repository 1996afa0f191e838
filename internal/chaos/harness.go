package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/safemigrate/safemigrate/pgcluster"
)

// config holds the command-line flags.
type config struct {
	duration, max, stmtTimeout time.Duration
	minFaults, jobs, tenants   int
	seed                       uint64
	bin                        string
}

// itersPerRound is how many fault iterations share one generated
// migration set and its reference database.
const itersPerRound = 5

// recoverAttempts bounds the clean reruns after a fault.
const recoverAttempts = 5

// harness is the state of one chaos run.
type harness struct {
	cfg     config
	rng     *rand.Rand
	cluster *pgcluster.Cluster
	bin     string
	tmp     string
	srvNet  string // how the proxy reaches the server: "unix" or "tcp"
	srvAddr string

	// per round
	set     *migrationSet
	ref     []string
	refTime time.Duration

	st         stats
	bystanders []pendingAnomaly // of the current iteration
}

type stats struct {
	runs, iterations, converged int
	faults                      map[string]int
	midMigration, midApply      int
	fleetFaults, parallelFaults int
	hangs                       int
	anomalies                   []anomaly
}

func (s *stats) totalFaults() int {
	n := 0
	for _, v := range s.faults {
		n += v
	}
	return n
}

func run(ctx context.Context, cfg config) (int, error) {
	start := time.Now()
	tmp, err := os.MkdirTemp("", "safemigrate-chaos-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(tmp)
	h := &harness{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.seed, cfg.seed^0x9e3779b97f4a7c15)), tmp: tmp,
		st: stats{faults: map[string]int{}}}
	fmt.Fprintf(os.Stderr, "chaos: seed %d (replay with -seed %d)\n", cfg.seed, cfg.seed)
	h.bin = cfg.bin
	if h.bin == "" {
		h.bin = filepath.Join(tmp, "safemigrate")
		build := exec.CommandContext(ctx, "go", "build", "-o", h.bin, "./cmd/safemigrate")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return 0, fmt.Errorf("build ./cmd/safemigrate (run from the repository root): %w", err)
		}
	}
	fmt.Fprintln(os.Stderr, "chaos: starting a throwaway PostgreSQL…")
	c, err := pgcluster.Start(ctx, pgcluster.Options{Settings: map[string]string{"max_connections": "200"}})
	if err != nil {
		return 0, err
	}
	defer c.Stop()
	h.cluster = c
	pc, err := pgx.ParseConfig(c.URL("postgres"))
	if err != nil {
		return 0, fmt.Errorf("parse the cluster's connection string: %w", err)
	}
	if strings.HasPrefix(pc.Host, "/") {
		h.srvNet, h.srvAddr = "unix", filepath.Join(pc.Host, ".s.PGSQL."+strconv.Itoa(int(pc.Port)))
	} else {
		h.srvNet, h.srvAddr = "tcp", fmt.Sprintf("%s:%d", pc.Host, pc.Port)
	}

	enough := func() bool {
		el := time.Since(start)
		return ctx.Err() != nil || el >= cfg.max || (el >= cfg.duration && h.st.totalFaults() >= cfg.minFaults)
	}
	for round := 0; !enough(); round++ {
		if err := h.newRound(ctx, round); err != nil {
			return 0, err
		}
		for i := 0; i < itersPerRound && !enough(); i++ {
			if err := h.iteration(ctx, fmt.Sprintf("c%d_%d", round, i)); err != nil {
				return 0, err
			}
		}
	}
	if ctx.Err() != nil {
		return 0, fmt.Errorf("interrupted")
	}
	h.report(time.Since(start))
	if n := h.st.totalFaults(); n < cfg.minFaults {
		fmt.Printf("FAIL: only %d of the %d faults asked for (-faults) were injected within -max %s\n", n, cfg.minFaults, cfg.max)
		return 1, nil
	}
	if len(h.st.anomalies) > 0 {
		return 1, nil
	}
	return 0, nil
}

// newRound writes a new migration set and migrates a reference database
// with it, without faults.
func (h *harness) newRound(ctx context.Context, round int) error {
	dir := filepath.Join(h.tmp, fmt.Sprintf("round%d", round))
	set, err := writeMigrations(dir, h.rng)
	if err != nil {
		return err
	}
	h.set = set
	db := fmt.Sprintf("ref%d", round)
	u, err := h.cluster.CreateDatabase(ctx, db)
	if err != nil {
		return err
	}
	t0 := time.Now()
	r := h.start(ctx, withApp(u, "", "chaos-ref"), nil)
	if code := r.wait(ctx, time.Minute); code != 0 {
		return fmt.Errorf("reference run of round %d exited %d without any fault:\n%s", round, code, r.output())
	}
	h.refTime = time.Since(t0)
	fmt.Fprintf(os.Stderr, "chaos: round %d: %d migrations, a clean run takes %s\n", round, len(set.ids), h.refTime.Round(time.Millisecond))
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if h.ref, err = snapshot(ctx, conn, "public"); err != nil {
		return err
	}
	if p, err := checkSchema(ctx, conn, "public", h.ref, h.set.ids); err != nil || len(p) > 0 {
		return fmt.Errorf("reference database of round %d is not clean: %v %v", round, p, err)
	}
	return h.cluster.DropDatabase(ctx, db)
}

// proc is one safemigrate subprocess.
type proc struct {
	cmd  *exec.Cmd
	out  bytes.Buffer
	done chan struct{}
	code int
	hung bool
	app  string
}

// start runs safemigrate migrate --phase post-deploy against u.
func (h *harness) start(ctx context.Context, u string, schemas []string) *proc {
	h.st.runs++
	args := []string{"--dir", h.set.dir, "--no-color", "migrate", "--phase", "post-deploy",
		"--lock-wait", "60s", "--lock-timeout", "5s", "--statement-timeout", h.cfg.stmtTimeout.String()}
	if len(schemas) > 0 {
		args = append(args, "--schemas", strings.Join(schemas, ","), "--jobs", "2")
	}
	p := &proc{done: make(chan struct{})}
	if pu, err := url.Parse(u); err == nil {
		p.app = pu.Query().Get("application_name")
	}
	p.cmd = exec.Command(h.bin, args...)
	p.cmd.Env = append(os.Environ(), "SAFEMIGRATE_DATABASE_URL="+u, "NO_COLOR=1")
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	if err := p.cmd.Start(); err != nil {
		p.code = -1
		fmt.Fprintf(&p.out, "start: %v", err)
		close(p.done)
		return p
	}
	go func() {
		err := p.cmd.Wait()
		var ee *exec.ExitError
		switch {
		case err == nil:
		case errors.As(err, &ee) && ee.ExitCode() >= 0:
			p.code = ee.ExitCode()
		default:
			p.code = -1 // killed by a signal
		}
		close(p.done)
	}()
	return p
}

// wait waits up to bound for the run to end; past it the run is killed
// and marked hung. It returns the exit code (-1: killed).
func (p *proc) wait(ctx context.Context, bound time.Duration) int {
	select {
	case <-p.done:
	case <-ctx.Done():
		p.kill()
		<-p.done
	case <-time.After(bound):
		p.hung = true
		p.kill()
		<-p.done
	}
	return p.code
}

func (p *proc) kill() {
	if p.cmd.Process != nil {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
	}
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func (p *proc) output() string {
	s := strings.TrimSpace(p.out.String())
	if len(s) > 1500 {
		s = "…" + s[len(s)-1500:]
	}
	return s
}

// withApp returns u with application_name app and, when addr is not
// empty, host and port replaced by addr (the proxy).
func withApp(u, addr, app string) string {
	pu, err := url.Parse(u)
	if err != nil {
		return u
	}
	q := pu.Query()
	if addr != "" {
		q.Del("host")
		q.Del("port")
		pu.Host = addr
	}
	q.Set("application_name", app)
	pu.RawQuery = q.Encode()
	return pu.String()
}

// anomaly is one unexpected outcome. sig groups anomalies that look
// like one defect: their kind and the error or difference, with paths,
// tenant names and object-name suffixes left out.
type anomaly struct {
	iter, kind, msg, sig string
}

// anomaly records an anomaly; detail (a run's output or the differences
// found) gives its signature.
func (h *harness) anomaly(it, kind, detail, format string, args ...any) {
	a := anomaly{iter: it, kind: kind, msg: fmt.Sprintf(format, args...), sig: kind + ": " + signature(detail)}
	h.st.anomalies = append(h.st.anomalies, a)
	fmt.Fprintf(os.Stderr, "chaos: ANOMALY %s [%s] %s\n", it, kind, strings.SplitN(a.msg, "\n", 2)[0])
}

var (
	sigPath   = regexp.MustCompile(`/\S*/round\d+/`)
	sigTenant = regexp.MustCompile(`tenant_\d+`)
	sigPID    = regexp.MustCompile(`pid \d+`)
	sigFile   = regexp.MustCompile(`[\w/.-]+\.sql:\d+:`)
)

// signature picks the telling line of detail: a PostgreSQL error, else
// safemigrate's error line, else all of it.
func signature(detail string) string {
	line := ""
	for _, l := range strings.Split(detail, "\n") {
		if strings.Contains(l, "(SQLSTATE") {
			line = l
			break
		}
		if line == "" && strings.HasPrefix(l, "safemigrate: error:") {
			line = l
		}
	}
	if line == "" {
		line = detail
	}
	line = sigPath.ReplaceAllString(line, "")
	if loc := sigFile.FindStringIndex(line); loc != nil {
		line = line[loc[0]:] // the same error in a fleet's table or alone
	}
	line = sigTenant.ReplaceAllString(line, "tenant_N")
	line = sigPID.ReplaceAllString(line, "pid N")
	line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "✗ failed:"))
	if len(line) > 300 {
		line = line[:300] + "…"
	}
	return line
}

// adminConn connects to database db as the superuser, retrying while the
// server restarts.
func (h *harness) adminConn(ctx context.Context, db string) (*pgx.Conn, error) {
	var err error
	for range 300 {
		var conn *pgx.Conn
		if conn, err = pgx.Connect(ctx, withApp(h.cluster.URL(db), "", "chaos-admin")); err == nil {
			return conn, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return nil, fmt.Errorf("connect to %s: %w", db, err)
}

// jitter is a random duration in [0, d).
func (h *harness) jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return time.Duration(h.rng.Int64N(int64(d)))
}
