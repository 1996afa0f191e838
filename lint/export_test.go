package lint

// ValidateRetired is validate with a given set of retired IDs.
var ValidateRetired = validate
