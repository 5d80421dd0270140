/* sof-gen: synthetic shred traffic with ground truth, into a pcap file.
 *
 *   sof-gen [options] -o OUT.pcap
 *
 * The generator itself (slots, forks, impairments, frames, truth) is
 * sof_gen_core.c, shared with sof-gen-tx (the DPDK transmit mode); this
 * program is its pcap sink: every frame becomes a classic pcap record (LE,
 * microsecond timestamps, Ethernet), stamped with the frame's nominal time
 * (slots 400 ms apart, shreds 20 us apart, from a fixed epoch), so the same
 * options give the same bytes. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sof_gen_core.h"

#define PCAP_TS_BASE 1700000000ULL /* seconds: fixed, so output is reproducible */

enum { OPT_OUT = 'o' };

static void
usage(FILE *f) {
  fputs(
    "usage: sof-gen [options] -o OUT.pcap\n"
    "\n"
    "Generates Solana slots from a seed and writes their shreds, as a leader\n"
    "would send them (chained merkle shreds, 32 data + 32 coding per FEC set,\n"
    "last set of each slot resigned), to a classic pcap file of\n"
    "Ethernet/IPv4/UDP frames (1245 bytes per data shred, 1270 per coding\n"
    "shred; data shreds then coding shreds of each set, in index order).\n"
    "The same options give the same bytes.\n"
    "\n"
    "output:\n"
    "  -o, --out FILE               pcap file to write (required)\n",
    f);
  sof_gen_usage_outputs(f);
  sof_gen_usage_content(f);
  fputs(
    "\n"
    "  -h, --help                   this text\n"
    "\n"
    "Exit status: 0 done, 1 generation or write failure, 2 usage error.\n",
    f);
}

typedef struct {
  char const *path;
  FILE *      f;
} pcap_sink_t;

static int
out_opt(void *ctx, int c, char const *arg) {
  pcap_sink_t *p = ctx;
  if (c != OPT_OUT) return -1;
  p->path = arg;
  return 0;
}

static void
st_le32(uint8_t *p, uint32_t v) {
  for (unsigned i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static int
put(pcap_sink_t *p, void const *b, size_t sz) {
  if (fwrite(b, 1, sz, p->f) == sz) return 0;
  fprintf(stderr, "sof-gen: write error: %s: %s\n", p->path, strerror(errno ? errno : EIO));
  return -1;
}

/* The sink: one pcap record per frame. */
static int
pcap_frame(void *ctx, uint64_t t_us, uint8_t const *frame, uint32_t sz) {
  pcap_sink_t *p = ctx;
  uint8_t      rec[16];
  st_le32(rec, (uint32_t)(PCAP_TS_BASE + t_us / 1000000));
  st_le32(rec + 4, (uint32_t)(t_us % 1000000));
  st_le32(rec + 8, sz);
  st_le32(rec + 12, sz);
  return put(p, rec, sizeof rec) || put(p, frame, sz) ? -1 : 0;
}

int
main(int argc, char **argv) {
  static struct option const out_opts[] = {
    { "out", required_argument, NULL, OPT_OUT },
    { NULL, 0, NULL, 0 },
  };
  pcap_sink_t     p     = { 0 };
  sof_gen_extra_t extra = { .longopts = out_opts, .shortopts = "o:", .fn = out_opt, .ctx = &p };
  sof_gen_opts_t  o     = { .prog = "sof-gen" };
  int             prc   = sof_gen_parse(&o, argc, argv, &extra);
  if (prc > 0) {
    usage(stdout);
    return 0;
  }
  if (!prc && !p.path) {
    fprintf(stderr, "sof-gen: missing -o OUT.pcap\n");
    prc = -1;
  }
  if (prc < 0) {
    fprintf(stderr, "Try 'sof-gen --help'.\n");
    return 2;
  }

  p.f = fopen(p.path, "wb");
  if (!p.f) {
    fprintf(stderr, "sof-gen: cannot create %s: %s\n", p.path, strerror(errno));
    return 1;
  }
  uint8_t h[24];
  st_le32(h, 0xA1B2C3D4U);  /* microsecond timestamps */
  h[4] = 2; h[5] = 0;       /* version 2.4 */
  h[6] = 4; h[7] = 0;
  st_le32(h + 8, 0);        /* thiszone */
  st_le32(h + 12, 0);       /* sigfigs */
  st_le32(h + 16, 65535);   /* snaplen */
  st_le32(h + 20, 1);       /* LINKTYPE_ETHERNET */
  int rc = put(&p, h, sizeof h) || sof_gen_run(&o, pcap_frame, &p) ? 1 : 0;
  if (fclose(p.f) && !rc) {
    fprintf(stderr, "sof-gen: write error: %s: %s\n", p.path, strerror(errno));
    rc = 1;
  }
  return rc;
}
