#!/usr/bin/env bash
# Runs one libFuzzer target for a given time.
#
#   tools/run-fuzz.sh TARGET SECONDS [libFuzzer args...]
#   tools/run-fuzz.sh --exe PATH TARGET SECONDS [libFuzzer args...]
#
# TARGET is a fuzz/fuzz_TARGET.c (shred, pkt, txn, verify, resolver, ...). Without --exe the script
# configures and builds build-fuzz/ (clang, ASan + UBSan + libFuzzer) first.
# The corpus lives in build-fuzz/fuzz/corpus-TARGET (kept between runs) and
# is seeded from $SOF_VECTORS (default ../shared/vectors) when present.
# Exit code: 0 when the run ended without a finding, libFuzzer's code
# otherwise (the crashing input is saved in fuzz/artifacts/).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
exe=""
if [ "${1:-}" = "--exe" ]; then exe=$2; shift 2; fi
if [ $# -lt 2 ]; then
  sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
target=$1 seconds=$2
shift 2
# a target is a fuzz/fuzz_TARGET.c of this tree
if [ ! -f "$here/fuzz/fuzz_$target.c" ]; then
  echo "run-fuzz: unknown target '$target' (one of: $(cd "$here/fuzz" && ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//' | tr '\n' ' '))" >&2
  exit 2
fi

if [ -z "$exe" ]; then
  bdir=$here/build-fuzz
  if [ ! -f "$bdir/build.ninja" ]; then
    CC=clang meson setup "$bdir" "$here" -Dfuzz=true -Db_sanitize=address,undefined \
      -Db_lundef=false -Dbuildtype=debugoptimized >/dev/null
  fi
  ninja -C "$bdir" "fuzz/fuzz_$target" >/dev/null
  exe=$bdir/fuzz/fuzz_$target
fi
work=$(dirname "$exe")
corpus=$work/corpus-$target
artifacts=$here/fuzz/artifacts
mkdir -p "$corpus" "$artifacts"

vec=${SOF_VECTORS:-$here/../shared/vectors}
if [ -d "$vec" ] && [ -z "$(ls -A "$corpus")" ]; then
  case $target in
    shred) find "$vec" -name '*.bin' -size -1300c -path '*shred*' | head -400 | xargs -r cp -t "$corpus" 2>/dev/null || true
           find "$vec/fd-localnet-v114-slot1-legacy" "$vec/sig-mainnet-2024-merkle-unchained/single" -name '*.bin' | xargs -r cp -t "$corpus" 2>/dev/null || true ;;
    txn)   cp "$vec"/fd-txn/*.bin "$corpus"/ 2>/dev/null || true ;;
    entry) cp "$vec"/fd-testnet-slot385970984/entry-batches/*.bin "$corpus"/ 2>/dev/null || true ;;
    inline) # real batches behind the two program bytes (chunk size, order)
            for f in "$vec"/fd-testnet-slot385970984/entry-batches/*.bin; do
              [ -f "$f" ] || continue
              for p in '\x80\x00' '\x30\x01' '\xff\x02'; do
                { printf "$p"; cat "$f"; } > "$corpus/$(basename "$f" .bin)-${p//\\/}.bin"
              done
            done ;;
    verify) cp "$vec"/fd-demo-slot0-fixed32/shreds/*.bin "$corpus"/ 2>/dev/null || true ;;
    gossip) # the real pull response, as a push, its value in a pull request, a ping
            f=$vec/sig-gossip-pull-response-contactinfo/pull-response-1-contactinfo.bin
            if [ -f "$f" ]; then
              cp "$f" "$corpus/pull-response.bin"
              { printf '\x02\x00\x00\x00'; tail -c +5 "$f"; } > "$corpus/push.bin"
              { printf '\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x11\x22\x33\x44\x55\x66\x77\x88'
                printf '\x01\x01\x00\x00\x00\x00\x00\x00\x00\x80\x00\x00\x00\x00\x00\x00\x01'
                printf '\x40\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00'
                printf '\xff\xff\xff\xff\xff\xff\xff\xff\x00\x00\x00\x00'
                tail -c +45 "$f"; } > "$corpus/pull-request.bin"
              { printf '\x04\x00\x00\x00'; head -c 128 /dev/zero; } > "$corpus/ping.bin"
            fi ;;
  esac
  # names may collide across directories: the corpus only needs content
fi
# the config reader starts from the shipped configs
if [ "$target" = ini ] && [ -z "$(ls -A "$corpus")" ]; then
  cp "$here"/config/*.ini "$corpus"/ 2>/dev/null || true
fi

# JSON-RPC responses: the first byte picks the call (0 getEpochSchedule,
# 1 getEpochInfo, 2 getLeaderSchedule for 64 slots from slot 1000)
if [ "$target" = rpc ] && [ -z "$(ls -A "$corpus")" ]; then
  printf '\x00{"jsonrpc":"2.0","result":{"firstNormalEpoch":8,"firstNormalSlot":8160,"leaderScheduleSlotOffset":8192,"slotsPerEpoch":8192,"warmup":true},"id":1}' > "$corpus/schedule"
  printf '\x01{"jsonrpc":"2.0","result":{"absoluteSlot":166598,"blockHeight":166500,"epoch":27,"slotIndex":2790,"slotsInEpoch":8192,"transactionCount":22661093},"id":1}' > "$corpus/info"
  printf '\x02{"jsonrpc":"2.0","result":{"DvkbbdcL2jeWbLNHVqcJ6BD1PBDP8Rgnc3uufs8DkYQ5":[0,1,4,5],"2ApotzjKaDe9CMhrFvyvwk2Edf9FLD2QBCzaQwXSuMAH":[2,3,6,63]},"id":1}' > "$corpus/leaders"
  printf '\x02{"jsonrpc":"2.0","result":null,"id":1}' > "$corpus/null"
  printf '\x02{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid slot"},"id":1}' > "$corpus/error"
fi

# websocket provider notifications (a small legacy transaction): transaction,
# slot, block
if [ "$target" = provider_ws ] && [ -z "$(ls -A "$corpus")" ]; then
  tx=AQABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4fICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8BAAECBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFAQEBAAKquw==
  meta='{"err":{"InstructionError":[0,{"Custom":1}]},"fee":5000,"logMessages":["a"],"computeUnitsConsumed":7}'
  printf '{"jsonrpc":"2.0","method":"transactionNotification","params":{"subscription":1,"result":{"slot":9,"transaction":{"transaction":["%s","base64"],"meta":%s}}}}' "$tx" "$meta" > "$corpus/txn"
  printf '{"jsonrpc":"2.0","method":"slotNotification","params":{"subscription":2,"result":{"slot":9,"parent":8,"root":0}}}' > "$corpus/slot"
  printf '{"jsonrpc":"2.0","method":"blockNotification","params":{"subscription":3,"result":{"context":{"slot":9},"value":{"slot":9,"err":null,"block":{"parentSlot":8,"blockhash":null,"transactions":[{"transaction":["%s","base64"],"meta":%s},{"transaction":["%s","base64"],"meta":{"err":null,"fee":1}}]}}}}}' "$tx" "$meta" "$tx" > "$corpus/block"
  printf '{"jsonrpc":"2.0","result":100,"id":1}' > "$corpus/answer"
fi

# grpc: a Subscribe call (first byte 0x81: method 0, x-token) whose body is
# one DATA frame of 35 bytes: a SubscribeRequest with transactions, slots,
# blocks_meta and entry filters at commitment CONFIRMED / FINALIZED / PROCESSED
if [ "$target" = grpc ]; then
  for lv in 1 2 0; do
    f=$corpus/subscribe-commitment-$lv
    [ -f "$f" ] || printf '\x81\x23\x00\x00\x00\x00\x1e\x1a\x05\x0a\x01c\x12\x00\x12\x05\x0a\x01s\x12\x00\x2a\x05\x0a\x01m\x12\x00\x42\x05\x0a\x01e\x12\x00\x30\x0'"$lv" > "$f"
  done
fi

echo "run-fuzz: $target for ${seconds}s, corpus $corpus ($(ls "$corpus" | wc -l) inputs)"
exec "$exe" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$artifacts/$target-" "$@" "$corpus"
