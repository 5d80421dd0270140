/* Reed-Solomon: the field against shift-and-add multiplication; the encoding
 * matrix against the crate's definition (V * inverse(V[0..k)), computed here
 * by Gauss-Jordan with an independent product table) for shapes up to
 * k + m = 256; the crate's k=4 m=2 known answer; recovery plans checked
 * algebraically (each plan row times the sources' encoding rows is the
 * rebuilt shard's encoding row); encode-lose-rebuild round trips over every
 * loss-pattern shape (all data lost, all parity lost, mixed, exactly k
 * present, nothing lost) and many lengths around the 32- and 64-byte tile
 * edges and the kernel's cache blocks, on every path this CPU runs (each
 * kernel: portable, avx2, avx512, gfni256, gfni512; the SIMD ones with the
 * additive FFT and with it forced off), all giving identical plans and
 * bytes; refusal below k shards with nothing written. */
#include "sof_test.h"

#include "fec/sof_rs.h"

#include <limits.h>

static uint64_t rng_s = 0x243F6A8885A308D3ULL;
static uint64_t
rng(void) {
  rng_s ^= rng_s << 13;
  rng_s ^= rng_s >> 7;
  rng_s ^= rng_s << 17;
  return rng_s;
}

/* ---- an independent field: shift-and-add, and a table made from it ------- */

static uint8_t
ref_mul_slow(uint8_t a, uint8_t b) {
  uint8_t p = 0;
  while (b) {
    if (b & 1) p ^= a;
    a = (uint8_t)((a << 1) ^ ((a & 0x80) ? 0x1D : 0));
    b >>= 1;
  }
  return p;
}

static uint8_t ref_tab[256][256];
#define RMUL(a, b) ref_tab[(uint8_t)(a)][(uint8_t)(b)]

static uint8_t
ref_inv(uint8_t a) {
  for (unsigned b = 1; b < 256; b++)
    if (RMUL(a, b) == 1) return (uint8_t)b;
  return 0;
}

/* The crate's matrix by its definition: rows k..n-1 of V * inverse(V[0..k)),
 * V[r][c] = r^c (0^0 = 1), into out[i * k + c]. Returns 0, -1 if singular. */
static uint8_t ref_a[SOF_RS_DATA_MAX][SOF_RS_DATA_MAX], ref_b[SOF_RS_DATA_MAX][SOF_RS_DATA_MAX];
static int
ref_matrix(unsigned k, unsigned m, uint8_t *out) {
  for (unsigned r = 0; r < k; r++)
    for (unsigned c = 0; c < k; c++) {
      uint8_t p = 1;
      for (unsigned e = 0; e < c; e++) p = RMUL(p, r);
      ref_a[r][c] = p;
      ref_b[r][c] = r == c;
    }
  for (unsigned col = 0; col < k; col++) { /* Gauss-Jordan: ref_b = inverse */
    unsigned piv = col;
    while (piv < k && !ref_a[piv][col]) piv++;
    if (piv == k) return -1;
    for (unsigned c = 0; c < k; c++) {
      uint8_t t = ref_a[piv][c]; ref_a[piv][c] = ref_a[col][c]; ref_a[col][c] = t;
      t = ref_b[piv][c]; ref_b[piv][c] = ref_b[col][c]; ref_b[col][c] = t;
    }
    uint8_t s = ref_inv(ref_a[col][col]);
    for (unsigned c = 0; c < k; c++) {
      ref_a[col][c] = RMUL(s, ref_a[col][c]);
      ref_b[col][c] = RMUL(s, ref_b[col][c]);
    }
    for (unsigned r = 0; r < k; r++) {
      uint8_t f = ref_a[r][col];
      if (r == col || !f) continue;
      for (unsigned c = 0; c < k; c++) {
        ref_a[r][c] ^= RMUL(f, ref_a[col][c]);
        ref_b[r][c] ^= RMUL(f, ref_b[col][c]);
      }
    }
  }
  for (unsigned i = 0; i < m; i++) {
    uint8_t v[SOF_RS_DATA_MAX];
    for (unsigned c = 0, p = 1; c < k; c++, p = RMUL(p, k + i)) v[c] = (uint8_t)p;
    for (unsigned c = 0; c < k; c++) {
      uint8_t acc = 0;
      for (unsigned t = 0; t < k; t++) acc ^= RMUL(v[t], ref_b[t][c]);
      out[i * k + c] = acc;
    }
  }
  return 0;
}

