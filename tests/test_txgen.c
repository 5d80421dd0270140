/* test_txgen: the deterministic transaction / entry builder, and (when the
 * path of the sof-gen binary is given as argv[1]) the sof-gen tool end to
 * end.
 *
 *   test_txgen [PATH/TO/sof-gen]
 *
 * Library part: the PRNG and key derivation are deterministic; every
 * generated transaction parses with sof_txn_parse with the expected kind,
 * version and shape, and all its signatures verify over the message; the
 * generic builder rejects what the parser would; entry batches parse back
 * with sof_entry_batch_parse.
 *
 * Tool part: --help lists every option and exits 0; bad options exit 2;
 * the same seed gives the same bytes in every output; the pcap holds only
 * well-formed frames of shreds whose proofs, signatures (per the leader
 * schedule) and chain links verify; the reassembled batches parse, and their
 * transactions are, in order, the ground truth's. */
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "sof_test.h"
#include "crypto/sof_merkle.h"
#include "gen/sof_txgen.h"
#include "wire/sof_base58.h"
#include "wire/sof_entry.h"
#include "wire/sof_pkt.h"
#include "wire/sof_shred.h"
#include "wire/sof_txn.h"

#define NAME "test_txgen"

extern char **environ;

/* ---- library ----------------------------------------------------------------- */

static void
test_rng(void) {
  sof_txgen_rng_t a, b;
  sof_txgen_rng_seed(&a, 1);
  sof_txgen_rng_seed(&b, 1);
  for (int i = 0; i < 100; i++) SOF_CHECK_EQ(sof_txgen_rng_u64(&a), sof_txgen_rng_u64(&b));
  /* splitmix64 reference value: first output for seed 0. */
  sof_txgen_rng_seed(&a, 0);
  SOF_CHECK_EQ(sof_txgen_rng_u64(&a), 0xE220A8397B1DCDAFULL);

  uint64_t hist[10] = { 0 };
  sof_txgen_rng_seed(&a, 7);
  for (int i = 0; i < 10000; i++) {
    uint64_t v = sof_txgen_rng_below(&a, 10);
    SOF_CHECK(v < 10);
    if (v < 10) hist[v]++;
  }
  for (int i = 0; i < 10; i++) SOF_CHECK(hist[i] > 850 && hist[i] < 1150);
  SOF_CHECK_EQ(sof_txgen_rng_below(&a, 1), 0);

  uint8_t x[13], y[13];
  sof_txgen_rng_seed(&a, 3);
  sof_txgen_rng_seed(&b, 3);
  sof_txgen_rng_bytes(&a, x, sizeof x);
  sof_txgen_rng_bytes(&b, y, sizeof y);
  SOF_CHECK_MEM(x, y, sizeof x);
  SOF_CHECK(sof_txgen_mix(1, 2) != sof_txgen_mix(2, 1));
  SOF_CHECK(sof_txgen_mix(1, 2) != sof_txgen_mix(1, 3));

  uint8_t k1[64], k2[64], k3[64], pk[32], sk[64];
  sof_txgen_keypair(k1, 5, SOF_TXGEN_DOMAIN_LEADER, 0);
  sof_txgen_keypair(k2, 5, SOF_TXGEN_DOMAIN_LEADER, 0);
  sof_txgen_keypair(k3, 5, SOF_TXGEN_DOMAIN_LEADER, 1);
  SOF_CHECK_MEM(k1, k2, 64);
  SOF_CHECK(memcmp(k1, k3, 64) != 0);
  crypto_sign_ed25519_seed_keypair(pk, sk, k1);
  SOF_CHECK_MEM(pk, k1 + 32, 32);
}

static void
test_tower_sync(void) {
  uint8_t bank[32], bid[32], d[512];
  memset(bank, 0x11, 32);
  memset(bid, 0x22, 32);
  long sz = sof_txgen_tower_sync_data(d, sizeof d, 385970977, bank, 1770000000, bid);
  SOF_CHECK_EQ(sz, 148); /* as the real testnet vote (SOURCES.md section 2) */
  SOF_CHECK_EQ(d[0], 0x0e);
  SOF_CHECK(d[1] == 0 && d[2] == 0 && d[3] == 0);
  uint64_t root = 0;
  for (int i = 0; i < 8; i++) root |= (uint64_t)d[4 + i] << (8 * i);
  SOF_CHECK_EQ(root, 385970977 - 31);
  SOF_CHECK_EQ(d[12], 31);
  for (int i = 0; i < 31; i++) {
    SOF_CHECK_EQ(d[13 + 2 * i], 1);      /* slot offset */
    SOF_CHECK_EQ(d[14 + 2 * i], 31 - i); /* confirmation count */
  }
  SOF_CHECK_MEM(d + 75, bank, 32);
  SOF_CHECK_EQ(d[107], 1);
  SOF_CHECK_MEM(d + 116, bid, 32);
  /* Young chain: no root (u64 max), fewer lockouts. */
  sz = sof_txgen_tower_sync_data(d, sizeof d, 2, bank, 0, bid);
  SOF_CHECK_EQ(sz, 4 + 8 + 1 + 3 * 2 + 32 + 9 + 32);
  SOF_CHECK_EQ(d[4], 0xFF);
  SOF_CHECK_EQ(d[12], 3);
  SOF_CHECK_EQ(sof_txgen_tower_sync_data(d, 10, 100, bank, 0, bid), SOF_TXGEN_ERR_SPACE);
}

