/* sofd_gossip.c: the gossip role (see sofd_gossip.h, docs/gossip.md). */
#define _GNU_SOURCE
#include "sofd_gossip.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <rte_telemetry.h>
#include <sodium.h>

#include "crypto/sof_ed25519.h"
#include "gossip/sof_crds.h"
#include "gossip/sof_gossip.h"
#include "gossip/sof_gossip_bloom.h"
#include "gossip/sof_gossip_vote.h"
#include "plugin/sof_plugin.h"
#include "verify/sof_cands.h"
#include "wire/sof_base58.h"

#define PEER_PING_EVERY_MS   5000U      /* an unverified peer is pinged again after */
#define PEER_PONG_TTL_MS     1280000U   /* a pong verifies a peer this long (Agave's ping cache TTL) */
#define PINGS_PER_TICK       16U
#define PUSH_FANOUT          6U         /* Agave CRDS_GOSSIP_PUSH_FANOUT */
#define PULL_FILTERS_PER_ROUND 8U       /* 1 / SAMPLE_RATE of a 64-way split */
#define PRUNE_HOLD_MS        60000U     /* a peer that pruned us gets no push for */
#define PUSH_MSG_TIMEOUT_MS  30000U     /* Agave CRDS_GOSSIP_PUSH_MSG_TIMEOUT_MS */
#define PULL_CRDS_TIMEOUT_MS 15000U     /* Agave CRDS_GOSSIP_PULL_CRDS_TIMEOUT_MS */
#define CANDS_PUBLISH_MIN_MS 1000U      /* candidate sets published at most this often */
#define VOTE_SEEN_SLOTS      16384U     /* vote values recently published (hash prefixes, direct-mapped) */

/* Every counter: name, help, gauge. */
#define GOSSIP_COUNTERS(X)                                                                              \
  X(rx_packets,          "gossip packets received", 0)                                                    \
  X(rx_kernel_dropped,   "gossip datagrams the kernel dropped (socket buffer full: SO_RXQ_OVFL)", 0)      \
  X(rx_bytes,            "gossip bytes received", 0)                                                      \
  X(rx_malformed,        "gossip packets that did not decode (by reason: rx_malformed_<reason>)", 0)      \
  X(rx_pull_requests,    "pull requests received", 0)                                                     \
  X(rx_pull_responses,   "pull responses received", 0)                                                    \
  X(rx_pushes,           "push messages received", 0)                                                     \
  X(rx_prunes,           "prune messages received", 0)                                                    \
  X(rx_pings,            "pings received", 0)                                                             \
  X(rx_pongs,            "pongs received", 0)                                                             \
  X(rx_bad_signature,    "pings, pongs, prunes with a bad signature", 0)                                  \
  X(rx_pong_unknown,     "pongs that answer no ping of ours", 0)                                          \
  X(rx_prune_other_dest,     "prunes addressed to another node", 0)                                           \
  X(values_received,     "CRDS values received", 0)                                                       \
  X(values_bad_signature,"CRDS values with a bad signature (dropped)", 0)                                   \
  X(values_expired,      "CRDS values older than the push / pull timeout (dropped)", 0)                   \
  X(values_deprecated,   "CRDS values of deprecated kinds (not kept)", 0)                                 \
  X(values_own,          "our own values echoed back (not kept)", 0)                                      \
  X(values_inserted,     "CRDS values inserted", 0)                                                       \
  X(values_updated,      "CRDS values that replaced an older one", 0)                                     \
  X(values_duplicate,    "CRDS values already held", 0)                                                   \
  X(values_outdated,     "CRDS values older than the one held", 0)                                        \
  X(values_evicted,      "CRDS records evicted at capacity", 0)                                           \
  X(values_purged,       "CRDS records purged (not refreshed within value_timeout_ms)", 0)                \
  X(node_joins,          "nodes (ContactInfo) that appeared", 0)                                          \
  X(node_leaves,         "nodes that were purged or evicted", 0)                                          \
  X(nodes_other_shred_version, "ContactInfos with another shred version (kept, not candidates)", 0)      \
  X(tx_packets,          "gossip packets sent", 0)                                                        \
  X(tx_bytes,            "gossip bytes sent", 0)                                                          \
  X(tx_errors,           "gossip packets the socket refused", 0)                                          \
  X(tx_pings,            "pings sent", 0)                                                                 \
  X(tx_pongs,            "pongs sent", 0)                                                                 \
  X(tx_pull_requests,    "pull requests sent", 0)                                                         \
  X(tx_pull_responses,   "pull responses sent (our ContactInfo)", 0)                                      \
  X(tx_pushes,           "push messages sent (our ContactInfo)", 0)                                       \
  X(ip_echo_ok,          "ip-echo exchanges that succeeded", 0)                                           \
  X(ip_echo_failed,      "ip-echo exchanges that failed", 0)                                              \
  X(nodes,               "nodes (ContactInfo records) held", 1)                                           \
  X(nodes_verified,      "nodes that answered a ping", 1)                                                 \
  X(values,              "CRDS records held (besides ContactInfo)", 1)                                    \
  X(shred_version,       "the cluster's shred version (0: not known yet)", 1)                            \
  X(candidates,          "learned-leader candidates published (nodes of the shred version + left within the grace)", 1) \
  X(candidate_publications, "candidate sets published to the verifiers", 0)                              \
  X(candidates_expired,  "nodes no longer candidates: left gossip longer than leave_grace_ms ago", 0)     \
  X(candidates_dropped,  "candidate keys cut: over nodes_max at publication, or pushed out of a full grace list", 0) \
  X(shred_version_changes, "the entrypoint (answering pings at its address) advertised another shred version: switched", 0) \
  X(votes_new,           "CRDS Vote values new to the table (inserted or newer), plugins subscribed", 0)  \
  X(votes_published,     "gossip votes queued for the gossip_vote hook", 0)                              \
  X(votes_duplicate,     "gossip votes published before (the same value again, after a purge or eviction)", 0) \
  X(votes_undecoded,     "gossip votes whose transaction has no vote instruction that decodes (published, has_vote 0)", 0) \
  X(votes_queue_full,    "gossip votes dropped: the queue to the dispatch lcore was full (votes_queue)", 0)

typedef struct gossip_ctr {
#define X(name, help, gauge) _Atomic uint64_t name;
  GOSSIP_COUNTERS(X)
#undef X
  _Atomic uint64_t malformed[SOF_GOSSIP_ERR_CNT + 1];
} gossip_ctr_t;

/* A node of the shred version that left gossip: still a candidate until
 * left_ms + leave_grace_ms. */
typedef struct departed {
  uint8_t  pubkey[32];
  uint64_t left_ms;
  uint8_t  live;             /* 0: superseded by a later leave of the same node */
} departed_t;

typedef struct peer {
  uint8_t  used;
  uint8_t  pubkey[32];
  uint8_t  ip[4];
  uint16_t port;
  uint8_t  token[32];       /* the last ping's */
  uint64_t ping_ms, pong_ms, pruned_until_ms;
} peer_t;

