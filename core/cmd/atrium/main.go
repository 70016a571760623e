// Command atrium is the Atrium core: `atrium server` serves workspaces to
// browsers; the other subcommands check configuration and administer an
// installation.
package main

import (
	"fmt"
	"os"
)

const usage = `Usage: atrium <command> [flags]

Commands:
  server            serve Atrium (with -config FILE, or the embedded default)
  config validate   check a config file, including every plugin's config block
  admin create-user create a user with a password (the first admin, or any other)
  migrate status    show the database schema version and pending migrations
  version           print the version

Run 'atrium <command> -h' for a command's flags.
`

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return 2
	}
	switch args[0] {
	case "server":
		return cmdServer(args[1:])
	case "config":
		if len(args) > 1 && args[1] == "validate" {
			return cmdConfigValidate(args[2:])
		}
		fmt.Fprint(os.Stderr, "Usage: atrium config validate FILE\n")
		return 2
	case "admin":
		if len(args) > 1 && args[1] == "create-user" {
			return cmdCreateUser(args[2:])
		}
		fmt.Fprint(os.Stderr, "Usage: atrium admin create-user -username NAME [flags]\n")
		return 2
	case "migrate":
		if len(args) > 1 && args[1] == "status" {
			return cmdMigrateStatus(args[2:])
		}
		fmt.Fprint(os.Stderr, "Usage: atrium migrate status [-config FILE]\n")
		return 2
	case "version", "-version", "--version":
		fmt.Println("atrium", version)
		return 0
	case "help", "-h", "-help", "--help":
		fmt.Print(usage)
		return 0
	default:
		fmt.Fprintf(os.Stderr, "atrium: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
}
