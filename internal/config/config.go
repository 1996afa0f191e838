package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/safemigrate/safemigrate/internal/spell"
	"github.com/safemigrate/safemigrate/lint"
	"github.com/safemigrate/safemigrate/migration"
)

// DefaultFile is read from the working directory when --config is not given.
const DefaultFile = "safemigrate.yaml"

// Config is the content of safemigrate.yaml. Zero values mean "not set".
type Config struct {
	Dir            string         `yaml:"dir"`
	DatabaseURL    string         `yaml:"database_url"`
	DefaultSafe    migration.Safe `yaml:"default_safe"`
	TrackingSchema string         `yaml:"tracking_schema"`
	Mode           string         `yaml:"mode"`
	Initial        string         `yaml:"initial"` // "auto": --initial=auto for plan and migrate
	Versioning     string         `yaml:"versioning"`
	Layout         string         `yaml:"layout"`
	PGVersion      int            `yaml:"pg_version"`
	LockRetries    *int           `yaml:"lock_retries"`
	// Atomic makes migrate apply in one pass (migrate --atomic).
	Atomic bool `yaml:"atomic"`

	LockTimeout      Duration `yaml:"lock_timeout"`
	StatementTimeout Duration `yaml:"statement_timeout"`
	LockWait         Duration `yaml:"lock_wait"`

	Tenants Tenants `yaml:"tenants"`
	Lint    Lint    `yaml:"lint"`
}

// Lint configures `safemigrate lint` (docs/configuration.md).
type Lint struct {
	// ExcludeRules are rule IDs that are never reported.
	ExcludeRules []string `yaml:"exclude_rules"`
	// ExcludePaths are globs (path.Match, relative to the migrations
	// directory; ** matches any number of directories) of files that
	// are not reported on.
	ExcludePaths []string `yaml:"exclude_paths"`
	// LargeTable is the size or row count over which a lock or rewrite
	// finding is an error with `lint --database-url`; default 1 GB or
	// 10M rows.
	LargeTable LargeTable `yaml:"large_table"`
}

// Tenants configures multi-tenant fleets (docs/executing.md).
type Tenants struct {
	Schemas    []string `yaml:"schemas"`
	Query      string   `yaml:"query"`
	SearchPath []string `yaml:"search_path"` // appended after the tenant schema, e.g. [public]
	Jobs       int      `yaml:"jobs"`
	// Databases lists the connection strings of a fleet of databases;
	// with Schemas, each of them in each database is a tenant.
	Databases     []string `yaml:"databases"`
	JobsPerServer int      `yaml:"jobs_per_server"`
}

// Duration is a time.Duration written as in migration headers ("5s", "7d").
type Duration struct {
	time.Duration
	Set bool
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := migration.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	d.Duration, d.Set = v, true
	return nil
}

// Error is a problem in the configuration file.
type Error struct {
	File string
	Err  error
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %v", e.File, e.Err) }

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Load reads path. When optional is true and the file does not exist, Load
// returns an empty Config.
func Load(path string, optional bool) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if optional && errors.Is(err, os.ErrNotExist) {
			return Config{}, nil
		}
		return Config{}, &Error{File: path, Err: err}
	}
	cfg, err := Parse(data)
	if err != nil {
		return Config{}, &Error{File: path, Err: err}
	}
	return cfg, nil
}

