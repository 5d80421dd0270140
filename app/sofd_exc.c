/* sofd_exc.c: see sofd_exc.h. */
#include "sofd_exc.h"

#include <stddef.h>

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_bus_vdev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mempool.h>

#include "sofd_pipe.h"
#include "util/sof_json.h"

#define EXC_VDEV "net_tap_sofexc"

struct sofd_exc {
  sofd_exc_q_t *qs;
  unsigned      nq;
  uint16_t      tap;          /* the tap's port id */
  int           vdev;         /* the vdev exists (rte_vdev_uninit at close) */
  int           started;      /* the tap port is started */
  int           running;      /* the thread runs */
  volatile int  quit;
  pthread_t     thread;
  struct rte_mempool *pool;   /* the kernel's frames (tap RX) */
  struct rte_ring *from_ring; /* tap RX -> rx instance 0 */
  char          iface[SOFD_EXC_IFNAME_MAX + 1];
  /* written by the service thread */
  uint64_t to_kernel, tap_tx_full, from_kernel, from_ring_full;
  /* written by sofd_exc_stop */
  uint64_t exit_to_kernel, exit_from_kernel;
};

/* The kernel side of the tap: [input] address / prefix, up. */
static int
kernel_addr(char const *iface, uint32_t ip, uint8_t prefix, char *err, size_t err_sz) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    snprintf(err, err_sz, "socket: %s", strerror(errno));
    return -1;
  }
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", iface);
  struct sockaddr_in *sin = (struct sockaddr_in *)(void *)&ifr.ifr_addr;
  sin->sin_family = AF_INET;
  sin->sin_addr.s_addr = htonl(ip);
  char const *step = "SIOCSIFADDR";
  if (ioctl(fd, SIOCSIFADDR, &ifr) == 0) {
    step = "SIOCSIFNETMASK";
    sin->sin_addr.s_addr = htonl(prefix ? ~0U << (32 - prefix) : 0);
    if (ioctl(fd, SIOCSIFNETMASK, &ifr) == 0) {
      step = "SIOCGIFFLAGS";
      if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
        step = "SIOCSIFFLAGS";
        ifr.ifr_flags |= IFF_UP;
        if (ioctl(fd, SIOCSIFFLAGS, &ifr) == 0) step = NULL;
      }
    }
  }
  int e = errno;
  close(fd);
  if (step) {
    snprintf(err, err_sz, "%s on %s: %s", step, iface, strerror(e));
    return -1;
  }
  return 0;
}

