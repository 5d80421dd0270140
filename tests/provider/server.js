// A test Yellowstone gRPC server: geyser.Geyser/Subscribe served by grpc-js
// with the repo's proto/geyser.proto loaded through @grpc/proto-loader.
//
// node server.js --port P --proto-dir DIR --records FILE --state FILE
//                [--interval-ms N] [--no-resume] [--x-token T] [--log FILE]
//                [--dump DIR] [--tls-cert PEM --tls-key PEM] [--start-delay-ms N]
//                [--confirm-lag K] [--finalize-lag K]
//
// FILE holds recorded transactions, one JSON line each:
//   {"slot":N,"raw":"<base64 serialized transaction>","failed":bool,
//    "err":"<hex TransactionError bytes>","fee":N,"logs":["..."],"vote":bool}
// The server turns them into a chain of updates: per slot (in the order of
// the file) its transactions (SubscribeUpdateTransaction, the transaction
// as the structured solana.storage.ConfirmedBlock.Transaction parsed from
// the raw bytes, the meta), then slot updates (PROCESSED with the parent,
// then CONFIRMED), a Ping every 50 updates. With --confirm-lag K the
// CONFIRMED update of the i-th slot is sent when slot i+K closes, with
// --finalize-lag K a FINALIZED update likewise (the times of a test's
// choosing; slots closer than K to the end get none).
//
// Time plays the chain: update i is "produced" at t0 + i * interval, t0
// being the moment of the first subscription, kept in the state file so a
// restarted server goes on where the killed one would have been. A live
// subscriber gets the updates from the current position on; a request with
// from_slot (unless --no-resume: then the call fails with INVALID_ARGUMENT,
// "from_slot is not supported", as Yellowstone answers without a replay
// store) gets them from the first update of that slot. Every request is
// logged (--log, JSON lines: from_slot, commitment, filters, x-token).
// --dump DIR writes every update's encoding to DIR/NNNN.bin (fuzz seeds)
// and exits.
"use strict";
const fs = require("fs");
const path = require("path");
const grpc = require("@grpc/grpc-js");
const protoLoader = require("@grpc/proto-loader");

function arg(name, def) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : def;
}
const flag = (name) => process.argv.includes(name);

const port = arg("--port");
const protoDir = arg("--proto-dir");
const records = arg("--records");
const stateFile = arg("--state");
const interval = Number(arg("--interval-ms", "5"));
const noResume = flag("--no-resume");
const xToken = arg("--x-token");
const logFile = arg("--log");
const dumpDir = arg("--dump");
const startDelay = Number(arg("--start-delay-ms", "0")); // the chain starts this long after t0
const tlsCert = arg("--tls-cert");  // with --tls-key: https (TLS, ALPN h2) instead of h2c
const tlsKey = arg("--tls-key");
const confirmLag = Number(arg("--confirm-lag", "0"));
const finalizeLag = arg("--finalize-lag") === undefined ? null : Number(arg("--finalize-lag"));

const def = protoLoader.loadSync(["geyser.proto"],
  { includeDirs: [protoDir], longs: String, keepCase: true, defaults: false, oneofs: true });
const pkg = grpc.loadPackageDefinition(def);

// ---- the serialized transaction -> ConfirmedBlock.Transaction ----
function cu16(b, o) {
  let v = 0, s = 0, i = 0;
  for (;;) {
    const x = b[o + i++];
    v |= (x & 0x7f) << s;
    if (!(x & 0x80)) break;
    s += 7;
  }
  return [v, i];
}
function parseTx(b) {
  let o = 0, n, k;
  const take = (len) => { const r = b.subarray(o, o + len); o += len; return r; };
  const vec = () => { [n, k] = cu16(b, o); o += k; return n; };
  const signatures = [];
  for (let i = vec(); i > 0; i--) signatures.push(take(64));
  let versioned = false;
  if (b[o] & 0x80) { versioned = true; o++; }
  const header = { num_required_signatures: b[o], num_readonly_signed_accounts: b[o + 1],
                   num_readonly_unsigned_accounts: b[o + 2] };
  o += 3;
  const account_keys = [];
  for (let i = vec(); i > 0; i--) account_keys.push(take(32));
  const recent_blockhash = take(32);
  const instructions = [];
  for (let i = vec(); i > 0; i--) {
    const program_id_index = b[o++];
    const accounts = take(vec());
    const data = take(vec());
    instructions.push({ program_id_index, accounts, data });
  }
  const address_table_lookups = [];
  if (versioned) {
    for (let i = vec(); i > 0; i--) {
      const account_key = take(32);
      const writable_indexes = take(vec());
      const readonly_indexes = take(vec());
      address_table_lookups.push({ account_key, writable_indexes, readonly_indexes });
    }
  }
  if (o !== b.length) throw new Error(`transaction: ${b.length - o} trailing bytes`);
  return { signatures, message: { header, account_keys, recent_blockhash, instructions, versioned,
                                  address_table_lookups } };
}

