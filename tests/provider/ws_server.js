// A test Solana websocket provider: transactionSubscribe / slotSubscribe /
// blockSubscribe (JSON-RPC over a websocket, the `ws` package) serving the
// recorded transactions of tests/provider/server.js's records file as
// transactionNotification (base64 wire bytes + meta) and, after each
// slot's transactions, a slotNotification and (to blockSubscribe) a
// blockNotification holding the slot's transactions (Agave's form:
// value.block.transactions[] = {transaction: [base64, "base64"], meta}).
//
// node ws_server.js --port P --records FILE --state FILE [--interval-ms N]
//                   [--log FILE] [--x-token T] [--tls-cert PEM --tls-key PEM]
//
// --x-token: the upgrade request must carry that x-token header (else the
// first request is answered with close code 4001). --tls-cert/--tls-key:
// wss:// (an https server carrying the websocket).
//
// Time plays the chain as in server.js (t0 = the first subscription, kept
// in the state file across restarts); a subscriber gets the notifications
// from the live position on: there is no replay over websockets.
"use strict";
const fs = require("fs");
const https = require("https");
const { WebSocketServer } = require("ws");

function arg(name, def) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : def;
}
const port = Number(arg("--port"));
const recs = fs.readFileSync(arg("--records"), "utf8").split("\n").filter((l) => l).map((l) => JSON.parse(l));
const stateFile = arg("--state");
const interval = Number(arg("--interval-ms", "5"));
const logFile = arg("--log");
const xToken = arg("--x-token");
const tlsCert = arg("--tls-cert");
const tlsKey = arg("--tls-key");

// the chain: [kind, slot, payload, block]; kind 0 transaction, 1 slot (with
// the slot's block for blockSubscribe)
const chain = [];
let prev = null, parent = null, blockTxs = [];
const closeSlot = () => {
  chain.push([1, prev, { slot: prev, parent, root: 0 }, { context: { slot: prev }, value: { slot: prev, err: null,
    block: { previousBlockhash: null, blockhash: null, parentSlot: parent, transactions: blockTxs,
             blockTime: null, blockHeight: null } } }]);
  parent = prev;
  blockTxs = [];
};
for (const r of recs) {
  if (prev !== null && r.slot !== prev) closeSlot();
  prev = r.slot;
  let err = null;
  if (r.failed) err = { InstructionError: [0, { Custom: 1 }] };
  const tx = { transaction: [r.raw, "base64"],
    meta: { err, fee: r.fee, logMessages: r.logs, computeUnitsConsumed: 1000, preBalances: [], postBalances: [] } };
  blockTxs.push(tx);
  chain.push([0, r.slot, { signature: r.signature, slot: r.slot, transaction: tx }]);
}
if (prev !== null) closeSlot();

let fresh = false; // this process started the chain: its first subscriber gets it from update 0
function t0() {
  try { return Number(fs.readFileSync(stateFile, "utf8")); } catch (e) { /* first start */ }
  const t = Date.now();
  fs.writeFileSync(stateFile, String(t));
  fresh = true;
  return t;
}

let wss, httpsServer = null;
if (tlsCert) {
  httpsServer = https.createServer({ cert: fs.readFileSync(tlsCert), key: fs.readFileSync(tlsKey) });
  wss = new WebSocketServer({ server: httpsServer });
} else {
  wss = new WebSocketServer({ host: "127.0.0.1", port });
}
wss.on("connection", (sock, req) => {
  const subs = {};
  let pos = null, t = null;
  const token = req.headers["x-token"];
  sock.on("message", (data) => {
    let m;
    try { m = JSON.parse(data); } catch (e) { return; }
    if (logFile) fs.appendFileSync(logFile, JSON.stringify({ method: m.method, params: m.params ?? null, x_token: token ?? null }) + "\n");
    if (xToken !== undefined && token !== xToken) { sock.close(4001, "x-token"); return; }
    const id = Object.keys(subs).length + 100;
    subs[m.method] = id;
    sock.send(JSON.stringify({ jsonrpc: "2.0", result: id, id: m.id }));
    if (pos !== null) return;
    t = t0();
    pos = fresh ? 0 : Math.max(0, Math.floor((Date.now() - t) / interval));
    fresh = false;
    const tick = () => {
      if (sock.readyState !== sock.OPEN) return;
      const until = Math.min(chain.length, Math.max(pos + 1, Math.floor((Date.now() - t) / interval)));
      for (; pos < until; pos++) {
        const [kind, , payload, block] = chain[pos];
        const method = kind === 0 ? "transactionSubscribe" : "slotSubscribe";
        if (subs[method] !== undefined)
          sock.send(JSON.stringify({ jsonrpc: "2.0", method: kind === 0 ? "transactionNotification" : "slotNotification",
            params: { subscription: subs[method], result: payload } }));
        if (kind === 1 && subs.blockSubscribe !== undefined)
          sock.send(JSON.stringify({ jsonrpc: "2.0", method: "blockNotification",
            params: { subscription: subs.blockSubscribe, result: block } }));
      }
      if (pos < chain.length) setTimeout(tick, interval);
    };
    setTimeout(tick, 0);
  });
});
if (httpsServer) httpsServer.listen(port, "127.0.0.1", () => console.log("listening"));
else wss.on("listening", () => console.log("listening"));