sofd_exc_t *
sofd_exc_open(sofd_exc_cfg_t const *cfg, char *err, size_t err_sz) {
  if (!cfg->iface || !cfg->iface[0] || strlen(cfg->iface) > SOFD_EXC_IFNAME_MAX) {
    snprintf(err, err_sz, "the tap interface name must be 1-%u characters", SOFD_EXC_IFNAME_MAX);
    return NULL;
  }
  if (!cfg->queues) {
    snprintf(err, err_sz, "no rx instance");
    return NULL;
  }
  sofd_exc_t *x = calloc(1, sizeof *x);
  if (!x) {
    snprintf(err, err_sz, "out of memory");
    return NULL;
  }
  x->qs = rte_zmalloc("sof_exc_q", cfg->queues * sizeof *x->qs, RTE_CACHE_LINE_SIZE);
  if (!x->qs) {
    free(x);
    snprintf(err, err_sz, "out of memory");
    return NULL;
  }
  sofd_exc_q_t *qs = x->qs;
  x->nq = cfg->queues;
  snprintf(x->iface, sizeof x->iface, "%s", cfg->iface);
  char args[128];
  uint8_t const *m = cfg->mac;
  snprintf(args, sizeof args, "iface=%s,mac=%02x:%02x:%02x:%02x:%02x:%02x", cfg->iface, m[0], m[1],
           m[2], m[3], m[4], m[5]);
  int rc = rte_vdev_init(EXC_VDEV, args);
  if (rc) {
    snprintf(err, err_sz, "net_tap %s: %s (needs CAP_NET_ADMIN and /dev/net/tun; is the interface "
             "name taken?)", args, rte_strerror(-rc));
    goto fail;
  }
  x->vdev = 1;
  if (rte_eth_dev_get_port_by_name(EXC_VDEV, &x->tap)) {
    snprintf(err, err_sz, "net_tap %s: no port after probe", args);
    goto fail;
  }
  struct rte_eth_conf conf;
  memset(&conf, 0, sizeof conf);
  rc = rte_eth_dev_configure(x->tap, 1, 1, &conf);
  if (rc) {
    snprintf(err, err_sz, "net_tap %s: configure: %s", cfg->iface, rte_strerror(-rc));
    goto fail;
  }
  uint16_t mtu;
  if (rte_eth_dev_get_mtu(cfg->nic_port, &mtu) == 0) (void)rte_eth_dev_set_mtu(x->tap, mtu);
  int socket = rte_eth_dev_socket_id(cfg->nic_port);
  if (socket < 0) socket = (int)rte_socket_id();
  x->pool = rte_pktmbuf_pool_create("sof_exc", SOFD_EXC_POOL, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, socket);
  x->from_ring = rte_ring_create("sof_exc_from", SOFD_EXC_RING, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
  if (!x->pool || !x->from_ring) {
    snprintf(err, err_sz, "exception path pool / ring: %s", rte_strerror(rte_errno));
    goto fail;
  }
  for (unsigned i = 0; i < x->nq; i++) {
    char name[RTE_RING_NAMESIZE];
    snprintf(name, sizeof name, "sof_exc_to_%u", i);
    qs[i].to_kernel = rte_ring_create(name, SOFD_EXC_RING, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
    if (!qs[i].to_kernel) {
      snprintf(err, err_sz, "exception path ring %s: %s", name, rte_strerror(rte_errno));
      goto fail;
    }
  }
  qs[0].from_kernel = x->from_ring;
  rc = rte_eth_rx_queue_setup(x->tap, 0, SOFD_EXC_TAP_DESC, (unsigned)socket, NULL, x->pool);
  if (!rc) rc = rte_eth_tx_queue_setup(x->tap, 0, SOFD_EXC_TAP_DESC, (unsigned)socket, NULL);
  if (!rc) rc = rte_eth_dev_start(x->tap);
  if (rc) {
    snprintf(err, err_sz, "net_tap %s: queues / start: %s", cfg->iface, rte_strerror(-rc));
    goto fail;
  }
  x->started = 1;
  char why[200];
  if (kernel_addr(cfg->iface, cfg->ip, cfg->prefix, why, sizeof why)) {
    snprintf(err, err_sz, "the tap's kernel address: %s", why);
    goto fail;
  }
  return x;
fail:
  sofd_exc_close(x);
  return NULL;
}

static void *
exc_main(void *arg) {
  sofd_exc_t *x = arg;
  struct rte_mbuf *b[SOFD_EXC_BURST];
  unsigned idle_us = SOFD_EXC_IDLE_US;
  while (!x->quit) {
    unsigned moved = 0;
    /* NIC -> kernel */
    for (unsigned i = 0; i < x->nq; i++) {
      unsigned n = rte_ring_dequeue_burst(x->qs[i].to_kernel, (void **)b, SOFD_EXC_BURST, NULL);
      if (!n) continue;
      uint16_t s = rte_eth_tx_burst(x->tap, 0, b, (uint16_t)n);
      for (unsigned k = s; k < n; k++) rte_pktmbuf_free(b[k]);
      x->to_kernel += s;
      x->tap_tx_full += n - s;
      moved += n;
    }
    /* kernel -> the relaying rx instance */
    uint16_t n = rte_eth_rx_burst(x->tap, 0, b, SOFD_EXC_BURST);
    if (n) {
      unsigned s = rte_ring_enqueue_burst(x->from_ring, (void *const *)b, n, NULL);
      for (unsigned k = s; k < n; k++) rte_pktmbuf_free(b[k]);
      x->from_kernel += n;
      x->from_ring_full += n - s;
      moved += n;
    }
    if (moved) {
      idle_us = SOFD_EXC_IDLE_US;
    } else {
      usleep(idle_us);
      if (idle_us < SOFD_EXC_IDLE_MAX_US) idle_us *= 2;
    }
  }
  return NULL;
}

int
sofd_exc_start(sofd_exc_t *x) {
  x->quit = 0;
  int rc = rte_ctrl_thread_create(&x->thread, "sof-exc", NULL, exc_main, x);
  if (rc) {
    errno = rc < 0 ? -rc : rc;
    return -1;
  }
  x->running = 1;
  return 0;
}

static uint64_t
drain(struct rte_ring *r) {
  uint64_t n = 0;
  void *m;
  while (r && rte_ring_dequeue(r, &m) == 0) {
    rte_pktmbuf_free(m);
    n++;
  }
  return n;
}

void
sofd_exc_stop(sofd_exc_t *x) {
  if (!x) return;
  if (x->running) {
    x->quit = 1;
    pthread_join(x->thread, NULL);
    x->running = 0;
  }
  for (unsigned i = 0; i < x->nq; i++) {
    sofd_exc_flush(&x->qs[i]); /* the rx lcores flushed at each poll; nothing staged normally */
    x->exit_to_kernel += drain(x->qs[i].to_kernel);
  }
  x->exit_from_kernel += drain(x->from_ring);
}

void
sofd_exc_close(sofd_exc_t *x) {
  if (!x) return;
  sofd_exc_stop(x);
  if (x->started) {
    rte_eth_dev_stop(x->tap);
    x->started = 0;
  }
  if (x->vdev) {
    rte_eth_dev_close(x->tap);
    rte_vdev_uninit(EXC_VDEV);
    x->vdev = 0;
  }
  for (unsigned i = 0; i < x->nq; i++) {
    rte_ring_free(x->qs[i].to_kernel);
    x->qs[i].to_kernel = NULL;
    x->qs[i].from_kernel = NULL;
  }
  rte_ring_free(x->from_ring);
  rte_mempool_free(x->pool);
  rte_free(x->qs);
  free(x);
}

void
sofd_exc_stats(sofd_exc_t const *x, sofd_exc_stats_t *o) {
  memset(o, 0, sizeof *o);
  if (!x) return;
  for (unsigned i = 0; i < x->nq; i++) {
    sofd_exc_q_t const *q = &x->qs[i];
    o->classified += q->queued + q->ring_full;
    o->ring_full += q->ring_full;
    o->relayed += q->relayed;
    o->nic_tx_full += q->nic_tx_full;
  }
  o->to_kernel = x->to_kernel;
  o->tap_tx_full = x->tap_tx_full;
  o->exit_to_kernel = x->exit_to_kernel;
  o->from_kernel = x->from_kernel;
  o->from_ring_full = x->from_ring_full;
  o->exit_from_kernel = x->exit_from_kernel;
}

/* The drop reasons, as counter names and summary keys. */
static struct {
  char const *name, *key;
  size_t      off;
} const exc_drops[] = {
  {"ring_full", "ringFull", offsetof(sofd_exc_stats_t, ring_full)},
  {"tap_tx_full", "tapTxFull", offsetof(sofd_exc_stats_t, tap_tx_full)},
  {"exit_to_kernel", "exitToKernel", offsetof(sofd_exc_stats_t, exit_to_kernel)},
  {"from_ring_full", "fromRingFull", offsetof(sofd_exc_stats_t, from_ring_full)},
  {"nic_tx_full", "nicTxFull", offsetof(sofd_exc_stats_t, nic_tx_full)},
  {"exit_from_kernel", "exitFromKernel", offsetof(sofd_exc_stats_t, exit_from_kernel)},
};
#define EXC_DROPS (sizeof exc_drops / sizeof exc_drops[0])

static uint64_t
drop_of(sofd_exc_stats_t const *st, size_t k) {
  uint64_t v;
  memcpy(&v, (char const *)st + exc_drops[k].off, sizeof v);
  return v;
}

unsigned
sofd_exc_counters(sofd_exc_t const *x, sofd_counter_t *out, unsigned cap) {
  sofd_exc_stats_t st;
  sofd_exc_stats(x, &st);
  static struct {
    char const *name, *help;
    size_t      off;
  } const plain[] = {
    {"exc_classified", "frames the rx role handed to the exception path (not shreds)",
     offsetof(sofd_exc_stats_t, classified)},
    {"exc_to_kernel", "frames the kernel received on the exception tap", offsetof(sofd_exc_stats_t, to_kernel)},
    {"exc_from_kernel", "frames the kernel sent on the exception tap", offsetof(sofd_exc_stats_t, from_kernel)},
    {"exc_relayed", "kernel frames sent out of the port", offsetof(sofd_exc_stats_t, relayed)},
  };
  unsigned n = 0;
  for (size_t k = 0; k < sizeof plain / sizeof plain[0] && n < cap; k++, n++) {
    memset(&out[n], 0, sizeof out[n]);
    snprintf(out[n].name, sizeof out[n].name, "%s", plain[k].name);
    out[n].help = plain[k].help;
    memcpy(&out[n].value, (char const *)&st + plain[k].off, sizeof out[n].value);
  }
  for (size_t k = 0; k < EXC_DROPS && n < cap; k++, n++) {
    memset(&out[n], 0, sizeof out[n]);
    snprintf(out[n].name, sizeof out[n].name, "exc_drop_%s", exc_drops[k].name);
    out[n].help = "exception path frames dropped, by reason";
    out[n].value = drop_of(&st, k);
    out[n].family = "exc_dropped_total";
    out[n].label_key = "reason";
    snprintf(out[n].label_val, sizeof out[n].label_val, "%s", exc_drops[k].name);
  }
  return n;
}

void
sofd_exc_summary(sofd_exc_t const *x, sof_json_t *j) {
  if (!x) return;
  sofd_exc_stats_t st;
  sofd_exc_stats(x, &st);
  sof_json_key(j, "exception");
  sof_json_obj_begin(j);
  sof_json_key(j, "classified"); sof_json_u64(j, st.classified);
  sof_json_key(j, "toKernel");   sof_json_u64(j, st.to_kernel);
  sof_json_key(j, "fromKernel"); sof_json_u64(j, st.from_kernel);
  sof_json_key(j, "relayed");    sof_json_u64(j, st.relayed);
  sof_json_key(j, "drops");
  sof_json_obj_begin(j);
  for (size_t k = 0; k < EXC_DROPS; k++) {
    sof_json_key(j, exc_drops[k].key);
    sof_json_u64(j, drop_of(&st, k));
  }
  sof_json_obj_end(j);
  sof_json_obj_end(j);
}

sofd_exc_q_t *
sofd_exc_queue(sofd_exc_t *x, unsigned i) {
  return &x->qs[i];
}

uint16_t
sofd_exc_port(sofd_exc_t const *x) {
  return x->tap;
}

char const *
sofd_exc_iface(sofd_exc_t const *x) {
  return x->iface;
}

unsigned
sofd_exc_relay_burst(sofd_exc_q_t *q, uint16_t port, uint16_t queue) {
  struct rte_mbuf *b[SOFD_EXC_BURST];
  unsigned n = rte_ring_dequeue_burst(q->from_kernel, (void **)b, SOFD_EXC_BURST, NULL);
  if (!n) return 0;
  uint16_t s = rte_eth_tx_burst(port, queue, b, (uint16_t)n);
  for (unsigned k = s; k < n; k++) rte_pktmbuf_free(b[k]);
  q->relayed += s;
  q->nic_tx_full += n - s;
  return n;
}
