/* txlog and txlog_confirmed driven through their descriptors: the exact
 * lines for known transactions and a dataset, the prefilter each filter
 * key installs (checked with sof_prefilter_match on known transactions),
 * buffering (flush_ms), many lines across buffer writes, config refusals,
 * and a write failure reported at shutdown; generated signed transactions
 * of every kind print the fields sof-dump prints (sof_event_json_txn),
 * after the delivery's. */
#include "plugin_test.h"

#include "gen/sof_txgen.h"
#include "pipeline/sof_event_json.h"

/* txlog.c's telemetry renderer (declared by the generated plugin table). */
int sof_plugin_txlog_render(void *state, char *buf, size_t sz);

extern sof_plugin_t const sof_plugin_txlog;
extern sof_plugin_t const sof_plugin_txlog_confirmed;

static ttxn_t T1, T2, T3;

#define LINE_T1                                                                            \
  "{\"type\":\"transaction\",\"slot\":1234,\"entry\":3,\"commitment\":\"processed\","      \
  "\"path\":\"dataset\",\"signature\":\"" S_1 "\",\"version\":\"legacy\","                 \
  "\"kind\":\"non_vote\",\"simpleVote\":false,\"numSignatures\":1,\"header\":[1,0,1],"     \
  "\"accountKeys\":[\"" K_PAYER "\",\"" K_RECIP "\",\"" K_SYSTEM "\"],"                    \
  "\"recentBlockhash\":\"" K_BH "\",\"numInstructions\":1,"                                \
  "\"programIds\":[\"" K_SYSTEM "\"],\"lookupTables\":[],\"size\":215}\n"

#define LINE_T3                                                                            \
  "{\"type\":\"transaction\",\"slot\":1240,\"entry\":0,\"commitment\":\"confirmed\","      \
  "\"path\":\"inline\",\"signature\":\"" S_3 "\",\"version\":0,"                           \
  "\"kind\":\"non_vote\",\"simpleVote\":false,\"numSignatures\":1,\"header\":[1,0,1],"     \
  "\"accountKeys\":[\"" K_PAYER "\",\"" K_SYSTEM "\"],"                                    \
  "\"recentBlockhash\":\"" K_BH "\",\"numInstructions\":1,"                                \
  "\"programIds\":[\"" K_SYSTEM "\"],\"lookupTables\":[{\"accountKey\":\"" K_TABLE "\","   \
  "\"writableIndexes\":[5],\"readonlyIndexes\":[]}],\"size\":220}\n"

#define LINE_DATASET                                                                       \
  "{\"type\":\"dataset\",\"slot\":1234,\"parent\":1233,\"startIndex\":0,\"endIndex\":31,"  \
  "\"lastInSlot\":true,\"shreds\":32,\"payloadLen\":30000,\"recoveredShreds\":2,"          \
  "\"decoded\":true,\"entries\":5,\"txCount\":17}\n"

static sof_ev_dataset_t
dataset_event(void) {
  sof_ev_dataset_t d;
  memset(&d, 0, sizeof d);
  d.slot = 1234;
  d.parent = 1233;
  d.start_idx = 0;
  d.end_idx = 31;
  d.shred_cnt = 32;
  d.recovered_cnt = 2;
  d.last_in_slot = 1;
  d.decoded = 1;
  d.payload_sz = 30000;
  d.entry_cnt = 5;
  d.txn_cnt = 17;
  return d;
}

