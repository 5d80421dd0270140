// web3_decode.mjs: sof-gen's transactions, decoded by @solana/web3.js v1.
//
//   node web3_decode.mjs --truth TRUTH.jsonl --pcap CAPTURE.pcap --sof-dump PATH/TO/sof-dump
//
// The capture must be clean (sof-gen without impairments). For each
// dataset line of the truth (slot, startIndex, endIndex), the data shreds
// of that range are taken from the pcap and their payloads concatenated
// into the entry batch; the batch is walked (bincode Vec<Entry>: u64 count,
// then per entry u64 num_hashes, 32-byte hash, u64 transaction count,
// transactions) and every transaction is decoded with
// VersionedTransaction.deserialize. Its length is where web3.js's own
// serialize() ends, and those bytes must be the batch's bytes (a round trip).
// Checked per transaction:
//   - against the truth, in order: slot, first signature (base58), version;
//   - against `sof-dump --entries` over the same batch: every field both
//     report: signature, version, numSignatures, header, accountKeys,
//     recentBlockhash, number of instructions, program ids, lookup tables
//     (address and indexes), size;
//   - every signature verifies (node:crypto ed25519) over the message bytes
//     with the account key of its signer.
// Counts: the transactions web3.js decoded = the truth's = sof-dump's.
//
// Exit status: 0 all agree, 1 a mismatch (printed), 2 usage.

import { execFileSync } from 'node:child_process';
import { createPublicKey, verify } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { VersionedTransaction } from '@solana/web3.js';
import bs58 from 'bs58';

import { Checker, parseArgs, readPcap, readTruth, shredHeader, udpPayload } from './capture.mjs';

const USAGE = 'usage: node web3_decode.mjs --truth TRUTH.jsonl --pcap CAPTURE.pcap --sof-dump PATH\n';
const args = parseArgs(process.argv.slice(2), ['truth', 'pcap', 'sof-dump'], USAGE);
const ck = new Checker('web3_decode');

const truth = readTruth(args.truth);
const config = truth.find((r) => r.type === 'config');
if (!ck.check(config, 'the truth has no config line')) ck.done('no config');
const port = config.dstPort ?? 8001;

// Data shreds by slot and index (the first copy).
const data = new Map();
for (const frame of readPcap(args.pcap)) {
  const p = udpPayload(frame, port);
  if (!p) continue;
  const h = shredHeader(p);
  if (!h || !h.isData) continue;
  const key = `${h.slot}:${h.index}`;
  if (!data.has(key)) data.set(key, h);
}

// The entry batches the truth's datasets name.
const batches = [];
for (const ds of truth.filter((r) => r.type === 'dataset')) {
  const parts = [];
  let complete = true;
  for (let i = ds.startIndex; i <= ds.endIndex; i++) {
    const h = data.get(`${ds.slot}:${i}`);
    if (!h) {
      complete = false;
      break;
    }
    parts.push(h.data);
    if (i === ds.endIndex) {
      ck.check((h.flags & 0x40) !== 0, `slot ${ds.slot} shred ${i}: the dataset's last shred lacks DATA_COMPLETE`);
      ck.check(((h.flags & 0xc0) === 0xc0) === ds.lastInSlot, `slot ${ds.slot} shred ${i}: LAST_IN_SLOT is not the truth's`);
    }
  }
  if (!ck.check(complete, `slot ${ds.slot} [${ds.startIndex}, ${ds.endIndex}]: data shreds missing from the capture`)) continue;
  const bytes = Buffer.concat(parts);
  ck.check(bytes.length === ds.bytes, `slot ${ds.slot} [${ds.startIndex}, ${ds.endIndex}]: ${bytes.length} bytes, truth says ${ds.bytes}`);
  batches.push({ ds, bytes });
}

