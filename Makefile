# Thin wrappers over CMake and CTest. Every target installs missing Debian packages first.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
CMAKE_FLAGS ?=
JOBS ?= $(shell nproc)

.PHONY: deps build test run migrate clean format

deps:
	@bash scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_FLAGS)
	cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)

# The whole suite built with AddressSanitizer and UndefinedBehaviorSanitizer (-O1) in its own build
# directory. The options are exported, so the notifyd and fake_myoperator children that the
# integration tests start (built with the sanitizers too) inherit them through the harness.
SANITIZE_BUILD_DIR ?= build-sanitize
.PHONY: test-sanitize
test-sanitize: export ASAN_OPTIONS = detect_leaks=1:abort_on_error=1
test-sanitize: export UBSAN_OPTIONS = print_stacktrace=1:halt_on_error=1
test-sanitize: deps
	cmake -S . -B $(SANITIZE_BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g -DNDEBUG" -DNOTIFY_SANITIZE=ON -DNOTIFY_WERROR=ON $(CMAKE_FLAGS)
	cmake --build $(SANITIZE_BUILD_DIR) -j $(JOBS)
	ctest --test-dir $(SANITIZE_BUILD_DIR) --output-on-failure -j $(JOBS)

# Release build in its own directory, then the benchmark against the fake MyOperator on loopback
# (bench/run_bench.sh: about 2 min once built; writes bench/results.json, see docs/benchmarks.md).
BENCH_BUILD_DIR ?= build-release
.PHONY: bench
bench: deps
	@bash bench/install-deps.sh
	cmake -S . -B $(BENCH_BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)
	cmake --build $(BENCH_BUILD_DIR) -j $(JOBS) --target notifyd fake_myoperator
	bash bench/run_bench.sh $(BENCH_BUILD_DIR)

migrate: build
	$(BUILD_DIR)/notifyd migrate

run: build
	$(BUILD_DIR)/notifyd migrate
	$(BUILD_DIR)/notifyd serve

format:
	find src tests tools bench -name '*.h' -o -name '*.cpp' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR)