/* The descriptors' static parts. */
static void
test_descriptors(void) {
  sof_plugin_t const *p = &sof_plugin_txlog, *c = &sof_plugin_txlog_confirmed;
  SOF_CHECK_STR(p->name, "txlog");
  SOF_CHECK_STR(c->name, "txlog_confirmed");
  SOF_CHECK_EQ(p->api_version, SOF_PLUGIN_API_VERSION);
  SOF_CHECK_EQ(p->hooks, SOF_HOOK_BIT(TRANSACTION) | SOF_HOOK_BIT(DATASET) | SOF_HOOK_BIT(TRANSACTION_STATUS));
  SOF_CHECK_EQ(c->hooks, p->hooks);
  SOF_CHECK_EQ(p->commitment, SOF_COMMITMENT_PROCESSED);
  SOF_CHECK_EQ(c->commitment, SOF_COMMITMENT_CONFIRMED);
  SOF_CHECK_EQ(p->commitment_mode, SOF_COMMITMENT_AT_LEAST);
  SOF_CHECK_EQ(c->commitment_mode, SOF_COMMITMENT_AT_LEAST);
  SOF_CHECK_EQ(p->dispatch, SOF_DISPATCH_SEQUENTIAL);
  SOF_CHECK(p->on_transaction && p->on_dataset && p->setup && p->shutdown);
}

/* Exact lines; datasets off by default; no prefilter without filter keys. */
static void
test_lines(void) {
  char path[256];
  tmp_path(path, sizeof path, "txlog");
  fake_env_t f;
  truncate(path, 0); /* sinks append */
  fake_init(&f, "txlog", 1000000000U, "path", path, NULL);
  void *st = SETUP_OK(&sof_plugin_txlog, &f);
  if (!st) return;
  SOF_CHECK_EQ(f.pf_calls, 0);
  sof_ev_txn_t ev = tt_event(&T1, 1234, SOF_COMMITMENT_PROCESSED, SOF_TXN_PATH_DATASET, 3);
  sof_plugin_txlog.on_transaction(st, &ev);
  sof_ev_dataset_t d = dataset_event();
  sof_plugin_txlog.on_dataset(st, &d); /* datasets = false: nothing */
  sof_plugin_txlog.shutdown(st);
  char *out = read_file(path);
  SOF_CHECK_STR(out, LINE_T1);
  free(out);

  /* txlog_confirmed, datasets on, the v0 transaction on the inline path */
  truncate(path, 0); /* sinks append */
  fake_init(&f, "txlog_confirmed", 1000000000U, "path", path, "datasets", "true", NULL);
  st = SETUP_OK(&sof_plugin_txlog_confirmed, &f);
  if (!st) return;
  ev = tt_event(&T3, 1240, SOF_COMMITMENT_CONFIRMED, SOF_TXN_PATH_INLINE, 0);
  sof_plugin_txlog_confirmed.on_dataset(st, &d);
  sof_plugin_txlog_confirmed.on_transaction(st, &ev);
  sof_plugin_txlog_confirmed.shutdown(st);
  out = read_file(path);
  SOF_CHECK_STR(out, LINE_DATASET LINE_T3);
  free(out);

  /* An unknown parent is null. */
  truncate(path, 0); /* sinks append */
  fake_init(&f, "txlog", 1000000000U, "path", path, "datasets", "true", NULL);
  st = SETUP_OK(&sof_plugin_txlog, &f);
  if (!st) return;
  d.parent = SOF_SLOT_UNKNOWN;
  sof_plugin_txlog.on_dataset(st, &d);
  sof_plugin_txlog.shutdown(st);
  out = read_file(path);
  SOF_CHECK(strstr(out, "\"slot\":1234,\"parent\":null,\"startIndex\":0") != NULL);
  free(out);
  unlink(path);
}

/* path "-" is stdout; the line reaches it by shutdown. */
static void
test_stdout(void) {
  capture_t c;
  capture_begin(&c, stdout);
  fake_env_t f;
  fake_init(&f, "txlog", 1000000000U, "path", "-", NULL);
  void *st = SETUP_OK(&sof_plugin_txlog, &f);
  if (st) {
    sof_ev_txn_t ev = tt_event(&T1, 1234, SOF_COMMITMENT_PROCESSED, SOF_TXN_PATH_DATASET, 3);
    sof_plugin_txlog.on_transaction(st, &ev);
    sof_plugin_txlog.shutdown(st);
  }
  char *out = capture_end(&c);
  SOF_CHECK_STR(out, LINE_T1);
  free(out);
}

