/* test_gen_impair: sof-gen's skipped slots, forks and impairments, read
 * back from the pcap the way an observer would.
 *
 *   test_gen_impair PATH/TO/sof-gen
 *
 * A clean capture is the reference: every frame parses (sof_pkt_parse,
 * sof_shred_parse), carries the configured shred version, walks its proof to
 * its set's root, and that root carries the slot leader's signature. Then
 * each impairment alone, against the same seed:
 *   --loss            the frames are the clean ones minus exactly the lost
 *                     ones the truth lists;
 *   --loss-per-set N  every FEC set keeps exactly 64 - N frames;
 *   --dup             every extra frame is a byte-identical copy of the one
 *                     before it;
 *   --reorder W       the same multiset of frames, none moved W places;
 *   --corrupt         each changed frame is the clean one with the truth's
 *                     xor bytes applied, and fails as its class says
 *                     (signature / payload / proof / variant / index);
 *   --forge           extra sets whose root is the genuine one but whose
 *                     signature is not the leader's (it is the forger's);
 *   --equivocate      extra sets with another root that the leader signed;
 *   --wrong-version   extra sets carrying the other version, leader-signed;
 *   --garbage         extra frames rejected with the sof_pkt / sof_shred
 *                     reason the truth expects, counted per reason.
 * Every count is compared with the summary (--summary file and the truth's
 * last line). Same options give the same bytes (each run twice), and no
 * impairment changes the transactions. Skips and forks: parents, chain
 * links, leaders and the canonical (longest) branch match the truth. */
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "sof_test.h"
#include "crypto/sof_merkle.h"
#include "wire/sof_base58.h"
#include "wire/sof_pkt.h"
#include "wire/sof_shred.h"

#define NAME "test_gen_impair"

#define PORT      8001
#define VERSION   4242
#define OTHER_VER 77
#define LEADERS   2
#define ROTATION  2

extern char **environ;

static char const *gen;
static char        tmpdir[256];

/* ---- files and processes ------------------------------------------------------ */


/* Runs sof-gen with args (NULL-terminated); stdout and stderr to
 * /dev/null. Returns its exit status, -1 if it did not exit. */
static int
run(char const *const *args) {
  char *argv[96];
  int   n = 0;
  argv[n++] = (char *)gen;
  for (; args[n - 1] && n < 95; n++) argv[n] = (char *)args[n - 1];
  argv[n] = NULL;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid;
  int   rc = posix_spawn(&pid, gen, &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc) return -1;
  int st;
  if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st)) return -1;
  return WEXITSTATUS(st);
}

/* ---- a capture in memory ------------------------------------------------------ */

typedef struct {
  uint8_t const *b;
  uint32_t       sz;
  uint64_t       ts_us;
} frame_t;

typedef struct {
  uint8_t *raw;
  size_t   raw_sz;
  frame_t *f;
  size_t   n;
  char *   truth; /* whole file, NUL-terminated */
  char *   summary;
  uint8_t  keys[LEADERS][64];
  int      ok;
} cap_t;

static void
cap_free(cap_t *c) {
  free(c->raw);
  free(c->f);
  free(c->truth);
  free(c->summary);
  memset(c, 0, sizeof *c);
}

/* Generates NAME.{pcap,jsonl,sum,key} with the base options plus extra
 * (NULL-terminated), twice, checks both runs gave the same bytes, and loads
 * the first. */
static void
gen_cap(cap_t *c, char const *name, char const *const *extra) {
  memset(c, 0, sizeof *c);
  char p[2][512], t[2][512], s[2][512], k[2][512];
  for (int r = 0; r < 2; r++) {
    snprintf(p[r], sizeof p[r], "%s/%s.%d.pcap", tmpdir, name, r);
    snprintf(t[r], sizeof t[r], "%s/%s.%d.jsonl", tmpdir, name, r);
    snprintf(s[r], sizeof s[r], "%s/%s.%d.sum", tmpdir, name, r);
    snprintf(k[r], sizeof k[r], "%s/%s.%d.key", tmpdir, name, r);
    char const *args[96] = {
      "-o", p[r], "--truth", t[r], "--summary", s[r], "--leader-key", k[r], "--seed", "4711",
      "--slots", "4", "--txns-per-slot", "400", "--batches-per-slot", "2", "--leaders", "2",
      "--leader-rotation", "2", "--shred-version", "4242", "--dst-port", "8001",
    };
    size_t n = 0;
    while (args[n]) n++;
    for (size_t i = 0; extra && extra[i] && n < 94; i++) args[n++] = extra[i];
    args[n] = NULL;
    int rc = run(args);
    SOF_CHECK_EQ(rc, 0);
    if (rc) {
      fprintf(stderr, "  sof-gen failed for %s\n", name);
      return;
    }
  }
  if (!sof_test_same_file(p[0], p[1]) || !sof_test_same_file(t[0], t[1]) || !sof_test_same_file(s[0], s[1])) {
    SOF_CHECK(!"same options, same bytes");
    fprintf(stderr, "  %s: two runs differ\n", name);
  }
  size_t tsz = 0, ssz = 0, ksz = 0;
  c->raw     = sof_test_slurp(p[0], &c->raw_sz);
  c->truth   = (char *)sof_test_slurp(t[0], &tsz);
  c->summary = (char *)sof_test_slurp(s[0], &ssz);
  uint8_t *keys = sof_test_slurp(k[0], &ksz);
  SOF_CHECK(c->raw && c->truth && c->summary && keys && ksz == sizeof c->keys);
  if (!c->raw || !c->truth || !c->summary || !keys || ksz != sizeof c->keys) {
    free(keys);
    return;
  }
  memcpy(c->keys, keys, sizeof c->keys);
  free(keys);

  SOF_CHECK(c->raw_sz >= 24 && !memcmp(c->raw, "\xd4\xc3\xb2\xa1\x02\x00\x04\x00", 8));
  size_t cap = 1024;
  c->f = malloc(cap * sizeof *c->f);
  for (size_t off = 24; c->f && off + 16 <= c->raw_sz;) {
    uint8_t const *r = c->raw + off;
    uint32_t incl = (uint32_t)r[8] | (uint32_t)r[9] << 8 | (uint32_t)r[10] << 16 | (uint32_t)r[11] << 24;
    uint32_t sec  = (uint32_t)r[0] | (uint32_t)r[1] << 8 | (uint32_t)r[2] << 16 | (uint32_t)r[3] << 24;
    uint32_t usec = (uint32_t)r[4] | (uint32_t)r[5] << 8 | (uint32_t)r[6] << 16 | (uint32_t)r[7] << 24;
    if (off + 16 + incl > c->raw_sz) {
      SOF_CHECK(!"pcap record runs past the end");
      break;
    }
    if (c->n == cap) {
      cap *= 2;
      frame_t *nf = realloc(c->f, cap * sizeof *c->f);
      if (!nf) break;
      c->f = nf;
    }
    c->f[c->n++] = (frame_t){ r + 16, incl, (uint64_t)sec * 1000000 + usec };
    off += 16 + incl;
  }
  c->ok = c->f != NULL;
}