// Parse decodes and validates a configuration document.
func Parse(data []byte) (Config, error) {
	var cfg Config
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, syntaxError(data, err)
	}
	if err := checkShape(&doc); err != nil {
		return Config{}, err
	}
	if err := doc.Decode(&cfg); err != nil {
		return Config{}, errors.New(yamlMessage(err))
	}
	// A second document would be ignored, settings and typos alike.
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		line := extra.Line
		if err != nil || line == 0 {
			return Config{}, fmt.Errorf("a second YAML document follows the first; the configuration is one document: remove the `---` separator and merge the settings")
		}
		return Config{}, fmt.Errorf("line %d: a second YAML document starts here; the configuration is one document: remove the `---` separator and merge the settings into the first", line)
	}
	if err := checkRules(&doc, cfg.Lint.ExcludeRules); err != nil {
		return Config{}, err
	}
	if cfg.DefaultSafe != "" {
		if _, err := migration.ParseSafe(string(cfg.DefaultSafe)); err != nil {
			return Config{}, fmt.Errorf("default_safe: %w", err)
		}
	}
	if err := oneOf("mode", cfg.Mode, "strict", "nonstrict", "disabled"); err != nil {
		return Config{}, err
	}
	if err := oneOf("initial", cfg.Initial, "auto", "false"); err != nil {
		return Config{}, err
	}
	if err := oneOf("versioning", cfg.Versioning, "sequential", "timestamp"); err != nil {
		return Config{}, err
	}
	if _, err := migration.ParseLayout(cfg.Layout); err != nil {
		return Config{}, fmt.Errorf("layout: %w", err)
	}
	if cfg.LockRetries != nil && *cfg.LockRetries < 0 {
		return Config{}, fmt.Errorf("lock_retries must not be negative")
	}
	if cfg.Tenants.Query != "" && len(cfg.Tenants.Schemas) > 0 {
		return Config{}, fmt.Errorf("tenants: give either schemas or query, not both")
	}
	if cfg.Tenants.Jobs < 0 {
		return Config{}, fmt.Errorf("tenants: jobs must be at least 1")
	}
	if cfg.Tenants.JobsPerServer < 0 {
		return Config{}, fmt.Errorf("tenants: jobs_per_server must be at least 1")
	}
	if len(cfg.Tenants.Databases) > 0 && cfg.Tenants.Query != "" {
		return Config{}, fmt.Errorf("tenants: with databases, give the tenant schemas as a list (schemas), not a query")
	}
	return cfg, nil
}

func oneOf(key, v string, valid ...string) error {
	if v == "" {
		return nil
	}
	for _, ok := range valid {
		if v == ok {
			return nil
		}
	}
	return fmt.Errorf("%s: %q is not one of %s", key, v, strings.Join(valid, ", "))
}

// yamlMessage is a yaml.v3 error without the library's framing ("yaml: ",
// "unmarshal errors:"): its lines, each "line N: what".
func yamlMessage(err error) string {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return strings.Join(te.Errors, "\n")
	}
	return strings.TrimPrefix(err.Error(), "yaml: ")
}

// yamlLine matches the line yaml.v3 puts in its errors.
var yamlLine = regexp.MustCompile(`^line (\d+): `)

// syntaxError turns a YAML syntax error into "line N: message" with the
// line where the problem shows. yaml.v3 names the line where the
// enclosing mapping or sequence starts ("line 1: did not find expected
// key" for a mistake on line 2): the first prefix of the document that
// fails with the same message ends on the line to name.
func syntaxError(data []byte, err error) error {
	msg := yamlMessage(err)
	m := yamlLine.FindStringSubmatch(msg)
	if m == nil {
		return errors.New(msg)
	}
	reported, _ := strconv.Atoi(m[1])
	what := msg[len(m[0]):]
	lines := bytes.SplitAfter(data, []byte("\n"))
	for n := reported; n <= len(lines); n++ {
		var doc yaml.Node
		perr := yaml.NewDecoder(bytes.NewReader(bytes.Join(lines[:n], nil))).Decode(&doc)
		if perr == nil || errors.Is(perr, io.EOF) {
			continue
		}
		pm := strings.TrimPrefix(perr.Error(), "yaml: ")
		if pl := yamlLine.FindString(pm); pl != "" && pm[len(pl):] == what {
			if n > reported {
				return fmt.Errorf("line %d: %s", n, what)
			}
			break
		}
	}
	return errors.New(msg)
}

// checkRules reports an exclude_rules entry that names no rule, with its
// line in the file.
func checkRules(doc *yaml.Node, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	known := make([]string, 0, len(lint.Rules))
	for _, r := range lint.Rules {
		known = append(known, r.ID)
	}
	lines := map[string]int{}
	if n := lookup(doc, "lint", "exclude_rules"); n != nil {
		for _, item := range n.Content {
			if _, seen := lines[item.Value]; !seen {
				lines[item.Value] = item.Line
			}
		}
	}
	for _, id := range ids {
		if slices.Contains(known, id) {
			continue
		}
		msg := fmt.Sprintf("lint: exclude_rules: no rule %q", id)
		if best := spell.Closest(id, known, 3); best != "" {
			msg += fmt.Sprintf(", did you mean %s?", best)
		} else {
			msg += " (docs/rules.md lists the rules)"
		}
		if l := lines[id]; l > 0 {
			msg = fmt.Sprintf("line %d: %s", l, msg)
		}
		return errors.New(msg)
	}
	return nil
}

// lookup returns the node at a path of mapping keys, nil when absent.
func lookup(n *yaml.Node, path ...string) *yaml.Node {
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, key := range path {
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				next = n.Content[i+1]
			}
		}
		n = next
	}
	return n
}
