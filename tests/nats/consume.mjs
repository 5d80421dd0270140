// consume.mjs URL STREAM [PROTO_DIR]: reads every message of the JetStream
// stream with nats.js (an ordered consumer) and prints one JSON line per
// message: {"seq":N,"subject":"...","msgId":"<Nats-Msg-Id>","schema":"...",
// "event":<payload>}. Without PROTO_DIR the payload is JSON (format = json).
// With PROTO_DIR (sofd's proto/), each message is decoded by the schema its
// Sof-Schema header names (format = protobuf): geyser.SubscribeUpdate and
// geyser.GetLatestBlockhashResponse with protobufjs from PROTO_DIR's
// geyser.proto (bytes as base64, 64-bit integers as strings, field names as
// in the .proto), "json" as JSON.
// Exits 0 once it has read as many messages as the stream held when it
// started, 1 on an error or when they do not arrive within 20 s.
import path from "node:path";
import { connect } from "nats";
import protobuf from "protobufjs";

const [url, stream, protoDir] = process.argv.slice(2);
if (!url || !stream) {
  console.error("usage: node consume.mjs URL STREAM [PROTO_DIR]");
  process.exit(2);
}
let types = null;
if (protoDir) {
  const root = new protobuf.Root();
  root.resolvePath = (origin, target) => path.join(protoDir, target);
  root.loadSync("geyser.proto", { keepCase: true });
  types = {
    "geyser.SubscribeUpdate": root.lookupType("geyser.SubscribeUpdate"),
    "geyser.GetLatestBlockhashResponse": root.lookupType("geyser.GetLatestBlockhashResponse"),
  };
}

function decode(m) {
  const schema = m.headers ? m.headers.get("Sof-Schema") : "";
  if (!types || !schema || schema === "json") return [schema || "json", JSON.parse(m.string())];
  const t = types[schema];
  if (!t) throw new Error(`unknown Sof-Schema ${schema}`);
  const msg = t.decode(m.data);
  return [schema, t.toObject(msg, { longs: String, bytes: String, enums: String, oneofs: true })];
}

const nc = await connect({ servers: url });
const jsm = await nc.jetstreamManager();
const info = await jsm.streams.info(stream);
const total = info.state.messages;
const js = nc.jetstream();
const consumer = await js.consumers.get(stream);
const deadline = Date.now() + 20000;
let got = 0;
while (got < total && Date.now() < deadline) {
  const batch = await consumer.fetch({ max_messages: Math.min(500, total - got), expires: 2000 });
  for await (const m of batch) {
    const id = m.headers ? m.headers.get("Nats-Msg-Id") : "";
    const [schema, event] = decode(m);
    process.stdout.write(JSON.stringify({ seq: m.seq, subject: m.subject, msgId: id, schema, event }) + "\n");
    got++;
  }
}
await nc.close();
if (got !== total) {
  console.error(`consume.mjs: read ${got} of ${total} messages`);
  process.exit(1);
}