/* ---- tiny JSON field readers (sof-gen's own flat lines) ----------------------- */

/* The number after "key": in [line, end); -1 when absent. */
static long long
jnum(char const *line, char const *key) {
  char pat[64];
  snprintf(pat, sizeof pat, "\"%s\":", key);
  char const *nl = strchr(line, '\n');
  char const *p  = strstr(line, pat);
  if (!p || (nl && p > nl)) return -1;
  return strtoll(p + strlen(pat), NULL, 10);
}

/* Copies the string value of "key" into out; returns 0, -1 when absent. */
static int
jstr(char const *line, char const *key, char *out, size_t cap) {
  char pat[64];
  snprintf(pat, sizeof pat, "\"%s\":\"", key);
  char const *nl = strchr(line, '\n');
  char const *p  = strstr(line, pat);
  if (!p || (nl && p > nl)) return -1;
  p += strlen(pat);
  char const *q = strchr(p, '"');
  if (!q || (size_t)(q - p) >= cap) return -1;
  memcpy(out, p, (size_t)(q - p));
  out[q - p] = 0;
  return 0;
}

/* Reads the integer array "key":[a,b,...] into v (at most max); returns the
 * count, -1 when absent. */
static int
jarr(char const *line, char const *key, long long *v, int max) {
  char pat[64];
  snprintf(pat, sizeof pat, "\"%s\":[", key);
  char const *p = strstr(line, pat);
  char const *nl = strchr(line, '\n');
  if (!p || (nl && p > nl)) return -1;
  p += strlen(pat);
  int n = 0;
  while (*p && *p != ']' && n < max) {
    char *end;
    v[n++] = strtoll(p, &end, 10);
    p = *end == ',' ? end + 1 : end;
  }
  return n;
}

/* 1 when "key":true is in the line. */
static int
jbool(char const *line, char const *key) {
  char pat[64];
  snprintf(pat, sizeof pat, "\"%s\":true", key);
  char const *nl = strchr(line, '\n');
  char const *p  = strstr(line, pat);
  return p && (!nl || p < nl);
}

/* Number of the summary field "key" inside the object "obj" (NULL: top
 * level) of the summary line. */
static long long
sum_num(cap_t const *c, char const *obj, char const *key) {
  char const *s = c->summary;
  if (obj) {
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":{", obj);
    s = strstr(s, pat);
    if (!s) return -1;
  }
  return jnum(s, key);
}

/* The i-th truth line (0-based) whose "type" and optional "kind" match;
 * NULL past the last. */
static char const *
truth_line(cap_t const *c, char const *type, char const *kind, size_t i) {
  char tpat[64], kpat[64];
  snprintf(tpat, sizeof tpat, "{\"type\":\"%s\"", type);
  snprintf(kpat, sizeof kpat, "\"kind\":\"%s\"", kind ? kind : "");
  for (char const *l = c->truth; l && *l;) {
    char const *nl = strchr(l, '\n');
    if (!strncmp(l, tpat, strlen(tpat))) {
      char const *k = kind ? strstr(l, kpat) : l;
      if (k && (!nl || k < nl)) {
        if (!i) return l;
        i--;
      }
    }
    l = nl ? nl + 1 : NULL;
  }
  return NULL;
}

static size_t
truth_cnt(cap_t const *c, char const *type, char const *kind) {
  size_t n = 0;
  while (truth_line(c, type, kind, n)) n++;
  return n;
}

/* The truth's transaction lines, concatenated (to compare runs). */
static char *
truth_txns(cap_t const *c) {
  size_t cap = strlen(c->truth) + 1, len = 0;
  char * out = malloc(cap);
  if (!out) return NULL;
  for (char const *l = c->truth; l && *l;) {
    char const *nl = strchr(l, '\n');
    size_t      ll = nl ? (size_t)(nl - l) + 1 : strlen(l);
    if (!strncmp(l, "{\"type\":\"transaction\"", 21)) {
      memcpy(out + len, l, ll);
      len += ll;
    }
    l = nl ? nl + 1 : NULL;
  }
  out[len] = 0;
  return out;
}

/* ---- frame analysis ------------------------------------------------------------- */

typedef struct {
  int         pkt_err;   /* sof_pkt_parse result */
  uint16_t    dst_port;
  int         shred_err; /* sof_shred_parse result (when pkt ok) */
  sof_shred_t s;
  uint8_t const *p;      /* shred payload */
  uint8_t     root[32];  /* from the proof (when the shred parses) */
  int         root_ok;
} fa_t;

