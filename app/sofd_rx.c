/* sofd_rx.c: the rx role, one instance per RX queue (ethdev) or UDP
 * socket (udp driver), polled by the lcore [topology] rx assigns it.
 *
 * Per burst (sofd_rx_poll): receive, then in rounds of RX_ROUND frames:
 *   rx_frame      frame classification: every received frame is counted
 *                 once here and is either a UDP payload to a shred port
 *                 (on to slot admission) or not a shred (rx_not_shred:
 *                 counted, answered when it is ARP / ICMP echo for
 *                 [input] address, else freed);
 *   slot admission (sof_slotwin) on the slot peeked at its fixed offset;
 *   verification of the round as one burst (sof_verify_shreds_from);
 *   rx_shred      the verdict, dedupe, the events reference, the rx_fec
 *                 ring of the slot's fec shard: exactly one counter moves.
 * Replies ([input] address) go out on the instance's own TX queue once per
 * burst (rx_tx_flush), never blocking.
 *
 * Contract: state (sofd_rx_inst_t, sofd_pipe_int.h) is written by its lcore
 * only; counters are read racily by the monitor, telemetry and leaders
 * threads. Hot path: no allocation, lock, log line or system call per
 * packet (the udp driver makes one recvmmsg per burst); per-packet helpers
 * are static here so they inline into sofd_rx_poll. */
#include "sofd_pipe_int.h"

#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_devargs.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

_Static_assert(sizeof(sof_udp_meta_t) <= SOFD_UDP_META_ROOM, "the udp driver's metadata fits its room");

static inline uint64_t
rx_now_ns(sofd_rx_inst_t const *r, uint64_t tsc) {
  return (uint64_t)(((__uint128_t)tsc * r->ns_per_cycle_q32) >> 32);
}

/* A packet the rx role drops: a UDP payload still makes a raw_packet event
 * when one is wanted (the events ring takes over the reference). */
static inline void
rx_drop(sofd_rx_inst_t *r, struct rte_mbuf *m, int raw) {
  if (raw) {
    sofd_meta_t *meta = rte_mbuf_to_priv(m);
    meta->events = SOFD_EV_RAW;
    if (rte_ring_enqueue(r->events, m) == 0) {
      r->events_sent++;
      return;
    }
    r->events_dropped++;
  }
  rte_pktmbuf_free(m);
}

/* The replies of a poll, sent on this instance's own TX queue without
 * blocking: what the ring does not take is freed and counted. */
static void
rx_tx_flush(sofd_rx_inst_t *r) {
  uint16_t s = rte_eth_tx_burst(r->port, r->queue, r->tx, r->tx_n);
  r->tx_sent += s;
  for (uint16_t i = s; i < r->tx_n; i++) rte_pktmbuf_free(r->tx[i]);
  r->tx_dropped += (uint64_t)(r->tx_n - s);
  r->tx_n = 0;
}

/* A frame the shred parser refused (not_ipv4, not_udp) on a port with an
 * address: an ARP request for it or an ICMP echo request to it becomes the
 * reply in the same mbuf, queued for rx_tx_flush. Returns 1 when it took
 * the mbuf; the frame stays counted under its parser reason. */
static int
rx_nic(sofd_rx_inst_t *r, struct rte_mbuf *m, uint64_t now) {
  uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
  int cls = sof_arp_classify(&r->host, f, m->data_len);
  size_t len;
  if (cls == SOF_ARP_REQUEST) {
    len = sof_arp_reply(&r->host, f, m->data_len);
    r->arp_replies++;
  } else if (cls == SOF_ARP_ICMP_ECHO) {
    if (r->icmp_tat < now) r->icmp_tat = now;
    if (!r->icmp_interval || r->icmp_tat - now + r->icmp_interval > r->icmp_burst) {
      r->icmp_limited++;
      return 0;
    }
    r->icmp_tat += r->icmp_interval;
    len = sof_arp_icmp_reply(&r->host, f, m->data_len);
    r->icmp_replies++;
  } else {
    return 0;
  }
  m->data_len = (uint16_t)len;
  m->pkt_len = (uint32_t)len;
  r->tx[r->tx_n++] = m;
  if (r->tx_n == SOFD_BURST_MAX) rx_tx_flush(r);
  return 1;
}

/* A received frame that is not a shred candidate, its counter already
 * moved (pkt_err: the parser's SOF_PKT_ERR_* reason, < 0; 0: a UDP
 * datagram to a port not in [input] udp_ports, counted wrong_port). The
 * one place non-shred frames go: with [input] address, ARP requests for it
 * and ICMP echo requests to it are answered (rx_nic); anything else is
 * freed here. */
