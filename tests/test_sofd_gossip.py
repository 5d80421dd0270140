#!/usr/bin/env python3
"""sofd joins a local gossip cluster and receives turbine with no feed
configured (issue 23).

The test runs, in this process (tests/gossip_peer.py):
- a gossip entrypoint written from the gossip spec (Agave's gossip crate
  layouts; it shares no code with sofd's encoder): ip-echo on TCP
  (this host's address and the shred version), and on UDP ping / pong,
  pull requests answered from its CRDS table through the requester's bloom
  filter (only once the requester answered a ping), pushes taken in. Its
  table holds its own ContactInfo, one ContactInfo per sof-gen leader
  (signed with the leader keys) and a decoy node of another shred version;
- a turbine sender that looks up sofd's advertised TVU socket in the
  entrypoint's CRDS table and sends a sof-gen capture's shreds there.

sofd runs with the UDP driver, --gossip-entrypoint, --learn-leaders and no
schedule, no --shred-version, no --public-ip. Asserted: sofd's ContactInfo
in the entrypoint's table (signature, gossip and TVU sockets, shred
version); sofd learns the shred version and exactly the nodes of that
version as candidates; the delivered transactions equal the ground truth
with every slot's leader learned; pings and pongs both ways, pulls and
pushes counted; hostile datagrams to the gossip port counted, not fatal;
/sof/gossip-style summary. Needs python3-cryptography (ed25519), skipped
(77) without it or without sofd.

usage: test_sofd_gossip.py SOF_GEN [SOFD]
"""
import hashlib
import json
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sof_check  # noqa: E402
from sof_check import check  # noqa: E402

if len(sys.argv) < 3 or not sys.argv[2]:
    print("sofd was not built (DPDK not found): skipping", file=sys.stderr)
    sys.exit(77)
try:
    from gossip_peer import (SV, Ed25519PrivateKey, Entrypoint, Turbine, prune, push, raw_pub,  # noqa: E402
                             tower_slot, tower_sync, u32, u64, vote_txn, vote_value)
except ImportError as e:
    print(f"test_sofd_gossip: SKIP: python3-cryptography (ed25519) not installed ({e})", file=sys.stderr)
    sys.exit(77)

gen, sofd = sys.argv[1], sys.argv[2]
START, SLOTS, LEADERS = 2000, 12, 20  # SV: the entrypoint's shred version
b58 = sof_check.b58


def prom_values(body):
    """Prometheus text: {'name{labels}': value} of every sample."""
    out = {}
    for line in body.splitlines():
        if line and not line.startswith("#"):
            k, _, val = line.rpartition(" ")
            out[k] = float(val) if "." in val or "e" in val else int(val)
    return out


# ---- the test ------------------------------------------------------------------------------------

