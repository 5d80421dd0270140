"""What the network-namespace tests (test_sofd_nic.py,
test_sofd_gossip_nic.py) share: interface counters read in a namespace,
whether AF_XDP can be had, the sanitizer environment for the af_xdp PMD.

A test script imports it from its own directory (sys.path[0]), as it does
sof_check.
"""
import glob
import os
import socket
import subprocess

AF_XDP = 44


def ifstats(ns, dev):
    """(rx_packets, tx_packets) of dev in namespace ns (as its sysfs shows);
    (-1, -1) when they cannot be read."""
    st = f"/sys/class/net/{dev}/statistics/"
    p = subprocess.run(["ip", "netns", "exec", ns, "cat", st + "rx_packets", st + "tx_packets"],
                       capture_output=True, text=True)
    v = p.stdout.split()
    return (int(v[0]), int(v[1])) if len(v) == 2 else (-1, -1)


def af_xdp_missing():
    """Why AF_XDP cannot be had here (None: it can, and sofd must run on
    it): the kernel's AF_XDP sockets, DPDK's af_xdp PMD."""
    try:
        socket.socket(AF_XDP, socket.SOCK_RAW, 0).close()
    except OSError as e:
        return f"the kernel has no AF_XDP sockets ({e})"
    if not glob.glob("/usr/lib/*/dpdk/pmds-*/librte_net_af_xdp.so*") + \
            glob.glob("/usr/local/lib*/**/librte_net_af_xdp.so*", recursive=True):
        return "DPDK's af_xdp PMD (librte_net_af_xdp) is not installed"
    return None


def af_xdp_env(env):
    """env (a dict, changed and returned) for a sofd on net_af_xdp: DPDK
    22.11's af_xdp PMD leaks libxdp's umem handle at close (so does
    dpdk-testpmd); LeakSanitizer is told to ignore that site only
    (lsan_af_xdp.supp), for sanitizer builds."""
    supp = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lsan_af_xdp.supp")
    env["LSAN_OPTIONS"] = ":".join(filter(None, [env.get("LSAN_OPTIONS"), f"suppressions={supp}"]))
    return env
