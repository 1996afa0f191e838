package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/alecthomas/kong"
	"golang.org/x/term"

	"github.com/safemigrate/safemigrate/internal/ansi"
	"github.com/safemigrate/safemigrate/internal/config"
	"github.com/safemigrate/safemigrate/internal/redact"
)

// Exit codes (docs/commands.md).
const (
	ExitOK      = 0
	ExitFailure = 1 // a migration, preflight or lint failure, or --check found work
	ExitUsage   = 2 // usage, configuration, input file, connection or lock-wait error
	ExitBlocked = 3 // blocked in strict pre-deploy
)

// Globals are the flags every command accepts.
type Globals struct {
	Dir         string `help:"Migrations directory (default: migrations)." env:"SAFEMIGRATE_DIR" placeholder:"DIR"`
	DatabaseURL string `name:"database-url" help:"PostgreSQL connection URL; the libpq PG* variables work too." env:"SAFEMIGRATE_DATABASE_URL,DATABASE_URL" placeholder:"URL"`
	Layout      string `help:"Layout of the migrations directory: auto (detected from the files), safemigrate, goose, golang-migrate, dbmate or flyway; only a file's up part ever runs (docs/file-format.md)." default:"auto" enum:"auto,safemigrate,goose,golang-migrate,dbmate,flyway" placeholder:"LAYOUT"`
	Config      string `help:"Configuration file (default: safemigrate.yaml in the working directory, if present)." placeholder:"FILE"`
	Format      string `help:"Output format: text or json (lint also github and sarif; graph also dot and mermaid)." default:"text" enum:"text,json,github,sarif,dot,mermaid" placeholder:"FORMAT"`
	NoColor     bool   `name:"no-color" help:"Never colour output (NO_COLOR does the same)."`
}

// isInteger reports whether s is an optionally signed run of ASCII digits.
func isInteger(s string) bool {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+")
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// CLI is the command tree.
type CLI struct {
	Globals

	Plan      PlanCmd      `cmd:"" help:"Print what a phase would run, what waits and what is blocked."`
	Migrate   MigrateCmd   `cmd:"" help:"Plan, rehearse in a rolled-back transaction, then apply."`
	Preflight PreflightCmd `cmd:"" help:"Rehearse pending migrations in one transaction and roll back."`
	Status    StatusCmd    `cmd:"" help:"Show every migration: applied, pending, drift, unknown."`
	Lint      LintCmd      `cmd:"" help:"Check directives and SQL for unsafe migrations."`
	Annotate  AnnotateCmd  `cmd:"" help:"Show the safe value the SQL suggests for each migration; --write fills in missing ones."`
	Baseline  BaselineCmd  `cmd:"" help:"Record migrations as applied without running them."`
	Adopt     AdoptCmd     `cmd:"" help:"Record what goose, golang-migrate, dbmate or Flyway applied, reading its table."`
	Accept    AcceptCmd    `cmd:"" help:"Re-record the checksum of applied migrations whose file changed cosmetically."`
	Graph     GraphCmd     `cmd:"" help:"Draw the dependency graph (text, dot, mermaid)."`
	New       NewCmd       `cmd:"" help:"Create the next migration file with its header."`
	Version   VersionCmd   `cmd:"" help:"Print version and build information."`

	Completion CompletionCmd `cmd:"" help:"Print a shell completion script (bash, zsh, fish)."`
}

// Env is what every command receives besides the context: the resolved
// configuration, the output writers and the clock. The CLI builds one per
// Run; nothing is global.
type Env struct {
	Stdin   io.Reader
	Stdout  io.Writer
	Stderr  io.Writer
	Globals *Globals
	Config  config.Config
	// Color says whether stdout may carry ANSI colours.
	Color bool
	// ColorErr says whether stderr may carry ANSI colours.
	ColorErr bool
	Now      func() time.Time
	// wrote is set once a command wrote to stdout, so that a failing
	// command in JSON mode still yields exactly one document.
	wrote *bool
}

// kongExit is panicked by kong's Exit hook (after --help) and recovered by Run.
type kongExit struct{ code int }

// Run executes the command line args and returns the process exit code.
// ctx reaches every command's Run method through kong's bindings.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	var cli CLI
	wrote := false
	out := &trackingWriter{w: stdout, wrote: &wrote}
	cfg := &configResolver{}
	parser, err := kong.New(&cli,
		kong.Name("safemigrate"),
		kong.Description("Make PostgreSQL schema migrations safe to ship: plan by deploy phase, lint the SQL, rehearse, then apply."),
		kong.Writers(out, stderr),
		kong.Exit(func(c int) { panic(kongExit{c}) }),
		kong.UsageOnError(),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true}),
		kong.Resolvers(cfg),
		kong.BindTo(ctx, (*context.Context)(nil)),
	)
	if err != nil {
		fmt.Fprintf(stderr, "safemigrate: internal error: %v\n", err)
		return ExitUsage
	}
	defer func() {
		if r := recover(); r != nil {
			ke, ok := r.(kongExit)
			if !ok {
				panic(r)
			}
			code = ke.code
		}
	}()
	completeIfRequested(parser)
	if len(args) == 0 {
		args = []string{"--help"} // a bare `safemigrate` shows what it can do
	}
	kctx, err := parser.Parse(args)
	if err != nil {
		// Flag values reach kong's messages; a connection string may be one.
		msg := redact.String(err.Error())
		fmt.Fprintf(stderr, "safemigrate: error: %s\nRun `%s` for usage.\n", msg, helpFor(err))
		if jsonRequested(args, cli.Globals.Format) && !wrote {
			writeErrorJSON(out, msg, ExitUsage)
		}
		return ExitUsage
	}
	env := newEnv(&cli.Globals, stdin, out, stderr)
	env.wrote = &wrote
	if err := cfg.load(cli.Globals.Config); err != nil {
		return report(env, &cli.Globals, withCode(ExitUsage, fmt.Errorf("%w\nfix the file, or pass --config to use another one", err)))
	}
	env.Config = cfg.cfg
	return report(env, &cli.Globals, kctx.Run(env))
}