with tempfile.TemporaryDirectory() as tmp:
    keyf = os.path.join(tmp, "leaders.key")
    pcap, _, recs = sof_check.generate(gen, tmp, "gossip", "-n", str(SLOTS), "--start-slot", str(START),
                                       "--leaders", str(LEADERS), "--leader-rotation", "4", "--txns-per-slot",
                                       "40", "--shred-version", str(SV), "-s", "23", "--leader-key", keyf)
    raw = open(keyf, "rb").read()
    kps = [raw[64 * i:64 * i + 64] for i in range(LEADERS)]
    truth = sof_check.truth_txs(recs)
    produced = {r["slot"] for r in recs if r["type"] == "slot" and not r.get("skipped")}
    _, frames = sof_check.pcap_frames(pcap)
    payloads = sof_check.udp_payloads(frames, 8001)
    check(len(payloads) > 100, f"a capture to send ({len(payloads)} shreds)")

    ep_port = sof_check.free_port(socket.SOCK_STREAM)
    ep = Entrypoint(ep_port, kps)
    # gossip votes in the entrypoint's table: (leader, index, transaction,
    # the vote account and slot expected; None: no vote instruction)
    wc = int(time.time() * 1000)
    vsk = [Ed25519PrivateKey.from_private_bytes(kp[:32]) for kp in kps]
    accts = [hashlib.sha256(b"vote account %d" % i).digest() for i in range(8)]
    votes = [
        (0, 0, vote_txn(vsk[0], accts[0], tower_sync(1990, [1, 1, 2, 3, 5])), accts[0], 2002),
        (0, 1, vote_txn(vsk[0], accts[0], u32(8) + u64(2) + u64(2006) + u32(2) + u64(2007) + u32(1)
                        + b"\x01" + u64(2000) + os.urandom(32) + b"\x00"), accts[0], 2007),
        (1, 0, vote_txn(vsk[1], accts[1], u32(2) + u64(3) + u64(2001) + u64(2002) + u64(2003)
                        + os.urandom(32) + b"\x00"), accts[1], 2003),
        (2, 0, vote_txn(vsk[2], accts[2], tower_sync(2**64 - 1, [2004, 1], tag=12)), accts[2], 2005),
        (4, 0, vote_txn(vsk[4], accts[4], u32(1) + os.urandom(36)), None, None),  # Authorize: no vote
    ]
    real_vote = os.path.join(os.environ.get("SOF_VECTORS") or os.path.join(os.path.dirname(os.path.abspath(
        __file__)), "..", "..", "shared", "vectors"), "fd-testnet-slot385970984", "entry-batches",
        "entry-batch-shreds-0320-0351.bin")
    if os.path.exists(real_vote):
        # the first transaction of the testnet batch: a real TowerSync vote (352 bytes, SOURCES.md)
        rv = open(real_vote, "rb").read()[56:56 + 352]
        acct, slot = tower_slot(rv)
        check(acct is not None and 385970984 - 150 <= slot < 385970984,
              f"the real testnet vote votes a slot before its own ({slot})")
        votes.append((3, 0, rv, acct, slot))
    else:
        print("test_sofd_gossip: shared vectors not found: the real vote is left out", file=sys.stderr)
    for who, idx, txn, _, _ in votes:
        ep.votes.append(vote_value(vsk[who], idx, txn, wc))
    gossip_port, tvu_port = sof_check.free_port(), sof_check.free_port()
    txlog = os.path.join(tmp, "gossip.txlog")
    topolog = os.path.join(tmp, "gossip.slotlog")
    idk = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    idf = os.path.join(tmp, "identity.json")  # solana-keygen's form: a JSON array of 64 numbers
    open(idf, "w").write(json.dumps(list(bytes(range(32)) + raw_pub(idk))))
    p = subprocess.Popen([sofd, *sof_check.eal("gossip", "0"), "--", "--driver", "udp", "--udp-bind", "127.0.0.1",
                          "--udp-listen", str(tvu_port), "--gossip-entrypoint", f"127.0.0.1:{ep_port}",
                          "--gossip-port", str(gossip_port), "--gossip-bind", "127.0.0.1",
                          "--gossip-pull-interval-ms", "200", "--gossip-push-interval-ms", "500",
                          "--gossip-settle-ms", "1500", "--gossip-identity", idf, "--learn-leaders", "--txlog", txlog,
                          "--prometheus", "127.0.0.1:0", "--plugins", "txlog,slotlog",
                          "--plugin-opt", f"slotlog.path={topolog}",
                          "--plugin-opt", "slotlog.events=cluster_topology,gossip_vote"],
                         stderr=subprocess.PIPE, text=True)
    err_lines, ready, rt = sof_check.read_stderr(p)
    try:
        check(ready.wait(60), "sofd joined and started its pipeline (%s)" % "".join(err_lines)[-800:])
        # a prune from the entrypoint naming sofd as origin: no more pushes to it
        # (signed over the prefixed form: u64 18, "\xffSOLANA_PRUNE_DATA", then the fields)
        sofd_pk = [ci["pubkey"] for ci in ep.joined()]
        if sofd_pk:
            wc = int(time.time() * 1000)
            ep.udp.sendto(prune(ep.sk, [sofd_pk[0]], sofd_pk[0], wc), ("127.0.0.1", gossip_port))
            time.sleep(0.3)
            pushes_before = ep.stats["pushes_rx"]
            time.sleep(1.5)  # three push intervals
            check(ep.stats["pushes_rx"] == pushes_before,
                  f"no push to the entrypoint after its prune ({ep.stats['pushes_rx']} vs {pushes_before})")
        # a vote pushed twice by the entrypoint: one event
        pv = vote_txn(vsk[5], accts[5], tower_sync(2008, [1, 1, 1]))
        votes.append((5, 0, pv, accts[5], 2011))
        pval = vote_value(vsk[5], 0, pv, int(time.time() * 1000))
        for _ in range(2):
            ep.udp.sendto(push(ep.pub, [pval]), ("127.0.0.1", gossip_port))
            time.sleep(0.2)
        # hostile datagrams to the gossip port
        junk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        rng = random.Random(7)
        for i in range(60):
            junk.sendto(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300))), ("127.0.0.1", gossip_port))
        # the turbine sender: sofd's TVU from the entrypoint's CRDS table
        others = ep.joined()
        check(len(others) == 1, f"sofd's ContactInfo in the entrypoint's table ({len(others)})")
        if others:
            ci = others[0]
            tvu = Turbine.tvu_of(ci)
            check(ci["sockets"].get(0) == ("127.0.0.1", gossip_port), f"gossip socket advertised ({ci['sockets']})")
            check(tvu == ("127.0.0.1", tvu_port), f"TVU = sofd's shred port ({tvu} vs {tvu_port})")
            check(ci["shredVersion"] == SV, f"sofd advertises the shred version ({ci['shredVersion']})")
            check(ci["pubkey"] == raw_pub(idk), "sofd's identity is the key file's")
            Turbine(burst=64, pause=0.002).send(payloads, tvu)
        time.sleep(2.0)
        # Prometheus: the gossip families, promtool clean when present
        m = re.search(r"Prometheus metrics on (http://\S+)", "".join(err_lines))
        check(m is not None, "Prometheus endpoint announced")
        if m:
            body = urllib.request.urlopen(m.group(1), timeout=10).read().decode()
            check(f"sof_gossip_nodes {LEADERS + 2}\n" in body, "sof_gossip_nodes gauge")
            check(f"sof_gossip_shred_version {SV}\n" in body, "sof_gossip_shred_version gauge")
            mm = re.search(r"^sof_gossip_rx_malformed_total (\d+)$", body, re.M)
            check(mm and int(mm.group(1)) >= 55, "sof_gossip_rx_malformed_total counts the junk")
            check('sof_gossip_rx_malformed_by_reason_total{reason="truncated"}' in body, "by reason")
            promtool = shutil.which("promtool")
            if promtool:
                pr = subprocess.run([promtool, "check", "metrics"], input=body, capture_output=True, text=True)
                check(pr.returncode == 0 and not pr.stdout.strip() and not pr.stderr.strip(),
                      f"promtool check metrics: {pr.stdout[-300:]} {pr.stderr[-300:]}")
    finally:
        sof_check.interrupt(p)
        rt.join()
        ep.close()
    err = "".join(err_lines)
    check(p.returncode == 0, f"sofd exit 0 ({err[-600:]})")
    s = sof_check.summary_of(err)
    g = {}
    for line in err_lines:
        if line.startswith("sofd: gossip: {"):
            g = json.loads(line[len("sofd: gossip: "):])
    joined = [l for l in err_lines if "gossip: joined" in l]
    check(joined and f"shred version {SV}, {LEADERS + 1} nodes" in joined[0],
          f"learned shred version {SV} and the {LEADERS + 1} nodes of it, not the decoy ({joined})")
    txs = sof_check.txs_of(sof_check.read_lines(txlog))
    check(txs == truth, f"transactions equal the truth ({len(txs)} vs {len(truth)})")
    ln = s.get("learned", {})
    check(ln.get("slots") == len(produced), f"every slot's leader learned ({ln} vs {len(produced)})")
    check(s.get("rxPackets") == len(payloads), f"every shred received ({s.get('rxPackets')} of {len(payloads)})")
    check(g.get("shred_version") == SV, f"gossip shred version ({g.get('shred_version')})")
    check(g.get("ip_echo_ok", 0) >= 1 and ep.stats["echo"] >= 1, "ip-echo")
    check(g.get("publicIp") == "127.0.0.1", f"public address from ip-echo ({g.get('publicIp')})")
    check(g.get("rx_pings", 0) >= 1 and g.get("tx_pongs", 0) >= 1 and ep.stats["pongs_ok"] >= 1,
          f"the entrypoint's ping answered ({g.get('rx_pings')}, {g.get('tx_pongs')}, {ep.stats})")
    check(g.get("tx_pings", 0) >= 1 and g.get("rx_pongs", 0) >= 1 and g.get("nodes_verified", 0) >= 1,
          f"sofd pinged its peers, the entrypoint answered ({g.get('tx_pings')}, {g.get('rx_pongs')}, "
          f"{g.get('nodes_verified')})")
    check(g.get("nodes_verified", 99) <= 1, "the leaders' silent gossip ports never verified")
    check(g.get("tx_pull_requests", 0) >= 1 and ep.stats["pulls_answered"] >= 1, "pull requests answered")
    check(g.get("tx_pushes", 0) >= 1 and ep.stats["pushes_rx"] >= 1, "pushes of its ContactInfo")
    check(g.get("nodes") == LEADERS + 2, f"nodes held: entrypoint + leaders + decoy ({g.get('nodes')})")
    # cluster_topology events (slotlog): the joins and leaves add up to the
    # nodes held
    topo = [r for r in sof_check.read_lines(topolog) if r.get("type") == "cluster_topology"]
    check(len(topo) >= 1, f"cluster_topology events ({len(topo)})")
    if topo:
        check(topo[-1]["total"] == g.get("nodes") == LEADERS + 2,
              f"the last cluster_topology total is the nodes held ({topo[-1]}, {g.get('nodes')})")
        check(sum(r["added"] for r in topo) - sum(r["removed"] for r in topo) == topo[-1]["total"],
              f"joins - leaves = total ({topo})")
    # gossip votes: each value once, with its vote account and last voted slot
    gv = [r for r in sof_check.read_lines(topolog) if r.get("type") == "gossip_vote"]
    want = sorted((b58(raw_pub(vsk[w])), i, b58(a) if a else None, sl, b58(t[1:65])) for w, i, t, a, sl in votes)
    got = sorted((r["from"], r["index"], r["voteAccount"], r["slot"], r["signature"]) for r in gv)
    check(got == want, f"gossip_vote events = the votes, once each ({len(got)} vs {len(want)}: {got} {want})"[:1500])
    check(g.get("votes_published") == len(votes) and g.get("votes_undecoded") == 1 and
          g.get("votes_queue_full") == 0,
          f"vote counters ({g.get('votes_published')}, {g.get('votes_undecoded')}, {g.get('votes_queue_full')})")
    check(all(r["txnSize"] == len(t) for r in gv for w, i, t, a, sl in votes if r["signature"] == b58(t[1:65])),
          "gossip_vote txnSize")
    check(g.get("nodes_other_shred_version") == 1, f"the decoy counted ({g.get('nodes_other_shred_version')})")
    check(g.get("rx_prunes") == 1 and g.get("rx_bad_signature") == 0, f"the prune taken ({g.get('rx_prunes')})")
    check(g.get("values_bad_signature") == 0, "no bad signature from the entrypoint")
    check(g.get("rx_malformed", 0) >= 55, f"hostile datagrams counted ({g.get('rx_malformed')})")
    check(ep.stats["bad"] == 0, f"the entrypoint took every packet of sofd's ({ep.stats})")
    print(f"gossip: {g.get('rx_packets')} packets in, {g.get('tx_packets')} out; entrypoint {ep.stats}",
          file=sys.stderr)

    # ---- learned leaders at run time: a leader that joins gossip after sofd
    # started, a node that leaves (issue 23, item 1). The entrypoint holds
    # every leader but the one of the last four slots; sofd joins without
    # it. Its shreds, sent then, are rejected (unknown_leader) and counted;
    # once its ContactInfo is in the entrypoint's table and sofd published
    # the candidate set with it, the same shreds are sent again, verified
    # and delivered. The entrypoint re-signs its values every 4 s except
    # for one idle node's: sofd purges that one (value timeout), keeps it a
    # candidate for the grace, then drops it (counted).
    sched = json.load(open(os.path.join(tmp, "gossip.json")))
    pubs = [kp[32:] for kp in kps]
    late_b58 = next(k for k, slots in sched.items() if max(slots) == START + SLOTS - 1)
    late = next(i for i, pk in enumerate(pubs) if b58(pk) == late_b58)
    late_slots = set(sched[late_b58])
    leaver = next(i for i, pk in enumerate(pubs) if b58(pk) not in sched)
    slot_of = lambda pl: struct.unpack("<Q", pl[65:73])[0]
    late_pl = [pl for pl in payloads if slot_of(pl) in late_slots]
    check(0 < len(late_pl) < len(payloads), f"the late leader's shreds ({len(late_pl)})")
    ep_port = sof_check.free_port(socket.SOCK_STREAM)
    ep = Entrypoint(ep_port, kps, late=(late,))
    refreshing = {"on": True, "skip": set(), "joined": set(range(LEADERS)) - {late}}

    def refresher():
        while refreshing["on"]:
            now = int(time.time() * 1000)
            ep.resign(now)
            for i in sorted(refreshing["joined"] - refreshing["skip"]):
                ep.join_leader(i, now)
            # every 4 s: a pull sweep over the hash space (8 of 64 slices a
            # round) takes sofd about 1.6-4 s here; a value re-signed faster
            # than that can slip past a whole sweep and be purged
            for _ in range(40):
                if refreshing["on"]:
                    time.sleep(0.1)
    ref = threading.Thread(target=refresher)
    ref.start()
    txlog = os.path.join(tmp, "late.txlog")
    p = subprocess.Popen([sofd, *sof_check.eal("gossip", "0"), "--", "--driver", "udp", "--udp-bind", "127.0.0.1",
                          "--udp-listen", str(tvu_port), "--gossip-entrypoint", f"127.0.0.1:{ep_port}",
                          "--gossip-port", str(gossip_port), "--gossip-bind", "127.0.0.1",
                          "--gossip-pull-interval-ms", "200", "--gossip-push-interval-ms", "500",
                          "--gossip-settle-ms", "1500", "--gossip-value-timeout-ms", "15000",
                          "--gossip-leave-grace-ms", "3000", "--learn-leaders", "--txlog", txlog,
                          "--prometheus", "127.0.0.1:0", "--plugins", "txlog"],
                         stderr=subprocess.PIPE, text=True)
    err_lines, ready, rt = sof_check.read_stderr(p)
    try:
        check(ready.wait(60), "late: sofd joined (%s)" % "".join(err_lines)[-800:])
        m = re.search(r"Prometheus metrics on (http://\S+)", "".join(err_lines))
        url = m.group(1) if m else None
        check(url is not None, "late: Prometheus endpoint announced")
        scrape = lambda: prom_values(urllib.request.urlopen(url, timeout=10).read().decode()) if url else {}
        v = scrape()
        check(v.get("sof_gossip_candidates") == LEADERS, f"late: candidates = entrypoint + the {LEADERS - 1} "
              f"leaders in gossip ({v.get('sof_gossip_candidates')})")
        turbine = Turbine(burst=64, pause=0.002)
        send = lambda pls: turbine.send(pls, ("127.0.0.1", tvu_port))  # noqa: E731
        send(payloads)  # every slot, the late leader's included
        deadline = time.time() + 30
        while time.time() < deadline:
            v = scrape()
            if v.get("sof_rx_packets_total", 0) >= len(payloads):
                break
            time.sleep(0.2)
        unk = v.get('sof_rx_rejected_total{result="unknown_leader"}', 0)
        check(unk >= len(late_pl), f"late: its shreds rejected before it joined, counted ({unk} of {len(late_pl)})")
        check(v.get("sof_verify_cand_updates_total", 0) >= 1,
              f"late: the verifier took gossip's set ({v.get('sof_verify_cand_updates_total')})")
        pubs_before = v.get("sof_gossip_candidate_publications_total", 0)
        ep.join_leader(late)
        refreshing["joined"].add(late)
        deadline = time.time() + 20
        while time.time() < deadline:
            v = scrape()
            if v.get("sof_gossip_candidates") == LEADERS + 1:
                break
            time.sleep(0.1)
        check(v.get("sof_gossip_candidates") == LEADERS + 1 and
              v.get("sof_gossip_candidate_publications_total", 0) > pubs_before,
              f"late: the leader that joined is a candidate ({v.get('sof_gossip_candidates')})")
        send(late_pl)  # its shreds after it appeared
        time.sleep(1.5)
        v = scrape()
        check(v.get("sof_verify_learn_reopened_total", 0) >= 1,
              f"late: its given-up slots searched again ({v.get('sof_verify_learn_reopened_total')})")
        # the leaver: purged (value timeout), a candidate for the grace, then not
        refreshing["skip"] = {leaver}
        ep.forget(pubs[leaver])  # the entrypoint forgets it too (as a cluster's nodes purge a silent node)
        deadline = time.time() + 45
        saw_grace = False
        while time.time() < deadline:
            v = scrape()
            if v.get("sof_gossip_node_leaves_total", 0) >= 1 and v.get("sof_gossip_candidates") == LEADERS + 1:
                saw_grace = True
            if v.get("sof_gossip_candidates_expired_total", 0) >= 1:
                break
            time.sleep(0.1)
        check(saw_grace, f"leave: the node left gossip and stayed a candidate for the grace ({v})"[:400])
        check(v.get("sof_gossip_candidates_expired_total") == 1 and v.get("sof_gossip_candidates") == LEADERS,
              f"leave: after the grace it is no candidate ({v.get('sof_gossip_candidates_expired_total')}, "
              f"{v.get('sof_gossip_candidates')})")
        check(v.get("sof_gossip_node_leaves_total") == 1 and v.get("sof_gossip_nodes") == LEADERS + 1,
              f"leave: only the silent node left ({v.get('sof_gossip_node_leaves_total')}, {v.get('sof_gossip_nodes')})")
    finally:
        refreshing["on"] = False
        ref.join()
        sof_check.interrupt(p)
        rt.join()
        ep.close()
    err = "".join(err_lines)
    check(p.returncode == 0, f"late: sofd exit 0 ({err[-600:]})")
    if sof_check.failures:
        print("".join(l for l in err_lines if l.startswith("sofd: gossip")), file=sys.stderr)
    s = sof_check.summary_of(err)
    txs = sof_check.txs_of(sof_check.read_lines(txlog))
    late_truth = [t for t in truth if t[0] in late_slots]
    check(txs == truth, f"late: transactions equal the truth, the late leader's {len(late_truth)} included "
          f"({len(txs)} vs {len(truth)}; late slots {sum(1 for t in txs if t[0] in late_slots)})")
    ln = s.get("learned", {})
    check(ln.get("slots") == len(produced), f"late: every slot's leader learned ({ln})")
    check(ln.get("reopened", 0) >= 1 and ln.get("candUpdates", 0) >= 2, f"late: summary counts ({ln})")

    # ---- the cluster restarts with another shred version (issue 23, item 3):
    # sofd runs with the entrypoint at SV and delivers a capture of SV; the
    # entrypoint is stopped and another one (a new identity, the leaders at
    # SV2) starts on the same port; sofd notices (the node answering pings
    # at the entrypoint's address advertises SV2), counts and logs it,
    # advertises SV2 and takes the capture of SV2 (the next slots) while the
    # old version's shreds are refused (wrong_version, counted).
    SV2 = SV + 7
    keyf2 = os.path.join(tmp, "leaders2.key")
    pcap2, _, recs2 = sof_check.generate(gen, tmp, "gossip2", "-n", str(SLOTS), "--start-slot", str(START + SLOTS),
                                         "--leaders", str(LEADERS), "--leader-rotation", "4", "--txns-per-slot",
                                         "40", "--shred-version", str(SV2), "-s", "24", "--leader-key", keyf2)
    raw2 = open(keyf2, "rb").read()
    kps2 = [raw2[64 * i:64 * i + 64] for i in range(LEADERS)]
    truth2 = sof_check.truth_txs(recs2)
    payloads2 = sof_check.udp_payloads(sof_check.pcap_frames(pcap2)[1], 8001)
    ep_port = sof_check.free_port(socket.SOCK_STREAM)
    ep = Entrypoint(ep_port, kps)
    txlog = os.path.join(tmp, "restart.txlog")
    p = subprocess.Popen([sofd, *sof_check.eal("gossip", "0"), "--", "--driver", "udp", "--udp-bind", "127.0.0.1",
                          "--udp-listen", str(tvu_port), "--gossip-entrypoint", f"127.0.0.1:{ep_port}",
                          "--gossip-port", str(gossip_port), "--gossip-bind", "127.0.0.1",
                          "--gossip-pull-interval-ms", "200", "--gossip-push-interval-ms", "500",
                          "--gossip-settle-ms", "1500", "--learn-leaders", "--txlog", txlog,
                          "--prometheus", "127.0.0.1:0", "--plugins", "txlog"],
                         stderr=subprocess.PIPE, text=True)
    err_lines, ready, rt = sof_check.read_stderr(p)
    ep2 = None
    try:
        check(ready.wait(60), "restart: sofd joined (%s)" % "".join(err_lines)[-800:])
        m = re.search(r"Prometheus metrics on (http://\S+)", "".join(err_lines))
        url = m.group(1) if m else None
        scrape = lambda: prom_values(urllib.request.urlopen(url, timeout=10).read().decode()) if url else {}
        turbine = Turbine(burst=64, pause=0.002)
        send = lambda pls: turbine.send(pls, ("127.0.0.1", tvu_port))  # noqa: E731
        send(payloads)
        time.sleep(1.0)
        pubs0 = scrape().get("sof_gossip_candidate_publications_total", 0)
        ep.close()  # the cluster restarts: a new entrypoint, the leaders at SV2
        ep2 = Entrypoint(ep_port, kps2, sv=SV2)
        deadline = time.time() + 30
        v = {}
        # the candidates gauge is set when a set is published: wait for a
        # publication after the switch (the verifiers take its version)
        while time.time() < deadline:
            v = scrape()
            if (v.get("sof_gossip_shred_version") == SV2 and v.get("sof_gossip_candidates") == LEADERS + 1 and
                    v.get("sof_gossip_candidate_publications_total", 0) > pubs0):
                break
            time.sleep(0.1)
        check(v.get("sof_gossip_shred_version") == SV2 and v.get("sof_gossip_shred_version_changes_total") == 1,
              f"restart: the new shred version taken, counted ({v.get('sof_gossip_shred_version')}, "
              f"{v.get('sof_gossip_shred_version_changes_total')})")
        check(v.get("sof_gossip_candidates") == LEADERS + 1,
              f"restart: the new cluster's nodes are the candidates ({v.get('sof_gossip_candidates')})")
        deadline = time.time() + 10
        mine = []
        while time.time() < deadline:
            mine = ep2.joined()
            if mine and mine[0]["shredVersion"] == SV2:
                break
            time.sleep(0.1)
        check(len(mine) == 1 and mine[0]["shredVersion"] == SV2 and
              mine[0]["sockets"].get(10) == ("127.0.0.1", tvu_port),
              f"restart: sofd advertises SV2 to the new entrypoint ({mine})")
        send(payloads2)
        old = payloads[:200]
        send(old)  # the old version's shreds: refused now
        time.sleep(2.0)
        v = scrape()
        wv = v.get('sof_rx_rejected_total{result="wrong_version"}', 0)
        check(wv >= len(old), f"restart: the old version's shreds refused, counted ({wv} of {len(old)})")
    finally:
        sof_check.interrupt(p)
        rt.join()
        ep.close()
        if ep2:
            ep2.close()
    err = "".join(err_lines)
    check(p.returncode == 0, f"restart: sofd exit 0 ({err[-600:]})")
    check(f"shred version changed from {SV} to {SV2}" in err, "restart: the change logged")
    txs = sof_check.txs_of(sof_check.read_lines(txlog))
    check(txs == sorted(truth + truth2), f"restart: both versions' transactions delivered ({len(txs)} vs "
          f"{len(truth)} + {len(truth2)})")
    s = sof_check.summary_of(err)
    check(s.get("learned", {}).get("versionSwitches", 0) >= 1, f"restart: the verifier switched ({s.get('learned')})")

    # ip-echo without a shred version: the entrypoint's own ContactInfo gives it
    ep_port = sof_check.free_port(socket.SOCK_STREAM)
    ep = Entrypoint(ep_port, kps[:3], echo_shred_version=False)
    try:
        p = subprocess.Popen([sofd, *sof_check.eal("gossip", "0"), "--", "--driver", "udp", "--udp-bind", "127.0.0.1",
                              "--udp-listen", str(tvu_port), "--gossip-entrypoint", f"127.0.0.1:{ep_port}",
                              "--gossip-port", str(gossip_port), "--gossip-bind", "127.0.0.1",
                              "--gossip-pull-interval-ms", "200", "--gossip-settle-ms", "1000", "--learn-leaders"],
                             stderr=subprocess.PIPE, text=True)
        lines = []
        for line in p.stderr:
            lines.append(line)
            if " input, " in line and "verification" in line:
                p.send_signal(signal.SIGINT)
        p.wait(timeout=60)
    finally:
        ep.close()
    joined = [l for l in lines if "gossip: joined" in l]
    check(p.returncode == 0 and joined and f"shred version {SV}, 4 nodes" in joined[0],
          f"shred version from the entrypoint's ContactInfo ({joined} {''.join(lines)[-300:]})")

    # an entrypoint nobody answers: exit 2 after join_timeout_ms, naming what is missing
    dead = sof_check.free_port(socket.SOCK_STREAM)
    p = subprocess.run([sofd, *sof_check.eal("gossip", "0"), "--", "--driver", "udp", "--udp-bind", "127.0.0.1",
                        "--udp-listen", str(tvu_port), "--gossip-entrypoint", f"127.0.0.1:{dead}",
                        "--gossip-port", str(gossip_port), "--gossip-bind", "127.0.0.1",
                        "--gossip-join-timeout-ms", "1500", "--learn-leaders"],
                       capture_output=True, text=True, timeout=60)
    check(p.returncode == 2 and "not joined after 1500 ms (no shred version" in p.stderr,
          f"dead entrypoint: exit 2 with a reason ({p.returncode}: {p.stderr[-300:]})")
    for bad, what in (("nowhere", "is not a resolvable HOST:PORT"), ("127.0.0.1:0", "is not a resolvable")):
        p = subprocess.run([sofd, *sof_check.eal("gossip", "0"), "--", "--driver", "udp", "--gossip-entrypoint", bad,
                            "--learn-leaders"], capture_output=True, text=True, timeout=60)
        check(p.returncode == 2 and what in p.stderr, f"entrypoint {bad!r} refused ({p.stderr[-200:]})")
    p = subprocess.run([sofd, *sof_check.eal("gossip", "0"), "--", "--driver", "udp", "--gossip-entrypoint",
                        "127.0.0.1:8001", "--gossip-identity", os.path.join(tmp, "missing.key"), "--learn-leaders"],
                       capture_output=True, text=True, timeout=60)
    check(p.returncode == 2 and "[gossip] identity: cannot open" in p.stderr, f"missing identity refused ({p.stderr[-200:]})")
    sof_check.cleanup_runtime()

print(f"sofd_gossip: {sof_check.checks} checks, {sof_check.failures} failed")
sys.exit(1 if sof_check.failures else 0)