// ---- the chain of updates ----
const recs = fs.readFileSync(records, "utf8").split("\n").filter((l) => l).map((l) => JSON.parse(l));
const updates = [];   // {slot, msg}
const slotFirst = new Map();
let prevSlot = null, sincePing = 0;
function push(slot, msg) {
  if (!slotFirst.has(slot)) slotFirst.set(slot, updates.length);
  updates.push({ slot, msg });
  if (++sincePing === 50) { sincePing = 0; updates.push({ slot, msg: { filters: [], ping: {} } }); }
}
const closed = [];
function closeSlot(slot, parent) {
  push(slot, { filters: ["sof"], slot: { slot: String(slot), parent: parent === null ? undefined : String(parent), status: "SLOT_PROCESSED" } });
  closed.push(slot);
  const i = closed.length - 1;
  if (i - confirmLag >= 0)
    push(slot, { filters: ["sof"], slot: { slot: String(closed[i - confirmLag]), status: "SLOT_CONFIRMED" } });
  if (finalizeLag !== null && i - finalizeLag >= 0)
    push(slot, { filters: ["sof"], slot: { slot: String(closed[i - finalizeLag]), status: "SLOT_FINALIZED" } });
}
let index = 0, lastParent = null;
for (const r of recs) {
  if (prevSlot !== null && r.slot !== prevSlot) { closeSlot(prevSlot, lastParent); lastParent = prevSlot; index = 0; }
  prevSlot = r.slot;
  const raw = Buffer.from(r.raw, "base64");
  const tx = parseTx(raw);
  const meta = { fee: String(r.fee || 0), log_messages: r.logs || [], pre_balances: [], post_balances: [],
                 compute_units_consumed: "1000" };
  if (r.failed) meta.err = { err: Buffer.from(r.err || "", "hex") };
  push(r.slot, { filters: ["sof"], created_at: { seconds: String(Math.floor(Date.now() / 1000)), nanos: 0 },
    transaction: { slot: String(r.slot), transaction: { signature: tx.signatures[0], is_vote: !!r.vote,
      transaction: tx, meta, index: String(index++) } } });
}
if (prevSlot !== null) closeSlot(prevSlot, lastParent);

if (dumpDir) {
  const root = require("protobufjs").loadSync(path.join(protoDir, "geyser.proto"));
  const SU = root.lookupType("geyser.SubscribeUpdate");
  fs.mkdirSync(dumpDir, { recursive: true });
  updates.forEach((u, i) => {
    const m = SU.fromObject(u.msg);
    fs.writeFileSync(path.join(dumpDir, String(i).padStart(5, "0") + ".bin"), SU.encode(m).finish());
  });
  process.exit(0);
}

let fresh = false; // this process started the chain: its first subscriber gets it from update 0
function t0() {
  try { return Number(fs.readFileSync(stateFile, "utf8")); } catch (e) { /* first start */ }
  const t = Date.now();
  fs.writeFileSync(stateFile, String(t));
  fresh = true;
  return t;
}
const livePos = (t) => Math.max(0, Math.floor((Date.now() - t - startDelay) / interval));

function subscribe(call) {
  let started = false;
  call.on("data", (req) => {
    if (started) { // a ping request: answered with a pong, the filters kept (as Yellowstone)
      if (req.ping) {
        if (logFile) fs.appendFileSync(logFile, JSON.stringify({ ping: req.ping.id ?? 0 }) + "\n");
        call.write({ filters: [], pong: { id: req.ping.id ?? 0 } });
      }
      return;
    }
    started = true;
    const from = req.from_slot !== undefined && req.from_slot !== null ? Number(req.from_slot) : null;
    const token = call.metadata.get("x-token")[0];
    if (logFile)
      fs.appendFileSync(logFile, JSON.stringify({ from_slot: from, commitment: req.commitment ?? null,
        transactions: req.transactions || {}, slots: req.slots || {}, x_token: token ?? null }) + "\n");
    if (xToken !== undefined && token !== xToken) {
      call.emit("error", { code: grpc.status.UNAUTHENTICATED, details: "x-token" });
      return;
    }
    if (from !== null && noResume) {
      call.emit("error", { code: grpc.status.INVALID_ARGUMENT, details: "from_slot is not supported" });
      return;
    }
    const t = t0();
    let pos;
    if (from !== null) {
      pos = slotFirst.has(from) ? slotFirst.get(from) : (from > prevSlot ? updates.length : 0);
    } else {
      pos = fresh ? 0 : livePos(t); // (a millisecond may pass between t0 and here)
      fresh = false;
    }
    const tick = () => {
      if (call.cancelled || call.destroyed) return;
      if (Date.now() - t < startDelay) { setTimeout(tick, interval); return; }
      const until = Math.min(updates.length, Math.max(livePos(t), pos + 1));
      while (pos < until) call.write(updates[pos++].msg);
      if (pos < updates.length) setTimeout(tick, interval);
      // at the end the stream stays open (live, nothing more to say)
    };
    tick();
  });
  call.on("error", () => {});
}

const server = new grpc.Server();
server.addService(pkg.geyser.Geyser.service, { Subscribe: subscribe });
const creds = tlsCert
  ? grpc.ServerCredentials.createSsl(null, [{ cert_chain: fs.readFileSync(tlsCert), private_key: fs.readFileSync(tlsKey) }])
  : grpc.ServerCredentials.createInsecure();
server.bindAsync(`127.0.0.1:${port}`, creds, (err) => {
  if (err) { console.error(err.message); process.exit(1); }
  console.log("listening");
});
