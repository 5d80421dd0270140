// rs_parity_gen.mjs: the parity sof-gen writes, against the
// reed-solomon-erasure crate (Agave's Reed-Solomon) compiled to wasm.
//
//   node rs_parity_gen.mjs --pcap CAPTURE.pcap [--port 8001]
//
// For every complete FEC set of the capture (32 data + 32 coding merkle
// shreds of one slot and fec_set_index): the 32 data erasure shards
// [64, 88 + 963) (chained) or [64, 88 + 899) (chained + resigned) are
// encoded by the crate into 32 parity shards, which must equal the coding
// shreds' [89, 89 + shard size) byte for byte. Then the crate rebuilds the
// data shards from our parity after three patterns of 32 losses (all data;
// every other shard; 10 data + 22 parity), which must give the data back.
// The capture must be clean (sof-gen without impairments): a set seen
// twice, or incomplete, fails.
//
// Exit status: 0 every set agrees, 1 a mismatch (printed), 2 usage.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

import { ReedSolomonErasure } from '@digitaldefiance/reed-solomon-erasure.wasm';

import { Checker, parseArgs, readPcap, shredHeader, udpPayload } from './capture.mjs';

const USAGE = 'usage: node rs_parity_gen.mjs --pcap CAPTURE.pcap [--port N]\n';
const args = parseArgs(process.argv.slice(2), ['pcap'], USAGE);
const port = Number(args.port ?? 8001);
const ck = new Checker('rs_parity_gen');

// The wasm build's Node loader looks for __dirname, which ES modules lack:
// load the module's bytes ourselves. An instance cannot be reused across
// calls that grow its heap (its allocator then fails or answers wrongly:
// TOO_FEW_SHARDS_PRESENT for patterns with enough shards), so every call
// gets a fresh instance.
const require = createRequire(import.meta.url);
const wasmBytes = readFileSync(require.resolve('@digitaldefiance/reed-solomon-erasure.wasm/wasm'));
const crate = () => ReedSolomonErasure.fromBytes(wasmBytes);
const OK = ReedSolomonErasure.RESULT_OK;

const K = 32;
const M = 32;

// Group the shreds by set.
const sets = new Map();
let shreds = 0;
for (const frame of readPcap(args.pcap)) {
  const p = udpPayload(frame, port);
  if (!p) continue;
  const h = shredHeader(p);
  if (!ck.check(h, 'a frame to the shred port that is no merkle shred')) continue;
  shreds++;
  const key = `${h.slot}:${h.fecSetIndex}`;
  if (!sets.has(key)) sets.set(key, { data: new Array(K), code: new Array(M), first: h });
  const set = sets.get(key);
  const i = h.isData ? h.index - h.fecSetIndex : h.position;
  const slotArr = h.isData ? set.data : set.code;
  if (!ck.check(i >= 0 && i < 32 && !slotArr[i], `set ${key}: shred ${h.isData ? 'data' : 'code'} ${i} out of range or seen twice`)) continue;
  if (!h.isData) {
    ck.check(h.numData === K && h.numCoding === M, `set ${key}: code shred counts ${h.numData}:${h.numCoding}`);
  }
  ck.check(h.shardSize === set.first.shardSize && h.resigned === set.first.resigned,
    `set ${key}: shreds of one set disagree on the variant`);
  slotArr[i] = h;
}

let checked = 0;
let resigned = 0;
let recovered = 0;
for (const [key, set] of sets) {
  const complete = set.data.every(Boolean) && set.code.every(Boolean);
  if (!ck.check(complete, `set ${key}: incomplete`)) continue;
  const sz = set.first.shardSize;
  ck.check(sz === (set.first.resigned ? 923 : 987), `set ${key}: shard size ${sz}`);

  const original = new Uint8Array(sz * (K + M));
  for (let i = 0; i < K; i++) original.set(set.data[i].payload.subarray(64, 64 + sz), i * sz);
  const shards = original.slice();
  ck.check(crate().encode(shards, K, M) === OK, `set ${key}: the crate's encode failed`);
  let bad = 0;
  for (let p = 0; p < M; p++) {
    const ours = set.code[p].payload.subarray(89, 89 + sz);
    const theirs = shards.subarray((K + p) * sz, (K + p + 1) * sz);
    if (Buffer.compare(Buffer.from(ours), Buffer.from(theirs)) !== 0) bad++;
  }
  ck.check(bad === 0, `set ${key}: ${bad} of 32 parity shards differ from the crate's`);
  for (let p = 0; p < M; p++) original.set(set.code[p].payload.subarray(89, 89 + sz), (K + p) * sz); // our parity

  // Recovery with the crate from our parity, 32 shards lost each time: all
  // data; every other shard (16 data + 16 parity); 10 scattered data shards
  // (i x 7 mod 32 < 10) and the first 22 parity shards.
  const patterns = [
    Array.from({ length: K + M }, (_, i) => i >= K),
    Array.from({ length: K + M }, (_, i) => i % 2 === 0),
    Array.from({ length: K + M }, (_, i) => (i < K ? (i * 7) % 32 >= 10 : i - K >= 22)),
  ];
  for (const present of patterns) {
    const work = original.slice();
    for (let i = 0; i < K + M; i++) if (!present[i]) work.fill(0, i * sz, (i + 1) * sz);
    const rc = crate().reconstruct(work, K, M, present);
    const same = Buffer.compare(Buffer.from(work.subarray(0, K * sz)), Buffer.from(original.subarray(0, K * sz))) === 0;
    if (ck.check(rc === OK && same, `set ${key}: the crate does not rebuild the data from our parity`)) recovered++;
  }
  checked++;
  if (set.first.resigned) resigned++;
}

ck.check(checked > 0, 'no complete FEC set in the capture');
ck.check(resigned > 0, 'no resigned (last-in-slot) set in the capture');
ck.done(`${shreds} shreds, ${checked} sets (${resigned} resigned) encoded by the crate, ${recovered} recoveries`);