/* flush_ms = 0 writes each line at once (the writer thread, within a few
 * ms); a long flush_ms holds lines until shutdown; 20000 lines cross many
 * writes intact (a queue_bytes large enough for all of them: the test
 * produces faster than any disk). */
static void
test_buffering(void) {
  char path[256];
  tmp_path(path, sizeof path, "txlog");
  fake_env_t f;
  truncate(path, 0); /* sinks append */
  fake_init(&f, "txlog", 1000000000U, "path", path, "flush_ms", "0", NULL);
  void *st = SETUP_OK(&sof_plugin_txlog, &f);
  if (!st) return;
  sof_ev_txn_t ev = tt_event(&T1, 1234, SOF_COMMITMENT_PROCESSED, SOF_TXN_PATH_DATASET, 3);
  sof_plugin_txlog.on_transaction(st, &ev);
  char *out = NULL;
  for (unsigned i = 0; i < 1000; i++) { /* before shutdown */
    free(out);
    out = read_file(path);
    if (strlen(out) >= strlen(LINE_T1)) break;
    usleep(1000);
  }
  SOF_CHECK_STR(out, LINE_T1);
  free(out);
  char rbuf[1024];
  SOF_CHECK(sof_plugin_txlog_render(st, rbuf, sizeof rbuf) > 0);
  char const *want = "{\"output_lines\":1,\"output_written\":1,\"output_lost\":0,"
                     "\"output_dropped\":0,\"output_errors\":0,\"output_bytes\":";
  SOF_CHECK(!strncmp(rbuf, want, strlen(want)));
  sof_plugin_txlog.shutdown(st);
  unlink(path);

  truncate(path, 0); /* sinks append */
  fake_init(&f, "txlog", 1000000000U, "path", path, "flush_ms", "3600000", "queue_bytes",
            "67108864", NULL);
  st = SETUP_OK(&sof_plugin_txlog, &f);
  if (!st) return;
  sof_plugin_txlog.on_transaction(st, &ev);
  usleep(30000);
  out = read_file(path);
  SOF_CHECK_STR(out, ""); /* still queued */
  free(out);
  unsigned const n = 20000;
  for (unsigned i = 1; i < n; i++) sof_plugin_txlog.on_transaction(st, &ev);
  sof_plugin_txlog.shutdown(st);
  out = read_file(path);
  size_t len = strlen(LINE_T1);
  SOF_CHECK_EQ(strlen(out), (size_t)n * len);
  SOF_CHECK_EQ(count_char(out, '\n'), n);
  int same = 1;
  for (unsigned i = 0; i < n && same; i++) same = !strncmp(out + (size_t)i * len, LINE_T1, len);
  SOF_CHECK(same);
  free(out);
  unlink(path);
}

/* The prefilter a config installs, against T1 (non-vote transfer PAYER ->
 * RECIP), T2 (vote) and T3 (v0, PAYER, SYSTEM, table TABLE). */
static void
check_filter(int line, char const *k1, char const *v1, char const *k2, char const *v2,
             char const *k3, char const *v3, int want1, int want2, int want3) {
  fake_env_t f;
  fake_init(&f, "txlog", 1000000000U, "path", "/dev/null", k1, v1, k2, v2, k3, v3, NULL);
  void *st = SETUP_OK(&sof_plugin_txlog, &f);
  if (!st) return;
  SOF_CHECK_EQ(f.pf_calls, 1);
  if (f.pf) {
    int m1 = sof_prefilter_match(f.pf, T1.raw.b, &T1.t);
    int m2 = sof_prefilter_match(f.pf, T2.raw.b, &T2.t);
    int m3 = sof_prefilter_match(f.pf, T3.raw.b, &T3.t);
    sof_test_check_cnt++;
    if (m1 != want1 || m2 != want2 || m3 != want3) {
      sof_test_fail_cnt++;
      fprintf(stderr, "%s:%d: FAIL: filter %s=%s %s=%s %s=%s: matches %d%d%d, want %d%d%d\n",
              __FILE__, line, k1, v1, k2 ? k2 : "", k2 ? v2 : "", k3 ? k3 : "", k3 ? v3 : "",
              m1, m2, m3, want1, want2, want3);
    }
  }
  sof_plugin_txlog.shutdown(st);
}
#define FILTER1(k, v, a, b, c) check_filter(__LINE__, k, v, NULL, NULL, NULL, NULL, a, b, c)

