/* sofd_pipe.c: see sofd_pipe.h. The topology and the lcores: the rings,
 * the role instances and their wiring (which ring each reads and writes),
 * the lcore schedule, the input port / sockets, the lcore loop; teardown.
 * The roles themselves are one file each (sofd_pipe_int.h lists them).
 *
 * Threads: sofd_pipe_new, _open_input, _delete and the setters run on the
 * main thread outside sofd_pipe_run; lcore_main runs on every lcore with
 * role instances (the main lcore included, which also runs the monitor).
 * Hot path: the loop calls each scheduled instance's per-burst poll
 * function (the only cross-file calls it makes per turn); the monitor
 * runs once per millisecond. */
#include "sofd_pipe_int.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_pause.h>
#include <rte_ring.h>

#define SOFD_TX_DESC 512U /* TX descriptors per queue with [input] address */

/* ---- lcore loop ------------------------------------------------------------------------- */

/* One poll of a scheduled instance: its role file's per-burst function. */
static unsigned
poll_role(sofd_pipe_t *p, sofd_role_ref_t const *r) {
  switch (r->role) {
  case SOFD_ROLE_RX: return sofd_rx_poll(p, &p->rx[r->inst]);
  case SOFD_ROLE_FEC: return sofd_fec_poll(&p->fec[r->inst]);
  case SOFD_ROLE_EXTRACT: return sofd_extract_poll(&p->extract[r->inst]);
  case SOFD_ROLE_DISPATCH: return sofd_dispatch_poll(p, &p->dispatch[r->inst]);
  default: return sofd_plugins_poll(p, &p->plugins[r->inst]);
  }
}

typedef struct lcore_arg {
  sofd_pipe_t *p;
} lcore_arg_t;

static int
lcore_main(void *arg) {
  sofd_pipe_t *p = ((lcore_arg_t *)arg)->p;
  unsigned id = rte_lcore_id();
  int is_main = id == rte_get_main_lcore();
  sofd_role_ref_t const *sched = p->sched[id];
  unsigned n = p->sched_n[id];
  sofd_monitor_t mo = {0};
  mo.stats_at = rte_rdtsc();
  mo.next_stats = mo.stats_at + p->cfg->stats_ms * (p->hz / 1000);
  if (p->leaders) sof_leaders_reader_online(p->leaders, id); /* epoch tables: QSBR reader */
  while (!p->quit) {
    unsigned work = 0;
    for (unsigned i = 0; i < n; i++) {
      uint64_t t0 = rte_rdtsc();
      unsigned did = poll_role(p, &sched[i]);
      sofd_activity_t *a = sofd_activity_of(p, &sched[i]);
      if (did) {
        a->busy_cycles += rte_rdtsc() - t0;
        a->busy_polls++;
      } else {
        a->idle_polls++;
      }
      work += did;
    }
    if (is_main) {
      uint64_t now = rte_rdtsc();
      if (now >= mo.next_check) sofd_monitor_check(p, &mo, now); /* about once per ms */
    }
    if (p->leaders) sof_leaders_quiescent(p->leaders, id); /* no leader pointer held here */
    if (!work) rte_pause();
  }
  if (p->leaders) sof_leaders_reader_offline(p->leaders, id);
  return 0;
}

/* ---- construction ------------------------------------------------------------------------- */

void
sofd_pipe_set_counters(sofd_pipe_t *p, unsigned (*fn)(void *ctx, sofd_counter_t *out, unsigned cap),
                       void *ctx) {
  p->ext_ctx = ctx;
  p->ext_counters = fn;
}

void
sofd_pipe_set_epochs(sofd_pipe_t *p, uint64_t first_normal_epoch, uint64_t first_normal_slot,
                     uint64_t slots_per_epoch) {
  if (!slots_per_epoch) return;
  sofd_epoch_sched_t *next = p->epochs == &p->epochs_store[0] ? &p->epochs_store[1] : &p->epochs_store[0];
  *next = (sofd_epoch_sched_t){first_normal_epoch, first_normal_slot, slots_per_epoch};
  __atomic_store_n(&p->epochs, next, __ATOMIC_RELEASE);
}

