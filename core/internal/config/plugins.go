package config

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// plugin decodes a plugin block.
func (d *decoder) plugin(b *hcl.Block) *Plugin {
	p := &Plugin{Name: b.Labels[0], DeclRange: b.DefRange}
	attrs := d.content(b.Body, pluginSchema).Attributes

	if a := attrs["path"]; d.str(a, &p.Path) {
		if p.Path == "" {
			d.errorf(a.Expr.Range(), "Invalid plugin path", "path cannot be empty.")
		} else if !filepath.IsAbs(p.Path) {
			p.Path = filepath.Join(d.baseDir, p.Path)
		}
	}
	var sum string
	if a := attrs["sha256"]; d.str(a, &sum) {
		norm, err := normalizeSHA256(sum)
		if err != nil {
			d.errorf(a.Expr.Range(), "Invalid sha256", "%s", sentence(err))
		}
		p.SHA256 = norm
	}
	d.strList(attrs["args"], &p.Args)

	// Plugin env often carries credentials: keep values out of diagnostics.
	mark := len(d.diags)
	d.strMap(attrs["env"], &p.Env)
	for _, diag := range d.diags[mark:] {
		markSensitive(diag)
	}
	return p
}

// normalizeSHA256 takes the first whitespace-separated field, so both a
// bare digest and a line of sha256sum output ("<digest>  <file>") work,
// checks it is 64 hex characters, and lower-cases it.
func normalizeSHA256(s string) (string, error) {
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return "", errors.New("the digest is empty; give the plugin binary's SHA-256, as printed by sha256sum")
	}
	h := strings.ToLower(fields[0])
	if len(h) != 64 {
		return "", fmt.Errorf("a SHA-256 digest is 64 hexadecimal characters, not %d", len(h))
	}
	if _, err := hex.DecodeString(h); err != nil {
		return "", errors.New("a SHA-256 digest holds only hexadecimal characters (0-9, a-f)")
	}
	return h, nil
}

// runtime decodes a runtime block.
func (d *decoder) runtime(b *hcl.Block) *Runtime {
	r := &Runtime{Name: b.Labels[0], DeclRange: b.DefRange}
	content := d.content(b.Body, runtimeSchema)
	r.Plugin, r.PluginRange = d.reference(content.Attributes["plugin"])

	var nets []string
	if a := content.Attributes["networks"]; d.strList(a, &nets) {
		for i, n := range nets {
			p, err := netip.ParsePrefix(strings.TrimSpace(n))
			if err != nil {
				d.errorf(elementRange(a, i), "Invalid network",
					`Each network is a CIDR prefix such as "172.30.0.0/16" or "fd00::/64": %s.`, err)
				continue
			}
			// Store the network itself: "172.30.0.1/16" means 172.30.0.0/16.
			r.Networks = append(r.Networks, p.Masked())
		}
	}
	r.Config = d.pluginConfig(content.Blocks, b)
	return r
}

// workspace decodes a workspace block.
func (d *decoder) workspace(b *hcl.Block) *Workspace {
	w := &Workspace{Name: b.Labels[0], DeclRange: b.DefRange}
	content := d.content(b.Body, workspaceSchema)
	w.Plugin, w.PluginRange = d.reference(content.Attributes["plugin"])
	w.Config = d.pluginConfig(content.Blocks, b)
	return w
}

// auth decodes an auth block.
func (d *decoder) auth(b *hcl.Block) *Auth {
	a := &Auth{Name: b.Labels[0], DisplayName: b.Labels[0], DeclRange: b.DefRange}
	content := d.content(b.Body, authSchema)
	a.Plugin, a.PluginRange = d.reference(content.Attributes["plugin"])
	d.str(content.Attributes["display_name"], &a.DisplayName)
	d.authAccess(a, content)
	a.Config = d.pluginConfig(content.Blocks, b)
	return a
}

// reference reads an attribute that names another block, returning the
// name and where it was written, for checkReferences.
func (d *decoder) reference(a *hcl.Attribute) (string, hcl.Range) {
	var name string
	if !d.str(a, &name) {
		return "", hcl.Range{}
	}
	return name, a.Expr.Range()
}