static void
rx_not_shred(sofd_rx_inst_t *r, struct rte_mbuf *m, uint64_t now, int pkt_err) {
  /* exception = tap: every frame that is not a shred is the kernel's */
  if (unlikely(r->exc != NULL)) {
    sofd_exc_put(r->exc, m);
    return;
  }
  if (r->nic && (pkt_err == SOF_PKT_ERR_NOT_IPV4 || pkt_err == SOF_PKT_ERR_NOT_UDP) && rx_nic(r, m, now))
    return;
  rte_pktmbuf_free(m);
}

/* Phase 1, frame classification: one received frame (or bare UDP payload
 * for the udp driver) is counted received, then either dropped as
 * multi-segment, handed to rx_not_shred (the parser refused it, or UDP to
 * another port), or is a UDP payload to a shred port: returns 1 with the
 * metadata (source, ports, payload, rx time) filled, for slot admission
 * and verification. Returns 0 when the frame left here (its counter
 * moved). */
static inline int
rx_frame(sofd_rx_inst_t *r, struct rte_mbuf *m, uint64_t now) {
  r->packets++;
  r->bytes += m->pkt_len;
  if (unlikely(m->nb_segs != 1)) {
    r->drop[SOFD_RX_DROP_MULTI_SEGMENT]++;
    rte_pktmbuf_free(m);
    return 0;
  }
  sofd_meta_t *meta = rte_mbuf_to_priv(m);
  uint8_t const *frame = rte_pktmbuf_mtod(m, uint8_t const *);
  if (r->udp) {
    sof_udp_meta_t const *um = sof_udp_meta(m, SOFD_UDP_PRIV_OFF);
    meta->src_ip = rte_be_to_cpu_32(um->src_ip);
    meta->src_port = um->src_port;
    meta->dst_port = um->dst_port;
    meta->payload_off = 0;
    meta->payload_sz = (uint16_t)m->data_len;
  } else {
    sof_pkt_udp_t u;
    int err = sof_pkt_parse(&u, frame, m->data_len);
    if (unlikely(err)) {
      r->pkt_err[-err]++;
      rx_not_shred(r, m, now, err);
      return 0;
    }
    meta->src_ip = u.src_ip;
    meta->src_port = u.src_port;
    meta->dst_port = u.dst_port;
    meta->payload_off = (uint16_t)u.payload_off;
    meta->payload_sz = (uint16_t)u.payload_sz;
    /* exception = tap: UDP to another address is the kernel's */
    if (unlikely(r->exc != NULL) && u.dst_ip != r->host.ip) {
      r->drop[SOFD_RX_DROP_NOT_OUR_ADDRESS]++;
      sofd_exc_put(r->exc, m);
      return 0;
    }
  }
  if (r->udp_port_cnt) {
    unsigned k = 0;
    while (k < r->udp_port_cnt && r->udp_ports[k] != meta->dst_port) k++;
    if (k == r->udp_port_cnt) {
      r->drop[SOFD_RX_DROP_WRONG_PORT]++;
      rx_not_shred(r, m, now, 0);
      return 0;
    }
  }
  meta->rx_tsc = now;
  return 1;
}

/* A shred whose slot has no known leader: remembered (the latest slot)
 * and tallied by epoch. Off the common path. */
static void
rx_unknown(sofd_rx_inst_t *r, uint64_t slot) {
  r->unknown_slot = slot + 1;
  sofd_epoch_sched_t const *es = __atomic_load_n(&r->pipe->epochs, __ATOMIC_ACQUIRE);
  uint64_t e = slot < es->first_normal_slot ? 0
               : es->first_normal_epoch + (slot - es->first_normal_slot) / es->slots_per_epoch;
  unsigned k = 0, low = 0;
  for (; k < SOFD_UNK_EPOCHS && r->unk_epoch[k].epoch_plus1 != e + 1; k++)
    if (r->unk_epoch[k].epoch_plus1 < r->unk_epoch[low].epoch_plus1) low = k;
  if (k == SOFD_UNK_EPOCHS) {
    k = low;
    r->unk_epoch[k].epoch_plus1 = e + 1;
    r->unk_epoch[k].cnt = 0;
  }
  r->unk_epoch[k].cnt++;
}

/* Phase 3, one verified UDP payload: the verdict, dedupe, on to fec.
 * Exactly one counter moves. */