struct sofd_gossip {
  sofd_gossip_cfg_t cfg;
  int               fd;
  pthread_t         thr;
  int               running;
  _Atomic int       stop;
  uint8_t           kp[64];
  uint8_t           ep_ip[4];
  uint16_t          ep_port;
  uint8_t           pub_ip[4];
  _Atomic int       have_pub_ip;
  _Atomic uint32_t  shred_version;     /* 0x10000 | version once known */
  uint64_t          outset;
  sof_crds_t       *nodes, *values;
  peer_t           *peers;             /* nodes_max */
  gossip_ctr_t      c;
  _Atomic uint64_t  nodes_changed_ms;  /* last join / leave */
  _Atomic uint32_t  topo_added, topo_removed;
  pthread_mutex_t   lock;              /* the node table while wait_join reads it */
  uint64_t          rng;
  sof_gossip_msg_t  msg;
  uint8_t           own_value[512];
  int               own_value_sz;
  uint64_t          next_pull_ms, next_push_ms, next_echo_ms, next_purge_ms;
  uint64_t          sweep_pos, sweep_start_ms; /* pull slices go round the hash space in order */
  _Atomic uint64_t  sweep_done_start_ms;       /* start of the last complete sweep (0: none yet) */
  /* learned-leader candidates published to the verifiers (thread only) */
  sof_cands_t      *cands;
  uint8_t         (*cand_scratch)[32];          /* nodes_max */
  departed_t       *departed;                   /* nodes_max, a ring in leave order */
  uint32_t          dep_tail, dep_cnt;
  int               cands_dirty;
  uint64_t          cands_pub_ms;
  /* gossip votes to the dispatch lcore: a single-producer (this thread),
   * single-consumer (dispatch) ring of votes_queue events */
  sof_ev_gossip_vote_t *vq;
  uint32_t              vq_cap;               /* power of two */
  _Atomic uint32_t      vq_head, vq_tail;     /* written by the producer / the consumer */
  uint64_t             *vseen;                /* VOTE_SEEN_SLOTS hash prefixes (0: empty) */
};

#define INC(g, f) atomic_fetch_add_explicit(&(g)->c.f, 1, memory_order_relaxed)
#define ADD(g, f, n) atomic_fetch_add_explicit(&(g)->c.f, (n), memory_order_relaxed)
#define SET(g, f, v) atomic_store_explicit(&(g)->c.f, (v), memory_order_relaxed)
#define GET(g, f) atomic_load_explicit(&(g)->c.f, memory_order_relaxed)

static uint64_t
now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000U + (uint64_t)ts.tv_nsec / 1000000U;
}

static uint64_t
wall_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000U + (uint64_t)ts.tv_nsec / 1000000U;
}

static uint64_t
rnd(sofd_gossip_t *g) {
  uint64_t z = (g->rng += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

/* ---- identity and addresses ---------------------------------------------------------------- */

static int
load_identity(sofd_gossip_t *g) {
  if (!g->cfg.identity) {
    uint8_t seed[32];
    randombytes_buf(seed, sizeof seed);
    sof_ed25519_keypair_from_seed(g->kp, seed);
    return 0;
  }
  FILE *f = fopen(g->cfg.identity, "rb");
  if (!f) {
    fprintf(stderr, "sofd: [gossip] identity: cannot open '%s': %s\n", g->cfg.identity, strerror(errno));
    return -1;
  }
  char buf[2048];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  uint8_t kp[64];
  if (n == 64) {
    memcpy(kp, buf, 64);
  } else { /* a JSON array of 64 numbers (solana-keygen's file) */
    char *p = strchr(buf, '[');
    unsigned k = 0;
    while (p && k < 64) {
      p++;
      char *end;
      long v = strtol(p, &end, 10);
      if (end == p || v < 0 || v > 255) break;
      kp[k++] = (uint8_t)v;
      p = strchr(end, ',');
    }
    if (k != 64) {
      fprintf(stderr, "sofd: [gossip] identity: '%s' is neither 64 bytes nor a JSON array of 64 numbers\n",
              g->cfg.identity);
      return -1;
    }
  }
  sof_ed25519_keypair_from_seed(g->kp, kp);
  if (memcmp(g->kp + 32, kp + 32, 32)) {
    fprintf(stderr, "sofd: [gossip] identity: '%s': the public half does not match the seed\n", g->cfg.identity);
    return -1;
  }
  return 0;
}

static int
parse_hostport(char const *s, uint8_t ip[4], uint16_t *port) {
  char host[256];
  char const *colon = strrchr(s, ':');
  if (!colon || colon == s || (size_t)(colon - s) >= sizeof host) return -1;
  memcpy(host, s, (size_t)(colon - s));
  host[colon - s] = 0;
  char *end;
  long p = strtol(colon + 1, &end, 10);
  if (*end || p <= 0 || p > 65535) return -1;
  struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_DGRAM }, *res = NULL;
  if (getaddrinfo(host, NULL, &hints, &res) || !res) return -1;
  memcpy(ip, &((struct sockaddr_in *)res->ai_addr)->sin_addr, 4);
  freeaddrinfo(res);
  *port = (uint16_t)p;
  return 0;
}

/* ---- ip-echo (TCP to the entrypoint's gossip port) ---------------------------------------- */

/* Request: 4 zero bytes, IpEchoServerMessage { tcp_ports: [u16; 4],
 * udp_ports: [u16; 4] } (all 0: nothing to probe), '\n'. Response: 4 zero
 * bytes, IpEchoServerResponse { address: IpAddr, shred_version:
 * Option<u16> }. Returns 0 with the fields, -1. */
static int
ip_echo(sofd_gossip_t *g, uint8_t ip[4], int *has_sv, uint16_t *sv) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  /* from the gossip socket's address (a DPDK port's exception tap: the
   * connection leaves through the port) */
  struct sockaddr_in la = { .sin_family = AF_INET };
  if (g->cfg.bind && inet_pton(AF_INET, g->cfg.bind, &la.sin_addr) == 1 && la.sin_addr.s_addr != INADDR_ANY &&
      bind(fd, (struct sockaddr *)&la, sizeof la)) {
    close(fd);
    return -1;
  }
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(g->ep_port) };
  memcpy(&a.sin_addr, g->ep_ip, 4);
  int rc = -1;
  uint8_t resp[64];
  size_t got = 0;
  if (connect(fd, (struct sockaddr *)&a, sizeof a) && errno != EINPROGRESS) goto out;
  struct pollfd pf = { .fd = fd, .events = POLLOUT };
  if (poll(&pf, 1, 3000) != 1) goto out;
  int soerr = 0;
  socklen_t sl = sizeof soerr;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) || soerr) goto out;
  uint8_t req[21];
  memset(req, 0, sizeof req);
  req[20] = '\n';
  if (send(fd, req, sizeof req, MSG_NOSIGNAL) != (ssize_t)sizeof req) goto out;
  uint64_t deadline = now_ms() + 3000;
  while (got < sizeof resp) {
    pf.events = POLLIN;
    int left = (int)(deadline > now_ms() ? deadline - now_ms() : 0);
    if (!left || poll(&pf, 1, left) != 1) break;
    ssize_t n = recv(fd, resp + got, sizeof resp - got, 0);
    if (n <= 0) break;
    got += (size_t)n;
  }
  /* header, IpAddr::V4 tag, address, Option<u16> */
  if (got < 12 || memcmp(resp, "\0\0\0\0", 4) || resp[4] || resp[5] || resp[6] || resp[7]) goto out;
  memcpy(ip, resp + 8, 4);
  *has_sv = got >= 15 && resp[12] == 1;
  *sv = *has_sv ? (uint16_t)(resp[13] | resp[14] << 8) : 0;
  rc = 0;
