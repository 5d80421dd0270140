/* sof-dump: inspect shreds, entry batches and transactions as JSON lines.
 *
 *   sof-dump [options] INPUT...      pcap / pcapng, raw shred file, or a
 *                                    directory of raw shred files
 *   sof-dump --entries FILE          one entry batch (bincode Vec<Entry>)
 *   sof-dump --tx FILE               one serialized transaction
 *
 * One JSON object per line on stdout, "type" = shred | entry | transaction |
 * summary. Malformed input yields a line with "error" and the tool goes on;
 * the exit code is 0 when everything parsed, 1 when anything was malformed,
 * 2 on a usage or I/O error. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "crypto/sof_ed25519.h"
#include "crypto/sof_merkle.h"
#include "pipeline/sof_event_json.h"
#include "pipeline/sof_ingest.h"
#include "resolve/sof_reasm.h"
#include "resolve/sof_resolver.h"
#include "util/sof_json.h"
#include "verify/sof_leaders.h"
#include "verify/sof_verify.h"
#include "wire/sof_base58.h"
#include "wire/sof_entry.h"
#include "wire/sof_pkt.h"
#include "wire/sof_shred.h"
#include "wire/sof_txn.h"

#define DUMP_LINE_MAX (64UL * 1024UL)
#define DUMP_FILE_MAX (64UL * 1024UL * 1024UL) /* largest --entries / raw file read */

typedef struct {
  /* options */
  int port;            /* UDP destination port filter, -1 = any */
  int summary;         /* print the summary line */
  sof_verify_t *verify; /* --verify: the verifier, else NULL */
  sof_ingest_t *ingest; /* --reassemble: late check, verify, FEC recovery, entry batches */
  /* counters */
  uint64_t inputs;
  uint64_t frames;
  uint64_t frames_filtered; /* UDP to another port (not counted as errors) */
  uint64_t shreds_ok;
  uint64_t shreds_data;
  uint64_t shreds_code;
  uint64_t pkt_err[SOF_PKT_ERR_CNT + 1];
  uint64_t shred_err[SOF_SHRED_ERR_CNT + 1];
  uint64_t entries;
  uint64_t txns_ok;
  uint64_t txn_err;
  uint64_t entry_err;
  uint64_t io_err;
  uint64_t rejected;   /* --verify: parsed but not accepted (bad signature, unknown leader...) */
  /* output */
  sof_json_t j;
  char line[DUMP_LINE_MAX];
} dump_t;

static void
emit(dump_t *d) {
  sof_json_newline(&d->j);
  if (sof_json_ok(&d->j)) {
    fwrite(d->j.buf, 1, d->j.len, stdout);
  } else { /* cannot happen with DUMP_LINE_MAX and our bounded lines; never print half a line */
    fprintf(stderr, "sof-dump: output line too long, dropped\n");
    d->io_err++;
  }
  sof_json_reset(&d->j);
}

static void
emit_error(dump_t *d, char const *type, char const *reason, char const *source, int64_t frame) {
  sof_json_t *j = &d->j;
  sof_json_obj_begin(j);
  sof_json_key(j, "type");   sof_json_str(j, type);
  sof_json_key(j, "error");  sof_json_str(j, reason);
  sof_json_key(j, "source"); sof_json_str(j, source);
  if (frame >= 0) { sof_json_key(j, "frame"); sof_json_i64(j, frame); }
  sof_json_obj_end(j);
  emit(d);
}

/* ---- shreds ------------------------------------------------------------ */

static void dump_txn_line(dump_t *d, uint8_t const *p, sof_txn_t const *t, char const *source,
                          int64_t slot, int64_t entry_idx);

/* --reassemble: one completed entry batch, as a dataset line; its
 * transactions follow through on_txn. */
static void
on_dataset(void *ctx, sof_reasm_batch_t const *b, sof_entry_batch_t const *eb, int err) {
  dump_t *d = ctx;
  sof_json_t *j = &d->j;
  sof_json_obj_begin(j);
  sof_json_key(j, "type"); sof_json_str(j, "dataset");
  sof_event_json_dataset(j, b, eb, err);
  sof_json_obj_end(j);
  emit(d);
}

static void
on_txn(void *ctx, sof_reasm_batch_t const *b, uint64_t entry_idx, uint8_t const *p,
       sof_txn_t const *t) {
  dump_t *d = ctx;
  char source[64];
  snprintf(source, sizeof source, "slot %llu", (unsigned long long)b->slot);
  d->txns_ok++;
  dump_txn_line(d, p, t, source, (int64_t)b->slot, (int64_t)entry_idx);
}