// sof-dump's view of the same batches, one file each.
const dir = mkdtempSync(join(tmpdir(), 'web3_decode.'));
const dumpTxns = new Map(); // file -> its transaction lines, in order
try {
  const files = batches.map((b, i) => {
    const f = join(dir, `batch${String(i).padStart(5, '0')}.bin`);
    writeFileSync(f, b.bytes);
    b.file = f;
    dumpTxns.set(f, []);
    return f;
  });
  if (files.length) {
    const out = execFileSync(args['sof-dump'], ['--entries', ...files], { maxBuffer: 1 << 30 }).toString();
    for (const line of out.split('\n').filter((l) => l.trim())) {
      const r = JSON.parse(line);
      if (r.type === 'transaction') dumpTxns.get(r.source)?.push(r);
      ck.check(!r.error, `sof-dump reports an error: ${line}`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// ed25519 public key from its 32 raw bytes (SPKI DER prefix).
const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex');
const pubKey = (raw) => createPublicKey({ key: Buffer.concat([SPKI_ED25519, raw]), format: 'der', type: 'spki' });

const truthTxns = truth.filter((r) => r.type === 'transaction');
let t = 0; // next truth transaction
let decoded = 0;
let dumped = 0;
const sameJson = (a, b) => JSON.stringify(a) === JSON.stringify(b);

for (const { ds, bytes, file } of batches) {
  const dump = dumpTxns.get(file) ?? [];
  dumped += dump.length;
  let d = 0; // next sof-dump transaction of this batch
  let off = 0;
  const u64 = () => {
    const v = bytes.readBigUInt64LE(off);
    off += 8;
    return Number(v);
  };
  const entries = u64();
  for (let e = 0; e < entries && off < bytes.length; e++) {
    u64(); // num_hashes
    off += 32; // hash
    const n = u64();
    for (let k = 0; k < n; k++) {
      const at = `slot ${ds.slot} batch [${ds.startIndex}, ${ds.endIndex}] entry ${e} txn ${k}`;
      let tx;
      try {
        tx = VersionedTransaction.deserialize(bytes.subarray(off, Math.min(off + 1232, bytes.length)));
      } catch (err) {
        ck.check(false, `${at}: web3.js cannot deserialize: ${err.message}`);
        ck.done('stopped at an undecodable transaction');
      }
      const ser = Buffer.from(tx.serialize());
      ck.check(ser.equals(bytes.subarray(off, off + ser.length)), `${at}: web3.js re-serializes other bytes`);
      off += ser.length;
      decoded++;

      const msg = tx.message;
      const keys = msg.staticAccountKeys.map((k) => k.toBase58());
      const sig = bs58.encode(tx.signatures[0]);
      const version = tx.version === 'legacy' ? 'legacy' : tx.version;

      const tr = truthTxns[t++];
      if (ck.check(tr, `${at}: more transactions than the truth lists`)) {
        ck.check(tr.slot === ds.slot, `${at}: truth slot ${tr.slot}`);
        ck.check(tr.signature === sig, `${at}: signature ${sig}, truth ${tr.signature}`);
        ck.check(tr.version === (version === 'legacy' ? 'legacy' : `v${version}`), `${at}: version ${version}, truth ${tr.version}`);
      }

      const dl = dump[d++];
      if (ck.check(dl, `${at}: sof-dump reports fewer transactions`)) {
        ck.check(dl.signature === sig, `${at}: sof-dump signature ${dl.signature}, web3.js ${sig}`);
        ck.check(dl.version === version, `${at}: sof-dump version ${dl.version}, web3.js ${version}`);
        ck.check(dl.numSignatures === tx.signatures.length, `${at}: numSignatures`);
        ck.check(sameJson(dl.header, [msg.header.numRequiredSignatures, msg.header.numReadonlySignedAccounts,
          msg.header.numReadonlyUnsignedAccounts]), `${at}: header`);
        ck.check(sameJson(dl.accountKeys, keys), `${at}: account keys differ`);
        ck.check(dl.recentBlockhash === msg.recentBlockhash, `${at}: recent blockhash`);
        ck.check(dl.numInstructions === msg.compiledInstructions.length, `${at}: instruction count`);
        ck.check(sameJson(dl.programIds, msg.compiledInstructions.map((ix) => keys[ix.programIdIndex])),
          `${at}: program ids`);
        const lookups = (msg.addressTableLookups ?? []).map((l) => ({
          accountKey: l.accountKey.toBase58(),
          writableIndexes: [...l.writableIndexes],
          readonlyIndexes: [...l.readonlyIndexes],
        }));
        ck.check(sameJson(dl.lookupTables, lookups), `${at}: lookup tables`);
        ck.check(dl.size === ser.length, `${at}: size ${dl.size}, web3.js ${ser.length}`);
      }

      const msgBytes = Buffer.from(msg.serialize());
      for (let i = 0; i < tx.signatures.length; i++) {
        const ok = verify(null, msgBytes, pubKey(msg.staticAccountKeys[i].toBuffer()), Buffer.from(tx.signatures[i]));
        ck.check(ok, `${at}: signature ${i} does not verify with ${keys[i]}`);
      }
    }
  }
  ck.check(off === bytes.length, `slot ${ds.slot} batch [${ds.startIndex}, ${ds.endIndex}]: ${bytes.length - off} bytes after the last entry`);
  ck.check(d === dump.length, `slot ${ds.slot}: sof-dump reports ${dump.length - d} more transactions`);
}

ck.check(decoded > 0, 'no transaction decoded');
ck.check(decoded === truthTxns.length, `web3.js decoded ${decoded} transactions, the truth lists ${truthTxns.length}`);
ck.check(decoded === dumped, `web3.js decoded ${decoded} transactions, sof-dump ${dumped}`);
ck.done(`${batches.length} batches, ${decoded} transactions decoded by web3.js`);
