/* libFuzzer target: lib/net/sof_arp on any frame: classify, then the
 * reply builders on a copy (exactly the builder of the class writes, the
 * reply stays within the frame and classifies as no request again). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/sof_arp.h"

#define REQUIRE(c) do { if (!(c)) abort(); } while (0)

#include "sof_fuzz.h"

int
LLVMFuzzerTestOneInput(uint8_t const *data, size_t sz) {
  sof_arp_host_t h = {.mac = {2, 0, 0, 0, 0, 1}, .ip = 0x0a4d0002, .prefix = 24};
  if (sz >= 4) memcpy(&h.ip, data, 4); /* the address from the input too, sometimes matching */
  if (sz >= 4 && (data[0] & 1)) h.ip = 0x0a4d0002;
  uint8_t *f = malloc(sz ? sz : 1);
  REQUIRE(f);
  memcpy(f, data, sz);
  int cls = sof_arp_classify(&h, f, sz);
  REQUIRE(cls == SOF_ARP_OTHER || cls == SOF_ARP_REQUEST || cls == SOF_ARP_ICMP_ECHO);
  size_t a = sof_arp_reply(&h, f, sz);
  REQUIRE((a != 0) == (cls == SOF_ARP_REQUEST));
  if (!a) REQUIRE(sz == 0 || !memcmp(f, data, sz));
  if (a) {
    REQUIRE(a == sz);
    REQUIRE(sof_arp_classify(&h, f, a) == SOF_ARP_OTHER);
  }
  memcpy(f, data, sz);
  size_t e = sof_arp_icmp_reply(&h, f, sz);
  REQUIRE((e != 0) == (cls == SOF_ARP_ICMP_ECHO));
  if (e) {
    REQUIRE(e >= 14 + 28 && e <= sz);
    uint16_t c = sof_arp_csum(f + 14, (size_t)(f[14] & 15) * 4);
    REQUIRE(c == 0);
    REQUIRE(sof_arp_classify(&h, f, e) == SOF_ARP_OTHER);
  }
  uint8_t g[64];
  REQUIRE(sof_arp_gratuitous(&h, g, sz % 80) == (sz % 80 >= 60 ? 60 : 0));
  uint32_t ip;
  uint8_t pl;
  char s[24];
  size_t k = sz < sizeof s - 1 ? sz : sizeof s - 1;
  memcpy(s, data, k);
  s[k] = 0;
  if (sof_arp_parse_cidr(s, &ip, &pl) == 0) REQUIRE(pl <= 32 && ip != 0);
  free(f);
  return 0;
}