out:
  close(fd);
  return rc;
}

/* ---- sending ------------------------------------------------------------------------------------ */

static void
send_to(sofd_gossip_t *g, uint8_t const ip[4], uint16_t port, void const *buf, int n) {
  if (n <= 0) return;
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
  memcpy(&a.sin_addr, ip, 4);
  if (sendto(g->fd, buf, (size_t)n, 0, (struct sockaddr *)&a, sizeof a) == n) {
    INC(g, tx_packets);
    ADD(g, tx_bytes, (uint64_t)n);
  } else {
    INC(g, tx_errors);
  }
}

/* Our ContactInfo as a signed CrdsValue (fresh wallclock). */
static void
refresh_own(sofd_gossip_t *g) {
  sof_gossip_ci_src_t s;
  memset(&s, 0, sizeof s);
  memcpy(s.pubkey, g->kp + 32, 32);
  s.wallclock = wall_ms();
  s.outset = g->outset;
  uint32_t sv = atomic_load(&g->shred_version);
  s.shred_version = (uint16_t)(sv & 0xFFFF);
  s.version = (sof_gossip_version_t){ 0, 1, 0, 0, 0, 0 };
  s.socket_cnt = 2;
  s.sockets[0] = (sof_gossip_ci_src_socket_t){ SOF_GOSSIP_SOCK_GOSSIP, { { 0 } }, g->cfg.gossip_port };
  s.sockets[1] = (sof_gossip_ci_src_socket_t){ SOF_GOSSIP_SOCK_TVU, { { 0 } }, g->cfg.tvu_port };
  memcpy(s.sockets[0].ip.b, g->pub_ip, 4);
  memcpy(s.sockets[1].ip.b, g->pub_ip, 4);
  uint8_t data[256];
  int n = sof_gossip_ci_encode(data, sizeof data, &s);
  g->own_value_sz = n > 0 ? sof_gossip_value_sign(g->own_value, sizeof g->own_value, data, (size_t)n, g->kp) : 0;
}

/* peers[i] belongs to the node record in slot i of the node table: a
 * record replaced by another node (or moved to another address) resets
 * it. */
static peer_t *
peer_of(sofd_gossip_t *g, uint32_t i) {
  sof_crds_rec_t const *r = sof_crds_slot(g->nodes, i);
  if (!r->used || !r->gossip_port) return NULL;
  peer_t *p = &g->peers[i];
  if (!p->used || p->port != r->gossip_port || memcmp(p->ip, r->gossip_ip, 4) || memcmp(p->pubkey, r->origin, 32)) {
    memset(p, 0, sizeof *p);
    p->used = 1;
    memcpy(p->pubkey, r->origin, 32);
    memcpy(p->ip, r->gossip_ip, 4);
    p->port = r->gossip_port;
  }
  return p;
}

/* The peer at a gossip address (pongs, pull requests, prunes: rare). */
static peer_t *
peer_find(sofd_gossip_t *g, uint8_t const ip[4], uint16_t port) {
  for (uint32_t i = 0; i < g->cfg.nodes_max; i++) {
    sof_crds_rec_t const *r = sof_crds_slot(g->nodes, i);
    if (!r->used || r->gossip_port != port || memcmp(r->gossip_ip, ip, 4)) continue;
    return peer_of(g, i);
  }
  return NULL;
}

static int
peer_verified(peer_t const *p, uint64_t now) {
  return p->pong_ms && p->pong_ms + PEER_PONG_TTL_MS > now;
}

/* The peer of the node with this identity at this gossip address (pongs:
 * a restarted node may share its address with its old record). */
static peer_t *
peer_by_key(sofd_gossip_t *g, uint8_t const pubkey[32], uint8_t const ip[4], uint16_t port) {
  sof_crds_rec_t const *r = sof_crds_get(g->nodes, SOF_GOSSIP_CRDS_CONTACT_INFO, pubkey, 0);
  if (!r || r->gossip_port != port || memcmp(r->gossip_ip, ip, 4)) return NULL;
  return peer_of(g, (uint32_t)(r - sof_crds_slot(g->nodes, 0)));
}

static void
send_ping(sofd_gossip_t *g, peer_t *p, uint64_t now) {
  randombytes_buf(p->token, 32);
  p->ping_ms = now;
  uint8_t buf[256];
  send_to(g, p->ip, p->port, buf, sof_gossip_ping_encode(buf, sizeof buf, g->kp, p->token));
  INC(g, tx_pings);
}

/* ---- receiving ----------------------------------------------------------------------------------- */

/* ---- learned-leader candidates (published to the verifiers) ------------------------------- */

/* The oldest entry of the grace list goes (expired, or pushed out). */
static void
departed_pop(sofd_gossip_t *g, int expired) {
  departed_t *d = &g->departed[g->dep_tail];
  if (d->live && !sof_crds_get(g->nodes, SOF_GOSSIP_CRDS_CONTACT_INFO, d->pubkey, 0)) {
    if (expired) INC(g, candidates_expired);
    else INC(g, candidates_dropped);
    g->cands_dirty = 1;
  }
  g->dep_tail = (g->dep_tail + 1) % g->cfg.nodes_max;
  g->dep_cnt--;
}

/* A node of the shred version left: it stays a candidate for the grace. */
static void
departed_push(sofd_gossip_t *g, uint8_t const pubkey[32], uint64_t now) {
  if (!g->departed) return;
  for (uint32_t k = 0, i = g->dep_tail; k < g->dep_cnt; k++, i = (i + 1) % g->cfg.nodes_max)
    if (g->departed[i].live && !memcmp(g->departed[i].pubkey, pubkey, 32)) g->departed[i].live = 0;
  if (g->dep_cnt == g->cfg.nodes_max) departed_pop(g, 0);
  departed_t *d = &g->departed[(g->dep_tail + g->dep_cnt) % g->cfg.nodes_max];
  memcpy(d->pubkey, pubkey, 32);
  d->left_ms = now;
  d->live = 1;
  g->dep_cnt++;
}

/* Expired grace entries go; a changed set is published (at most every
 * CANDS_PUBLISH_MIN_MS): the nodes of the shred version held, then those
 * that left within the grace, at most nodes_max. Gossip thread. */
