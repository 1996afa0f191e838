package safemigrate

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/safemigrate/safemigrate/internal/spell"
	"github.com/safemigrate/safemigrate/lint"
)

// LintFilter narrows what a lint report shows (docs/configuration.md,
// `lint:`; docs/commands.md, `lint --changed-since`). The analysis still
// reads every file: only the findings are filtered.
type LintFilter struct {
	// ExcludeRules are rule IDs never reported.
	ExcludeRules []string
	// ExcludePaths are globs of files not reported on, matched against
	// the file's path as shown and relative to Dir; `**` matches any
	// number of directories.
	ExcludePaths []string
	// Dir is the migrations directory.
	Dir string
	// ChangedSince, when not empty, is a git revision: only files changed
	// since its merge base with HEAD (and files not yet committed) are
	// reported on.
	ChangedSince string
}

// FilterLint removes from res the findings f excludes. An unknown rule ID,
// a malformed glob or a git revision that git cannot resolve is an
// *InputError.
func FilterLint(ctx context.Context, res *lint.Result, f LintFilter) error {
	known := make([]string, 0, len(lint.Rules))
	for _, r := range lint.Rules {
		known = append(known, r.ID)
	}
	for _, id := range f.ExcludeRules {
		if !slices.Contains(known, id) {
			msg := fmt.Sprintf("lint: exclude_rules: no rule %q", id)
			if best := spell.Closest(id, known, 3); best != "" {
				msg += fmt.Sprintf(", did you mean %s?", best)
			} else {
				msg += " (docs/rules.md lists the rules)"
			}
			return &InputError{Msg: msg}
		}
	}
	for _, g := range f.ExcludePaths {
		if _, err := path.Match(strings.ReplaceAll(g, "**", "*"), ""); err != nil {
			return &InputError{Msg: fmt.Sprintf("lint: exclude_paths: %q is not a glob: %v", g, err)}
		}
	}
	var changed map[string]bool
	if f.ChangedSince != "" {
		var err error
		if changed, err = changedFiles(ctx, f.Dir, f.ChangedSince); err != nil {
			return err
		}
	}
	keep := func(file string) bool {
		if changed != nil && !changed[canonical(file)] {
			return false
		}
		rel := file
		if r, err := filepath.Rel(f.Dir, file); err == nil && !strings.HasPrefix(r, "..") {
			rel = filepath.ToSlash(r)
		}
		for _, g := range f.ExcludePaths {
			if globMatch(g, filepath.ToSlash(file)) || globMatch(g, rel) {
				return false
			}
		}
		return true
	}
	res.Diagnostics = slices.DeleteFunc(res.Diagnostics, func(d lint.Diagnostic) bool {
		return slices.Contains(f.ExcludeRules, d.Rule) || !keep(d.File)
	})
	res.Suggested = slices.DeleteFunc(res.Suggested, func(s lint.Suggestion) bool { return !keep(s.File) })
	return nil
}

// globMatch matches name against a path.Match pattern in which a `**`
// segment matches any number of segments.
func globMatch(pattern, name string) bool {
	return matchSegments(strings.Split(pattern, "/"), strings.Split(name, "/"))
}

func matchSegments(pat, name []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			for i := 0; i <= len(name); i++ {
				if matchSegments(pat[1:], name[i:]) {
					return true
				}
			}
			return false
		}
		if len(name) == 0 {
			return false
		}
		if ok, _ := path.Match(pat[0], name[0]); !ok {
			return false
		}
		pat, name = pat[1:], name[1:]
	}
	return len(name) == 0
}

// changedFiles lists, as canonical absolute paths, the files changed
// between the merge base of ref and HEAD and the working tree, plus the
// untracked ones, in the git repository around dir.
func changedFiles(ctx context.Context, dir, ref string) (map[string]bool, error) {
	if strings.HasPrefix(ref, "-") || ref == "" {
		return nil, &InputError{Msg: fmt.Sprintf("--changed-since %q is not a git revision", ref)}
	}
	if dir == "" {
		dir = "."
	}
	git := func(args ...string) (string, error) {
		cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			msg := strings.TrimSpace(errb.String())
			if msg == "" {
				msg = err.Error()
			}
			return "", &InputError{Msg: fmt.Sprintf("--changed-since %s: git %s: %s", ref, strings.Join(args, " "), msg), Err: err}
		}
		return out.String(), nil
	}
	top, err := git("rev-parse", "--show-toplevel")
	if err != nil {
		return nil, err
	}
	top = strings.TrimSpace(top)
	base := ref
	if mb, err := git("merge-base", ref, "HEAD"); err == nil {
		base = strings.TrimSpace(mb)
	}
	if _, err := git("rev-parse", "--verify", "--quiet", base+"^{commit}"); err != nil {
		return nil, &InputError{Msg: fmt.Sprintf("--changed-since %s: git does not know that revision (in CI, fetch it first: git fetch origin main)", ref)}
	}
	diff, err := git("diff", "--name-only", "-z", "--no-renames", base, "--")
	if err != nil {
		return nil, err
	}
	untracked, err := git("ls-files", "-z", "--others", "--exclude-standard", "--full-name", ":/")
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, p := range strings.Split(diff+untracked, "\x00") {
		if p != "" {
			out[canonical(filepath.Join(top, filepath.FromSlash(p)))] = true
		}
	}
	return out, nil
}

// canonical is p as an absolute path with symbolic links resolved where
// possible, so that git's paths and the linted ones compare.
func canonical(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		p = abs
	}
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	if _, err := os.Lstat(p); err != nil {
		// A deleted file: resolve its directory.
		if d, err := filepath.EvalSymlinks(filepath.Dir(p)); err == nil {
			return filepath.Join(d, filepath.Base(p))
		}
	}
	return p
}
