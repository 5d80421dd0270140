#!/usr/bin/env python3
"""Reed-Solomon against an independent oracle: the reed-solomon-erasure
crate built to wasm (npm @digitaldefiance/reed-solomon-erasure.wasm, pinned
in tests/oracle/package.json, installed by tools/install-oracles.sh).
tests/oracle/rs_oracle.mjs has the oracle encode random data that rs_tool
rebuilds after random losses, and rebuild what rs_tool encoded, for many
(k, m) with k + m <= 256; see there. It runs once with the kernel chosen at
run time, then once more for every other kernel this CPU runs (rs_tool
kernels; SOF_RS_KERNEL set for rs_tool), fewer cases each.

usage: test_oracle_rs.py RS_TOOL
Environment: SOF_ORACLE_SEED (default: the script's fixed seed),
SOF_ORACLE_CASES (default 160).
Exit status: 0 pass, 1 fail, 77 skipped (no node >= 18, or the npm package
not installed).
"""
import os
import shutil
import subprocess
import sys

SKIP = 77
PKG = "@digitaldefiance/reed-solomon-erasure.wasm"


def skip(why):
    print(f"oracle_rs: SKIP: {why}", file=sys.stderr)
    sys.exit(SKIP)


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    tool = sys.argv[1]
    here = os.path.dirname(os.path.abspath(__file__))
    script = os.path.join(here, "oracle", "rs_oracle.mjs")
    node = shutil.which("node")
    if not node:
        skip("node not found in PATH (install nodejs, then tools/install-oracles.sh)")
    try:
        ver = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30).stdout
        major = int(ver.strip().lstrip("v").split(".")[0])
    except (OSError, ValueError, subprocess.TimeoutExpired):
        skip("cannot tell the node version")
    if major < 18:
        skip(f"node {ver.strip()} is older than 18, which {PKG} needs")
    if not os.path.isdir(os.path.join(here, "oracle", "node_modules", *PKG.split("/"))):
        skip(f"{PKG} is not installed in tests/oracle/node_modules (run tools/install-oracles.sh)")

    k = subprocess.run([tool, "kernels"], capture_output=True, text=True, timeout=30)
    if k.returncode != 0 or "portable" not in k.stdout.split():
        print(f"oracle_rs: FAIL (rs_tool kernels: exit {k.returncode})", file=sys.stderr)
        return 1
    cases = int(os.environ.get("SOF_ORACLE_CASES", "160"))
    runs = [(None, cases)] + [(name, max(20, cases // 3)) for name in k.stdout.split() if name != "portable"]
    for kern, n in runs:
        args = [node, script, tool, "--cases", str(n)]
        if os.environ.get("SOF_ORACLE_SEED"):
            args += ["--seed", os.environ["SOF_ORACLE_SEED"]]
        env = dict(os.environ)
        env.pop("SOF_RS_KERNEL", None)
        if kern:
            env["SOF_RS_KERNEL"] = kern
        print(f"oracle_rs: kernel {kern or 'run-time choice'}, {n} cases", flush=True)
        p = subprocess.run(args, env=env)
        if p.returncode == SKIP:
            skip("rs_oracle.mjs could not load the package")
        if p.returncode != 0:
            print(f"oracle_rs: FAIL (rs_oracle.mjs exit {p.returncode}, kernel {kern})", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
