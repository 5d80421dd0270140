/* sof_udp.c: see sof_udp.h.
 *
 * Each socket owns, allocated once at open: its mbufs in hand (`stash`,
 * allocated ahead from the pool), and one mmsghdr / iovec / sockaddr_in per
 * burst entry. A call tops the stash up to the wanted count, points iovec i
 * at stash[i]'s data room, makes one recvmmsg, hands out the good datagrams
 * and keeps the rest of the stash (mbufs not filled, and those of truncated
 * datagrams, whose contents do not matter) for the next call. */
#define _GNU_SOURCE /* recvmmsg, SO_RCVBUFFORCE */
#include "sof_udp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_mempool.h>

#include "util/sof_errbuf.h"

struct sof_udp_sock {
  sof_udp_stats_t     stats; /* first: written by the poller only */
  uint32_t            ovfl_seen; /* the kernel's drop count last read */
  int                 fd;
  uint16_t            idx;
  uint16_t            have;  /* mbufs in stash[0..have) */
  struct rte_mbuf   **stash; /* [burst] */
  struct mmsghdr     *msg;   /* [burst] */
  struct iovec       *iov;   /* [burst] */
  struct sockaddr_in *addr;  /* [burst] */
  uint8_t            *ctl;   /* [burst] control buffers (SO_RXQ_OVFL) */
} __rte_cache_aligned;

/* One datagram's control buffer: room for the SO_RXQ_OVFL drop count and
 * the SO_TIMESTAMPNS receive time. */
#define CTL_SZ (CMSG_SPACE(sizeof(uint32_t)) + CMSG_SPACE(sizeof(struct timespec)))

static int
open_sock(sof_udp_t *u, sof_udp_sock_t *s, sof_udp_cfg_t const *cfg, char *err, size_t err_sz) {
  char const *a = u->name;
  unsigned i = s->idx;
  s->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s->fd < 0) {
    sof_errbuf_set(err, err_sz, "udp %s: socket %u: socket(): %s", a, i, strerror(errno));
    return -1;
  }
  int one = 1;
  if (setsockopt(s->fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one)) {
    sof_errbuf_set(err, err_sz, "udp %s: socket %u: SO_REUSEPORT: %s", a, i, strerror(errno));
    return -1;
  }
  /* Every datagram then carries the socket's count of datagrams the
   * kernel dropped for want of receive-buffer room (lost before sofd). */
  if (setsockopt(s->fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one)) {
    sof_errbuf_set(err, err_sz, "udp %s: socket %u: SO_RXQ_OVFL: %s", a, i, strerror(errno));
    return -1;
  }
  /* ... and the time the kernel received it: when sofd falls behind, a
   * burst read at once still tells when each datagram arrived (the feed
   * race compares sources by it). */
  if (setsockopt(s->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one)) {
    sof_errbuf_set(err, err_sz, "udp %s: socket %u: SO_TIMESTAMPNS: %s", a, i, strerror(errno));
    return -1;
  }
  if (cfg->rcvbuf) {
    int v = cfg->rcvbuf > INT32_MAX / 2 ? INT32_MAX / 2 : (int)cfg->rcvbuf;
    /* FORCE passes net.core.rmem_max with CAP_NET_ADMIN; else the capped one. */
    if (setsockopt(s->fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof v) &&
        setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof v)) {
      sof_errbuf_set(err, err_sz, "udp %s: socket %u: SO_RCVBUF %d: %s", a, i, v, strerror(errno));
      return -1;
    }
  }
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family      = AF_INET;
  sa.sin_addr.s_addr = u->bind_ip;
  sa.sin_port        = htons(u->port);
  if (bind(s->fd, (struct sockaddr *)&sa, sizeof sa)) {
    sof_errbuf_set(err, err_sz, "udp %s: socket %u: bind: %s%s", a, i, strerror(errno),
         errno == EADDRINUSE ? " (another socket holds the port without SO_REUSEPORT, or "
                               "belongs to another user)" : "");
    return -1;
  }
  if (!u->port) { /* ephemeral: the first socket picks it, the others join it */
    socklen_t len = sizeof sa;
    if (getsockname(s->fd, (struct sockaddr *)&sa, &len)) {
      sof_errbuf_set(err, err_sz, "udp %s: socket %u: getsockname: %s", a, i, strerror(errno));
      return -1;
    }
    u->port = ntohs(sa.sin_port);
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &u->bind_ip, ip, sizeof ip);
    snprintf(u->name, sizeof u->name, "%s:%u", ip, u->port);
  }
  if (i == 0) {
    int v = 0;
    socklen_t len = sizeof v;
    if (!getsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &v, &len) && v > 0) u->rcvbuf = (uint32_t)v;
  }
  return 0;
}