/* Checks one transaction; returns its sof_txn kind or -1. */
static int
check_txn(uint8_t const *t, long sz, int type) {
  sof_txn_t txn;
  int       err = sof_txn_parse(&txn, t, (size_t)sz, NULL);
  SOF_CHECK_EQ(err, SOF_TXN_OK);
  if (err) {
    fprintf(stderr, "  type %s: %s\n", sof_txgen_type_str(type), sof_txn_err_str(err));
    return -1;
  }
  SOF_CHECK_EQ(txn.kind, sof_txgen_type_kind(type));
  SOF_CHECK_MEM(sof_txn_sig(&txn, t, 0), t + 1, 64);
  for (unsigned i = 0; i < txn.sig_cnt; i++) {
    SOF_CHECK(crypto_sign_ed25519_verify_detached(sof_txn_sig(&txn, t, i), sof_txn_msg(&txn, t),
                                                  txn.msg_sz, sof_txn_acct_key(&txn, t, i)) == 0);
  }
  SOF_CHECK_EQ(txn.version, type == SOF_TXGEN_TYPE_V0_ALT ? SOF_TXN_VERSION_V0 : SOF_TXN_VERSION_LEGACY);
  for (unsigned j = 0; j < txn.instr_cnt; j++) {
    uint8_t const *prog = sof_txn_instr_program(&txn, t, j);
    uint8_t const *data = sof_txn_instr_data(&txn, t, j);
    if (!memcmp(prog, sof_txn_vote_program_id, 32)) {
      SOF_CHECK(txn.instr[j].data_sz >= 4 && !memcmp(data, "\x0e\x00\x00\x00", 4));
      SOF_CHECK_EQ(txn.instr[j].acct_cnt, 2);
    } else if (!memcmp(prog, sof_txgen_system_program_id, 32)) {
      SOF_CHECK_EQ(txn.instr[j].data_sz, 12);
      SOF_CHECK(!memcmp(data, "\x02\x00\x00\x00", 4));
    } else if (!memcmp(prog, sof_txgen_token_program_id, 32)) {
      SOF_CHECK(data[0] == 3 || data[0] == 12);
    } else {
      SOF_CHECK(!memcmp(prog, sof_txn_compute_budget_program_id, 32));
    }
  }
  switch (type) {
  case SOF_TXGEN_TYPE_VOTE:
    SOF_CHECK_EQ(txn.simple_vote, 1);
    SOF_CHECK_EQ(txn.instr_cnt, 1);
    SOF_CHECK_EQ(txn.acct_cnt, 3);
    break;
  case SOF_TXGEN_TYPE_VOTE_CB:
    SOF_CHECK_EQ(txn.instr_cnt, 3);
    SOF_CHECK_EQ(txn.vote_instr_cnt, 1);
    break;
  case SOF_TXGEN_TYPE_MIXED:
    SOF_CHECK_EQ(txn.instr_cnt, 2);
    SOF_CHECK_EQ(txn.vote_instr_cnt, 1);
    break;
  case SOF_TXGEN_TYPE_TRANSFER:
    SOF_CHECK(txn.sig_cnt == 1 || txn.sig_cnt == 2);
    SOF_CHECK_EQ(txn.vote_instr_cnt, 0);
    break;
  case SOF_TXGEN_TYPE_TOKEN:
    SOF_CHECK_EQ(txn.instr_cnt, 3);
    break;
  case SOF_TXGEN_TYPE_V0_ALT:
    SOF_CHECK_EQ(txn.alt_cnt, 2);
    SOF_CHECK_EQ(txn.acct_total_cnt, 5);
    SOF_CHECK_EQ(txn.alt_writable_cnt, 2);
    SOF_CHECK_EQ(txn.alt_readonly_cnt, 1);
    break;
  default:
    break;
  }
  return txn.kind;
}

