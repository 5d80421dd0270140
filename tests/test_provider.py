#!/usr/bin/env python3
"""Provider ingress (issue #22): sofd --driver provider and sof-provider
against a test Yellowstone gRPC server (tests/provider/server.js: grpc-js,
the repo's proto/geyser.proto through @grpc/proto-loader) serving recorded
updates for the transactions of a sof-gen capture, some marked failed.

The records: sofd runs the capture on the shred path first (txlog with
raw = true: every transaction's serialized bytes), checked against sof-gen's
ground truth; every 5th transaction is then marked failed (an
InstructionError), each gets a fee and log lines.

1. provider-only sofd: txlog holds exactly the recorded transactions, once
   each, with their bytes (rebuilt by the client from the structured
   protobuf) and their outcome (err, fee, log count); slot statuses reach
   slotlog; provider_* counters on /metrics.
2. the server is killed (SIGKILL) mid-stream and restarted: a reconnect, a
   resume (the new request carries from_slot = the last slot seen) and no
   transaction lost or repeated (the replayed ones are counted duplicates).
3. the same with a server that refuses from_slot (as Yellowstone without a
   replay store): a counted refusal and gap (gap_slots > 0), transactions
   missing but none repeated.
5. https (TLS, ALPN h2) with a self-signed certificate: delivered with
   --ca-file, refused without.
6. joined mode (UDP shreds + the provider 1.5 s behind): every transaction
   published once from shreds, each gets a transaction_status with its
   outcome, joined (shredSeen), lead time median ~ the delay, p50 / p99 on
   /metrics; 7. a join table of 64 entries: evictions counted; an outcome
   whose entry was evicted looks provider-first and is published again from
   the provider (the cost of a too-small table, counted).
   (test_provider_join.py: the provider ahead of the shreds, slot_status =
   provider, blockSubscribe, wss://, x-token.)
8. the websocket variant (transactionSubscribe / slotSubscribe against a
   `ws` test server): provider-only sofd delivers exactly the transactions
   with outcomes; 9. killed and restarted: a reconnect and a counted gap
   (no replay over websockets), nothing repeated.
4. sof-provider: the SubscribeRequest as the server decoded it (commitment,
   vote / failed / account filters, x-token), a wrong x-token refused
   (UNAUTHENTICATED: a stream error, reconnects, nothing delivered),
   --from-slot replays from that slot.

usage: test_provider.py SOF_GEN [SOFD [SOF_PROVIDER]]  (77 without SOFD,
node or tests/provider/node_modules)
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

import sof_check
from sof_check import check
import provider_common as pc
from provider_common import ERR, Server, Sofd, metric, promtool_ok, key, outcome_of, want_of  # noqa: F401

gen, sofd, tool = pc.setup(sys.argv)


def kill_and_restart(srv, d, name, last_slot):
    """The provider killed (-9) once sofd delivered 100 transactions,
    restarted 2.5 s later, and sofd run until the stream has played out
    (its last slot seen, the count still). Returns (transactions before the
    kill, sofd's metrics at stop, every transaction delivered)."""
    check(d.wait_txs(100, 30), f"{name}: 100 transactions before the kill")
    srv.kill()
    seen = len(d.txs())
    time.sleep(2.5)
    srv.start()
    t0 = time.monotonic()
    last = -1
    while time.monotonic() - t0 < 30:
        cur = len(d.txs())
        if cur == last and cur > seen and any(r["slot"] == last_slot for r in d.txs()):
            break
        last = cur
        time.sleep(1.0)
    m = d.stop()
    srv.kill()
    return seen, m, d.txs()


with tempfile.TemporaryDirectory() as tmp:
    R = pc.Records(gen, tmp)
    pcap, sched, truth, want_keys = R.pcap, R.sched, R.truth, R.want_keys
    records, rec_path, n, n_failed, want, slots = R.records, R.path, R.n, R.n_failed, R.want, R.slots

    # ---- 1. provider-only sofd delivers exactly the provider's transactions ----
    srv = Server(tmp, rec_path, "plain", extra=["--interval-ms", "2"])
    srv.start()
    d = Sofd(tmp, "plain", f"http://127.0.0.1:{srv.port}")
    check(d.wait_txs(n), f"plain: all {n} transactions reached txlog ({len(d.txs())})")
    time.sleep(0.5)
    m = d.stop()
    srv.kill()
    got = d.txs()
    check(sorted(outcome_of(r) for r in got) == want,
          "plain: txlog = the provider's transactions once each, bytes and outcome (err, fee, logs)")
    check(all(r["path"] == "provider" for r in got), "plain: every line says path provider")
    check(sum(1 for r in got if r["meta"]["err"] is not None) == n_failed, f"plain: {n_failed} failed")
    check(metric(m, "transactions") == n, f"plain: provider_transactions = {n} ({metric(m, 'transactions')})")
    check(metric(m, "transactions_failed") == n_failed, "plain: provider_transactions_failed")
    check(metric(m, "streams") == 1 and metric(m, "reconnects") == 0 and metric(m, "gaps") == 0,
          "plain: one stream, no reconnect, no gap (" +
          " ".join(l for l in m.splitlines() if l.startswith("sof_provider") and not l.endswith(" 0")) + ")")
    check(metric(m, "rejected") == 0, "plain: nothing rejected")
    promtool_ok(m, "plain")
    check(metric(m, "last_slot") == slots[-1], f"plain: last_slot {metric(m, 'last_slot')} = {slots[-1]}")
    st = [json.loads(l) for l in open(d.slotlog)] if os.path.exists(d.slotlog) else []
    st_slots = {l["slot"] for l in st if l.get("type") == "slot_status"}
    check(set(slots) <= st_slots, f"plain: slot_status for every slot ({sorted(st_slots)})")
    reqs = srv.requests(pings=True)
    subs = [r for r in reqs if "ping" not in r]
    check(len(subs) == 1 and subs[0]["from_slot"] is None, f"plain: one live request ({subs})")
    pings = metric(m, "pings")
    check(pings and metric(m, "ping_replies") == pings and len(reqs) - len(subs) == pings,
          f"plain: every server ping answered with a ping request ({pings} pings, {len(reqs) - len(subs)} at the server)")

    # ---- 2. kill -9 the server mid-stream, restart it: resume, nothing lost or repeated ----
    srv = Server(tmp, rec_path, "resume", extra=["--interval-ms", "10"])
    srv.start()
    d = Sofd(tmp, "resume", f"http://127.0.0.1:{srv.port}")
    check(d.wait_txs(100, 30), "resume: 100 transactions before the kill")
    srv.kill()
    seen_before = len(d.txs())
    time.sleep(1.5)
    srv.start()
    ok = d.wait_txs(n, 60)
    time.sleep(1.0)  # a repeat would arrive now
    m = d.stop()
    srv.kill()
    got = d.txs()
    check(ok, f"resume: all {n} transactions after the restart ({len(got)}; {seen_before} before the kill)")
    check(sorted(outcome_of(r) for r in got) == want, "resume: none lost, none repeated, outcomes right")
    reqs = srv.requests()
    reqs = [r for r in reqs if "ping" not in r]
    check(len(reqs) >= 2 and reqs[0]["from_slot"] is None and reqs[-1]["from_slot"] is not None,
          f"resume: the reconnect asked from_slot ({[r['from_slot'] for r in reqs]})")
    check(metric(m, "reconnects") >= 1 and metric(m, "resumes") >= 1,
          f"resume: counted reconnects {metric(m, 'reconnects')}, resumes {metric(m, 'resumes')}")
    check(metric(m, "gaps") == 0 and metric(m, "resume_refused") == 0, "resume: no gap")
    check((metric(m, "duplicates") or 0) >= 1,
          f"resume: the replayed slot's delivered transactions skipped, counted ({metric(m, 'duplicates')})")

    # ---- 3. a server that cannot resume: a counted gap ----
    # (20 ms an update: the stream lasts ~10 s, the restart lands inside it)
    srv = Server(tmp, rec_path, "gap", extra=["--interval-ms", "20", "--no-resume"])
    srv.start()
    d = Sofd(tmp, "gap", f"http://127.0.0.1:{srv.port}")
    seen_gap, m, got = kill_and_restart(srv, d, "gap", slots[-1])
    check(len(got) > seen_gap, f"gap: transactions after the restart ({seen_gap} before, {len(got)} in all)")
    got_o = [outcome_of(r) for r in got]
    check(len(set(got_o)) == len(got_o), "gap: nothing repeated")
    check(set(got_o) <= set(want), "gap: every delivered transaction is a recorded one, outcome right")
    check(len(got) < n, f"gap: transactions of the downtime are missing ({len(got)} of {n})")
    check(metric(m, "resume_refused") == 1, f"gap: the refused from_slot counted ({metric(m, 'resume_refused')})")
    check(metric(m, "gaps") == 1 and metric(m, "gap_slots") >= 1,
          f"gap: one gap of {metric(m, 'gap_slots')} slots counted")
    check(metric(m, "stream_errors") >= 1, "gap: the refusal was a gRPC error status")

    # ---- 4. sof-provider: the request, x-token, from_slot ----
    if os.path.exists(tool):
        srv = Server(tmp, rec_path, "tool", extra=["--interval-ms", "1", "--x-token", "sekret"])
        srv.start()
        acct = json.loads(open(os.path.join(tmp, "shreds.tx.jsonl")).readline())["accountKeys"][0]
        p = subprocess.run([tool, "--url", f"http://127.0.0.1:{srv.port}", "--x-token", "wrong", "-t", "1.5",
                            "--backoff-ms", "100:200"], capture_output=True, text=True, timeout=30)
        s = json.loads(p.stderr.strip().splitlines()[-1])
        check(p.stdout == "" and s["stream_errors"] >= 1 and s["transactions"] == 0,
              f"tool: a wrong x-token gets nothing, the refusals counted ({s['stream_errors']})")
        p = subprocess.run([tool, "--url", f"http://127.0.0.1:{srv.port}", "--x-token", "sekret",
                            "--commitment", "confirmed", "--vote", "false", "--failed", "true",
                            "--account-include", acct, "--from-slot", str(slots[2]), "-n", "1", "-t", "20"],
                           capture_output=True, text=True, timeout=30)
        r = srv.requests()[-1]
        f = r["transactions"].get("sof", {})
        check(r["x_token"] == "sekret" and r["commitment"] == 1 and r["from_slot"] == slots[2],
              f"tool: x-token, commitment, from_slot as sent ({r})")
        check(f.get("vote") is False and f.get("failed") is True and f.get("account_include") == [acct],
              f"tool: the transactions filter as sent ({f})")
        first = json.loads(p.stdout.splitlines()[0]) if p.stdout else {}
        check(first.get("slot") == slots[2], f"tool: from_slot replays from slot {slots[2]} ({first.get('slot')})")
        srv.kill()
        p = subprocess.run([tool, "--url", "ftp://x"], capture_output=True, text=True)
        check(p.returncode == 2 and "http:// or https://" in p.stderr, "tool: a bad url is refused")

    # ---- 5. https: TLS with ALPN h2, the certificate verified ----
    if os.path.exists(tool):
        cert, keyf = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
        p = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                            "-nodes", "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
                            "-keyout", keyf, "-out", cert], capture_output=True, text=True)
        check(p.returncode == 0, f"tls: a self-signed certificate ({p.stderr[-200:]})")
        srv = Server(tmp, rec_path, "tls", extra=["--interval-ms", "1", "--tls-cert", cert, "--tls-key", keyf])
        srv.start()
        url = f"https://localhost:{srv.port}"
        p = subprocess.run([tool, "--url", url, "--ca-file", cert, "-n", str(n), "-t", "30"],
                           capture_output=True, text=True, timeout=60)
        got = [json.loads(l) for l in p.stdout.splitlines() if '"transaction"' in l]
        check(sorted((r["slot"], r["signature"], r["raw"]) for r in got) ==
              sorted((r["slot"], r["signature"], r["raw"]) for r in records),
              f"tls: every transaction over https with the CA given ({len(got)} of {n})")
        p = subprocess.run([tool, "--url", url, "-t", "1.5", "--backoff-ms", "100:200"],
                           capture_output=True, text=True, timeout=30)
        s = json.loads(p.stderr.strip().splitlines()[-1])
        check(p.stdout == "" and s["connect_failures"] >= 1 and s["streams"] == 0,
              f"tls: an untrusted certificate is refused ({s['connect_failures']} failures)")
        srv.kill()

    # ---- 6. joined mode: shreds (UDP driver) + the provider 1.5 s behind ----
    delay_ms = 1500
    srv = Server(tmp, rec_path, "joined", extra=["--interval-ms", "2", "--start-delay-ms", str(delay_ms)])
    srv.start()
    udp = sof_check.free_port()
    d = Sofd(tmp, "joined", f"http://127.0.0.1:{srv.port}",
             opts=["--driver", "udp", "--udp-bind", "127.0.0.1", "--udp-listen", str(udp),
                   "--leader-schedule", sched, "--shred-version", "7"])
    t0 = time.monotonic()
    while not srv.requests() and time.monotonic() - t0 < 20:
        time.sleep(0.05)
    check(len(srv.requests()) == 1, "joined: sofd subscribed")
    _, frames = sof_check.pcap_frames(pcap)
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for i, pl in enumerate(sof_check.udp_payloads(frames, 8001)):
        tx.sendto(pl, ("127.0.0.1", udp))
        if i % 64 == 63:
            time.sleep(0.002)
    tx.close()

    def statuses():
        if not os.path.exists(d.txlog):
            return []
        return [json.loads(l) for l in open(d.txlog) if l.endswith("\n") and '"transaction_status"' in l]
    t0 = time.monotonic()
    while len(statuses()) < n and time.monotonic() - t0 < 60 and d.p.poll() is None:
        time.sleep(0.2)
    time.sleep(0.5)
    m = d.stop()
    srv.kill()
    got = d.txs()
    sts = statuses()
    check(sorted(key(r) for r in got) == want_keys,
          f"joined: every transaction published once, from shreds ({len(got)} of {len(want_keys)})")
    check(all(r["path"] in ("dataset", "inline") and "meta" not in r for r in got),
          "joined: the transactions came from shreds (no provider copy)")
    by_sig = {r["signature"]: r for r in records}
    st_o = sorted((r["slot"], r["signature"], r["err"], r["fee"], r["logMessages"]) for r in sts)
    check(st_o == sorted((r["slot"], r["signature"], r["err"] if r["failed"] else None, r["fee"], len(r["logs"]))
                         for r in records),
          f"joined: one transaction_status per transaction with its outcome ({len(sts)} of {n})")
    check(all(r["shredSeen"] and not r["providerFirst"] for r in sts), f"joined: every outcome joined ({sum(r['shredSeen'] for r in sts)})")
    leads = sorted(r["leadUs"] for r in sts)
    med = leads[len(leads) // 2] if leads else 0
    check(delay_ms * 1000 * 0.5 <= med <= (delay_ms + 2 * len(by_sig) + 3000) * 1000,
          f"joined: the lead time reflects the {delay_ms} ms delay (median {med} us)")
    p50, p99 = metric(m, "lead_time_p50"), metric(m, "lead_time_p99")
    check(p50 is not None and abs(p50 - med) <= 0.1 * med + 1000, f"joined: provider_lead_time_p50 {p50} ~ {med}")
    check(p99 is not None and p99 >= p50, f"joined: provider_lead_time_p99 {p99} >= p50")
    promtool_ok(m, "joined")
    check(metric(m, "join_hits") == n and metric(m, "join_misses") == 0 and metric(m, "join_evicted") == 0,
          f"joined: join hits {metric(m, 'join_hits')}, misses {metric(m, 'join_misses')}, evicted {metric(m, 'join_evicted')}")

    # ---- 7. joined mode with a join table too small: evictions counted, misses reported ----
    srv = Server(tmp, rec_path, "evict", extra=["--interval-ms", "2", "--start-delay-ms", "1000"])
    srv.start()
    udp = sof_check.free_port()
    d = Sofd(tmp, "evict", f"http://127.0.0.1:{srv.port}",
             opts=["--driver", "udp", "--udp-bind", "127.0.0.1", "--udp-listen", str(udp),
                   "--leader-schedule", sched, "--shred-version", "7", "--provider-join-entries", "64"])
    t0 = time.monotonic()
    while not srv.requests() and time.monotonic() - t0 < 20:
        time.sleep(0.05)
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for i, pl in enumerate(sof_check.udp_payloads(frames, 8001)):
        tx.sendto(pl, ("127.0.0.1", udp))
        if i % 64 == 63:
            time.sleep(0.002)
    tx.close()
    t0 = time.monotonic()
    while len(statuses()) < n and time.monotonic() - t0 < 60 and d.p.poll() is None:
        time.sleep(0.2)
    time.sleep(0.5)
    m = d.stop()
    srv.kill()
    sts = statuses()
    hits, miss, ev = metric(m, "join_hits"), metric(m, "join_misses"), metric(m, "join_evicted")
    pf = metric(m, "join_provider_first")
    check(len(sts) == n and hits + pf == n and miss == 0,
          f"evict: every outcome reported ({len(sts)}; {hits} joined + {pf} provider-first, {miss} misses)")
    check(ev >= 1 and 1 <= pf <= ev and sum(r["providerFirst"] for r in sts) == pf,
          f"evict: 64 entries for {n} transactions: {ev} evictions counted; {pf} outcomes found no entry")
    got = d.txs()
    check(len(got) == n + pf and sum(r["path"] == "provider" for r in got) == pf,
          f"evict: those {pf} were published again from the provider, counted ({len(got)} lines)")

    # ---- 8. the websocket variant: provider-only sofd over ws:// ----
    ws_err = '{"InstructionError":[0,{"Custom":1}]}'.encode()[:16].hex()  # the JSON text, 16 bytes kept
    srv = Server(tmp, rec_path, "ws", extra=["--interval-ms", "2"], ws=True)
    srv.start()
    d = Sofd(tmp, "ws", f"ws://127.0.0.1:{srv.port}/")
    check(d.wait_txs(n), f"ws: all {n} transactions reached txlog ({len(d.txs())})")
    time.sleep(0.5)
    m = d.stop()
    srv.kill()
    got = d.txs()
    want_ws = sorted((r["slot"], r["signature"], r["raw"], ws_err if r["failed"] else None, r["fee"], len(r["logs"]))
                     for r in records)
    check(sorted(outcome_of(r) for r in got) == want_ws, "ws: txlog = the provider's transactions, bytes and outcome")
    reqs = srv.requests()
    check([r["method"] for r in reqs] == ["transactionSubscribe", "slotSubscribe"] and
          reqs[0]["params"][1]["encoding"] == "base64", f"ws: the subscriptions sent ({reqs})")
    check(metric(m, "transactions") == n and metric(m, "slots") == len(slots) and metric(m, "rejected") == 0,
          f"ws: counters ({metric(m, 'transactions')} transactions, {metric(m, 'slots')} slots)")
    st = [json.loads(l) for l in open(d.slotlog)] if os.path.exists(d.slotlog) else []
    check(set(slots) <= {l["slot"] for l in st if l.get("type") == "slot_status"}, "ws: slot_status for every slot")

    # ---- 9. websocket: kill -9 and restart: no replay, a counted gap, nothing repeated ----
    srv = Server(tmp, rec_path, "wsgap", extra=["--interval-ms", "20"], ws=True)
    srv.start()
    d = Sofd(tmp, "wsgap", f"ws://127.0.0.1:{srv.port}/")
    seen_gap, m, got = kill_and_restart(srv, d, "wsgap", slots[-1])
    got_o = [outcome_of(r) for r in got]
    check(len(got) > seen_gap, f"wsgap: transactions after the restart ({seen_gap} before, {len(got)} in all)")
    check(len(set(got_o)) == len(got_o) and set(got_o) <= set(want_ws), "wsgap: nothing repeated, all recorded")
    check(len(got) < n, f"wsgap: the downtime's transactions are missing ({len(got)} of {n})")
    check(metric(m, "reconnects") >= 1 and metric(m, "gaps") == 1 and metric(m, "gap_slots") >= 1,
          f"wsgap: a reconnect, one gap of {metric(m, 'gap_slots')} slots counted")

    # ---- bad configurations ----
    p = subprocess.run([sofd, *sof_check.eal("prov"), "--", "--driver", "provider"], capture_output=True, text=True)
    check(p.returncode != 0 and "provider-url" in p.stderr, f"no url: refused ({p.stderr.strip()[-200:]})")
    p = subprocess.run([sofd, *sof_check.eal("prov"), "--", "--driver", "provider", "--provider-url", "grpc://x:1"],
                       capture_output=True, text=True)
    check(p.returncode != 0 and "scheme" in p.stderr, f"bad scheme: refused ({p.stderr.strip()[-200:]})")
    p = subprocess.run([sofd, *sof_check.eal("prov"), "--", "--driver", "udp", "--provider-x-token", "t"],
                       capture_output=True, text=True)
    check(p.returncode != 0 and "joined mode" in p.stderr, f"[provider] keys without a url: refused ({p.stderr.strip()[-200:]})")
    p = subprocess.run([sofd, *sof_check.eal("prov"), "--", "--driver", "provider", "--provider-url", "http://x:1",
                        "--provider-join-entries", "100"], capture_output=True, text=True)
    check(p.returncode != 0 and "power of two" in p.stderr, f"join_entries not a power of two: refused")

sof_check.cleanup_runtime()
print(f"provider: {sof_check.checks} checks, {sof_check.failures} failed", file=sys.stderr)
sys.exit(1 if sof_check.failures or not sof_check.checks else 0)
