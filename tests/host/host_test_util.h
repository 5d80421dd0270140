/* host_test_util.h: what the plugin host tests share: hand-built signed
 * transactions with known keys (sof_txgen_txn_build, parsed back with
 * sof_txn_parse), and a recording test plugin whose behaviour (interest,
 * classifiers, prefilter, setup failure, callback sleep) is set per plugin
 * in a table and whose callbacks append to one global log.
 *
 * Test plugins are found by name: tp_reset() clears the table, tp_add()
 * declares a plugin (name, hooks) and returns its descriptor and knobs; the
 * descriptor's setup hands the knob record (tp_t) over as the state.
 *
 * Held publications use a counting object (hobj_t, ho_hold()): the test's
 * own reference is 1, retain / release move it and count, a retain on a
 * dead object or a release below zero counts as bad, and the object's
 * bytes (poison) are overwritten when the count reaches 0, so a callback
 * reading them after the host let go sees garbage. */
#ifndef HOST_TEST_UTIL_H
#define HOST_TEST_UTIL_H

#include <sodium.h>
#include <time.h>
#include <unistd.h>

#include "../sof_test.h"

#include "gen/sof_txgen.h"
#include "plugin/sof_host.h"
#include "plugin/sof_plugin.h"
#include "wire/sof_txn.h"

/* ---- transactions -------------------------------------------------------------------- */

typedef struct ttx {
  uint8_t   b[SOF_TXN_MTU];
  uint32_t  sz;
  sof_txn_t t;
} ttx_t;

static uint8_t tt_kp[SOF_TXN_SIG_MAX][SOF_TXGEN_KEYPAIR_SZ];

static inline void
tt_init(void) {
  if (sodium_init() < 0) {
    fprintf(stderr, "sodium_init failed\n");
    exit(1);
  }
  for (unsigned i = 0; i < SOF_TXN_SIG_MAX; i++) sof_txgen_keypair(tt_kp[i], 7, SOF_TXGEN_DOMAIN_PAYER, i);
}

/* A deterministic 32-byte key: tag repeated, then n. */
static inline void
tt_key(uint8_t k[32], uint8_t tag, uint32_t n) {
  memset(k, tag, 32);
  memcpy(k + 28, &n, 4);
}

/* Builds and parses a transaction: nsig signers (tt_kp[0..nsig), ro_signed
 * of them readonly), then nextra unsigned keys extra[] of which the last
 * ro_unsigned are readonly; one instruction whose program is the last key,
 * with data = nonce (makes the signature unique); nlut lookups (v0) with
 * table keys tables[], each selecting writable index 0 and readonly 1. When
 * vote is set, the program key is the Vote program (the last extra key is
 * replaced). Exits on failure (a test bug). */
static inline void
tt_build(ttx_t *x, unsigned nsig, unsigned ro_signed, uint8_t const (*extra)[32], unsigned nextra,
         unsigned ro_unsigned, uint8_t const (*tables)[32], unsigned nlut, uint32_t nonce, int vote) {
  uint8_t keys[SOF_TXN_ACCT_ADDR_MAX][32];
  unsigned kc = 0;
  for (unsigned i = 0; i < nsig; i++) memcpy(keys[kc++], tt_kp[i] + 32, 32);
  for (unsigned i = 0; i < nextra; i++) memcpy(keys[kc++], extra[i], 32);
  if (vote) memcpy(keys[kc - 1], sof_txn_vote_program_id, 32);
  uint8_t bh[32];
  memset(bh, 0xBB, 32);
  uint8_t accts[2] = {0, 1};
  uint8_t data[4];
  memcpy(data, &nonce, 4);
  sof_txgen_instr_t ins = {.program_idx = (uint8_t)(kc - 1), .acct_cnt = 2, .accts = accts,
                           .data_sz = 4, .data = data};
  sof_txgen_lookup_t lk[8];
  static uint8_t const wi[1] = {0}, ri[1] = {1};
  for (unsigned i = 0; i < nlut; i++)
    lk[i] = (sof_txgen_lookup_t){.table = tables[i], .writable_cnt = 1, .readonly_cnt = 1,
                                 .writable = wi, .readonly = ri};
  sof_txgen_msg_t m = {
    .version = nlut ? SOF_TXN_VERSION_V0 : SOF_TXN_VERSION_LEGACY,
    .sig_cnt = (uint8_t)nsig, .ro_signed = (uint8_t)ro_signed, .ro_unsigned = (uint8_t)ro_unsigned,
    .key_cnt = (uint8_t)kc, .keys = &keys[0][0], .blockhash = bh,
    .instr_cnt = 1, .instr = &ins, .lookup_cnt = (uint8_t)nlut, .lookup = lk,
  };
  uint8_t const *kps[SOF_TXN_SIG_MAX];
  for (unsigned i = 0; i < nsig; i++) kps[i] = tt_kp[i];
  long n = sof_txgen_txn_build(x->b, sizeof x->b, &m, kps);
  if (n <= 0 || sof_txn_parse(&x->t, x->b, (size_t)n, NULL) != SOF_TXN_OK) {
    fprintf(stderr, "tt_build: cannot build (%ld)\n", n);
    exit(1);
  }
  x->sz = (uint32_t)n;
}