static void
analyse(fa_t *a, frame_t const *f) {
  memset(a, 0, sizeof *a);
  sof_pkt_udp_t u;
  a->pkt_err   = sof_pkt_parse(&u, f->b, f->sz);
  a->shred_err = 1;
  if (a->pkt_err) return;
  a->dst_port  = u.dst_port;
  a->p         = f->b + u.payload_off;
  a->shred_err = sof_shred_parse(&a->s, a->p, u.payload_sz, 0);
  if (a->shred_err) return;
  a->root_ok = a->s.is_merkle && !sof_shred_merkle_root(a->root, a->p, &a->s);
}

static unsigned
leader_of(uint64_t slot) {
  return (unsigned)((slot / ROTATION) % LEADERS);
}

static int
sig_ok(uint8_t const sig[64], uint8_t const root[32], uint8_t const pub[32]) {
  return crypto_sign_ed25519_verify_detached(sig, root, 32, pub) == 0;
}

static int
frame_eq(frame_t const *a, frame_t const *b) {
  return a->sz == b->sz && !memcmp(a->b, b->b, a->sz);
}

/* The clean capture's FEC sets: root and chained root, by (slot, fec). */
typedef struct {
  uint64_t slot;
  uint32_t fec;
  uint8_t  root[32];
  uint8_t  chained[32];
} cset_t;

static cset_t cset[4096];
static size_t cset_cnt;

static void
index_clean_sets(cap_t const *clean) {
  cset_cnt = 0;
  for (size_t i = 0; i < clean->n && cset_cnt < sizeof cset / sizeof cset[0]; i++) {
    fa_t a;
    analyse(&a, &clean->f[i]);
    if (a.shred_err || !a.root_ok) continue;
    cset_t const *prev = cset_cnt ? &cset[cset_cnt - 1] : NULL;
    if (prev && prev->slot == a.s.slot && prev->fec == a.s.fec_set_idx) continue;
    cset_t *e = &cset[cset_cnt++];
    e->slot = a.s.slot;
    e->fec  = a.s.fec_set_idx;
    memcpy(e->root, a.root, 32);
    memcpy(e->chained, a.p + a.s.chained_root_off, 32);
  }
}

/* The clean set (slot, fec), or NULL. */
static cset_t const *
clean_set(uint64_t slot, uint32_t fec) {
  for (size_t i = 0; i < cset_cnt; i++) {
    if (cset[i].slot == slot && cset[i].fec == fec) return &cset[i];
  }
  return NULL;
}

/* The UDP checksum of an IPv4/UDP frame is right (0 when it verifies). */
static int
udp_csum_bad(frame_t const *f) {
  uint8_t const *ip  = f->b + 14;
  size_t         ulen = (size_t)(ip[24] << 8 | ip[25]);
  uint32_t       sum = 0;
  for (int i = 12; i < 20; i += 2) sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
  sum += 17 + (uint32_t)ulen;
  uint8_t const *u = ip + 20;
  for (size_t i = 0; i + 1 < ulen; i += 2) sum += (uint32_t)(u[i] << 8 | u[i + 1]);
  if (ulen & 1) sum += (uint32_t)(u[ulen - 1] << 8);
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return sum != 0xFFFF;
}

/* ---- the checks ------------------------------------------------------------------ */

static cap_t clean;

static void
test_clean(void) {
  cap_t *c = &clean;
  gen_cap(c, "clean", NULL);
  if (!c->ok) return;
  long long sets = sum_num(c, NULL, "fecSets");
  SOF_CHECK(sets >= 12);
  SOF_CHECK_EQ(c->n, (unsigned long long)sets * 64);
  SOF_CHECK_EQ(sum_num(c, NULL, "frames"), c->n);
  SOF_CHECK_EQ(sum_num(c, NULL, "shreds"), c->n);
  static char const *const zero[] = { "lost", "lostPerSet", "duplicated", "reordered", "corrupted",
                                      "forgedSets", "equivocatedSets", "wrongVersionSets", "garbage",
                                      "skippedSlots", "forks" };
  for (size_t i = 0; i < sizeof zero / sizeof zero[0]; i++) SOF_CHECK_EQ(sum_num(c, NULL, zero[i]), 0);
  SOF_CHECK_EQ(truth_cnt(c, "impair", NULL), 0);
  /* The truth's last line is the summary line. */
  char const *last = truth_line(c, "summary", NULL, 0);
  SOF_CHECK(last && !strcmp(last, c->summary));

  unsigned bad = 0, sig_bad = 0;
  uint64_t prev_ts = 0;
  for (size_t i = 0; i < c->n; i++) {
    fa_t a;
    analyse(&a, &c->f[i]);
    if (a.pkt_err || a.dst_port != PORT || a.shred_err || !a.root_ok || a.s.version != VERSION) {
      bad++;
      continue;
    }
    if (!sig_ok(a.p, a.root, c->keys[leader_of(a.s.slot)] + 32)) sig_bad++;
    if (udp_csum_bad(&c->f[i])) bad++;
    if (i && c->f[i].ts_us <= prev_ts) bad++;
    prev_ts = c->f[i].ts_us;
  }
  SOF_CHECK_EQ(bad, 0);
  SOF_CHECK_EQ(sig_bad, 0);
  index_clean_sets(c);
  SOF_CHECK_EQ(cset_cnt, (unsigned long long)sets);
}

/* The transactions of an impaired run are the clean run's. */
static void
same_txns(cap_t const *c) {
  char *a = truth_txns(&clean), *b = truth_txns(c);
  SOF_CHECK(a && b && a[0] && !strcmp(a, b));
  free(a);
  free(b);
}

