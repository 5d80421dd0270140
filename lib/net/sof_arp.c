/* sof_arp.c: see sof_arp.h. */
#include "sof_arp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ETH_SZ      14U
#define ARP_SZ      28U
#define ETYPE_IPV4  0x0800U
#define ETYPE_ARP   0x0806U

static inline uint16_t
rd16(uint8_t const *p) {
  return (uint16_t)(p[0] << 8 | p[1]);
}
static inline uint32_t
rd32(uint8_t const *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void
wr16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}
static inline void
wr32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

uint16_t
sof_arp_csum(void const *p, size_t n) {
  uint8_t const *b = p;
  uint64_t s = 0;
  size_t i = 0;
  for (; i + 1 < n; i += 2) s += (uint32_t)(b[i] << 8 | b[i + 1]);
  if (i < n) s += (uint32_t)b[i] << 8;
  while (s >> 16) s = (s & 0xffffU) + (s >> 16);
  uint16_t c = (uint16_t)~s;
  uint8_t out[2] = {(uint8_t)(c >> 8), (uint8_t)c};
  uint16_t v;
  memcpy(&v, out, 2);
  return v;
}

int
sof_arp_parse_cidr(char const *s, uint32_t *ip, uint8_t *prefix) {
  if (!s) return -1;
  unsigned long oct[4];
  char const *c = s;
  for (int k = 0; k < 4; k++) {
    if (*c < '0' || *c > '9') return -1;
    char *end;
    oct[k] = strtoul(c, &end, 10);
    if (oct[k] > 255 || end - c > 3) return -1;
    c = end;
    if (k < 3) {
      if (*c != '.') return -1;
      c++;
    }
  }
  unsigned long pl = 32;
  if (*c == '/') {
    c++;
    if (*c < '0' || *c > '9') return -1;
    char *end;
    pl = strtoul(c, &end, 10);
    if (pl > 32 || end - c > 2) return -1;
    c = end;
  }
  if (*c) return -1;
  uint32_t a = (uint32_t)(oct[0] << 24 | oct[1] << 16 | oct[2] << 8 | oct[3]);
  if (a == 0 || oct[0] >= 224) return -1;
  if (pl <= 30) {
    uint32_t host = pl ? ~(0xffffffffU << (32 - pl)) : 0xffffffffU;
    if ((a & host) == 0 || (a & host) == host) return -1;
  }
  *ip = a;
  *prefix = (uint8_t)pl;
  return 0;
}

/* the IPv4 header's length when frame is an untagged, well-formed IPv4
 * packet (total length within sz); else 0 */
static size_t
ipv4_hdr(uint8_t const *f, size_t sz) {
  if (sz < ETH_SZ + 20 || rd16(f + 12) != ETYPE_IPV4) return 0;
  uint8_t const *ip = f + ETH_SZ;
  if (ip[0] >> 4 != 4) return 0;
  size_t ihl = (size_t)(ip[0] & 15U) * 4;
  size_t tot = rd16(ip + 2);
  if (ihl < 20 || tot < ihl || ETH_SZ + tot > sz) return 0;
  return ihl;
}

int
sof_arp_classify(sof_arp_host_t const *h, void const *frame, size_t sz) {
  uint8_t const *f = frame;
  if (!f || sz < ETH_SZ) return SOF_ARP_OTHER;
  uint16_t et = rd16(f + 12);
  if (et == ETYPE_ARP) {
    if (sz < ETH_SZ + ARP_SZ) return SOF_ARP_OTHER;
    uint8_t const *a = f + ETH_SZ;
    if (rd16(a) != 1 || rd16(a + 2) != ETYPE_IPV4 || a[4] != 6 || a[5] != 4 || rd16(a + 6) != 1)
      return SOF_ARP_OTHER;
    if (rd32(a + 24) != h->ip || rd32(a + 14) == h->ip) return SOF_ARP_OTHER;
    if (a[8] & 1U) return SOF_ARP_OTHER; /* a multicast sender hardware address */
    return SOF_ARP_REQUEST;
  }
  size_t ihl = ipv4_hdr(f, sz);
  if (!ihl) return SOF_ARP_OTHER;
  uint8_t const *ip = f + ETH_SZ;
  size_t tot = rd16(ip + 2);
  if (ip[9] != 1 || (rd16(ip + 6) & 0x3fffU) || rd32(ip + 16) != h->ip) return SOF_ARP_OTHER;
  if (tot < ihl + 8) return SOF_ARP_OTHER;
  if (f[6] & 1U) return SOF_ARP_OTHER; /* a multicast source MAC */
  uint8_t const *icmp = ip + ihl;
  if (icmp[0] != 8 || icmp[1] != 0) return SOF_ARP_OTHER;
  return SOF_ARP_ICMP_ECHO;
}

size_t
sof_arp_reply(sof_arp_host_t const *h, void *frame, size_t sz) {
  if (sof_arp_classify(h, frame, sz) != SOF_ARP_REQUEST) return 0;
  uint8_t *f = frame;
  uint8_t *a = f + ETH_SZ;
  uint8_t sha[6], spa[4];
  memcpy(sha, a + 8, 6);
  memcpy(spa, a + 14, 4);
  memcpy(f, sha, 6);
  memcpy(f + 6, h->mac, 6);
  wr16(a + 6, 2);
  memcpy(a + 8, h->mac, 6);
  wr32(a + 14, h->ip);
  memcpy(a + 18, sha, 6);
  memcpy(a + 24, spa, 4);
  return sz;
}

size_t
sof_arp_icmp_reply(sof_arp_host_t const *h, void *frame, size_t sz) {
  if (sof_arp_classify(h, frame, sz) != SOF_ARP_ICMP_ECHO) return 0;
  uint8_t *f = frame;
  uint8_t *ip = f + ETH_SZ;
  size_t ihl = (size_t)(ip[0] & 15U) * 4;
  size_t tot = rd16(ip + 2);
  uint8_t tmp[6];
  memcpy(tmp, f + 6, 6);
  memcpy(f, tmp, 6);
  memcpy(f + 6, h->mac, 6);
  uint8_t src[4];
  memcpy(src, ip + 12, 4);
  wr32(ip + 12, h->ip);
  memcpy(ip + 16, src, 4);
  ip[8] = 64;
  ip[10] = ip[11] = 0;
  uint16_t c = sof_arp_csum(ip, ihl);
  memcpy(ip + 10, &c, 2);
  uint8_t *icmp = ip + ihl;
  icmp[0] = 0;
  icmp[2] = icmp[3] = 0;
  c = sof_arp_csum(icmp, tot - ihl);
  memcpy(icmp + 2, &c, 2);
  return ETH_SZ + tot;
}

size_t
sof_arp_gratuitous(sof_arp_host_t const *h, void *out, size_t cap) {
  if (cap < SOF_ARP_FRAME_MIN) return 0;
  uint8_t *f = out;
  memset(f, 0, SOF_ARP_FRAME_MIN);
  memset(f, 0xff, 6);
  memcpy(f + 6, h->mac, 6);
  wr16(f + 12, ETYPE_ARP);
  uint8_t *a = f + ETH_SZ;
  wr16(a, 1);
  wr16(a + 2, ETYPE_IPV4);
  a[4] = 6;
  a[5] = 4;
  wr16(a + 6, 1);
  memcpy(a + 8, h->mac, 6);
  wr32(a + 14, h->ip);
  wr32(a + 24, h->ip); /* target hardware address: zero */
  return SOF_ARP_FRAME_MIN;
}
