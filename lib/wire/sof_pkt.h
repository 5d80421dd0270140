/* sof_pkt.h: Ethernet / VLAN / IPv4 / UDP framing of shred packets.
 *
 * sof_pkt_parse finds the UDP payload of one Ethernet frame without copying.
 * It is the same code for pcap replay and for the DPDK RX path, so both
 * count drops with the same reason codes. */
#ifndef SOF_WIRE_PKT_H
#define SOF_WIRE_PKT_H

#include <stddef.h>
#include <stdint.h>

#define SOF_PKT_ETH_HDR_SZ   14U
#define SOF_PKT_VLAN_HDR_SZ   4U
#define SOF_PKT_VLAN_MAX      2U  /* 802.1ad outer + 802.1Q inner */
#define SOF_PKT_IPV4_HDR_MIN 20U
#define SOF_PKT_UDP_HDR_SZ    8U

#define SOF_PKT_ERR_LIST(X)                                                       \
  X(TOO_SHORT,      -1, "l2_too_short")     /* frame ends inside a header */      \
  X(NOT_IPV4,       -2, "not_ipv4")         /* ethertype not IPv4 (ARP, IPv6..) */ \
  X(VLAN_DEPTH,     -3, "vlan_too_deep")    /* more than SOF_PKT_VLAN_MAX tags */  \
  X(IP_BAD_HEADER,  -4, "ipv4_bad_header")  /* version, IHL or total length */    \
  X(IP_FRAGMENT,    -5, "ipv4_fragment")    /* MF set or offset != 0 */           \
  X(NOT_UDP,        -6, "not_udp")          /* IPv4 protocol other than UDP */    \
  X(UDP_BAD_LEN,    -7, "udp_bad_length")   /* UDP length vs IPv4 length */

enum {
  SOF_PKT_OK = 0,
#define SOF_PKT_ERR_ENUM_(name, val, str) SOF_PKT_ERR_##name = (val),
  SOF_PKT_ERR_LIST(SOF_PKT_ERR_ENUM_)
#undef SOF_PKT_ERR_ENUM_
};
#define SOF_PKT_ERR_CNT 7

/* The UDP datagram found in a frame. Addresses and ports are in host byte
 * order. payload_off indexes the frame given to sof_pkt_parse. */
typedef struct sof_pkt_udp {
  uint32_t src_ip;
  uint32_t dst_ip;
  uint16_t src_port;
  uint16_t dst_port;
  uint16_t vlan_id;     /* innermost VLAN id, 0 when untagged */
  uint8_t  vlan_cnt;
  uint8_t  ip_hdr_sz;   /* 20 + options */
  uint32_t payload_off;
  uint32_t payload_sz;  /* from the UDP length field */
} sof_pkt_udp_t;

/* sof_pkt_parse parses an Ethernet II frame of frame_sz bytes down to its
 * UDP payload. Accepts up to two VLAN tags (0x8100, 0x88A8), IPv4 with
 * options; trailing Ethernet padding beyond the IPv4 total length is
 * ignored. The IPv4 and UDP checksums are not verified (NICs do it; pcap
 * replays often carry zero checksums).
 * Returns SOF_PKT_OK with *out filled, or a SOF_PKT_ERR_* reason (out
 * unspecified). Pure function: thread safe, no allocation. */
int sof_pkt_parse(sof_pkt_udp_t *out, void const *frame, size_t frame_sz);

/* sof_pkt_err_str returns the stable name of a reason code ("ok" for 0). */
char const *sof_pkt_err_str(int err);

#endif /* SOF_WIRE_PKT_H */