static void
test_prefilter(void) {
  /* the fields */
  fake_env_t f;
  fake_init(&f, "txlog", 1000000000U, "path", "/dev/null", "vote", "true",
            "signature", S_2, "account_include", K_RECIP " , " K_TABLE,
            "account_exclude", K_SYSTEM, "account_required", K_PAYER "," K_SYSTEM, NULL);
  void *st = SETUP_OK(&sof_plugin_txlog, &f);
  if (st) {
    SOF_CHECK_EQ(f.pf_calls, 1);
    sof_prefilter_t const *pf = f.pf;
    uint8_t k[32], s[64];
    SOF_CHECK_EQ(pf->vote, 1);
    SOF_CHECK_EQ(pf->has_signature, 1);
    sof_base58_decode_64(S_2, strlen(S_2), s);
    SOF_CHECK_MEM(pf->signature, s, 64);
    SOF_CHECK_EQ(pf->include_cnt, 2);
    sof_base58_decode_32(K_RECIP, strlen(K_RECIP), k);
    SOF_CHECK_MEM(pf->include[0], k, 32);
    sof_base58_decode_32(K_TABLE, strlen(K_TABLE), k);
    SOF_CHECK_MEM(pf->include[1], k, 32);
    SOF_CHECK_EQ(pf->exclude_cnt, 1);
    sof_base58_decode_32(K_SYSTEM, strlen(K_SYSTEM), k);
    SOF_CHECK_MEM(pf->exclude[0], k, 32);
    SOF_CHECK_EQ(pf->required_cnt, 2);
    sof_base58_decode_32(K_PAYER, strlen(K_PAYER), k);
    SOF_CHECK_MEM(pf->required[0], k, 32);
    sof_plugin_txlog.shutdown(st);
  }
  fake_init(&f, "txlog", 1000000000U, "path", "/dev/null", "vote", "any", NULL);
  st = SETUP_OK(&sof_plugin_txlog, &f);
  if (st) {
    SOF_CHECK_EQ(f.pf_calls, 0); /* vote = any alone filters nothing */
    sof_plugin_txlog.shutdown(st);
  }

  /* matches */
  FILTER1("vote", "false", 1, 0, 1);
  FILTER1("vote", "true", 0, 1, 0);
  FILTER1("account_include", K_RECIP "," K_TABLE, 1, 0, 1); /* T3 by its lookup table */
  FILTER1("account_include", K_VOTEACC, 0, 1, 0);
  FILTER1("account_include", K_WATCHED, 0, 0, 0);
  FILTER1("account_exclude", K_SYSTEM, 0, 1, 0);
  FILTER1("account_exclude", K_TABLE, 1, 1, 0);
  FILTER1("account_required", K_PAYER "," K_SYSTEM, 1, 0, 1);
  FILTER1("account_required", K_PAYER "," K_RECIP, 1, 0, 0);
  FILTER1("signature", S_1, 1, 0, 0);
  FILTER1("signature", S_3, 0, 0, 1);
  check_filter(__LINE__, "vote", "false", "account_include", K_PAYER, "account_exclude", K_RECIP,
               0, 0, 1);
  check_filter(__LINE__, "vote", "any", "account_include", K_LEADER "," K_RECIP,
               "account_required", K_BH, 0, 0, 0); /* a blockhash is not an account */
}