/* Row r of the full encoding matrix (identity on top) into row[0..k). */
static void
enc_row(sof_rs_t const *rs, unsigned r, uint8_t *row) {
  if (r < rs->k) {
    memset(row, 0, rs->k);
    row[r] = 1;
  } else {
    memcpy(row, sof_rs_parity_row(rs, r - rs->k), rs->k);
  }
}

/* The plan is right iff, for each rebuilt shard, its row of coefficients
 * combines the sources' encoding rows into its own encoding row; and src
 * is the k lowest present shards, dst every missing shard it should
 * rebuild, both ascending. Returns the number of failures. */
static int
plan_ok(sof_rs_t const *rs, sof_rs_plan_t const *pl, uint8_t const *present, int data_only) {
  unsigned k = rs->k, n = rs->k + rs->m, s = 0, d = 0;
  int      bad = pl->k != k || pl->n != n;
  for (unsigned i = 0; i < n && !bad; i++) {
    if (present[i]) {
      if (s < k) bad |= pl->src[s++] != i;
    } else if (i < k || !data_only) {
      bad |= d >= pl->rebuild_cnt || pl->dst[d++] != i;
    }
  }
  bad |= s != k || d != pl->rebuild_cnt;
  static uint8_t src_rows[SOF_RS_DATA_MAX][SOF_RS_DATA_MAX];
  for (unsigned j = 0; j < k && !bad; j++) enc_row(rs, pl->src[j], src_rows[j]);
  for (unsigned r = 0; r < pl->rebuild_cnt && !bad; r++) {
    uint8_t want[SOF_RS_DATA_MAX], got[SOF_RS_DATA_MAX] = {0};
    enc_row(rs, pl->dst[r], want);
    for (unsigned j = 0; j < k; j++) {
      uint8_t c = pl->coef[r * k + j];
      for (unsigned t = 0; t < k; t++) got[t] ^= RMUL(c, src_rows[j][t]);
    }
    bad |= memcmp(got, want, k) != 0;
  }
  return bad;
}

/* ---- round trips ------------------------------------------------------------ */

#define SZ_MAX 20000 /* crosses several of the kernel's cache blocks for any k */
static uint8_t *orig[256], *work[256];

/* Fills k random data shards of sz bytes at an offset of `skew` bytes into
 * their buffers (unaligned on purpose) and encodes them into orig. */
static void
make_set(sof_rs_t const *rs, size_t sz) {
  uint8_t const *d[256];
  for (unsigned i = 0; i < rs->k; i++) {
    for (size_t b = 0; b < sz; b++) orig[i][b] = (uint8_t)rng();
    d[i] = orig[i];
  }
  for (unsigned i = 0; i < rs->m; i++) memset(orig[rs->k + i], 0xEE, sz + 1);
  sof_rs_encode(rs, d, orig + rs->k, sz);
}

/* Copies the set to work, spoils the shards `present` marks absent, rebuilds
 * with sof_rs_reconstruct, and returns the number of wrong shards: rebuilt
 * ones must be right, present ones untouched, and with data_only missing
 * parity left as spoiled; no byte past sz may change. */
static int
round_trip(sof_rs_t const *rs, size_t sz, uint8_t const *present, int data_only) {
  unsigned n = rs->k + rs->m;
  for (unsigned i = 0; i < n; i++) {
    memcpy(work[i], orig[i], sz);
    if (!present[i]) memset(work[i], 0xA5, sz);
    work[i][sz] = 0x5A; /* guard */
  }
  if (sof_rs_reconstruct(rs, work, present, sz, data_only)) return 1000;
  int bad = 0;
  for (unsigned i = 0; i < n; i++) {
    int keep_spoiled = !present[i] && data_only && i >= rs->k;
    if (keep_spoiled) {
      size_t b = 0;
      while (b < sz && work[i][b] == 0xA5) b++;
      bad += b != sz;
    } else {
      bad += memcmp(work[i], orig[i], sz) != 0;
    }
    bad += work[i][sz] != 0x5A;
  }
  return bad;
}

/* present[] for `lose_d` random data and `lose_p` random parity shards lost. */
static void
pattern(uint8_t *present, unsigned k, unsigned m, unsigned lose_d, unsigned lose_p) {
  memset(present, 1, k + m);
  for (unsigned l = 0; l < lose_d;) {
    unsigned i = (unsigned)(rng() % k);
    if (present[i]) { present[i] = 0; l++; }
  }
  for (unsigned l = 0; l < lose_p;) {
    unsigned i = k + (unsigned)(rng() % m);
    if (present[i]) { present[i] = 0; l++; }
  }
}

