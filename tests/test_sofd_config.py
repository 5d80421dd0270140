#!/usr/bin/env python3
"""sofd's configuration mistakes: each is refused before anything runs, with
exit status 2 and the message a user reads (the file and line, or the key
and its flag, checked as written).

- strict INI lines: no '=', malformed headers, keys before a section, empty
  values, control characters (a file of NULs), duplicate keys and sections
  (both lines named), unknown keys and sections;
- numbers: decimal only (a leading zero is not octal, 0x is not hex, no
  sign, no suffix), ranges named per key, lists (UDP ports, lcores);
- options another mode would ignore: [udp] keys with an ethdev driver, port
  and ring keys with udp/preload, --epoch-first-slot without a JSON
  schedule, EAL-probed ports (--vdev) with the udp and preload drivers;
- leader schedules: empty, two leaders for a slot, offsets outside the
  epoch, and the covered range reported on a good run;
- what stays allowed: a flag overriding the file, a later --config file
  overriding an earlier one, every shipped config/*.ini, comments and CRLF.

usage: test_sofd_config.py [SOFD]   (exit 77, skipped, without SOFD)
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile

import sof_check
from sof_check import check

if len(sys.argv) < 2 or not sys.argv[1]:
    print("sofd was not built (DPDK not found): skipping", file=sys.stderr)
    sys.exit(77)
sofd = sys.argv[1]
here = os.path.dirname(os.path.abspath(__file__))
repo = os.path.dirname(here)
prefixes = []


def eal(*vdevs):
    prefix = f"sof-config-{os.getpid()}-{len(prefixes)}"
    prefixes.append(prefix)
    args = ["--no-huge", "-m", "512", "--no-pci", "--no-shconf", "--log-level=error",
            "--no-telemetry", f"--file-prefix={prefix}", "-l", "0"]
    for v in vdevs:
        args += ["--vdev", v]
    return args


def run(args, timeout=60):
    p = subprocess.run([sofd, *args], capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr




b58 = sof_check.b58
KEY_A = b58(bytes(range(1, 33)))
KEY_B = b58(bytes(range(0xA0, 0xC0)))


def refused(name, args, want, *more):
    """sofd exits 2 and its stderr holds want (and every one of more)."""
    rc, _, err = run(args)
    check(rc == 2, f"{name}: exit 2 (rc {rc}, {err[-400:]!r})")
    for w in (want, *more):
        check(w in err, f"{name}: message {w!r} (got {err[-600:]!r})")


with tempfile.TemporaryDirectory() as tmp:
    def ini(name, data):
        path = os.path.join(tmp, name)
        with open(path, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())
        return path

    U = ["--accept-unknown-leader"]

    # 1. strict INI lines
    f = ini("noeq.ini", "[input]\nburst 64\n")
    refused("no '='", ["--", "--config", f] + U,
            f"sofd: {f}:2: no '=' in 'burst 64' (a line is [section], key = value, or a # / ; comment)")
    f = ini("header.ini", "[input\nburst = 64\n")
    refused("malformed header", ["--", "--config", f] + U,
            f"sofd: {f}:1: malformed section header '[input' (expected [name] alone on its line)")
    f = ini("header2.ini", "# x\n[input] burst = 64\n")
    refused("key on a header line", ["--", "--config", f] + U,
            f"sofd: {f}:2: malformed section header '[input] burst = 64'")
    f = ini("nosec.ini", "burst = 64\n")
    refused("key before a section", ["--", "--config", f] + U,
            f"sofd: {f}:1: key 'burst' before any [section]")
    f = ini("empty.ini", "[run]\nprometheus =\n")
    refused("empty value", ["--", "--config", f] + U,
            f"sofd: {f}:2: key 'prometheus' has no value (delete the line to keep the default)")
    f = ini("nul.ini", b"\0" * 64)
    refused("a file of NULs", ["--", "--config", f] + U,
            f"sofd: {f}:1: control character 0x00 at column 1 (only tab is allowed: is this a text file?)")
    f = ini("nul3.ini", b"[input]\nburst = 32\ndriver = eth\0dev\n")
    refused("a NUL inside a line", ["--", "--config", f] + U,
            f"sofd: {f}:3: control character 0x00 at column 13")
    f = ini("dupkey.ini", "[input]\nburst = 32\n; later\nburst = 64\n")
    refused("duplicate key", ["--", "--config", f] + U,
            f"sofd: {f}:4: duplicate key 'burst' in [input] (first on line 2)")
    f = ini("dupsec.ini", "[input]\nburst = 32\n[run]\nmlock = false\n[input]\ndriver = ethdev\n")
    refused("duplicate section", ["--", "--config", f] + U,
            f"sofd: {f}:5: duplicate section [input] (first on line 1; give each section once)")
    f = ini("dupplugin.ini", "[plugin.txlog]\npath = -\npath = /tmp/x\n")
    refused("duplicate plugin key", ["--", "--config", f] + U,
            f"sofd: {f}:3: duplicate key 'path' in [plugin.txlog] (first on line 2)")
    f = ini("unknown.ini", "[verify]\nfrobnicate = 1\n")
    refused("unknown key", ["--", "--config", f] + U,
            f"sofd: {f}:2: unknown key 'frobnicate' in section [verify]")
    f = ini("unknownsec.ini", "[input]\nburst = 32\n\n[inputs]\n")
    refused("unknown empty section", ["--", "--config", f] + U,
            f"sofd: {f}:4: unknown section [inputs]")
    refused("missing file", ["--", "--config", os.path.join(tmp, "none.ini")] + U,
            f"sofd: --config {os.path.join(tmp, 'none.ini')}: cannot read it: No such file or directory")

    # 2. numbers
    f = ini("octal.ini", "[input]\ndriver = udp\n[udp]\nlisten_port = 010000\n")
    refused("leading zero", ["--", "--config", f] + U,
            "sofd: [udp] listen_port (--udp-listen): '010000' has a leading zero: numbers are "
            f"decimal, not octal (did you mean 10000?) (from {f}:4)")
    refused("hex flag", ["--"] + U + ["--burst", "0x10"],
            "sofd: [input] burst (--burst): '0x10' is hex: numbers are decimal (write 16) (from the "
            "command line)")
    refused("sign", ["--"] + U + ["--rx-desc", "+512"],
            "sofd: [input] rx_desc (--rx-desc): '+512' is not a decimal integer in [1, 65535] "
            "(digits 0-9 only: no sign, blank, hex or suffix) (from the command line)")
    f = ini("suffix.ini", "[fec]\narena_mb = 64M\n")
    refused("suffix", ["--", "--config", f] + U,
            "sofd: [fec] arena_mb (--fec-arena-mb): '64M' is not a decimal integer in [1, 65536]",
            f"(from {f}:2)")
    refused("range", ["--"] + U + ["--burst", "513"],
            "sofd: [input] burst (--burst): '513' is out of range [1, 512] (from the command line)")
    refused("octal epoch", ["--", "--leader-schedule", "/dev/null", "--epoch-first-slot", "0432000"],
            "sofd: [verify] epoch_first_slot (--epoch-first-slot): '0432000' has a leading zero: "
            "numbers are decimal, not octal (did you mean 432000?)")
    refused("port list", ["--"] + U + ["--udp-port", "8002,08003"],
            "sofd: [input] udp_ports (--udp-port): '8002,08003' is not a list of at most 8 UDP ports: "
            "item 2: '08003' has a leading zero: numbers are decimal, not octal (did you mean 8003?) "
            "(from the command line)")
    refused("port list empty item", ["--"] + U + ["--udp-port", "8002,"],
            "'8002,' is not a list of at most 8 UDP ports: an empty item (item 2)")
    # [input] exception (issue #19)
    refused("exception value", ["--"] + U + ["--address", "10.0.0.2/24", "--udp-port", "8002",
                                            "--exception", "kernel"],
            "sofd: [input] exception (--exception): 'kernel' is not none or tap")
    refused("exception without a shred definition", ["--"] + U + ["--exception", "tap"],
            "[input] exception (--exception) = tap (from the command line) needs [input] address")
    refused("exception iface", ["--"] + U + ["--address", "10.0.0.2/24", "--udp-port", "8002",
                                            "--exception", "tap", "--input-exception-iface", "a/b"],
            "'a/b' is not an interface name")
    refused("icmp_rate with exception = tap", ["--"] + U + ["--address", "10.0.0.2/24", "--udp-port", "8002",
                                                          "--exception", "tap", "--input-icmp-rate", "5"],
            "[input] icmp_rate (--input-icmp-rate) (from the command line) would be ignored: with "
            "[input] exception (--exception) = tap the kernel answers ICMP echo")
    refused("exception iface unread", ["--"] + U + ["--input-exception-iface", "x0"],
            "[input] exception_iface (--input-exception-iface) (from the command line) is read only with "
            "[input] exception = tap")
    f = ini("lcores.ini", "[topology]\nrx = 0, 0x1\n")
    refused("lcore list (before the EAL)", ["--", "--config", f] + U,
            "sofd: [topology] rx (--topology-rx): '0, 0x1' is not a list of at most 16 lcore ids: "
            f"item 2: '0x1' is hex: numbers are decimal (write 1) (from {f}:2)")

    # 3. options the mode ignores
    refused("udp key with ethdev", ["--"] + U + ["--udp-listen", "9000"],
            "sofd: [udp] listen_port (--udp-listen) (from the command line) is read only by the udp "
            "driver, but [input] driver is ethdev (the default): it would be ignored; remove it or "
            "change the driver")
    f = ini("udpkey.ini", "[input]\ndriver = ethdev\n[udp]\nrcvbuf = 4096\n")
    refused("udp key in a file with ethdev", ["--", "--config", f] + U,
            f"sofd: [udp] rcvbuf (--udp-rcvbuf) (from {f}:4) is read only by the udp driver, but "
            f"[input] driver is ethdev (from {f}:2)")
    refused("port_id with udp", ["--"] + U + ["--driver", "udp", "--port-id", "1"],
            "sofd: [input] port_id (--port-id) (from the command line) is read only by the ethdev "
            "driver, but [input] driver is udp (from the command line)")
    refused("rx_desc with udp", ["--"] + U + ["--driver", "udp", "--rx-desc", "512"],
            "sofd: [input] rx_desc (--rx-desc) (from the command line) is read only by the ethdev or "
            "preload driver, but [input] driver is udp")
    refused("preload_deal with ethdev", ["--"] + U + ["--preload-deal", "slot"],
            "sofd: [input] preload_deal (--preload-deal) (from the command line) is read only by the "
            "preload driver, but [input] driver is ethdev (the default)")
    refused("epoch_first_slot without a schedule", ["--"] + U + ["--epoch-first-slot", "432000"],
            "sofd: [verify] epoch_first_slot (--epoch-first-slot) (from the command line) only places "
            "a JSON leader schedule ([verify] leader_schedule, --leader-schedule), and none is given")
    refused("--vdev with the udp driver", eal("net_null0") + ["--"] + U + ["--driver", "udp"],
            "sofd: [input] driver = udp (from the command line) receives on kernel UDP sockets, but "
            "the EAL probed 1 ethdev port (net_null0) from its device options: it would be ignored; "
            "remove --vdev / -a / --allow (and pass --no-pci) or use --driver ethdev")
    refused("two --vdev with the preload driver",
            eal("net_null0", "net_null1") + ["--"] + U + ["--driver", "preload", "--preload", "/dev/null"],
            "sofd: [input] driver = preload (from the command line) serves the capture through a "
            "net_ring port of its own, but the EAL probed 2 ethdev ports (net_null0, net_null1) from "
            "its device options: they would be ignored")

    # 4. leader schedules (loaded before the EAL)
    f = ini("empty.json", "{}")
    refused("empty schedule", ["--", "--leader-schedule", f],
            f"sofd: [verify] leader_schedule (--leader-schedule): {f}: an empty schedule: no leader "
            "names a slot")
    f = ini("two.json", f'{{"{KEY_A}": [0, 1, 2], "{KEY_B}": [2, 3]}}')
    refused("two leaders for a slot", ["--", "--leader-schedule", f, "--epoch-first-slot", "864000"],
            f"sofd: [verify] leader_schedule (--leader-schedule): {f}: \"{KEY_B}\"[0] (offset 2): slot "
            f"864002 has two leaders: {KEY_A} and {KEY_B}")
    f = ini("abs.json", f'{{"{KEY_A}": [250000000, 250000001]}}')
    refused("absolute slots as offsets", ["--", "--leader-schedule", f, "--epoch-first-slot", "249984000"],
            f"sofd: [verify] leader_schedule (--leader-schedule): {f}: \"{KEY_A}\"[0]: offset 250000000 "
            "is outside the epoch (offsets run 0..431999 from the epoch's first slot, 249984000; "
            "absolute slots belong in a \"<slot> <pubkey>\" list)")
    f = ini("empty.txt", "# nothing yet\n\n")
    refused("empty list", ["--", "--leader-list", f],
            f"sofd: [verify] leader_list (--leader-list): {f}: an empty list: no \"<slot> <pubkey>\" line")
    sched = ini("good.json", f'{{"{KEY_A}": [0, 1, 4], "{KEY_B}": [2, 3]}}')
    f = ini("clash.txt", f"1004 {KEY_A}\n1003 {KEY_A}\n")
    refused("list against the schedule", ["--", "--leader-schedule", sched, "--epoch-first-slot", "1000",
                                           "--leader-list", f],
            f"sofd: [verify] leader_list (--leader-list): {f}: line 2: slot 1003 has two leaders: "
            f"{KEY_B} and {KEY_A}")

    # 5. what stays allowed
    f = ini("override.ini", "# sample\r\n[input]\r\nburst = 64 ; packets\r\n\r\n[run]\r\n"
                            "stats_interval_ms = 0\r\n")
    rc, out, err = run(["--", "--config", f, "--accept-unknown-leader", "--burst", "32", "--print-config"])
    check(rc == 0 and "burst = 32    ; flag" in out and "stats_interval_ms = 0    ; config" in out,
          f"a flag overrides the file (CRLF, inline comment) (rc {rc}, {err[-300:]!r})")
    f2 = ini("override2.ini", "[input]\nburst = 128\n")
    rc, out, err = run(["--", "--config", f, "--config", f2, "--accept-unknown-leader", "--print-config"])
    check(rc == 0 and "burst = 128    ; config" in out,
          f"a later --config overrides an earlier one (rc {rc}, {err[-300:]!r})")
    rc, out, err = run(["--", "--accept-unknown-leader", "--burst", "0", "--print-config"])
    check(rc == 2 and "'0' is out of range [1, 512]" in err, "0 is read as a number (and range-checked)")
    rc, out, err = run(["--", "--accept-unknown-leader", "--idle-exit-ms", "0", "--print-config"])
    check(rc == 0 and "idle_exit_ms = 0    ; flag" in out, f"'0' alone is fine ({err[-300:]!r})")
    for name in sorted(os.listdir(os.path.join(repo, "config"))):
        if not name.endswith(".ini"):
            continue
        path = os.path.join(repo, "config", name)
        rc, out, err = run(["--", "--config", path, "--accept-unknown-leader", "--print-config"])
        check(rc == 0, f"config/{name} loads (rc {rc}, {err[-400:]!r})")
        keys = [l.split("=")[0].strip() for l in open(path)
                if "=" in l and not l.lstrip().startswith((";", "#"))]
        shown = sum(1 for l in out.splitlines() if l.endswith("; config"))
        plugin_keys = sum(1 for k in keys if k == "path" or k == "vote")
        check(shown == len(keys) - plugin_keys,
              f"config/{name}: every key shows as from config ({shown} vs {len(keys) - plugin_keys})")

    # a good run: the udp driver without device options, the schedule's range
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    rc, out, err = run(eal() + ["--", "--driver", "udp", "--udp-bind", "127.0.0.1", "--udp-listen", str(port),
                                "--leader-schedule", sched, "--epoch-first-slot", "1000",
                                "--idle-exit-ms", "300", "--plugins", "none"], timeout=60)
    check(rc == 0, f"udp driver without --vdev runs (rc {rc}, {err[-400:]!r})")
    check("sofd: leader schedule: 5 slots named in 1000..1004" in err,
          f"the schedule's covered range is reported ({err[-400:]!r})")

runtime = "/var/run/dpdk" if os.geteuid() == 0 else os.path.join(
    os.environ.get("XDG_RUNTIME_DIR", "/tmp"), "dpdk")
for pf in prefixes:
    shutil.rmtree(os.path.join(runtime, pf), ignore_errors=True)

print(f"sofd config: {sof_check.checks} checks, {sof_check.failures} failed", file=sys.stderr)
sys.exit(1 if sof_check.failures or not sof_check.checks else 0)