/* Refused configs, each with its reason. */
static void
test_config_errors(void) {
  sof_plugin_t const *p = &sof_plugin_txlog;
  SETUP_ERR(p, "unknown key 'acount_include' (keys: path, flush_ms, queue_bytes, vote, signature, "
               "account_include, account_exclude, account_required, datasets, instructions, raw)",
            "acount_include", K_PAYER);
  SETUP_ERR(p, "failed: the transaction status", "failed", "false");
  SETUP_ERR(p, "commitment: the commitment is the descriptor's", "commitment", "confirmed");
  SETUP_ERR(p, "vote: 'maybe' is not one of any, false, true", "vote", "maybe");
  SETUP_ERR(p, "vote: 'True' is not one of", "vote", "True");
  SETUP_ERR(p, "account_include: item 2 ('0OIl') is not a base58 public key",
            "account_include", K_PAYER ",0OIl");
  SETUP_ERR(p, "account_exclude: item 1 ('abc') is not a base58 public key",
            "account_exclude", "abc");
  SETUP_ERR(p, "account_required: item 2 is empty", "account_required", K_PAYER ",,");
  SETUP_ERR(p, "account_include: item 1 is empty", "account_include", "");
  /* a quoted value is cut to 64 characters */
  SETUP_ERR(p, "account_include: item 1 ('31Mfuu9kt7yXe9L83yjcw78Ws856VNUiyHR53TtS8hbDrvajagA7W"
               "VvWrrtni1pT') is not a base58 public key", "account_include", S_1);
  SETUP_ERR(p, "signature: '" K_PAYER "' is not a base58 signature", "signature", K_PAYER);
  SETUP_ERR(p, "datasets: 'yes' is not true or false", "datasets", "yes");
  SETUP_ERR(p, "flush_ms: '1s' is not a decimal number", "flush_ms", "1s");
  SETUP_ERR(p, "flush_ms: 3600001 is outside [0, 3600000]", "flush_ms", "3600001");
  SETUP_ERR(p, "path: cannot open '/nonexistent-dir/x.log': No such file or directory",
            "path", "/nonexistent-dir/x.log");
  SETUP_ERR(&sof_plugin_txlog_confirmed, "unknown key 'x'", "x", "1");

  /* 1025 keys: over the limit */
  size_t cap = 1025 * 46;
  char *many = malloc(cap);
  size_t off = 0;
  for (unsigned i = 0; i < 1025; i++)
    off += (size_t)snprintf(many + off, cap - off, "%s%s", i ? "," : "", K_PAYER);
  SETUP_ERR(p, "account_include: 1025 keys, at most 1024", "account_include", many);
  free(many);
}

/* A full disk: lines lost, said on stderr at shutdown. */
static void
test_write_error(void) {
  if (access("/dev/full", W_OK)) return;
  fake_env_t f;
  fake_init(&f, "txlog", 1000000000U, "path", "/dev/full", NULL);
  void *st = SETUP_OK(&sof_plugin_txlog, &f);
  if (!st) return;
  sof_ev_txn_t ev = tt_event(&T1, 1234, SOF_COMMITMENT_PROCESSED, SOF_TXN_PATH_DATASET, 3);
  for (int i = 0; i < 3; i++) sof_plugin_txlog.on_transaction(st, &ev);
  capture_t c;
  capture_begin(&c, stderr);
  sof_plugin_txlog.shutdown(st);
  char *err = capture_end(&c);
  SOF_CHECK_STR(err, "txlog: writing /dev/full failed: No space left on device "
                     "(3 of 3 lines lost)\n");
  free(err);
}

/* sof_txgen's transactions (votes, mixed, transfers, token, v0 with
 * lookup tables, real signatures): each line is the delivery's fields then
 * exactly what sof_event_json_txn writes for the same bytes, the object
 * sof-dump prints. */
