/* fuzz_race.c: the feed race tables (lib/state/sof_race.h) under
 * attacker-chosen sources, slots, keys and times (all of which come from
 * packets), plus the source address parser on the input's head.
 *
 * Input: a NUL-terminated head (an address string for
 * sof_race_parse_addr), then 8-byte ops on two writers with small bounds
 * (3 source rows, 2 leader rows, a 64-entry dedupe table):
 *   op & 3: 0/1 shred via dedupe on writer op>>7 (as rx), 2 received only,
 *   3 set completed first; ip = b1 & 7, port = b2 & 7, slot = b3, idx =
 *   b4 & 15, time step = b5 | b6 << 8 (ns, may be 0).
 * Checks: the snapshot's leader rows add up to its totals; the received
 * total equals the shreds recorded; first arrivals never exceed received;
 * lag samples never exceed received; row counts stay in bounds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sof_fuzz.h"
#include "state/sof_dedupe.h"
#include "state/sof_race.h"
#include "state/sof_race_json.h"

static uint8_t keys[5][32];

static uint8_t const *
leader_of(void *ctx, uint64_t slot) {
  (void)ctx;
  return slot % 7 == 6 ? NULL : keys[slot % 5];
}

int
LLVMFuzzerTestOneInput(uint8_t const *data, size_t sz) {
  size_t head = 0;
  while (head < sz && head < 64 && data[head]) head++;
  char s[65];
  memcpy(s, data, head);
  s[head] = 0;
  uint32_t ip;
  uint16_t port;
  char err[128];
  if (sof_race_parse_addr(s, &ip, &port, err, sizeof err) == 0) {
    char back[32];
    if (port) snprintf(back, sizeof back, "%u.%u.%u.%u:%u", ip >> 24, (ip >> 16) & 255U, (ip >> 8) & 255U, ip & 255U, port);
    else snprintf(back, sizeof back, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255U, (ip >> 8) & 255U, ip & 255U);
    if (strcmp(back, s)) abort(); /* only canonical forms are accepted */
  }
  if (head < sz) head++;
  data += head;
  sz -= head;

  for (int i = 0; i < 5; i++) memset(keys[i], 'k' + i, 32);
  sof_race_cfg_t c;
  sof_race_cfg_default(&c);
  c.sources_max = 3;
  c.leaders_max = 2;
  sof_race_named_t nm = {"named", 1, 0};
  c.named = &nm;
  c.named_cnt = 1;
  c.leader_of = leader_of;
  sof_race_group_t *g = sof_race_group_new(&c, 2, NULL, 0);
  if (!g) abort();
  sof_dedupe_cfg_t dc;
  sof_dedupe_cfg_default(&dc);
  dc.capacity = 64;
  dc.probe_max = 8;
  dc.slot_window = 32;
  dc.ttl = 100000;
  dc.seed = 5;
  sof_dedupe_t *d[2] = {sof_dedupe_new(&dc, NULL, 0), sof_dedupe_new(&dc, NULL, 0)};
  uint8_t sig[64] = {0};
  uint64_t now = 1, recorded = 0;
  for (size_t o = 0; o + 8 <= sz; o += 8) {
    uint8_t const *b = data + o;
    unsigned w = b[0] >> 7;
    sof_race_t *t = sof_race_group_writer(g, w);
    uint32_t sip = b[1] & 7U;
    uint16_t sport = b[2] & 7U;
    uint64_t slot = b[3];
    uint32_t idx = b[4] & 15U;
    now += (uint64_t)b[5] | (uint64_t)b[6] << 8;
    sig[0] = b[7] & 1U; /* two signatures: conflicts happen */
    switch (b[0] & 3U) {
    case 0:
    case 1: {
      uint32_t src = sof_race_source(t, sip, sport);
      if (src > sof_race_other(t)) abort();
      sof_dedupe_first_t f;
      int r = sof_dedupe_check_src(d[w], slot, idx, 0, 1, 0x80, sig, now, (uint16_t)src, &f);
      sof_race_record(t, src, slot, r, &f);
      recorded++;
      break;
    }
    case 2:
      sof_race_received(t, sof_race_source(t, sip, sport), slot);
      recorded++;
      break;
    default:
      sof_race_set_first(t, sip, sport, slot);
      break;
    }
  }
  sof_race_snap_t *sn = sof_race_snap_new(g);
  if (!sn) abort();
  sof_race_snap_take(g, sn);
  if (sn->src_cnt > sn->src_cap || sn->leader_cnt > sn->leader_cap || !sn->src[sn->src_cnt - 1].other) abort();
  uint64_t rcv = 0;
  for (uint32_t i = 0; i < sn->src_cnt; i++) {
    uint64_t r = 0, f = 0, st = 0, h = 0;
    for (uint32_t l = 0; l < sn->leader_cnt; l++) {
      sof_race_cell_t const *cl = sof_race_snap_cell(sn, l, i);
      r += cl->received;
      f += cl->first;
      st += cl->sets_first;
      h += sof_race_hist_count(&cl->hist);
      if (cl->first > cl->received) abort();
    }
    sof_race_cell_t const *tt = &sn->totals[i];
    if (r != tt->received || f != tt->first || st != tt->sets_first || h != sof_race_hist_count(&tt->hist))
      abort();
    /* a shred gives its source one sample at most, and the first source
     * one lead sample per key it won: at most first + received in all */
    if (h > tt->received + tt->first) abort();
    rcv += r;
  }
  if (rcv != recorded) abort();
  static char buf[1 << 16];
  sof_json_t j;
  sof_json_init(&j, buf, sizeof buf);
  sof_json_obj_begin(&j);
  sof_race_json_fields(sn, &j, 1);
  sof_json_obj_end(&j);
  if (!sof_json_ok(&j)) abort();
  sof_race_snap_delete(sn);
  sof_dedupe_delete(d[0]);
  sof_dedupe_delete(d[1]);
  sof_race_group_delete(g);
  return 0;
}