void
sofd_pipe_set_votes(sofd_pipe_t *p, struct sof_ev_gossip_vote const *(*peek)(void *ctx), void (*pop)(void *ctx),
                    void *ctx) {
  p->vote_peek = peek;
  p->vote_pop = pop;
  p->vote_ctx = ctx;
}

void
sofd_pipe_set_topology(sofd_pipe_t *p, int (*take)(void *ctx, uint32_t *added, uint32_t *removed, uint32_t *total),
                       void *ctx) {
  p->topo_take = take;
  p->topo_ctx = ctx;
}

void
sofd_pipe_set_tick(sofd_pipe_t *p, void (*fn)(void *ctx), void *ctx) {
  p->tick = fn;
  p->tick_ctx = ctx;
}

static unsigned
ring_flags(int mode) {
  switch (mode) {
  case SOFD_RING_MODE_SP_SC: return RING_F_SP_ENQ | RING_F_SC_DEQ;
  case SOFD_RING_MODE_MP_SC: return RING_F_SC_DEQ;
  case SOFD_RING_MODE_SP_MC: return RING_F_SP_ENQ;
  default: return 0;
  }
}

static struct rte_ring *
make_ring(char const *name, sofd_ring_cfg_t const *rc, unsigned elem_sz) {
  struct rte_ring *r = elem_sz
    ? rte_ring_create_elem(name, elem_sz, rc->size, (int)rte_socket_id(), ring_flags(rc->mode))
    : rte_ring_create(name, rc->size, (int)rte_socket_id(), ring_flags(rc->mode));
  if (!r) fprintf(stderr, "sofd: cannot create ring %s (%u entries): %s\n", name, rc->size,
                  rte_strerror(rte_errno));
  return r;
}

sof_verify_t *
sofd_make_verify(sofd_cfg_t const *c, sof_leaders_t const *leaders, sof_verify_shared_t *shared) {
  char err[256];
  sof_verify_cfg_t vc = c->verify;
  vc.shared = shared;
  sof_verify_t *v = sof_verify_new(&vc, leaders, err, sizeof err);
  if (!v) fprintf(stderr, "sofd: [verify]: %s\n", err);
  return v;
}

/* The provider's messages into its ring to dispatch. Client thread. */
static int
provider_emit(void *ctx, int kind, uint64_t slot, uint64_t arg) {
  sofd_pipe_t *p = ctx;
  sofd_msg_t m = {.slot = slot, .arg = arg, .tsc = rte_rdtsc()};
  m.kind = kind == SOFD_PROV_EV_SLOT            ? SOFD_MSG_SLOT
           : kind == SOFD_PROV_EV_SLOT_COMPLETE ? SOFD_MSG_SLOT_COMPLETE
           : kind == SOFD_PROV_EV_STATUS        ? SOFD_MSG_PROVIDER_STATUS
           : kind == SOFD_PROV_EV_COMMIT        ? SOFD_MSG_PROVIDER_COMMIT
                                                : SOFD_MSG_PROVIDER_TXN;
  return rte_ring_enqueue_elem(p->prov_ring, &m, sizeof m) ? -1 : 0;
}

