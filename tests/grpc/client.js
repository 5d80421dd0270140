// client.js SPEC.json: gRPC subscribers for tests/test_sofd_grpc.py.
//
// SPEC: {"endpoint": "http://127.0.0.1:PORT", "token": "..." (optional),
//        "protoDir": ".../proto", "tokenProbe": bool,
//        "subs": [{"name": N, "kind": K, "request": R, "ownConnection": bool}]}
// kind "subscribe" and "deshred" use the official Yellowstone client
// (@triton-one/yellowstone-grpc, its native binding); "subscribe_js",
// "deshred_js" and "entries" use @grpc/grpc-js with sofd's own proto files
// (proto-loader). Each subscription sends its request with a ping; once
// every pong came back (the filters are in force) the script prints
// {"ready": true}. Then, on its stdin: "unary" prints one line of unary
// answers (official client); "stop" (or EOF) prints one JSON line per
// subscription, {"name", "updates": [...], "error": status or null,
// "pongs"}, once no update came for 1.5 s, and exits. "ownConnection" puts
// a grpc-js subscription on a connection of its own. "tokenProbe" first prints the
// status codes of GetVersion without, with a wrong and with the token.
"use strict";
const fs = require("fs");
const path = require("path");
const readline = require("readline");
const Client = require("@triton-one/yellowstone-grpc").default;
const grpc = require("@grpc/grpc-js");
const protoLoader = require("@grpc/proto-loader");

const B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
function b58(buf) {
  const bytes = Buffer.from(buf || []);
  let n = BigInt("0x" + (bytes.length ? bytes.toString("hex") : "0"));
  let s = "";
  while (n > 0n) { s = B58[Number(n % 58n)] + s; n /= 58n; }
  for (const b of bytes) { if (b !== 0) break; s = "1" + s; }
  return s;
}

// Absent bytes fields (proto3 leaves empty ones out) are "".
const hex = (x) => (x ? Buffer.from(x).toString("hex") : "");

// A transaction message as the test compares it.
function txOf(info, slot, filters) {
  const t = info.transaction;
  const m = t.message;
  return {
    type: "transaction", slot: Number(slot), filters,
    signature: b58(info.signature), isVote: !!info.isVote,
    signatures: (t.signatures || []).map(b58),
    header: [m.header.numRequiredSignatures || 0, m.header.numReadonlySignedAccounts || 0,
             m.header.numReadonlyUnsignedAccounts || 0],
    accountKeys: (m.accountKeys || []).map(b58), recentBlockhash: b58(m.recentBlockhash),
    versioned: !!m.versioned, numInstructions: (m.instructions || []).length,
    instructions: (m.instructions || []).map((i) => ({
      programIdIndex: i.programIdIndex || 0, accounts: hex(i.accounts), data: hex(i.data) })),
    lookups: (m.addressTableLookups || []).map((l) => ({
      accountKey: b58(l.accountKey), writable: hex(l.writableIndexes), readonly: hex(l.readonlyIndexes) })),
    hasMeta: info.meta !== undefined && info.meta !== null,
    index: Number(info.index || 0),
  };
}

function slotOf(s, filters) {
  return { type: "slot", slot: Number(s.slot), parent: s.parent === undefined || s.parent === null ? null : Number(s.parent),
           status: s.status, deadError: s.deadError || null, filters };
}

// bincode Vec<Entry>: u64 count, then per entry u64 num_hashes, 32-byte
// hash, u64 transaction count, transactions (short_vec lengths inside).
function shortVec(b, o) {
  let v = 0, s = 0;
  for (;;) { const x = b[o++]; v |= (x & 0x7f) << s; if (!(x & 0x80)) break; s += 7; }
  return [v, o];
}
function txLen(b, o0) {
  let o = o0, n;
  [n, o] = shortVec(b, o); const sigStart = o; o += 64 * n;
  const sig = b.subarray(sigStart, sigStart + 64);
  const versioned = (b[o] & 0x80) !== 0;
  if (versioned) o++;
  o += 3;
  [n, o] = shortVec(b, o); const keys = []; for (let i = 0; i < n; i++) keys.push(b.subarray(o + 32 * i, o + 32 * i + 32));
  o += 32 * n + 32;
  [n, o] = shortVec(b, o);
  for (let i = 0; i < n; i++) { o++; let k; [k, o] = shortVec(b, o); o += k; [k, o] = shortVec(b, o); o += k; }
  if (versioned) {
    [n, o] = shortVec(b, o);
    for (let i = 0; i < n; i++) { o += 32; let k; [k, o] = shortVec(b, o); o += k; [k, o] = shortVec(b, o); o += k; }
  }
  return { end: o, signature: b58(sig), accountKeys: keys.map(b58) };
}
function decodeEntries(buf) {
  const b = Buffer.from(buf);
  const cnt = Number(b.readBigUInt64LE(0));
  let o = 8;
  const entries = [];
  for (let e = 0; e < cnt; e++) {
    const numHashes = Number(b.readBigUInt64LE(o)); const hash = b58(b.subarray(o + 8, o + 40));
    const n = Number(b.readBigUInt64LE(o + 40)); o += 48;
    const txs = [];
    for (let t = 0; t < n; t++) { const x = txLen(b, o); txs.push({ signature: x.signature, accountKeys: x.accountKeys }); o = x.end; }
    entries.push({ numHashes, hash, txs });
  }
  return entries;
}