static void
cands_tick(sofd_gossip_t *g, uint64_t now) {
  if (!g->cands) return;
  while (g->dep_cnt && g->departed[g->dep_tail].left_ms + g->cfg.leave_grace_ms <= now) departed_pop(g, 1);
  uint32_t sv = atomic_load(&g->shred_version);
  if (!g->cands_dirty || !(sv & 0x10000) || now < g->cands_pub_ms + CANDS_PUBLISH_MIN_MS) return;
  uint32_t n = 0, cut = 0;
  for (uint32_t i = 0; i < sof_crds_capacity(g->nodes); i++) {
    sof_crds_rec_t const *r = sof_crds_slot(g->nodes, i);
    if (!r->used || r->shred_version != (sv & 0xFFFF)) continue;
    if (n < g->cfg.nodes_max) memcpy(g->cand_scratch[n++], r->origin, 32);
    else cut++;
  }
  for (uint32_t k = 0, i = g->dep_tail; k < g->dep_cnt; k++, i = (i + 1) % g->cfg.nodes_max) {
    departed_t const *d = &g->departed[i];
    if (!d->live || sof_crds_get(g->nodes, SOF_GOSSIP_CRDS_CONTACT_INFO, d->pubkey, 0)) continue;
    if (n < g->cfg.nodes_max) memcpy(g->cand_scratch[n++], d->pubkey, 32);
    else cut++;
  }
  sof_cands_publish(g->cands, (uint8_t const(*)[32])g->cand_scratch, n, (int32_t)(sv & 0xFFFF));
  ADD(g, candidates_dropped, cut);
  INC(g, candidate_publications);
  SET(g, candidates, n);
  g->cands_dirty = 0;
  g->cands_pub_ms = now;
}

static void
node_left(void *ctx, sof_crds_rec_t const *r) {
  sofd_gossip_t *g = ctx;
  INC(g, node_leaves);
  uint64_t now = now_ms();
  atomic_fetch_add(&g->topo_removed, 1);
  atomic_store(&g->nodes_changed_ms, now);
  uint32_t sv = atomic_load(&g->shred_version);
  if ((sv & 0x10000) && r->shred_version == (sv & 0xFFFF)) departed_push(g, r->origin, now);
  /* its peer entry resets when the slot is reused (peer_of) */
}

/* A vote value new to the table: once per distinct value (hash) into the
 * queue to the dispatch lcore, when a plugin subscribes. */
static void
vote_queue(sofd_gossip_t *g, sof_gossip_value_t const *v) {
  if (!g->cfg.votes) return;
  INC(g, votes_new);
  sof_crds_rec_t const *r = sof_crds_get(g->values, SOF_GOSSIP_CRDS_VOTE, v->vote.from, v->vote.index);
  if (!r) return;
  uint64_t h;
  memcpy(&h, r->hash, 8);
  h |= 1; /* 0 marks an empty slot */
  uint64_t *seen = &g->vseen[(h >> 1) % VOTE_SEEN_SLOTS];
  if (*seen == h) { INC(g, votes_duplicate); return; }
  uint32_t head = atomic_load_explicit(&g->vq_head, memory_order_relaxed);
  uint32_t tail = atomic_load_explicit(&g->vq_tail, memory_order_acquire);
  if (head - tail >= g->vq_cap) { INC(g, votes_queue_full); return; }
  *seen = h;
  sof_ev_gossip_vote_t *ev = &g->vq[head & (g->vq_cap - 1)];
  memset(ev, 0, offsetof(sof_ev_gossip_vote_t, txn));
  memcpy(ev->from, v->vote.from, 32);
  ev->index = v->vote.index;
  ev->wallclock = v->vote.wallclock;
  ev->txn_sz = (uint16_t)(v->vote.txn_sz < SOF_EV_GOSSIP_VOTE_TXN_MAX ? v->vote.txn_sz : SOF_EV_GOSSIP_VOTE_TXN_MAX);
  memcpy(ev->txn, v->vote.txn, ev->txn_sz);
  if (ev->txn_sz > 1 + 64) memcpy(ev->signature, ev->txn + 1, 64); /* the decoder checked: 1+ signatures */
  ev->has_vote = !sof_gossip_vote_decode(ev->txn, ev->txn_sz, ev->vote_account, &ev->slot);
  if (!ev->has_vote) INC(g, votes_undecoded);
  atomic_store_explicit(&g->vq_head, head + 1, memory_order_release);
  INC(g, votes_published);
}

static void ep_version_check(sofd_gossip_t *g, uint64_t now);

static void
take_value(sofd_gossip_t *g, sof_gossip_value_t const *v, int pushed, uint64_t now) {
  INC(g, values_received);
  if (sof_gossip_value_verify(v) != SOF_GOSSIP_OK) { INC(g, values_bad_signature); return; }
  uint8_t const *origin = sof_gossip_value_origin(v);
  if (!memcmp(origin, g->kp + 32, 32)) { INC(g, values_own); return; }
  if (v->deprecated) { INC(g, values_deprecated); return; }
  uint64_t wc = sof_gossip_value_wallclock(v), wall = wall_ms();
  int is_ci = v->kind == SOF_GOSSIP_CRDS_CONTACT_INFO;
  /* Agave: pushes older than 30 s are dropped; pull responses older than
   * 15 s only when their origin's ContactInfo is not held. */
  if (pushed ? wc + PUSH_MSG_TIMEOUT_MS < wall || wc > wall + PUSH_MSG_TIMEOUT_MS
             : wc + PULL_CRDS_TIMEOUT_MS < wall && !is_ci &&
                   !sof_crds_get(g->nodes, SOF_GOSSIP_CRDS_CONTACT_INFO, origin, 0)) {
    INC(g, values_expired);
    return;
  }
  sof_crds_rec_t ev;
  pthread_mutex_lock(&g->lock);
  sof_crds_rec_t const *old = is_ci ? sof_crds_get(g->nodes, SOF_GOSSIP_CRDS_CONTACT_INFO, origin, 0) : NULL;
  int old_sv = old ? old->shred_version : -1;
  int rc = sof_crds_upsert(is_ci ? g->nodes : g->values, v, now, &ev);
  if (ev.used) {
    INC(g, values_evicted);
    if (is_ci) node_left(g, &ev);
  }
  pthread_mutex_unlock(&g->lock);
  if (v->kind == SOF_GOSSIP_CRDS_VOTE && (rc == SOF_CRDS_INSERTED || rc == SOF_CRDS_UPDATED)) vote_queue(g, v);
  switch (rc) {
  case SOF_CRDS_INSERTED:
    INC(g, values_inserted);
    if (is_ci) {
      INC(g, node_joins);
      atomic_fetch_add(&g->topo_added, 1);
      atomic_store(&g->nodes_changed_ms, now);
      uint32_t sv = atomic_load(&g->shred_version);
      if ((sv & 0x10000) && v->ci.shred_version != (sv & 0xFFFF)) INC(g, nodes_other_shred_version);
      else g->cands_dirty = 1; /* a new candidate */
    }
    break;
  case SOF_CRDS_UPDATED:
    INC(g, values_updated);
    if (is_ci && old_sv != v->ci.shred_version) g->cands_dirty = 1;
    break;
  case SOF_CRDS_DUPLICATE: INC(g, values_duplicate); break;
  default: INC(g, values_outdated); break;
  }
  if (is_ci) { /* the entrypoint's ContactInfo with another version: restarted? */
    sof_gossip_ip4_t cip;
    uint16_t cport = sof_gossip_ci_port(&v->ci, SOF_GOSSIP_SOCK_GOSSIP, &cip);
    if (cport == g->ep_port && !memcmp(cip.b, g->ep_ip, 4)) ep_version_check(g, now);
  }
  /* the entrypoint's ContactInfo gives the shred version when ip-echo did not */
  if (is_ci && !(atomic_load(&g->shred_version) & 0x10000)) {
    sof_gossip_ip4_t ip;
    uint16_t port = sof_gossip_ci_port(&v->ci, SOF_GOSSIP_SOCK_GOSSIP, &ip);
    if (port == g->ep_port && !memcmp(ip.b, g->ep_ip, 4) && v->ci.shred_version)
      atomic_store(&g->shred_version, 0x10000U | v->ci.shred_version);
  }
}