static void
test_txns(void) {
  static sof_txgen_t g1, g2, g3;
  SOF_CHECK_EQ(sof_txgen_init(&g1, 42), SOF_TXGEN_OK);
  SOF_CHECK_EQ(sof_txgen_init(&g2, 42), SOF_TXGEN_OK);
  SOF_CHECK_EQ(sof_txgen_init(&g3, 43), SOF_TXGEN_OK);
  uint8_t bh[32];
  memset(bh, 7, 32);
  sof_txgen_set_recent(&g1, bh, 1000);
  sof_txgen_set_recent(&g2, bh, 1000);
  sof_txgen_set_recent(&g3, bh, 1000);

  uint8_t  a[SOF_TXN_MTU], b[SOF_TXN_MTU], c[SOF_TXN_MTU];
  unsigned two_sig = 0, same_as_other_seed = 0;
  for (int type = 0; type < SOF_TXGEN_TYPE_CNT; type++) {
    for (int i = 0; i < 40; i++) {
      long sa = sof_txgen_txn(&g1, type, a, sizeof a);
      long sb = sof_txgen_txn(&g2, type, b, sizeof b);
      long sc = sof_txgen_txn(&g3, type, c, sizeof c);
      SOF_CHECK(sa >= SOF_TXN_MIN_SZ && sa <= SOF_TXN_MTU);
      SOF_CHECK_EQ(sa, sb);
      if (sa == sb && sa > 0) SOF_CHECK_MEM(a, b, (size_t)sa);
      if (sa == sc && !memcmp(a, c, (size_t)sa)) same_as_other_seed++;
      if (sa > 0) check_txn(a, sa, type);
      if (sa > 0 && a[0] == 2) two_sig++;
    }
  }
  SOF_CHECK_EQ(same_as_other_seed, 0);
  SOF_CHECK(two_sig > 0); /* some transfers have a separate fee payer */
  SOF_CHECK_EQ(sof_txgen_txn(&g1, SOF_TXGEN_TYPE_CNT, a, sizeof a), SOF_TXGEN_ERR_TYPE);
  SOF_CHECK_EQ(sof_txgen_txn(&g1, -1, a, sizeof a), SOF_TXGEN_ERR_TYPE);
  SOF_CHECK_EQ(sof_txgen_txn(&g1, SOF_TXGEN_TYPE_VOTE, a, 100), SOF_TXGEN_ERR_SPACE);
  SOF_CHECK_STR(sof_txgen_type_str(SOF_TXGEN_TYPE_V0_ALT), "v0_alt");
  SOF_CHECK_STR(sof_txgen_type_str(99), "unknown");
  SOF_CHECK_EQ(sof_txgen_type_kind(99), -1);

  /* Type mix. */
  unsigned votes = 0, n = 20000;
  for (unsigned i = 0; i < n; i++) {
    int t = sof_txgen_pick_type(&g1, 800000);
    votes += sof_txgen_type_kind(t) == SOF_TXN_KIND_VOTE_ONLY;
  }
  SOF_CHECK(votes > n * 77 / 100 && votes < n * 83 / 100);
  unsigned seen[SOF_TXGEN_TYPE_CNT] = { 0 };
  for (unsigned i = 0; i < 2000; i++) {
    int t = sof_txgen_pick_type(&g1, 0);
    SOF_CHECK(sof_txgen_type_kind(t) != SOF_TXN_KIND_VOTE_ONLY);
    seen[t]++;
    t = sof_txgen_pick_type(&g1, 1000000);
    SOF_CHECK_EQ(sof_txgen_type_kind(t), SOF_TXN_KIND_VOTE_ONLY);
    seen[t]++;
  }
  for (int t = 0; t < SOF_TXGEN_TYPE_CNT; t++) SOF_CHECK(seen[t] > 0);
}