async function main() {
  const spec = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
  const host = spec.endpoint.replace(/^https?:\/\//, "");
  const results = [];
  let lastData = 0;
  let pending = 0;
  let readyResolve;
  const allReady = new Promise((r) => { readyResolve = r; });
  const done = () => { if (--pending === 0) readyResolve(); };
  let pkg = null;
  const loadPkg = () => {
    if (!pkg) {
      const def = protoLoader.loadSync(["geyser.proto", "shredstream.proto"],
        { includeDirs: [spec.protoDir], longs: String, keepCase: false, defaults: false, oneofs: true });
      pkg = grpc.loadPackageDefinition(def);
    }
    return pkg;
  };
  const meta = new grpc.Metadata();
  if (spec.token) meta.set("x-token", spec.token);

  const yc = new Client(spec.endpoint, spec.token, { grpcMaxDecodingMessageSize: 64 * 1024 * 1024 });
  await yc.connect();
  // The unary methods through the official client (what a bot calls).
  const unary = async () => {
    const u = {};
    const tryit = async (k, f) => {
      try { u[k] = await f(); } catch (e) { u[k] = { error: String(e.code || e.message || e) }; }
    };
    await tryit("version", () => yc.getVersion());
    await tryit("ping", () => yc.ping(7));
    await tryit("slot", () => yc.getSlot());
    await tryit("slotConfirmed", () => yc.getSlot(1));
    await tryit("blockhash", () => yc.getLatestBlockhash());
    if (u.blockhash && u.blockhash.blockhash) await tryit("valid", () => yc.isBlockhashValid(u.blockhash.blockhash));
    await tryit("invalid", () => yc.isBlockhashValid("11111111111111111111111111111111"));
    await tryit("height", () => yc.getBlockHeight());
    console.log(JSON.stringify({ unary: u }));
  };
  // x-token through grpc-js: the status code of GetVersion without and
  // with the token.
  if (spec.tokenProbe) {
    const G = loadPkg().geyser.Geyser;
    const probe = (md) => new Promise((res) => {
      const cl = new G(host, grpc.credentials.createInsecure(), { "grpc.primary_user_agent": "probe" + Math.random() });
      cl.GetVersion({}, md, (err, v) => { res(err ? err.code : 0); cl.close(); });
    });
    const without = await probe(new grpc.Metadata());
    const wrong = new grpc.Metadata(); wrong.set("x-token", "not-" + spec.token);
    const badCode = await probe(wrong);
    const withCode = await probe(meta);
    console.log(JSON.stringify({ token: { without, wrong: badCode, with: withCode } }));
  }

  for (const s of spec.subs) {
    const r = { name: s.name, updates: [], error: null, pongs: 0, pings: 0 };
    results.push(r);
    pending++;
    let gotPong = false;
    const onPong = () => { r.pongs++; if (!gotPong) { gotPong = true; done(); } };
    const onErr = (e) => { r.error = String(e && (e.code !== undefined ? e.code : e.message) || e); if (!gotPong) { gotPong = true; done(); } };
    if (s.kind === "subscribe" || s.kind === "deshred") {
      const stream = s.kind === "subscribe" ? await yc.subscribe() : await yc.subscribeDeshred();
      stream.on("error", onErr);
      stream.on("data", (u) => {
        lastData = Date.now();
        if (u.pong) return onPong();
        if (u.ping) { r.pings++; return; }
        if (u.transaction) r.updates.push(txOf(u.transaction.transaction, u.transaction.slot, u.filters));
        else if (u.deshredTransaction) {
          const x = txOf(u.deshredTransaction.transaction, u.deshredTransaction.slot, u.filters);
          x.datasetStart = u.deshredTransaction.transaction.completedDataSetStartingShredIndex;
          x.datasetEnd = u.deshredTransaction.transaction.completedDataSetEndingShredIndexExclusive || 0;
          r.updates.push(x);
        } else if (u.slot) r.updates.push(slotOf(u.slot, u.filters));
        else if (u.blockMeta) r.updates.push({ type: "blockMeta", slot: Number(u.blockMeta.slot),
          blockhash: u.blockMeta.blockhash, parentSlot: Number(u.blockMeta.parentSlot || 0),
          parentBlockhash: u.blockMeta.parentBlockhash || "", txCount: Number(u.blockMeta.executedTransactionCount || 0),
          entriesCount: Number(u.blockMeta.entriesCount || 0), blockHeight: u.blockMeta.blockHeight || null,
          blockTime: u.blockMeta.blockTime || null, filters: u.filters });
        else if (u.entry) r.updates.push({ type: "entry", slot: Number(u.entry.slot), index: Number(u.entry.index),
          numHashes: Number(u.entry.numHashes), hash: b58(u.entry.hash), txCount: Number(u.entry.executedTransactionCount),
          filters: u.filters });
        else r.updates.push({ type: "other", keys: Object.keys(u) });
      });
      const req = Object.assign({ accounts: {}, slots: {}, transactions: {}, transactionsStatus: {}, blocks: {},
        blocksMeta: {}, entry: {}, accountsDataSlice: [] }, JSON.parse(JSON.stringify(s.request || {})), { ping: { id: 1 } });
      // the official client's encoder wants every list present
      for (const m of [req.transactions, req.deshredTransactions || {}])
        for (const k of Object.keys(m))
          m[k] = Object.assign({ accountInclude: [], accountExclude: [], accountRequired: [] }, m[k]);
      if (s.kind === "deshred") {
        delete req.accounts; delete req.transactions; delete req.transactionsStatus; delete req.blocks;
        delete req.blocksMeta; delete req.entry; delete req.accountsDataSlice;
        req.deshredTransactions = req.deshredTransactions || {};
      }
      stream.write(req);
      r.stream = stream;
    } else if (s.kind === "deshred_js" || s.kind === "subscribe_js") {
      const opts = s.ownConnection ? { "grpc.primary_user_agent": "own-" + s.name } : {};
      const cl = new (loadPkg().geyser.Geyser)(host, grpc.credentials.createInsecure(), opts);
      const call = s.kind === "subscribe_js" ? cl.Subscribe(meta) : cl.SubscribeDeshred(meta);
      call.on("error", onErr);
      call.on("data", (u) => {
        lastData = Date.now();
        if (u.pong) return onPong();
        if (u.ping) return;
        if (u.deshredTransaction) {
          const x = txOf(u.deshredTransaction.transaction, u.deshredTransaction.slot, u.filters);
          x.datasetStart = u.deshredTransaction.transaction.completedDataSetStartingShredIndex;
          x.datasetEnd = u.deshredTransaction.transaction.completedDataSetEndingShredIndexExclusive || 0;
          r.updates.push(x);
        } else if (u.transaction) r.updates.push(txOf(u.transaction.transaction, u.transaction.slot, u.filters));
        else if (u.slot) r.updates.push(slotOf(u.slot, u.filters));
      });
      call.write(Object.assign({}, s.request, { ping: { id: 1 } }));
      r.stream = call;
    } else if (s.kind === "entries") {
      const cl = new (loadPkg().shredstream.ShredstreamProxy)(host, grpc.credentials.createInsecure());
      const call = cl.SubscribeEntries({}, meta);
      call.on("error", onErr);
      call.on("metadata", () => { if (!gotPong) { gotPong = true; done(); } });
      call.on("data", (e) => (lastData = Date.now()) && r.updates.push({ type: "entries", slot: Number(e.slot), entries: decodeEntries(e.entries) }));
      r.stream = call;
    }
  }
  if (pending) await allReady;
  console.log(JSON.stringify({ ready: true }));
  const rl = readline.createInterface({ input: process.stdin });
  await new Promise((res) => {
    rl.on("line", (l) => {
      if (l.trim() === "stop") res();
      else if (l.trim() === "unary") unary();
    });
    rl.on("close", res);
  });
  // the native client hands updates over one at a time: wait until none
  // has come for 1.5 s (at most 60 s) so what sofd sent is all counted
  const t0 = Date.now();
  while (Date.now() - lastData < 1500 && Date.now() - t0 < 60000) await new Promise((r) => setTimeout(r, 100));
  let out = "";
  for (const r of results) {
    const st = r.stream;
    delete r.stream;
    out += JSON.stringify(r) + "\n";
    try { st.destroy ? st.destroy() : st.cancel(); } catch (e) { /* closing anyway */ }
  }
  // exit only once stdout took everything (a pipe writes asynchronously)
  process.stdout.write(out, () => process.exit(0));
}

main().catch((e) => { console.error("client.js:", e && e.stack || e); process.exit(2); });
