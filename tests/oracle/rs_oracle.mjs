// rs_oracle.mjs: sof_rs against the reed-solomon-erasure crate (the
// @digitaldefiance/reed-solomon-erasure.wasm build pinned in package.json),
// both directions, through tests/rs_tool.
//
//   node rs_oracle.mjs RS_TOOL [--cases N] [--seed S]
//
// For each case, a shape (k, m) with k + m <= 256 (a fixed list: Solana's
// shapes and the extremes, then random ones) and a shard size (1 byte to
// 1.5 KB, tile edges included; smaller for the big shapes, which are slow in
// the oracle), random data, and:
//   1. the oracle encodes; rs_tool encode must give the same parity bytes;
//   2. up to m random shards of the oracle's set are lost (every data shard
//      when k <= m in some cases, exactly m in some, fewer in others);
//      rs_tool reconstruct must give back every shard (or, with `data`, the
//      data shards, missing parity left untouched);
//   3. from the set rs_tool encoded, the oracle reconstructs another random
//      loss pattern: its data must be the original data;
//   4. every fourth case, m + 1 losses: both sides must refuse.
// Odd cases run rs_tool with -p (the portable kernel).
//
// The package's wasm instance cannot be reused across calls that grow its
// heap (wee_alloc: calls fail with "unreachable" after a few MB), so every
// oracle call gets a fresh instance (ReedSolomonErasure.fromBytes).
//
// Exit status: 0 all agree, 1 a disagreement (each printed), 77 the package
// is not installed (tools/install-oracles.sh), 2 usage.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const PKG = '@digitaldefiance/reed-solomon-erasure.wasm';

function usage() {
  console.error('usage: node rs_oracle.mjs RS_TOOL [--cases N] [--seed S]');
  process.exit(2);
}

const argv = process.argv.slice(2);
if (argv.length < 1) usage();
const tool = argv[0];
let cases = 160;
let seed = 20240611;
for (let i = 1; i < argv.length; i += 2) {
  const v = Number(argv[i + 1]);
  if (!Number.isSafeInteger(v) || v < 0) usage();
  if (argv[i] === '--cases') cases = v;
  else if (argv[i] === '--seed') seed = v;
  else usage();
}

let RSE;
let wasmBytes;
try {
  const require = createRequire(import.meta.url);
  ({ ReedSolomonErasure: RSE } = require(PKG));
  wasmBytes = readFileSync(require.resolve(`${PKG}/wasm`));
} catch (e) {
  console.error(`rs_oracle: SKIP: ${PKG} not installed (run tools/install-oracles.sh): ${e.message}`);
  process.exit(77);
}
const oracle = () => RSE.fromBytes(wasmBytes); // a fresh instance per call (see above)

// mulberry32: small, seeded, reproducible
let state = seed >>> 0;
function rnd32() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return (t ^ (t >>> 14)) >>> 0;
}
const rnd = (n) => rnd32() % n; // n <= 2^31: bias irrelevant here
function randomBytes(len) {
  const b = new Uint8Array(len);
  for (let i = 0; i < len; i++) b[i] = rnd32() & 255;
  return b;
}

let checks = 0;
let failures = 0;
function check(ok, what) {
  checks++;
  if (!ok) {
    failures++;
    console.error(`FAIL: ${what}`);
  }
}
const same = (a, b) => a.length === b.length && Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

function runTool(portable, args, input) {
  const r = spawnSync(tool, [...(portable ? ['-p'] : []), ...args], {
    input,
    maxBuffer: 64 << 20,
  });
  if (r.error) {
    console.error(`rs_oracle: cannot run ${tool}: ${r.error.message}`);
    process.exit(2);
  }
  return { status: r.status, out: new Uint8Array(r.stdout), err: r.stderr.toString() };
}

// present[] with `lose` shards lost: all data first when asked, else random.
function lossPattern(k, m, lose, dataFirst) {
  const present = new Array(k + m).fill(true);
  let left = lose;
  if (dataFirst) for (let i = 0; i < k && left > 0; i++, left--) present[i] = false;
  while (left > 0) {
    const i = rnd(k + m);
    if (present[i]) {
      present[i] = false;
      left--;
    }
  }
  return present;
}

const SHAPES = [
  [32, 32], [1, 1], [1, 17], [2, 2], [4, 2], [5, 20], [10, 23], [15, 26], [4, 19], [19, 45],
  [8, 22], [31, 33], [33, 31], [67, 67], [128, 128], [255, 1], [1, 255], [200, 56], [3, 253],
  [100, 156], [64, 64], [17, 5],
];
const SIZES = [1, 2, 15, 31, 32, 33, 63, 64, 65, 97, 128, 301, 1228];