sofd_pipe_t *
sofd_pipe_new(sofd_cfg_t const *c, sof_leaders_t const *leaders, sof_host_t *host) {
  sofd_pipe_t *p = calloc(1, sizeof *p);
  if (!p) {
    fprintf(stderr, "sofd: out of memory\n");
    return NULL;
  }
  p->cfg = c;
  p->epochs_store[0] = (sofd_epoch_sched_t){0, 0, 432000}; /* mainnet-beta's until the RPC says */
  p->epochs = &p->epochs_store[0];
  p->leaders = leaders;
  p->host = host;
  p->hz = rte_get_tsc_hz();
  sofd_fec_refs_init(p);
  unsigned nrx = c->role_cnt[SOFD_ROLE_RX], nfec = c->role_cnt[SOFD_ROLE_FEC];
  unsigned npl = c->role_cnt[SOFD_ROLE_PLUGINS];
  int race_failed; /* feed race tables: 0..nrx-1 for rx, nrx.. for fec */
  p->race = sofd_race_new(c, leaders, nrx, nfec, &race_failed);
  p->rx = rte_zmalloc("sofd_rx", nrx * sizeof *p->rx, RTE_CACHE_LINE_SIZE);
  p->fec = rte_zmalloc("sofd_fec", nfec * sizeof *p->fec, RTE_CACHE_LINE_SIZE);
  p->extract = rte_zmalloc("sofd_extract", sizeof *p->extract, RTE_CACHE_LINE_SIZE);
  p->dispatch = rte_zmalloc("sofd_dispatch", sizeof *p->dispatch, RTE_CACHE_LINE_SIZE);
  p->plugins = rte_zmalloc("sofd_plugins", npl * sizeof *p->plugins, RTE_CACHE_LINE_SIZE);
  if (!p->rx || !p->fec || !p->extract || !p->dispatch || !p->plugins) {
    fprintf(stderr, "sofd: out of memory (role state)\n");
    goto fail;
  }
  if (race_failed) goto fail; /* sofd_race_new printed why */
  /* signed roots shared by every verifier (rx instances, fec twins): a set
   * whose shreds reach several RX queues costs one ed25519, not one per
   * queue */
  if (nrx + nfec > 1) {
    char serr[128];
    if (!(p->shared = sof_verify_shared_new(16384, serr, sizeof serr))) {
      fprintf(stderr, "sofd: %s\n", serr);
      goto fail;
    }
  }
  /* rings */
  for (unsigned i = 0; i < nfec; i++) {
    char name[32];
    snprintf(name, sizeof name, "sofd_rx_fec_%u", i);
    if (!(p->rx_fec[i] = make_ring(name, &c->ring[SOFD_RING_RX_FEC], 0))) goto fail;
  }
  if (!(p->fec_extract = make_ring("sofd_fec_extract", &c->ring[SOFD_RING_FEC_EXTRACT], sizeof(sofd_msg_t))))
    goto fail;
  if (!(p->extract_dispatch = make_ring("sofd_extract_dispatch", &c->ring[SOFD_RING_EXTRACT_DISPATCH],
                                        sizeof(sofd_msg_t))))
    goto fail;
  int want_events = sof_host_wants(host, SOF_HOOK_RAW_PACKET) || sof_host_wants(host, SOF_HOOK_SHRED);
  int want_inline = 0;
  for (unsigned i = 0; i < sof_host_plugin_cnt(host); i++)
    if (sof_host_plugin(host, i)->inline_txn) want_inline = 1;
  p->want_inline = want_inline;
  if (want_events && !(p->events = make_ring("sofd_events", &c->ring[SOFD_RING_EVENTS], 0))) goto fail;

  /* rx instances: RX queue i (or socket i), to the fec shard of each slot */
  for (unsigned i = 0; i < nrx; i++) {
    sofd_rx_inst_t *r = &p->rx[i];
    r->lcore = c->role_lcores[SOFD_ROLE_RX][i];
    r->idx = i;
    r->port = c->port_id;
    r->queue = (uint16_t)i;
    r->udp = c->driver == SOFD_DRIVER_UDP;
    r->udp_dev = &p->udp;
    r->pipe = p;
    r->to_fec = p->rx_fec;
    r->n_fec = nfec;
    r->events = p->events;
    r->race = p->race ? sof_race_group_writer(p->race, i) : NULL;
    if (sofd_rx_init(p, r)) goto fail;
  }
  /* fec instances: shard i reads rx_fec.i, all write fec_extract */
  for (unsigned i = 0; i < nfec; i++) {
    sofd_fec_inst_t *f = &p->fec[i];
    f->shard = i;
    f->lcore = c->role_lcores[SOFD_ROLE_FEC][i];
    f->in = p->rx_fec[i];
    f->out.ring = p->fec_extract;
    f->out.block = c->ring[SOFD_RING_FEC_EXTRACT].block;
    f->race = p->race ? sof_race_group_writer(p->race, nrx + i) : NULL;
    if (sofd_fec_init(p, f, want_inline)) goto fail;
  }
  /* extract, dispatch, plugins */
  p->extract->lcore = c->role_lcores[SOFD_ROLE_EXTRACT][0];
  p->extract->in = p->fec_extract;
  p->extract->out.ring = p->extract_dispatch;
  p->extract->out.block = 1;
  sofd_dispatch_inst_t *x = p->dispatch;
  x->lcore = c->role_lcores[SOFD_ROLE_DISPATCH][0];
  x->in = p->extract_dispatch;
  x->events = p->events;
  if (sofd_dispatch_init(p, x)) goto fail;
  for (unsigned i = 0; i < npl; i++) {
    p->plugins[i].lcore = c->role_lcores[SOFD_ROLE_PLUGINS][i];
    p->plugins[i].idx = i;
    p->plugins[i].cnt = npl;
  }

  /* The schedule: each lcore's role instances in pipeline order, one pass
   * per loop turn. An lcore that runs rx and a delivery role (dispatch,
   * plugins) polls the delivery roles a second time right after rx: the
   * burst's shred events reach their plugins before fec and extract take
   * on the bulk work the burst set off (a dataset's reassembly, its
   * transactions). */
  uint8_t rx_here[RTE_MAX_LCORE] = {0};
  for (unsigned i = 0; i < c->role_cnt[SOFD_ROLE_RX]; i++) rx_here[c->role_lcores[SOFD_ROLE_RX][i]] = 1;
  /* the provider's client thread (driver provider, or joined mode) and its
   * ring to dispatch */
  int provider = c->driver == SOFD_DRIVER_PROVIDER;
  if (c->provider_on) {
    if (!(p->prov_ring = rte_ring_create_elem("sofd_provider", sizeof(sofd_msg_t), 4096, (int)rte_socket_id(),
                                              RING_F_SP_ENQ | RING_F_SC_DEQ))) {
      fprintf(stderr, "sofd: provider ring: %s\n", rte_strerror(rte_errno));
      goto fail;
    }
    if (!(p->prov = sofd_provider_new(c, provider_emit, p))) goto fail;
  }
  for (int role = 0; role < SOFD_ROLE_CNT; role++) {
    /* provider driver: only the roles after extract run */
    if (provider && (role == SOFD_ROLE_RX || role == SOFD_ROLE_FEC || role == SOFD_ROLE_EXTRACT)) continue;
    for (unsigned i = 0; i < c->role_cnt[role]; i++) {
      unsigned lc = c->role_lcores[role][i];
      p->sched[lc][p->sched_n[lc]++] = (sofd_role_ref_t){.role = role, .inst = i};
    }
    if (role != SOFD_ROLE_RX) continue;
    for (int dr = SOFD_ROLE_DISPATCH; dr <= SOFD_ROLE_PLUGINS; dr++)
      for (unsigned i = 0; i < c->role_cnt[dr]; i++) {
        unsigned lc = c->role_lcores[dr][i];
        if (rx_here[lc]) p->sched[lc][p->sched_n[lc]++] = (sofd_role_ref_t){.role = dr, .inst = i};
      }
  }
  return p;
fail:
  sofd_pipe_delete(p);
  return NULL;
}

