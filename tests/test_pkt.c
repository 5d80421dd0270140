/* Packet framing: Ethernet, VLAN (one and two tags), IPv4 with options,
 * UDP; every drop reason; truncation at every length. */
#include "sof_test.h"

#include "wire/sof_pkt.h"

/* Builds Ethernet [+ vlans] + IPv4 (ihl words) + UDP + payload of pay bytes. */
static size_t
mk(uint8_t *f, unsigned vlans, unsigned ihl_words, unsigned pay) {
  memset(f, 0, 2048);
  size_t off = 12;
  for (unsigned v = 0; v < vlans; v++) {
    f[off] = v == 0 && vlans == 2 ? 0x88 : 0x81;
    f[off + 1] = v == 0 && vlans == 2 ? 0xA8 : 0x00;
    f[off + 2] = 0x20 | (uint8_t)v; /* PCP 1, id 0x0?00 + v */
    f[off + 3] = (uint8_t)(0x10 + v);
    off += 4;
  }
  f[off] = 0x08; f[off + 1] = 0x00;
  off += 2;
  uint8_t *ip = f + off;
  unsigned ihl = ihl_words * 4, tot = ihl + 8 + pay;
  ip[0] = (uint8_t)(0x40 | ihl_words);
  ip[2] = (uint8_t)(tot >> 8); ip[3] = (uint8_t)tot;
  ip[6] = 0x40; /* DF */
  ip[8] = 64;
  ip[9] = 17;
  ip[12] = 10; ip[13] = 1; ip[14] = 2; ip[15] = 3;
  ip[16] = 192; ip[17] = 168; ip[18] = 7; ip[19] = 9;
  uint8_t *udp = ip + ihl;
  udp[0] = 0x1F; udp[1] = 0x41;      /* 8001 */
  udp[2] = 0x4E; udp[3] = 0x20;      /* 20000 */
  udp[4] = (uint8_t)((8 + pay) >> 8); udp[5] = (uint8_t)(8 + pay);
  for (unsigned i = 0; i < pay; i++) udp[8 + i] = (uint8_t)i;
  return off + tot;
}