static inline void
rx_shred(sofd_rx_inst_t *r, struct rte_mbuf *m, sof_shred_t const *s, int res, sof_verify_info_t const *vi,
         int probe, uint64_t now) {
  int raw = r->want_raw;
  sofd_meta_t *meta = rte_mbuf_to_priv(m);
  uint8_t const *payload = rte_pktmbuf_mtod(m, uint8_t const *) + meta->payload_off;
  if (unlikely(res == SOF_VERIFY_MALFORMED)) {
    int e = -vi->parse_err;
    r->malformed[e > 0 && e <= SOF_SHRED_ERR_CNT ? e : 0]++;
    rx_drop(r, m, raw);
    return;
  }
  if (unlikely(res == SOF_VERIFY_UNKNOWN_LEADER)) rx_unknown(r, s->slot);
  if (unlikely(!sof_verify_accepted(r->verify, res))) {
    r->rejected[res]++;
    rx_drop(r, m, raw);
    return;
  }
  sof_slotwin_sample(&r->win, s->slot);
  if (probe) {
    /* outside the window: it served as a sample, it goes no further */
    r->drop[sof_slotwin_outside_class(&r->win, s->slot) == SOF_SLOTWIN_AHEAD ? SOFD_RX_DROP_SLOT_AHEAD
                                                                              : SOFD_RX_DROP_SLOT_BEHIND]++;
    rx_drop(r, m, raw);
    return;
  }
  if (r->dedupe) {
    uint64_t tip = sof_slotwin_tip(&r->win);
    if (tip != r->dedupe_tip) {
      r->dedupe_tip = tip;
      sof_dedupe_set_tip(r->dedupe, tip);
    }
    /* feed race: the source's row rides into the dedupe entry; the
     * verdict and the first copy's source and time are recorded */
    uint32_t rsrc = sofd_race_rx_source(r->race, meta->src_ip, meta->src_port);
    sof_dedupe_first_t first;
    /* the time of arrival: the kernel's receive time with the udp driver
     * (a burst read late still tells when each datagram came), else the
     * burst's */
    uint64_t t_ns = rx_now_ns(r, now);
    if (r->udp) {
      uint64_t k = sof_udp_meta(m, SOFD_UDP_PRIV_OFF)->rx_ns;
      if (k) t_ns = k;
    }
    int d = sof_dedupe_check_src(r->dedupe, s->slot, s->idx, s->fec_set_idx, s->version, s->variant,
                                 payload, t_ns, (uint16_t)rsrc, &first);
    sofd_race_rx_record(r->race, rsrc, s->slot, d, &first);
    if (d != SOF_DEDUPE_NEW) {
      r->drop[d == SOF_DEDUPE_DUPLICATE ? SOFD_RX_DROP_DUPLICATE
              : d == SOF_DEDUPE_CONFLICT ? SOFD_RX_DROP_CONFLICT : SOFD_RX_DROP_STALE]++;
      rx_drop(r, m, raw);
      return;
    }
  } else if (r->race) { /* feed race without dedupe: received only */
    sof_race_received(r->race, sof_race_source(r->race, meta->src_ip, meta->src_port), s->slot);
  }
  meta->verify = (int8_t)res;
  meta->shred = *s;
  meta->root_valid = vi->root_valid;
  meta->leaf_valid = vi->leaf_valid;
  meta->conflict = vi->conflict;
  if (vi->root_valid) memcpy(meta->root, vi->root, 32);
  if (vi->leaf_valid) memcpy(meta->leaf, vi->leaf, 32);
  /* a second reference for the dispatch role's raw_packet / shred events,
   * taken (and the metadata complete) before fec can see the mbuf */
  int ev = raw || r->want_shred;
  if (ev) {
    meta->events = (uint8_t)((raw ? SOFD_EV_RAW : 0) | (r->want_shred ? SOFD_EV_SHRED : 0));
    rte_mbuf_refcnt_update(m, 1);
  }
  if (unlikely(rte_ring_enqueue(r->to_fec[r->n_fec == 1 ? 0 : s->slot % r->n_fec], m) != 0)) {
    r->drop[SOFD_RX_DROP_RING_FULL]++;
    if (ev) rte_mbuf_refcnt_update(m, -1);
    rx_drop(r, m, raw);
    return;
  }
  r->verified[res]++;
  r->sent++;
  if (ev) {
    if (rte_ring_enqueue(r->events, m) == 0) {
      r->events_sent++;
    } else {
      r->events_dropped++;
      rte_pktmbuf_free(m); /* our reference only */
    }
  }
}