uint64_t
sofd_pipe_mbufs_needed(sofd_cfg_t const *c) {
  unsigned nrx = c->role_cnt[SOFD_ROLE_RX], nfec = c->role_cnt[SOFD_ROLE_FEC];
  unsigned lcores = 0;
  for (unsigned i = 0; i < RTE_MAX_LCORE; i++) lcores += rte_lcore_is_enabled(i);
  uint64_t need = (uint64_t)nrx * (c->rx_desc + c->burst)                          /* RX rings, a burst in hand */
                + (uint64_t)nfec * c->ring[SOFD_RING_RX_FEC].size                  /* rx -> fec rings */
                + c->ring[SOFD_RING_EVENTS].size                                   /* raw / shred events */
                + (uint64_t)nfec * ((uint64_t)c->fec_set_buffers * 64 + c->reasm_chunks) /* held by fec */
                + (uint64_t)lcores * 256 + 1024;                                   /* mempool caches, slack */
  return need;
}

/* [input] exception = tap: the tap, the rx instances' queues and the
 * service thread (sofd_exc.h). Returns 0 or -1 (message printed). */
static int
exc_start(sofd_pipe_t *p, unsigned nrx) {
  sofd_cfg_t const *c = p->cfg;
  char err[512];
  sofd_exc_cfg_t xc = {.nic_port = p->eth.port_id, .iface = c->exception_iface, .ip = c->address_ip,
                       .prefix = c->address_prefix, .queues = nrx};
  memcpy(xc.mac, p->eth.mac, 6);
  p->exc = sofd_exc_open(&xc, err, sizeof err);
  if (!p->exc) {
    fprintf(stderr, "sofd: [input] exception = tap: %s\n", err);
    return -1;
  }
  for (unsigned i = 0; i < nrx; i++) p->rx[i].exc = sofd_exc_queue(p->exc, i);
  if (sofd_exc_start(p->exc)) {
    fprintf(stderr, "sofd: [input] exception = tap: the service thread: %s\n", strerror(errno));
    sofd_exc_close(p->exc);
    p->exc = NULL;
    return -1;
  }
  fprintf(stderr, "sofd: [input] exception = tap: frames other than shreds to %s go to the kernel on %s "
          "(port %u), the kernel's frames out of port %u\n", c->address, sofd_exc_iface(p->exc),
          sofd_exc_port(p->exc), p->eth.port_id);
  return 0;
}

