package wire

import (
	"encoding/json"
	"fmt"

	pluginv1 "github.com/atrium-hq/atrium/sdk/proto/atrium/plugin/v1"
	"github.com/atrium-hq/atrium/sdk/schema"
)

// SchemaToProto encodes a plugin's schema. Each attribute's Default is
// encoded with encoding/json; a Default that does not encode is an error
// naming the attribute, because the host could not apply it.
func SchemaToProto(o schema.Object) (*pluginv1.Schema, error) {
	return schemaToProto(o, "")
}

func schemaToProto(o schema.Object, path string) (*pluginv1.Schema, error) {
	out := &pluginv1.Schema{}
	if len(o.Attrs) > 0 {
		out.Attributes = make(map[string]*pluginv1.Attribute, len(o.Attrs))
	}
	for name, a := range o.Attrs {
		pa := &pluginv1.Attribute{
			Type:        a.Type,
			Required:    a.Required,
			Description: a.Description,
			Sensitive:   a.Sensitive,
		}
		if a.Default != nil {
			raw, err := json.Marshal(a.Default)
			if err != nil {
				return nil, fmt.Errorf("encode default of attribute %q: %w; make Default a JSON-encodable value", path+name, err)
			}
			pa.DefaultJson = string(raw)
		}
		out.Attributes[name] = pa
	}
	if len(o.Blocks) > 0 {
		out.Blocks = make(map[string]*pluginv1.Block, len(o.Blocks))
	}
	for name, b := range o.Blocks {
		body, err := schemaToProto(b.Body, path+name+".")
		if err != nil {
			return nil, err
		}
		out.Blocks[name] = &pluginv1.Block{
			Nesting:     nestingToProto(b.Nesting),
			Body:        body,
			MinItems:    uint32(max(b.MinItems, 0)),
			MaxItems:    uint32(max(b.MaxItems, 0)),
			Description: b.Description,
			Required:    b.Required,
		}
	}
	return out, nil
}

// SchemaFromProto decodes a schema on the host side, where each Default is
// the attribute's json.RawMessage, or nil when it has none.
func SchemaFromProto(p *pluginv1.Schema) schema.Object {
	var o schema.Object
	if len(p.GetAttributes()) > 0 {
		o.Attrs = make(map[string]schema.Attr, len(p.GetAttributes()))
	}
	for name, pa := range p.GetAttributes() {
		a := schema.Attr{
			Type:        pa.GetType(),
			Required:    pa.GetRequired(),
			Description: pa.GetDescription(),
			Sensitive:   pa.GetSensitive(),
		}
		if d := pa.GetDefaultJson(); d != "" {
			a.Default = json.RawMessage(d)
		}
		o.Attrs[name] = a
	}
	if len(p.GetBlocks()) > 0 {
		o.Blocks = make(map[string]schema.Block, len(p.GetBlocks()))
	}
	for name, pb := range p.GetBlocks() {
		o.Blocks[name] = schema.Block{
			Nesting:     nestingFromProto(pb.GetNesting()),
			Body:        SchemaFromProto(pb.GetBody()),
			Required:    pb.GetRequired(),
			MinItems:    int(pb.GetMinItems()),
			MaxItems:    int(pb.GetMaxItems()),
			Description: pb.GetDescription(),
		}
	}
	return o
}

func nestingToProto(n schema.Nesting) pluginv1.Nesting {
	switch n {
	case schema.NestingSingle:
		return pluginv1.Nesting_NESTING_SINGLE
	case schema.NestingList:
		return pluginv1.Nesting_NESTING_LIST
	case schema.NestingMap:
		return pluginv1.Nesting_NESTING_MAP
	default:
		return pluginv1.Nesting_NESTING_UNSPECIFIED
	}
}

func nestingFromProto(n pluginv1.Nesting) schema.Nesting {
	switch n {
	case pluginv1.Nesting_NESTING_SINGLE:
		return schema.NestingSingle
	case pluginv1.Nesting_NESTING_LIST:
		return schema.NestingList
	case pluginv1.Nesting_NESTING_MAP:
		return schema.NestingMap
	default:
		return 0
	}
}
