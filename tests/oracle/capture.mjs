// capture.mjs: what the oracle scripts share: reading a classic pcap of
// Ethernet/IPv4/UDP frames and a sof-gen truth file, and the few shred
// header fields they need. Written from the wire format
// (docs/wire-format.md), independently of the C parsers under test.

import { readFileSync } from 'node:fs';

// Frames of a classic little-endian pcap (microsecond or nanosecond).
export function readPcap(path) {
  const buf = readFileSync(path);
  const magic = buf.readUInt32LE(0);
  if (magic !== 0xa1b2c3d4 && magic !== 0xa1b23c4d) {
    throw new Error(`${path}: not a little-endian classic pcap (magic ${magic.toString(16)})`);
  }
  if (buf.readUInt32LE(20) !== 1) throw new Error(`${path}: link type is not Ethernet`);
  const frames = [];
  for (let off = 24; off + 16 <= buf.length;) {
    const incl = buf.readUInt32LE(off + 8);
    if (off + 16 + incl > buf.length) throw new Error(`${path}: truncated record at ${off}`);
    frames.push(buf.subarray(off + 16, off + 16 + incl));
    off += 16 + incl;
  }
  return frames;
}

// The UDP payload of an untagged Ethernet/IPv4/UDP frame to dstPort, or
// null for anything else.
export function udpPayload(frame, dstPort) {
  if (frame.length < 42 || frame.readUInt16BE(12) !== 0x0800) return null;
  const ihl = (frame[14] & 0x0f) * 4;
  if (frame[14] >> 4 !== 4 || ihl < 20 || frame[14 + 9] !== 17) return null;
  const totalLen = frame.readUInt16BE(16);
  if (14 + totalLen > frame.length) return null;
  const udp = 14 + ihl;
  if (frame.readUInt16BE(udp + 2) !== dstPort) return null;
  const len = frame.readUInt16BE(udp + 4);
  if (len < 8 || udp + len > 14 + totalLen) return null;
  return frame.subarray(udp + 8, udp + len);
}

// The header fields of a merkle shred (chained or not, resigned or not),
// or null when the variant is not a merkle variant or the payload is short.
// Offsets: [64] variant, [65] slot u64, [73] index u32, [77] version u16,
// [79] fec_set_index u32; data: [83] parent_offset u16, [85] flags,
// [86] size u16; code: [83] num_data u16, [85] num_coding u16,
// [87] position u16.
export function shredHeader(p) {
  if (p.length < 89) return null;
  const variant = p[64];
  const type = variant & 0xf0;
  const proof = variant & 0x0f;
  const kinds = {
    0x40: [false, false, false], 0x60: [false, true, false], 0x70: [false, true, true],
    0x80: [true, false, false], 0x90: [true, true, false], 0xb0: [true, true, true],
  };
  if (!(type in kinds)) return null;
  const [isData, chained, resigned] = kinds[type];
  const size = isData ? 1203 : 1228;
  if (p.length < size) return null;
  const h = {
    variant, isData, chained, resigned, proof,
    slot: p.readBigUInt64LE(65),
    index: p.readUInt32LE(73),
    version: p.readUInt16LE(77),
    fecSetIndex: p.readUInt32LE(79),
    // The erasure shard: [64, end) for data, [89, 89 + end - 64) for code,
    // end = 1203 - 20 x proof - 32 (chained root) - 64 (retransmitter sig).
    shardSize: 1203 - 64 - 20 * proof - (chained ? 32 : 0) - (resigned ? 64 : 0),
    payload: p.subarray(0, size),
  };
  if (isData) {
    h.parentOffset = p.readUInt16LE(83);
    h.flags = p[85];
    h.dataSize = p.readUInt16LE(86) - 88;
    h.data = p.subarray(88, 88 + h.dataSize);
  } else {
    h.numData = p.readUInt16LE(83);
    h.numCoding = p.readUInt16LE(85);
    h.position = p.readUInt16LE(87);
  }
  return h;
}

// The truth file's lines, parsed.
export function readTruth(path) {
  return readFileSync(path, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
}

// A tiny argument parser: --name value pairs into an object.
export function parseArgs(argv, required, usage) {
  const out = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || i + 1 >= argv.length) {
      process.stderr.write(usage);
      process.exit(2);
    }
    out[argv[i].slice(2)] = argv[i + 1];
  }
  for (const r of required) {
    if (!(r in out)) {
      process.stderr.write(usage);
      process.exit(2);
    }
  }
  return out;
}

// Collects failures; ends the script with 0 (all checks passed) or 1.
export class Checker {
  constructor(name) {
    this.name = name;
    this.checks = 0;
    this.failures = 0;
  }
  check(cond, what) {
    this.checks++;
    if (!cond) {
      this.failures++;
      if (this.failures <= 20) process.stderr.write(`${this.name}: FAIL: ${what}\n`);
    }
    return cond;
  }
  done(note) {
    process.stderr.write(`${this.name}: ${note}; ${this.checks} checks, ${this.failures} failed\n`);
    if (this.checks === 0) process.exit(1);
    process.exit(this.failures ? 1 : 0);
  }
}
