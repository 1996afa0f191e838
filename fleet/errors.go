package fleet

import (
	"errors"
	"fmt"
	"strings"

	"github.com/safemigrate/safemigrate/executor"
)

// Sentinel errors of the fleet itself; the tenants' own failures carry
// the executor's sentinels (see [Error]).
var (
	// ErrSchema means the tenant schemas are not usable: missing, listed
	// twice, empty, or system schemas. Nothing was run.
	ErrSchema = errors.New("invalid tenant schemas")
	// ErrQuery means the query that lists the tenants failed or returned
	// something other than one text column. Nothing was run.
	ErrQuery = errors.New("the tenants query failed")
)

// SchemaError names the tenant schemas that cannot be used, and why.
type SchemaError struct {
	// Problem says what is wrong, as a predicate in the plural ("do not
	// exist", "are listed more than once"), or on its own when Schemas is
	// empty.
	Problem string
	// Schemas are the schemas concerned; empty when the problem is not
	// about particular ones.
	Schemas []string
	// Database names the database in a fleet of databases; empty in a
	// fleet of schemas.
	Database string
}

// Problems of a [SchemaError] about particular schemas.
const (
	ProblemMissing   = "do not exist"
	ProblemDuplicate = "are listed more than once"
	ProblemSystem    = "are system schemas, not tenants"
)

var singular = map[string]string{
	ProblemMissing:   "does not exist",
	ProblemDuplicate: "is listed more than once",
	ProblemSystem:    "is a system schema, not a tenant",
}

// Error names each schema.
func (e *SchemaError) Error() string {
	if len(e.Schemas) == 0 {
		return "tenant schemas: " + e.Problem + "; nothing was run"
	}
	names := make([]string, len(e.Schemas))
	for i, s := range e.Schemas {
		names[i] = fmt.Sprintf("%q", s)
	}
	if len(e.Schemas) == 1 {
		problem := e.Problem
		if s, ok := singular[problem]; ok {
			problem = s
		}
		return fmt.Sprintf("tenant schema %s %s%s; nothing was run", names[0], problem, e.in())
	}
	return fmt.Sprintf("tenant schemas %s %s%s; nothing was run", strings.Join(names, ", "), e.Problem, e.in())
}

func (e *SchemaError) in() string {
	if e.Database == "" {
		return ""
	}
	return " in " + e.Database
}

// Is makes a SchemaError match [ErrSchema].
func (e *SchemaError) Is(target error) bool { return target == ErrSchema }

// QueryError is a tenants query that failed or returned the wrong shape.
type QueryError struct {
	Query string
	Err   error
}

// Error quotes the query and says what went wrong.
func (e *QueryError) Error() string {
	return fmt.Sprintf("tenants query %q: %v; nothing was run", e.Query, e.Err)
}

// Unwrap returns the underlying error (often a *pgconn.PgError).
func (e *QueryError) Unwrap() error { return e.Err }

// Is makes a QueryError match [ErrQuery].
func (e *QueryError) Is(target error) bool { return target == ErrQuery }

// TenantError is one tenant's failure in a fleet run.
type TenantError struct {
	// Tenant is the tenant's schema.
	Tenant string
	Err    error
}

// Error prefixes the failure with the tenant.
func (e *TenantError) Error() string {
	return fmt.Sprintf("tenant %s: %v", Display(e.Tenant), e.Err)
}

// Unwrap returns the tenant's failure: an executor error such as
// *executor.PreflightError, *executor.BlockedError, *executor.DriftError
// or *executor.PartialError.
func (e *TenantError) Unwrap() error { return e.Err }

// Error is a fleet run that stopped because tenants failed in Pass. Its
// Unwrap exposes every tenant's failure, so errors.Is(err,
// executor.ErrBlocked) is true when any tenant was blocked, and
// errors.As finds each *executor.PreflightError.
//
// After PassPreflight (plan, checks, rehearsal) nothing was applied in any
// tenant. After PassApply, tenants that finished stay applied, the
// failing ones are in Failures, and the others did not start; running the
// fleet again continues.
type Error struct {
	Pass     Pass
	Failures []*TenantError
	// Tenants is the size of the fleet.
	Tenants int
	// Applied and NotStarted count tenants after a failed PassApply.
	Applied, NotStarted int
}

// Error says what failed where, and what was (not) applied.
func (e *Error) Error() string {
	var b strings.Builder
	n := len(e.Failures)
	switch e.Pass {
	case PassPreflight:
		refused := true
		for _, f := range e.Failures {
			refused = refused && (errors.Is(f.Err, executor.ErrBlocked) || errors.Is(f.Err, executor.ErrDrift))
		}
		if refused {
			fmt.Fprintf(&b, "%d of %d tenants refused the run; nothing was run in any tenant:", n, e.Tenants)
		} else {
			fmt.Fprintf(&b, "%d of %d tenants failed before anything was applied; nothing was applied in any tenant:", n, e.Tenants)
		}
	case PassApply:
		fmt.Fprintf(&b, "apply failed in %d of %d tenants (%d applied and kept, %d not started); fix it and run again to continue:", n, e.Tenants, e.Applied, e.NotStarted)
	default:
		fmt.Fprintf(&b, "%d of %d tenants failed while recording detection times (their migrations are applied):", n, e.Tenants)
	}
	unreachable := 0
	for _, f := range e.Failures {
		b.WriteString("\n")
		b.WriteString(strings.ReplaceAll(f.Error(), "\n", "\n  "))
		if errors.Is(f.Err, executor.ErrConnect) {
			unreachable++
		}
	}
	if e.Pass == PassPreflight && unreachable > 0 {
		// A server that is down: say what to do (docs/executing.md,
		// "Fleets of databases": every tenant is rehearsed before any is
		// applied, so nothing was applied anywhere).
		tenants := "tenants"
		if unreachable == 1 {
			tenants = "tenant"
		}
		fmt.Fprintf(&b, "\n%d %s could not be reached: start their servers (named above) or fix their connection strings, then run again; every tenant is rehearsed again before anything is applied", unreachable, tenants)
	}
	return b.String()
}

// Unwrap returns every tenant's failure.
func (e *Error) Unwrap() []error { return tenantErrors(e.Failures) }

// tenantErrors is fs as errors, for the Unwrap of an error that holds
// several tenants' failures.
func tenantErrors(fs []*TenantError) []error {
	errs := make([]error, len(fs))
	for i, f := range fs {
		errs[i] = f
	}
	return errs
}

// ErrChanged means another run changed a tenant of a fleet of databases
// between its rehearsal and its apply, so that its pending migrations are
// no longer what was rehearsed. Nothing was applied to that tenant.
var ErrChanged = errors.New("the tenant changed since its rehearsal")

// ChangedError is a tenant of a fleet of databases whose pending
// migrations, planned again under its lock for the apply pass, are not
// the rehearsed ones nor their tail.
type ChangedError struct {
	// Rehearsed were pending at the rehearsal; Pending are pending now.
	Rehearsed, Pending []string
}

// Error says what changed and what to do.
func (e *ChangedError) Error() string {
	return fmt.Sprintf("another run changed this tenant after its rehearsal: rehearsed %s, now pending %s; nothing was applied to it; run again to rehearse and apply what is pending now",
		list(e.Rehearsed), list(e.Pending))
}

// Is makes a ChangedError match [ErrChanged].
func (e *ChangedError) Is(target error) bool { return target == ErrChanged }

func list(ids []string) string {
	if len(ids) == 0 {
		return "nothing"
	}
	return strings.Join(ids, ", ")
}