int
main(void) {
  static uint8_t f[2048];
  sof_pkt_udp_t u;

  size_t sz = mk(f, 0, 5, 1203);
  SOF_CHECK_EQ(sz, 1245);
  SOF_CHECK_EQ(sof_pkt_parse(&u, f, sz), SOF_PKT_OK);
  SOF_CHECK_EQ(u.payload_off, 42);
  SOF_CHECK_EQ(u.payload_sz, 1203);
  SOF_CHECK_EQ(u.src_ip, 0x0A010203);
  SOF_CHECK_EQ(u.dst_ip, 0xC0A80709);
  SOF_CHECK_EQ(u.src_port, 8001);
  SOF_CHECK_EQ(u.dst_port, 20000);
  SOF_CHECK_EQ(u.vlan_cnt, 0);
  SOF_CHECK_EQ(u.ip_hdr_sz, 20);
  /* Ethernet padding after the IP packet is ignored */
  SOF_CHECK_EQ(sof_pkt_parse(&u, f, sz + 20), SOF_PKT_OK);
  SOF_CHECK_EQ(u.payload_sz, 1203);

  /* one tag, two tags (QinQ), IPv4 options */
  sz = mk(f, 1, 5, 1228);
  SOF_CHECK_EQ(sof_pkt_parse(&u, f, sz), SOF_PKT_OK);
  SOF_CHECK_EQ(u.payload_off, 46);
  SOF_CHECK_EQ(u.vlan_cnt, 1);
  SOF_CHECK_EQ(u.vlan_id, 0x010);
  sz = mk(f, 2, 7, 100);
  SOF_CHECK_EQ(sof_pkt_parse(&u, f, sz), SOF_PKT_OK);
  SOF_CHECK_EQ(u.payload_off, 14 + 8 + 28 + 8);
  SOF_CHECK_EQ(u.vlan_cnt, 2);
  SOF_CHECK_EQ(u.vlan_id, 0x111); /* inner tag: TCI 0x2111 */
  SOF_CHECK_EQ(u.ip_hdr_sz, 28);
  SOF_CHECK_EQ(u.payload_sz, 100);
  sz = mk(f, 2, 15, 10); /* 60-byte IPv4 header */
  SOF_CHECK_EQ(sof_pkt_parse(&u, f, sz), SOF_PKT_OK);
  SOF_CHECK_EQ(u.ip_hdr_sz, 60);

  /* three tags */
  sz = mk(f, 2, 5, 10);
  memmove(f + 16, f + 12, sz - 12);
  f[12] = 0x81; f[13] = 0x00; f[14] = 0; f[15] = 1;
  SOF_CHECK_EQ(sof_pkt_parse(&u, f, sz + 4), SOF_PKT_ERR_VLAN_DEPTH);

  /* not IPv4: ARP, IPv6 */
  sz = mk(f, 0, 5, 10);
  f[12] = 0x08; f[13] = 0x06;
  SOF_CHECK_EQ(sof_pkt_parse(&u, f, sz), SOF_PKT_ERR_NOT_IPV4);
  f[12] = 0x86; f[13] = 0xDD;
  SOF_CHECK_EQ(sof_pkt_parse(&u, f, sz), SOF_PKT_ERR_NOT_IPV4);

  /* bad IPv4 headers */
  sz = mk(f, 0, 5, 10);
  f[14] = 0x65; /* version 6 */
  SOF_CHECK_EQ(sof_pkt_parse(&u, f, sz), SOF_PKT_ERR_IP_BAD_HEADER);
  f[14] = 0x44; /* IHL 16 bytes */
  SOF_CHECK_EQ(sof_pkt_parse(&u, f, sz), SOF_PKT_ERR_IP_BAD_HEADER);
  sz = mk(f, 0, 5, 10);
  f[17] = (uint8_t)(f[17] + 1); /* total length past the frame */
  SOF_CHECK_EQ(sof_pkt_parse(&u, f, sz), SOF_PKT_ERR_IP_BAD_HEADER);

  /* fragments: MF, or an offset */
  sz = mk(f, 0, 5, 10);
  f[20] = 0x20;
  SOF_CHECK_EQ(sof_pkt_parse(&u, f, sz), SOF_PKT_ERR_IP_FRAGMENT);
  f[20] = 0x40; f[21] = 0x01;
  SOF_CHECK_EQ(sof_pkt_parse(&u, f, sz), SOF_PKT_ERR_IP_FRAGMENT);

  /* not UDP */
  sz = mk(f, 0, 5, 10);
  f[23] = 6;
  SOF_CHECK_EQ(sof_pkt_parse(&u, f, sz), SOF_PKT_ERR_NOT_UDP);

  /* UDP length: below 8, above the IPv4 payload; IPv4 too short for UDP */
  sz = mk(f, 0, 5, 10);
  f[38] = 0; f[39] = 7;
  SOF_CHECK_EQ(sof_pkt_parse(&u, f, sz), SOF_PKT_ERR_UDP_BAD_LEN);
  f[39] = 19;
  SOF_CHECK_EQ(sof_pkt_parse(&u, f, sz), SOF_PKT_ERR_UDP_BAD_LEN);
  f[39] = 17; /* shorter than the IPv4 payload is fine */
  SOF_CHECK_EQ(sof_pkt_parse(&u, f, sz), SOF_PKT_OK);
  SOF_CHECK_EQ(u.payload_sz, 9);
  sz = mk(f, 0, 5, 0);
  f[16] = 0; f[17] = 24; /* IPv4 total 24: 4 bytes of UDP */
  SOF_CHECK_EQ(sof_pkt_parse(&u, f, sz), SOF_PKT_ERR_UDP_BAD_LEN);

  /* every truncation of a valid frame is refused, never read past */
  sz = mk(f, 1, 6, 50);
  int bad = 0;
  for (size_t cut = 0; cut < sz; cut++) {
    int e = sof_pkt_parse(&u, f, cut);
    if (e != SOF_PKT_ERR_TOO_SHORT && e != SOF_PKT_ERR_IP_BAD_HEADER) bad++;
  }
  SOF_CHECK_EQ(bad, 0);

  SOF_CHECK_STR(sof_pkt_err_str(SOF_PKT_ERR_NOT_UDP), "not_udp");
  SOF_CHECK_STR(sof_pkt_err_str(SOF_PKT_ERR_IP_FRAGMENT), "ipv4_fragment");
  SOF_CHECK_STR(sof_pkt_err_str(0), "ok");
  return sof_test_done("pkt");
}
