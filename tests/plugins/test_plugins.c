/* The generated plugin table (the -Dplugins list, in order, NULL-ended,
 * renderers wired to the right plugins, every descriptor well formed) and
 * the helpers the shipped plugins share: strict config readers and the
 * JSON-lines sink's basics (append, lines longer than the line buffer,
 * stdout; test_plugout.c has the writer thread). */
#include "plugin_test.h"

#include "common/sof_plugin_common.h"
#include "sof_plugin_table.h"

#ifndef SOF_TEST_PLUGINS
#error "SOF_TEST_PLUGINS: the -Dplugins list, comma-separated"
#endif

/* ---- the table ---------------------------------------------------------------------- */

static int
has_render(char const *name) {
  return !strcmp(name, "metrics") || !strcmp(name, "latency") || !strcmp(name, "latency_inline") ||
         !strncmp(name, "txlog", 5) || !strcmp(name, "slotlog") || !strcmp(name, "nats") ||
         !strcmp(name, "race") || !strcmp(name, "grpc");
}

static void
check_descriptor(sof_plugin_t const *p) {
  SOF_CHECK_EQ(p->api_version, SOF_PLUGIN_API_VERSION);
  int name_ok = p->name[0] != '\0';
  for (char const *c = p->name; *c; c++)
    name_ok &= (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_';
  SOF_CHECK(name_ok);
  SOF_CHECK(p->setup && p->shutdown);
  /* every plugin subscribes to some hook, but race: a thread of its own
   * reads sofd's race tables */
  SOF_CHECK((p->hooks != 0 || !strcmp(p->name, "race")) && p->hooks < (1U << SOF_HOOK_CNT));
  SOF_CHECK(p->commitment >= SOF_COMMITMENT_PROCESSED && p->commitment <= SOF_COMMITMENT_FINALIZED);
  SOF_CHECK(p->commitment_mode == SOF_COMMITMENT_AT_LEAST || p->commitment_mode == SOF_COMMITMENT_ONLY);
  SOF_CHECK(p->dispatch == SOF_DISPATCH_SEQUENTIAL || p->dispatch == SOF_DISPATCH_CONCURRENT);
  /* a callback for each subscribed hook, none for the others */
  void const *cb[SOF_HOOK_CNT] = {
    [SOF_HOOK_RAW_PACKET] = (void const *)p->on_raw_packet,
    [SOF_HOOK_SHRED] = (void const *)p->on_shred,
    [SOF_HOOK_DATASET] = (void const *)p->on_dataset,
    [SOF_HOOK_TRANSACTION] = (void const *)p->on_transaction,
    [SOF_HOOK_TRANSACTION_BATCH] = (void const *)p->on_transaction_batch,
    [SOF_HOOK_ACCOUNT_TOUCH] = (void const *)p->on_account_touch,
    [SOF_HOOK_SLOT_STATUS] = (void const *)p->on_slot_status,
    [SOF_HOOK_REORG] = (void const *)p->on_reorg,
    [SOF_HOOK_RECENT_BLOCKHASH] = (void const *)p->on_recent_blockhash,
    [SOF_HOOK_LEADER_SCHEDULE] = (void const *)p->on_leader_schedule,
    [SOF_HOOK_CLUSTER_TOPOLOGY] = (void const *)p->on_cluster_topology,
    [SOF_HOOK_TRANSACTION_STATUS] = (void const *)p->on_transaction_status,
    [SOF_HOOK_GOSSIP_VOTE] = (void const *)p->on_gossip_vote,
  };
  for (int h = 0; h < SOF_HOOK_CNT; h++) {
    sof_test_check_cnt++;
    if (!!(p->hooks & (1U << h)) != !!cb[h]) {
      sof_test_fail_cnt++;
      fprintf(stderr, "FAIL: plugin %s: hook %s subscribed %d, callback %s\n", p->name,
              sof_hook_str(h), !!(p->hooks & (1U << h)), cb[h] ? "set" : "NULL");
    }
  }
}

static void
test_table(void) {
  char list[256];
  snprintf(list, sizeof list, "%s", SOF_TEST_PLUGINS);
  unsigned n = 0;
  for (char *save = NULL, *name = strtok_r(list, ",", &save); name;
       name = strtok_r(NULL, ",", &save), n++) {
    if (n >= sof_plugin_table_cnt) break;
    sof_plugin_t const *p = sof_plugin_table[n];
    SOF_CHECK(p != NULL);
    if (!p) continue;
    SOF_CHECK_STR(p->name, name);
    SOF_CHECK_EQ(sof_plugin_table_render[n] != NULL, has_render(name));
    check_descriptor(p);
    for (unsigned k = 0; k < n; k++) SOF_CHECK(strcmp(sof_plugin_table[k]->name, p->name));
  }
  SOF_CHECK_EQ(n, sof_plugin_table_cnt);
  SOF_CHECK(sof_plugin_table[sof_plugin_table_cnt] == NULL);
  SOF_CHECK(sof_plugin_table_render[sof_plugin_table_cnt] == NULL);

  /* A renderer from the table renders its own plugin's state. */
  for (unsigned i = 0; i < sof_plugin_table_cnt; i++) {
    if (!sof_plugin_table_render[i]) continue;
    if (!strcmp(sof_plugin_table[i]->name, "nats")) {
      /* its setup needs a NATS server (tests/test_sofd_nats.py); its counters
       * are static, so the renderer works without a state */
      char nbuf[4096];
      int r = sof_plugin_table_render[i](NULL, nbuf, sizeof nbuf);
      SOF_CHECK(r > 0 && (size_t)r == strlen(nbuf) && !strncmp(nbuf, "{\"events\":0,", 12));
      continue;
    }
    fake_env_t f;
    if (!strcmp(sof_plugin_table[i]->name, "grpc")) /* a server on a free loopback port */
      fake_init(&f, "grpc", 1000000000U, "listen", "127.0.0.1:0", NULL);
    else
      fake_init(&f, sof_plugin_table[i]->name, 1000000000U, "path", "/dev/null", NULL);
    void *st = SETUP_OK(sof_plugin_table[i], &f);
    if (!st) continue;
    char buf[8192];
    int r = sof_plugin_table_render[i](st, buf, sizeof buf);
    SOF_CHECK(r > 0 && (size_t)r == strlen(buf));
    if (!strcmp(sof_plugin_table[i]->name, "metrics"))
      SOF_CHECK(!strncmp(buf, "{\"packets\":0,", 13));
    else if (!strcmp(sof_plugin_table[i]->name, "grpc"))
      SOF_CHECK(!strncmp(buf, "{\"port\":", 8) && strstr(buf, "\"subscribers\":0,"));
    else if (!strncmp(sof_plugin_table[i]->name, "txlog", 5) ||
             !strcmp(sof_plugin_table[i]->name, "slotlog"))
      SOF_CHECK(!strncmp(buf, "{\"output_lines\":0,\"output_written\":0,\"output_lost\":0,",
                         strlen("{\"output_lines\":0,\"output_written\":0,\"output_lost\":0,")));
    else if (!strcmp(sof_plugin_table[i]->name, "race"))
      SOF_CHECK(!strncmp(buf, "{\"lines\":0,", 10));
    else
      SOF_CHECK(!strncmp(buf, "{\"unit\":\"ns\",", 13));
    sof_plugin_table[i]->shutdown(st);
  }
}

/* ---- config readers ---------------------------------------------------------------------- */

static void
test_config(void) {
  fake_env_t f;
  char err[256];
  uint64_t u = 0;
  fake_init(&f, "t", 0, "max", "18446744073709551615", "over", "18446744073709551616",
            "plus", "+1", "zero", "0", "space", " 1", NULL);
  SOF_CHECK_EQ(sof_pcfg_u64(&f.env, "max", 0, 0, UINT64_MAX, &u, err, sizeof err), 0);
  SOF_CHECK_EQ(u, UINT64_MAX);
  SOF_CHECK_EQ(sof_pcfg_u64(&f.env, "over", 0, 0, UINT64_MAX, &u, err, sizeof err), -1);
  SOF_CHECK_STR(err, "over: '18446744073709551616' is not a decimal number");
  SOF_CHECK_EQ(sof_pcfg_u64(&f.env, "plus", 0, 0, 10, &u, err, sizeof err), -1);
  SOF_CHECK_EQ(sof_pcfg_u64(&f.env, "space", 0, 0, 10, &u, err, sizeof err), -1);
  SOF_CHECK_EQ(sof_pcfg_u64(&f.env, "zero", 7, 0, 10, &u, err, sizeof err), 0);
  SOF_CHECK_EQ(u, 0);
  SOF_CHECK_EQ(sof_pcfg_u64(&f.env, "absent", 7, 0, 10, &u, err, sizeof err), 0);
  SOF_CHECK_EQ(u, 7);

  /* check_keys: known, refused with a reason, unknown */
  static char const *const known[] = { "max", "over", "plus", "zero", "space", NULL };
  static char const *const refused[] = { "failed", "not here", NULL };
  SOF_CHECK_EQ(sof_pcfg_check_keys(&f.env, known, refused, err, sizeof err), 0);
  fake_init(&f, "t", 0, "max", "1", "failed", "true", NULL);
  SOF_CHECK_EQ(sof_pcfg_check_keys(&f.env, known, refused, err, sizeof err), -1);
  SOF_CHECK_STR(err, "failed: not here");
  fake_init(&f, "t", 0, "mux", "1", NULL);
  SOF_CHECK_EQ(sof_pcfg_check_keys(&f.env, known, NULL, err, sizeof err), -1);
  SOF_CHECK_STR(err, "unknown key 'mux' (keys: max, over, plus, zero, space)");
  /* a message cut to the buffer stays a string */
  char tiny[12];
  SOF_CHECK_EQ(sof_pcfg_check_keys(&f.env, known, NULL, tiny, sizeof tiny), -1);
  SOF_CHECK_STR(tiny, "unknown key");
  /* an env without config functions has an empty section */
  sof_plugin_env_t bare;
  memset(&bare, 0, sizeof bare);
  SOF_CHECK_EQ(sof_pcfg_check_keys(&bare, known, NULL, err, sizeof err), 0);
  SOF_CHECK(sof_pcfg_get(&bare, "max") == NULL);

  /* key lists: blanks and tabs around items; exactly the maximum */
  uint8_t (*keys)[32] = NULL;
  uint32_t cnt = 0;
  fake_init(&f, "t", 0, "k", "\t" K_PAYER " ,\t" K_SYSTEM "  ", NULL);
  SOF_CHECK_EQ(sof_pcfg_keys(&f.env, "k", &keys, &cnt, err, sizeof err), 0);
  SOF_CHECK_EQ(cnt, 2);
  uint8_t sys[32] = { 0 };
  if (keys) SOF_CHECK_MEM(keys[1], sys, 32);
  free(keys);
  size_t cap = SOF_PCFG_KEYS_MAX * 46;
  char *many = malloc(cap);
  size_t off = 0;
  for (unsigned i = 0; i < SOF_PCFG_KEYS_MAX; i++)
    off += (size_t)snprintf(many + off, cap - off, "%s%s", i ? "," : "", K_TABLE);
  fake_init(&f, "t", 0, "k", many, NULL);
  SOF_CHECK_EQ(sof_pcfg_keys(&f.env, "k", &keys, &cnt, err, sizeof err), 0);
  SOF_CHECK_EQ(cnt, SOF_PCFG_KEYS_MAX);
  free(keys);
  free(many);
  SOF_CHECK_EQ(sof_pcfg_keys(&f.env, "absent", &keys, &cnt, err, sizeof err), 0);
  SOF_CHECK(keys == NULL && cnt == 0);
}

/* ---- the sink ------------------------------------------------------------------------------ */

/* One 30-byte line: {"n":"<21 digits>"} and the newline. */
static void
line30(sof_plugout_t *o, unsigned v) {
  char b[64];
  sof_json_t j;
  sof_json_init(&j, b, sizeof b);
  char s[32];
  snprintf(s, sizeof s, "%021u", v);
  sof_json_obj_begin(&j);
  sof_json_key(&j, "n"); sof_json_str(&j, s);
  sof_json_obj_end(&j);
  sof_plugout_line(o, &j);
}

/* The sink's basics (tests/plugins/test_plugout.c has the writer thread:
 * stalled readers, failed writes, flush_ms, reopen, copytruncate). */
static void
test_sink(void) {
  char path[256], err[256];
  tmp_path(path, sizeof path, "sink");
  sof_plugout_t o;
  SOF_CHECK_EQ(sof_plugout_open(&o, path, "stdout", 0, 3600000, 1000000000U, err, sizeof err), 0);
  for (unsigned i = 0; i < 3; i++) line30(&o, i);
  /* a line that overflowed its writer is not written, counted */
  char small[8];
  sof_json_t j;
  sof_json_init(&j, small, sizeof small);
  sof_json_obj_begin(&j);
  sof_json_key(&j, "too"); sof_json_str(&j, "long");
  sof_json_obj_end(&j);
  sof_plugout_line(&o, &j);
  SOF_CHECK_EQ(j.len, 0); /* reset for the next line */
  sof_plugout_stats_t st;
  sof_plugout_stats(&o, &st);
  SOF_CHECK_EQ(st.too_long, 1);
  SOF_CHECK_EQ(st.lines, 3);
  capture_t c;
  capture_begin(&c, stderr);
  SOF_CHECK_EQ(sof_plugout_close(&o, "t"), 0); /* writes what is queued */
  char *e = capture_end(&c);
  SOF_CHECK_STR(e, "t: 1 lines longer than the line buffer were not written\n");
  free(e);
  char *s = read_file(path);
  SOF_CHECK_STR(s, "{\"n\":\"000000000000000000000\"}\n{\"n\":\"000000000000000000001\"}\n"
                   "{\"n\":\"000000000000000000002\"}\n");
  free(s);
  SOF_CHECK_EQ(sof_plugout_close(&o, "t"), 0); /* idempotent */
  /* opened again: appended, never truncated */
  SOF_CHECK_EQ(sof_plugout_open(&o, path, "stdout", 0, 0, 0, err, sizeof err), 0);
  line30(&o, 3);
  SOF_CHECK_EQ(sof_plugout_close(&o, "t"), 0);
  s = read_file(path);
  SOF_CHECK_EQ(strlen(s), 4 * 30);
  free(s);
  unlink(path);

  /* absent path: the default stream; "-": stdout */
  capture_begin(&c, stdout);
  SOF_CHECK_EQ(sof_plugout_open(&o, NULL, "stdout", 0, 3600000, 1000000000U, err, sizeof err), 0);
  line30(&o, 7);
  SOF_CHECK_EQ(sof_plugout_close(&o, "t"), 0);
  SOF_CHECK_EQ(sof_plugout_open(&o, "-", "stderr", 0, 3600000, 1000000000U, err, sizeof err), 0);
  line30(&o, 8);
  SOF_CHECK_EQ(sof_plugout_close(&o, "t"), 0);
  s = capture_end(&c);
  SOF_CHECK_STR(s, "{\"n\":\"000000000000000000007\"}\n{\"n\":\"000000000000000000008\"}\n");
  free(s);
}

int
main(void) {
  test_table();
  test_config();
  test_sink();
  return sof_test_done("test_plugins");
}
