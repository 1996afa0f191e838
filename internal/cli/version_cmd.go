package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// VersionCmd prints version and build information.
type VersionCmd struct{}

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
		return bi
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