static void
test_generated(void) {
  static sof_txgen_t g;
  SOF_CHECK_EQ(sof_txgen_init(&g, 7), SOF_TXGEN_OK);
  char path[256];
  tmp_path(path, sizeof path, "txlog");
  fake_env_t f;
  truncate(path, 0); /* sinks append */
  fake_init(&f, "txlog", 1000000000U, "path", path, NULL);
  void *st = SETUP_OK(&sof_plugin_txlog, &f);
  if (!st) return;
  static char want[64 << 10];
  size_t off = 0;
  for (int type = 0; type < SOF_TXGEN_TYPE_CNT; type++) {
    uint8_t raw[SOF_TXN_MTU];
    long sz = sof_txgen_txn(&g, type, raw, sizeof raw);
    SOF_CHECK(sz > 0);
    if (sz <= 0) continue;
    sof_txn_t t;
    SOF_CHECK_EQ(sof_txn_parse(&t, raw, (size_t)sz, NULL), SOF_TXN_OK);
    SOF_CHECK_EQ(t.kind, sof_txgen_type_kind(type));
    sof_ev_txn_t ev;
    memset(&ev, 0, sizeof ev);
    ev.slot = 500 + (uint64_t)type;
    ev.commitment = SOF_COMMITMENT_PROCESSED;
    ev.kind = t.kind;
    ev.signature = sof_txn_sig(&t, raw, 0);
    ev.bytes = raw;
    ev.sz = (uint32_t)sz;
    ev.txn = &t;
    ev.entry_idx = (uint32_t)type;
    sof_plugin_txlog.on_transaction(st, &ev);

    char line[16 << 10];
    sof_json_t j;
    sof_json_init(&j, line, sizeof line);
    sof_json_obj_begin(&j);
    sof_json_key(&j, "type"); sof_json_str(&j, "transaction");
    sof_json_key(&j, "slot"); sof_json_u64(&j, ev.slot);
    sof_json_key(&j, "entry"); sof_json_u64(&j, ev.entry_idx);
    sof_json_key(&j, "commitment"); sof_json_str(&j, "processed");
    sof_json_key(&j, "path"); sof_json_str(&j, "dataset");
    sof_event_json_txn(&j, raw, &t);
    sof_json_obj_end(&j);
    sof_json_newline(&j);
    SOF_CHECK(sof_json_ok(&j));
    memcpy(want + off, line, j.len);
    off += j.len;
    want[off] = '\0';
  }
  sof_plugin_txlog.shutdown(st);
  char *out = read_file(path);
  SOF_CHECK_STR(out, want);
  SOF_CHECK(strstr(out, "\"kind\":\"vote_only\",\"simpleVote\":true") != NULL);
  SOF_CHECK(strstr(out, "\"kind\":\"mixed\"") != NULL);
  SOF_CHECK(strstr(out, "\"version\":0,") != NULL);
  free(out);
  unlink(path);
}

/* base64 the test's own way (RFC 4648 with padding) */
static void
b64(uint8_t const *b, size_t n, char *out) {
  static char const a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t o = 0;
  for (size_t i = 0; i + 2 < n; i += 3) {
    out[o++] = a[b[i] >> 2];
    out[o++] = a[(b[i] & 3) << 4 | b[i + 1] >> 4];
    out[o++] = a[(b[i + 1] & 15) << 2 | b[i + 2] >> 6];
    out[o++] = a[b[i + 2] & 63];
  }
  size_t r = n % 3, i = n - r;
  if (r == 1) {
    out[o++] = a[b[i] >> 2];
    out[o++] = a[(b[i] & 3) << 4];
    out[o++] = '=';
    out[o++] = '=';
  } else if (r == 2) {
    out[o++] = a[b[i] >> 2];
    out[o++] = a[(b[i] & 3) << 4 | b[i + 1] >> 4];
    out[o++] = a[(b[i + 1] & 15) << 2];
    out[o++] = '=';
  }
  out[o] = '\0';
}

