package docker_test

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/moby/moby/client"
)

// buildEchoImage builds echoImage: FROM scratch plus the static echo server
// of testdata/echo. Nothing is pulled.
func buildEchoImage(ctx context.Context) error {
	dir, err := os.MkdirTemp("", "atrium-echo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "echo")
	gobin, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("the go command builds the test image's program: %w", err)
	}
	cmd := exec.CommandContext(ctx, gobin, "build", "-trimpath", "-ldflags=-s -w", "-o", bin, "../testdata/echo")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ../testdata/echo: %w\n%s", err, out)
	}
	program, err := os.ReadFile(bin)
	if err != nil {
		return err
	}
	dockerfile := []byte("FROM scratch\nCOPY echo /echo\nENTRYPOINT [\"/echo\"]\n")

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range []struct {
		name string
		mode int64
		data []byte
	}{{"Dockerfile", 0o644, dockerfile}, {"echo", 0o755, program}} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: f.mode, Size: int64(len(f.data))}); err != nil {
			return err
		}
		if _, err := tw.Write(f.data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}

	res, err := engine.ImageBuild(ctx, &buf, client.ImageBuildOptions{
		Tags:        []string{echoImage},
		Remove:      true,
		ForceRemove: true,
		Labels:      map[string]string{"atrium-test": "true"},
	})
	if err != nil {
		return err
	}
	defer res.Body.Close()
	return buildOutcome(res.Body)
}

// buildOutcome reads the build's JSON message stream to its end and
// returns the error the builder reported, if any.
func buildOutcome(r io.Reader) error {
	dec := json.NewDecoder(r)
	var log bytes.Buffer
	for {
		var msg struct {
			Stream      string `json:"stream"`
			Error       string `json:"error"`
			ErrorDetail struct {
				Message string `json:"message"`
			} `json:"errorDetail"`
		}
		err := dec.Decode(&msg)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read build output: %w", err)
		}
		log.WriteString(msg.Stream)
		if msg.Error != "" {
			return fmt.Errorf("docker build: %s\n%s", msg.Error, log.String())
		}
	}
}
