/* test_arp: lib/net/sof_arp against hand-built frames (the bytes a Linux
 * host sends for `arping` / `ping`), checksums against RFC 1071's example,
 * and every truncation of each frame. */
#include <stdio.h>
#include <string.h>

#include "sof_test.h"

#include "net/sof_arp.h"

static sof_arp_host_t const H = {
  .mac = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01}, .ip = 0x0a4d0002 /* 10.77.0.2 */, .prefix = 24};
static uint8_t const PEER_MAC[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x99};

static size_t
arp_request(uint8_t *f, uint32_t spa, uint32_t tpa) {
  memset(f, 0, 60);
  memset(f, 0xff, 6);
  memcpy(f + 6, PEER_MAC, 6);
  f[12] = 0x08; f[13] = 0x06;
  uint8_t *a = f + 14;
  a[1] = 1; a[2] = 0x08; a[4] = 6; a[5] = 4; a[7] = 1;
  memcpy(a + 8, PEER_MAC, 6);
  a[14] = (uint8_t)(spa >> 24); a[15] = (uint8_t)(spa >> 16); a[16] = (uint8_t)(spa >> 8); a[17] = (uint8_t)spa;
  a[24] = (uint8_t)(tpa >> 24); a[25] = (uint8_t)(tpa >> 16); a[26] = (uint8_t)(tpa >> 8); a[27] = (uint8_t)tpa;
  return 60;
}

static size_t
echo_request(uint8_t *f, uint32_t dst, size_t data, size_t pad) {
  memset(f, 0, 14 + 28 + data + pad);
  memcpy(f, H.mac, 6);
  memcpy(f + 6, PEER_MAC, 6);
  f[12] = 0x08;
  uint8_t *ip = f + 14;
  size_t tot = 20 + 8 + data;
  ip[0] = 0x45; ip[2] = (uint8_t)(tot >> 8); ip[3] = (uint8_t)tot;
  ip[4] = 0x12; ip[5] = 0x34; ip[6] = 0x40; /* DF */
  ip[8] = 64; ip[9] = 1;
  ip[12] = 10; ip[13] = 77; ip[14] = 0; ip[15] = 1;
  ip[16] = (uint8_t)(dst >> 24); ip[17] = (uint8_t)(dst >> 16); ip[18] = (uint8_t)(dst >> 8); ip[19] = (uint8_t)dst;
  uint16_t c = sof_arp_csum(ip, 20);
  memcpy(ip + 10, &c, 2);
  uint8_t *ic = ip + 20;
  ic[0] = 8; ic[4] = 0xbe; ic[5] = 0xef; ic[6] = 0; ic[7] = 1;
  for (size_t i = 0; i < data; i++) ic[8 + i] = (uint8_t)(i * 7 + 1);
  c = sof_arp_csum(ic, 8 + data);
  memcpy(ic + 2, &c, 2);
  return 14 + tot + pad;
}