/* instructions = true, raw = true: every instruction (program index,
 * account indexes, data) and the whole transaction, for every type */
static void
test_whole(void) {
  static sof_txgen_t g;
  SOF_CHECK_EQ(sof_txgen_init(&g, 8), SOF_TXGEN_OK);
  char path[256];
  tmp_path(path, sizeof path, "txlog");
  fake_env_t f;
  truncate(path, 0);
  fake_init(&f, "txlog", 1000000000U, "path", path, "instructions", "true", "raw", "true", NULL);
  void *st = SETUP_OK(&sof_plugin_txlog, &f);
  if (!st) return;
  static uint8_t raw[SOF_TXGEN_TYPE_CNT][SOF_TXN_MTU];
  static sof_txn_t t[SOF_TXGEN_TYPE_CNT];
  long sz[SOF_TXGEN_TYPE_CNT];
  for (int type = 0; type < SOF_TXGEN_TYPE_CNT; type++) {
    sz[type] = sof_txgen_txn(&g, type, raw[type], SOF_TXN_MTU);
    SOF_CHECK(sz[type] > 0 && sof_txn_parse(&t[type], raw[type], (size_t)sz[type], NULL) == SOF_TXN_OK);
    sof_ev_txn_t ev;
    memset(&ev, 0, sizeof ev);
    ev.slot = 700;
    ev.kind = t[type].kind;
    ev.signature = sof_txn_sig(&t[type], raw[type], 0);
    ev.bytes = raw[type];
    ev.sz = (uint32_t)sz[type];
    ev.txn = &t[type];
    sof_plugin_txlog.on_transaction(st, &ev);
  }
  sof_plugin_txlog.shutdown(st);
  char *out = read_file(path);
  char *line = out;
  for (int type = 0; type < SOF_TXGEN_TYPE_CNT && line; type++) {
    char *nl = strchr(line, '\n');
    if (nl) *nl = '\0';
    static char want[8192], enc[4096];
    size_t o = (size_t)snprintf(want, sizeof want, "\"instructions\":[");
    for (unsigned i = 0; i < t[type].instr_cnt; i++) {
      o += (size_t)snprintf(want + o, sizeof want - o, "%s{\"programIdIndex\":%u,\"accounts\":[", i ? "," : "",
                            t[type].instr[i].program_idx);
      for (unsigned k = 0; k < t[type].instr[i].acct_cnt; k++)
        o += (size_t)snprintf(want + o, sizeof want - o, "%s%u", k ? "," : "", sof_txn_instr_accts(&t[type], raw[type], i)[k]);
      b64(sof_txn_instr_data(&t[type], raw[type], i), t[type].instr[i].data_sz, enc);
      o += (size_t)snprintf(want + o, sizeof want - o, "],\"data\":\"%s\"}", enc);
    }
    b64(raw[type], (size_t)sz[type], enc);
    snprintf(want + o, sizeof want - o, "],\"transaction\":\"%s\"}", enc);
    SOF_CHECK(strstr(line, want) != NULL);
    line = nl ? nl + 1 : NULL;
  }
  free(out);
  unlink(path);
}

int
main(void) {
  tt_transfer(&T1);
  tt_vote(&T2);
  tt_v0(&T3);
  SOF_CHECK_EQ(T1.t.kind, SOF_TXN_KIND_NON_VOTE);
  SOF_CHECK_EQ(T2.t.kind, SOF_TXN_KIND_VOTE_ONLY);
  SOF_CHECK_EQ(T3.t.kind, SOF_TXN_KIND_NON_VOTE);
  test_descriptors();
  test_lines();
  test_stdout();
  test_buffering();
  test_prefilter();
  test_config_errors();
  test_write_error();
  test_generated();
  test_whole();
  return sof_test_done("test_txlog");
}
