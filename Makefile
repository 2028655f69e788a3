# Lantian — the two commands a newcomer needs are `make demo` and `make test`.
GO      ?= go
TOOLS   := $(CURDIR)/tools
INFLUXD := $(TOOLS)/bin/influxd
STATICCHECK := $(TOOLS)/bin/staticcheck
BIN     := $(CURDIR)/bin/lantian
# Packages whose tests exercise concurrency run under the race detector.
RACE_PKGS := ./ingest/... ./cmd/...
export PATH := $(TOOLS)/bin:$(PATH)

.PHONY: all build demo test tools system-deps check unit bench fuzz clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/lantian

# The test InfluxDB: 1.8.10 built from source once (about a minute), speaking the v2 write and
# Flux API that production InfluxDB 2.x speaks.
$(INFLUXD):
	@echo "building InfluxDB 1.8.10 into $(TOOLS)/bin (once, about a minute)"
	GOBIN=$(TOOLS)/bin $(GO) install -ldflags "-X main.version=1.8.10" github.com/influxdata/influxdb/cmd/influxd@v1.8.10

$(STATICCHECK):
	GOBIN=$(TOOLS)/bin $(GO) install honnef.co/go/tools/cmd/staticcheck@v0.8.2

# Mosquitto, Prometheus/promtool, Alertmanager, docker-compose and Chromium from Debian.
system-deps:
	@sh deploy/dev/install-system-deps.sh

tools: system-deps $(INFLUXD) $(STATICCHECK)

demo: $(INFLUXD) build
	$(BIN) demo

# Static checks: formatting, vet, staticcheck.
check: $(STATICCHECK)
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './tools/*')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...

test: tools check
	$(GO) test -race -timeout 25m -count=1 $(RACE_PKGS)
	$(GO) test -timeout 25m -count=1 $$($(GO) list ./... | grep -v -e '/ingest/' -e '/cmd/')

# Short fuzzing of every decoder of outside input (longer: make fuzz FUZZTIME=10m).
FUZZTIME ?= 30s
fuzz:
	$(GO) test ./ingest/validate/ -run '^$$' -fuzz FuzzDecodeAir -fuzztime $(FUZZTIME)
	$(GO) test ./ingest/validate/ -run '^$$' -fuzz FuzzDecodeSource -fuzztime $(FUZZTIME)

bench: $(INFLUXD) system-deps build
	$(GO) run ./cmd/lantian-bench -out docs/performance.md

clean:
	rm -rf bin