#define RX_ROUND 32U /* shreds verified per sof_verify_shreds call */

/* Replay input: the preload driver's rings, or net_pcap reading a file
 * (rx_pcap=): frames not read simply wait, so a full rx_fec ring is waited
 * out, not dropped. A live input (a NIC, net_pcap on an interface, the udp
 * driver's sockets) keeps receiving: what finds its rx_fec ring full is
 * dropped there (ring_full), before the fec work, rather than in the NIC
 * or kernel after they buffer it (which would delay every shred behind
 * it). Decided once, on the first poll (the port is open by then). */
static __rte_noinline int
rx_is_replay(sofd_pipe_t const *p, sofd_rx_inst_t const *r) {
  if (p->cfg->driver == SOFD_DRIVER_PRELOAD) return 1;
  if (r->udp) return 0;
  struct rte_eth_dev_info di;
  if (rte_eth_dev_info_get(r->port, &di) != 0 || !di.device) return 0;
  struct rte_devargs const *da = rte_dev_devargs(di.device);
  return di.driver_name && !strcmp(di.driver_name, "net_pcap") && da && da->args &&
         strstr(da->args, "rx_pcap=") != NULL;
}

/* Replay input: the frames this poll may read so that none can find its
 * rx_fec ring full: this instance's share (1/rx instances) of the least
 * room among the rings, at most a burst. The rings only gain room from
 * fec, so the shares of all rx instances together fit. 0 (hold) when the
 * share is below hold_min (a round, or less with small rings). One
 * free-count read per ring, no atomic write. */
static inline uint16_t
rx_replay_room(sofd_rx_inst_t const *r) {
  unsigned room = UINT32_MAX;
  for (unsigned i = 0; i < r->n_fec; i++) room = RTE_MIN(room, rte_ring_free_count(r->to_fec[i]));
  room /= r->n_rx;
  return room < r->hold_min ? 0 : (uint16_t)RTE_MIN(room, (unsigned)r->burst);
}

static void
rx_hold_init(sofd_pipe_t const *p, sofd_rx_inst_t *r) {
  r->hold_full = rx_is_replay(p, r);
  r->n_rx = p->cfg->role_cnt[SOFD_ROLE_RX] ? p->cfg->role_cnt[SOFD_ROLE_RX] : 1;
  unsigned cap = UINT32_MAX;
  for (unsigned i = 0; i < r->n_fec; i++) cap = RTE_MIN(cap, rte_ring_get_capacity(r->to_fec[i]));
  unsigned m = r->burst < RX_ROUND ? r->burst : RX_ROUND;
  if (cap / r->n_rx < m) m = cap / r->n_rx;
  r->hold_min = (uint16_t)(m ? m : 1);
}

