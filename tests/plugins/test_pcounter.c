/* test_pcounter.c: the plugin counter registry (plugins/common/sof_pcounter.h):
 * the exact Prometheus text (families, _total, HELP / TYPE once, labels
 * escaped, instance series), telemetry keys, the plugin's JSON fields, the
 * loss sum for sofd's exit status, unregister freezing values, and the
 * refusals. */
#include <stdio.h>
#include <string.h>

#include "sof_test.h"

#include "common/sof_pcounter.h"

static uint64_t vals[4];
static sof_pcounter_t const tab[4] = {
  {"events", NULL, NULL, "events given", 0, 0},
  {"dropped", "reason", "queue_full", "events dropped", 0, 1},
  {"dropped", "reason", "too_large", "events dropped", 0, 1},
  {"queue_used_bytes", NULL, NULL, "bytes queued", 1, 0},
};

/* a server-like group: pointers into a struct, instances */
static struct { uint64_t a, b; } srv;
static uint64_t const *ptrs[2] = {&srv.a, &srv.b};
static sof_pcounter_t const stab[2] = {
  {"connections", NULL, NULL, "connections open", 1, 0},
  {"calls", NULL, NULL, "calls started", 0, 0},
};
static sof_pcounter_t const itab[2] = {
  {"sub_sent", NULL, NULL, "sent to one subscriber", 0, 0},
  {"sub_lag", NULL, NULL, "lag of one subscriber", 1, 0},
};
static char const *const ikeys[] = {"connection", "peer", NULL};
static unsigned n_inst = 2;

static void
each(void *state, sof_pcounter_visit_fn visit, void *ctx) {
  SOF_CHECK(state == &srv);
  char const *v1[] = {"1", "127.0.0.1:5000"};
  uint64_t const x1[] = {10, 3};
  char const *v2[] = {"2", "we\"ird\\pe\ner"};
  uint64_t const x2[] = {20, 0};
  if (n_inst > 0) visit(ctx, v1, x1);
  if (n_inst > 1) visit(ctx, v2, x2);
}

typedef struct tel { char keys[16][64]; uint64_t v[16]; unsigned n; } tel_t;
static void
tel_add(void *ctx, char const *key, uint64_t v) {
  tel_t *t = ctx;
  if (t->n < 16) {
    snprintf(t->keys[t->n], sizeof t->keys[0], "%s", key);
    t->v[t->n++] = v;
  }
}

static void
prom(char *buf, size_t sz) {
  size_t off = 0;
  SOF_CHECK_EQ(sof_pcounter_prom(buf, sz, &off), 0);
  SOF_CHECK_EQ(off, strlen(buf));
}

