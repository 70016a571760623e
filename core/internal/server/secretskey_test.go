package server

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/atrium-hq/atrium/core/internal/config"
	"github.com/atrium-hq/atrium/core/internal/store/storetest"
)

// TestSecretsKeyIsSharedThroughTheDatabase starts three "replicas" on one
// database: the first records its key's fingerprint, one with the same key
// file is accepted, and one with another key is refused with the cause.
func TestSecretsKeyIsSharedThroughTheDatabase(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	dir := t.TempDir()
	write := func(name string, b byte) *config.Config {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, bytes.Repeat([]byte{b}, 32), 0o600); err != nil {
			t.Fatal(err)
		}
		return &config.Config{Server: config.Server{StateDir: dir, SecretsKeyFile: path}}
	}
	shared, other := write("shared.key", 1), write("other.key", 2)
	for i, cfg := range []*config.Config{shared, shared} {
		key, err := loadSecretsKey(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := checkSecretsKey(ctx, st, key, cfg.Server.SecretsKeyFile); err != nil {
			t.Fatalf("replica %d with the shared key refused: %v", i, err)
		}
	}
	key, err := loadSecretsKey(other)
	if err != nil {
		t.Fatal(err)
	}
	err = checkSecretsKey(ctx, st, key, other.Server.SecretsKeyFile)
	if err == nil || !strings.Contains(err.Error(), "other.key") || !strings.Contains(err.Error(), "secrets_key_file") {
		t.Fatalf("a replica with another key: %v; want a refusal naming the file and the setting", err)
	}
	if strings.Contains(err.Error(), string(bytes.Repeat([]byte{2}, 32))) {
		t.Fatal("the refusal quotes the key")
	}

	// A key file others can read is refused before it is used.
	if err := os.Chmod(other.Server.SecretsKeyFile, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := loadSecretsKey(other); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("world-readable key: %v; want a refusal saying chmod 600", err)
	}
}