/* A one-signer non-vote transaction with two extra keys tagged tag, nonce n. */
static inline void
tt_simple(ttx_t *x, uint8_t tag, uint32_t n) {
  uint8_t ex[2][32];
  tt_key(ex[0], tag, 1);
  tt_key(ex[1], tag, 2);
  tt_build(x, 1, 0, (uint8_t const(*)[32])ex, 2, 1, NULL, 0, n, 0);
}

/* The event of x at slot/commitment, identified by id (idx_in_dataset). */
static inline sof_ev_txn_t
tt_ev(ttx_t const *x, uint64_t slot, int commitment, uint32_t id) {
  sof_ev_txn_t ev;
  memset(&ev, 0, sizeof ev);
  ev.slot = slot;
  ev.commitment = commitment;
  ev.kind = x->t.kind;
  ev.path = SOF_TXN_PATH_DATASET;
  ev.marks = (sof_ev_marks_t){slot, SOF_SLOT_UNKNOWN, SOF_SLOT_UNKNOWN};
  ev.signature = sof_txn_sig(&x->t, x->b, 0);
  ev.bytes = x->b;
  ev.sz = x->sz;
  ev.txn = &x->t;
  ev.dataset_start_idx = 3;
  ev.entry_idx = 1;
  ev.idx_in_dataset = id;
  ev.time = (sof_ev_time_t){111, 99};
  return ev;
}

/* ---- a counting hold ---------------------------------------------------------------------- */

typedef struct hobj {
  int      refs;      /* atomic; the test's own reference counts 1 */
  int      retains;   /* atomic */
  int      releases;  /* atomic */
  int      bad;       /* atomic: retain with refs <= 0, release to below 0 */
  uint8_t *poison;    /* overwritten (0xDD) when refs reaches 0 */
  uint32_t poison_sz;
} hobj_t;

static inline void
ho_retain(void *o) {
  hobj_t *h = o;
  if (__atomic_fetch_add(&h->refs, 1, __ATOMIC_RELAXED) <= 0) __atomic_fetch_add(&h->bad, 1, __ATOMIC_RELAXED);
  __atomic_fetch_add(&h->retains, 1, __ATOMIC_RELAXED);
}

static inline void
ho_release(void *o) {
  hobj_t *h = o;
  __atomic_fetch_add(&h->releases, 1, __ATOMIC_RELAXED);
  int left = __atomic_sub_fetch(&h->refs, 1, __ATOMIC_ACQ_REL);
  if (left < 0) __atomic_fetch_add(&h->bad, 1, __ATOMIC_RELAXED);
  if (left == 0 && h->poison) memset(h->poison, 0xDD, h->poison_sz);
}

static inline sof_host_hold_t const *
ho_hold(void) {
  static sof_host_hold_t const hold = {ho_retain, ho_release};
  return &hold;
}

/* A fresh object holding the test's own reference; poison may be NULL. */
static inline void
ho_init(hobj_t *h, uint8_t *poison, uint32_t poison_sz) {
  memset(h, 0, sizeof *h);
  h->refs = 1;
  h->poison = poison;
  h->poison_sz = poison_sz;
}

static hobj_t *g_ho; /* a held object the hooks look at (may be NULL) */

/* ho_init, and the hooks watch h from now on (g_ho). */
static inline void
ho_watch(hobj_t *h, uint8_t *poison, uint32_t poison_sz) {
  ho_init(h, poison, poison_sz);
  g_ho = h;
}