int
sofd_pipe_open_input(sofd_pipe_t *p) {
  sofd_cfg_t const *c = p->cfg;
  char err[512];
  unsigned nrx = c->role_cnt[SOFD_ROLE_RX];
  uint64_t need = sofd_pipe_mbufs_needed(c);
  if (c->mbufs && c->mbufs < need) {
    fprintf(stderr, "sofd: [input] mbufs: --mbufs %u is too few: the RX rings, rings and fec instances "
            "can hold %" PRIu64 " (each fec instance [fec] set_buffers * 64 + chunks = %" PRIu64
            "); give more, 'auto', or lower set_buffers / chunks\n",
            c->mbufs, need, (uint64_t)c->fec_set_buffers * 64 + c->reasm_chunks);
    return -1;
  }
  uint16_t port_id = c->port_id;
  if (c->driver == SOFD_DRIVER_PROVIDER) return sofd_provider_start(p->prov); /* no port */
  if (c->driver == SOFD_DRIVER_PRELOAD) {
    if (sof_preload_create(&p->preload, c->preload, (uint16_t)nrx, c->preload_deal, err, sizeof err)) {
      fprintf(stderr, "sofd: [input] preload (--preload): %s\n", err);
      return -1;
    }
    port_id = p->preload.port_id;
    if (c->preload_rate &&
        sof_preload_pace(&p->preload, c->preload_rate, c->preload_delay_ms, rte_get_tsc_hz(), err,
                         sizeof err)) {
      fprintf(stderr, "sofd: [input] preload_rate (--preload-rate): %s\n", err);
      sof_preload_delete(&p->preload);
      return -1;
    }
    /* the preloaded frames sit in mbufs of the pool on top of the rest */
    if (need + p->preload.packets > (1U << 30)) {
      fprintf(stderr, "sofd: [input] preload (--preload): %" PRIu64 " frames is too many\n",
              p->preload.packets);
      sof_preload_delete(&p->preload);
      return -1;
    }
    need += p->preload.packets;
    if (c->mbufs && c->mbufs < need) {
      fprintf(stderr, "sofd: [input] mbufs: --mbufs %u is too few for the preload driver: the "
              "capture's %" PRIu64 " frames and the pipeline's %" PRIu64 "; give at least %" PRIu64
              " or 'auto'\n", c->mbufs, p->preload.packets, need - p->preload.packets, need);
      sof_preload_delete(&p->preload);
      return -1;
    }
  }
  uint32_t mbufs = c->mbufs ? c->mbufs : (uint32_t)need;
  if (c->driver != SOFD_DRIVER_UDP) {
    sof_ethdev_cfg_t ec = {
      .port_id = port_id, .rx_desc = c->rx_desc, .mbufs = mbufs,
      .mbuf_cache = mbufs >= 4096 ? 256 : 0, .burst = c->burst, .rx_queues = (uint16_t)nrx,
      .priv_size = (uint16_t)SOFD_MBUF_PRIV_SZ,
      .tx_queues = c->address ? (uint16_t)nrx : 0, .tx_desc = SOFD_TX_DESC,
    };
    if (c->address && !c->mbufs) ec.mbufs += SOFD_TX_DESC * nrx; /* the TX rings hold replies */
    if (c->exception == SOFD_EXC_TAP && !c->mbufs) /* frames on their way to the kernel */
      ec.mbufs += (SOFD_EXC_RING + SOFD_EXC_BURST) * nrx;
    if (sof_ethdev_open(&p->eth, &ec, err, sizeof err)) {
      fprintf(stderr, "sofd: %s\n", err);
      sof_preload_delete(&p->preload);
      return -1;
    }
    p->pool = p->eth.pool;
    if (c->driver == SOFD_DRIVER_PRELOAD &&
        sof_preload_fill(&p->preload, p->pool, err, sizeof err)) {
      fprintf(stderr, "sofd: [input] preload (--preload): %s\n", err);
      sof_ethdev_close(&p->eth);
      sof_preload_delete(&p->preload);
      return -1;
    }
    for (unsigned i = 0; i < nrx; i++) {
      p->rx[i].port = p->eth.port_id;
      if (c->driver == SOFD_DRIVER_PRELOAD && c->preload_rate) p->rx[i].paced = &p->preload;
    }
    if (c->address) sofd_rx_nic_start(p, nrx);
    if (c->exception == SOFD_EXC_TAP && exc_start(p, nrx)) {
      sof_ethdev_close(&p->eth);
      return -1;
    }
  } else {
    if (c->burst > SOF_UDP_BURST_MAX) {
      fprintf(stderr, "sofd: [input] burst (--burst): the udp driver takes at most %u\n", SOF_UDP_BURST_MAX);
      return -1;
    }
    /* sockets hold a burst of mbufs each ahead of time */
    p->pool = rte_pktmbuf_pool_create("sofd_udp_pool", mbufs, mbufs >= 4096 ? 256 : 0,
                                      (uint16_t)SOFD_MBUF_PRIV_SZ, RTE_MBUF_DEFAULT_BUF_SIZE,
                                      (int)rte_socket_id());
    if (!p->pool) {
      fprintf(stderr, "sofd: cannot create the packet pool (%u mbufs): %s\n", mbufs,
              rte_strerror(rte_errno));
      return -1;
    }
    sof_udp_cfg_t uc = {
      .bind_addr = c->udp_bind, .port = c->udp_listen, .sockets = (uint16_t)nrx,
      .rcvbuf = c->udp_rcvbuf, .burst = (uint16_t)c->burst, .priv_off = SOFD_UDP_PRIV_OFF,
      .pool = p->pool,
    };
    if (sof_udp_open(&p->udp, &uc, err, sizeof err)) {
      fprintf(stderr, "sofd: [udp]: %s\n", err);
      rte_mempool_free(p->pool);
      p->pool = NULL;
      return -1;
    }
  }
  p->input_open = 1;
  if (p->prov && sofd_provider_start(p->prov)) return -1; /* joined mode: shreds and a provider */
  return 0;
}

