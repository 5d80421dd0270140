#!/usr/bin/env bash
# The main job on a fresh machine: install the dependencies, build, generate
# a deterministic capture of 4 slots with sof-gen, and decode it with
# sof-dump. Everything lands in build/demo/.
#
#   tools/demo.sh [extra sof-gen options]     e.g. --slots 8 --seed 7
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
bash tools/install-deps.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null
out=build/demo
mkdir -p "$out"
build/tools/sof-gen --slots 4 --seed 1 -o "$out/demo.pcap" --truth "$out/truth.jsonl" \
  --leader-key "$out/leader.key" --leader-schedule "$out/leader-schedule.json" "$@"
rc=0
build/tools/sof-dump "$out/demo.pcap" > "$out/dump.jsonl" || rc=$?
echo "== sof-gen wrote $out/demo.pcap ($(stat -c %s "$out/demo.pcap") bytes), ground truth in $out/truth.jsonl"
echo "== first shreds (sof-dump, full output in $out/dump.jsonl):"
head -n 3 "$out/dump.jsonl"
echo "== summary:"
tail -n 1 "$out/dump.jsonl"
echo "== transactions in the ground truth by kind:"
grep '"type":"transaction"' "$out/truth.jsonl" | grep -o '"kind":"[a-z_]*"' | sort | uniq -c
exit $rc
