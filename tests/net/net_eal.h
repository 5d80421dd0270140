/* net_eal.h: EAL set-up and tear-down for the DPDK tests in tests/net:
 * --no-huge -m 512 --no-pci --no-shconf, a per-process file prefix, lcore
 * 0, no telemetry, quiet EAL logs, and an optional vdev. */
#ifndef SOF_TESTS_NET_EAL_H
#define SOF_TESTS_NET_EAL_H

#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "sof_test.h"

/* net_eal_init: rte_eal_init for test `name` (vdev may be NULL). Returns 0,
 * or -1 with a message on stderr. */
static inline int
net_eal_init(char *argv0, char const *name, char const *vdev) {
  char prefix[96], vdev_arg[96];
  snprintf(prefix, sizeof prefix, "--file-prefix=sof_%s_test_%d", name, (int)getpid());
  snprintf(vdev_arg, sizeof vdev_arg, "--vdev=%s", vdev ? vdev : "");
  char *eal[] = {argv0, "--no-huge", "-m", "512", "--no-pci", "--no-shconf", prefix, "-l", "0",
                 "--no-telemetry", "--log-level=lib.eal:error", vdev_arg, NULL};
  int argc = (int)(sizeof eal / sizeof eal[0]) - (vdev ? 1 : 2);
  if (rte_eal_init(argc, eal) < 0) {
    fprintf(stderr, "%s: rte_eal_init failed: %s\n", name, rte_strerror(rte_errno));
    return -1;
  }
  return 0;
}

/* net_eal_done ends the test after net_eal_init: EAL leaves its runtime
 * directory (empty with --no-shconf) behind; remove it. Returns the meson
 * verdict. */
static inline int
net_eal_done(char const *name) {
  char rundir[PATH_MAX];
  snprintf(rundir, sizeof rundir, "%s", rte_eal_get_runtime_dir());
  rte_eal_cleanup();
  rmdir(rundir);
  return sof_test_done(name);
}

#endif /* SOF_TESTS_NET_EAL_H */
