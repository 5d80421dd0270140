#!/usr/bin/env python3
"""Provider ingress, issue #22's remaining parts, against the same test
servers and records as test_provider.py (tests/provider_common.py):

1. joined mode with the provider AHEAD of the shreds for part of the
   transactions: the shreds of the first half of the slots are sent before
   the provider starts, those of the second half only after the provider
   has reported every transaction. Each truth transaction is published
   exactly once, from the source that saw it first (the first half from
   shreds, no meta; the second half from the provider, path provider, with
   its outcome and bytes); every one gets one transaction_status with the
   right outcome (first half joined, with a positive lead; second half
   providerFirst); the second half's shred copies are counted dedupe hits,
   the provider's lead over them in provider_ahead_time_p50 / p99. With
   [provider] slot_status = provider on the same run, the slots' confirmed
   status comes from the provider's CONFIRMED updates.
2. [provider] slot_status = provider (provider driver): the test server
   sends CONFIRMED for slot i when slot i+1 closes and FINALIZED when slot
   i+3 closes; slotlog's confirmed / finalized events are exactly those
   slots, each after the provider's chosen moment (after the first sighting
   of slot i+1, resp. i+3); with the default (depth) the same stream gives
   no confirmed / finalized (8 slots, depth 32 / 150).
3. websocket blockSubscribe ([provider] ws_subscribe = block) against the
   ws test server: exactly the transactions with their outcomes, the
   request as Agave takes it.
4. wss:// with a self-signed certificate: delivered with ca_file, refused
   without.
5. x-token over gRPC and over a websocket: the server sees the header; the
   right token gets the transactions, a wrong one nothing (refusals
   counted as reconnects / stream errors).

usage: test_provider_join.py SOF_GEN [SOFD [SOF_PROVIDER]]  (77 without SOFD,
node or tests/provider/node_modules)
"""
import json
import os
import socket
import struct
import sys
import tempfile
import time

import sof_check
from sof_check import check
import provider_common as pc
from provider_common import Server, Sofd, metric, promtool_ok, key, outcome_of, want_of

gen, sofd, tool = pc.setup(sys.argv)


def lines_of(path, typ):
    if not os.path.exists(path):
        return []
    return [r for r in (json.loads(l) for l in open(path) if l.endswith("\n")) if r.get("type") == typ]


def send(payloads, port):
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for i, pl in enumerate(payloads):
        tx.sendto(pl, ("127.0.0.1", port))
        if i % 64 == 63:
            time.sleep(0.002)
    tx.close()


def wait_for(cond, limit):
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        if cond():
            return True
        time.sleep(0.1)
    return cond()


def slot_events(path):
    """slotlog's slot_status lines in order: [(slot, event, status)]."""
    return [(r["slot"], r.get("event"), r.get("status")) for r in lines_of(path, "slot_status")]