/* The entrypoint restarted with another shred version (a hard fork, a
 * cluster restart): the node at its gossip address, verified by a pong
 * there, advertises a version other than ours. We switch: our ContactInfo,
 * the peers we ping, the candidates and the verifiers' shred version (the
 * candidate publication carries it). A node claiming the entrypoint's
 * address without answering our pings there changes nothing. */
static void
ep_version_check(sofd_gossip_t *g, uint64_t now) {
  uint32_t sv = atomic_load(&g->shred_version);
  if (!(sv & 0x10000)) return;
  /* the node that answered a ping at the entrypoint's address last (an old
   * record of the address stays until purged) */
  peer_t *p = NULL;
  sof_crds_rec_t const *r = NULL;
  for (uint32_t i = 0; i < sof_crds_capacity(g->nodes); i++) {
    sof_crds_rec_t const *ri = sof_crds_slot(g->nodes, i);
    if (!ri->used || ri->gossip_port != g->ep_port || memcmp(ri->gossip_ip, g->ep_ip, 4)) continue;
    peer_t *pi = peer_of(g, i);
    if (pi && peer_verified(pi, now) && (!p || pi->pong_ms > p->pong_ms)) {
      p = pi;
      r = ri;
    }
  }
  if (!p || !r->shred_version || r->shred_version == (sv & 0xFFFF)) return;
  uint16_t from = (uint16_t)(sv & 0xFFFF), to = r->shred_version;
  atomic_store(&g->shred_version, 0x10000U | to);
  SET(g, shred_version, to);
  INC(g, shred_version_changes);
  g->cands_dirty = 1;
  g->cands_pub_ms = 0; /* publish at once */
  refresh_own(g);
  g->next_push_ms = 0; /* and tell the cluster */
  char id[64];
  sof_base58_encode_32(p->pubkey, id);
  fprintf(stderr, "sofd: gossip: the cluster's shred version changed from %u to %u (the entrypoint %s advertises "
          "it): switched\n", from, to, id);
}

static void
answer_pull(sofd_gossip_t *g, sof_gossip_msg_t const *m, uint8_t const ip[4], uint16_t port, uint64_t now) {
  peer_t *p = peer_find(g, ip, port);
  if (!p || !peer_verified(p, now)) {
    /* Agave answers only pinged nodes; so do we (the ping goes out with the
     * peer round once its ContactInfo is held) */
    return;
  }
  if (g->own_value_sz <= 0) return;
  sof_gossip_value_t own;
  size_t used;
  if (sof_gossip_value_parse(&own, g->own_value, (size_t)g->own_value_sz, &used)) return;
  uint8_t h[32];
  sof_gossip_value_hash(h, &own);
  if (sof_gossip_filter_contains(&m->filter, h)) return;
  uint8_t buf[SOF_GOSSIP_PACKET_MAX];
  send_to(g, ip, port, buf, sof_gossip_values_msg_encode(buf, sizeof buf, SOF_GOSSIP_MSG_PULL_RESPONSE, g->kp + 32,
                                                         1, g->own_value, (size_t)g->own_value_sz));
  INC(g, tx_pull_responses);
}

static void
on_packet(sofd_gossip_t *g, uint8_t const *b, size_t n, uint8_t const ip[4], uint16_t port, uint64_t now) {
  INC(g, rx_packets);
  ADD(g, rx_bytes, n);
  sof_gossip_msg_t *m = &g->msg;
  int rc = sof_gossip_parse(m, b, n);
  if (rc) {
    INC(g, rx_malformed);
    atomic_fetch_add_explicit(&g->c.malformed[-rc], 1, memory_order_relaxed);
    return;
  }
  switch (m->kind) {
  case SOF_GOSSIP_MSG_PING: {
    INC(g, rx_pings);
    if (sof_gossip_ping_verify(&m->ping)) { INC(g, rx_bad_signature); break; }
    uint8_t buf[256];
    send_to(g, ip, port, buf, sof_gossip_pong_encode(buf, sizeof buf, g->kp, m->ping.token));
    INC(g, tx_pongs);
    break;
  }
  case SOF_GOSSIP_MSG_PONG: {
    INC(g, rx_pongs);
    if (sof_gossip_pong_verify(&m->ping)) { INC(g, rx_bad_signature); break; }
    peer_t *p = peer_by_key(g, m->ping.from, ip, port);
    uint8_t h[32];
    if (p) sof_gossip_pong_hash(h, p->token);
    if (!p || !p->ping_ms || memcmp(h, m->ping.token, 32) || memcmp(p->pubkey, m->ping.from, 32)) {
      INC(g, rx_pong_unknown);
      break;
    }
    p->pong_ms = now;
    if (port == g->ep_port && !memcmp(ip, g->ep_ip, 4)) ep_version_check(g, now);
    break;
  }
  case SOF_GOSSIP_MSG_PULL_RESPONSE:
  case SOF_GOSSIP_MSG_PUSH:
    if (m->kind == SOF_GOSSIP_MSG_PUSH) INC(g, rx_pushes); else INC(g, rx_pull_responses);
    for (uint32_t i = 0; i < m->value_cnt; i++) take_value(g, &m->values[i], m->kind == SOF_GOSSIP_MSG_PUSH, now);
    break;
  case SOF_GOSSIP_MSG_PULL_REQUEST:
    INC(g, rx_pull_requests);
    take_value(g, &m->values[0], 0, now); /* the requester's ContactInfo, verified there */
    if (sof_gossip_value_verify(&m->values[0])) break;
    answer_pull(g, m, ip, port, now);
    break;
  case SOF_GOSSIP_MSG_PRUNE: {
    INC(g, rx_prunes);
    if (sof_gossip_prune_verify(&m->prune)) { INC(g, rx_bad_signature); break; }
    if (memcmp(m->prune.destination, g->kp + 32, 32)) { INC(g, rx_prune_other_dest); break; }
    /* we push only our own ContactInfo: a prune naming us stops our pushes
     * to its sender for a while */
    for (uint32_t i = 0; i < m->prune.prune_cnt; i++) {
      if (memcmp(m->prune.prunes + 32U * i, g->kp + 32, 32)) continue;
      peer_t *p = peer_find(g, ip, port);
      if (p) p->pruned_until_ms = now + PRUNE_HOLD_MS;
    }
    break;
  }
  default: break;
  }
}

/* ---- periodic work ------------------------------------------------------------------------------ */

