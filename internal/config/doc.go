// Package config reads safemigrate.yaml.
//
// The file is optional. Every key mirrors a command-line flag; flags and
// environment variables win over the file, and the file wins over built-in
// defaults. Unknown keys are errors (with their line), so a typo never
// silently changes behaviour.
//
//	cfg, err := config.Load("safemigrate.yaml")
//
// A Config is a plain value: the CLI reads it once and passes it down.
package config