/* --reassemble: the shred through sof_ingest (late check, verification,
 * resolver, reassembly); datasets and transactions print from its
 * callbacks, malformed and rejected shreds as error lines. */
static void
ingest_shred(dump_t *d, uint8_t const *p, size_t sz, unsigned parse_flags, char const *source,
             int64_t frame) {
  sof_shred_t s;
  sof_ingest_result_t r;
  switch (sof_ingest_shred(d->ingest, p, sz, parse_flags, &s, &r)) {
  case SOF_INGEST_LATE:
    return;
  case SOF_INGEST_MALFORMED:
    d->shred_err[-r.parse_err]++;
    emit_error(d, "shred", sof_shred_err_str(r.parse_err), source, frame);
    return;
  default:
    break;
  }
  d->shreds_ok++;
  if (s.is_data) d->shreds_data++;
  else           d->shreds_code++;
  if (r.fate == SOF_INGEST_REJECTED) {
    d->rejected++;
    emit_error(d, "shred", sof_verify_result_str(r.verify), source, frame);
  }
}

static void
dump_shred(dump_t *d, uint8_t const *p, size_t sz, unsigned parse_flags, char const *source,
           int64_t frame) {
  if (d->ingest) {
    ingest_shred(d, p, sz, parse_flags, source, frame);
    return;
  }
  sof_shred_t s;
  sof_verify_info_t vi;
  int vres = -1;
  int err;
  if (d->verify) {
    vres = sof_verify_shred(d->verify, p, sz, parse_flags, &s, &vi);
    err = vres == SOF_VERIFY_MALFORMED ? vi.parse_err : 0;
  } else {
    err = sof_shred_parse(&s, p, sz, parse_flags);
  }
  if (err) {
    d->shred_err[-err]++;
    emit_error(d, "shred", sof_shred_err_str(err), source, frame);
    return;
  }
  if (vres >= 0 && !sof_verify_accepted(d->verify, vres)) d->rejected++;
  d->shreds_ok++;
  if (s.is_data) d->shreds_data++;
  else           d->shreds_code++;

  sof_json_t *j = &d->j;
  sof_json_obj_begin(j);
  sof_json_key(j, "type");        sof_json_str(j, "shred");
  sof_json_key(j, "source");      sof_json_str(j, source);
  if (frame >= 0) { sof_json_key(j, "frame"); sof_json_i64(j, frame); }
  sof_json_key(j, "slot");        sof_json_u64(j, s.slot);
  sof_json_key(j, "index");       sof_json_u64(j, s.idx);
  sof_json_key(j, "variant");     sof_json_str(j, sof_shred_variant_str(&s));
  sof_json_key(j, "proofSize");   sof_json_u64(j, s.proof_cnt);
  sof_json_key(j, "fecSetIndex"); sof_json_u64(j, s.fec_set_idx);
  sof_json_key(j, "version");     sof_json_u64(j, s.version);
  if (s.is_data) {
    sof_json_key(j, "parentOffset"); sof_json_u64(j, s.parent_off);
    sof_json_key(j, "parent");       sof_json_u64(j, sof_shred_parent(&s));
    sof_json_key(j, "flags");        sof_json_u64(j, s.flags);
    sof_json_key(j, "dataComplete"); sof_json_bool(j, !!(s.flags & SOF_SHRED_FLAG_DATA_COMPLETE));
    sof_json_key(j, "lastInSlot");
    sof_json_bool(j, (s.flags & SOF_SHRED_FLAG_LAST_IN_SLOT) == SOF_SHRED_FLAG_LAST_IN_SLOT);
    sof_json_key(j, "referenceTick"); sof_json_u64(j, s.flags & SOF_SHRED_FLAG_REF_TICK_MASK);
    sof_json_key(j, "size");         sof_json_u64(j, s.size);
    sof_json_key(j, "dataLen");      sof_json_u64(j, s.data_sz);
  } else {
    sof_json_key(j, "numData");   sof_json_u64(j, s.num_data);
    sof_json_key(j, "numCoding"); sof_json_u64(j, s.num_coding);
    sof_json_key(j, "position");  sof_json_u64(j, s.position);
  }
  sof_json_key(j, "payloadLen"); sof_json_u64(j, sz);
  sof_json_key(j, "signature");  sof_json_b58_64(j, p);
  if (vres >= 0) {
    sof_json_key(j, "verify"); sof_json_str(j, sof_verify_result_str(vres));
    if (vi.conflict) { sof_json_key(j, "conflict"); sof_json_bool(j, 1); }
  }
  if (s.is_merkle) {
    uint8_t root[32];
    /* the verifier's root when it computed one (not under the trusted
     * posture), else computed here for display */
    int have_root;
    if (vres >= 0 && vi.root_valid) {
      memcpy(root, vi.root, 32);
      have_root = 1;
    } else {
      have_root = !sof_shred_merkle_root(root, p, &s);
    }
    if (have_root) {
      sof_json_key(j, "merkleRoot");
      sof_json_b58_32(j, root);
    }
    if (s.is_chained) {
      sof_json_key(j, "chainedMerkleRoot");
      sof_json_b58_32(j, p + s.chained_root_off);
    }
    if (s.is_resigned) {
      sof_json_key(j, "retransmitterSignature");
      sof_json_b58_64(j, p + s.retx_sig_off);
    }
  }
  sof_json_obj_end(j);
  emit(d);
}