/* Walks c against the clean capture: c must be the clean frames in order,
 * some missing. Returns the missing count; miss[] gets their indices. */
static size_t
subsequence(cap_t const *c, size_t *miss, size_t miss_max, int *ok) {
  size_t j = 0, m = 0;
  for (size_t i = 0; i < clean.n; i++) {
    if (j < c->n && frame_eq(&c->f[j], &clean.f[i])) {
      j++;
    } else {
      if (m < miss_max) miss[m] = i;
      m++;
    }
  }
  *ok = j == c->n;
  return m;
}

static void
test_loss(void) {
  cap_t c;
  gen_cap(&c, "loss", (char const *const[]){ "--loss", "0.1", NULL });
  if (!c.ok || !clean.ok) goto out;
  same_txns(&c);
  static size_t miss[1 << 16];
  int    ok;
  size_t m = subsequence(&c, miss, sizeof miss / sizeof miss[0], &ok);
  SOF_CHECK(ok);
  long long lost = sum_num(&c, NULL, "lost");
  SOF_CHECK(lost > (long long)clean.n / 20 && lost < (long long)clean.n / 5);
  SOF_CHECK_EQ(m, lost);
  SOF_CHECK_EQ(c.n, clean.n - m);
  SOF_CHECK_EQ(sum_num(&c, NULL, "frames"), c.n);
  SOF_CHECK_EQ(truth_cnt(&c, "impair", "lost"), m);
  /* The truth names exactly the missing shreds, in order. */
  unsigned mismatch = 0;
  for (size_t k = 0; k < m && k < sizeof miss / sizeof miss[0]; k++) {
    char const *l = truth_line(&c, "impair", "lost", k);
    fa_t        a;
    analyse(&a, &clean.f[miss[k]]);
    char kind[8];
    if (!l || a.shred_err || jstr(l, "shred", kind, sizeof kind) ||
        jnum(l, "slot") != (long long)a.s.slot || jnum(l, "index") != a.s.idx ||
        jnum(l, "fecSetIndex") != a.s.fec_set_idx || strcmp(kind, a.s.is_data ? "data" : "code")) {
      mismatch++;
    }
  }
  SOF_CHECK_EQ(mismatch, 0);
out:
  cap_free(&c);
}

/* Frames per (slot, fec set) of a capture must all equal want. */
static void
check_per_set(cap_t const *c, unsigned want, long long sets) {
  uint64_t slot = UINT64_MAX;
  uint32_t fec  = UINT32_MAX;
  unsigned cnt = 0, groups = 0, bad = 0;
  for (size_t i = 0; i <= c->n; i++) {
    fa_t a;
    if (i < c->n) analyse(&a, &c->f[i]);
    if (i == c->n || a.shred_err || a.s.slot != slot || a.s.fec_set_idx != fec) {
      if (i) {
        groups++;
        if (cnt != want) bad++;
      }
      if (i == c->n || a.shred_err) break;
      slot = a.s.slot;
      fec  = a.s.fec_set_idx;
      cnt  = 0;
    }
    cnt++;
  }
  SOF_CHECK_EQ(bad, 0);
  SOF_CHECK_EQ(groups, (unsigned long long)sets);
}

static void
test_loss_per_set(void) {
  static char const *const n_str[] = { "5", "32" };
  static unsigned const    n_val[] = { 5, 32 };
  for (int v = 0; v < 2; v++) {
    cap_t c;
    char  name[32];
    snprintf(name, sizeof name, "lps%u", n_val[v]);
    gen_cap(&c, name, (char const *const[]){ "--loss-per-set", n_str[v], NULL });
    if (c.ok && clean.ok) {
      same_txns(&c);
      long long sets = sum_num(&c, NULL, "fecSets");
      SOF_CHECK_EQ(sum_num(&c, NULL, "lostPerSet"), (unsigned long long)sets * n_val[v]);
      SOF_CHECK_EQ(sum_num(&c, NULL, "lost"), 0);
      SOF_CHECK_EQ(c.n, clean.n - (size_t)sets * n_val[v]);
      int ok;
      static size_t miss[1 << 16];
      SOF_CHECK_EQ(subsequence(&c, miss, sizeof miss / sizeof miss[0], &ok), (size_t)sets * n_val[v]);
      SOF_CHECK(ok);
      check_per_set(&c, 64 - n_val[v], sets);
    }
    cap_free(&c);
  }
}

static void
test_dup(void) {
  cap_t c;
  gen_cap(&c, "dup", (char const *const[]){ "--dup", "0.1", NULL });
  if (!c.ok || !clean.ok) goto out;
  same_txns(&c);
  size_t i = 0, dups = 0, bad = 0;
  for (size_t j = 0; j < c.n; j++) {
    if (i < clean.n && frame_eq(&c.f[j], &clean.f[i])) {
      i++;
    } else if (j && frame_eq(&c.f[j], &c.f[j - 1])) {
      dups++;
    } else {
      bad++;
    }
  }
  SOF_CHECK_EQ(bad, 0);
  SOF_CHECK_EQ(i, clean.n);
  long long want = sum_num(&c, NULL, "duplicated");
  SOF_CHECK(want > (long long)clean.n / 20);
  SOF_CHECK_EQ(dups, want);
  SOF_CHECK_EQ(truth_cnt(&c, "impair", "duplicate"), dups);
  SOF_CHECK_EQ(c.n, clean.n + dups);
out:
  cap_free(&c);
}

static frame_t const *sort_base;

static int
cmp_frame_idx(void const *x, void const *y) {
  frame_t const *a = &sort_base[*(size_t const *)x], *b = &sort_base[*(size_t const *)y];
  if (a->sz != b->sz) return a->sz < b->sz ? -1 : 1;
  return memcmp(a->b, b->b, a->sz);
}