static inline int
ho_refs(hobj_t const *h) {
  return __atomic_load_n(&h->refs, __ATOMIC_ACQUIRE);
}

/* ---- the recording plugin ---------------------------------------------------------------- */

#define TP_MAX  16
#define LOG_MAX 8192

#define LOG_SETUP    (-1)
#define LOG_SHUTDOWN (-2)

typedef struct logent {
  int            plug;  /* tp index */
  int            hook;  /* SOF_HOOK_* or LOG_SETUP / LOG_SHUTDOWN */
  uint64_t       id;    /* txn: idx_in_dataset; dataset: start_idx; slot_status: slot; ... */
  int            commitment;
  int            path;
  uint64_t       slot;
  sof_ev_marks_t marks;
} logent_t;

typedef struct tp {
  sof_plugin_t desc;
  int          idx;
  /* knobs */
  int                    interest;      /* returned by transaction_interest_ref */
  int                    use_interest;  /* 0: transaction_interest_ref NULL */
  int                    accept_txn;    /* returned by accepts_transaction_ref (when set) */
  int                    accept_touch;
  sof_prefilter_t const *pf;            /* installed at setup */
  char const            *fail;          /* setup fails with this reason ("" : no reason) */
  unsigned               sleep_us;      /* in each hook */
  /* observations */
  uint64_t classify_calls;
  uint64_t hook_calls;
  int      cur;                         /* callbacks running now (atomic) */
  int      max_cur;
  sof_ev_txn_t const *last_classified;  /* the pointer the classifiers got */
  sof_ev_account_touch_t touch;         /* last account_touch, copied */
  uint8_t  touch_sig[64];
  uint8_t  touch_keys_w[SOF_TXN_ACCT_ADDR_MAX][32];
  uint8_t  touch_keys_r[SOF_TXN_ACCT_ADDR_MAX][32];
  uint8_t  touch_luts[8][32];
  uint8_t  payload[4096];               /* last raw / shred / batch payload */
  uint32_t payload_sz;
  uint8_t  txn_bytes[SOF_TXN_MTU];      /* last transaction's bytes */
  uint32_t txn_sz;
  sof_ev_txn_ref_t refs[64];
  uint32_t ref_cnt;
  sof_ev_reorg_t reorg;
  sof_ev_leader_schedule_t leaders;
  sof_shred_t shred_hdr;
  uint8_t  saw_txn_desc_ok;             /* the descriptor matched its bytes */
  uint8_t const *txn_ptr;               /* last transaction's ev->bytes / ev->signature */
  uint8_t const *sig_ptr;
  uint8_t const *payload_ptr;           /* last batch's payload / txns pointers */
  sof_ev_txn_ref_t const *refs_ptr;
  int      ho_refs_in_cb;               /* g_ho's count inside the last txn / batch hook */
  int      lanes_empty_inside;          /* sof_host_lanes_empty seen inside a hook */
} tp_t;

static tp_t     tp_tab[TP_MAX];
static unsigned tp_cnt;
static logent_t g_log[LOG_MAX];
static unsigned g_log_n; /* atomic */
static void    *g_host;  /* for hooks that look at the host */
static int (*g_lanes_empty)(void const *host);

static inline void
log_add(tp_t *tp, int hook, uint64_t id, int commitment, int path, uint64_t slot,
        sof_ev_marks_t const *marks) {
  unsigned i = __atomic_fetch_add(&g_log_n, 1, __ATOMIC_RELAXED);
  if (i >= LOG_MAX) return;
  g_log[i] = (logent_t){tp->idx, hook, id, commitment, path, slot,
                        marks ? *marks : (sof_ev_marks_t){0, 0, 0}};
}

static inline void
log_reset(void) {
  g_log_n = 0;
}

static inline tp_t *
tp_by_name(char const *name) {
  for (unsigned i = 0; i < tp_cnt; i++)
    if (!strcmp(tp_tab[i].desc.name, name)) return &tp_tab[i];
  return NULL;
}

