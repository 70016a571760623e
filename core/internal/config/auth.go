package config

import (
	"regexp"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// GroupMapping is a `map_group "GROUP" { org = "…", role = "…" }` block in
// an auth block: members of the provider group GROUP get Role in the
// organisation with slug Org. The core applies mappings at every login and
// removes a mapped role once the provider no longer lists the group.
type GroupMapping struct {
	// Group is the provider's group name, matched exactly.
	Group string
	// Org is an organisation slug; logins fail while it does not exist.
	Org string
	// Role is "member" or "org_admin".
	Role      string
	DeclRange hcl.Range
}

// Roles a group mapping may grant. Platform admin is not an organisation
// role; platform_admin_groups grants it.
const (
	RoleMember   = "member"
	RoleOrgAdmin = "org_admin"
)

// orgSlugPattern is the database's CHECK on organisation slugs.
var orgSlugPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// authAccess decodes what an auth block says about who may log in and
// which roles provider groups give: allow_signup, platform_admin_groups and
// the map_group blocks.
func (d *decoder) authAccess(a *Auth, content *hcl.BodyContent) {
	d.boolean(content.Attributes["allow_signup"], &a.AllowSignup)
	if attr := content.Attributes["platform_admin_groups"]; d.strList(attr, &a.PlatformAdminGroups) {
		for i, g := range a.PlatformAdminGroups {
			if g == "" {
				d.errorf(elementRange(attr, i), "Empty group name", "platform_admin_groups lists provider group names; remove the empty one.")
			}
		}
	}

	seen := map[[2]string]*hcl.Block{}
	for _, b := range content.Blocks.OfType("map_group") {
		m := &GroupMapping{Group: b.Labels[0], DeclRange: b.DefRange}
		if m.Group == "" {
			d.errorf(b.LabelRanges[0], "Empty group name", `map_group's label is the provider's group name, e.g. map_group "engineering" { … }.`)
		}
		attrs := d.content(b.Body, mapGroupSchema).Attributes
		if attr := attrs["org"]; d.str(attr, &m.Org) && !orgSlugPattern.MatchString(m.Org) {
			d.errorf(attr.Expr.Range(), "Invalid organisation slug",
				"%q is not an organisation slug: 1 to 63 lower-case letters, digits or '-', starting with a letter or digit.", m.Org)
		}
		if attr := attrs["role"]; d.str(attr, &m.Role) && m.Role != RoleMember && m.Role != RoleOrgAdmin {
			d.errorf(attr.Expr.Range(), "Invalid role",
				"A group mapping grants %q or %q, not %q. Platform admins come from platform_admin_groups.", RoleMember, RoleOrgAdmin, m.Role)
		}
		key := [2]string{m.Group, m.Org}
		if prev, dup := seen[key]; dup && m.Org != "" {
			d.errorf(b.DefRange, "Duplicate group mapping",
				"Group %q is already mapped into organisation %q at %s; keep one block and pick its role there.", m.Group, m.Org, position(prev.DefRange))
			continue
		}
		seen[key] = b
		a.GroupMappings = append(a.GroupMappings, m)
	}
}

// boolean stores a bool attribute in dst.
func (e *evaluator) boolean(attr *hcl.Attribute, dst *bool) bool {
	v, ok := e.value(attr, cty.Bool, "true or false")
	if ok {
		*dst = v.True()
	}
	return ok
}