static unsigned
min_u(unsigned a, unsigned b) { return a < b ? a : b; }

/* Path p (0, 1, ...) of those this CPU runs: path 0 is the portable kernel,
 * then each SIMD kernel with the FFT on, then off. Selects it and returns 1,
 * or restores the run-time choice and returns 0 past the last. */
static char path_name[32];
static int
set_path(unsigned p) {
  sof_rs_force_dense(0);
  if (p == 0) {
    SOF_CHECK_EQ(sof_rs_kernel_select("portable"), 0);
    snprintf(path_name, sizeof path_name, "portable");
    return 1;
  }
  char const *kn = sof_rs_kernel_at(1 + (p - 1) / 2);
  if (!kn) {
    sof_rs_kernel_select(NULL);
    return 0;
  }
  SOF_CHECK_EQ(sof_rs_kernel_select(kn), 0);
  sof_rs_force_dense((p - 1) % 2);
  snprintf(path_name, sizeof path_name, "%s%s", kn, (p - 1) % 2 ? " dense" : "");
  return 1;
}

/* Every loss-pattern shape for one (k, m) at one length, both data_only
 * settings. Returns the number of failures. */
static int
shapes(sof_rs_t const *rs, size_t sz) {
  unsigned k = rs->k, m = rs->m, n = k + m;
  uint8_t  present[256];
  int      bad = 0;
  make_set(rs, sz);
  for (int data_only = 0; data_only < 2; data_only++) {
    memset(present, 1, n); /* nothing lost */
    bad += round_trip(rs, sz, present, data_only);
    pattern(present, k, m, min_u(k, m), 0); /* as many data lost as can be */
    bad += round_trip(rs, sz, present, data_only);
    pattern(present, k, m, 0, m); /* all parity lost */
    bad += round_trip(rs, sz, present, data_only);
    pattern(present, k, m, 1, 0); /* one data shard lost */
    bad += round_trip(rs, sz, present, data_only);
    for (unsigned t = 0; t < 3; t++) { /* mixed, exactly k present */
      unsigned ld = (unsigned)(rng() % (min_u(k, m) + 1));
      pattern(present, k, m, ld, m - ld);
      bad += round_trip(rs, sz, present, data_only);
    }
    if (m > 1) { /* mixed, k + 1 present */
      unsigned ld = (unsigned)(rng() % min_u(k + 1, m));
      pattern(present, k, m, ld, m - 1 - ld);
      bad += round_trip(rs, sz, present, data_only);
    }
  }
  return bad;
}

