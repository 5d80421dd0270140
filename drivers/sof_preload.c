/* sof_preload.c: see sof_preload.h. */
#include "sof_preload.h"

#include <stdio.h>
#include <string.h>

#include <pcap/pcap.h>

#include <rte_bus_vdev.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "wire/sof_pkt.h"

#define PRELOAD_NAME "sofpreload"

int
sof_preload_deal_parse(char const *name) {
  if (!strcmp(name, "packet")) return SOF_PRELOAD_DEAL_PACKET;
  if (!strcmp(name, "slot")) return SOF_PRELOAD_DEAL_SLOT;
  return -1;
}

char const *
sof_preload_deal_str(int deal) {
  return deal == SOF_PRELOAD_DEAL_PACKET ? "packet" : deal == SOF_PRELOAD_DEAL_SLOT ? "slot" : "?";
}

/* The queue of frame number idx. */
static unsigned
deal_queue(sof_preload_t const *pl, uint64_t idx, u_char const *frame, uint32_t sz) {
  if (pl->deal == SOF_PRELOAD_DEAL_PACKET) return (unsigned)(idx % pl->queues);
  sof_pkt_udp_t u;
  /* a shred: 64 signature bytes, the variant, then the slot (u64 LE) */
  if (sof_pkt_parse(&u, frame, sz) || u.payload_sz < 73) return 0;
  uint64_t slot = 0;
  for (unsigned b = 0; b < 8; b++) slot |= (uint64_t)frame[u.payload_off + 65 + b] << (8 * b);
  return (unsigned)(slot % pl->queues);
}

static pcap_t *
open_capture(char const *path, char *err, size_t err_sz) {
  char pe[PCAP_ERRBUF_SIZE];
  pcap_t *pc = pcap_open_offline(path, pe);
  if (!pc) {
    snprintf(err, err_sz, "preload %s: %s", path, pe);
    return NULL;
  }
  if (pcap_datalink(pc) != DLT_EN10MB) {
    snprintf(err, err_sz, "preload %s: link type %s, sofd reads Ethernet frames (EN10MB)", path,
             pcap_datalink_val_to_name(pcap_datalink(pc)) ? pcap_datalink_val_to_name(pcap_datalink(pc)) : "?");
    pcap_close(pc);
    return NULL;
  }
  return pc;
}

/* Next frame of pc into *h / *data: 1, 0 at the end of the file, -1 with a
 * message (a read error or a frame cut short by the capture's snaplen). */
static int
next_frame(pcap_t *pc, char const *path, uint64_t idx, struct pcap_pkthdr **h, u_char const **data,
           char *err, size_t err_sz) {
  int rc = pcap_next_ex(pc, h, data);
  if (rc == PCAP_ERROR_BREAK) return 0;
  if (rc != 1) {
    snprintf(err, err_sz, "preload %s: frame %llu: %s", path, (unsigned long long)idx, pcap_geterr(pc));
    return -1;
  }
  if ((*h)->caplen != (*h)->len || (*h)->caplen > 65535) {
    snprintf(err, err_sz, "preload %s: frame %llu: %u of %u bytes captured (frames must be whole, "
             "at most 65535 bytes)", path, (unsigned long long)idx, (*h)->caplen, (*h)->len);
    return -1;
  }
  return 1;
}

static void
free_ring(struct rte_ring **r) {
  if (!*r) return;
  void *m;
  while (rte_ring_dequeue(*r, &m) == 0) rte_pktmbuf_free(m);
  rte_ring_free(*r);
  *r = NULL;
}

static void
free_rings(sof_preload_t *pl) {
  for (unsigned q = 0; q < SOF_PRELOAD_QUEUES_MAX; q++) {
    free_ring(&pl->ring[q]);
    free_ring(&pl->stage[q]);
  }
}

