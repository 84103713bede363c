# Thin wrapper: every target installs what it needs first (tools/install-deps.sh
# is idempotent), so each works on a fresh Debian 12 machine.
BUILD ?= build
SAN_BUILD ?= build-san
DEMO_OUT ?= demo-out
MESON_TEST = meson test --print-errorlogs --num-processes 2

.PHONY: all deps build demo test test-sanitize bench clean

all: build

deps:
	bash tools/install-deps.sh

build: deps
	[ -f $(BUILD)/build.ninja ] || meson setup $(BUILD)
	ninja -C $(BUILD)

# Runs protolens on the bundled lab trace and shows what it found.
demo: build
	./$(BUILD)/app/protolens/protolens --pcap tests/data/lab.pcap \
		--out $(DEMO_OUT) --flows 65536
	@echo; echo "== $(DEMO_OUT)/flows.jsonl (one line per flow) =="
	@jq -r '[.transport // "l2", .orig_h // .orig_mac, .orig_p // "-", .resp_h // .resp_mac, .resp_p // "-", .orig_pkts, .resp_pkts, .orig_bytes + .resp_bytes] | @tsv' \
		$(DEMO_OUT)/flows.jsonl | column -t -N PROTO,ORIG,PORT,RESP,PORT,OPKTS,RPKTS,BYTES

# All tests, then all tests again under AddressSanitizer and UBSan.
test: build
	$(MESON_TEST) -C $(BUILD)
	$(MAKE) test-sanitize

test-sanitize: deps
	[ -f $(SAN_BUILD)/build.ninja ] || meson setup $(SAN_BUILD) \
		-Dbuildtype=debug -Db_sanitize=address,undefined -Db_lundef=false
	ninja -C $(SAN_BUILD)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		$(MESON_TEST) -C $(SAN_BUILD) --timeout-multiplier 4

bench: build
	tools/bench --trace tests/data/lab.pcap

clean:
	rm -rf $(BUILD) $(SAN_BUILD) $(DEMO_OUT)