int
main(void) {
  for (unsigned i = 0; i < 256; i++) {
    orig[i] = malloc(SZ_MAX + 8);
    work[i] = malloc(SZ_MAX + 8);
    if (!orig[i] || !work[i]) return 1;
    orig[i] += i & 7; /* unaligned shards */
    work[i] += (i * 3) & 7;
  }

  /* field: every product against shift-and-add, every inverse */
  int bad_mul = 0, bad_inv = 0;
  for (unsigned a = 0; a < 256; a++)
    for (unsigned b = 0; b < 256; b++) {
      ref_tab[a][b] = ref_mul_slow((uint8_t)a, (uint8_t)b);
      bad_mul += sof_gf_mul((uint8_t)a, (uint8_t)b) != ref_tab[a][b];
    }
  for (unsigned a = 1; a < 256; a++) bad_inv += RMUL(a, sof_gf_inv((uint8_t)a)) != 1;
  SOF_CHECK_EQ(bad_mul, 0);
  SOF_CHECK_EQ(bad_inv, 0);
  SOF_CHECK_EQ(sof_gf_inv(0), 0);
  SOF_CHECK_EQ(sof_gf_mul(2, 0x80), 0x1D);

  /* argument limits: k, m >= 1, k + m <= 256, no overflow */
  static sof_rs_t rs, rs2;
  SOF_CHECK_EQ(sof_rs_init(&rs, 0, 1), -1);
  SOF_CHECK_EQ(sof_rs_init(&rs, 1, 0), -1);
  SOF_CHECK_EQ(sof_rs_init(&rs, 256, 1), -1);
  SOF_CHECK_EQ(sof_rs_init(&rs, 1, 256), -1);
  SOF_CHECK_EQ(sof_rs_init(&rs, 129, 128), -1);
  SOF_CHECK_EQ(sof_rs_init(&rs, UINT_MAX, 2), -1);
  SOF_CHECK_EQ(sof_rs_init(&rs, 2, UINT_MAX), -1);
  SOF_CHECK_EQ(sof_rs_init(&rs, 128, 128), 0);
  SOF_CHECK_EQ(sof_rs_init(&rs, 255, 1), 0);
  SOF_CHECK_EQ(sof_rs_init(&rs, 1, 255), 0);
  SOF_CHECK_EQ(rs.k, 1);
  SOF_CHECK_EQ(rs.m, 255);
  SOF_CHECK_EQ(sof_rs_init(&rs, 300, 2), -1); /* a refused init leaves rs as it was */
  SOF_CHECK_EQ(rs.k, 1);
  SOF_CHECK_EQ(rs.m, 255);
  char const *kern = sof_rs_kernel_name();
  {
    int listed = 0; /* the kernel in use is one this CPU runs; portable first */
    SOF_CHECK_STR(sof_rs_kernel_at(0), "portable");
    for (unsigned i = 0; sof_rs_kernel_at(i); i++) {
      listed += strcmp(sof_rs_kernel_at(i), kern) == 0;
      printf("rs: kernel %s available\n", sof_rs_kernel_at(i));
    }
    SOF_CHECK_EQ(listed, 1);
  }
  sof_rs_force_portable(1);
  SOF_CHECK_STR(sof_rs_kernel_name(), "portable");
  sof_rs_force_portable(0);
  SOF_CHECK_STR(sof_rs_kernel_name(), kern);
  SOF_CHECK_EQ(sof_rs_kernel_select("no-such-kernel"), -1);
  SOF_CHECK_STR(sof_rs_kernel_name(), kern);
  SOF_CHECK_EQ(sof_rs_kernel_select("portable"), 0);
  SOF_CHECK_STR(sof_rs_kernel_name(), "portable");
  SOF_CHECK_EQ(sof_rs_kernel_select("auto"), 0);
  SOF_CHECK_STR(sof_rs_kernel_name(), kern);

  /* the crate's k=4, m=2 answer on 16-byte shards, byte t of shard j =
   * ((j*16 + t)*7 + 3) mod 256 (SOURCES.md, section 6) */
  SOF_CHECK_EQ(sof_rs_init(&rs, 4, 2), 0);
  static uint8_t kd[4][16], kp[2][16];
  uint8_t const *kdp[4] = {kd[0], kd[1], kd[2], kd[3]};
  uint8_t       *kpp[2] = {kp[0], kp[1]};
  for (unsigned j = 0; j < 4; j++)
    for (unsigned t = 0; t < 16; t++) kd[j][t] = (uint8_t)(((j * 16 + t) * 7 + 3) % 256);
  uint8_t want[16];
  for (unsigned path = 0; set_path(path); path++) {
    SOF_CHECK_EQ(sof_rs_init(&rs, 4, 2), 0);
    sof_rs_encode(&rs, kdp, kpp, 16);
    sof_test_unhex(want, "656c9f9691b4bf000fa5aef9fef7252c", 16);
    SOF_CHECK_MEM(kp[0], want, 16);
    sof_test_unhex(want, "afa60f0601beb5909fc8c3696e670801", 16);
    SOF_CHECK_MEM(kp[1], want, 16);
  }
  sof_rs_force_portable(0);

  /* shapes: Solana's (32:32, legacy sets, 1:17 ...), every k + m <= 16 of a
   * few kinds, the extremes of k + m = 256, and odd row counts (rows % 4) */
  static unsigned const km[][2] = {
      {1, 1},  {1, 17},  {2, 2},   {4, 2},   {5, 20},   {10, 23}, {15, 26}, {4, 19},
      {19, 45}, {32, 32}, {32, 31}, {32, 30}, {32, 29},  {31, 33}, {33, 3},  {64, 64},
      {100, 20}, {67, 67}, {128, 128}, {255, 1}, {1, 255}, {200, 56}, {3, 253}, {17, 5},
      {16, 16}, {16, 5},  {8, 8},   {8, 40},  {8, 248}, {32, 96}, {32, 224}, {16, 48}};
  unsigned const nkm = sizeof km / sizeof km[0];

  /* matrix: equal to the definition, in both coefficient paths */
  static uint8_t ref[SOF_RS_COEF_MAX];
  int            bad_matrix = 0;
  for (unsigned s = 0; s < nkm; s++) {
    unsigned k = km[s][0], m = km[s][1];
    if (ref_matrix(k, m, ref)) { bad_matrix++; continue; }
    for (int portable = 0; portable < 2; portable++) {
      sof_rs_force_portable(portable);
      if (sof_rs_init(&rs, k, m) || rs.k != k || rs.m != m) { bad_matrix++; continue; }
      bad_matrix += memcmp(rs.coef, ref, (size_t)k * m) != 0;
    }
  }
  for (unsigned k = 1; k <= 12; k++) /* every small shape */
    for (unsigned m = 1; k + m <= 16; m++) {
      ref_matrix(k, m, ref);
      sof_rs_init(&rs, k, m);
      bad_matrix += memcmp(rs.coef, ref, (size_t)k * m) != 0;
    }
  sof_rs_force_portable(0);
  SOF_CHECK_EQ(bad_matrix, 0);

  /* plans: algebraically right for random patterns of every shape, the same
   * in both paths, and refused (rebuild_cnt 0) below k present */
  static sof_rs_plan_t pl, pl2;
  int                  bad_plan = 0, bad_same = 0, bad_refuse = 0;
  for (unsigned s = 0; s < nkm; s++) {
    unsigned k = km[s][0], m = km[s][1], n = k + m;
    sof_rs_init(&rs, k, m);
    for (unsigned t = 0; t < 12; t++) {
      uint8_t  present[256];
      unsigned lose = t == 0 ? m : t == 1 ? 0 : (unsigned)(rng() % (m + 1));
      memset(present, 1, n);
      for (unsigned l = 0; l < lose;) {
        unsigned i = (unsigned)(rng() % n);
        if (present[i]) { present[i] = 0; l++; }
      }
      for (int data_only = 0; data_only < 2; data_only++) {
        sof_rs_force_portable(0);
        bad_plan += sof_rs_plan_init(&pl, &rs, present, data_only) != 0;
        bad_plan += plan_ok(&rs, &pl, present, data_only);
        sof_rs_force_portable(1);
        bad_plan += sof_rs_plan_init(&pl2, &rs, present, data_only) != 0;
        bad_same += pl.rebuild_cnt != pl2.rebuild_cnt ||
                    memcmp(pl.coef, pl2.coef, (size_t)pl.rebuild_cnt * k) != 0;
      }
      /* one more loss than m: refused */
      if (lose == m) {
        unsigned i = 0;
        while (!present[i]) i++;
        present[i] = 0;
        pl.rebuild_cnt = 77;
        bad_refuse += sof_rs_plan_init(&pl, &rs, present, 0) != -1 || pl.rebuild_cnt != 0;
        pl.rebuild_cnt = 77;
        bad_refuse += sof_rs_plan_init(&pl, &rs, present, 1) != -1 || pl.rebuild_cnt != 0;
      }
    }
  }
  sof_rs_force_portable(0);
  SOF_CHECK_EQ(bad_plan, 0);
  SOF_CHECK_EQ(bad_same, 0);
  SOF_CHECK_EQ(bad_refuse, 0);

  /* round trips: every loss shape, lengths around the tile and block edges,
   * both paths */
  static size_t const lens[] = {0, 1, 15, 31, 32, 33, 63, 64, 65, 95, 96, 97, 127, 128, 129, 301, 1228};
  int bad_rt = 0;
  for (unsigned path = 0; set_path(path); path++) {
    int bad_before = bad_rt;
    for (unsigned s = 0; s < nkm; s++) {
      unsigned k = km[s][0], m = km[s][1];
      sof_rs_init(&rs, k, m);
      for (unsigned l = 0; l < sizeof lens / sizeof lens[0]; l++) {
        if (k + m > 70 && l % 4) continue; /* the big shapes: a sample of lengths */
        bad_rt += shapes(&rs, lens[l]);
      }
    }
    /* long shards: several cache blocks (16 KiB / k each) and a ragged end */
    static unsigned const big[][2] = {{32, 32}, {3, 5}, {128, 128}, {255, 1}, {7, 9}};
    for (unsigned s = 0; s < 5; s++) {
      sof_rs_init(&rs, big[s][0], big[s][1]);
      bad_rt += shapes(&rs, path == 0 ? 4097 : SZ_MAX - 3);
    }
    if (bad_rt != bad_before) printf("rs: round trips wrong on path %s\n", path_name);
  }
  sof_rs_force_portable(0);
  SOF_CHECK_EQ(bad_rt, 0);

  /* every path agrees with the portable kernel byte for byte: encode and
   * rebuild (data lost, all data lost, mixed), odd row counts and lengths,
   * same random input */
  int bad_agree = 0;
  for (unsigned s = 0; s < nkm; s++) {
    unsigned k = km[s][0], m = km[s][1];
    size_t   sz = 33 + (size_t)(rng() % 1300);
    sof_rs_init(&rs, k, m);
    set_path(0);
    make_set(&rs, sz); /* portable parity in orig */
    uint8_t *par[256];
    for (unsigned i = 0; i < m; i++) par[i] = work[k + i];
    uint8_t present[3][256];
    unsigned ld = min_u(k, m) / 2 + 1 > m ? m : min_u(k, m) / 2 + 1;
    pattern(present[0], k, m, min_u(ld, k), 0);
    pattern(present[1], k, m, min_u(k, m), 0);
    pattern(present[2], k, m, min_u(k, m) / 2, m - min_u(k, m) / 2);
    for (unsigned path = 0; set_path(path); path++) {
      int bad_before = bad_agree;
      for (unsigned i = 0; i < m; i++) memset(par[i], 0x33, sz);
      sof_rs_encode(&rs, (uint8_t const *const *)orig, par, sz);
      for (unsigned i = 0; i < m; i++) bad_agree += memcmp(par[i], orig[k + i], sz) != 0;
      for (unsigned t = 0; t < 3; t++)
        for (int data_only = 0; data_only < 2; data_only++)
          bad_agree += round_trip(&rs, sz, present[t], data_only);
      if (bad_agree != bad_before) printf("rs: %u:%u sz %zu wrong on path %s\n", k, m, sz, path_name);
    }
  }
  SOF_CHECK_EQ(bad_agree, 0);

  /* one plan applied to several sets with the same loss pattern */
  SOF_CHECK_EQ(sof_rs_init(&rs, 32, 32), 0);
  {
    uint8_t present[64];
    pattern(present, 32, 32, 16, 16);
    SOF_CHECK_EQ(sof_rs_plan_init(&pl, &rs, present, 0), 0);
    SOF_CHECK_EQ(pl.rebuild_cnt, 32);
    int bad_reuse = 0;
    for (unsigned set = 0; set < 4; set++) {
      make_set(&rs, 1228);
      for (unsigned i = 0; i < 64; i++) {
        memcpy(work[i], orig[i], 1228);
        if (!present[i]) memset(work[i], 0, 1228);
      }
      sof_rs_plan_apply(&pl, work, 1228);
      for (unsigned i = 0; i < 64; i++) bad_reuse += memcmp(work[i], orig[i], 1228) != 0;
    }
    SOF_CHECK_EQ(bad_reuse, 0);
    /* nothing missing: an empty plan, and apply writes nothing */
    memset(present, 1, 64);
    pl.rebuild_cnt = 9;
    SOF_CHECK_EQ(sof_rs_plan_init(&pl, &rs, present, 0), 0);
    SOF_CHECK_EQ(pl.rebuild_cnt, 0);
    for (unsigned i = 0; i < 32; i++) SOF_CHECK_EQ(pl.src[i], i);
  }

  /* a matrix of a second object is independent of the first */
  SOF_CHECK_EQ(sof_rs_init(&rs2, 32, 32), 0);
  SOF_CHECK_EQ(sof_rs_init(&rs, 5, 20), 0);
  SOF_CHECK_EQ(ref_matrix(32, 32, ref), 0);
  SOF_CHECK_MEM(rs2.coef, ref, 1024);

  /* fewer than k shards: refused, nothing written */
  SOF_CHECK_EQ(sof_rs_init(&rs, 32, 32), 0);
  {
    uint8_t present[64];
    for (unsigned i = 0; i < 64; i++) {
      present[i] = i >= 33;
      memset(work[i], 7, 64);
    }
    SOF_CHECK_EQ(sof_rs_reconstruct(&rs, work, present, 64, 1), -1);
    SOF_CHECK_EQ(sof_rs_reconstruct(&rs, work, present, 64, 0), -1);
    int touched = 0;
    for (unsigned i = 0; i < 64; i++)
      for (unsigned b = 0; b < 64; b++) touched += work[i][b] != 7;
    SOF_CHECK_EQ(touched, 0);
  }
  for (unsigned i = 0; i < 256; i++) {
    free(orig[i] - (i & 7));
    free(work[i] - ((i * 3) & 7));
  }
  return sof_test_done("rs");
}