int
sof_udp_open(sof_udp_t *u, sof_udp_cfg_t const *cfg, char *err, size_t err_sz) {
  memset(u, 0, sizeof *u);
  char const *addr = cfg->bind_addr && cfg->bind_addr[0] ? cfg->bind_addr : "0.0.0.0";
  snprintf(u->name, sizeof u->name, "%.15s:%u", addr, cfg->port);
  struct in_addr ia;
  if (inet_pton(AF_INET, addr, &ia) != 1) {
    sof_errbuf_set(err, err_sz, "udp: bind address '%s' is not an IPv4 dotted quad", addr);
    return -1;
  }
  if (cfg->sockets < 1 || cfg->sockets > SOF_UDP_SOCKETS_MAX) {
    sof_errbuf_set(err, err_sz, "udp %s: sockets %u outside [1, %u]", u->name, cfg->sockets,
         SOF_UDP_SOCKETS_MAX);
    return -1;
  }
  if (cfg->burst < 1 || cfg->burst > SOF_UDP_BURST_MAX) {
    sof_errbuf_set(err, err_sz, "udp %s: burst %u outside [1, %u]", u->name, cfg->burst, SOF_UDP_BURST_MAX);
    return -1;
  }
  struct rte_mempool *mp = cfg->pool;
  if (!mp) {
    sof_errbuf_set(err, err_sz, "udp %s: no mempool", u->name);
    return -1;
  }
  if (mp->private_data_size < sizeof(struct rte_pktmbuf_pool_private)) {
    sof_errbuf_set(err, err_sz, "udp %s: mempool '%s' is not a pktmbuf pool", u->name, mp->name);
    return -1;
  }
  uint32_t priv = rte_pktmbuf_priv_size(mp);
  if (cfg->priv_off % _Alignof(sof_udp_meta_t) || (uint32_t)cfg->priv_off + sizeof(sof_udp_meta_t) > priv) {
    sof_errbuf_set(err, err_sz, "udp %s: mempool '%s' has a %u-byte mbuf private area: sof_udp_meta_t "
         "(%zu bytes) at offset %u does not fit (or is not %zu-aligned); create the pool with "
         "priv_size >= %zu", u->name, mp->name, priv, sizeof(sof_udp_meta_t), cfg->priv_off,
         _Alignof(sof_udp_meta_t),
         RTE_ALIGN((size_t)cfg->priv_off + sizeof(sof_udp_meta_t), RTE_MBUF_PRIV_ALIGN));
    return -1;
  }
  uint32_t room = rte_pktmbuf_data_room_size(mp);
  uint32_t tail = room > RTE_PKTMBUF_HEADROOM ? room - RTE_PKTMBUF_HEADROOM : 0;
  if (!tail || cfg->max_dgram > tail) {
    sof_errbuf_set(err, err_sz, "udp %s: mempool '%s' data room %u leaves %u bytes after the %u-byte "
         "headroom%s", u->name, mp->name, room, tail, RTE_PKTMBUF_HEADROOM,
         cfg->max_dgram > tail ? ": less than max_dgram" : "");
    return -1;
  }
  struct rte_mbuf_dynflag df;
  memset(&df, 0, sizeof df);
  snprintf(df.name, sizeof df.name, "%s", SOF_UDP_DYNFLAG_NAME);
  int bit = rte_mbuf_dynflag_register(&df);
  if (bit < 0) {
    sof_errbuf_set(err, err_sz, "udp %s: cannot register the mbuf flag %s: %s", u->name,
         SOF_UDP_DYNFLAG_NAME, rte_strerror(rte_errno));
    return -1;
  }
  u->bare_flag = 1ULL << bit;
  u->pool      = mp;
  u->bind_ip   = ia.s_addr;
  u->room      = cfg->max_dgram ? cfg->max_dgram : tail;
  u->port      = cfg->port;
  u->burst     = cfg->burst;
  u->priv_off  = cfg->priv_off;

  size_t ssz = (size_t)cfg->sockets * sizeof(sof_udp_sock_t); /* a multiple of the line */
  u->sock = aligned_alloc(RTE_CACHE_LINE_SIZE, ssz);
  if (!u->sock) {
    sof_errbuf_set(err, err_sz, "udp %s: out of memory", u->name);
    return -1;
  }
  memset(u->sock, 0, ssz);
  for (unsigned i = 0; i < cfg->sockets; i++) u->sock[i].fd = -1;
  u->sockets = cfg->sockets;
  size_t b = cfg->burst;
  for (unsigned i = 0; i < cfg->sockets; i++) {
    sof_udp_sock_t *s = &u->sock[i];
    s->idx   = (uint16_t)i;
    s->stash = calloc(b, sizeof *s->stash);
    s->msg   = calloc(b, sizeof *s->msg);
    s->iov   = calloc(b, sizeof *s->iov);
    s->addr  = calloc(b, sizeof *s->addr);
    s->ctl   = calloc(b, CTL_SZ);
    if (!s->stash || !s->msg || !s->iov || !s->addr || !s->ctl) {
      sof_errbuf_set(err, err_sz, "udp %s: out of memory", u->name);
      goto fail_close;
    }
    for (size_t j = 0; j < b; j++) {
      s->msg[j].msg_hdr.msg_name    = &s->addr[j];
      s->msg[j].msg_hdr.msg_iov     = &s->iov[j];
      s->msg[j].msg_hdr.msg_iovlen  = 1;
      s->iov[j].iov_len             = u->room;
      s->msg[j].msg_hdr.msg_control = s->ctl + j * CTL_SZ;
    }
    if (open_sock(u, s, cfg, err, err_sz)) goto fail_close;
  }
  return 0;

fail_close:
  sof_udp_close(u);
  return -1;
}

