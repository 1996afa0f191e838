package lint

import (
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
)

// SARIFSchema is the JSON schema URI written into SARIF output.
const SARIFSchema = "https://json.schemastore.org/sarif-2.1.0.json"

type sarifLog struct {
	Version string     `json:"version"`
	Schema  string     `json:"$schema"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name"`
	ShortDescription     sarifText      `json:"shortDescription"`
	FullDescription      sarifText      `json:"fullDescription"`
	Help                 sarifText      `json:"help"`
	DefaultConfiguration sarifRuleLevel `json:"defaultConfiguration"`
}

type sarifRuleLevel struct {
	Level string `json:"level"`
}

type sarifResult struct {
	RuleID    string          `json:"ruleId"`
	RuleIndex int             `json:"ruleIndex"`
	Level     string          `json:"level"`
	Message   sarifText       `json:"message"`
	Locations []sarifLocation `json:"locations"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           sarifRegion   `json:"region"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn"`
	EndLine     int `json:"endLine,omitempty"`
	EndColumn   int `json:"endColumn,omitempty"`
}

func sarifLevel(s Severity) string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	}
	return "note"
}

// WriteSARIF prints a SARIF 2.1.0 log with one run whose driver lists
// every rule, for code-scanning tools.
func WriteSARIF(w io.Writer, res *Result, opts WriteOptions) error {
	rules := opts.Rules
	if rules == nil {
		rules = Rules
	}
	drv := sarifDriver{Name: "safemigrate", Version: opts.Version, InformationURI: "https://github.com/safemigrate/safemigrate/blob/main/docs/rules.md"}
	index := map[string]int{}
	for i, r := range rules {
		index[r.ID] = i
		drv.Rules = append(drv.Rules, sarifRule{ID: r.ID, Name: r.ID, ShortDescription: sarifText{r.Doc}, FullDescription: sarifText{r.Doc},
			Help: sarifText{"See docs/rules.md#" + r.ID}, DefaultConfiguration: sarifRuleLevel{sarifLevel(r.Severity)}})
	}
	run := sarifRun{Tool: sarifTool{Driver: drv}, Results: []sarifResult{}}
	for _, d := range res.Diagnostics {
		msg := d.Message
		if d.Hint != "" {
			msg += "\nHint: " + d.Hint
		}
		locs := []sarifLocation{} // none for a load error not tied to a file
		if d.File != "" {
			locs = append(locs, sarifLocation{PhysicalLocation: sarifPhysical{
				ArtifactLocation: sarifArtifact{URI: sarifURI(d.File)},
				Region:           sarifRegion{StartLine: max(d.Line, 1), StartColumn: max(d.Column, 1), EndLine: d.EndLine, EndColumn: d.EndColumn},
			}})
		}
		run.Results = append(run.Results, sarifResult{RuleID: d.Rule, RuleIndex: index[d.Rule], Level: sarifLevel(d.Severity), Message: sarifText{msg},
			Locations: locs})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(sarifLog{Version: "2.1.0", Schema: SARIFSchema, Runs: []sarifRun{run}})
}

// sarifURI turns a path into a relative URI reference with forward
// slashes.
func sarifURI(p string) string {
	p = filepath.ToSlash(p)
	p = strings.TrimPrefix(p, "./")
	return strings.ReplaceAll(p, " ", "%20")
}

// LoadErrorRule is the rule ID of a [LoadError] in the github and sarif
// outputs. It is no rule of [Rules]: the files did not load, so no rule
// ran.
const LoadErrorRule = "load-error"

// writeSARIFLoadErrors prints a SARIF log whose results are the load
// errors, under a rule of their own after every rule of the driver.
func writeSARIFLoadErrors(w io.Writer, errs []LoadError, opts WriteOptions) error {
	rule := &Rule{ID: LoadErrorRule, Severity: Error,
		Doc: "The migrations could not be loaded (duplicate versions, a dependency cycle, a bad header, an unreadable file), so nothing was linted."}
	rules := opts.Rules
	if rules == nil {
		rules = Rules
	}
	opts.Rules = append(append([]*Rule(nil), rules...), rule)
	res := &Result{}
	for _, e := range errs {
		res.Diagnostics = append(res.Diagnostics, Diagnostic{File: e.File, Line: e.Line, Rule: LoadErrorRule, Severity: Error, Message: e.Message})
	}
	return WriteSARIF(w, res, opts)
}