static inline int
tp_setup(sof_plugin_env_t *env, void **state, char *err, size_t err_sz) {
  tp_t *tp = tp_by_name(env->name);
  if (!tp) return -1;
  *state = tp;
  log_add(tp, LOG_SETUP, 0, 0, 0, 0, NULL);
  if (tp->pf) env->set_prefilter(env, tp->pf);
  if (tp->fail) {
    snprintf(err, err_sz, "%s", tp->fail);
    return -1;
  }
  return 0;
}

static inline void
tp_shutdown(void *state) {
  log_add(state, LOG_SHUTDOWN, 0, 0, 0, 0, NULL);
}

static inline int
tp_accepts_txn(void *state, sof_ev_txn_t const *ev) {
  tp_t *tp = state;
  __atomic_fetch_add(&tp->classify_calls, 1, __ATOMIC_RELAXED);
  tp->last_classified = ev;
  return tp->accept_txn;
}

static inline int
tp_accepts_touch(void *state, sof_ev_txn_t const *ev) {
  tp_t *tp = state;
  __atomic_fetch_add(&tp->classify_calls, 1, __ATOMIC_RELAXED);
  tp->last_classified = ev;
  return tp->accept_touch;
}

static inline int
tp_interest(void *state, sof_ev_txn_t const *ev) {
  tp_t *tp = state;
  __atomic_fetch_add(&tp->classify_calls, 1, __ATOMIC_RELAXED);
  tp->last_classified = ev;
  return tp->interest;
}

/* Common entry of every hook: concurrency gauge, sleep, lanes_empty probe. */
static inline void
tp_enter(tp_t *tp) {
  int c = __atomic_add_fetch(&tp->cur, 1, __ATOMIC_SEQ_CST);
  int m = __atomic_load_n(&tp->max_cur, __ATOMIC_RELAXED);
  while (c > m && !__atomic_compare_exchange_n(&tp->max_cur, &m, c, 1, __ATOMIC_RELAXED,
                                               __ATOMIC_RELAXED)) {
  }
  __atomic_fetch_add(&tp->hook_calls, 1, __ATOMIC_RELAXED);
  if (g_lanes_empty && g_host && g_lanes_empty(g_host)) tp->lanes_empty_inside = 1;
  if (tp->sleep_us) usleep(tp->sleep_us);
}

/* Whether a hook records the event's contents into tp: only for SEQUENTIAL
 * plugins (a CONCURRENT one's hooks may run at once). */
static inline int
tp_rec(tp_t const *tp) {
  return tp->desc.dispatch == SOF_DISPATCH_SEQUENTIAL;
}

static inline void
tp_leave(tp_t *tp) {
  __atomic_sub_fetch(&tp->cur, 1, __ATOMIC_SEQ_CST);
}

static inline void
tp_raw(void *state, sof_ev_raw_packet_t const *ev) {
  tp_t *tp = state;
  tp_enter(tp);
  if (tp_rec(tp)) {
    tp->payload_sz = ev->sz;
    memcpy(tp->payload, ev->payload, ev->sz);
  }
  log_add(tp, SOF_HOOK_RAW_PACKET, ev->src_port, 0, 0, 0, NULL);
  tp_leave(tp);
}

static inline void
tp_shred(void *state, sof_ev_shred_t const *ev) {
  tp_t *tp = state;
  tp_enter(tp);
  if (tp_rec(tp)) {
    tp->payload_sz = ev->sz;
    memcpy(tp->payload, ev->payload, ev->sz);
    if (ev->shred) tp->shred_hdr = *ev->shred;
  }
  log_add(tp, SOF_HOOK_SHRED, ev->src_port, 0, 0, ev->shred ? ev->shred->slot : 0, NULL);
  tp_leave(tp);
}

static inline void
tp_dataset(void *state, sof_ev_dataset_t const *ev) {
  tp_t *tp = state;
  tp_enter(tp);
  log_add(tp, SOF_HOOK_DATASET, ev->start_idx, 0, 0, ev->slot, NULL);
  tp_leave(tp);
}