/* ---- transactions and entries ------------------------------------------ */

static void
dump_txn_line(dump_t *d, uint8_t const *p, sof_txn_t const *t, char const *source,
              int64_t slot, int64_t entry_idx) {
  sof_json_t *j = &d->j;
  sof_json_obj_begin(j);
  sof_json_key(j, "type");   sof_json_str(j, "transaction");
  sof_json_key(j, "source"); sof_json_str(j, source);
  if (slot >= 0) { sof_json_key(j, "slot"); sof_json_i64(j, slot); }
  if (entry_idx >= 0) { sof_json_key(j, "entry"); sof_json_i64(j, entry_idx); }
  sof_event_json_txn(j, p, t);
  sof_json_obj_end(j);
  emit(d);
}

/* ---- inputs -------------------------------------------------------------- */

/* Reads a whole regular file (at most DUMP_FILE_MAX bytes) into a malloc'd
 * buffer. Returns NULL with a message on failure. */
static uint8_t *
read_file(char const *path, size_t *out_sz) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "sof-dump: %s: %s\n", path, strerror(errno));
    return NULL;
  }
  uint8_t *buf = NULL;
  size_t sz = 0, cap = 0;
  for (;;) {
    if (sz == cap) {
      if (cap >= DUMP_FILE_MAX) {
        fprintf(stderr, "sof-dump: %s: larger than %lu bytes\n", path, DUMP_FILE_MAX);
        free(buf);
        fclose(f);
        return NULL;
      }
      cap = cap ? cap * 2 : 4096;
      uint8_t *nb = realloc(buf, cap);
      if (!nb) {
        fprintf(stderr, "sof-dump: %s: out of memory\n", path);
        free(buf);
        fclose(f);
        return NULL;
      }
      buf = nb;
    }
    size_t n = fread(buf + sz, 1, cap - sz, f);
    sz += n;
    if (n == 0) break;
  }
  int bad = ferror(f);
  fclose(f);
  if (bad) {
    fprintf(stderr, "sof-dump: %s: read error\n", path);
    free(buf);
    return NULL;
  }
  *out_sz = sz;
  return buf;
}

static int
is_pcap_magic(uint8_t const *b, size_t sz) {
  if (sz < 4) return 0;
  uint32_t m = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
  return m == 0xA1B2C3D4U || m == 0xD4C3B2A1U || m == 0xA1B23C4DU || m == 0x4D3CB2A1U ||
         m == 0x0A0D0D0AU; /* pcapng section header */
}

static int
dump_pcap(dump_t *d, char const *path) {
  char errbuf[PCAP_ERRBUF_SIZE];
  pcap_t *pc = pcap_open_offline(path, errbuf);
  if (!pc) {
    fprintf(stderr, "sof-dump: %s: %s\n", path, errbuf);
    return -1;
  }
  int dlt = pcap_datalink(pc);
  if (dlt != DLT_EN10MB) {
    fprintf(stderr, "sof-dump: %s: link type %s not supported (Ethernet only)\n", path,
            pcap_datalink_val_to_name(dlt) ? pcap_datalink_val_to_name(dlt) : "?");
    pcap_close(pc);
    return -1;
  }
  struct pcap_pkthdr *h;
  uint8_t const *frame;
  int rc;
  int64_t frame_no = 0;
  while ((rc = pcap_next_ex(pc, &h, &frame)) == 1) {
    frame_no++;
    d->frames++;
    sof_pkt_udp_t u;
    int err = h->caplen < h->len ? SOF_PKT_ERR_TOO_SHORT : sof_pkt_parse(&u, frame, h->caplen);
    if (err) {
      d->pkt_err[-err]++;
      emit_error(d, "shred", sof_pkt_err_str(err), path, frame_no);
      continue;
    }
    if (d->port >= 0 && u.dst_port != d->port) {
      d->frames_filtered++;
      continue;
    }
    dump_shred(d, frame + u.payload_off, u.payload_sz, 0, path, frame_no);
  }
  int ret = 0;
  if (rc == -1) {
    fprintf(stderr, "sof-dump: %s: %s\n", path, pcap_geterr(pc));
    ret = -1;
  }
  pcap_close(pc);
  return ret;
}

