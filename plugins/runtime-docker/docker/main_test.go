package docker_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/moby/moby/client"
)

// The tests run against the real Docker engine named by DOCKER_HOST (or the
// local socket). Each run labels what it creates with its own runtime
// instance name, so it removes exactly its own objects and nobody else's.
var (
	// runID tells this run's objects from those of other runs.
	runID = randomHex(4)
	// instance is the runtime block name the tests configure, which the
	// plugin writes into the atrium.runtime label.
	instance = "test-" + runID
	// engine is the tests' own client, for checking what the plugin did and
	// for acting behind its back.
	engine *client.Client
)

// The session image and the network the tests use.
const (
	echoImage   = "atrium-test/echo:1"
	testNetwork = "atrium-test"
	testSubnet  = "10.213.1.0/24"
	echoPort    = 7000
	catPort     = 7001
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var err error
	engine, err = client.New(client.FromEnv)
	if err != nil {
		fmt.Fprintf(os.Stderr, "docker client: %v\n", err)
		return 1
	}
	defer engine.Close()
	if _, err := engine.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		fmt.Fprintf(os.Stderr, "the runtime-docker tests need a Docker engine and none answers at %s: %v\nstart one with: sudo scripts/docker-up.sh\n", engine.DaemonHost(), err)
		return 1
	}
	began := time.Now()
	if err := buildEchoImage(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "build the test image %s: %v\n", echoImage, err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "built %s in %s\n", echoImage, time.Since(began).Round(time.Millisecond))

	code := m.Run()

	cleanupRun()
	return code
}

// cleanupRun removes what this run left: containers and volumes carrying
// its instance label, the test network when no other run uses it, and the
// test image. Each test cleans up after itself too; this catches what a
// failed test could not.
func cleanupRun() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	mine := make(client.Filters).Add("label", "atrium.runtime="+instance)
	if res, err := engine.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: mine}); err == nil {
		for _, c := range res.Items {
			_, _ = engine.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
		}
	}
	if res, err := engine.VolumeList(ctx, client.VolumeListOptions{Filters: mine}); err == nil {
		for _, v := range res.Items {
			_, _ = engine.VolumeRemove(ctx, v.Name, client.VolumeRemoveOptions{})
		}
	}
	// Fails while another run's containers use the network; that run
	// removes it.
	_, _ = engine.NetworkRemove(ctx, testNetwork, client.NetworkRemoveOptions{})
	// PruneChildren also removes the untagged layers the build left.
	_, _ = engine.ImageRemove(ctx, echoImage, client.ImageRemoveOptions{PruneChildren: true})
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
