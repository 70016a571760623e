package config

import "github.com/hashicorp/hcl/v2"

// The schemas below are the core's own blocks. hcl checks bodies against
// them, which reports unknown blocks and attributes, with a "did you mean"
// where one is close, and missing required attributes.

// rootSchema is the top level of a config file.
var rootSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "server"},
		{Type: "database"},
		{Type: "plugin", LabelNames: []string{"name"}},
		{Type: "runtime", LabelNames: []string{"name"}},
		{Type: "workspace", LabelNames: []string{"name"}},
		{Type: "auth", LabelNames: []string{"name"}},
		{Type: "template", LabelNames: []string{"name"}},
	},
}

var serverSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "listen"},
		{Name: "public_url"},
		{Name: "state_dir"},
		{Name: "app_domain"},
		{Name: "drain_grace"},
		{Name: "drain_timeout"},
		{Name: oldDrainTimeout},
		{Name: "plugin_timeout"},
		{Name: "secrets_key_file"},
		{Name: "metrics_listen"},
		{Name: "metrics_bearer_token"},
		{Name: "trusted_proxies"},
		{Name: "relays_per_user"},
		{Name: "relays_per_core"},
	},
}

// oldDrainTimeout is drain_timeout's former name, still read; examples
// show the new name only.
const oldDrainTimeout = "shutdown_timeout"

var databaseSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "url", Required: true},
	},
}

var pluginSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "path", Required: true},
		{Name: "sha256", Required: true},
		{Name: "args"},
		{Name: "env"},
	},
}

// configBlock is the plugin-owned `config { }` block; its contents are
// checked later against the plugin's own schema.
var configBlock = hcl.BlockHeaderSchema{Type: "config"}

var runtimeSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "plugin", Required: true},
		{Name: "networks"},
	},
	Blocks: []hcl.BlockHeaderSchema{configBlock},
}

var workspaceSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "plugin", Required: true},
	},
	Blocks: []hcl.BlockHeaderSchema{configBlock},
}

var authSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "plugin", Required: true},
		{Name: "display_name"},
		{Name: "allow_signup"},
		{Name: "platform_admin_groups"},
	},
	Blocks: []hcl.BlockHeaderSchema{
		configBlock,
		{Type: "map_group", LabelNames: []string{"group"}},
	},
}

var mapGroupSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "org", Required: true},
		{Name: "role", Required: true},
	},
}

var templateSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "workspace", Required: true},
		{Name: "runtime", Required: true},
		{Name: "display_name"},
		{Name: "description"},
		{Name: "image"},
		{Name: "cpu"},
		{Name: "memory"},
		{Name: "pids"},
		{Name: "idle_timeout"},
		{Name: "max_lifetime"},
	},
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "allow"},
		configBlock,
	},
}

var allowSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "orgs"},
		{Name: "roles"},
	},
}
