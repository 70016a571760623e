package vnc

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"

	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/schema"
)

// Defaults of the config block.
const (
	DefaultImage    = "atrium/desktop:1"
	DefaultGeometry = "1280x800"
	DefaultDepth    = 24
)

// The limits of a screen size. Xvnc accepts more, but a session bigger than
// this is a typo, and its framebuffer would cost hundreds of megabytes.
const (
	minSide = 320
	maxSide = 8192
)

// Config is the decoded `config { }` block of workspace-vnc. A template's
// own config block has the same attributes and overrides the plugin's for
// that template's sessions.
type Config struct {
	// Image is the desktop image; it must run the atrium/desktop
	// entrypoint contract (images/desktop/entrypoint.sh).
	Image string `json:"image,omitempty"`
	// Geometry is the initial screen size, WIDTHxHEIGHT. The browser may
	// resize the screen later.
	Geometry string `json:"geometry,omitempty"`
	// Depth is the colour depth in bits: 16, 24 or 32.
	Depth int `json:"depth,omitempty"`
}

var geometryRE = regexp.MustCompile(`^([0-9]{1,5})x([0-9]{1,5})$`)

// configSchema describes the config block to the core.
func configSchema() schema.Object {
	return schema.Object{Attrs: map[string]schema.Attr{
		"image": {
			Type:        "string",
			Description: "Desktop image to run; it must follow the atrium/desktop entrypoint contract (Xvnc on port 5900, password from ATRIUM_VNC_PASSWORD).",
			Default:     DefaultImage,
		},
		"geometry": {
			Type:        "string",
			Description: fmt.Sprintf("Initial screen size as WIDTHxHEIGHT, each side %d to %d pixels; the browser may resize it later.", minSide, maxSide),
			Default:     DefaultGeometry,
		},
		"depth": {
			Type:        "number",
			Description: "Colour depth in bits: 16, 24 or 32.",
			Default:     DefaultDepth,
		},
	}}
}

// decodeConfig decodes a config block. Absent attributes stay zero, so a
// template's block can override only what it sets; where names the block in
// errors.
func decodeConfig(raw json.RawMessage, where string) (Config, error) {
	var c Config
	if err := plugin.DecodeConfig(raw, &c); err != nil {
		return Config{}, fmt.Errorf("%s: %w; the attributes are image, geometry and depth", where, err)
	}
	if err := c.check(where); err != nil {
		return Config{}, err
	}
	return c, nil
}

// check validates the attributes that are set.
func (c Config) check(where string) error {
	if c.Geometry != "" {
		m := geometryRE.FindStringSubmatch(c.Geometry)
		if m == nil {
			return fmt.Errorf("%s: geometry %q is not WIDTHxHEIGHT; set it to e.g. %q", where, c.Geometry, DefaultGeometry)
		}
		for _, side := range m[1:] {
			if n, _ := strconv.Atoi(side); n < minSide || n > maxSide {
				return fmt.Errorf("%s: geometry %q has a side of %d pixels; each side must be %d to %d", where, c.Geometry, n, minSide, maxSide)
			}
		}
	}
	switch c.Depth {
	case 0, 16, 24, 32:
	default:
		return fmt.Errorf("%s: depth %d is not supported; set it to 16, 24 or 32", where, c.Depth)
	}
	return nil
}

// overlay returns c with every attribute o sets replaced by o's.
func (c Config) overlay(o Config) Config {
	if o.Image != "" {
		c.Image = o.Image
	}
	if o.Geometry != "" {
		c.Geometry = o.Geometry
	}
	if o.Depth != 0 {
		c.Depth = o.Depth
	}
	return c
}

// defaults is the configuration of a plugin whose block sets nothing.
func defaults() Config {
	return Config{Image: DefaultImage, Geometry: DefaultGeometry, Depth: DefaultDepth}
}