static void
test_build_errors(void) {
  uint8_t kp[64], kp2[64], keys[3 * 32], bh[32] = { 0 }, out[SOF_TXN_MTU];
  sof_txgen_keypair(kp, 9, 100, 0);
  sof_txgen_keypair(kp2, 9, 100, 1);
  memcpy(keys, kp + 32, 32);
  memset(keys + 32, 0x33, 32);
  memcpy(keys + 64, sof_txgen_system_program_id, 32);
  uint8_t                 accts[2] = { 0, 1 };
  uint8_t                 data[12] = { 2 };
  sof_txgen_instr_t       ix = { 2, 2, accts, sizeof data, data };
  uint8_t const *         signers[1] = { kp };
  sof_txgen_msg_t const   ok = {
    .version = SOF_TXN_VERSION_LEGACY, .sig_cnt = 1, .ro_unsigned = 1, .key_cnt = 3, .keys = keys,
    .blockhash = bh, .instr_cnt = 1, .instr = &ix,
  };
  long sz = sof_txgen_txn_build(out, sizeof out, &ok, signers);
  SOF_CHECK(sz > 0);
  if (sz > 0) check_txn(out, sz, SOF_TXGEN_TYPE_TRANSFER);

  sof_txgen_msg_t m;
  m = ok; m.ro_signed = 1;                 SOF_CHECK_EQ(sof_txgen_txn_build(out, sizeof out, &m, signers), SOF_TXGEN_ERR_MSG);
  m = ok; m.ro_unsigned = 3;               SOF_CHECK_EQ(sof_txgen_txn_build(out, sizeof out, &m, signers), SOF_TXGEN_ERR_MSG);
  m = ok; m.sig_cnt = 0;                   SOF_CHECK_EQ(sof_txgen_txn_build(out, sizeof out, &m, signers), SOF_TXGEN_ERR_MSG);
  m = ok; m.version = 7;                   SOF_CHECK_EQ(sof_txgen_txn_build(out, sizeof out, &m, signers), SOF_TXGEN_ERR_MSG);
  sof_txgen_instr_t bad = ix;
  bad.program_idx = 0;
  m = ok; m.instr = &bad;                  SOF_CHECK_EQ(sof_txgen_txn_build(out, sizeof out, &m, signers), SOF_TXGEN_ERR_MSG);
  uint8_t far[2] = { 0, 3 };
  bad = ix; bad.accts = far;
  m = ok; m.instr = &bad;                  SOF_CHECK_EQ(sof_txgen_txn_build(out, sizeof out, &m, signers), SOF_TXGEN_ERR_MSG);
  uint8_t            w = 1;
  sof_txgen_lookup_t l = { bh, 1, 0, &w, NULL };
  m = ok; m.lookup_cnt = 1; m.lookup = &l; SOF_CHECK_EQ(sof_txgen_txn_build(out, sizeof out, &m, signers), SOF_TXGEN_ERR_MSG);
  m.version = SOF_TXN_VERSION_V0;          /* fine as v0: account 3 is the looked-up one */
  bad = ix; bad.accts = far;
  m.instr = &bad;
  sz = sof_txgen_txn_build(out, sizeof out, &m, signers);
  SOF_CHECK(sz > 0);
  if (sz > 0) {
    sof_txn_t txn;
    SOF_CHECK_EQ(sof_txn_parse(&txn, out, (size_t)sz, NULL), SOF_TXN_OK);
    SOF_CHECK_EQ(txn.version, SOF_TXN_VERSION_V0);
    SOF_CHECK_EQ(txn.acct_total_cnt, 4);
  }
  l.writable_cnt = 0;
  SOF_CHECK_EQ(sof_txgen_txn_build(out, sizeof out, &m, signers), SOF_TXGEN_ERR_MSG); /* empty lookup */
  uint8_t const *wrong[1] = { kp2 };
  SOF_CHECK_EQ(sof_txgen_txn_build(out, sizeof out, &ok, wrong), SOF_TXGEN_ERR_SIGNER);
  static uint8_t big[1200];
  bad = ix; bad.data = big; bad.data_sz = sizeof big;
  m = ok; m.instr = &bad;                  SOF_CHECK_EQ(sof_txgen_txn_build(out, sizeof out, &m, signers), SOF_TXGEN_ERR_TOO_LARGE);
  SOF_CHECK_EQ(sof_txgen_txn_build(out, 100, &ok, signers), SOF_TXGEN_ERR_SPACE);
  SOF_CHECK_STR(sof_txgen_err_str(SOF_TXGEN_ERR_SIGNER), "bad_signer");
}

