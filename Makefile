# Atrium build. Every target works on a fresh Debian machine with Go; tools
# are installed with `go install` at pinned versions into bin/tools.

GO        ?= go
BIN       := $(CURDIR)/bin
TOOLS     := $(BIN)/tools
PLUGINS   := $(notdir $(wildcard plugins/*))
CONFIG    ?=

STATICCHECK_VERSION := v0.8.2
BUF_VERSION         := v1.75.0
PROTOC_GEN_GO       := v1.36.12
PROTOC_GEN_GO_GRPC  := v1.6.2
HELM_VERSION        := v4.3.2

.PHONY: test-engine-restart all build web run test test-short test-browser fuzz lint proto tools clean

all: build

## build: the atrium binary and every plugin into bin/, each plugin with its
## SHA-256 beside it for the embedded default config's pins
build: web
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/atrium ./core/cmd/atrium
	@for p in $(PLUGINS); do \
		echo "$(GO) build -o $(BIN)/atrium-$$p ./plugins/$$p"; \
		$(GO) build -o $(BIN)/atrium-$$p ./plugins/$$p || exit 1; \
		sha256sum $(BIN)/atrium-$$p | cut -d' ' -f1 > $(BIN)/atrium-$$p.sha256; \
	done

## web: the browser UI from web/ into core/internal/web/dist, which the
## atrium binary embeds (without it, the binary serves a "not built" page)
web:
	cd web && npm ci --no-audit --no-fund && npm run build

## run: build, make sure a Docker engine answers and the session images
## (desktop, VS Code, Jupyter) exist (installing and starting what it can),
## then serve Atrium with its embedded default config
run: build
	@bash scripts/docker-up.sh
	@$(MAKE) --no-print-directory images
	$(BIN)/atrium server $(if $(CONFIG),-config $(CONFIG))

## test: every test of every module, against real services (PostgreSQL,
## the Docker engine, the session images, Chromium); the web UI is built
## first so the binaries the end-to-end tests build embed it. The images
## are built here, so the browser tests' sessions must run, not skip.
test: images web
	$(GO) test -count=1 -timeout 30m ./... ./sdk/...
	cd sdk/examples/runtime-process && $(GO) test -count=1 ./...
	$(MAKE) test-engine-restart
	ATRIUM_E2E_REQUIRE_SESSIONS=1 $(MAKE) test-browser

## test-engine-restart: runtime-docker's TestEngineRestart against a private
## Docker engine of its own (scripts/dockerd-private.sh), which it restarts
## under a running session; the shared engine is never touched. ENGINE_DIR
## stays short: containerd puts sockets under it
ENGINE_DIR ?= /tmp/aer
test-engine-restart:
	bash scripts/dockerd-private.sh start $(ENGINE_DIR)
	cd plugins/runtime-docker && DOCKER_HOST=unix://$(ENGINE_DIR)/docker.sock \
	  ATRIUM_TEST_ENGINE_RESTART="bash $(CURDIR)/scripts/dockerd-private.sh restart $(ENGINE_DIR)" \
	  $(GO) test -count=1 -run TestEngineRestart -v ./docker/; rc=$$?; \
	  bash $(CURDIR)/scripts/dockerd-private.sh stop $(ENGINE_DIR); exit $$rc

## fuzz: every fuzz target (the VNC handshake, the relay's framing, the
## app proxy's header sanitising and request framing, the login redirect
## check, tunnel endpoints and status, JSON bodies) for FUZZTIME each
FUZZTIME ?= 10s
fuzz:
	FUZZTIME=$(FUZZTIME) bash scripts/fuzz.sh

## test-browser: the web UI's end-to-end tests in Debian's headless Chromium
## against a real core: sign-in and admin pages, a desktop, VS Code and
## Jupyter (on *.apps.localhost origins); screenshots land in
## test/artifacts/browser. Session tests skip without Docker or the images
## unless ATRIUM_E2E_REQUIRE_SESSIONS=1
test-browser: build
	cd test/e2e/browser && npm ci --no-audit --no-fund && npm test

## lint: go vet and staticcheck over every module, go.mod drift (go mod
## tidy -diff) in every module, buf breaking on sdk/proto, and helm-lint
lint: $(TOOLS)/staticcheck $(TOOLS)/buf
	$(GO) vet ./... ./sdk/...
	$(TOOLS)/staticcheck ./... ./sdk/...
	@for m in . sdk $(wildcard sdk/examples/*); do \
		echo "go mod tidy -diff ($$m)"; \
		(cd $$m && $(GO) mod tidy -diff) || { echo "$$m: go.mod or go.sum is not tidy; run go mod tidy there"; exit 1; }; \
	done
	BUF=$(TOOLS)/buf bash scripts/proto-breaking.sh
	@$(MAKE) --no-print-directory helm-lint

## proto: regenerate the committed protobuf code
proto: $(TOOLS)/buf $(TOOLS)/protoc-gen-go $(TOOLS)/protoc-gen-go-grpc
	cd sdk/proto && PATH=$(TOOLS):$$PATH $(TOOLS)/buf lint && PATH=$(TOOLS):$$PATH $(TOOLS)/buf generate

$(TOOLS)/helm:
	GOBIN=$(TOOLS) $(GO) install helm.sh/helm/v4/cmd/helm@$(HELM_VERSION)
$(TOOLS)/staticcheck:
	GOBIN=$(TOOLS) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
$(TOOLS)/buf:
	GOBIN=$(TOOLS) $(GO) install github.com/bufbuild/buf/cmd/buf@$(BUF_VERSION)
$(TOOLS)/protoc-gen-go:
	GOBIN=$(TOOLS) $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO)
$(TOOLS)/protoc-gen-go-grpc:
	GOBIN=$(TOOLS) $(GO) install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC)

clean:
	rm -rf $(BIN)

## images: the session images (atrium/desktop:1, atrium/code:1,
## atrium/jupyter:1) from debootstrap; needs root and a Docker engine
## (scripts/docker-up.sh); a no-op for each image that is up to date.
## images-desktop, images-code, images-jupyter build one. They build one
## after the other even under -j: each keeps the machine busy for minutes.
IMAGES := desktop code jupyter
.PHONY: images $(addprefix images-,$(IMAGES))
images:
	@for i in $(IMAGES); do bash images/$$i/build.sh || exit 1; done
$(addprefix images-,$(IMAGES)):
	bash images/$(@:images-%=%)/build.sh

## k8s-up: the local single-node Kubernetes test cluster (scripts/k8s-up.sh):
## Kubernetes built once into ~/.cache/atrium-test/k8s (about 6 minutes cold),
## then etcd, its own containerd, the control plane and a kubelet started
## there with their own loopback ports, and the session images copied from
## Docker (built first); prints the admin kubeconfig. Needs root
.PHONY: k8s-up k8s-down
k8s-up: images
	bash scripts/k8s-up.sh

## k8s-down: stop exactly what k8s-up started; WIPE=1 also deletes its state
k8s-down:
	bash scripts/k8s-down.sh

## bench-relay: the VNC relay side by side with direct TCP and websockify,
## and on the k8s test cluster (if reachable) a pod's upstream by pod IP, by
## endpoint mode and by socket mode over port-forward (-paths ...,k8s)
## (Debian's `websockify` package); BENCH_RELAY_FLAGS="-size 67108864" for a quick run
.PHONY: bench-relay
bench-relay:
	$(GO) run ./bench/relay $(BENCH_RELAY_FLAGS)

## bench-start: a desktop's time to first pixels through Atrium (API create →
## relay → first framebuffer update) beside a raw `docker run` of the same
## image; with the local test cluster up (make k8s-up) also runtime-k8s beside
## a raw pod; needs root, Docker and the desktop image (built when missing).
## BENCH_START_FLAGS="-n 20" for more starts, "-k8s=false" for Docker only
.PHONY: bench-start
bench-start:
	$(GO) run ./bench/start $(BENCH_START_FLAGS)

## bench-proxy: the app proxy beside direct HTTP and Debian's nginx, in front
## of a tiny Go app and of the real atrium/jupyter image (rps, p50, p99, CPU and
## allocations per request, ratios); needs Docker, the image and nginx-light.
## BENCH_PROXY_FLAGS="-requests 5000 -apps go -nginx=false" for a quick one
.PHONY: bench-proxy
bench-proxy:
	$(GO) run ./bench/proxy $(BENCH_PROXY_FLAGS)

## bench-api: the session API (list, get, create) at a fixed request rate
## with 100,000 sessions in a private PostgreSQL, beside a bare fasthttp +
## pgx server running the same SQL, one core replica and two (p50, p99, CPU
## and allocations per request, statements per request, ratios to bare).
## BENCH_API_FLAGS="-duration 5s -rate 100" for a quick run; -profile DIR
## writes CPU profiles of the core
.PHONY: bench-api
bench-api:
	$(GO) run ./bench/api $(BENCH_API_FLAGS)

## image: the Atrium container image atrium/core:<git describe> (VERSION=…
## to choose the tag): the core, every plugin and the web UI built from
## source in deploy/image/Dockerfile, FROM scratch, non-root (uid 10001).
## Classic builder; builds a local stand-in for the golang and node images
## when they cannot be pulled (deploy/image/build.sh)
.PHONY: image
image:
	bash deploy/image/build.sh

## helm-lint: `helm lint` and `helm template` of deploy/helm/atrium with
## its ci/test-values.yaml (helm from the Go module proxy, pinned)
.PHONY: helm-lint
helm-lint: $(TOOLS)/helm
	$(TOOLS)/helm lint --strict deploy/helm/atrium -f deploy/helm/atrium/ci/test-values.yaml
	$(TOOLS)/helm template atrium deploy/helm/atrium -f deploy/helm/atrium/ci/test-values.yaml >/dev/null
