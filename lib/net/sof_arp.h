/* sof_arp.h: the frames a host answers on a dedicated NIC: ARP requests
 * for its address and ICMP echo requests to it (issue #19).
 *
 * Pure frame logic, no DPDK, no sockets: sofd's rx role classifies the
 * frames the shred parser refuses (not_ipv4, not_udp) and turns the ones
 * meant for it into replies in place (the received buffer is reused).
 * Untagged Ethernet II only (a VLAN-tagged frame is SOF_ARP_OTHER).
 *
 * Contract:
 * - every function reads at most sz bytes of frame and never writes past
 *   them; a frame of any content and size (including 0) is safe;
 * - sof_arp_classify does not write; the reply builders write only a frame
 *   that sof_arp_classify gave the matching class (else they return 0 and
 *   leave it unchanged);
 * - addresses in sof_arp_host_t: ip in host byte order, mac as on the wire;
 * - thread safe (no state), no allocation. */
#ifndef SOF_NET_ARP_H
#define SOF_NET_ARP_H

#include <stddef.h>
#include <stdint.h>

#define SOF_ARP_FRAME_MIN 60U /* Ethernet minimum without FCS: what the builders pad to */

enum {
  SOF_ARP_OTHER = 0,      /* not for us (or not a request): dropped by the caller */
  SOF_ARP_REQUEST = 1,    /* ARP request (Ethernet/IPv4) whose target is our address */
  SOF_ARP_ICMP_ECHO = 2,  /* unfragmented IPv4 ICMP echo request (type 8 code 0) to our address */
};

typedef struct sof_arp_host {
  uint8_t  mac[6];
  uint32_t ip;      /* host byte order */
  uint8_t  prefix;  /* 0-32, informational (the subnet) */
} sof_arp_host_t;

/* sof_arp_parse_cidr parses "A.B.C.D/PREFIX" (PREFIX 0-32, decimal; the
 * "/PREFIX" may be left out: 32). Returns 0 with *ip (host order) and
 * *prefix, or -1. Refuses a network or broadcast address of the prefix
 * (when prefix <= 30), 0.0.0.0 and multicast / class E addresses. */
int sof_arp_parse_cidr(char const *s, uint32_t *ip, uint8_t *prefix);

/* sof_arp_classify returns the SOF_ARP_* class of frame[0..sz). An ARP
 * request whose sender address is ours too (another host's probe or a
 * gratuitous announcement of our address) is SOF_ARP_OTHER. */
int sof_arp_classify(sof_arp_host_t const *h, void const *frame, size_t sz);

/* sof_arp_reply turns an SOF_ARP_REQUEST frame into our ARP reply in
 * place. Returns the reply's length (the request's sz, at least 42), or 0
 * (frame not an SOF_ARP_REQUEST for h: unchanged). */
size_t sof_arp_reply(sof_arp_host_t const *h, void *frame, size_t sz);

/* sof_arp_icmp_reply turns an SOF_ARP_ICMP_ECHO frame into the echo reply
 * in place: MACs and IPs swapped, TTL 64, type 0, the IPv4 header and ICMP
 * checksums recomputed, the payload kept. Returns the reply's length
 * (14 + the IPv4 total length: trailing padding dropped), or 0 (unchanged). */
size_t sof_arp_icmp_reply(sof_arp_host_t const *h, void *frame, size_t sz);

/* sof_arp_gratuitous writes a gratuitous ARP request (broadcast, sender and
 * target our address) of SOF_ARP_FRAME_MIN bytes into out. Returns
 * SOF_ARP_FRAME_MIN, or 0 when cap is smaller. */
size_t sof_arp_gratuitous(sof_arp_host_t const *h, void *out, size_t cap);

/* sof_arp_csum returns the Internet checksum (RFC 1071) of p[0..n), the
 * complement of the ones' complement sum, as the 16-bit value to store in
 * network byte order at its place (i.e. memcpy-able). A buffer whose
 * checksum field is right sums to 0. */
uint16_t sof_arp_csum(void const *p, size_t n);

#endif /* SOF_NET_ARP_H */