static void
test_batches(void) {
  static sof_txgen_t g;
  sof_txgen_init(&g, 1);
  static uint8_t    buf[64 * 1024];
  sof_txgen_batch_t b;
  uint8_t           hash[32] = { 0 }, t[SOF_TXN_MTU];
  uint64_t          kinds[SOF_TXN_KIND_CNT] = { 0 }, txns = 0;

  sof_txgen_batch_init(&b, buf, sizeof buf);
  for (int e = 0; e < 10; e++) {
    sof_txgen_entry_hash(hash, 5, NULL);
    SOF_CHECK_EQ(sof_txgen_batch_entry_begin(&b, 5, hash), SOF_TXGEN_OK);
    for (int i = 0; i < e; i++) {
      int  type = (e + i) % SOF_TXGEN_TYPE_CNT;
      long sz   = sof_txgen_txn(&g, type, t, sizeof t);
      SOF_CHECK_EQ(sof_txgen_batch_entry_txn(&b, t, (size_t)sz), SOF_TXGEN_OK);
      kinds[sof_txgen_type_kind(type)]++;
      txns++;
    }
    SOF_CHECK_EQ(sof_txgen_batch_entry_end(&b), SOF_TXGEN_OK);
  }
  for (int k = 0; k < 3; k++) {
    sof_txgen_entry_hash(hash, 12500, NULL);
    SOF_CHECK_EQ(sof_txgen_batch_tick(&b, 12500, hash), SOF_TXGEN_OK);
  }
  long sz = sof_txgen_batch_fini(&b);
  SOF_CHECK(sz > 8);
  sof_entry_batch_t s;
  int               err = sof_entry_batch_parse(&s, buf, (size_t)sz);
  SOF_CHECK_EQ(err, SOF_ENTRY_OK);
  SOF_CHECK_EQ(s.kind, SOF_ENTRY_BATCH_ENTRIES);
  SOF_CHECK_EQ(s.entry_cnt, 13);
  SOF_CHECK_EQ(s.tick_cnt, 4); /* entry 0 has no transaction */
  SOF_CHECK_EQ(s.txn_cnt, txns);
  SOF_CHECK_EQ(s.consumed, (size_t)sz);
  SOF_CHECK_EQ(s.trailing, 0);
  SOF_CHECK_EQ(s.num_hashes, 10 * 5 + 3 * 12500);
  for (int k = 0; k < SOF_TXN_KIND_CNT; k++) SOF_CHECK_EQ(s.kind_cnt[k], kinds[k]);
  SOF_CHECK_EQ(b.entry_cnt, 13);
  SOF_CHECK_EQ(b.txn_cnt, txns);

  /* An empty batch is just the count. */
  sof_txgen_batch_init(&b, buf, sizeof buf);
  SOF_CHECK_EQ(sof_txgen_batch_fini(&b), 8);

  /* Order and space errors are sticky. */
  sof_txgen_batch_init(&b, buf, sizeof buf);
  SOF_CHECK_EQ(sof_txgen_batch_entry_txn(&b, t, 200), SOF_TXGEN_ERR_STATE);
  SOF_CHECK_EQ(sof_txgen_batch_tick(&b, 1, hash), SOF_TXGEN_ERR_STATE);
  SOF_CHECK_EQ(sof_txgen_batch_fini(&b), SOF_TXGEN_ERR_STATE);
  sof_txgen_batch_init(&b, buf, sizeof buf);
  SOF_CHECK_EQ(sof_txgen_batch_entry_begin(&b, 1, hash), SOF_TXGEN_OK);
  SOF_CHECK_EQ(sof_txgen_batch_entry_begin(&b, 1, hash), SOF_TXGEN_ERR_STATE);
  sof_txgen_batch_init(&b, buf, sizeof buf);
  SOF_CHECK_EQ(sof_txgen_batch_entry_begin(&b, 1, hash), SOF_TXGEN_OK);
  SOF_CHECK_EQ(sof_txgen_batch_fini(&b), SOF_TXGEN_ERR_STATE);
  sof_txgen_batch_init(&b, buf, 100);
  SOF_CHECK_EQ(sof_txgen_batch_entry_begin(&b, 1, hash), SOF_TXGEN_OK);
  SOF_CHECK_EQ(sof_txgen_batch_entry_txn(&b, t, 200), SOF_TXGEN_ERR_SPACE);
  SOF_CHECK_EQ(b.sz, 8);
  SOF_CHECK_EQ(sof_txgen_batch_fini(&b), SOF_TXGEN_ERR_SPACE);
  sof_txgen_batch_init(&b, buf, 4);
  SOF_CHECK_EQ(sof_txgen_batch_fini(&b), SOF_TXGEN_ERR_SPACE);
}

/* ---- the sof-gen tool -------------------------------------------------------- */

static char tmpdir[256];

static int
run(char const *gen, char const *const *args, char const *stdout_path) {
  char *argv[64];
  int   n = 0;
  argv[n++] = (char *)gen;
  for (; args[n - 1] && n < 63; n++) argv[n] = (char *)args[n - 1];
  argv[n] = NULL;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, stdout_path ? stdout_path : "/dev/null",
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid;
  int   rc = posix_spawn(&pid, gen, &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc) return -1;
  int st;
  if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st)) return -1;
  return WEXITSTATUS(st);
}