static int
dump_raw_shred_file(dump_t *d, char const *path) {
  size_t sz;
  uint8_t *buf = read_file(path, &sz);
  if (!buf) return -1;
  if (is_pcap_magic(buf, sz)) {
    free(buf);
    return dump_pcap(d, path);
  }
  /* Files are storage form: legacy data shreds may be trimmed to `size`. */
  dump_shred(d, buf, sz, SOF_SHRED_PARSE_ALLOW_TRIMMED, path, -1);
  free(buf);
  return 0;
}

static int
cmp_str(void const *a, void const *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file of a directory, in name order (not recursive). */
static int
dump_dir(dump_t *d, char const *dir) {
  DIR *dp = opendir(dir);
  if (!dp) {
    fprintf(stderr, "sof-dump: %s: %s\n", dir, strerror(errno));
    return -1;
  }
  char **names = NULL;
  size_t cnt = 0, cap = 0;
  struct dirent *de;
  int ret = 0;
  while ((de = readdir(dp))) {
    if (de->d_name[0] == '.') continue;
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
    struct stat st;
    if (n < 0 || (size_t)n >= sizeof path || stat(path, &st) || !S_ISREG(st.st_mode)) continue;
    if (cnt == cap) {
      cap = cap ? cap * 2 : 256;
      char **nn = realloc(names, cap * sizeof *names);
      if (!nn) { ret = -1; break; }
      names = nn;
    }
    if (!(names[cnt] = strdup(path))) { ret = -1; break; }
    cnt++;
  }
  closedir(dp);
  if (ret) fprintf(stderr, "sof-dump: %s: out of memory\n", dir);
  qsort(names, cnt, sizeof *names, cmp_str);
  for (size_t i = 0; i < cnt; i++) {
    if (!ret && dump_raw_shred_file(d, names[i])) ret = -1;
    free(names[i]);
  }
  free(names);
  return ret;
}

static int
dump_input(dump_t *d, char const *path) {
  struct stat st;
  if (stat(path, &st)) {
    fprintf(stderr, "sof-dump: %s: %s\n", path, strerror(errno));
    return -1;
  }
  d->inputs++;
  if (S_ISDIR(st.st_mode)) return dump_dir(d, path);
  return dump_raw_shred_file(d, path);
}

/* ---- --tx and --entries -------------------------------------------------- */

static int
dump_tx_file(dump_t *d, char const *path) {
  size_t sz;
  uint8_t *buf = read_file(path, &sz);
  if (!buf) return -1;
  d->inputs++;
  sof_txn_t t;
  size_t used;
  int err = sof_txn_parse(&t, buf, sz, &used);
  if (!err && used != sz) err = SOF_TXN_ERR_TRAILING; /* a file holds exactly one */
  if (err) {
    d->txn_err++;
    emit_error(d, "transaction", sof_txn_err_str(err), path, -1);
  } else {
    d->txns_ok++;
    dump_txn_line(d, buf, &t, path, -1, -1);
  }
  free(buf);
  return 0;
}

static int
dump_entries_file(dump_t *d, char const *path) {
  size_t sz;
  uint8_t *buf = read_file(path, &sz);
  if (!buf) return -1;
  d->inputs++;
  sof_entry_iter_t it;
  sof_entry_t e;
  int rc = sof_entry_iter_init(&it, buf, sz);
  uint64_t ticks = 0, txns = 0;
  while (rc >= 0 && (rc = sof_entry_iter_next(&it, &e)) == 1) {
    d->entries++;
    ticks += e.txn_cnt == 0;
    sof_json_t *j = &d->j;
    sof_json_obj_begin(j);
    sof_json_key(j, "type");      sof_json_str(j, "entry");
    sof_json_key(j, "source");    sof_json_str(j, path);
    sof_json_key(j, "index");     sof_json_u64(j, e.idx);
    sof_json_key(j, "numHashes"); sof_json_u64(j, e.num_hashes);
    sof_json_key(j, "hash");      sof_json_b58_32(j, e.hash);
    sof_json_key(j, "txCount");   sof_json_u64(j, e.txn_cnt);
    sof_json_key(j, "tick");      sof_json_bool(j, e.txn_cnt == 0);
    sof_json_obj_end(j);
    emit(d);
    sof_txn_t t;
    size_t toff;
    while ((rc = sof_entry_iter_next_txn(&it, &t, &toff, NULL)) == 1) {
      txns++;
      d->txns_ok++;
      dump_txn_line(d, buf + toff, &t, path, -1, (int64_t)e.idx);
    }
  }
  sof_json_t *j = &d->j;
  if (rc < 0) {
    d->entry_err++;
    sof_json_obj_begin(j);
    sof_json_key(j, "type");   sof_json_str(j, "entry");
    sof_json_key(j, "error");  sof_json_str(j, sof_entry_err_str(rc));
    if (rc == SOF_ENTRY_ERR_TXN) { sof_json_key(j, "txError"); sof_json_str(j, sof_txn_err_str(it.txn_err)); }
    sof_json_key(j, "source"); sof_json_str(j, path);
    sof_json_key(j, "offset"); sof_json_u64(j, it.err_off);
    sof_json_obj_end(j);
    emit(d);
  }
  sof_json_obj_begin(j);
  sof_json_key(j, "type");        sof_json_str(j, "summary");
  sof_json_key(j, "source");      sof_json_str(j, path);
  sof_json_key(j, "batchKind");   sof_json_str(j, sof_entry_batch_kind_str(it.kind));
  if (it.kind == SOF_ENTRY_BATCH_MARKER) {
    sof_json_key(j, "markerVersion"); sof_json_u64(j, it.marker.version);
    sof_json_key(j, "markerVariant"); sof_json_str(j, sof_entry_marker_variant_str(it.marker.variant));
  }
  sof_json_key(j, "valid");       sof_json_bool(j, rc == 0);
  sof_json_key(j, "bytes");       sof_json_u64(j, sz);
  sof_json_key(j, "entries");     sof_json_u64(j, it.entry_idx);
  sof_json_key(j, "ticks");       sof_json_u64(j, ticks);
  sof_json_key(j, "transactions"); sof_json_u64(j, txns);
  if (rc == 0) { sof_json_key(j, "trailingZeros"); sof_json_u64(j, it.trailing); }
  sof_json_obj_end(j);
  emit(d);
  free(buf);
  return 0;
}

/* ---- summary and main ------------------------------------------------------ */

static uint64_t
malformed(dump_t const *d) {
  uint64_t n = d->txn_err + d->entry_err;
  for (unsigned i = 0; i <= SOF_PKT_ERR_CNT; i++) n += d->pkt_err[i];
  for (unsigned i = 0; i <= SOF_SHRED_ERR_CNT; i++) n += d->shred_err[i];
  return n;
}

static void
dump_summary(dump_t *d) {
  sof_json_t *j = &d->j;
  sof_json_obj_begin(j);
  sof_json_key(j, "type");           sof_json_str(j, "summary");
  sof_json_key(j, "inputs");         sof_json_u64(j, d->inputs);
  sof_json_key(j, "frames");         sof_json_u64(j, d->frames);
  sof_json_key(j, "framesFiltered"); sof_json_u64(j, d->frames_filtered);
  sof_json_key(j, "shreds");         sof_json_u64(j, d->shreds_ok);
  sof_json_key(j, "dataShreds");     sof_json_u64(j, d->shreds_data);
  sof_json_key(j, "codeShreds");     sof_json_u64(j, d->shreds_code);
  sof_json_key(j, "malformed");      sof_json_u64(j, malformed(d));
  sof_json_key(j, "errors");
  sof_json_obj_begin(j);
  for (int e = 1; e <= SOF_PKT_ERR_CNT; e++)
    if (d->pkt_err[e]) { sof_json_key(j, sof_pkt_err_str(-e)); sof_json_u64(j, d->pkt_err[e]); }
  for (int e = 1; e <= SOF_SHRED_ERR_CNT; e++)
    if (d->shred_err[e]) { sof_json_key(j, sof_shred_err_str(-e)); sof_json_u64(j, d->shred_err[e]); }
  sof_json_obj_end(j);
  if (d->verify) {
    sof_verify_stats_t const *st = sof_verify_stats(d->verify);
    sof_json_key(j, "verify");
    sof_json_obj_begin(j);
    for (int r = 0; r < SOF_VERIFY_RESULT_CNT; r++) {
      sof_json_key(j, sof_verify_result_str(r));
      sof_json_u64(j, st->result[r]);
    }
    sof_json_obj_end(j);
    sof_json_key(j, "rejected");     sof_json_u64(j, d->rejected);
    sof_json_key(j, "sigVerifies");  sof_json_u64(j, st->sig_verifies);
    sof_json_key(j, "conflicts");    sof_json_u64(j, st->conflicts);
  }
  if (d->ingest) {
    sof_ingest_stats_t const *is = sof_ingest_stats(d->ingest);
    sof_resolver_stats_t const *rs = sof_resolver_stats(sof_ingest_resolver(d->ingest));
    sof_reasm_stats_t const *as = sof_reasm_stats(sof_ingest_reasm(d->ingest));
    sof_json_key(j, "datasets");          sof_json_u64(j, is->datasets);
    sof_json_key(j, "datasetErrors");     sof_json_u64(j, is->dataset_err);
    sof_json_key(j, "transactions");      sof_json_u64(j, is->txns);
    sof_json_key(j, "setsComplete");      sof_json_u64(j, rs->sets_complete);
    sof_json_key(j, "setsRecovered");     sof_json_u64(j, rs->sets_recovered);
    sof_json_key(j, "recoveredShreds");   sof_json_u64(j, rs->shreds_recovered);
    sof_json_key(j, "recoveryFailed");    sof_json_u64(j, rs->result[SOF_RESOLVER_RECOVERY_FAILED]);
    sof_json_key(j, "recoveredRejected"); sof_json_u64(j, is->recovered_rejected);
    sof_json_key(j, "lateDropped");       sof_json_u64(j, is->fate[SOF_INGEST_LATE]);
    sof_json_key(j, "setsIncomplete");    sof_json_u64(j, sof_resolver_open_sets(sof_ingest_resolver(d->ingest)));
    sof_json_key(j, "slotsComplete");     sof_json_u64(j, as->slots_complete);
    sof_json_key(j, "resolver");
    sof_json_obj_begin(j);
    for (int r = 0; r < SOF_RESOLVER_RESULT_CNT; r++) {
      sof_json_key(j, sof_resolver_result_str(r));
      sof_json_u64(j, rs->result[r]);
    }
    sof_json_obj_end(j);
  }
  sof_json_obj_end(j);
  emit(d);
}

static void
usage(FILE *f) {
  fputs(
    "usage: sof-dump [options] INPUT...\n"
    "       sof-dump --entries FILE...\n"
    "       sof-dump --tx FILE...\n"
    "\n"
    "Prints Solana shreds, entry batches and transactions as JSON lines.\n"
    "INPUT is a pcap or pcapng capture (Ethernet/IPv4/UDP, VLAN tags allowed),\n"
    "a raw shred file (one UDP payload, or a legacy data shred trimmed to its\n"
    "size as blockstore keeps it), or a directory of such files (name order).\n"
    "\n"
    "options:\n"
    "  -e, --entries      the inputs are entry batches (bincode Vec<Entry>)\n"
    "  -t, --tx           the inputs are serialized transactions\n"
    "  -p, --port N       pcap: only UDP packets to destination port N\n"
    "  -S, --no-summary   do not print the closing summary line\n"
    "  -R, --reassemble   recover FEC sets and rebuild entry batches: print\n"
    "                     \"dataset\" lines and their transactions instead of shreds\n"
    "\n"
    "verification (adds \"verify\" to shred lines and counts to the summary):\n"
    "  -V, --verify                  check merkle roots and leader signatures\n"
    "      --leader PUBKEY           base58 leader key for every slot\n"
    "      --leader-schedule FILE    getLeaderSchedule JSON ({\"<pubkey>\": [offsets]})\n"
    "      --epoch-first-slot N      first slot of that schedule's epoch (default 0)\n"
    "      --leader-list FILE        text lines \"<slot> <pubkey>\"\n"
    "      --shred-version N         shreds must carry this version\n"
    "      --posture NAME            public_untrusted (default: verify) or\n"
    "                                trusted_raw_shred_provider (skip checks)\n"
    "      --accept-unknown-leader   count slots without a known leader, do not reject\n"
    "      --verify-shreds on|off    override the posture's default for received shreds\n"
    "      --verify-recovered on|off override it for shreds rebuilt by FEC recovery\n"
    "  -h, --help         this text\n"
    "\n"
    "Every line has \"type\": shred | entry | transaction | summary; a line\n"
    "with \"error\" names why an input was rejected, and the dump goes on.\n"
    "Exit status: 0 all input well-formed (and, with --verify, accepted), 1\n"
    "something malformed or rejected, 2 usage or I/O error.\n", f);
}

int
main(int argc, char **argv) {
  static dump_t d; /* large line buffer: static, not on the stack */
  d.port = -1;
  d.summary = 1;
  sof_json_init(&d.j, d.line, sizeof d.line);
  enum { MODE_SHREDS, MODE_ENTRIES, MODE_TX } mode = MODE_SHREDS;

  enum { OPT_LEADER = 256, OPT_SCHEDULE, OPT_EPOCH, OPT_LIST, OPT_VERSION, OPT_POSTURE, OPT_ACCEPT,
         OPT_VSHREDS, OPT_VRECOVERED };
  static struct option const opts[] = {
    {"entries", no_argument, NULL, 'e'},
    {"tx", no_argument, NULL, 't'},
    {"port", required_argument, NULL, 'p'},
    {"no-summary", no_argument, NULL, 'S'},
    {"verify", no_argument, NULL, 'V'},
    {"reassemble", no_argument, NULL, 'R'},
    {"leader", required_argument, NULL, OPT_LEADER},
    {"leader-schedule", required_argument, NULL, OPT_SCHEDULE},
    {"epoch-first-slot", required_argument, NULL, OPT_EPOCH},
    {"leader-list", required_argument, NULL, OPT_LIST},
    {"shred-version", required_argument, NULL, OPT_VERSION},
    {"posture", required_argument, NULL, OPT_POSTURE},
    {"accept-unknown-leader", no_argument, NULL, OPT_ACCEPT},
    {"verify-shreds", required_argument, NULL, OPT_VSHREDS},
    {"verify-recovered", required_argument, NULL, OPT_VRECOVERED},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
  };
  int verify = 0, reassemble = 0;
  char const *leader = NULL, *schedule = NULL, *list = NULL;
  unsigned long long epoch_first = 0;
  sof_verify_cfg_t vcfg;
  sof_verify_cfg_default(&vcfg);
  int c;
  while ((c = getopt_long(argc, argv, "etp:SVRh", opts, NULL)) != -1) {
    switch (c) {
    case 'e': mode = MODE_ENTRIES; break;
    case 't': mode = MODE_TX; break;
    case 'p': {
      char *end;
      long v = strtol(optarg, &end, 10);
      if (*end || v < 0 || v > 65535) {
        fprintf(stderr, "sof-dump: --port: '%s' is not a port number\n", optarg);
        return 2;
      }
      d.port = (int)v;
      break;
    }
    case 'S': d.summary = 0; break;
    case 'V': verify = 1; break;
    case 'R': reassemble = 1; break;
    case OPT_LEADER: leader = optarg; break;
    case OPT_SCHEDULE: schedule = optarg; break;
    case OPT_LIST: list = optarg; break;
    case OPT_EPOCH:
    case OPT_VERSION: {
      char *end;
      errno = 0;
      unsigned long long v = strtoull(optarg, &end, 10);
      if (*end || !*optarg || errno || optarg[0] == '-' || (c == OPT_VERSION && v > 65535)) {
        fprintf(stderr, "sof-dump: --%s: '%s' is not a valid number\n",
                c == OPT_EPOCH ? "epoch-first-slot" : "shred-version", optarg);
        return 2;
      }
      if (c == OPT_EPOCH) epoch_first = v;
      else { vcfg.check_version = 1; vcfg.shred_version = (uint16_t)v; }
      break;
    }
    case OPT_POSTURE:
      vcfg.posture = sof_verify_posture_parse(optarg);
      if (vcfg.posture < 0) {
        fprintf(stderr, "sof-dump: --posture: '%s' is not public_untrusted or trusted_raw_shred_provider\n", optarg);
        return 2;
      }
      break;
    case OPT_ACCEPT: vcfg.accept_unknown_leader = 1; break;
    case OPT_VSHREDS:
    case OPT_VRECOVERED: {
      int on = !strcmp(optarg, "on") ? 1 : !strcmp(optarg, "off") ? 0 : -2;
      if (on < 0) {
        fprintf(stderr, "sof-dump: --%s: expected on or off, got '%s'\n",
                c == OPT_VSHREDS ? "verify-shreds" : "verify-recovered", optarg);
        return 2;
      }
      if (c == OPT_VSHREDS) vcfg.verify_shreds = on;
      else vcfg.verify_recovered = on;
      break;
    }
    case 'h': usage(stdout); return 0;
    default: usage(stderr); return 2;
    }
  }
  sof_leaders_t *leaders = NULL;
  if (!verify && (leader || schedule || list)) {
    fprintf(stderr, "sof-dump: --leader, --leader-schedule and --leader-list need --verify\n");
    goto fail;
  }
  if (verify) {
    char err[512];
    if (sof_ed25519_init()) {
      fprintf(stderr, "sof-dump: cannot initialise libsodium\n");
      goto fail;
    }
    leaders = sof_leaders_new(1UL << 20, 1U << 16);
    if (!leaders) {
      fprintf(stderr, "sof-dump: out of memory\n");
      goto fail;
    }
    if (leader) {
      uint8_t pub[32];
      if (sof_base58_decode_32(leader, strlen(leader), pub)) {
        fprintf(stderr, "sof-dump: --leader: '%s' is not a base58 public key\n", leader);
        goto fail;
      }
      sof_leaders_set_fixed(leaders, pub);
    }
    if (schedule && sof_leaders_load_json(leaders, schedule, epoch_first, err, sizeof err) < 0) {
      fprintf(stderr, "sof-dump: --leader-schedule: %s\n", err);
      goto fail;
    }
    if (list && sof_leaders_load_text(leaders, list, err, sizeof err) < 0) {
      fprintf(stderr, "sof-dump: --leader-list: %s\n", err);
      goto fail;
    }
    if (!leader && !schedule && !list && vcfg.posture == SOF_VERIFY_POSTURE_PUBLIC_UNTRUSTED &&
        !vcfg.accept_unknown_leader) {
      fprintf(stderr, "sof-dump: --verify needs --leader, --leader-schedule or --leader-list "
                      "(or --accept-unknown-leader)\n");
      goto fail;
    }
    d.verify = sof_verify_new(&vcfg, leaders, err, sizeof err);
    if (!d.verify) {
      fprintf(stderr, "sof-dump: %s\n", err);
      goto fail;
    }
  }
  if (optind >= argc) {
    usage(stderr);
    goto fail;
  }
  if (reassemble) {
    if (mode != MODE_SHREDS) {
      fprintf(stderr, "sof-dump: --reassemble works on shred inputs, not --entries / --tx\n");
      goto fail;
    }
    char err[256];
    sof_ingest_cfg_t icfg;
    sof_ingest_cfg_default(&icfg);
    icfg.verify = d.verify;
    icfg.on_dataset = on_dataset;
    icfg.on_txn = on_txn;
    icfg.ctx = &d;
    d.ingest = sof_ingest_new(&icfg, err, sizeof err);
    if (!d.ingest) {
      fprintf(stderr, "sof-dump: %s\n", err);
      goto fail;
    }
  }
  int io_fail = 0;
  for (int i = optind; i < argc; i++) {
    int rc = mode == MODE_TX      ? dump_tx_file(&d, argv[i])
           : mode == MODE_ENTRIES ? dump_entries_file(&d, argv[i])
                                  : dump_input(&d, argv[i]);
    if (rc) io_fail = 1;
  }
  if (d.summary && mode == MODE_SHREDS) dump_summary(&d);
  if (fflush(stdout)) {
    fprintf(stderr, "sof-dump: write error: %s\n", strerror(errno));
    goto fail;
  }
  uint64_t bad = malformed(&d) + d.rejected;
  if (d.ingest) bad += sof_ingest_stats(d.ingest)->dataset_err + sof_ingest_stats(d.ingest)->recovered_rejected;
  int status = io_fail || d.io_err ? 2 : bad ? 1 : 0;
  sof_ingest_delete(d.ingest);
  sof_verify_delete(d.verify);
  sof_leaders_delete(leaders);
  return status;

fail: /* a usage or setup error after something was allocated */
  sof_ingest_delete(d.ingest);
  sof_verify_delete(d.verify);
  sof_leaders_delete(leaders);
  return 2;
}
