package pgcluster

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Defaults used when the corresponding [Options] field is zero.
const (
	// DefaultUser runs initdb and postgres when this process is root.
	DefaultUser = "postgres"
	// DefaultStartTimeout bounds [Start].
	DefaultStartTimeout = 60 * time.Second
	// DefaultStopTimeout is how long [Cluster.Stop] waits for a fast
	// shutdown before it kills the server.
	DefaultStopTimeout = 10 * time.Second
)

// Options configures [Start] and the binary search of [Options.FindBin].
// The zero value is ready to use.
type Options struct {
	// BinDir is the directory holding initdb, postgres and pg_dump. When
	// set, only this directory is searched.
	BinDir string

	// SearchPath lists the directories searched, in order, when BinDir is
	// empty. When empty, [DefaultSearchPath] is used.
	SearchPath []string

	// TempDir is the directory in which the cluster's temporary directory
	// is created, and which is swept of directories left behind by
	// processes that died. Empty means [os.TempDir]. When the process runs
	// as root, User must be able to traverse it.
	TempDir string

	// User is the operating-system user that runs initdb and postgres
	// when this process runs as root (PostgreSQL refuses to run as root).
	// Empty means [DefaultUser]. Ignored when not running as root.
	User string

	// Settings are extra server settings, passed as `-c name=value`.
	// They override the defaults chosen for throwaway use (fsync=off,
	// synchronous_commit=off, full_page_writes=off, wal_level=minimal,
	// max_wal_senders=0, max_connections=100, jit=off). Settings that
	// decide who can connect (listen_addresses, port,
	// unix_socket_directories, unix_socket_permissions, hba_file, …) are
	// managed by Start and refused here.
	Settings map[string]string

	// StartTimeout bounds [Start] in addition to its context. Zero means
	// [DefaultStartTimeout].
	StartTimeout time.Duration

	// StopTimeout is how long [Cluster.Stop] waits for a fast shutdown
	// before it kills the server. Zero means [DefaultStopTimeout].
	StopTimeout time.Duration
}

// defaultSettings make a cluster fast and disposable: nothing it writes
// needs to survive a crash.
func defaultSettings() map[string]string {
	return map[string]string{
		"fsync":              "off",
		"synchronous_commit": "off",
		"full_page_writes":   "off",
		"wal_level":          "minimal",
		"max_wal_senders":    "0",
		"max_connections":    "100",
		"jit":                "off",
	}
}

// DurableSettings are a production server's durability settings, which
// [Start]'s throwaway defaults turn off: pass them in [Options.Settings]
// when a measurement must not flatter whoever commits more often (with
// fsync off a commit costs nothing). The map is new on each call.
func DurableSettings() map[string]string {
	return map[string]string{
		"fsync":              "on",
		"synchronous_commit": "on",
		"full_page_writes":   "on",
		"wal_level":          "replica",
	}
}

// managedSettings are set by [Start] to keep the server private: no TCP
// listener, a socket only the server's user may use, password
// authentication.
var managedSettings = []string{
	"listen_addresses", "port", "unix_socket_directories", "unix_socket_permissions",
	"unix_socket_group", "hba_file", "ident_file", "password_encryption", "config_file",
}

func (o Options) validate() error {
	if o.StartTimeout < 0 || o.StopTimeout < 0 {
		return fmt.Errorf("pgcluster: negative timeout (start %s, stop %s)", o.StartTimeout, o.StopTimeout)
	}
	for name := range o.Settings {
		if name == "" || strings.ContainsAny(name, "= \t\n") {
			return fmt.Errorf("pgcluster: invalid setting name %q", name)
		}
		if slices.Contains(managedSettings, strings.ToLower(name)) {
			return fmt.Errorf("pgcluster: setting %q is managed by pgcluster: the server accepts only its own user (see the package documentation)", name)
		}
	}
	return nil
}

func (o Options) user() string {
	if o.User == "" {
		return DefaultUser
	}
	return o.User
}

func (o Options) startTimeout() time.Duration {
	if o.StartTimeout == 0 {
		return DefaultStartTimeout
	}
	return o.StartTimeout
}

func (o Options) stopTimeout() time.Duration {
	if o.StopTimeout == 0 {
		return DefaultStopTimeout
	}
	return o.StopTimeout
}

// settingArgs returns the defaults merged with o.Settings as -c flags, in
// a stable order.
func (o Options) settingArgs() []string {
	merged := defaultSettings()
	maps.Copy(merged, o.Settings)
	var args []string
	for _, name := range slices.Sorted(maps.Keys(merged)) {
		args = append(args, "-c", name+"="+merged[name])
	}
	return args
}