static void
test_reorder(void) {
  cap_t c;
  gen_cap(&c, "reorder", (char const *const[]){ "--reorder", "16", NULL });
  if (!c.ok || !clean.ok) goto out;
  same_txns(&c);
  SOF_CHECK_EQ(c.n, clean.n);
  if (c.n != clean.n) goto out;
  size_t *ia = malloc(c.n * sizeof *ia), *ib = malloc(c.n * sizeof *ib);
  if (!ia || !ib) {
    free(ia);
    free(ib);
    SOF_CHECK(!"malloc");
    goto out;
  }
  for (size_t i = 0; i < c.n; i++) ia[i] = ib[i] = i;
  sort_base = clean.f;
  qsort(ia, c.n, sizeof *ia, cmp_frame_idx);
  sort_base = c.f;
  qsort(ib, c.n, sizeof *ib, cmp_frame_idx);
  /* Same multiset: pairwise equal once sorted; clean frames are distinct
   * (IP ids), so this also maps each output frame to its clean position. */
  size_t   differ = 0, moved = 0, far = 0, ts_back = 0;
  for (size_t k = 0; k < c.n; k++) {
    if (!frame_eq(&clean.f[ia[k]], &c.f[ib[k]])) differ++;
    if (k && frame_eq(&clean.f[ia[k]], &clean.f[ia[k - 1]])) differ++;
    size_t q = ia[k], p = ib[k];
    if (p != q) moved++;
    if (p / 16 != q / 16) far++; /* left its block of 16 */
  }
  for (size_t i = 1; i < c.n; i++) ts_back += c.f[i].ts_us <= c.f[i - 1].ts_us;
  SOF_CHECK_EQ(differ, 0);
  SOF_CHECK_EQ(far, 0);
  SOF_CHECK_EQ(ts_back, 0);
  SOF_CHECK(moved > c.n / 2);
  SOF_CHECK_EQ(sum_num(&c, NULL, "reordered"), moved);
  free(ia);
  free(ib);
out:
  cap_free(&c);
}

static void
test_corrupt(void) {
  cap_t c;
  gen_cap(&c, "corrupt", (char const *const[]){ "--corrupt", "0.1", NULL });
  if (!c.ok || !clean.ok) goto out;
  same_txns(&c);
  SOF_CHECK_EQ(c.n, clean.n);
  if (c.n != clean.n) goto out;
  static char const *const cls[] = { "signature", "payload", "proof", "variant", "index" };
  unsigned by[5] = { 0 }, seen = 0, wrong = 0, undo_bad = 0, csum_bad = 0;
  for (size_t i = 0; i < c.n; i++) {
    if (frame_eq(&c.f[i], &clean.f[i])) continue;
    char const *l = truth_line(&c, "impair", "corrupt", seen++);
    fa_t        a, g;
    analyse(&a, &c.f[i]);
    analyse(&g, &clean.f[i]);
    char        cl[16], kind[8];
    if (!l || jstr(l, "class", cl, sizeof cl) || jstr(l, "shred", kind, sizeof kind) || g.shred_err ||
        jnum(l, "slot") != (long long)g.s.slot || jnum(l, "index") != g.s.idx ||
        strcmp(kind, g.s.is_data ? "data" : "code")) {
      wrong++;
      continue;
    }
    if (udp_csum_bad(&c.f[i])) csum_bad++;
    /* Undo the recorded flips: the genuine shred, byte for byte. */
    long long off[8], x[8];
    int       n = jarr(l, "offsets", off, 8);
    SOF_CHECK(n >= 1 && n == jarr(l, "xor", x, 8));
    for (int k = 0; k < n; k++) SOF_CHECK(x[k] >= 1 && x[k] <= 255); /* a flip changes the byte */
    uint8_t shred[SOF_SHRED_MAX_SZ];
    size_t  sz = c.f[i].sz - 42;
    memcpy(shred, c.f[i].b + 42, sz);
    for (int k = 0; k < n; k++) {
      if (off[k] >= 0 && (size_t)off[k] < sz) shred[off[k]] ^= (uint8_t)x[k];
    }
    if (sz != clean.f[i].sz - 42 || memcmp(shred, clean.f[i].b + 42, sz)) undo_bad++;

    uint8_t const *pub = c.keys[leader_of(g.s.slot)] + 32;
    int            k;
    for (k = 0; k < 5 && strcmp(cl, cls[k]); k++) {}
    char expect[32] = "", reason[32] = "";
    jstr(l, "expect", expect, sizeof expect);
    jstr(l, "reason", reason, sizeof reason);
    switch (k) {
    case 0: /* root intact, signature broken */
      if (a.shred_err || !a.root_ok || memcmp(a.root, g.root, 32) || sig_ok(a.p, a.root, pub) ||
          strcmp(expect, "invalid_signature")) wrong++;
      break;
    case 1:
    case 2: /* the root walked up changes; the leader signed another */
      if (a.shred_err || !a.root_ok || !memcmp(a.root, g.root, 32) || sig_ok(a.p, a.root, pub) ||
          strcmp(expect, "invalid_merkle")) wrong++;
      break;
    case 3:
      if (a.shred_err != SOF_SHRED_ERR_BAD_VARIANT || strcmp(expect, "malformed") ||
          strcmp(reason, sof_shred_err_str(a.shred_err))) wrong++;
      break;
    case 4:
      if (a.shred_err != SOF_SHRED_ERR_BAD_INDEX || strcmp(expect, "malformed") ||
          strcmp(reason, sof_shred_err_str(a.shred_err))) wrong++;
      break;
    default:
      wrong++;
      continue;
    }
    by[k]++;
  }
  SOF_CHECK_EQ(wrong, 0);
  SOF_CHECK_EQ(undo_bad, 0);
  SOF_CHECK_EQ(csum_bad, 0);
  SOF_CHECK_EQ(seen, sum_num(&c, NULL, "corrupted"));
  SOF_CHECK_EQ(truth_cnt(&c, "impair", "corrupt"), seen);
  SOF_CHECK(seen > clean.n / 20);
  for (int k = 0; k < 5; k++) {
    SOF_CHECK(by[k] > 0);
    SOF_CHECK_EQ(by[k], sum_num(&c, "corruptedBy", cls[k]));
  }
out:
  cap_free(&c);
}

