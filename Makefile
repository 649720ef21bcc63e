# Convenience targets; the scripts are the source of truth (CI runs ./scripts/test.sh).
.PHONY: run test build vet bench integration

run:
	./scripts/run.sh

test:
	./scripts/test.sh

build:
	go build -o bin/detrans-node ./cmd/detrans-node

vet:
	go vet ./...

# Benchmarks of the packages that have them; never part of the test suite.
bench:
	go test -run '^$$' -bench . ./node/ ./sim/ ./app/draw/

integration:
	go test -count=1 ./integration/...
