"""What the Python tests share: a counter of checks and sof-gen captures
with their ground truth.

A test script imports it from its own directory (sys.path[0]):
    import sof_check
    from sof_check import check
and ends with its own line from sof_check.checks and sof_check.failures.
"""
import json
import os
import subprocess
import sys

checks = 0
failures = 0


def check(cond, what):
    """Counts one check; a failed one prints "FAIL: what" on stderr.
    Returns cond."""
    global checks, failures
    checks += 1
    if not cond:
        failures += 1
        print("FAIL:", what, file=sys.stderr)
    return cond


def generate(gen, tmp, name, *opts, summary=True):
    """Runs sof-gen (path gen) into tmp/name.pcap with its ground truth
    (name.jsonl), leader schedule (name.json) and, with summary, its summary
    file (name.summary); the exit status is a check. Returns (pcap path,
    schedule path, truth records)."""
    pcap, truth, sched = (os.path.join(tmp, name + ext) for ext in (".pcap", ".jsonl", ".json"))
    extra = ["--summary", os.path.join(tmp, name + ".summary")] if summary else []
    p = subprocess.run([gen, "-o", pcap, "--truth", truth, "--leader-schedule", sched, *extra, *opts],
                       capture_output=True, text=True)
    check(p.returncode == 0, f"sof-gen {name}: {p.stderr.strip()}")
    return pcap, sched, [json.loads(l) for l in open(truth)]
