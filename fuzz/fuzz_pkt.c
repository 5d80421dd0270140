/* libFuzzer target: Ethernet / VLAN / IPv4 / UDP framing, then the shred
 * parser on whatever payload it finds (the RX path's order). */
#include <stdint.h>
#include <stdlib.h>

#include "wire/sof_pkt.h"
#include "wire/sof_shred.h"

#define REQUIRE(c) do { if (!(c)) abort(); } while (0)

#include "sof_fuzz.h"

int
LLVMFuzzerTestOneInput(uint8_t const *data, size_t sz) {
  sof_pkt_udp_t u;
  int err = sof_pkt_parse(&u, data, sz);
  if (err) {
    REQUIRE(err < 0 && err >= -SOF_PKT_ERR_CNT);
    return 0;
  }
  REQUIRE(u.payload_off >= 14 + 20 + 8);
  REQUIRE((size_t)u.payload_off + u.payload_sz <= sz);
  REQUIRE(u.vlan_cnt <= SOF_PKT_VLAN_MAX);
  REQUIRE(u.ip_hdr_sz >= 20 && u.ip_hdr_sz <= 60);
  sof_shred_t s;
  if (!sof_shred_parse(&s, data + u.payload_off, u.payload_sz, 0)) REQUIRE(s.payload_sz <= u.payload_sz);
  return 0;
}
