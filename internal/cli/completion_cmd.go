package cli

import (
	"fmt"
	"os"

	"github.com/alecthomas/kong"
	"github.com/willabides/kongplete"
)

// CompletionCmd prints a shell completion script. The script asks the
// safemigrate binary itself for the candidates (COMP_LINE protocol of
// github.com/posener/complete, driven from the kong model by kongplete), so
// new commands, flags and enum values complete without regenerating it.
type CompletionCmd struct {
	Shell string `arg:"" enum:"bash,zsh,fish" help:"Shell: bash, zsh or fish."`
}

// Help shows how to install the script.
func (c *CompletionCmd) Help() string {
	return `Load it in the current shell, or install it for every session:

  bash:  source <(safemigrate completion bash)     # or add the line to ~/.bashrc
  zsh:   source <(safemigrate completion zsh)      # or add the line to ~/.zshrc
  fish:  safemigrate completion fish > ~/.config/fish/completions/safemigrate.fish

The safemigrate binary must be on PATH: the script runs it to find candidates.`
}

// completionScripts are kongplete's install fragments, with the binary
// looked up on PATH instead of an absolute path, so that a script generated
// at packaging time still works after the binary moves. bash falls back to
// file names (-o default) where safemigrate has nothing to offer.
var completionScripts = map[string]string{
	"bash": "complete -o default -C safemigrate safemigrate\n",
	"zsh": `autoload -U +X bashcompinit && bashcompinit
complete -o default -C safemigrate safemigrate
`,
	"fish": `function __complete_safemigrate
    set -lx COMP_LINE (commandline -cp)
    test -z (commandline -ct)
    and set COMP_LINE "$COMP_LINE "
    safemigrate
end
complete -f -c safemigrate -a "(__complete_safemigrate)"
`,
}

// Run prints the script.
func (c *CompletionCmd) Run(env *Env) error {
	_, err := fmt.Fprintf(env.Stdout, "# safemigrate completion for %s; see `safemigrate completion --help`.\n%s", c.Shell, completionScripts[c.Shell])
	return err
}

// completeIfRequested answers a shell's completion request (COMP_LINE set by
// the scripts above) on parser's stdout and ends the run through kong's exit
// hook; it returns at once when no completion was requested.
func completeIfRequested(parser *kong.Kong) {
	if os.Getenv("COMP_LINE") == "" {
		return
	}
	kongplete.Complete(parser, kongplete.WithErrorHandler(func(err error) {
		fmt.Fprintf(parser.Stderr, "safemigrate: completion: %v\n", err)
	}))
}