let maxN = 0;
let maxSz = 0;
for (let c = 0; c < cases; c++) {
  let k;
  let m;
  // the oracle inverts a k x k matrix (slowly) in every call: k up to 64 in
  // most random cases, up to 255 in one of eight
  const kMax = c % 8 === 7 ? 255 : 64;
  if (c < SHAPES.length) [k, m] = SHAPES[c];
  else if (c & 1) {
    k = 1 + rnd(kMax);
    m = 1 + rnd(256 - k);
  } else {
    m = 1 + rnd(255);
    k = 1 + rnd(Math.min(kMax, 256 - m));
  }
  const n = k + m;
  // the wasm oracle takes ~1 ns per byte of k * m * sz: cap that at 4 MB
  // (the 32:32 set of shreds, case 0, is 1.26 MB at 1228 bytes)
  let sz = c === 0 ? 1228 : c % 3 === 2 ? 1 + rnd(1500) : SIZES[rnd(SIZES.length)];
  if (k * m * sz > 4e6) sz = Math.max(1, Math.floor(4e6 / (k * m)));
  maxN = Math.max(maxN, n);
  maxSz = Math.max(maxSz, sz);
  const portable = (c & 1) === 1;
  const tag = `case ${c} k=${k} m=${m} sz=${sz}${portable ? ' portable' : ''}`;

  // 1. the oracle encodes; ours must agree
  const data = randomBytes(k * sz);
  const full = new Uint8Array(n * sz);
  full.set(data);
  const re = oracle().encode(full, k, m);
  check(re === RSE.RESULT_OK, `${tag}: oracle encode returned ${re}`);
  if (re !== RSE.RESULT_OK) continue;
  const enc = runTool(portable, ['encode', `${k}`, `${m}`, `${sz}`], data);
  check(enc.status === 0 && same(enc.out, full.subarray(k * sz)),
    `${tag}: rs_tool encode differs from the oracle (status ${enc.status} ${enc.err})`);

  // 2. ours rebuilds the oracle's set
  const dataOnly = c % 5 === 4;
  const lose = c % 4 === 0 ? m : 1 + rnd(m);
  const present = lossPattern(k, m, lose, c % 6 === 1);
  const damaged = full.slice();
  for (let i = 0; i < n; i++) if (!present[i]) damaged.fill(0xa5, i * sz, (i + 1) * sz);
  const pres = present.map((p) => (p ? '1' : '0')).join('');
  const rec = runTool(portable, ['reconstruct', `${k}`, `${m}`, `${sz}`, pres, ...(dataOnly ? ['data'] : [])], damaged);
  const want = dataOnly ? damaged.slice() : full;
  if (dataOnly) want.set(data);
  check(rec.status === 0 && same(rec.out, want),
    `${tag}: rs_tool reconstruct of ${lose} lost${dataOnly ? ' (data)' : ''} wrong (status ${rec.status} ${rec.err})`);

  // 3. the oracle rebuilds the set ours encoded
  if (enc.status === 0) {
    const ours = new Uint8Array(n * sz);
    ours.set(data);
    ours.set(enc.out, k * sz);
    const present2 = lossPattern(k, m, 1 + rnd(m), c % 6 === 3);
    for (let i = 0; i < n; i++) if (!present2[i]) ours.fill(0, i * sz, (i + 1) * sz);
    const rr = oracle().reconstruct(ours, k, m, present2);
    check(rr === RSE.RESULT_OK && same(ours.subarray(0, k * sz), data),
      `${tag}: oracle reconstruct from rs_tool's parity wrong (result ${rr})`);
  }

  // 4. one loss too many: both refuse
  if (c % 4 === 3) {
    const present3 = lossPattern(k, m, m + 1 > n ? n : m + 1, false);
    const pres3 = present3.map((p) => (p ? '1' : '0')).join('');
    const r3 = runTool(portable, ['reconstruct', `${k}`, `${m}`, `${sz}`, pres3], full);
    check(r3.status === 3 && r3.out.length === 0, `${tag}: rs_tool accepted m+1 losses (status ${r3.status})`);
    const o3 = oracle().reconstruct(full.slice(), k, m, present3);
    check(o3 === RSE.RESULT_ERROR_TOO_FEW_SHARDS_PRESENT, `${tag}: oracle accepted m+1 losses (result ${o3})`);
  }
}

console.log(`rs_oracle: ${cases} cases (k+m up to ${maxN}, shards up to ${maxSz} B, seed ${seed}): ` +
  `${checks} checks, ${failures} failed`);
process.exit(failures ? 1 : 0);