static char *
tmp_path(char *buf, size_t sz, char const *name) {
  snprintf(buf, sz, "%s/%s", tmpdir, name);
  return buf;
}


/* Walks the pcap: checks frames and shreds, reassembles batches and compares
 * their transactions with the truth's, in order. */
static void
check_capture(char const *pcap_path, char const *truth_path, char const *key_path,
              unsigned leaders, unsigned rotation, uint64_t epoch_first, uint64_t start_slot,
              uint64_t slots) {
  size_t   pcap_sz = 0, truth_sz = 0, key_sz = 0;
  uint8_t *pcap  = sof_test_slurp(pcap_path, &pcap_sz);
  char *   truth = (char *)sof_test_slurp(truth_path, &truth_sz);
  uint8_t *keys  = sof_test_slurp(key_path, &key_sz);
  SOF_CHECK(pcap && truth && keys);
  if (!pcap || !truth || !keys) goto out;
  SOF_CHECK_EQ(key_sz, 64U * leaders);
  SOF_CHECK(pcap_sz >= 24 && !memcmp(pcap, "\xd4\xc3\xb2\xa1\x02\x00\x04\x00", 8));

  static uint8_t batch[4 << 20];
  size_t         batch_sz = 0;
  uint8_t        prev_root[32], set_root[32];
  int            have_prev = 0;
  uint32_t       cur_fec = UINT32_MAX;
  uint64_t       cur_slot = UINT64_MAX, frames = 0, slots_seen = 0, sets = 0, txns = 0, batches = 0;
  char const *   tcur = truth;
  unsigned       sig_ok = 0, sig_bad = 0, truth_mismatch = 0;

  for (size_t off = 24; off + 16 <= pcap_sz;) {
    uint32_t incl = (uint32_t)(pcap[off + 8] | pcap[off + 9] << 8 | pcap[off + 10] << 16 |
                               (uint32_t)pcap[off + 11] << 24);
    uint8_t const *frame = pcap + off + 16;
    off += 16 + incl;
    SOF_CHECK(off <= pcap_sz);
    if (off > pcap_sz) break;
    frames++;
    sof_pkt_udp_t udp;
    SOF_CHECK_EQ(sof_pkt_parse(&udp, frame, incl), SOF_PKT_OK);
    SOF_CHECK_EQ(udp.dst_port, 9000);
    SOF_CHECK_EQ(udp.dst_ip, 0xC0A80105U); /* 192.168.1.5 */
    uint8_t const *p = frame + udp.payload_off;
    sof_shred_t    s;
    int            err = sof_shred_parse(&s, p, udp.payload_sz, 0);
    SOF_CHECK_EQ(err, SOF_SHRED_OK);
    if (err) continue;
    SOF_CHECK_EQ(incl, s.is_data ? 1245 : 1270);
    uint8_t root[32];
    SOF_CHECK_EQ(sof_shred_merkle_root(root, p, &s), 0);
    if (s.slot != cur_slot) {
      SOF_CHECK_EQ(s.slot, cur_slot == UINT64_MAX ? start_slot : cur_slot + 1);
      cur_slot = s.slot;
      slots_seen++;
      SOF_CHECK_EQ(s.idx, 0);
    }
    if (s.fec_set_idx != cur_fec) { /* a new set starts with its first data shred */
      SOF_CHECK(s.is_data && s.idx == s.fec_set_idx);
      cur_fec = s.fec_set_idx;
      sets++;
      if (have_prev) SOF_CHECK_MEM(p + s.chained_root_off, prev_root, 32);
      memcpy(set_root, root, 32);
      unsigned leader = (unsigned)(((s.slot - epoch_first) / rotation) % leaders);
      if (crypto_sign_ed25519_verify_detached(p, root, 32, keys + 64 * leader + 32) == 0) sig_ok++;
      else sig_bad++;
    } else {
      SOF_CHECK_MEM(root, set_root, 32);
    }
    if (!s.is_data && s.position == 31) {
      memcpy(prev_root, set_root, 32);
      have_prev = 1;
    }
    if (s.is_data) {
      if (batch_sz + s.data_sz <= sizeof batch) memcpy(batch + batch_sz, p + s.data_off, s.data_sz);
      batch_sz += s.data_sz;
      if (s.flags & SOF_SHRED_FLAG_DATA_COMPLETE) {
        batches++;
        sof_entry_iter_t it;
        SOF_CHECK_EQ(sof_entry_iter_init(&it, batch, batch_sz), SOF_ENTRY_OK);
        sof_entry_t e;
        int         r;
        while ((r = sof_entry_iter_next(&it, &e)) == 1) {
          sof_txn_t txn;
          size_t    toff, tsz;
          while (sof_entry_iter_next_txn(&it, &txn, &toff, &tsz) == 1) {
            txns++;
            /* The truth's next transaction line must be this one. */
            char const *line = strstr(tcur, "{\"type\":\"transaction\"");
            char        b58[SOF_BASE58_ENCODED_64_MAX];
            sof_base58_encode_64(sof_txn_sig(&txn, batch + toff, 0), b58);
            char want[200];
            snprintf(want, sizeof want, "\"slot\":%llu,\"signature\":\"%s\",\"kind\":\"%s\"",
                     (unsigned long long)s.slot, b58, sof_txn_kind_str(txn.kind));
            char const *nl = line ? strchr(line, '\n') : NULL;
            if (!line || !nl || !strstr(line, want) || strstr(line, want) > nl) truth_mismatch++;
            if (nl) tcur = nl + 1;
          }
        }
        SOF_CHECK_EQ(r, 0);
        SOF_CHECK_EQ(it.trailing, 0);
        batch_sz = 0;
      }
    }
  }
  SOF_CHECK_EQ(slots_seen, slots);
  SOF_CHECK_EQ(sig_bad, 0);
  SOF_CHECK_EQ(sig_ok, sets);
  SOF_CHECK_EQ(frames, sets * 64);
  SOF_CHECK_EQ(truth_mismatch, 0);
  SOF_CHECK(txns > 0);
  SOF_CHECK_EQ(batch_sz, 0);
  SOF_CHECK(strstr(tcur, "{\"type\":\"transaction\"") == NULL); /* no truth line left over */
  /* Truth has one dataset line per batch and one slot line per slot. */
  unsigned ds = 0, sl = 0;
  for (char const *q = truth; (q = strstr(q, "\"type\":\"dataset\"")); q++) ds++;
  for (char const *q = truth; (q = strstr(q, "\"type\":\"slot\"")); q++) sl++;
  SOF_CHECK_EQ(ds, batches);
  SOF_CHECK_EQ(sl, slots);
  fprintf(stderr, "%s: capture: %llu frames, %llu sets, %llu batches, %llu txns\n", NAME,
          (unsigned long long)frames, (unsigned long long)sets, (unsigned long long)batches,
          (unsigned long long)txns);
out:
  free(pcap);
  free(truth);
  free(keys);
}

