package config

import "testing"

const authPrelude = `
plugin "oidc" {
  path   = "/bin/true"
  sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
}
`

func TestAuthGroupMappings(t *testing.T) {
	cfg := mustParse(t, authPrelude+`
auth "corp" {
  plugin                = "oidc"
  allow_signup          = true
  platform_admin_groups = ["atrium-admins"]
  map_group "eng" {
    org  = "engineering"
    role = "member"
  }
  map_group "eng-leads" {
    org  = "engineering"
    role = "org_admin"
  }
  map_group "eng" {
    org  = "platform"
    role = "member"
  }
}
auth "plain" {
  plugin = "oidc"
}
`)
	a := cfg.Auth("corp")
	if a == nil || !a.AllowSignup || len(a.PlatformAdminGroups) != 1 || a.PlatformAdminGroups[0] != "atrium-admins" {
		t.Fatalf("auth corp = %+v", a)
	}
	want := []GroupMapping{{Group: "eng", Org: "engineering", Role: RoleMember}, {Group: "eng-leads", Org: "engineering", Role: RoleOrgAdmin}, {Group: "eng", Org: "platform", Role: RoleMember}}
	if len(a.GroupMappings) != len(want) {
		t.Fatalf("mappings = %d, want %d", len(a.GroupMappings), len(want))
	}
	for i, w := range want {
		g := a.GroupMappings[i]
		if g.Group != w.Group || g.Org != w.Org || g.Role != w.Role || g.DeclRange.Start.Line == 0 {
			t.Errorf("mapping %d = %+v, want %+v", i, g, w)
		}
	}
	if p := cfg.Auth("plain"); p.AllowSignup || p.PlatformAdminGroups != nil || p.GroupMappings != nil {
		t.Errorf("auth plain = %+v; signup must default off and mappings to none", p)
	}
}

func TestAuthGroupMappingErrors(t *testing.T) {
	checkParseErrors(t, authPrelude+`
auth "corp" {
  plugin                = "oidc"
  allow_signup          = "maybe"
  platform_admin_groups = ["ok", ""]
  map_group "eng" {
    org  = "Engineering!"
    role = "owner"
  }
  map_group "ops" {
    org = "ops"
    role = "member"
  }
  map_group "ops" {
    org  = "ops"
    role = "org_admin"
  }
  map_group "x" {
    role = "member"
  }
}
`,
		wantDiag{9, "Incorrect attribute value type"},
		wantDiag{10, "Empty group name"},
		wantDiag{12, "Invalid organisation slug"},
		wantDiag{13, "Invalid role"},
		wantDiag{19, "Duplicate group mapping"},
		wantDiag{23, "Missing required argument"},
	)
}