unsigned
sofd_rx_poll(sofd_pipe_t *p, sofd_rx_inst_t *r) {
  if (p->stop_rx) return 0;
  /* exception = tap: the kernel's frames out of this instance's TX queue,
   * one bounded burst (rx instance 0 only; an empty-ring check) */
  if (unlikely(r->exc != NULL)) sofd_exc_relay(r->exc, r->port, r->queue);
  if (unlikely(r->hold_full < 0)) rx_hold_init(p, r);
  uint16_t want = r->burst;
  /* replay input and fec behind: the frames wait where they are (not an
   * empty poll: idle exit must not take it for the end of the input) */
  if (r->hold_full && !(want = rx_replay_room(r))) {
    r->held_polls++;
    return 0;
  }
  if (unlikely(r->paced != NULL)) sof_preload_release(r->paced, r->queue, rte_rdtsc());
  struct rte_mbuf *pkts[SOFD_BURST_MAX];
  uint16_t n = r->udp ? sof_udp_rx_burst(r->udp_dev, r->idx, pkts, want)
                      : rte_eth_rx_burst(r->port, r->queue, pkts, want);
  if (!n) {
    r->last_empty_tsc = rte_rdtsc();
    /* idle: a step of preparing the next leader's key, or keep the
     * signature tables in cache for the next new FEC set, whose check
     * would otherwise start with their misses */
    if (!sof_verify_prepare_ahead(r->verify) && r->warm_lines) sof_verify_warm(r->verify, r->warm_lines);
    return 0;
  }
  uint64_t now = rte_rdtsc();
  r->bursts++;
  if (unlikely(!r->first_rx_tsc)) r->first_rx_tsc = now;
  r->last_rx_tsc = now;
  /* In rounds: frame every packet, verify the round's payloads as one
   * burst (merkle leaves hashed two at a time, same verdicts as one at a
   * time), then deliver each verdict. */
  for (uint16_t base = 0; base < n; base += RX_ROUND) {
    uint16_t end = (uint16_t)RTE_MIN(n, base + RX_ROUND);
    struct rte_mbuf *ok[RX_ROUND];
    void const *bufs[RX_ROUND];
    size_t szs[RX_ROUND];
    uint64_t srcs[RX_ROUND];
    uint8_t probe[RX_ROUND];
    unsigned k = 0;
    for (uint16_t i = base; i < end; i++) {
      if (i + 1 < end) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
      if (!rx_frame(r, pkts[i], now)) continue;
      sofd_meta_t const *meta = rte_mbuf_to_priv(pkts[i]);
      uint8_t const *pl = rte_pktmbuf_mtod(pkts[i], uint8_t const *) + meta->payload_off;
      /* slot admission before any state is touched: the slot sits at a
       * fixed offset in every shred variant (a payload the parser would
       * refuse as too short or of an unknown variant goes on, for
       * verification to name the reason) */
      int cls = SOF_SLOTWIN_IN;
      uint64_t slot;
      if (likely(sof_shred_precheck(pl, meta->payload_sz, &slot))) {
        cls = sof_slotwin_admit(&r->win, slot);
        if (unlikely(cls == SOF_SLOTWIN_AHEAD || cls == SOF_SLOTWIN_BEHIND)) {
          r->drop[cls == SOF_SLOTWIN_AHEAD ? SOFD_RX_DROP_SLOT_AHEAD : SOFD_RX_DROP_SLOT_BEHIND]++;
          rx_drop(r, pkts[i], r->want_raw);
          continue;
        }
      }
      ok[k] = pkts[i];
      probe[k] = cls == SOF_SLOTWIN_PROBE;
      bufs[k] = pl;
      szs[k] = meta->payload_sz;
      srcs[k] = (uint64_t)meta->src_ip << 16 | meta->src_port;
      k++;
    }
    sof_shred_t sh[RX_ROUND];
    int res[RX_ROUND];
    sof_verify_info_t vi[RX_ROUND];
    sof_verify_shreds_from(r->verify, bufs, szs, srcs, k, 0, sh, res, vi);
    /* the dedupe table is large and its keys random: start every lookup's
     * cache misses together */
    if (r->dedupe)
      for (unsigned j = 0; j < k; j++)
        if (res[j] != SOF_VERIFY_MALFORMED)
          sof_dedupe_prefetch(r->dedupe, sh[j].slot, sh[j].idx, sh[j].fec_set_idx, sh[j].version,
                              sh[j].variant);
    for (unsigned j = 0; j < k; j++) rx_shred(r, ok[j], &sh[j], res[j], &vi[j], probe[j], now);
  }
  r->act.processed += n;
  if (r->tx_n) rx_tx_flush(r);
  if (unlikely(r->exc != NULL)) sofd_exc_flush(r->exc); /* exception = tap: one ring burst */
  return n;
}

unsigned
sofd_rx_poll_bootstrap(sofd_rx_inst_t *r) {
  if (r->exc) sofd_exc_relay(r->exc, r->port, r->queue);
  if (unlikely(r->paced != NULL)) sof_preload_release(r->paced, r->queue, rte_rdtsc());
  struct rte_mbuf *pkts[SOFD_BURST_MAX];
  uint16_t n = r->udp ? sof_udp_rx_burst(r->udp_dev, r->idx, pkts, r->burst)
                      : rte_eth_rx_burst(r->port, r->queue, pkts, r->burst);
  if (!n) return 0;
  uint64_t now = rte_rdtsc();
  r->bursts++;
  if (!r->first_rx_tsc) r->first_rx_tsc = now;
  r->last_rx_tsc = now;
  for (uint16_t i = 0; i < n; i++) {
    if (!rx_frame(r, pkts[i], now)) continue; /* not a shred: counted, to the kernel */
    r->drop[SOFD_RX_DROP_BEFORE_JOIN]++;
    rte_pktmbuf_free(pkts[i]);
  }
  r->act.processed += n;
  if (r->tx_n) rx_tx_flush(r);
  if (r->exc) sofd_exc_flush(r->exc);
  return n;
}

/* ---- setup (main thread) ---------------------------------------------------------- */