static inline void
tp_txn(void *state, sof_ev_txn_t const *ev) {
  tp_t *tp = state;
  tp_enter(tp);
  /* The descriptor must describe these bytes: the signature pointer and
   * a re-parse agree. */
  sof_txn_t chk;
  int desc_ok = ev->txn && ev->signature == sof_txn_sig(ev->txn, ev->bytes, 0) &&
                        sof_txn_parse(&chk, ev->bytes, ev->sz, NULL) == SOF_TXN_OK &&
                        chk.acct_cnt == ev->txn->acct_cnt && chk.instr_cnt == ev->txn->instr_cnt &&
                        chk.alt_cnt == ev->txn->alt_cnt && chk.acct_off == ev->txn->acct_off &&
                        (!chk.instr_cnt || chk.instr[0].data_off == ev->txn->instr[0].data_off) &&
                        (!chk.alt_cnt || chk.alt[chk.alt_cnt - 1].key_off ==
                                             ev->txn->alt[chk.alt_cnt - 1].key_off);
  if (tp_rec(tp)) {
    tp->txn_sz = ev->sz;
    memcpy(tp->txn_bytes, ev->bytes, ev->sz);
    tp->saw_txn_desc_ok = (uint8_t)desc_ok;
    tp->txn_ptr = ev->bytes;
    tp->sig_ptr = ev->signature;
    tp->ho_refs_in_cb = g_ho ? ho_refs(g_ho) : -1;
  } else if (!desc_ok) {
    __atomic_fetch_add(&sof_test_fail_cnt, 1, __ATOMIC_RELAXED);
    fprintf(stderr, "tp_txn: descriptor does not match the bytes\n");
  }
  log_add(tp, SOF_HOOK_TRANSACTION, ev->idx_in_dataset, ev->commitment, ev->path, ev->slot,
          &ev->marks);
  tp_leave(tp);
}

static inline void
tp_batch(void *state, sof_ev_txn_batch_t const *ev) {
  tp_t *tp = state;
  tp_enter(tp);
  if (tp_rec(tp)) {
    tp->payload_sz = ev->payload_sz;
    if (ev->payload_sz && ev->payload_sz <= sizeof tp->payload) memcpy(tp->payload, ev->payload, ev->payload_sz);
    tp->ref_cnt = ev->txn_cnt;
    if (ev->txn_cnt && ev->txn_cnt <= 64) memcpy(tp->refs, ev->txns, ev->txn_cnt * sizeof *ev->txns);
    tp->payload_ptr = ev->payload;
    tp->refs_ptr = ev->txns;
    tp->ho_refs_in_cb = g_ho ? ho_refs(g_ho) : -1;
  }
  log_add(tp, SOF_HOOK_TRANSACTION_BATCH, ev->dataset_start_idx, ev->commitment, 0, ev->slot,
          &ev->marks);
  tp_leave(tp);
}

static inline void
tp_touch(void *state, sof_ev_account_touch_t const *ev) {
  tp_t *tp = state;
  tp_enter(tp);
  if (tp_rec(tp)) {
    tp->touch = *ev;
    for (uint32_t i = 0; i < ev->writable_cnt; i++) memcpy(tp->touch_keys_w[i], ev->writable[i], 32);
    for (uint32_t i = 0; i < ev->readonly_cnt; i++) memcpy(tp->touch_keys_r[i], ev->readonly[i], 32);
    for (uint32_t i = 0; i < ev->lookup_table_cnt && i < 8; i++)
      memcpy(tp->touch_luts[i], ev->lookup_tables[i], 32);
    if (ev->signature) memcpy(tp->touch_sig, ev->signature, 64);
  }
  log_add(tp, SOF_HOOK_ACCOUNT_TOUCH, 0, ev->commitment, 0, ev->slot, NULL);
  tp_leave(tp);
}

static inline void
tp_status(void *state, sof_ev_slot_status_t const *ev) {
  tp_t *tp = state;
  tp_enter(tp);
  log_add(tp, SOF_HOOK_SLOT_STATUS, ev->slot, ev->status, ev->prev_status, ev->slot, &ev->marks);
  tp_leave(tp);
}

static inline void
tp_reorg(void *state, sof_ev_reorg_t const *ev) {
  tp_t *tp = state;
  tp_enter(tp);
  if (tp_rec(tp)) tp->reorg = *ev;
  log_add(tp, SOF_HOOK_REORG, ev->new_tip, 0, 0, 0, &ev->marks);
  tp_leave(tp);
}

static inline void
tp_blockhash(void *state, sof_ev_recent_blockhash_t const *ev) {
  tp_t *tp = state;
  tp_enter(tp);
  log_add(tp, SOF_HOOK_RECENT_BLOCKHASH, ev->dataset_txn_cnt, 0, 0, ev->slot, NULL);
  tp_leave(tp);
}

