package config

import (
	"math"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// template decodes a template block.
func (d *decoder) template(b *hcl.Block) *Template {
	t := &Template{Name: b.Labels[0], DisplayName: b.Labels[0], DeclRange: b.DefRange}
	content := d.content(b.Body, templateSchema)
	attrs := content.Attributes

	t.Workspace, t.WorkspaceRange = d.reference(attrs["workspace"])
	t.Runtime, t.RuntimeRange = d.reference(attrs["runtime"])
	d.str(attrs["display_name"], &t.DisplayName)
	d.str(attrs["description"], &t.Description)
	d.str(attrs["image"], &t.Image)

	if a := attrs["cpu"]; a != nil {
		if n, ok := d.number(a); ok {
			cpu, _ := n.Float64()
			if cpu <= 0 || math.IsInf(cpu, 0) {
				d.errorf(a.Expr.Range(), "Invalid CPU limit", "cpu is a number of cores above zero, such as 2 or 0.5.")
			} else {
				t.CPU = cpu
			}
		}
	}
	if a := attrs["memory"]; a != nil {
		var s string
		// A number converts to a string here, so memory = 1073741824 works.
		if d.str(a, &s) {
			n, err := parseSize(s)
			if err == nil && n <= 0 {
				d.errorf(a.Expr.Range(), "Invalid memory limit", "memory must be above zero.")
			} else if err != nil {
				d.errorf(a.Expr.Range(), "Invalid memory limit", "%s", sentence(err))
			} else {
				t.Memory = n
			}
		}
	}
	if v, ok := d.positiveWhole(attrs["pids"], "Invalid process limit", "pids is a whole number above zero, such as 512."); ok {
		t.Pids = v
	}
	d.limitDuration(attrs["idle_timeout"], &t.IdleTimeout)
	d.limitDuration(attrs["max_lifetime"], &t.MaxLifetime)

	if ab := d.single(content.Blocks.OfType("allow")); ab != nil {
		t.Allow = d.allow(ab)
	}
	t.Config = d.pluginConfig(content.Blocks, b)
	return t
}

// allow decodes a template's allow block.
func (d *decoder) allow(b *hcl.Block) *Allow {
	a := &Allow{DeclRange: b.DefRange}
	attrs := d.content(b.Body, allowSchema).Attributes
	mark := len(d.diags)
	d.strList(attrs["orgs"], &a.Orgs)
	d.strList(attrs["roles"], &a.Roles)
	if len(d.diags) == mark && len(a.Orgs) == 0 && len(a.Roles) == 0 {
		// An empty allow block would read as "nobody" to some and
		// "everybody" to others; make the author say which.
		d.errorf(b.DefRange, "Empty allow block",
			"An allow block lists orgs, roles or both. To let everyone use the template, remove the block.")
	}
	return a
}

// limitDuration stores a duration attribute where zero means no limit.
func (d *decoder) limitDuration(a *hcl.Attribute, dst *time.Duration) {
	var s string
	if !d.str(a, &s) {
		return
	}
	v, err := parseDuration(s)
	if err != nil {
		d.errorf(a.Expr.Range(), "Invalid duration", "%s", sentence(err))
		return
	}
	*dst = v
}
