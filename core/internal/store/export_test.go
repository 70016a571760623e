package store

// CheckFields exposes the constraint catalogue to the external tests.
var CheckFields = checkFields