/* ---- bootstrap: gossip joins through the port before the pipeline runs ---- */

typedef struct boot {
  sofd_pipe_t *p;
  atomic_int   stop;
} boot_t;

static void *
boot_thread(void *arg) {
  boot_t *b = arg;
  unsigned nrx = b->p->cfg->role_cnt[SOFD_ROLE_RX];
  while (!atomic_load_explicit(&b->stop, memory_order_acquire)) {
    unsigned n = 0;
    for (unsigned i = 0; i < nrx; i++) n += sofd_rx_poll_bootstrap(&b->p->rx[i]);
    if (!n) { /* an idle round: the join takes seconds, a frame waits at most this */
      struct timespec ts = {0, 100 * 1000};
      nanosleep(&ts, NULL);
    }
  }
  return NULL;
}

int
sofd_pipe_bootstrap(sofd_pipe_t *p, int (*until)(void *ctx), void *ctx) {
  static boot_t b;
  b.p = p;
  atomic_store(&b.stop, 0);
  pthread_t t;
  int e = pthread_create(&t, NULL, boot_thread, &b);
  if (e) {
    fprintf(stderr, "sofd: cannot start the bootstrap poller: %s\n", strerror(e));
    return -1;
  }
  int rc = until(ctx);
  atomic_store_explicit(&b.stop, 1, memory_order_release);
  pthread_join(t, NULL);
  return rc;
}