/* Pings the peers not (or no longer) verified, a few per tick. */
static void
ping_round(sofd_gossip_t *g, uint64_t now) {
  uint32_t sv = atomic_load(&g->shred_version);
  uint32_t sent = 0, verified = 0;
  for (uint32_t i = 0; i < sof_crds_capacity(g->nodes); i++) {
    sof_crds_rec_t const *r = sof_crds_slot(g->nodes, i);
    if (!r->used || !r->gossip_port) continue;
    int ep = r->gossip_port == g->ep_port && !memcmp(r->gossip_ip, g->ep_ip, 4); /* pinged whatever its version */
    if ((sv & 0x10000) && r->shred_version != (sv & 0xFFFF) && !ep) continue;
    peer_t *p = peer_of(g, i);
    if (!p) continue;
    if (peer_verified(p, now)) { verified++; continue; }
    if (sent < PINGS_PER_TICK && (!p->ping_ms || p->ping_ms + PEER_PING_EVERY_MS <= now)) {
      send_ping(g, p, now);
      sent++;
    }
  }
  SET(g, nodes_verified, verified);
}

/* A random verified peer (NULL: none). */
static peer_t *
random_verified(sofd_gossip_t *g, uint64_t now, int for_push) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < g->cfg.nodes_max; i++) {
    peer_t *p = peer_of(g, i);
    if (p && peer_verified(p, now) && (!for_push || p->pruned_until_ms <= now)) n++;
  }
  if (!n) return NULL;
  uint32_t k = (uint32_t)(rnd(g) % n);
  for (uint32_t i = 0; i < g->cfg.nodes_max; i++) {
    peer_t *p = peer_of(g, i);
    if (p && peer_verified(p, now) && (!for_push || p->pruned_until_ms <= now) && k-- == 0) return p;
  }
  return NULL;
}

/* Pull round: a 2^mask_bits split of the hash space as Agave sizes it
 * (at least 65536 items), PULL_FILTERS_PER_ROUND random slices, each a
 * bloom filter of the hashes we hold there, each to the entrypoint or a
 * random verified peer. */
static void
pull_round(sofd_gossip_t *g, uint64_t now) {
  if (g->own_value_sz <= 0) return;
  size_t overhead = 4 + 8 + 1 + 8 + 8 + 8 + 8 + 4 + (size_t)g->own_value_sz;
  uint64_t max_bits = (uint64_t)(SOF_GOSSIP_PACKET_MAX - overhead - 8U * 8U) * 8U;
  max_bits -= max_bits % 64U;
  uint32_t max_items = sof_gossip_bloom_max_items(max_bits);
  uint64_t held = sof_crds_cnt(g->nodes) + sof_crds_cnt(g->values);
  uint64_t items = held > SOF_GOSSIP_MIN_BLOOM_ITEMS ? held : SOF_GOSSIP_MIN_BLOOM_ITEMS;
  uint32_t mask_bits = sof_gossip_bloom_mask_bits(items, max_items);
  uint64_t bits = sof_gossip_bloom_num_bits(max_items);
  if (bits > max_bits) bits = max_bits;
  uint32_t key_cnt = sof_gossip_bloom_num_keys(bits, max_items);
  if (key_cnt > 8) key_cnt = 8;
  static sof_gossip_bloom_t b;
  uint8_t pkt[SOF_GOSSIP_PACKET_MAX];
  uint64_t slices = 1ULL << mask_bits;
  for (uint32_t f = 0; f < PULL_FILTERS_PER_ROUND; f++) {
    /* slices in order: a sweep covers the whole hash space in
     * 2^mask_bits / PULL_FILTERS_PER_ROUND rounds */
    uint64_t seed = g->sweep_pos % slices;
    if (seed == 0) g->sweep_start_ms = now;
    if (++g->sweep_pos % slices == 0) atomic_store(&g->sweep_done_start_ms, g->sweep_start_ms);
    uint64_t mask = sof_gossip_filter_mask(seed, mask_bits);
    uint64_t keys[8];
    for (uint32_t k = 0; k < key_cnt; k++) keys[k] = rnd(g);
    if (sof_gossip_bloom_init(&b, bits, keys, key_cnt)) return;
    sof_crds_t *tabs[2] = { g->nodes, g->values };
    for (int t = 0; t < 2; t++)
      for (uint32_t i = 0; i < sof_crds_capacity(tabs[t]); i++) {
        sof_crds_rec_t const *r = sof_crds_slot(tabs[t], i);
        if (r->used && sof_gossip_filter_in_slice(mask, mask_bits, r->hash)) sof_gossip_bloom_add(&b, r->hash);
      }
    sof_gossip_filter_src_t src;
    sof_gossip_bloom_src(&src, &b, mask, mask_bits);
    int n = sof_gossip_pull_request_encode(pkt, sizeof pkt, &src, g->own_value, (size_t)g->own_value_sz);
    peer_t *p = (f == 0 || rnd(g) % 4 == 0) ? NULL : random_verified(g, now, 0);
    if (p) send_to(g, p->ip, p->port, pkt, n);
    else send_to(g, g->ep_ip, g->ep_port, pkt, n);
    INC(g, tx_pull_requests);
  }
}

static void
push_round(sofd_gossip_t *g, uint64_t now) {
  if (g->own_value_sz <= 0) return;
  uint8_t pkt[SOF_GOSSIP_PACKET_MAX];
  int n = sof_gossip_values_msg_encode(pkt, sizeof pkt, SOF_GOSSIP_MSG_PUSH, g->kp + 32, 1, g->own_value,
                                       (size_t)g->own_value_sz);
  peer_t *ep = peer_find(g, g->ep_ip, g->ep_port);
  if (!ep || ep->pruned_until_ms <= now) { /* the entrypoint too, unless it pruned us */
    send_to(g, g->ep_ip, g->ep_port, pkt, n);
    INC(g, tx_pushes);
  }
  for (uint32_t k = 0; k < PUSH_FANOUT; k++) {
    peer_t *p = random_verified(g, now, 1);
    if (!p) break;
    send_to(g, p->ip, p->port, pkt, n);
    INC(g, tx_pushes);
  }
}