static inline void
tp_leaders(void *state, sof_ev_leader_schedule_t const *ev) {
  tp_t *tp = state;
  tp_enter(tp);
  if (tp_rec(tp)) tp->leaders = *ev;
  log_add(tp, SOF_HOOK_LEADER_SCHEDULE, ev->first_slot, 0, 0, 0, NULL);
  tp_leave(tp);
}

static inline void
tp_topology(void *state, sof_ev_cluster_topology_t const *ev) {
  tp_t *tp = state;
  tp_enter(tp);
  log_add(tp, SOF_HOOK_CLUSTER_TOPOLOGY, ev->total, 0, 0, 0, NULL);
  tp_leave(tp);
}

static inline void
tp_txn_status(void *state, sof_ev_txn_status_t const *ev) {
  tp_t *tp = state;
  tp_enter(tp);
  log_add(tp, SOF_HOOK_TRANSACTION_STATUS, ev->slot, 0, 0, 0, NULL);
  tp_leave(tp);
}

static inline void
tp_gossip_vote(void *state, sof_ev_gossip_vote_t const *ev) {
  tp_t *tp = state;
  tp_enter(tp);
  log_add(tp, SOF_HOOK_GOSSIP_VOTE, ev->slot, 0, 0, 0, NULL);
  tp_leave(tp);
}

static inline void
tp_reset(void) {
  memset(tp_tab, 0, sizeof tp_tab);
  tp_cnt = 0;
  log_reset();
  g_host = NULL;
  g_ho = NULL;
  g_lanes_empty = NULL;
}

/* Declares test plugin name with hooks: every callback set, accept-all
 * classifiers installed (accept 1), interest BACKGROUND via the classifier
 * only when use_interest is later set. */
static inline tp_t *
tp_add(char const *name, uint32_t hooks) {
  tp_t *tp = &tp_tab[tp_cnt];
  memset(tp, 0, sizeof *tp);
  tp->idx = (int)tp_cnt++;
  tp->accept_txn = 1;
  tp->accept_touch = 1;
  tp->interest = SOF_INTEREST_BACKGROUND;
  tp->desc = (sof_plugin_t){
    .name = name, .api_version = SOF_PLUGIN_API_VERSION, .hooks = hooks,
    .commitment = SOF_COMMITMENT_PROCESSED, .commitment_mode = SOF_COMMITMENT_AT_LEAST,
    .dispatch = SOF_DISPATCH_SEQUENTIAL, .inline_txn = 0,
    .setup = tp_setup, .shutdown = tp_shutdown,
    .accepts_transaction_ref = tp_accepts_txn, .transaction_interest_ref = NULL,
    .accepts_account_touch_ref = tp_accepts_touch,
    .on_raw_packet = tp_raw, .on_shred = tp_shred, .on_dataset = tp_dataset,
    .on_transaction = tp_txn, .on_transaction_batch = tp_batch, .on_account_touch = tp_touch,
    .on_slot_status = tp_status, .on_reorg = tp_reorg, .on_recent_blockhash = tp_blockhash,
    .on_leader_schedule = tp_leaders, .on_cluster_topology = tp_topology,
    .on_transaction_status = tp_txn_status, .on_gossip_vote = tp_gossip_vote,
  };
  return tp;
}

/* Sets the interest classifier of tp to return interest. */
static inline void
tp_set_interest(tp_t *tp, int interest) {
  tp->interest = interest;
  tp->desc.transaction_interest_ref = tp_interest;
}

/* The descriptor pointer array for sof_host_new, in tp_add order. */
static inline sof_plugin_t const **
tp_list(void) {
  static sof_plugin_t const *l[TP_MAX];
  for (unsigned i = 0; i < tp_cnt; i++) l[i] = &tp_tab[i].desc;
  return l;
}

/* Log entries of plugin idx with hook (idx -1: any plugin), in log order. */
static inline unsigned
log_count(int idx, int hook) {
  unsigned n = 0, len = g_log_n < LOG_MAX ? g_log_n : LOG_MAX;
  for (unsigned i = 0; i < len; i++)
    if ((idx < 0 || g_log[i].plug == idx) && g_log[i].hook == hook) n++;
  return n;
}

static inline uint64_t
now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

#endif /* HOST_TEST_UTIL_H */