int
sofd_rx_init(sofd_pipe_t *p, sofd_rx_inst_t *r) {
  sofd_cfg_t const *c = p->cfg;
  sof_host_t *host = p->host;
  r->burst = (uint16_t)c->burst;
  r->hold_full = -1; /* decided on the first poll (sofd_rx_poll) */
  r->want_raw = sof_host_wants(host, SOF_HOOK_RAW_PACKET);
  r->want_shred = sof_host_wants(host, SOF_HOOK_SHRED);
  memcpy(r->udp_ports, c->udp_ports, sizeof r->udp_ports);
  r->udp_port_cnt = c->udp_port_cnt;
  r->ns_per_cycle_q32 = (uint64_t)((1e9 / (double)p->hz) * 4294967296.0);
  if (!(r->verify = sofd_make_verify(c, p->leaders, p->shared))) return -1;
  r->warm_lines = sof_verify_enabled(r->verify) ? c->verify_warm_lines : 0;
  if (c->dedupe) {
    sof_dedupe_cfg_t dc;
    sof_dedupe_cfg_default(&dc);
    dc.capacity = c->dedupe_capacity;
    dc.ttl = c->dedupe_ttl_ms * 1000000ULL; /* rx_now_ns */
    dc.slot_window = c->dedupe_slot_window;
    char err[256];
    if (!(r->dedupe = sof_dedupe_new(&dc, err, sizeof err))) {
      fprintf(stderr, "sofd: [dedupe]: %s\n", err);
      return -1;
    }
    /* forgetting follows the window's tip, never the newest slot seen */
    r->dedupe_tip = SOF_SLOTWIN_NONE;
    sof_dedupe_set_tip(r->dedupe, SOF_SLOTWIN_NONE);
  }
  if (sof_slotwin_init(&r->win, &c->window)) {
    fprintf(stderr, "sofd: [window] quorum must be in [1, %u]\n", SOF_SLOTWIN_SAMPLES);
    return -1;
  }
  return 0;
}

void
sofd_rx_fini(sofd_rx_inst_t *r) {
  sof_verify_delete(r->verify);
  sof_dedupe_delete(r->dedupe);
  r->verify = NULL;
  r->dedupe = NULL;
}

/* [input] address: every rx instance answers on its own TX queue (its
 * RX queue's number); the ICMP budget is split over them. A gratuitous ARP
 * goes out on queue 0 before the lcores start. */
void
sofd_rx_nic_start(sofd_pipe_t *p, unsigned nrx) {
  sofd_cfg_t const *c = p->cfg;
  uint64_t hz = rte_get_tsc_hz();
  sof_arp_host_t h = {.ip = c->address_ip, .prefix = c->address_prefix};
  memcpy(h.mac, p->eth.mac, 6);
  for (unsigned i = 0; i < nrx; i++) {
    sofd_rx_inst_t *r = &p->rx[i];
    r->nic = 1;
    r->host = h;
    r->icmp_interval = c->icmp_rate ? hz * nrx / c->icmp_rate : 0;
    r->icmp_burst = RTE_MAX(hz, r->icmp_interval);
  }
  struct rte_mbuf *m = rte_pktmbuf_alloc(p->pool);
  int sent = 0;
  if (m) {
    size_t n = sof_arp_gratuitous(&h, rte_pktmbuf_mtod(m, void *), rte_pktmbuf_tailroom(m));
    m->data_len = (uint16_t)n;
    m->pkt_len = (uint32_t)n;
    sent = n && rte_eth_tx_burst(p->eth.port_id, 0, &m, 1) == 1;
    if (!sent) rte_pktmbuf_free(m);
  }
  if (c->exception == SOFD_EXC_TAP) /* the kernel answers: sofd_pipe's exc_start */
    fprintf(stderr, "sofd: [input] address %s on port %u (%02x:%02x:%02x:%02x:%02x:%02x): ARP and ICMP "
            "go to the kernel ([input] exception = tap); gratuitous ARP %s\n", c->address, p->eth.port_id,
            h.mac[0], h.mac[1], h.mac[2], h.mac[3], h.mac[4], h.mac[5], sent ? "sent" : "not sent");
  else
    fprintf(stderr, "sofd: [input] address %s on port %u (%02x:%02x:%02x:%02x:%02x:%02x): ARP and ICMP "
            "echo (%u/s) answered on %u TX queue%s; gratuitous ARP %s\n", c->address, p->eth.port_id,
            h.mac[0], h.mac[1], h.mac[2], h.mac[3], h.mac[4], h.mac[5], c->icmp_rate, nrx,
            nrx == 1 ? "" : "s", sent ? "sent" : "not sent");
}
