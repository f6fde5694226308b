# Saturn build and test entry points. `make run` and `make test` are the two
# commands README.md promises; everything else is a building block.

GO        ?= go
BIN       := bin/saturn
DATA_DIR  ?= ./data
PKGS      := ./...

.PHONY: all build run test vet unit race interop fuzz bench clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/saturn

## run: Saturn with default settings, data under $(DATA_DIR).
run: build
	./$(BIN) serve --data-dir $(DATA_DIR)

## test: everything CI runs: vet, unit tests with the race detector, interop tests
## against the official RocketMQ Go client.
test: vet race interop

vet:
	$(GO) vet $(PKGS)
	cd interop && $(GO) vet ./...

unit:
	$(GO) test -count=1 $(PKGS)

race:
	$(GO) test -race -count=1 $(PKGS)

interop:
	cd interop && $(GO) test -count=1 -timeout 15m ./...

## fuzz: run every fuzz target for FUZZTIME each.
FUZZTIME ?= 30s
fuzz:
	$(GO) test ./remoting -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME)
	$(GO) test ./message -run '^$$' -fuzz '^FuzzDecodeStored$$' -fuzztime $(FUZZTIME)
	$(GO) test ./message -run '^$$' -fuzz '^FuzzDecodeBatch$$' -fuzztime $(FUZZTIME)
	$(GO) test ./message -run '^$$' -fuzz '^FuzzProperties$$' -fuzztime $(FUZZTIME)
	$(GO) test ./client -run '^$$' -fuzz '^FuzzDecodePulled$$' -fuzztime $(FUZZTIME)

## bench: component benchmarks.
bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

clean:
	rm -rf bin