/* Injected sets: frames of c not in the clean capture, which must be the
 * clean frames in order plus whole injected sets. Calls check(a) for each
 * extra frame and returns the extra count; *sets gets the number of
 * distinct (slot, fec set) among them. */
typedef int (*extra_fn)(cap_t const *c, fa_t const *a, void *ctx);

static size_t
extras(cap_t const *c, extra_fn check, void *ctx, size_t *sets, unsigned *bad) {
  size_t   i = 0, n = 0;
  uint64_t last_slot = UINT64_MAX;
  uint32_t last_fec  = UINT32_MAX;
  *sets = 0;
  for (size_t j = 0; j < c->n; j++) {
    if (i < clean.n && frame_eq(&c->f[j], &clean.f[i])) {
      i++;
      continue;
    }
    fa_t a;
    analyse(&a, &c->f[j]);
    n++;
    if (a.shred_err || !a.root_ok || !check(c, &a, ctx)) {
      (*bad)++;
      continue;
    }
    if (a.s.slot != last_slot || a.s.fec_set_idx != last_fec) (*sets)++;
    last_slot = a.s.slot;
    last_fec  = a.s.fec_set_idx;
  }
  if (i != clean.n) (*bad)++;
  return n;
}

static int
check_forged(cap_t const *c, fa_t const *a, void *ctx) {
  uint8_t const *forger = ctx;
  cset_t const * cs     = clean_set(a->s.slot, a->s.fec_set_idx);
  return cs && !memcmp(cs->root, a->root, 32) && a->s.version == VERSION &&
         !sig_ok(a->p, a->root, c->keys[leader_of(a->s.slot)] + 32) && sig_ok(a->p, a->root, forger);
}

static int
check_equiv(cap_t const *c, fa_t const *a, void *ctx) {
  (void)ctx;
  cset_t const *cs = clean_set(a->s.slot, a->s.fec_set_idx);
  return cs && memcmp(cs->root, a->root, 32) && !memcmp(cs->chained, a->p + a->s.chained_root_off, 32) &&
         a->s.version == VERSION &&
         sig_ok(a->p, a->root, c->keys[leader_of(a->s.slot)] + 32);
}

static int
check_wrongver(cap_t const *c, fa_t const *a, void *ctx) {
  (void)ctx;
  cset_t const *cs = clean_set(a->s.slot, a->s.fec_set_idx);
  return cs && memcmp(cs->root, a->root, 32) && a->s.version == OTHER_VER &&
         sig_ok(a->p, a->root, c->keys[leader_of(a->s.slot)] + 32);
}

static void
test_injected(void) {
  struct {
    char const *name, *opt, *sum_key, *kind;
    extra_fn    fn;
  } const cases[] = {
    { "forge", "--forge", "forgedSets", "forged", check_forged },
    { "equiv", "--equivocate", "equivocatedSets", "equivocate", check_equiv },
    { "wrongver", "--wrong-version", "wrongVersionSets", "wrong_version", check_wrongver },
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    cap_t c;
    gen_cap(&c, cases[k].name,
            (char const *const[]){ cases[k].opt, "0.3", "--other-shred-version", "77", NULL });
    if (c.ok && clean.ok) {
      same_txns(&c);
      uint8_t forger[32] = { 0 };
      char    b58[64];
      char const *cfg = truth_line(&c, "config", NULL, 0);
      SOF_CHECK(cfg && !jstr(cfg, "forgerKey", b58, sizeof b58) &&
                !sof_base58_decode_32(b58, strlen(b58), forger));
      size_t   sets;
      unsigned bad = 0;
      size_t   n   = extras(&c, cases[k].fn, forger, &sets, &bad);
      long long want = sum_num(&c, NULL, cases[k].sum_key);
      SOF_CHECK_EQ(bad, 0);
      SOF_CHECK(want >= 2);
      SOF_CHECK_EQ(sets, want);
      SOF_CHECK_EQ(n, (unsigned long long)want * 64);
      SOF_CHECK_EQ(c.n, clean.n + n);
      SOF_CHECK_EQ(truth_cnt(&c, "impair", cases[k].kind), want);
      if (bad) fprintf(stderr, "  %s: %u bad extra frames\n", cases[k].name, bad);
    }
    cap_free(&c);
  }
}