int
sof_preload_pace(sof_preload_t *pl, uint64_t pps, uint64_t delay_ms, uint64_t tsc_hz, char *err,
                 size_t err_sz) {
  if (pps < 1 || pps > 1000000000ULL || delay_ms > 3600000 || !tsc_hz) {
    snprintf(err, err_sz, "preload %s: a rate of %llu frames/s (1 .. 1e9) after %llu ms (at most 3600000)",
             pl->path, (unsigned long long)pps, (unsigned long long)delay_ms);
    return -1;
  }
  for (unsigned q = 0; q < pl->queues; q++) {
    char name[RTE_RING_NAMESIZE];
    snprintf(name, sizeof name, PRELOAD_NAME "_s%u", q);
    pl->stage[q] = rte_ring_create(name, rte_ring_get_capacity(pl->ring[q]), (int)rte_socket_id(),
                                   RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
    if (!pl->stage[q]) {
      snprintf(err, err_sz, "preload %s: ring %s: %s", pl->path, name, rte_strerror(rte_errno));
      for (unsigned i = 0; i < q; i++) free_ring(&pl->stage[i]);
      return -1;
    }
  }
  pl->pps = pps;
  pl->tsc_hz = tsc_hz;
  pl->delay_tsc = (uint64_t)((unsigned __int128)delay_ms * tsc_hz / 1000);
  return 0;
}

unsigned
sof_preload_release(sof_preload_t *pl, unsigned q, uint64_t tsc) {
  if (!pl->pps) return 0;
  if (!pl->t0[q]) pl->t0[q] = tsc + pl->delay_tsc;
  if (tsc < pl->t0[q]) return 0;
  /* this queue's share, pps / queues, without truncating it */
  uint64_t due = (uint64_t)((unsigned __int128)(tsc - pl->t0[q]) * pl->pps /
                            ((unsigned __int128)pl->tsc_hz * pl->queues)) + 1;
  if (due <= pl->released[q]) return 0;
  uint64_t n = due - pl->released[q];
  void *objs[256];
  unsigned got = rte_ring_dequeue_burst(pl->stage[q], objs, n < 256 ? (unsigned)n : 256U, NULL);
  if (!got) return 0;
  rte_ring_enqueue_bulk(pl->ring[q], objs, got, NULL); /* sized for all of the queue's frames */
  pl->released[q] += got;
  return got;
}

uint64_t
sof_preload_unreleased(sof_preload_t const *pl) {
  uint64_t n = 0;
  for (unsigned q = 0; q < pl->queues && q < SOF_PRELOAD_QUEUES_MAX; q++)
    if (pl->stage[q]) n += rte_ring_count(pl->stage[q]);
  return n;
}

int
sof_preload_create(sof_preload_t *pl, char const *path, uint16_t queues, int deal, char *err,
                   size_t err_sz) {
  memset(pl, 0, sizeof *pl);
  if (queues < 1 || queues > SOF_PRELOAD_QUEUES_MAX) {
    snprintf(err, err_sz, "preload: %u RX queues; net_ring takes 1 to %u", queues, SOF_PRELOAD_QUEUES_MAX);
    return -1;
  }
  if (deal != SOF_PRELOAD_DEAL_PACKET && deal != SOF_PRELOAD_DEAL_SLOT) {
    snprintf(err, err_sz, "preload: deal %d is not packet or slot", deal);
    return -1;
  }
  pl->deal = deal;
  if (snprintf(pl->path, sizeof pl->path, "%s", path) >= (int)sizeof pl->path) {
    snprintf(err, err_sz, "preload: path longer than %zu bytes", sizeof pl->path - 1);
    return -1;
  }
  pl->queues = queues;
  pcap_t *pc = open_capture(path, err, err_sz);
  if (!pc) return -1;
  struct pcap_pkthdr *h;
  u_char const *data;
  int rc;
  while ((rc = next_frame(pc, path, pl->packets, &h, &data, err, err_sz)) == 1) {
    pl->per_queue[deal_queue(pl, pl->packets, data, h->caplen)]++;
    pl->packets++;
    pl->bytes += h->caplen;
    if (h->caplen > pl->max_frame) pl->max_frame = h->caplen;
  }
  pcap_close(pc);
  if (rc < 0) return -1;
  if (!pl->packets) {
    snprintf(err, err_sz, "preload %s: no frames", path);
    return -1;
  }
  for (unsigned q = 0; q < queues; q++) {
    uint64_t cnt = pl->per_queue[q] ? pl->per_queue[q] : 1; /* a queue may get nothing */
    if (cnt > RTE_RING_SZ_MASK) {
      snprintf(err, err_sz, "preload %s: %llu frames for queue %u; a ring holds at most %u", path,
               (unsigned long long)cnt, q, (unsigned)RTE_RING_SZ_MASK);
      free_rings(pl);
      return -1;
    }
    char name[RTE_RING_NAMESIZE];
    snprintf(name, sizeof name, PRELOAD_NAME "_%u", q);
    pl->ring[q] = rte_ring_create(name, (unsigned)cnt, (int)rte_socket_id(),
                                  RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
    if (!pl->ring[q]) {
      snprintf(err, err_sz, "preload %s: ring %s of %llu entries: %s", path, name,
               (unsigned long long)cnt, rte_strerror(rte_errno));
      free_rings(pl);
      return -1;
    }
  }
  snprintf(pl->vdev, sizeof pl->vdev, "net_ring_" PRELOAD_NAME);
  /* net_ring wants at least one TX ring; sof_ethdev configures no TX queue */
  int port = rte_eth_from_rings(PRELOAD_NAME, pl->ring, queues, pl->ring, 1, rte_socket_id());
  if (port < 0) {
    snprintf(err, err_sz, "preload %s: cannot create the net_ring port %s: %s", path, pl->vdev,
             rte_strerror(rte_errno));
    free_rings(pl);
    return -1;
  }
  pl->port_id = (uint16_t)port;
  pl->port_made = 1;
  return 0;
}

int
sof_preload_fill(sof_preload_t *pl, struct rte_mempool *pool, char *err, size_t err_sz) {
  uint32_t room = rte_pktmbuf_data_room_size(pool) - RTE_PKTMBUF_HEADROOM;
  if (pl->max_frame > room) {
    snprintf(err, err_sz, "preload %s: a frame of %u bytes; the pool's mbufs hold %u", pl->path,
             pl->max_frame, room);
    return -1;
  }
  pcap_t *pc = open_capture(pl->path, err, err_sz);
  if (!pc) return -1;
  struct pcap_pkthdr *h;
  u_char const *data;
  int rc;
  uint64_t i = 0;
  while ((rc = next_frame(pc, pl->path, i, &h, &data, err, err_sz)) == 1) {
    if (i == pl->packets || h->caplen > room) {
      snprintf(err, err_sz, "preload %s: the file changed since it was scanned", pl->path);
      rc = -1;
      break;
    }
    struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
    if (!m) {
      snprintf(err, err_sz, "preload %s: the packet pool ran out after %llu of %llu frames "
               "(give --mbufs auto or more)", pl->path, (unsigned long long)i,
               (unsigned long long)pl->packets);
      rc = -1;
      break;
    }
    memcpy(rte_pktmbuf_mtod(m, void *), data, h->caplen);
    m->data_len = (uint16_t)h->caplen;
    m->pkt_len = h->caplen;
    m->port = pl->port_id;
    /* sized for its share in create: full only when the file changed */
    unsigned q = deal_queue(pl, i, data, h->caplen);
    if (rte_ring_enqueue(pl->pps ? pl->stage[q] : pl->ring[q], m)) {
      rte_pktmbuf_free(m);
      snprintf(err, err_sz, "preload %s: ring %u is full: the file changed since it was scanned",
               pl->path, q);
      rc = -1;
      break;
    }
    i++;
    pl->loaded = i;
  }
  pcap_close(pc);
  if (rc < 0) return -1;
  if (i != pl->packets) {
    snprintf(err, err_sz, "preload %s: the file changed since it was scanned (%llu frames, then %llu)",
             pl->path, (unsigned long long)pl->packets, (unsigned long long)i);
    return -1;
  }
  return 0;
}

void
sof_preload_delete(sof_preload_t *pl) {
  if (pl->port_made) {
    /* after sof_ethdev_close the port is released and this only drops the
     * vdev; otherwise the PMD's remove closes the port */
    rte_vdev_uninit(pl->vdev);
    pl->port_made = 0;
  }
  free_rings(pl);
}
