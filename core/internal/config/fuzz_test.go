package config

import "testing"

// FuzzParse checks that no input makes Parse panic; whether it accepts the
// input does not matter.
func FuzzParse(f *testing.F) {
	f.Add([]byte(""))
	f.Add([]byte("server {\n  listen = \"127.0.0.1:8080\"\n}\n"))
	f.Add([]byte(`plugin "p" { path = "p" sha256 = "x" args = [null] env = { a = null } }`))
	f.Add([]byte(`runtime "r" { plugin = "p" networks = ["10.0.0.0/8", 1, null] config { a = 1 } }`))
	f.Add([]byte(`template "t" { workspace = "w" runtime = "r" cpu = 1e400 memory = 1e400 pids = -1 allow {} }`))
	f.Add([]byte(`server { listen = env("A", "b", "c") public_url = file("") }`))
	f.Add([]byte("server { listen = \"${\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, src []byte) {
		cfg, err := Parse(src, "fuzz.hcl", dir)
		if (cfg == nil) == (err == nil) {
			t.Fatalf("Parse returned config %v and error %v; want exactly one", cfg, err)
		}
		if err != nil {
			_ = err.Error()
		}
	})
}