uint16_t
sof_udp_rx_burst(sof_udp_t *u, unsigned sock_idx, struct rte_mbuf **pkts, uint16_t n) {
  sof_udp_sock_t *s = &u->sock[sock_idx];
  if (n > u->burst) n = u->burst;
  if (!n) return 0;
  if (s->have < n) {
    if (rte_pktmbuf_alloc_bulk(u->pool, s->stash + s->have, (unsigned)(n - s->have))) {
      /* Short of mbufs: go on with those in hand, or with a single one. */
      s->stats.nomem++;
      if (!s->have) {
        if (!(s->stash[0] = rte_pktmbuf_alloc(u->pool))) return 0;
        s->have = 1;
      }
      n = s->have;
    } else {
      s->have = n;
    }
  }
  for (unsigned i = 0; i < n; i++) {
    s->iov[i].iov_base             = rte_pktmbuf_mtod(s->stash[i], void *);
    s->msg[i].msg_hdr.msg_namelen  = sizeof(struct sockaddr_in);
    s->msg[i].msg_hdr.msg_flags    = 0;
    s->msg[i].msg_hdr.msg_controllen = CTL_SZ;
  }
  s->stats.syscalls++;
  int r = recvmmsg(s->fd, s->msg, n, MSG_DONTWAIT, NULL);
  if (r <= 0) {
    if (r == 0 || errno == EAGAIN || errno == EWOULDBLOCK) {
      s->stats.empty++;
    } else {
      s->stats.errors++;
      s->stats.last_errno = (uint64_t)errno;
    }
    return 0;
  }
  uint16_t out = 0, keep = 0;
  uint64_t bytes = 0;
  uint16_t const dport = u->port, off = u->priv_off;
  uint64_t const flag = u->bare_flag;
  for (int i = 0; i < r; i++) {
    struct rte_mbuf *m = s->stash[i];
    struct msghdr *h = &s->msg[i].msg_hdr;
    /* The receive time, and the kernel's drop count of this socket
     * (cumulative, 32 bits: the last datagram of the call carries the
     * newest value). */
    uint64_t rx_ns = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c)) {
      if (c->cmsg_level != SOL_SOCKET) continue;
      if (c->cmsg_type == SCM_TIMESTAMPNS && c->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
        struct timespec ts;
        memcpy(&ts, CMSG_DATA(c), sizeof ts);
        rx_ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
      } else if (i == r - 1 && c->cmsg_type == SO_RXQ_OVFL && c->cmsg_len >= CMSG_LEN(sizeof(uint32_t))) {
        uint32_t d;
        memcpy(&d, CMSG_DATA(c), sizeof d);
        s->stats.kernel_drops += (uint32_t)(d - s->ovfl_seen);
        s->ovfl_seen = d;
      }
    }
    if (h->msg_flags & MSG_TRUNC) { /* larger than the room: its head only */
      s->stash[keep++] = m;
      continue;
    }
    uint32_t len = s->msg[i].msg_len;
    m->data_len = (uint16_t)len;
    m->pkt_len  = len;
    m->ol_flags |= flag;
    sof_udp_meta_t *meta = sof_udp_meta(m, off);
    struct sockaddr_in const *sa = &s->addr[i];
    if (h->msg_namelen >= sizeof *sa && sa->sin_family == AF_INET) {
      meta->src_ip   = sa->sin_addr.s_addr;
      meta->src_port = ntohs(sa->sin_port);
    } else {
      meta->src_ip   = 0;
      meta->src_port = 0;
    }
    meta->dst_port = dport;
    meta->sock_idx = (uint16_t)sock_idx;
    meta->pad_     = 0;
    meta->rx_ns    = rx_ns;
    bytes += len;
    pkts[out++] = m;
  }
  s->stats.truncated += (uint64_t)keep;
  for (unsigned i = (unsigned)r; i < s->have; i++) s->stash[keep++] = s->stash[i];
  s->have = keep;
  s->stats.datagrams += out;
  s->stats.bytes += bytes;
  return out;
}

