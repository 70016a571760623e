package jupyter

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/schema"
)

// DefaultImage is the image sessions run unless a config block or the
// request names another.
const DefaultImage = "atrium/jupyter:1"

// Config is the decoded `config { }` block of workspace-jupyter. A template's
// own config block has the same attributes and overrides the plugin's for
// that template's sessions.
type Config struct {
	// Image is the Jupyter image; it must follow the atrium/jupyter
	// entrypoint contract (images/jupyter/README.md).
	Image string `json:"image,omitempty"`
}

// configSchema describes the config block to the core.
func configSchema() schema.Object {
	return schema.Object{Attrs: map[string]schema.Attr{
		"image": {
			Type:        "string",
			Description: "Image to run; it must follow the atrium/jupyter contract (Jupyter Server on port 8888 without a token, uid 1000, home /home/atrium).",
			Default:     DefaultImage,
		},
	}}
}

// decodeConfig decodes a config block; absent attributes stay zero, so a
// template's block overrides only what it sets. where names the block in
// errors.
func decodeConfig(raw json.RawMessage, where string) (Config, error) {
	var c Config
	if err := plugin.DecodeConfig(raw, &c); err != nil {
		return Config{}, fmt.Errorf("%s: %w; the only attribute is image", where, err)
	}
	if strings.ContainsFunc(c.Image, isSpace) {
		return Config{}, fmt.Errorf("%s: image %q contains white space; set it to a reference like %q", where, c.Image, DefaultImage)
	}
	return c, nil
}

func isSpace(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' }

// overlay returns c with every attribute o sets replaced by o's.
func (c Config) overlay(o Config) Config {
	if o.Image != "" {
		c.Image = o.Image
	}
	return c
}

// defaults is the configuration of a plugin whose block sets nothing.
func defaults() Config {
	return Config{Image: DefaultImage}
}
