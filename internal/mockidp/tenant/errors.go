package tenant

import "fmt"

// The errors of the tenant's operations. The management API maps them
// with errors.As to gRPC codes: *NotFoundError → NotFound, *ConflictError
// → AlreadyExists, *InvalidError → InvalidArgument with a field
// violation, *StateError → FailedPrecondition.

// NotFoundError: no Kind with that ID. Kind is one of "organization",
// "user", "membership", "domain", "connection", "directory", "group",
// "role".
type NotFoundError struct{ Kind, ID string }

// ConflictError: Value is taken for Field (e.g. "external_id", "email",
// "domain"), which is unique.
type ConflictError struct{ Field, Value string }

// InvalidError: Field (the request field path, e.g. "user.email") has a
// value the operation cannot take, for Reason.
type InvalidError struct{ Field, Reason string }

// StateError: the object is not in a state that allows the operation,
// e.g. resending an invitation already accepted.
type StateError struct{ Reason string }

func (e *NotFoundError) Error() string { return fmt.Sprintf("%s %s not found", e.Kind, e.ID) }
func (e *ConflictError) Error() string {
	return fmt.Sprintf("%s %q is already taken", e.Field, e.Value)
}
func (e *InvalidError) Error() string { return e.Field + ": " + e.Reason }
func (e *StateError) Error() string   { return e.Reason }
