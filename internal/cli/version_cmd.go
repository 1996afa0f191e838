package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// VersionCmd prints version and build information.
type VersionCmd struct{}

// Release builds stamp these with -ldflags -X (scripts/release.sh); a
// plain `go build` leaves them empty and the Go build metadata is used.
var (
	stampedVersion string // e.g. v1.2.0
	stampedCommit  string // full commit hash
	stampedDate    string // commit date, RFC 3339 UTC
)

// buildInfo describes the running binary from the Go build metadata.
type buildInfo struct {
	Version  string `json:"version"`
	Commit   string `json:"commit,omitempty"`
	Time     string `json:"time,omitempty"`
	Modified bool   `json:"modified,omitempty"`
	Go       string `json:"go"`
	Platform string `json:"platform"`
}

func readBuildInfo() buildInfo {
	bi := buildInfo{Version: "(devel)", Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return stamped(bi)
	}
	if v := info.Main.Version; v != "" {
		bi.Version = v
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			bi.Commit = s.Value
		case "vcs.time":
			bi.Time = s.Value
		case "vcs.modified":
			bi.Modified = s.Value == "true"
		}
	}
	return stamped(bi)
}

// stamped overrides bi with the values a release build stamped in.
func stamped(bi buildInfo) buildInfo {
	if stampedVersion != "" {
		bi.Version = stampedVersion
	}
	if stampedCommit != "" {
		bi.Commit = stampedCommit
		bi.Modified = false
	}
	if stampedDate != "" {
		bi.Time = stampedDate
	}
	return bi
}

// Run prints the version.
func (c *VersionCmd) Run(env *Env) error {
	format, err := env.format("text", "json")
	if err != nil {
		return err
	}
	bi := readBuildInfo()
	if format == "json" {
		return writeJSON(env.Stdout, bi)
	}
	fmt.Fprintf(env.Stdout, "safemigrate %s\n", bi.Version)
	if bi.Commit != "" {
		dirty := ""
		if bi.Modified {
			dirty = " (modified)"
		}
		fmt.Fprintf(env.Stdout, "  commit   %s%s %s\n", bi.Commit, dirty, bi.Time)
	}
	fmt.Fprintf(env.Stdout, "  go       %s\n  platform %s\n", bi.Go, bi.Platform)
	return nil
}