static void *
gossip_thread(void *arg) {
  sofd_gossip_t *g = arg;
  uint8_t buf[2048];
  while (!atomic_load(&g->stop)) {
    uint64_t now = now_ms();
    if (!atomic_load(&g->have_pub_ip) || !(atomic_load(&g->shred_version) & 0x10000)) {
      if (now >= g->next_echo_ms) {
        uint8_t ip[4];
        int has_sv = 0;
        uint16_t sv = 0;
        if (!ip_echo(g, ip, &has_sv, &sv)) {
          INC(g, ip_echo_ok);
          if (!atomic_load(&g->have_pub_ip)) {
            if (!g->cfg.public_ip) memcpy(g->pub_ip, ip, 4);
            atomic_store(&g->have_pub_ip, 1);
          }
          if (has_sv && sv) atomic_store(&g->shred_version, 0x10000U | sv);
        } else {
          INC(g, ip_echo_failed);
        }
        g->next_echo_ms = now + 2000;
      }
    }
    if (atomic_load(&g->have_pub_ip)) {
      if (now >= g->next_push_ms) {
        refresh_own(g);
        push_round(g, now);
        g->next_push_ms = now + g->cfg.push_interval_ms;
      }
      if (now >= g->next_pull_ms) {
        refresh_own(g);
        ping_round(g, now);
        pull_round(g, now);
        g->next_pull_ms = now + g->cfg.pull_interval_ms;
      }
    }
    if (now >= g->next_purge_ms) {
      pthread_mutex_lock(&g->lock);
      uint32_t a = sof_crds_purge(g->nodes, now, g->cfg.value_timeout_ms, node_left, g);
      uint32_t b = sof_crds_purge(g->values, now, g->cfg.value_timeout_ms, NULL, NULL);
      pthread_mutex_unlock(&g->lock);
      ADD(g, values_purged, (uint64_t)a + b);
      g->next_purge_ms = now + 1000;
    }
    cands_tick(g, now);
    SET(g, nodes, sof_crds_cnt(g->nodes));
    SET(g, values, sof_crds_cnt(g->values));
    uint32_t sv = atomic_load(&g->shred_version);
    SET(g, shred_version, (sv & 0x10000) ? (sv & 0xFFFF) : 0);
    struct pollfd pf = { .fd = g->fd, .events = POLLIN };
    if (poll(&pf, 1, 50) <= 0) continue;
    for (int k = 0; k < 256; k++) { /* a bounded burst, then the timers again */
      struct sockaddr_in from;
      struct iovec iov = { buf, sizeof buf };
      union { char b[CMSG_SPACE(sizeof(uint32_t))]; struct cmsghdr align; } ctl;
      struct msghdr mh = { .msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1,
                           .msg_control = ctl.b, .msg_controllen = sizeof ctl.b };
      ssize_t n = recvmsg(g->fd, &mh, MSG_DONTWAIT);
      if (n < 0) break;
      for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SO_RXQ_OVFL) continue;
        uint32_t dropped; /* the socket's running total */
        memcpy(&dropped, CMSG_DATA(cm), sizeof dropped);
        SET(g, rx_kernel_dropped, dropped);
      }
      on_packet(g, buf, (size_t)n, (uint8_t const *)&from.sin_addr, ntohs(from.sin_port), now_ms());
    }
  }
  return NULL;
}

static sofd_gossip_t *tel_g; /* /sof/gossip's (rte_telemetry takes no context) */

/* ---- lifecycle ----------------------------------------------------------------------------------- */

sofd_gossip_t *
sofd_gossip_start(sofd_gossip_cfg_t const *cfg) {
  sofd_gossip_t *g = calloc(1, sizeof *g);
  if (!g) return NULL;
  g->cfg = *cfg;
  g->fd = -1;
  pthread_mutex_init(&g->lock, NULL);
  randombytes_buf(&g->rng, sizeof g->rng);
  g->outset = wall_ms() * 1000U;
  if (parse_hostport(cfg->entrypoint, g->ep_ip, &g->ep_port)) {
    fprintf(stderr, "sofd: [gossip] entrypoint: '%s' is not a resolvable HOST:PORT\n", cfg->entrypoint);
    goto fail;
  }
  if (cfg->public_ip) {
    struct in_addr a;
    if (inet_pton(AF_INET, cfg->public_ip, &a) != 1) {
      fprintf(stderr, "sofd: [gossip] public_ip: '%s' is not an IPv4 address\n", cfg->public_ip);
      goto fail;
    }
    memcpy(g->pub_ip, &a, 4);
    atomic_store(&g->have_pub_ip, 1);
  }
  if (load_identity(g)) goto fail;
  g->nodes = sof_crds_new(cfg->nodes_max);
  g->values = sof_crds_new(cfg->values_max);
  g->peers = calloc(cfg->nodes_max, sizeof *g->peers);
  g->cands = sof_cands_new(cfg->nodes_max);
  g->cand_scratch = malloc((size_t)cfg->nodes_max * 32);
  g->departed = calloc(cfg->nodes_max, sizeof *g->departed);
  g->cands_dirty = 1;
  g->vq_cap = 1;
  while (g->vq_cap < cfg->votes_queue) g->vq_cap <<= 1;
  if (cfg->votes) { /* a plugin subscribes to gossip_vote */
    g->vq = malloc((size_t)g->vq_cap * sizeof *g->vq);
    g->vseen = calloc(VOTE_SEEN_SLOTS, sizeof *g->vseen);
  }
  if (cfg->votes && (!g->vq || !g->vseen)) {
    fprintf(stderr, "sofd: [gossip]: out of memory for a vote queue of %u\n", g->vq_cap);
    goto fail;
  }
  if (!g->nodes || !g->values || !g->peers || !g->cands || !g->cand_scratch || !g->departed) {
    fprintf(stderr, "sofd: [gossip]: out of memory for %u nodes / %u values\n", cfg->nodes_max, cfg->values_max);
    goto fail;
  }
  g->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(cfg->gossip_port) };
  if (inet_pton(AF_INET, cfg->bind ? cfg->bind : "0.0.0.0", &a.sin_addr) != 1 || g->fd < 0 ||
      bind(g->fd, (struct sockaddr *)&a, sizeof a)) {
    fprintf(stderr, "sofd: [gossip] gossip_port: cannot bind UDP %s:%u: %s\n", cfg->bind ? cfg->bind : "0.0.0.0",
            cfg->gossip_port, strerror(errno));
    goto fail;
  }
  int one = 1;
  (void)setsockopt(g->fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one); /* kernel drops, counted */
  if (pthread_create(&g->thr, NULL, gossip_thread, g)) {
    fprintf(stderr, "sofd: [gossip]: cannot start the thread\n");
    goto fail;
  }
  g->running = 1;
  char id[64];
  sof_base58_encode_32(g->kp + 32, id);
  fprintf(stderr, "sofd: gossip: identity %s, entrypoint %s, gossip port %u, TVU port %u\n", id, cfg->entrypoint,
          cfg->gossip_port, cfg->tvu_port);
  return g;
fail:
  sofd_gossip_delete(g);
  return NULL;
}

