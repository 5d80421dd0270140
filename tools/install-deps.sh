#!/usr/bin/env bash
# Installs everything sof-dpdk needs to build and test, from Debian 12
# packages. Idempotent; needs root (or sudo). Skips apt entirely when every
# package is already installed.
set -euo pipefail
pkgs=(
  build-essential meson ninja-build pkg-config   # toolchain
  clang libclang-rt-14-dev                       # libFuzzer, sanitizer runtimes
  libdpdk-dev dpdk                               # DPDK 22.11 (EAL, ethdev, ring, vdevs)
  dpdk-dev                                       # dpdk-dumpcap, dpdk-telemetry.py (tests)
  libsodium-dev                                  # ed25519
  libssl-dev                                     # SHA-256 (SHA-NI)
  libpcap-dev                                    # pcap / pcapng input
  libjansson-dev                                 # JSON config (leader schedules)
  libcurl4-openssl-dev                           # sofd: leader schedules over JSON-RPC
  libisal-dev                                    # ISA-L: yardstick in bench_rs only
  libsystemd-dev                                 # sd_notify in sofd (optional at build time)
  prometheus                                     # promtool: tests/test_sofd_ops.py checks /metrics
  python3                                        # test glue
  python3-cryptography                           # test_sofd_gossip.py: ed25519 in its gossip entrypoint
  iproute2 iputils-ping                          # test_sofd_nic.py: netns, veth, ping
  ethtool                                        # test_sofd_nic.py: checksum offload off on the veth peer (exception = tap)
  librte-net-af-xdp23 librte-net-tap23 librte-net-af-packet23  # PMDs sofd uses on a kernel interface (af_xdp: libxdp, libbpf) and for [input] exception = tap; pulled in by dpdk, named for test_sofd_nic.py
  libnats-dev nats-server                        # the nats plugin, sof-sub; tests/test_sofd_nats.py's JetStream servers
  libnghttp2-dev libprotobuf-c-dev protobuf-c-compiler  # grpc plugin: HTTP/2 server, protobuf (docs/grpc.md)
  libwebsockets-dev                              # provider ingress: the websocket variant (docs/provider.md)
)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