int
main(void) {
  /* RFC 1071 section 3 example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2 */
  uint8_t r1071[8] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  uint16_t c = sof_arp_csum(r1071, 8);
  uint8_t cb[2];
  memcpy(cb, &c, 2);
  SOF_CHECK_EQ(cb[0], 0x22);
  SOF_CHECK_EQ(cb[1], 0x0d);
  uint8_t odd[3] = {0x01, 0x02, 0x03}; /* 0x0102 + 0x0300 = 0x0402 -> fbfd */
  c = sof_arp_csum(odd, 3);
  memcpy(cb, &c, 2);
  SOF_CHECK_EQ(cb[0], 0xfb);
  SOF_CHECK_EQ(cb[1], 0xfd);

  uint32_t ip;
  uint8_t pl;
  SOF_CHECK_EQ(sof_arp_parse_cidr("10.77.0.2/24", &ip, &pl), 0);
  SOF_CHECK_EQ(ip, 0x0a4d0002);
  SOF_CHECK_EQ(pl, 24);
  SOF_CHECK_EQ(sof_arp_parse_cidr("192.168.1.9", &ip, &pl), 0);
  SOF_CHECK_EQ(pl, 32);
  SOF_CHECK_EQ(sof_arp_parse_cidr("10.0.0.1/31", &ip, &pl), 0);
  char const *bad[] = {"", "10.0.0", "10.0.0.256/24", "10.0.0.1/33", "10.0.0.0/24", "10.0.0.255/24",
                       "0.0.0.0", "224.0.0.1", "10.0.0.1/", "10.0.0.1/24x", "a.b.c.d", "10..0.1",
                       "1000.0.0.1", "10.0.0.1/024"};
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
    SOF_CHECK(sof_arp_parse_cidr(bad[k], &ip, &pl) == -1);

  /* ARP request for us -> reply */
  uint8_t f[2048], g[2048];
  size_t n = arp_request(f, 0x0a4d0001, H.ip);
  SOF_CHECK_EQ(sof_arp_classify(&H, f, n), SOF_ARP_REQUEST);
  for (size_t cut = 0; cut < 42; cut++) SOF_CHECK_EQ(sof_arp_classify(&H, f, cut), SOF_ARP_OTHER);
  SOF_CHECK_EQ(sof_arp_classify(&H, f, 42), SOF_ARP_REQUEST);
  memcpy(g, f, n);
  SOF_CHECK_EQ(sof_arp_reply(&H, g, n), n);
  SOF_CHECK_MEM(g, PEER_MAC, 6);
  SOF_CHECK_MEM(g + 6, H.mac, 6);
  uint8_t want_arp[28] = {0, 1, 8, 0, 6, 4, 0, 2, 2, 0, 0, 0, 0, 1, 10, 77, 0, 2,
                          2, 0, 0, 0, 0, 0x99, 10, 77, 0, 1};
  SOF_CHECK_MEM(g + 14, want_arp, 28);
  SOF_CHECK_EQ(sof_arp_classify(&H, g, n), SOF_ARP_OTHER); /* a reply is not a request */
  SOF_CHECK_EQ(sof_arp_reply(&H, g, n), 0);
  /* for another address, from our own address, not a request */
  n = arp_request(f, 0x0a4d0001, 0x0a4d0003);
  SOF_CHECK_EQ(sof_arp_classify(&H, f, n), SOF_ARP_OTHER);
  memcpy(g, f, n);
  SOF_CHECK_EQ(sof_arp_reply(&H, g, n), 0);
  SOF_CHECK_MEM(g, f, n);
  n = arp_request(f, H.ip, H.ip);
  SOF_CHECK_EQ(sof_arp_classify(&H, f, n), SOF_ARP_OTHER);
  n = arp_request(f, 0x0a4d0001, H.ip);
  f[14 + 5] = 16; /* plen */
  SOF_CHECK_EQ(sof_arp_classify(&H, f, n), SOF_ARP_OTHER);

  /* gratuitous ARP */
  SOF_CHECK_EQ(sof_arp_gratuitous(&H, g, 59), 0);
  SOF_CHECK_EQ(sof_arp_gratuitous(&H, g, sizeof g), 60);
  uint8_t want_g[42] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 8, 6,
                        0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 10, 77, 0, 2,
                        0, 0, 0, 0, 0, 0, 10, 77, 0, 2};
  SOF_CHECK_MEM(g, want_g, 42);
  SOF_CHECK_EQ(sof_arp_classify(&H, g, 60), SOF_ARP_OTHER); /* our own announcement */

  /* ICMP echo request -> reply, odd payload, Ethernet padding */
  n = echo_request(f, H.ip, 3, 11);
  SOF_CHECK_EQ(sof_arp_classify(&H, f, n), SOF_ARP_ICMP_ECHO);
  for (size_t cut = 0; cut < 14 + 31; cut++) SOF_CHECK_EQ(sof_arp_classify(&H, f, cut), SOF_ARP_OTHER);
  memcpy(g, f, n);
  SOF_CHECK_EQ(sof_arp_icmp_reply(&H, g, n), 14 + 31);
  SOF_CHECK_MEM(g, PEER_MAC, 6);
  SOF_CHECK_MEM(g + 6, H.mac, 6);
  uint8_t *ip4 = g + 14;
  SOF_CHECK_EQ(ip4[8], 64);
  SOF_CHECK(ip4[12] == 10 && ip4[13] == 77 && ip4[14] == 0 && ip4[15] == 2);
  SOF_CHECK(ip4[16] == 10 && ip4[17] == 77 && ip4[18] == 0 && ip4[19] == 1);
  uint16_t zero = 0;
  c = sof_arp_csum(ip4, 20);
  SOF_CHECK_MEM(&c, &zero, 2); /* a right checksum sums to 0 (complement 0) */
  c = sof_arp_csum(ip4 + 20, 11);
  SOF_CHECK_MEM(&c, &zero, 2);
  SOF_CHECK_EQ(ip4[20], 0);
  SOF_CHECK_MEM(ip4 + 24, f + 14 + 24, 7); /* identifier, sequence, data kept */
  SOF_CHECK_EQ(sof_arp_classify(&H, g, 14 + 31), SOF_ARP_OTHER); /* a reply is not a request */
  /* big payload, IP options */
  n = echo_request(f, H.ip, 1400, 0);
  memcpy(g, f, n);
  SOF_CHECK_EQ(sof_arp_icmp_reply(&H, g, n), n);
  c = sof_arp_csum(g + 34, n - 34);
  SOF_CHECK_MEM(&c, &zero, 2);
  /* not for us: other address, fragment, other ICMP type, TCP, truncated total length */
  n = echo_request(f, H.ip + 1, 8, 0);
  SOF_CHECK_EQ(sof_arp_classify(&H, f, n), SOF_ARP_OTHER);
  n = echo_request(f, H.ip, 8, 0);
  f[14 + 6] = 0x20; /* MF */
  SOF_CHECK_EQ(sof_arp_classify(&H, f, n), SOF_ARP_OTHER);
  n = echo_request(f, H.ip, 8, 0);
  f[14 + 20] = 13;
  SOF_CHECK_EQ(sof_arp_classify(&H, f, n), SOF_ARP_OTHER);
  n = echo_request(f, H.ip, 8, 0);
  f[14 + 9] = 6;
  SOF_CHECK_EQ(sof_arp_classify(&H, f, n), SOF_ARP_OTHER);
  n = echo_request(f, H.ip, 8, 0);
  SOF_CHECK_EQ(sof_arp_classify(&H, f, n - 1), SOF_ARP_OTHER);
  f[14] = 0x44; /* IHL 4 */
  SOF_CHECK_EQ(sof_arp_classify(&H, f, n), SOF_ARP_OTHER);
  memcpy(g, f, n);
  SOF_CHECK_EQ(sof_arp_icmp_reply(&H, g, n), 0);
  SOF_CHECK_MEM(g, f, n);
  /* a UDP datagram to us is not ours to answer */
  n = echo_request(f, H.ip, 8, 0);
  f[14 + 9] = 17;
  SOF_CHECK_EQ(sof_arp_classify(&H, f, n), SOF_ARP_OTHER);
  SOF_CHECK_EQ(sof_arp_classify(&H, NULL, 0), SOF_ARP_OTHER);
  return sof_test_done("test_arp");
}