int
main(void) {
  char err[160], buf[4096];
  sof_pcounter_group_t const ng = {.owner = "nq", .telemetry = 1, .c = tab, .n = 4, .values = vals};
  SOF_CHECK_EQ(sof_pcounter_register(&ng, err, sizeof err), 0);
  sof_pcounter_group_t const sg = {
    .owner = "srv", .c = stab, .n = 2, .ptrs = ptrs, .inst = itab, .inst_n = 2, .inst_keys = ikeys,
    .each = each, .state = &srv,
  };
  SOF_CHECK_EQ(sof_pcounter_register(&sg, err, sizeof err), 0);
  __atomic_store_n(&vals[0], 7, __ATOMIC_RELAXED);
  __atomic_store_n(&vals[1], 2, __ATOMIC_RELAXED);
  __atomic_store_n(&vals[3], 4096, __ATOMIC_RELAXED);
  srv.a = 3;
  srv.b = 42;

  prom(buf, sizeof buf);
  SOF_CHECK_STR(buf,
    "# HELP sof_nq_events_total events given\n# TYPE sof_nq_events_total counter\nsof_nq_events_total 7\n"
    "# HELP sof_nq_dropped_total events dropped\n# TYPE sof_nq_dropped_total counter\n"
    "sof_nq_dropped_total{reason=\"queue_full\"} 2\nsof_nq_dropped_total{reason=\"too_large\"} 0\n"
    "# HELP sof_nq_queue_used_bytes bytes queued\n# TYPE sof_nq_queue_used_bytes gauge\nsof_nq_queue_used_bytes 4096\n"
    "# HELP sof_srv_connections connections open\n# TYPE sof_srv_connections gauge\nsof_srv_connections 3\n"
    "# HELP sof_srv_calls_total calls started\n# TYPE sof_srv_calls_total counter\nsof_srv_calls_total 42\n"
    "# HELP sof_srv_sub_sent_total sent to one subscriber\n# TYPE sof_srv_sub_sent_total counter\n"
    "sof_srv_sub_sent_total{connection=\"1\",peer=\"127.0.0.1:5000\"} 10\n"
    "sof_srv_sub_sent_total{connection=\"2\",peer=\"we\\\"ird\\\\pe\\ner\"} 20\n"
    "# HELP sof_srv_sub_lag lag of one subscriber\n# TYPE sof_srv_sub_lag gauge\n"
    "sof_srv_sub_lag{connection=\"1\",peer=\"127.0.0.1:5000\"} 3\n"
    "sof_srv_sub_lag{connection=\"2\",peer=\"we\\\"ird\\\\pe\\ner\"} 0\n");

  /* no instance: the instance families keep their HELP / TYPE, no series */
  n_inst = 0;
  prom(buf, sizeof buf);
  SOF_CHECK(strstr(buf, "# TYPE sof_srv_sub_lag gauge\n") != NULL);
  SOF_CHECK(strstr(buf, "sof_srv_sub_lag{") == NULL);
  n_inst = 2;

  /* a full buffer: -1 and *off = sz, never past it */
  size_t off = 0;
  char small[100];
  SOF_CHECK_EQ(sof_pcounter_prom(small, sizeof small, &off), -1);
  SOF_CHECK_EQ(off, sizeof small);

  /* telemetry: only groups with telemetry, <owner>_<family>[_<label>] */
  tel_t t = {0};
  sof_pcounter_tel(tel_add, &t);
  SOF_CHECK_EQ(t.n, 4U);
  SOF_CHECK_STR(t.keys[0], "nq_events");
  SOF_CHECK_EQ(t.v[0], 7);
  SOF_CHECK_STR(t.keys[1], "nq_dropped_queue_full");
  SOF_CHECK_EQ(t.v[1], 2);
  SOF_CHECK_STR(t.keys[2], "nq_dropped_too_large");
  SOF_CHECK_STR(t.keys[3], "nq_queue_used_bytes");
  SOF_CHECK_EQ(t.v[3], 4096);

  /* the plugin's own JSON fields */
  char jb[512];
  sof_json_t j;
  sof_json_init(&j, jb, sizeof jb);
  sof_json_obj_begin(&j);
  sof_pcounter_json_fields(&j, tab, 4, vals);
  sof_json_obj_end(&j);
  SOF_CHECK(sof_json_ok(&j));
  jb[j.len < sizeof jb ? j.len : sizeof jb - 1] = '\0';
  SOF_CHECK_STR(jb, "{\"events\":7,\"dropped_queue_full\":2,\"dropped_too_large\":0,\"queue_used_bytes\":4096}");

  /* losses: the sum of loss series, per slot */
  char const *owner = NULL;
  uint64_t lost = 99;
  __atomic_store_n(&vals[2], 5, __ATOMIC_RELAXED);
  SOF_CHECK_EQ(sof_pcounter_lost(0, &owner, &lost), 0);
  SOF_CHECK_STR(owner, "nq");
  SOF_CHECK_EQ(lost, 7);
  SOF_CHECK_EQ(sof_pcounter_lost(1, &owner, &lost), 0);
  SOF_CHECK_STR(owner, "srv");
  SOF_CHECK_EQ(lost, 0);
  SOF_CHECK_EQ(sof_pcounter_lost(2, &owner, &lost), -1);
  SOF_CHECK_EQ(sof_pcounter_lost(SOF_PCOUNTER_GROUPS_MAX, &owner, &lost), -1);

  /* unregister: the last values stay, the storage and instances are let go */
  sof_pcounter_unregister("srv");
  srv.a = 1000; /* the plugin may free its storage now: the registry reads no more of it */
  n_inst = 99;
  prom(buf, sizeof buf);
  SOF_CHECK(strstr(buf, "sof_srv_connections 3\n") != NULL);
  SOF_CHECK(strstr(buf, "sof_srv_calls_total 42\n") != NULL);
  SOF_CHECK(strstr(buf, "sof_srv_sub_") == NULL);
  /* registered again (set up again): live values in the same slot */
  SOF_CHECK_EQ(sof_pcounter_register(&sg, err, sizeof err), 0);
  prom(buf, sizeof buf);
  SOF_CHECK(strstr(buf, "sof_srv_connections 1000\n") != NULL);
  SOF_CHECK_EQ(sof_pcounter_lost(1, &owner, &lost), 0);
  SOF_CHECK_STR(owner, "srv");

  /* refusals */
  sof_pcounter_group_t bad = ng;
  bad.owner = "Bad-Name";
  SOF_CHECK_EQ(sof_pcounter_register(&bad, err, sizeof err), -1);
  SOF_CHECK(strstr(err, "Bad-Name") != NULL);
  bad = ng;
  bad.values = NULL;
  SOF_CHECK_EQ(sof_pcounter_register(&bad, err, sizeof err), -1);
  bad = sg;
  bad.each = NULL;
  SOF_CHECK_EQ(sof_pcounter_register(&bad, err, sizeof err), -1);
  bad = ng;
  bad.n = SOF_PCOUNTER_MAX + 1;
  SOF_CHECK_EQ(sof_pcounter_register(&bad, err, sizeof err), -1);
  /* every slot taken */
  static char names[SOF_PCOUNTER_GROUPS_MAX][8];
  unsigned ok = 0;
  for (unsigned i = 0; i < SOF_PCOUNTER_GROUPS_MAX; i++) {
    snprintf(names[i], sizeof names[i], "g%u", i);
    bad = ng;
    bad.owner = names[i];
    if (!sof_pcounter_register(&bad, err, sizeof err)) ok++;
  }
  SOF_CHECK_EQ(ok, SOF_PCOUNTER_GROUPS_MAX - 2);
  SOF_CHECK(strstr(err, "no room") != NULL);
  sof_pcounter_reset();
  SOF_CHECK_EQ(sof_pcounter_lost(0, &owner, &lost), -1);
  return sof_test_done("pcounter");
}