int
sofd_gossip_wait_join(sofd_gossip_t *g, uint16_t *shred_version, uint8_t (**ids)[32], uint32_t *cnt) {
  uint64_t t0 = now_ms(), deadline = t0 + g->cfg.join_timeout_ms;
  for (;;) {
    uint64_t now = now_ms();
    uint32_t sv = atomic_load(&g->shred_version);
    uint64_t changed = atomic_load(&g->nodes_changed_ms);
    int have_nodes = GET(g, node_joins) > GET(g, node_leaves);
    /* joined: a whole pull sweep started after the last change, and no
     * change for settle_ms */
    uint64_t swept = atomic_load(&g->sweep_done_start_ms);
    if ((sv & 0x10000) && have_nodes && changed + g->cfg.settle_ms <= now && swept > changed) break;
    if (now >= deadline && (sv & 0x10000) && have_nodes) {
      /* a large cluster may still be arriving: go on with what is known */
      fprintf(stderr, "sofd: gossip: the node set was still changing after %u ms: going on with the nodes "
              "known so far\n", g->cfg.join_timeout_ms);
      break;
    }
    if (now >= deadline) {
      fprintf(stderr, "sofd: gossip: not joined after %u ms (%s; ip-echo %" PRIu64 " ok / %" PRIu64
              " failed, %" PRIu64 " packets received): check [gossip] entrypoint and that UDP %u is reachable\n",
              g->cfg.join_timeout_ms, !(sv & 0x10000) ? "no shred version" : "no node", GET(g, ip_echo_ok),
              GET(g, ip_echo_failed), GET(g, rx_packets), g->cfg.gossip_port);
      return -1;
    }
    struct timespec ts = { 0, 20 * 1000000L };
    nanosleep(&ts, NULL);
  }
  uint16_t version = (uint16_t)(atomic_load(&g->shred_version) & 0xFFFF);
  pthread_mutex_lock(&g->lock);
  uint32_t n = 0, cap = sof_crds_cnt(g->nodes) + 1;
  uint8_t (*out)[32] = malloc((size_t)cap * 32);
  for (uint32_t i = 0; out && i < sof_crds_capacity(g->nodes); i++) {
    sof_crds_rec_t const *r = sof_crds_slot(g->nodes, i);
    if (r->used && r->shred_version == version && n < cap) memcpy(out[n++], r->origin, 32);
  }
  pthread_mutex_unlock(&g->lock);
  if (!out) return -1;
  *shred_version = version;
  *ids = out;
  *cnt = n;
  fprintf(stderr, "sofd: gossip: joined in %" PRIu64 " ms: shred version %u, %u nodes\n", now_ms() - t0,
          version, n);
  return 0;
}

void
sofd_gossip_stop(sofd_gossip_t *g) {
  if (!g || !g->running) return;
  atomic_store(&g->stop, 1);
  pthread_join(g->thr, NULL);
  g->running = 0;
}

void
sofd_gossip_delete(sofd_gossip_t *g) {
  if (!g) return;
  if (tel_g == g) tel_g = NULL;
  sofd_gossip_stop(g);
  if (g->fd >= 0) close(g->fd);
  sof_crds_delete(g->nodes);
  sof_crds_delete(g->values);
  free(g->peers);
  sof_cands_delete(g->cands);
  free(g->cand_scratch);
  free(g->vq);
  free(g->vseen);
  free(g->departed);
  pthread_mutex_destroy(&g->lock);
  sodium_memzero(g->kp, sizeof g->kp);
  free(g);
}

sof_ev_gossip_vote_t const *
sofd_gossip_vote_peek(sofd_gossip_t *g) {
  uint32_t tail = atomic_load_explicit(&g->vq_tail, memory_order_relaxed);
  if (atomic_load_explicit(&g->vq_head, memory_order_acquire) == tail) return NULL;
  return &g->vq[tail & (g->vq_cap - 1)];
}

void
sofd_gossip_vote_pop(sofd_gossip_t *g) {
  atomic_store_explicit(&g->vq_tail, atomic_load_explicit(&g->vq_tail, memory_order_relaxed) + 1,
                        memory_order_release);
}

sof_cands_t *
sofd_gossip_cands(sofd_gossip_t *g) {
  return g->cands;
}

int
sofd_gossip_topology_take(sofd_gossip_t *g, uint32_t *added, uint32_t *removed, uint32_t *total) {
  *added = atomic_exchange(&g->topo_added, 0);
  *removed = atomic_exchange(&g->topo_removed, 0);
  *total = (uint32_t)GET(g, nodes);
  return *added || *removed;
}

/* ---- rendering ------------------------------------------------------------------------------------ */

#define APPEND(...)                                                    \
  do {                                                                 \
    int k_ = snprintf(buf + n, cap - n, __VA_ARGS__);                  \
    if (k_ < 0 || (size_t)k_ >= cap - n) return -1;                    \
    n += (size_t)k_;                                                   \
  } while (0)

int
sofd_gossip_prometheus(sofd_gossip_t const *g, char *buf, size_t cap) {
  size_t n = 0;
#define X(name, help, gauge)                                                                           \
  APPEND("# HELP sof_gossip_%s%s %s\n# TYPE sof_gossip_%s%s %s\nsof_gossip_%s%s %" PRIu64 "\n", #name,  \
         gauge ? "" : "_total", help, #name, gauge ? "" : "_total", gauge ? "gauge" : "counter", #name,   \
         gauge ? "" : "_total", (uint64_t)atomic_load_explicit(&g->c.name, memory_order_relaxed));
  GOSSIP_COUNTERS(X)
#undef X
  APPEND("# HELP sof_gossip_rx_malformed_by_reason_total gossip packets that did not decode, by reason\n"
         "# TYPE sof_gossip_rx_malformed_by_reason_total counter\n");
  for (int e = 1; e <= SOF_GOSSIP_ERR_CNT; e++)
    APPEND("sof_gossip_rx_malformed_by_reason_total{reason=\"%s\"} %" PRIu64 "\n", sof_gossip_err_str(-e),
           (uint64_t)atomic_load_explicit(&g->c.malformed[e], memory_order_relaxed));
  return (int)n;
}

int
sofd_gossip_json(sofd_gossip_t const *g, char *buf, size_t cap) {
  size_t n = 0;
  char id[64];
  sof_base58_encode_32(g->kp + 32, id);
  APPEND("{\"identity\":\"%s\",\"entrypoint\":\"%s\",\"publicIp\":\"%u.%u.%u.%u\",\"gossipPort\":%u,\"tvuPort\":%u",
         id, g->cfg.entrypoint, g->pub_ip[0], g->pub_ip[1], g->pub_ip[2], g->pub_ip[3], g->cfg.gossip_port,
         g->cfg.tvu_port);
#define X(name, help, gauge) APPEND(",\"%s\":%" PRIu64, #name, (uint64_t)atomic_load_explicit(&g->c.name, memory_order_relaxed));
  GOSSIP_COUNTERS(X)
#undef X
  APPEND(",\"malformedByReason\":{");
  int first = 1;
  for (int e = 1; e <= SOF_GOSSIP_ERR_CNT; e++) {
    uint64_t v = atomic_load_explicit(&g->c.malformed[e], memory_order_relaxed);
    if (!v) continue;
    APPEND("%s\"%s\":%" PRIu64, first ? "" : ",", sof_gossip_err_str(-e), v);
    first = 0;
  }
  APPEND("}}");
  return (int)n;
}


static int
tel_gossip(char const *cmd, char const *params, struct rte_tel_data *d) {
  (void)cmd;
  (void)params;
  rte_tel_data_start_dict(d);
  if (!tel_g) return 0;
#define X(name, help, gauge) rte_tel_data_add_dict_u64(d, #name, atomic_load_explicit(&tel_g->c.name, memory_order_relaxed));
  GOSSIP_COUNTERS(X)
#undef X
  return 0;
}

int
sofd_gossip_telemetry_register(sofd_gossip_t *g) {
  tel_g = g;
  return rte_telemetry_register_cmd("/sof/gossip", tel_gossip, "Gossip role counters. No parameters");
}
