#!/usr/bin/env bash
# Installs every Debian 12 package that protolens' build, tests, demo and benchmark need.
# Idempotent: packages already present are not fetched again.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

pkgs=(
  build-essential pkg-config meson ninja-build clang llvm
  dpdk dpdk-dev libpcap-dev libhyperscan-dev libpcre2-dev libjansson-dev libjemalloc-dev
  libcriterion-dev ieee-data tshark tcpdump jq bsdextrautils python3
  libclang-rt-14-dev openssl curl dnsmasq iproute2 ethtool chrony ntpsec-ntpdate bind9-dnsutils isc-dhcp-client libndpi-bin libssl-dev python3-jsonschema
)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
# tshark asks whether non-root users may capture; answer before it asks.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
