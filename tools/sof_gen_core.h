/* sof_gen_core.h: the generator behind sof-gen and sof-gen-tx.
 *
 * One engine builds the traffic (slots, forks, impairments, Ethernet/IPv4/
 * UDP frames) and hands every frame, in order, to a sink callback; the
 * programs differ only in the sink:
 *   sof-gen      writes each frame as a classic pcap record (tools/sof_gen.c);
 *   sof-gen-tx   keeps the frames in memory and sends them through a DPDK
 *                port, over and over (tools/sof_gen_tx.c).
 * So one pass of sof-gen-tx is, frame for frame, the pcap sof-gen writes
 * with the same options.
 *
 * The engine also writes the side outputs the content options ask for
 * (--truth, --leader-key, --leader-schedule, --summary); both programs
 * share its option parser, so the content options mean the same in both.
 *
 * Setup-time code (allocates, formats, prints errors to stderr prefixed
 * with the program's name); not for a packet path. */
#ifndef SOF_TOOLS_GEN_CORE_H
#define SOF_TOOLS_GEN_CORE_H

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>

/* Frames the engine builds: Ethernet/IPv4/UDP with a shred (1245 bytes for
 * a data shred, 1270 for a coding shred), or junk frames (--garbage) of 1
 * to 1270 bytes. No FCS. */
#define SOF_GEN_FRAME_MAX 1270U

/* Option codes at or above this value are free for a program's own
 * options (sof_gen_extra_t). */
#define SOF_GEN_OPT_EXTRA 1024

typedef struct sof_gen_opts {
  char const *prog;        /* program name in messages (default "sof-gen") */
  char const *truth_path;
  char const *leader_key_path;
  char const *schedule_path;
  char const *summary_path;
  uint64_t    slots;
  uint64_t    seed;
  uint64_t    start_slot;
  uint64_t    epoch_first_slot;
  uint64_t    txns_per_slot;
  uint32_t    vote_ppm;
  uint64_t    batches;
  uint64_t    ticks_between;
  uint64_t    txns_per_entry;
  uint64_t    leaders;
  uint64_t    leader_slots;
  uint64_t    slots_per_epoch; /* 0: one epoch (leaders take turns from epoch_first_slot on) */
  uint16_t    shred_version;
  uint16_t    other_version;
  int         other_version_set;
  uint32_t    src_ip; /* host order */
  uint32_t    dst_ip;
  uint16_t    src_port;
  uint16_t    dst_port;
  /* chain */
  uint32_t    skip_ppm;
  uint64_t    fork_every;
  uint64_t    fork_len;
  /* impairments */
  uint32_t    loss_ppm;
  uint64_t    loss_per_set;
  uint32_t    dup_ppm;
  uint64_t    reorder;
  uint32_t    corrupt_ppm;
  uint32_t    forge_ppm;
  uint32_t    equiv_ppm;
  uint32_t    wrongver_ppm;
  uint32_t    garbage_ppm;
} sof_gen_opts_t;

/* A program's own options, parsed in the same getopt loop as the engine's.
 * longopts: terminated by a zero entry, codes >= SOF_GEN_OPT_EXTRA or short
 * letters listed in shortopts (which must not use n, s, h). fn handles one
 * of them: returns 0, or -1 after printing why the value is bad. */
typedef struct sof_gen_extra {
  struct option const *longopts;
  char const *         shortopts;
  int                (*fn)(void *ctx, int c, char const *arg);
  void *               ctx;
} sof_gen_extra_t;

/* sof_gen_parse fills o from argv (argv[0] is the program; getopt state is
 * reset first, so it may follow another parser, e.g. rte_eal_init's) with
 * the engine's defaults, options and checks, plus extra's options (extra
 * may be NULL). Returns 0 to run, 1 for -h/--help, -1 on a usage error
 * (message printed). o->prog must be set before (NULL: "sof-gen"). */
int sof_gen_parse(sof_gen_opts_t *o, int argc, char **argv, sof_gen_extra_t const *extra);

/* Parses a decimal integer in [lo, hi] for option --opt; prints the error
 * ("PROG: --opt: expected ...") and returns -1 when it is not one. */
int sof_gen_parse_u64(char const *opt, char const *s, uint64_t lo, uint64_t hi, uint64_t *out);

/* Usage text of the engine's options: sof_gen_usage_outputs prints the
 * lines of the side outputs (to go under a program's "output:" heading),
 * sof_gen_usage_content the content, chain, impairments and packets
 * sections and -h. */
void sof_gen_usage_outputs(FILE *f);
void sof_gen_usage_content(FILE *f);

/* The sink: receives every frame in order, with its nominal pcap time in
 * microseconds (never decreasing). Returns 0 to go on; non-zero stops the
 * run (sof_gen_run returns -1; the sink prints its own message). */
typedef int (*sof_gen_frame_fn)(void *ctx, uint64_t t_us, uint8_t const *frame, uint32_t sz);

/* sof_gen_run generates everything o describes: writes the leader key
 * and schedule files, sends every frame to fn, writes the truth, then
 * the summary line (--summary FILE, else stderr). Returns 0, or -1 with a
 * message printed (by the engine, or by the sink). */
int sof_gen_run(sof_gen_opts_t const *o, sof_gen_frame_fn fn, void *ctx);

#endif /* SOF_TOOLS_GEN_CORE_H */