with tempfile.TemporaryDirectory() as tmp:
    R = pc.Records(gen, tmp)
    n, slots = R.n, R.slots
    _, frames = sof_check.pcap_frames(R.pcap)
    payloads = sof_check.udp_payloads(frames, 8001)
    half = slots[len(slots) // 2]
    early = [pl for pl in payloads if struct.unpack_from("<Q", pl, 65)[0] < half]
    late = [pl for pl in payloads if struct.unpack_from("<Q", pl, 65)[0] >= half]
    shred_first = {r["signature"] for r in R.records if r["slot"] < half}
    prov_first = {r["signature"] for r in R.records if r["slot"] >= half}
    check(early and late and len(shred_first) > 100 and len(prov_first) > 100,
          f"the capture split at slot {half}: {len(early)} + {len(late)} shreds, "
          f"{len(shred_first)} + {len(prov_first)} transactions")

    # ---- 1. joined mode, the provider ahead for the second half ----
    delay_ms = 2500
    srv = Server(tmp, R.path, "ahead", extra=["--interval-ms", "2", "--start-delay-ms", str(delay_ms),
                                              "--confirm-lag", "1"])
    srv.start()
    udp = sof_check.free_port()
    d = Sofd(tmp, "ahead", f"http://127.0.0.1:{srv.port}",
             opts=["--driver", "udp", "--udp-bind", "127.0.0.1", "--udp-listen", str(udp),
                   "--leader-schedule", R.sched, "--shred-version", "7", "--provider-slot-status", "provider"])
    check(wait_for(lambda: srv.requests(), 20), "ahead: sofd subscribed")
    send(early, udp)  # the provider starts delay_ms after the subscription: shreds first for these

    def statuses():
        return lines_of(d.txlog, "transaction_status")
    check(wait_for(lambda: len(statuses()) >= n, 60), f"ahead: the provider reported all {n} ({len(statuses())})")
    m0 = d.metrics()
    send(late, udp)  # now the provider has been first for these
    check(wait_for(lambda: (metric(d.metrics(), "join_shred_dedupe") or 0) >= len(prov_first), 30),
          f"ahead: the late shreds reached dispatch ({metric(d.metrics(), 'join_shred_dedupe')} dedupe hits)")
    time.sleep(1.0)  # a second copy (dataset after inline) would arrive now
    m = d.stop()
    srv.kill()
    got = d.txs()
    sts = statuses()
    check(sorted(key(r) for r in got) == R.want_keys,
          f"ahead: every truth transaction published exactly once ({len(got)} lines, {len(R.want_keys)} truth)")
    by = {r["signature"]: r for r in got}
    check(all(by[s]["path"] in ("dataset", "inline") and "meta" not in by[s] for s in shred_first if s in by),
          "ahead: the first half published from shreds (path dataset / inline, no meta)")
    want_by = {r["signature"]: want_of(r) for r in R.records}
    check(all(by[s]["path"] == "provider" and outcome_of(by[s]) == want_by[s] for s in prov_first if s in by),
          "ahead: the second half published from the provider: path provider, bytes and outcome (err, fee, logs)")
    st_o = sorted((r["slot"], r["signature"], r["err"], r["fee"], r["logMessages"]) for r in sts)
    check(st_o == sorted((r["slot"], r["signature"], r["err"] if r["failed"] else None, r["fee"], len(r["logs"]))
                         for r in R.records),
          f"ahead: one transaction_status per transaction with its outcome ({len(sts)} of {n})")
    sb = {r["signature"]: r for r in sts}
    check(all(sb[s]["shredSeen"] and not sb[s]["providerFirst"] and sb[s]["leadUs"] > 0 for s in shred_first),
          "ahead: first half: joined (shredSeen), positive lead")
    check(all(sb[s]["providerFirst"] and not sb[s]["shredSeen"] and sb[s]["leadUs"] == 0 for s in prov_first),
          "ahead: second half: providerFirst, lead 0 (measured at the shred sighting)")
    check(metric(m, "join_hits") == len(shred_first) and metric(m, "join_provider_first") == len(prov_first)
          and metric(m, "join_shred_dedupe") == len(prov_first) and metric(m, "join_misses") == 0
          and metric(m, "join_evicted") == 0,
          f"ahead: counters: hits {metric(m, 'join_hits')}, provider first {metric(m, 'join_provider_first')}, "
          f"dedupe {metric(m, 'join_shred_dedupe')}, misses {metric(m, 'join_misses')}, "
          f"evicted {metric(m, 'join_evicted')}")
    check(metric(m0, "join_shred_dedupe") == 0, "ahead: no dedupe hit before the late shreds were sent")
    a50, a99 = metric(m, "ahead_time_p50"), metric(m, "ahead_time_p99")
    check(a50 is not None and a50 > 0 and a99 >= a50, f"ahead: provider_ahead_time p50 {a50} us, p99 {a99} us")
    leads = sorted(sb[s]["leadUs"] for s in shred_first)
    print(f"ahead: shreds first for {len(shred_first)}: lead p50 {metric(m, 'lead_time_p50')} us "
          f"(median of the events {leads[len(leads) // 2]} us); provider first for {len(prov_first)}: "
          f"ahead p50 {a50} us, p99 {a99} us", file=sys.stderr)
    check(metric(m, "published") == len(prov_first), f"ahead: provider_published {metric(m, 'published')}")
    promtool_ok(m, "ahead")
    ev = slot_events(d.slotlog)
    conf = {s for s, _, st in ev if st == "confirmed"}
    check(conf == set(slots[:-1]), f"ahead: slot_status = provider: confirmed = the provider's ({sorted(conf)})")
    check(metric(m, "slot_commits") == len(slots) - 1, f"ahead: provider_slot_commits {metric(m, 'slot_commits')}")

    # ---- 2. slot_status = provider vs depth, provider driver ----
    for mode in ("provider", "depth"):
        srv = Server(tmp, R.path, "ss_" + mode, extra=["--interval-ms", "5", "--confirm-lag", "1",
                                                       "--finalize-lag", "3"])
        srv.start()
        d = Sofd(tmp, "ss_" + mode, f"http://127.0.0.1:{srv.port}", opts=["--provider-slot-status", mode])
        check(d.wait_txs(n), f"slot_status {mode}: all {n} transactions")
        time.sleep(0.8)
        m = d.stop()
        srv.kill()
        ev = slot_events(d.slotlog)
        conf = sorted({s for s, _, st in ev if st == "confirmed"})
        fin = sorted({s for s, _, st in ev if st == "finalized"})
        if mode == "depth":
            check(conf == [] and fin == [], f"slot_status depth: no confirmed / finalized in 8 slots ({conf}, {fin})")
            check(metric(m, "slot_commits") is None, "slot_status depth: no provider_slot_commits")
            continue
        check(conf == slots[:-1], f"slot_status provider: confirmed = the slots the provider confirmed ({conf})")
        check(fin == slots[:-3], f"slot_status provider: finalized = the slots the provider finalized ({fin})")
        first_at = {}
        for i, (s, e, st) in enumerate(ev):
            first_at.setdefault(s, i)
        conf_at = {s: i for i, (s, _, st) in enumerate(ev) if st == "confirmed"}
        fin_at = {s: i for i, (s, _, st) in enumerate(ev) if st == "finalized"}
        check(all(conf_at[slots[i]] > first_at[slots[i + 1]] for i in range(len(slots) - 1)),
              "slot_status provider: slot i confirmed after slot i+1 appeared (the server's moment, not depth)")
        check(all(fin_at[slots[i]] > first_at[slots[i + 3]] for i in range(len(slots) - 3)),
              "slot_status provider: slot i finalized after slot i+3 appeared")
        check(metric(m, "slot_commits") == (len(slots) - 1) + (len(slots) - 3),
              f"slot_status provider: provider_slot_commits {metric(m, 'slot_commits')}")
        txs = d.txs()
        check(all(r["path"] == "provider" for r in txs) and sorted(outcome_of(r) for r in txs) == R.want,
              "slot_status provider: txlog = the provider's transactions with outcomes")

    # ---- 3. websocket blockSubscribe ----
    ws_err = '{"InstructionError":[0,{"Custom":1}]}'.encode()[:16].hex()  # the JSON text, 16 bytes kept
    want_ws = sorted((r["slot"], r["signature"], r["raw"], ws_err if r["failed"] else None, r["fee"], len(r["logs"]))
                     for r in R.records)
    srv = Server(tmp, R.path, "wsblock", extra=["--interval-ms", "2"], ws=True)
    srv.start()
    d = Sofd(tmp, "wsblock", f"ws://127.0.0.1:{srv.port}/", opts=["--provider-ws-subscribe", "block"])
    check(d.wait_txs(n), f"wsblock: all {n} transactions reached txlog ({len(d.txs())})")
    time.sleep(0.5)
    m = d.stop()
    srv.kill()
    got = d.txs()
    check(sorted(outcome_of(r) for r in got) == want_ws and all(r["path"] == "provider" for r in got),
          "wsblock: txlog = the blocks' transactions once each, bytes and outcome")
    reqs = srv.requests()
    check([r["method"] for r in reqs] == ["blockSubscribe", "slotSubscribe"] and reqs[0]["params"][0] == "all" and
          reqs[0]["params"][1]["encoding"] == "base64" and reqs[0]["params"][1]["transactionDetails"] == "full",
          f"wsblock: the subscriptions sent ({reqs})")
    check(metric(m, "transactions") == n and metric(m, "rejected") == 0, f"wsblock: counters ({metric(m, 'transactions')})")
    st = slot_events(d.slotlog)
    check(set(slots) <= {s_ for s_, _, _ in st}, "wsblock: slot_status for every slot")

    # ---- 4. wss:// (TLS, a self-signed certificate) ----
    cert, keyf = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    p = pc.subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                           "-nodes", "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
                           "-keyout", keyf, "-out", cert], capture_output=True, text=True)
    check(p.returncode == 0, f"wss: a self-signed certificate ({p.stderr[-200:]})")
    for trusted in (True, False):
        tag = "wss" if trusted else "wss_untrusted"
        srv = Server(tmp, R.path, tag, extra=["--interval-ms", "2", "--tls-cert", cert, "--tls-key", keyf], ws=True)
        srv.start()
        opts = ["--provider-ca-file", cert] if trusted else []
        d = Sofd(tmp, tag, f"wss://localhost:{srv.port}/", opts=opts)
        if trusted:
            check(d.wait_txs(n), f"wss: all {n} transactions over TLS with the CA given ({len(d.txs())})")
            time.sleep(0.3)
        else:
            time.sleep(2.0)
        m = d.stop()
        srv.kill()
        got = d.txs()
        if trusted:
            check(sorted(outcome_of(r) for r in got) == want_ws, "wss: txlog = the provider's transactions, outcomes")
            check(metric(m, "streams") == 1 and metric(m, "connect_failures") == 0, "wss: one stream")
        else:
            check(got == [] and metric(m, "connect_failures") >= 1 and metric(m, "streams") == 0,
                  f"wss: an untrusted certificate is refused ({metric(m, 'connect_failures')} failures)")

    # ---- 5. x-token, gRPC and websocket ----
    for ws in (False, True):
        for token in ("sekret", "wrong"):
            tag = ("ws" if ws else "grpc") + "_tok_" + token
            srv = Server(tmp, R.path, tag, extra=["--interval-ms", "2", "--x-token", "sekret"], ws=ws)
            srv.start()
            url = f"ws://127.0.0.1:{srv.port}/" if ws else f"http://127.0.0.1:{srv.port}"
            d = Sofd(tmp, tag, url, opts=["--provider-x-token", token])
            if token == "sekret":
                check(d.wait_txs(n), f"{tag}: all {n} transactions with the right x-token ({len(d.txs())})")
                time.sleep(0.3)
            else:
                time.sleep(2.0)
            m = d.stop()
            srv.kill()
            got = d.txs()
            reqs = srv.requests()
            check(reqs and all(r["x_token"] == token for r in reqs), f"{tag}: the server saw x-token {token}")
            if token == "sekret":
                check(sorted(outcome_of(r) for r in got) == (want_ws if ws else R.want), f"{tag}: txlog = the transactions")
            else:
                check(got == [] and metric(m, "transactions") == 0 and metric(m, "reconnects") >= 1 and
                      (ws or metric(m, "stream_errors") >= 1),
                      f"{tag}: refused, nothing delivered, reconnects {metric(m, 'reconnects')} counted")

    p = pc.subprocess.run([sofd, *sof_check.eal("prov"), "--", "--driver", "provider", "--provider-url",
                           "ws://x:1/", "--provider-slot-status", "provider"], capture_output=True, text=True)
    check(p.returncode != 0 and "Yellowstone gRPC" in p.stderr, "slot_status provider over a websocket: refused")
    p = pc.subprocess.run([sofd, *sof_check.eal("prov"), "--", "--driver", "provider", "--provider-url",
                           "http://x:1", "--provider-ws-subscribe", "block"], capture_output=True, text=True)
    check(p.returncode != 0 and "ws://" in p.stderr, "ws_subscribe block with a gRPC url: refused")
    p = pc.subprocess.run([sofd, *sof_check.eal("prov"), "--", "--driver", "provider", "--provider-url",
                           "http://x:1", "--provider-slot-status", "votes"], capture_output=True, text=True)
    check(p.returncode != 0 and "not depth or provider" in p.stderr, f"slot_status votes: refused ({p.stderr.strip()[-200:]})")
    p = pc.subprocess.run([sofd, *sof_check.eal("prov"), "--", "--driver", "provider", "--provider-url",
                           "http://x:1", "--provider-slot-status", "provider", "--provider-slots=false"],
                          capture_output=True, text=True)
    check(p.returncode != 0 and "slots = true" in p.stderr, f"slot_status provider without slots: refused")

sof_check.cleanup_runtime()
print(f"provider_join: {sof_check.checks} checks, {sof_check.failures} failed", file=sys.stderr)
sys.exit(1 if sof_check.failures or not sof_check.checks else 0)
