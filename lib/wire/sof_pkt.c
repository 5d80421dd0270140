#include "wire/sof_pkt.h"

static inline uint16_t
be16(uint8_t const *p) {
  return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t
be32(uint8_t const *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

int
sof_pkt_parse(sof_pkt_udp_t *out, void const *frame_, size_t frame_sz) {
  uint8_t const *f = frame_;
  if (frame_sz < SOF_PKT_ETH_HDR_SZ) return SOF_PKT_ERR_TOO_SHORT;
  size_t off = 12;
  uint16_t etype = be16(f + off);
  unsigned vlan_cnt = 0;
  uint16_t vlan_id = 0;
  while (etype == 0x8100 || etype == 0x88A8) {
    if (vlan_cnt == SOF_PKT_VLAN_MAX) return SOF_PKT_ERR_VLAN_DEPTH;
    if (frame_sz < off + 2 + SOF_PKT_VLAN_HDR_SZ) return SOF_PKT_ERR_TOO_SHORT;
    vlan_id = be16(f + off + 2) & 0x0FFF;
    off += SOF_PKT_VLAN_HDR_SZ;
    etype = be16(f + off);
    vlan_cnt++;
  }
  off += 2;
  if (etype != 0x0800) return SOF_PKT_ERR_NOT_IPV4;

  uint8_t const *ip = f + off;
  if (frame_sz < off + SOF_PKT_IPV4_HDR_MIN) return SOF_PKT_ERR_TOO_SHORT;
  unsigned ihl = (unsigned)(ip[0] & 0x0F) * 4U;
  if ((ip[0] >> 4) != 4 || ihl < SOF_PKT_IPV4_HDR_MIN) return SOF_PKT_ERR_IP_BAD_HEADER;
  unsigned tot = be16(ip + 2);
  if (tot < ihl || frame_sz < off + tot) return SOF_PKT_ERR_IP_BAD_HEADER;
  uint16_t frag = be16(ip + 6);
  if (frag & 0x3FFF) return SOF_PKT_ERR_IP_FRAGMENT; /* MF bit or offset */
  if (ip[9] != 17) return SOF_PKT_ERR_NOT_UDP;
  if (tot < ihl + SOF_PKT_UDP_HDR_SZ) return SOF_PKT_ERR_UDP_BAD_LEN;

  uint8_t const *udp = ip + ihl;
  unsigned ulen = be16(udp + 4);
  if (ulen < SOF_PKT_UDP_HDR_SZ || ulen > tot - ihl) return SOF_PKT_ERR_UDP_BAD_LEN;

  out->src_ip = be32(ip + 12);
  out->dst_ip = be32(ip + 16);
  out->src_port = be16(udp);
  out->dst_port = be16(udp + 2);
  out->vlan_id = vlan_id;
  out->vlan_cnt = (uint8_t)vlan_cnt;
  out->ip_hdr_sz = (uint8_t)ihl;
  out->payload_off = (uint32_t)(off + ihl + SOF_PKT_UDP_HDR_SZ);
  out->payload_sz = ulen - SOF_PKT_UDP_HDR_SZ;
  return SOF_PKT_OK;
}

char const *
sof_pkt_err_str(int err) {
  switch (err) {
  case SOF_PKT_OK: return "ok";
#define SOF_PKT_ERR_CASE_(name, val, str) case SOF_PKT_ERR_##name: return str;
  SOF_PKT_ERR_LIST(SOF_PKT_ERR_CASE_)
#undef SOF_PKT_ERR_CASE_
  default: return "unknown";
  }
}