sof_udp_stats_t const *
sof_udp_stats(sof_udp_t const *u, unsigned sock_idx) {
  return &u->sock[sock_idx].stats;
}

void
sof_udp_stats_sum(sof_udp_t const *u, sof_udp_stats_t *out) {
  memset(out, 0, sizeof *out);
  for (unsigned i = 0; i < u->sockets; i++) {
    sof_udp_stats_t const *s = &u->sock[i].stats;
#define SOF_UDP_STATS_ADD_(name, desc) out->name += s->name;
    SOF_UDP_STATS_LIST(SOF_UDP_STATS_ADD_)
#undef SOF_UDP_STATS_ADD_
    if (s->last_errno) out->last_errno = s->last_errno;
  }
}

uint64_t
sof_udp_drain(sof_udp_t *u) {
  static uint8_t scratch[64]; /* heads only: MSG_TRUNC still counts each datagram */
  struct mmsghdr m[32];
  struct iovec v[32];
  uint64_t n = 0;
  for (unsigned i = 0; i < u->sockets; i++) {
    for (;;) {
      for (unsigned k = 0; k < 32; k++) {
        v[k] = (struct iovec){.iov_base = scratch, .iov_len = sizeof scratch};
        memset(&m[k], 0, sizeof m[k]);
        m[k].msg_hdr.msg_iov = &v[k];
        m[k].msg_hdr.msg_iovlen = 1;
      }
      int r = recvmmsg(u->sock[i].fd, m, 32, MSG_DONTWAIT | MSG_TRUNC, NULL);
      if (r <= 0) break;
      n += (uint64_t)r;
    }
  }
  return n;
}

int
sof_udp_kernel_drops(sof_udp_t const *u, uint64_t *drops) {
  unsigned long ino[SOF_UDP_SOCKETS_MAX];
  for (unsigned i = 0; i < u->sockets; i++) {
    struct stat st;
    if (fstat(u->sock[i].fd, &st)) return -1;
    ino[i] = (unsigned long)st.st_ino;
  }
  FILE *f = fopen("/proc/self/net/udp", "r");
  if (!f) return -1;
  char line[512];
  uint64_t sum = 0;
  unsigned found = 0;
  while (fgets(line, sizeof line, f)) {
    /* sl local rem st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops */
    unsigned long inode, drop;
    if (sscanf(line, " %*s %*s %*s %*s %*s %*s %*s %*s %*s %lu %*s %*s %lu", &inode, &drop) != 2) continue;
    for (unsigned i = 0; i < u->sockets; i++)
      if (ino[i] == inode) {
        sum += drop;
        found++;
      }
  }
  fclose(f);
  if (found != u->sockets) return -1;
  *drops = sum;
  return 0;
}

int
sof_udp_fd(sof_udp_t const *u, unsigned sock_idx) {
  return u->sock[sock_idx].fd;
}

void
sof_udp_close(sof_udp_t *u) {
  if (u->sock) {
    for (unsigned i = 0; i < u->sockets; i++) {
      sof_udp_sock_t *s = &u->sock[i];
      if (s->fd >= 0) close(s->fd);
      if (s->have) rte_pktmbuf_free_bulk(s->stash, s->have);
      free(s->stash);
      free(s->msg);
      free(s->iov);
      free(s->addr);
      free(s->ctl);
    }
    free(u->sock);
  }
  memset(u, 0, sizeof *u);
}
