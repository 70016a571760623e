package httpapp

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/atrium-hq/atrium/sdk/plugin"
)

// Config is the decoded `config { }` block of an httpapp plugin. A
// template's own config block has the same attributes and overrides the
// plugin's for that template's sessions.
type Config struct {
	// Image is the image to run; it must keep the Spec's ImageContract.
	Image string `json:"image,omitempty"`
}

// decode decodes a config block; absent attributes stay zero, so a
// template's block overrides only what it sets. where names the block in
// errors.
func (w *Workspace) decode(raw json.RawMessage, where string) (Config, error) {
	var c Config
	if err := plugin.DecodeConfig(raw, &c); err != nil {
		return Config{}, fmt.Errorf("%s: %w; the only attribute is image", where, err)
	}
	if strings.ContainsFunc(c.Image, isSpace) {
		return Config{}, fmt.Errorf("%s: image %q contains white space; set it to a reference like %q", where, c.Image, w.spec.DefaultImage)
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