// helpFor is the help command that explains a parse error: the command's
// own (`safemigrate migrate --help`) once the command is known.
func helpFor(err error) string {
	var pe *kong.ParseError
	if errors.As(err, &pe) && pe.Context != nil {
		if node := pe.Context.Selected(); node != nil {
			var words []string
			for n := node; n != nil && n.Type == kong.CommandNode; n = n.Parent {
				words = append([]string{n.Name}, words...)
			}
			if len(words) > 0 {
				return "safemigrate " + strings.Join(words, " ") + " --help"
			}
		}
	}
	return "safemigrate --help"
}

// jsonRequested reports whether the command line asked for JSON output,
// for errors found before kong has set every flag: format is what kong
// parsed so far, args are scanned for the rest.
func jsonRequested(args []string, format string) bool {
	last := format
	for i, a := range args {
		switch {
		case a == "--":
			return last == "json"
		case a == "--format" && i+1 < len(args):
			last = args[i+1]
		case strings.HasPrefix(a, "--format="):
			last = strings.TrimPrefix(a, "--format=")
		}
	}
	return last == "json"
}

// writeErrorJSON writes the error document of a command that failed
// before writing anything to stdout.
func writeErrorJSON(w io.Writer, msg string, code int) {
	_ = writeJSON(w, struct {
		OK    bool     `json:"ok"`
		Error errorDoc `json:"error"`
	}{false, errorDoc{msg, code}})
}

// errorDoc is the "error" object of every JSON document of a failed
// command.
type errorDoc struct {
	Message  string `json:"message"`
	ExitCode int    `json:"exit_code"`
}

// newEnv settles colours; NO_COLOR and TERM are read here and nowhere
// else.
func newEnv(g *Globals, stdin io.Reader, stdout, stderr io.Writer) *Env {
	env := &Env{Stdin: stdin, Stdout: stdout, Stderr: stderr, Globals: g, Now: time.Now}
	noColor := g.NoColor || os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb"
	env.Color = !noColor && isTerminal(stdout) && g.Format == "text"
	env.ColorErr = !noColor && isTerminal(stderr)
	return env
}

// report prints err (if any) and returns the exit code for it.
func report(env *Env, g *Globals, err error) int {
	if err == nil {
		return ExitOK
	}
	code := exitCode(err)
	// kong wraps what a command's Run returns: look through it.
	if errors.As(err, new(silentExit)) {
		return code
	}
	// The last line of defence: whatever an error quotes from the user's
	// input (a mistyped connection string, a config value), no password
	// reaches the release log.
	msg := redact.String(message(err))
	prefix := ansi.Paint(env.ColorErr, "safemigrate: error:", ansi.Bold, ansi.Red) + " "
	fmt.Fprintf(env.Stderr, "%s%s\n", prefix, strings.ReplaceAll(msg, "\n", "\n  "))
	if g.Format == "json" && env.wrote != nil && !*env.wrote {
		writeErrorJSON(env.Stdout, msg, code)
	}
	return code
}

// emit writes a command's report: v as JSON, or text() for text.
func (e *Env) emit(format string, v any, text func()) error {
	if format == "json" {
		return writeJSON(e.Stdout, v)
	}
	text()
	return nil
}

// writeJSON writes v as one indented JSON document.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// trackingWriter remembers whether anything was written.
type trackingWriter struct {
	w     io.Writer
	wrote *bool
}

func (t *trackingWriter) Write(p []byte) (int, error) {
	if len(p) > 0 {
		*t.wrote = true
	}
	return t.w.Write(p)
}

// isTerminal reports whether w is a terminal (not merely a character
// device: /dev/null is one too).
func isTerminal(w io.Writer) bool {
	if t, ok := w.(*trackingWriter); ok {
		w = t.w
	}
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// format returns the output format after checking it is one of valid.
func (e *Env) format(valid ...string) (string, error) {
	f := e.Globals.Format
	for _, v := range valid {
		if f == v {
			return f, nil
		}
	}
	return "", usageError("--format %s is not supported here (valid: %s)", f, strings.Join(valid, ", "))
}