static void
test_tool(char const *gen) {
  char const *base = getenv("TMPDIR");
  snprintf(tmpdir, sizeof tmpdir, "%s/test_txgen.XXXXXX", base && base[0] ? base : "/tmp");
  if (!mkdtemp(tmpdir)) {
    SOF_CHECK(!"mkdtemp");
    return;
  }
  char help[512], p1[512], p2[512], p3[512], t1[512], t2[512], k1[512], k2[512], s1[512], s2[512];
  tmp_path(help, sizeof help, "help.txt");
  tmp_path(p1, sizeof p1, "a.pcap");
  tmp_path(p2, sizeof p2, "b.pcap");
  tmp_path(p3, sizeof p3, "c.pcap");
  tmp_path(t1, sizeof t1, "a.jsonl");
  tmp_path(t2, sizeof t2, "b.jsonl");
  tmp_path(k1, sizeof k1, "a.key");
  tmp_path(k2, sizeof k2, "b.key");
  tmp_path(s1, sizeof s1, "a.sched");
  tmp_path(s2, sizeof s2, "b.sched");

  /* --help lists every option. */
  SOF_CHECK_EQ(run(gen, (char const *const[]){ "--help", NULL }, help), 0);
  size_t hsz = 0;
  char * h   = (char *)sof_test_slurp(help, &hsz);
  SOF_CHECK(h != NULL);
  static char const *const opts[] = {
    "--out", "--truth", "--leader-key", "--leader-schedule", "--slots", "--seed", "--start-slot",
    "--txns-per-slot", "--vote-share", "--batches-per-slot", "--ticks-between-batches",
    "--txns-per-entry", "--shred-version", "--leaders", "--leader-rotation", "--epoch-first-slot",
    "--src-ip", "--dst-ip", "--src-port", "--dst-port", "--help",
  };
  for (size_t i = 0; h && i < sizeof opts / sizeof opts[0]; i++) {
    if (!strstr(h, opts[i])) {
      SOF_CHECK(!"option missing from --help");
      fprintf(stderr, "  %s\n", opts[i]);
    }
  }
  free(h);

  /* Usage errors exit 2. */
  SOF_CHECK_EQ(run(gen, (char const *const[]){ "--bogus", "-o", p3, NULL }, NULL), 2);
  SOF_CHECK_EQ(run(gen, (char const *const[]){ "--slots", NULL }, NULL), 2);
  SOF_CHECK_EQ(run(gen, (char const *const[]){ NULL }, NULL), 2);
  SOF_CHECK_EQ(run(gen, (char const *const[]){ "-o", p3, "--slots", "0", NULL }, NULL), 2);
  SOF_CHECK_EQ(run(gen, (char const *const[]){ "-o", p3, "--slots", "3x", NULL }, NULL), 2);
  SOF_CHECK_EQ(run(gen, (char const *const[]){ "-o", p3, "--seed", "-1", NULL }, NULL), 2);
  SOF_CHECK_EQ(run(gen, (char const *const[]){ "-o", p3, "--vote-share", "1.5", NULL }, NULL), 2);
  SOF_CHECK_EQ(run(gen, (char const *const[]){ "-o", p3, "--vote-share", "nan", NULL }, NULL), 2);
  SOF_CHECK_EQ(run(gen, (char const *const[]){ "-o", p3, "--dst-ip", "1.2.3", NULL }, NULL), 2);
  SOF_CHECK_EQ(run(gen, (char const *const[]){ "-o", p3, "--dst-port", "65536", NULL }, NULL), 2);
  SOF_CHECK_EQ(run(gen, (char const *const[]){ "-o", p3, "extra", NULL }, NULL), 2);
  SOF_CHECK_EQ(run(gen, (char const *const[]){ "-o", p3, "--start-slot", "5", "--epoch-first-slot",
                                               "10", NULL }, NULL), 2);

  /* Same seed, same bytes; another seed, other bytes. */
#define GEN_ARGS(pcap_, truth_, key_, sched_, seed_)                                         \
  (char const *const[]){ "-o", pcap_, "--truth", truth_, "--leader-key", key_,               \
                         "--leader-schedule", sched_, "--seed", seed_, "--slots", "5",        \
                         "--start-slot", "1000", "--epoch-first-slot", "992",                 \
                         "--leaders", "3", "--leader-rotation", "2", "--txns-per-slot", "600",\
                         "--batches-per-slot", "3", "--ticks-between-batches", "2",           \
                         "--vote-share", "0.5", "--dst-ip", "192.168.1.5", "--dst-port",      \
                         "9000", NULL }
  SOF_CHECK_EQ(run(gen, GEN_ARGS(p1, t1, k1, s1, "77"), NULL), 0);
  SOF_CHECK_EQ(run(gen, GEN_ARGS(p2, t2, k2, s2, "77"), NULL), 0);
  SOF_CHECK(sof_test_same_file(p1, p2));
  SOF_CHECK(sof_test_same_file(t1, t2));
  SOF_CHECK(sof_test_same_file(k1, k2));
  SOF_CHECK(sof_test_same_file(s1, s2));
  SOF_CHECK_EQ(run(gen, GEN_ARGS(p3, t2, k2, s2, "78"), NULL), 0);
  SOF_CHECK(!sof_test_same_file(p1, p3));
  SOF_CHECK(!sof_test_same_file(k1, k2));

  /* Leader schedule: offsets from the epoch's first slot, rotation 2. */
  size_t ssz = 0;
  char * sched = (char *)sof_test_slurp(s1, &ssz);
  size_t ksz = 0;
  uint8_t *keys = sof_test_slurp(k1, &ksz);
  if (sched && keys && ksz == 192) {
    char b58[3][SOF_BASE58_ENCODED_32_MAX], want[512];
    for (int i = 0; i < 3; i++) sof_base58_encode_32(keys + 64 * i + 32, b58[i]);
    /* slots 1000..1004 = offsets 8..12: turns (off / 2) % 3 = 1,1,2,2,0;
     * leaders in key order */
    snprintf(want, sizeof want, "{\"%s\":[12],\"%s\":[8,9],\"%s\":[10,11]}\n", b58[0], b58[1], b58[2]);
    SOF_CHECK_STR(sched, want);
  } else {
    SOF_CHECK(!"schedule or key file");
  }
  free(sched);
  free(keys);

  /* The capture itself: leader of slot s is ((s - 992) / 2) % 3. */
  check_capture(p1, t1, k1, 3, 2, 992, 1000, 5);

}

int
main(int argc, char **argv) {
  SOF_CHECK(sodium_init() >= 0);
  test_rng();
  test_tower_sync();
  test_txns();
  test_build_errors();
  test_batches();
  if (argc > 1) {
    test_tool(argv[1]);
  } else {
    fprintf(stderr, "%s: no sof-gen path given: tool checks skipped\n", NAME);
  }
  return sof_test_done(NAME);
}