static void
test_garbage(void) {
  cap_t c;
  gen_cap(&c, "garbage", (char const *const[]){ "--garbage", "0.15", NULL });
  if (!c.ok || !clean.ok) goto out;
  same_txns(&c);
  /* Observed reason of each extra frame, by name. */
  static char const *const reasons[] = { "not_ipv4", "not_udp", "other_port", "l2_too_short",
                                         "ipv4_bad_header", "too_short", "bad_variant" };
  enum { NR = 7 };
  unsigned seen[NR] = { 0 }, want[NR] = { 0 }, other = 0, line_bad = 0;
  size_t   i = 0, n = 0;
  for (size_t j = 0; j < c.n; j++) {
    if (i < clean.n && frame_eq(&c.f[j], &clean.f[i])) {
      i++;
      continue;
    }
    /* The n-th junk frame is the truth's n-th garbage line (no reordering). */
    char const *l = truth_line(&c, "impair", "garbage", n++);
    char        e[32];
    fa_t        a;
    analyse(&a, &c.f[j]);
    char const *r = a.pkt_err ? sof_pkt_err_str(a.pkt_err)
                  : a.dst_port != PORT ? "other_port"
                  : a.shred_err ? sof_shred_err_str(a.shred_err) : "parsed";
    int k;
    for (k = 0; k < NR && strcmp(r, reasons[k]); k++) {}
    if (k < NR) seen[k]++;
    else other++;
    if (!l || jstr(l, "expect", e, sizeof e) || strcmp(e, r) || jnum(l, "size") != c.f[j].sz) line_bad++;
  }
  SOF_CHECK_EQ(line_bad, 0);
  SOF_CHECK_EQ(i, clean.n);
  SOF_CHECK_EQ(other, 0);
  size_t lines = truth_cnt(&c, "impair", "garbage");
  for (size_t l = 0; l < lines; l++) {
    char e[32];
    int  k;
    if (jstr(truth_line(&c, "impair", "garbage", l), "expect", e, sizeof e)) continue;
    for (k = 0; k < NR && strcmp(e, reasons[k]); k++) {}
    if (k < NR) want[k]++;
  }
  for (int k = 0; k < NR; k++) {
    SOF_CHECK_EQ(seen[k], want[k]);
    SOF_CHECK(seen[k] > 0);
  }
  SOF_CHECK_EQ(n, lines);
  SOF_CHECK_EQ(n, sum_num(&c, NULL, "garbage"));
  SOF_CHECK_EQ(seen[0], sum_num(&c, "garbageBy", "arp") + sum_num(&c, "garbageBy", "ipv6"));
  SOF_CHECK_EQ(seen[1], sum_num(&c, "garbageBy", "tcp"));
  SOF_CHECK_EQ(seen[2], sum_num(&c, "garbageBy", "other_port"));
  SOF_CHECK_EQ(seen[3] + seen[4], sum_num(&c, "garbageBy", "truncated"));
  SOF_CHECK_EQ(seen[5], sum_num(&c, "garbageBy", "junk_short"));
  SOF_CHECK_EQ(seen[6], sum_num(&c, "garbageBy", "junk_variant"));
out:
  cap_free(&c);
}

/* Everything at once: counts add up, content unchanged, reproducible (the
 * second run inside gen_cap). */
static void
test_all(void) {
  cap_t c;
  gen_cap(&c, "all", (char const *const[]){ "--loss", "0.05", "--loss-per-set", "3", "--dup", "0.05",
                                            "--reorder", "32", "--corrupt", "0.05", "--forge", "0.2",
                                            "--equivocate", "0.2", "--wrong-version", "0.2",
                                            "--garbage", "0.05", NULL });
  if (!c.ok || !clean.ok) goto out;
  same_txns(&c);
  long long shreds = sum_num(&c, NULL, "shreds");
  long long expect = shreds - sum_num(&c, NULL, "lost") - sum_num(&c, NULL, "lostPerSet") +
                     sum_num(&c, NULL, "duplicated") +
                     64 * (sum_num(&c, NULL, "forgedSets") + sum_num(&c, NULL, "equivocatedSets") +
                           sum_num(&c, NULL, "wrongVersionSets")) +
                     sum_num(&c, NULL, "garbage");
  SOF_CHECK_EQ(shreds, clean.n);
  SOF_CHECK_EQ(c.n, (unsigned long long)expect);
  SOF_CHECK_EQ(sum_num(&c, NULL, "frames"), c.n);
out:
  cap_free(&c);
}

