# Thin wrappers over CMake and CTest. Every target installs missing Debian packages first.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
CMAKE_FLAGS ?=
JOBS ?= $(shell nproc)

.PHONY: deps build test run migrate clean format format-check

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

# The concurrency tests built with ThreadSanitizer (-O1) in their own build directory: every test
# labelled `tsan` in CMakeLists.txt (NOTIFY_TSAN_TEST_FILES: the queue processor, dispatcher and
# pacing, the HTTP server, the store contract suite, and the integration suites that drive notifyd
# with concurrent requests). The notifyd and fake_myoperator children the integration tests start
# are TSan builds too and inherit TSAN_OPTIONS; a report in a child fails the test
# (tests/integration/harness.cpp). Only the executables holding those tests are built.
TSAN_BUILD_DIR ?= build-tsan
TSAN_TARGETS ?= unit_concurrency_tests store_tests integration_concurrency_tests
.PHONY: test-tsan
test-tsan: export TSAN_OPTIONS = halt_on_error=1:second_deadlock_stack=1:suppressions=$(CURDIR)/tests/tsan.supp
test-tsan: deps
	cmake -S . -B $(TSAN_BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g -DNDEBUG" -DNOTIFY_TSAN=ON -DNOTIFY_WERROR=ON $(CMAKE_FLAGS)
	cmake --build $(TSAN_BUILD_DIR) -j $(JOBS) --target $(TSAN_TARGETS)
	ctest --test-dir $(TSAN_BUILD_DIR) --output-on-failure -j $(JOBS) -L tsan

# Release build in its own directory, then the benchmark against the fake MyOperator on loopback
# (bench/run_bench.sh: about 2 min once built; writes bench/results.json, see docs/benchmarks.md).
BENCH_BUILD_DIR ?= build-release
.PHONY: bench
bench: deps
	@bash bench/install-deps.sh
	cmake -S . -B $(BENCH_BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)
	cmake --build $(BENCH_BUILD_DIR) -j $(JOBS) --target notifyd fake_myoperator
	bash bench/run_bench.sh $(BENCH_BUILD_DIR)
	bash bench/run_bench_pg.sh $(BENCH_BUILD_DIR)

# libFuzzer targets (fuzz/, docs/fuzzing.md), built with clang, ASan and UBSan in their own build
# directory. Each runs FUZZ_SECONDS on the committed corpus fuzz/corpus/<target>/ (read only) and
# writes what it finds to $(FUZZ_WORK_DIR)/<target>/, crashes to $(FUZZ_WORK_DIR)/crash-<target>-*.
FUZZ_BUILD_DIR ?= build-fuzz
FUZZ_WORK_DIR ?= $(FUZZ_BUILD_DIR)/work
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= send_request webhook_event phone template_render
FUZZ_FLAGS ?=
.PHONY: fuzz fuzz-build
fuzz-build: deps
	@command -v clang++ >/dev/null || { echo "make fuzz needs clang: apt-get install clang libclang-rt-14-dev"; exit 1; }
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" -DNOTIFY_FUZZ=ON -DNOTIFY_BUILD_TESTS=OFF $(CMAKE_FLAGS)
	cmake --build $(FUZZ_BUILD_DIR) -j $(JOBS) --target fuzzers

fuzz: fuzz-build
	@set -e; for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_WORK_DIR)/$$t; \
	  dict=; [ -f fuzz/dict/$$t.dict ] && dict=-dict=fuzz/dict/$$t.dict; \
	  echo "== fuzz_$$t for $(FUZZ_SECONDS) s"; \
	  $(FUZZ_BUILD_DIR)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_WORK_DIR)/crash-$$t- $$dict $(FUZZ_FLAGS) $(FUZZ_WORK_DIR)/$$t fuzz/corpus/$$t; \
	done

migrate: build
	$(BUILD_DIR)/notifyd migrate

run: build
	$(BUILD_DIR)/notifyd migrate
	$(BUILD_DIR)/notifyd serve

FORMAT_SOURCES = find src tests tools bench fuzz \( -name '*.h' -o -name '*.cpp' \) -print0

format:
	$(FORMAT_SOURCES) | xargs -0 clang-format -i

# Every C++ source must already be as .clang-format writes it (CI runs this before building).
format-check: deps
	$(FORMAT_SOURCES) | xargs -0 clang-format --dry-run -Werror

clean:
	rm -rf $(BUILD_DIR)
