// Package schema describes the `config { }` block a plugin accepts. The core
// decodes the user's HCL against it, so errors point at the user's file and
// line, and hands the plugin the result as JSON.
package schema

// Object is an HCL body: attributes and nested blocks, by name.
type Object struct {
	Attrs  map[string]Attr
	Blocks map[string]Block
}

// Attr is one `name = value` attribute.
type Attr struct {
	// Type is an HCL type constraint: "string", "number", "bool",
	// "list(string)", "map(number)", "object({ a = string })" or "any".
	Type string
	// Required attributes must be set; the core reports their absence.
	Required bool
	// Description is shown in documentation and diagnostics.
	Description string
	// Sensitive values are never shown in diagnostics or logs.
	Sensitive bool
	// Default is used when the attribute is absent. It must encode to JSON
	// and conform to Type.
	Default any
}

// Nesting says how often a block may appear and how it is keyed.
type Nesting int

const (
	// NestingSingle allows at most one block, decoded as an object.
	NestingSingle Nesting = iota + 1
	// NestingList allows any number of blocks, decoded as a list.
	NestingList
	// NestingMap allows blocks with one label each, decoded as a map keyed
	// by that label.
	NestingMap
)

// Block is one nested block type.
type Block struct {
	Nesting Nesting
	Body    Object
	// Required single blocks must appear.
	Required bool
	// MinItems and MaxItems bound list blocks; 0 means no bound.
	MinItems, MaxItems int
	Description        string
}
