#!/usr/bin/env python3
"""The grpc server thread's placement and scheduling (issue #20): the
[plugin.grpc] keys `cpus` and `sched_priority` through the real sofd.

- config errors: a bad CPU list, a CPU the machine lacks, a priority out
  of 0..99 or not a number: sofd refuses to start and names the key;
- the default: `sof-grpc` is SCHED_OTHER (policy 0 in
  /proc/PID/task/TID/stat), off the lcore's CPU, spin_us 200, as telemetry
  (/plugins/grpc "serverThread") and the stat line on stderr say;
- cpus + sched_priority from an INI file: the thread's policy is
  SCHED_FIFO at that priority and its Cpus_allowed_list is the list, read
  from /proc; telemetry names the same tid, policy, priority and CPUs,
  Prometheus sof_grpc_server_thread_rt_priority the priority; the idle spin
  is off by default under SCHED_FIFO; and a subscriber still gets every
  transaction of a sof-gen capture (the eventfd wake-up path);
- an explicit spin_us under SCHED_FIFO is kept, with a warning;
- idle_poll: the thread polls at SCHED_IDLE between passes (policy 5 in
  /proc with no traffic, and again after it), SCHED_FIFO for the passes,
  every transaction delivered, no switch refused; with spin_us: refused;
  without the right to leave SCHED_IDLE (no CAP_SYS_NICE, RLIMIT_NICE 0):
  sofd refuses to start and says why;
- the rule when the kernel refuses SCHED_FIFO (no CAP_SYS_NICE, RLIMIT_RTPRIO
  0; run as root through setpriv dropping the capability): sofd refuses to
  start and says why and what to do.
Parts needing what the machine lacks (2 CPUs; CAP_SYS_NICE to apply
SCHED_FIFO; setpriv / prlimit for the refusal) are skipped with a message.
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import sof_check
from grpc_raw import subscribe_and_send
from sof_check import check

if len(sys.argv) < 3 or not sys.argv[2]:
    print("sofd was not built (DPDK not found): skipping", file=sys.stderr)
    sys.exit(77)
gen, sofd = sys.argv[1], sys.argv[2]

NCPU = os.cpu_count() or 1
ALLOWED = sorted(os.sched_getaffinity(0))


def cpu_set(text):
    ids = set()
    for part in text.split(","):
        a, _, b = part.partition("-")
        ids.update(range(int(a), int(b or a) + 1))
    return ids


def task_of(pid, name):
    """(tid, policy, rt_priority, CPUs) of the thread named name, from
    /proc/PID/task/TID/stat (fields 40 rt_priority, 41 policy) and status."""
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            if open(f"/proc/{pid}/task/{t}/comm").read().strip() != name:
                continue
            stat = open(f"/proc/{pid}/task/{t}/stat").read()
            f = stat[stat.rindex(")") + 2:].split()  # fields from 3 (state) on
            cpus = next(l.split(":", 1)[1].strip() for l in open(f"/proc/{pid}/task/{t}/status")
                        if l.startswith("Cpus_allowed_list"))
            return int(t), int(f[41 - 3]), int(f[40 - 3]), cpu_set(cpus)
        except (OSError, StopIteration, ValueError, IndexError):
            continue
    return None


def http_json(url):
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.loads(r.read())


def run_refused(what, opts, msg, pre=(), cfg=None):
    """sofd with the grpc plugin and opts (--plugin-opt values) must exit
    non-zero at once, its stderr matching the regex msg."""
    args = [*pre, sofd, *sof_check.eal("gsched"), "--", "--driver", "udp", "--udp-bind", "127.0.0.1",
            "--udp-listen", str(sof_check.free_port()), "--accept-unknown-leader", "--plugins", "grpc",
            "--plugin-opt", f"grpc.listen=127.0.0.1:{sof_check.free_port(socket.SOCK_STREAM)}"]
    if cfg:
        args += ["--config", cfg]
    for o in opts:
        args += ["--plugin-opt", "grpc." + o]
    try:
        p = subprocess.run(args, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        check(False, f"{what}: sofd did not exit")
        return ""
    check(p.returncode != 0, f"{what}: sofd refused to start (exit {p.returncode})")
    check(re.search(msg, p.stderr), f"{what}: stderr says /{msg}/: {p.stderr.strip()[-500:]}")
    return p.stderr


def start(tag, extra, cfg=None, udp=None, sched=None):
    """sofd on lcore 0, the UDP driver, the grpc plugin; returns (process,
    stderr lines, grpc port, prometheus port) once the gRPC port answers."""
    grpc = sof_check.free_port(socket.SOCK_STREAM)
    prom = sof_check.free_port(socket.SOCK_STREAM)
    args = [sofd, *sof_check.eal(tag), "--", "--driver", "udp", "--udp-bind", "127.0.0.1",
            "--udp-listen", str(udp or sof_check.free_port()), "--plugins", "grpc",
            "--prometheus", f"127.0.0.1:{prom}", "--plugin-opt", f"grpc.listen=127.0.0.1:{grpc}"]
    args += ["--leader-schedule", sched, "--shred-version", "7"] if sched else ["--accept-unknown-leader"]
    if cfg:
        args += ["--config", cfg]
    for o in extra:
        args += ["--plugin-opt", "grpc." + o]
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines, ev, thr = sof_check.read_stderr(p)  # ready: sofd runs (its signal handlers set)
    wait_ready(p, ev)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and p.poll() is None:
        try:
            http_json(f"http://127.0.0.1:{prom}/plugins/grpc")
            break
        except Exception:  # noqa: BLE001 (not up yet)
            time.sleep(0.1)
    check(p.poll() is None, f"{tag}: sofd started: {''.join(lines)[-600:]}")
    return p, lines, thr, grpc, prom


def wait_ready(p, ev, timeout=30):
    """True once the ready line came; False when sofd exited first or
    timeout seconds passed."""
    t0 = time.monotonic()
    while not ev.wait(0.1):
        if p.poll() is not None or time.monotonic() - t0 > timeout:
            return ev.is_set()
    return True


def stop(p, thr, lines, what):
    ok = sof_check.interrupt(p)
    thr.join(10)
    check(ok and p.returncode == 0, f"{what}: sofd exit {p.returncode}: {''.join(lines)[-600:]}")


def server_thread(p, prom):
    """/plugins/grpc's serverThread once it names the thread's tid."""
    st = {}
    for _ in range(100):
        try:
            st = http_json(f"http://127.0.0.1:{prom}/plugins/grpc").get("serverThread", {})
            if st.get("tid"):
                break
        except Exception:  # noqa: BLE001 (a slow answer: ask again)
            pass
        time.sleep(0.1)
    return st


def can_fifo():
    try:
        return subprocess.run(["chrt", "-f", "1", "true"], capture_output=True).returncode == 0
    except OSError:
        return False


with tempfile.TemporaryDirectory() as tmp:
    # ---- config errors: refused at setup, the key named ------------------------
    run_refused("cpus not a list", ["cpus=abc"], r"plugin grpc: setup failed: cpus: 'abc' is not a CPU list")
    run_refused("cpus empty item", ["cpus=0,,1"], r"cpus: '0,,1' is not a CPU list")
    run_refused("cpus backwards", ["cpus=1-0"], r"cpus: '1-0': range 1-0 runs backwards")
    run_refused("cpus past the machine", [f"cpus={NCPU + 3}"],
                rf"cpus: '{NCPU + 3}': CPU {NCPU + 3} does not exist \(this machine has CPUs 0-{NCPU - 1}\)")
    run_refused("sched_priority too high", ["sched_priority=100"], r"sched_priority: 100 is outside \[0, 99\]")
    run_refused("sched_priority not a number", ["sched_priority=high"],
                r"sched_priority: 'high' is not a decimal number")
    run_refused("sched_priority negative", ["sched_priority=-1"], r"sched_priority: '-1' is not a decimal number")

    # ---- the default: SCHED_OTHER, off the lcore's CPU, spinning 200 us --------
    p, lines, thr, grpc, prom = start("gsched-def", [])
    if p.poll() is None:
        st = server_thread(p, prom)
        t = task_of(p.pid, "sof-grpc")
        if check(t is not None, "default: the sof-grpc thread exists"):
            tid, pol, prio, cpus = t
            check(pol == 0 and prio == 0, f"default: sof-grpc is SCHED_OTHER (policy {pol}, rt_priority {prio})")
            if len(ALLOWED) > 1:
                check(cpus and 0 not in cpus, f"default: sof-grpc runs off the lcore's CPU 0 ({cpus})")
            check(st.get("tid") == tid and st.get("policy") == "SCHED_OTHER" and st.get("priority") == 0
                  and cpu_set(st.get("cpus", "0")) == cpus and st.get("spinUs") == 200,
                  f"default: telemetry's serverThread says so: {st}")
        stop(p, thr, lines, "default")
        check(any(re.match(r"grpc: server thread on CPUs \S+, SCHED_OTHER 0, spin_us 200$", l.strip())
                  for l in lines), f"default: the stat line: {[l for l in lines if 'server thread' in l]}")

    # ---- cpus + sched_priority from the INI file: applied, and it delivers -----
    target = ALLOWED[-1]
    if len(ALLOWED) < 2:
        print("fifo: skipped (one CPU: nowhere off the lcore's CPU to put the thread)", file=sys.stderr)
    elif not can_fifo():
        print("fifo: skipped (no CAP_SYS_NICE / RLIMIT_RTPRIO here: `chrt -f 1` fails)", file=sys.stderr)
    else:
        pcap, sched, recs = sof_check.generate(gen, tmp, "gs", "-n", "4", "--txns-per-slot", "80",
                                               "--shred-version", "7", "-s", "43")
        truth = [r for r in recs if r["type"] == "transaction"]
        payloads = sof_check.udp_payloads(sof_check.pcap_frames(pcap)[1], 8001)
        ini = os.path.join(tmp, "fifo.ini")
        with open(ini, "w") as f:
            f.write(f"[plugin.grpc]\ncpus = {target}\nsched_priority = 7\n")
        udp = sof_check.free_port()
        p, lines, thr, grpc, prom = start("gsched-fifo", [], cfg=ini, udp=udp, sched=sched)
        if p.poll() is None:
            st = server_thread(p, prom)
            t = task_of(p.pid, "sof-grpc")
            if check(t is not None, "fifo: the sof-grpc thread exists"):
                tid, pol, prio, cpus = t
                check(pol == 1 and prio == 7, f"fifo: sof-grpc is SCHED_FIFO 7 (policy {pol}, rt_priority {prio})")
                check(cpus == {target}, f"fifo: sof-grpc may run on CPU {target} only ({cpus})")
                check(st == {"tid": tid, "cpus": str(target), "policy": "SCHED_FIFO", "priority": 7, "spinUs": 0,
                             "idlePoll": False},
                      f"fifo: telemetry's serverThread: {st}")
            main = task_of(p.pid, "sofd")
            check(main and main[1] == 0, f"fifo: the main thread (lcore) keeps SCHED_OTHER: {main}")
            with urllib.request.urlopen(f"http://127.0.0.1:{prom}/metrics", timeout=5) as r:
                metrics = r.read().decode()
            check(re.search(r"^sof_grpc_server_thread_rt_priority 7$", metrics, re.M),
                  "fifo: Prometheus sof_grpc_server_thread_rt_priority 7")
            # delivery: the eventfd wake-up (no spin) carries every transaction
            sock, got = subscribe_and_send(grpc, prom, udp, payloads)
            wakes = http_json(f"http://127.0.0.1:{prom}/plugins/grpc")
            stop(p, thr, lines, "fifo")
            sock.close()
            check(len(truth) <= got["messages"] <= len(truth) + 8,
                  f"fifo: the subscriber got the truth's {len(truth)} transactions ({got['messages']} messages)")
            check(wakes.get("lost") == 0, f"fifo: nothing lost: {wakes.get('lost')}")
            check(any(re.match(rf"grpc: server thread on CPUs {target}, SCHED_FIFO 7, spin_us 0$", l.strip())
                      for l in lines), f"fifo: the stat line: {[l for l in lines if 'server thread' in l]}")

        # an explicit spin under SCHED_FIFO: kept, with the warning
        p, lines, thr, grpc, prom = start("gsched-spin", [f"cpus={target}", "sched_priority=3", "spin_us=50"])
        if p.poll() is None:
            st = server_thread(p, prom)
            t = task_of(p.pid, "sof-grpc")
            check(t is not None and t[1] == 1 and t[2] == 3, f"spin: SCHED_FIFO 3 applied: {t}")
            check(st.get("spinUs") == 50 and st.get("priority") == 3, f"spin: telemetry: {st}")
            stop(p, thr, lines, "spin")
            check(any("SCHED_FIFO 3, spin_us 50 (warning: a SCHED_FIFO thread spinning" in l for l in lines),
                  f"spin: the warning: {[l for l in lines if 'server thread' in l]}")

        # idle_poll: between passes SCHED_IDLE (policy 5 in /proc while no
        # record comes), SCHED_FIFO again for each pass; no wake-up, no
        # policy switch refused, every transaction delivered
        udp = sof_check.free_port()
        p, lines, thr, grpc, prom = start("gsched-idle", [f"cpus={target}", "sched_priority=6", "idle_poll=true"],
                                          udp=udp, sched=sched)
        if p.poll() is None:
            st = server_thread(p, prom)
            pols = set()
            for _ in range(50):  # idle: the poll loop, at SCHED_IDLE
                t = task_of(p.pid, "sof-grpc")
                if t:
                    pols.add(t[1])
                time.sleep(0.01)
            check(pols == {5}, f"idle_poll: with no traffic sof-grpc polls at SCHED_IDLE (policies seen {pols})")
            check(st.get("idlePoll") is True and st.get("priority") == 6, f"idle_poll: telemetry: {st}")
            sock, got = subscribe_and_send(grpc, prom, udp, payloads)
            s2 = http_json(f"http://127.0.0.1:{prom}/plugins/grpc")
            t = task_of(p.pid, "sof-grpc")
            stop(p, thr, lines, "idle_poll")
            sock.close()
            check(len(truth) <= got["messages"] <= len(truth) + 8,
                  f"idle_poll: the subscriber got the truth's {len(truth)} transactions ({got['messages']} messages)")
            check(s2.get("lost") == 0 and s2.get("policyErrors") == 0,
                  f"idle_poll: nothing lost, no switch refused: {s2.get('lost')}, {s2.get('policyErrors')}")
            check(s2.get("idlePollPasses", 0) > 0,
                  f"idle_poll: the passes ran at SCHED_FIFO again ({s2.get('idlePollPasses')} returns from SCHED_IDLE)")
            check(s2.get("ringTransactions", 0) > 0 and st.get("tid") and t and t[1] == 5,
                  f"idle_poll: back at SCHED_IDLE after the traffic ({t})")
            check(any(re.match(rf"grpc: server thread on CPUs {target}, SCHED_FIFO 6, spin_us 0, idle_poll "
                               r"\(SCHED_IDLE between passes\)$", l.strip()) for l in lines),
                  f"idle_poll: the stat line: {[l for l in lines if 'server thread' in l]}")
        run_refused("idle_poll with spin_us", ["idle_poll=true", "spin_us=10"],
                    r"plugin grpc: setup failed: spin_us and idle_poll: idle_poll replaces the spin and the sleep")

        # the lcore's own CPU named: allowed, with a warning
        p, lines, thr, grpc, prom = start("gsched-own", ["cpus=0"])
        if p.poll() is None:
            t = task_of(p.pid, "sof-grpc")
            check(t is not None and t[3] == {0}, f"own CPU: sof-grpc on CPU 0 as asked: {t}")
            stop(p, thr, lines, "own CPU")
            check(any(re.search(r"grpc: warning: cpus 0 include CPU 0 of the calling thread", l) for l in lines),
                  f"own CPU: the warning: {[l for l in lines if 'grpc:' in l]}")

    # ---- the rule when the kernel refuses SCHED_FIFO: sofd does not start -----
    setpriv, prlimit = shutil.which("setpriv"), shutil.which("prlimit")
    if os.geteuid() == 0 and setpriv and prlimit:
        pre = [prlimit, "--rtprio=0", "--", setpriv, "--inh-caps=-sys_nice", "--bounding-set=-sys_nice"]
    elif os.geteuid() != 0 and not can_fifo():
        pre = []  # already without the right
    else:
        pre = None
        print("refusal: skipped (no way to run sofd without CAP_SYS_NICE here: setpriv / prlimit)", file=sys.stderr)
    if pre is not None:
        err = run_refused("SCHED_FIFO refused", ["sched_priority=5"],
                          r"plugin grpc: setup failed: sched_priority 5: SCHED_FIFO refused for the server thread "
                          r"\(Operation not permitted\): needs CAP_SYS_NICE or RLIMIT_RTPRIO >= 5", pre=pre)
        check("or sched_priority = 0 (SCHED_OTHER)" in err, "SCHED_FIFO refused: the message names the way out")
        # the same sofd without the capability starts at sched_priority 0
        p = subprocess.Popen([*pre, sofd, *sof_check.eal("gsched-nocap"), "--", "--driver", "udp",
                              "--udp-bind", "127.0.0.1", "--udp-listen", str(sof_check.free_port()),
                              "--accept-unknown-leader", "--plugins", "grpc", "--plugin-opt",
                              f"grpc.listen=127.0.0.1:{sof_check.free_port(socket.SOCK_STREAM)}"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        lines, ev, thr = sof_check.read_stderr(p)
        check(wait_ready(p, ev) and any("SCHED_OTHER 0" in l for l in lines),
              f"without CAP_SYS_NICE, sched_priority 0 starts: {''.join(lines)[-400:]}")
        stop(p, thr, lines, "without CAP_SYS_NICE")
        # idle_poll without the right to leave SCHED_IDLE: refused at start
        if pre:
            err = run_refused("idle_poll refused", ["idle_poll=true"],
                              r"plugin grpc: setup failed: idle_poll: a thread may enter SCHED_IDLE but not leave "
                              r"it for SCHED_OTHER here \(Operation not permitted\): needs CAP_SYS_NICE",
                              pre=[prlimit, "--nice=0", "--", *pre])
            check("or idle_poll = false" in err, "idle_poll refused: the message names the way out")

sof_check.cleanup_runtime()
print(f"{sof_check.checks} checks, {sof_check.failures} failed", file=sys.stderr)
sys.exit(1 if sof_check.failures or not sof_check.checks else 0)
