SHELL := /bin/bash
# Thin wrapper: every target installs what it needs first (tools/install-deps.sh
# is idempotent), so each works on a fresh Debian 12 machine.
BUILD ?= build
SAN_BUILD ?= build-san
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 20
DEMO_OUT ?= demo-out
MESON_TEST = meson test --print-errorlogs --num-processes 2

.PHONY: all deps build demo test test-sanitize fuzz bench clean

all: build

deps:
	bash tools/install-deps.sh

# Reconfigured every time: meson picks up new dissector, test and fuzzer
# files (fs.exists) only when it configures.
build: deps
	meson setup $(BUILD) $$( [ -f $(BUILD)/build.ninja ] && echo --reconfigure )
	ninja -C $(BUILD)

# Runs protolens on the bundled lab trace and shows what it found.
demo: build
	./$(BUILD)/app/protolens/protolens --pcap tests/data/lab.pcap \
		--out $(DEMO_OUT) --flows 65536
	@echo; echo "== $(DEMO_OUT)/flows.jsonl (one line per flow) =="
	@jq -r -f tools/demo-table.jq $(DEMO_OUT)/flows.jsonl | \
		column -t -s "$$(printf '\t')" -N L4,PROTO,ORIG,PORT,RESP,PORT,OPKTS,RPKTS,BYTES,ATTRIBUTES

# All tests, then all tests again under AddressSanitizer and UBSan, then
# every fuzzer for FUZZ_SECONDS.
test: build
	$(MESON_TEST) -C $(BUILD)
	$(MAKE) test-sanitize
	$(MAKE) fuzz

test-sanitize: deps
	meson setup $(SAN_BUILD) $$( [ -f $(SAN_BUILD)/build.ninja ] && echo --reconfigure ) \
		-Dbuildtype=debug -Db_sanitize=address,undefined -Db_lundef=false
	ninja -C $(SAN_BUILD)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		$(MESON_TEST) -C $(SAN_BUILD) --timeout-multiplier 4

# libFuzzer targets (clang, ASan, UBSan), each run for FUZZ_SECONDS from its
# corpus in tests/fuzz/corpus/NAME (new inputs stay in the build directory).
fuzz: deps
	CC=clang meson setup $(FUZZ_BUILD) $$( [ -f $(FUZZ_BUILD)/build.ninja ] && echo --reconfigure ) \
		-Dfuzz=true -Dtests=false -Dbuildtype=debugoptimized \
		-Db_sanitize=address,undefined -Db_lundef=false
	ninja -C $(FUZZ_BUILD)
	set -e; for f in $(FUZZ_BUILD)/tests/fuzz/fuzz_*; do \
		[ -f "$$f" ] && [ -x "$$f" ] || continue; \
		name=$${f##*/fuzz_}; mkdir -p $(FUZZ_BUILD)/corpus/$$name; \
		echo "== fuzz $$name for $(FUZZ_SECONDS) s"; \
		UBSAN_OPTIONS=halt_on_error=1 $$f -max_total_time=$(FUZZ_SECONDS) \
			-print_final_stats=1 $(FUZZ_BUILD)/corpus/$$name \
			$$( [ -d tests/fuzz/corpus/$$name ] && echo tests/fuzz/corpus/$$name ) \
			2>&1 | grep -E 'stat::number_of_executed_units|ERROR|SUMMARY' ; \
		test $${PIPESTATUS[0]} -eq 0; \
	done

bench: build
	tools/bench --trace tests/data/lab.pcap

clean:
	rm -rf $(BUILD) $(SAN_BUILD) $(FUZZ_BUILD) $(DEMO_OUT)
