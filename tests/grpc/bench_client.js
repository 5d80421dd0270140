// bench_client.js ENDPOINT PROTO_DIR: the probe of bench/bench_grpc.sh.
// One Subscribe (grpc-js, sofd's proto files) with transactions
// {vote: false}; for every transaction update it takes the receipt time
// (wall clock, microseconds) minus the update's created_at (sofd sets it to
// the wall time of the RX burst that completed the transaction): RX burst
// -> client receipt. Prints {"ready": true} once its pong came back; on
// "stop" (stdin) prints {"count", "p50", "p90", "p99", "p999", "max"}
// in microseconds and exits.
"use strict";
const grpc = require("@grpc/grpc-js");
const protoLoader = require("@grpc/proto-loader");
const readline = require("readline");

const [endpoint, protoDir] = process.argv.slice(2);
const def = protoLoader.loadSync(["geyser.proto"], { includeDirs: [protoDir], longs: Number, defaults: false });
const Geyser = grpc.loadPackageDefinition(def).geyser.Geyser;
const cl = new Geyser(endpoint, grpc.credentials.createInsecure(),
  { "grpc.max_receive_message_length": 64 << 20 });
const call = cl.Subscribe();
const lat = [];
let ready = false;
call.on("data", (u) => {
  const now = performance.timeOrigin + performance.now(); // ms, sub-microsecond resolution
  if (u.pong && !ready) { ready = true; console.log(JSON.stringify({ ready: true })); return; }
  if (!u.transaction || !u.createdAt) return;
  const sent = Number(u.createdAt.seconds) * 1e3 + (u.createdAt.nanos || 0) / 1e6;
  lat.push((now - sent) * 1e3);
});
call.on("error", (e) => { console.error("bench_client:", e.code, e.details); });
call.write({ transactions: { probe: { vote: false } }, ping: { id: 1 } });
const rl = readline.createInterface({ input: process.stdin });
rl.on("line", (l) => {
  if (l.trim() !== "stop") return;
  lat.sort((a, b) => a - b);
  const q = (p) => (lat.length ? lat[Math.min(lat.length - 1, Math.ceil(p * lat.length) - 1)] : null);
  process.stdout.write(JSON.stringify({ count: lat.length, p50: q(0.5), p90: q(0.9), p99: q(0.99),
    p999: q(0.999), max: lat.length ? lat[lat.length - 1] : null }) + "\n", () => process.exit(0));
});