/* Skips and forks: the truth's slot lines against the frames. */
static void
test_chain(void) {
  cap_t c;
  gen_cap(&c, "chain", (char const *const[]){ "--slots", "24", "--txns-per-slot", "40",
                                              "--skip-rate", "0.5", "--fork-every", "4",
                                              "--fork-length", "2", NULL });
  if (!c.ok) goto out;
  enum { NS = 24, FIRST = 1 };
  struct {
    int      skipped, canonical, produced, seen;
    long long parent;
    uint8_t  chained[32], last[32];
    uint64_t frames, sig_bad, parent_bad, first_chain_bad;
  } sl[NS] = { 0 };
  size_t lines = truth_cnt(&c, "slot", NULL);
  SOF_CHECK_EQ(lines, NS);
  for (size_t k = 0; k < lines; k++) {
    char const *l = truth_line(&c, "slot", NULL, k);
    long long   s = jnum(l, "slot") - FIRST;
    if (s < 0 || s >= NS) {
      SOF_CHECK(!"slot out of range");
      continue;
    }
    sl[s].seen      = 1;
    sl[s].skipped   = jbool(l, "skipped");
    sl[s].canonical = jbool(l, "canonical");
    sl[s].parent    = jnum(l, "parent");
    char b58[64];
    if (!sl[s].skipped) {
      SOF_CHECK(!jstr(l, "chainedRoot", b58, sizeof b58) &&
                !sof_base58_decode_32(b58, strlen(b58), sl[s].chained));
      SOF_CHECK(!jstr(l, "lastRoot", b58, sizeof b58) &&
                !sof_base58_decode_32(b58, strlen(b58), sl[s].last));
    } else {
      SOF_CHECK_EQ(sl[s].parent, -1);
    }
  }
  /* Frames: parents, leader signatures, the first set's chain link. */
  for (size_t i = 0; i < c.n; i++) {
    fa_t a;
    analyse(&a, &c.f[i]);
    long long s = a.shred_err ? -1 : (long long)a.s.slot - FIRST;
    if (s < 0 || s >= NS || !a.root_ok) {
      SOF_CHECK(!"frame of no generated slot");
      continue;
    }
    sl[s].frames++;
    if (!sig_ok(a.p, a.root, c.keys[leader_of(a.s.slot)] + 32)) sl[s].sig_bad++;
    if (a.s.is_data && (long long)sof_shred_parent(&a.s) != sl[s].parent) sl[s].parent_bad++;
    if (a.s.fec_set_idx == 0 && memcmp(a.p + a.s.chained_root_off, sl[s].chained, 32)) {
      sl[s].first_chain_bad++;
    }
  }
  unsigned skipped = 0, children[NS] = { 0 }, forks = 0, link_bad = 0;
  int      depth[NS];
  for (int s = 0; s < NS; s++) {
    SOF_CHECK(sl[s].seen);
    SOF_CHECK_EQ(sl[s].sig_bad, 0);
    SOF_CHECK_EQ(sl[s].parent_bad, 0);
    SOF_CHECK_EQ(sl[s].first_chain_bad, 0);
    depth[s] = -1;
    if (sl[s].skipped) {
      skipped++;
      SOF_CHECK_EQ(sl[s].frames, 0);
      continue;
    }
    SOF_CHECK(sl[s].frames > 0);
    long long p = sl[s].parent - FIRST;
    SOF_CHECK(p < s);
    if (p >= 0) {
      SOF_CHECK(!sl[p].skipped);
      /* a slot chains to its parent's last root */
      if (memcmp(sl[s].chained, sl[p].last, 32)) link_bad++;
      if (++children[p] == 2) forks++;
      depth[s] = depth[p] + 1;
    } else {
      depth[s] = 0;
    }
  }
  SOF_CHECK_EQ(link_bad, 0);
  SOF_CHECK(skipped > 0);
  SOF_CHECK(forks > 0);
  SOF_CHECK_EQ(skipped, sum_num(&c, NULL, "skippedSlots"));
  SOF_CHECK_EQ(forks, sum_num(&c, NULL, "forks"));
  /* The canonical branch is the longest: the deepest slot (unique) and its
   * ancestors. */
  int tip = -1, ties = 0;
  for (int s = 0; s < NS; s++) {
    if (depth[s] < 0) continue;
    if (tip < 0 || depth[s] > depth[tip]) {
      tip  = s;
      ties = 0;
    } else if (depth[s] == depth[tip]) {
      ties++;
    }
  }
  SOF_CHECK(tip >= 0);
  SOF_CHECK_EQ(ties, 0);
  int on[NS] = { 0 };
  for (long long s = tip; s >= 0; s = sl[s].parent - FIRST) on[s] = 1;
  unsigned canon_bad = 0, losers = 0;
  for (int s = 0; s < NS; s++) {
    if (sl[s].skipped) continue;
    if (on[s] != sl[s].canonical) canon_bad++;
    losers += !on[s];
  }
  SOF_CHECK_EQ(canon_bad, 0);
  SOF_CHECK_EQ(losers, 2 * (unsigned)forks); /* --fork-length 2 */
out:
  cap_free(&c);
}

static void
test_options(void) {
  char help[512], p[512];
  snprintf(help, sizeof help, "%s/help.txt", tmpdir);
  snprintf(p, sizeof p, "%s/x.pcap", tmpdir);
  /* --help lists the new options (run with stdout to a file). */
  char *argv[] = { (char *)gen, "--help", NULL };
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, help, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid;
  int   st = -1;
  if (!posix_spawn(&pid, gen, &fa, NULL, argv, environ)) waitpid(pid, &st, 0);
  posix_spawn_file_actions_destroy(&fa);
  SOF_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  size_t hsz = 0;
  char * h   = (char *)sof_test_slurp(help, &hsz);
  static char const *const opts[] = { "--summary", "--skip-rate", "--fork-every", "--fork-length",
                                      "--loss", "--loss-per-set", "--dup", "--reorder", "--corrupt",
                                      "--forge", "--equivocate", "--wrong-version",
                                      "--other-shred-version", "--garbage" };
  for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
    if (!h || !strstr(h, opts[i])) {
      SOF_CHECK(!"option missing from --help");
      fprintf(stderr, "  %s\n", opts[i]);
    }
  }
  free(h);
  SOF_CHECK_EQ(run((char const *const[]){ "-o", p, "--loss", "1.5", NULL }), 2);
  SOF_CHECK_EQ(run((char const *const[]){ "-o", p, "--loss-per-set", "65", NULL }), 2);
  SOF_CHECK_EQ(run((char const *const[]){ "-o", p, "--reorder", "4097", NULL }), 2);
  SOF_CHECK_EQ(run((char const *const[]){ "-o", p, "--fork-length", "0", NULL }), 2);
  SOF_CHECK_EQ(run((char const *const[]){ "-o", p, "--skip-rate", "-0.1", NULL }), 2);
  SOF_CHECK_EQ(run((char const *const[]){ "-o", p, "--shred-version", "9", "--other-shred-version",
                                          "9", NULL }), 2);
}

int
main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "%s: usage: %s PATH/TO/sof-gen\n", NAME, NAME);
    return 2;
  }
  gen = argv[1];
  SOF_CHECK(sodium_init() >= 0);
  char const *base = getenv("TMPDIR");
  snprintf(tmpdir, sizeof tmpdir, "%s/test_gen_impair.XXXXXX", base && base[0] ? base : "/tmp");
  if (!mkdtemp(tmpdir)) {
    SOF_CHECK(!"mkdtemp");
    return sof_test_done(NAME);
  }
  test_options();
  test_clean();
  test_loss();
  test_loss_per_set();
  test_dup();
  test_reorder();
  test_corrupt();
  test_injected();
  test_garbage();
  test_all();
  test_chain();
  cap_free(&clean);

  /* Clean up the temporary directory (only what this test wrote there). */
  char cmd[512];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  if (system(cmd)) fprintf(stderr, "%s: could not remove %s\n", NAME, tmpdir);
  return sof_test_done(NAME);
}