int
sofd_pipe_verify_rebuild(sofd_pipe_t *p) {
  sofd_cfg_t const *c = p->cfg;
  for (unsigned i = 0; i < c->role_cnt[SOFD_ROLE_RX]; i++) {
    sofd_rx_inst_t *r = &p->rx[i];
    sof_verify_delete(r->verify);
    if (!(r->verify = sofd_make_verify(c, p->leaders, p->shared))) return -1;
    r->warm_lines = sof_verify_enabled(r->verify) ? c->verify_warm_lines : 0;
  }
  for (unsigned i = 0; i < c->role_cnt[SOFD_ROLE_FEC]; i++) {
    sofd_fec_fini(&p->fec[i]);
    if (sofd_fec_init(p, &p->fec[i], p->want_inline)) return -1;
  }
  return 0;
}

char const *
sofd_pipe_run(sofd_pipe_t *p, volatile int *quit_signal) {
  static lcore_arg_t arg;
  arg.p = p;
  p->quit_signal = quit_signal;
  p->start_tsc = rte_rdtsc();
  unsigned id;
  RTE_LCORE_FOREACH_WORKER(id) {
    if (p->sched_n[id]) rte_eal_remote_launch(lcore_main, &arg, id);
  }
  lcore_main(&arg);
  rte_eal_mp_wait_lcore();
  sofd_exc_stop(p->exc); /* exception = tap: the service thread joined, its rings drained and counted */
  /* input still waiting when rx stopped (datagrams the kernel held, frames
   * the preload port had not served): lost at exit, counted */
  if (p->input_open && p->cfg->driver == SOFD_DRIVER_UDP) p->input_unread = sof_udp_drain(&p->udp);
  for (unsigned q = 0; q < p->preload.queues && q < SOF_PRELOAD_QUEUES_MAX; q++)
    if (p->preload.ring[q]) p->input_unread += rte_ring_count(p->preload.ring[q]);
  p->input_unread += sof_preload_unreleased(&p->preload);
  return p->stop ? p->stop : "stopped";
}

void
sofd_pipe_delete(sofd_pipe_t *p) {
  if (!p) return;
  sofd_cfg_t const *c = p->cfg;
  /* the fec instances hold mbufs: give them back before the pool goes */
  if (p->fec)
    for (unsigned i = 0; i < c->role_cnt[SOFD_ROLE_FEC]; i++) sofd_fec_fini(&p->fec[i]);
  if (p->input_open) {
    if (c->driver != SOFD_DRIVER_UDP) {
      sof_ethdev_close(&p->eth);
      sofd_exc_close(p->exc); /* after the port: its TX ring may hold the tap pool's mbufs */
      p->exc = NULL;
      sof_preload_delete(&p->preload); /* zeroed unless the preload driver */
    } else {
      sof_udp_close(&p->udp);
      rte_mempool_free(p->pool);
    }
  }
  if (p->rx)
    for (unsigned i = 0; i < c->role_cnt[SOFD_ROLE_RX]; i++) sofd_rx_fini(&p->rx[i]);
  if (p->dispatch) sofd_dispatch_fini(p->dispatch);
  sofd_provider_delete(p->prov);
  rte_ring_free(p->prov_ring);
  for (unsigned i = 0; i < SOFD_INSTANCES_MAX; i++) rte_ring_free(p->rx_fec[i]);
  rte_ring_free(p->fec_extract);
  rte_ring_free(p->extract_dispatch);
  rte_ring_free(p->events);
  rte_free(p->rx);
  rte_free(p->fec);
  rte_free(p->extract);
  rte_free(p->dispatch);
  rte_free(p->plugins);
  sof_verify_shared_delete(p->shared);
  sofd_race_delete(p->race);
  free(p);
}
