// consume.mjs URL STREAM: reads every message of the JetStream stream with
// nats.js (an ordered consumer) and prints one JSON line per message:
// {"seq":N,"subject":"...","msgId":"<Nats-Msg-Id>","event":<payload>}.
// Exits 0 once it has read as many messages as the stream held when it
// started, 1 on an error or when they do not arrive within 20 s.
import { connect } from "nats";

const [url, stream] = process.argv.slice(2);
if (!url || !stream) {
  console.error("usage: node consume.mjs URL STREAM");
  process.exit(2);
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
    process.stdout.write(JSON.stringify({ seq: m.seq, subject: m.subject, msgId: id, event: JSON.parse(m.string()) }) + "\n");
    got++;
  }
}
await nc.close();
if (got !== total) {
  console.error(`consume.mjs: read ${got} of ${total} messages`);
  process.exit(1);
}
