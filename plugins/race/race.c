/* race.c: the feed race plugin (descriptor sof_plugin_race, name "race").
 *
 * Writes the feed race table (lib/state/sof_race.h: per source, and per
 * leader, shreds received, first arrivals, FEC sets completed first, lag
 * p50/p90/p99 against the fastest other source) as one JSON line every
 * interval_ms and a last one at exit ("final": true):
 *
 *   {"type":"race","seq":N,"final":false,"unixMs":T,"enabled":true,
 *    "sources":[ROW...],"leaders":[{"leader":"<base58>"|null,"sources":[ROW...]}...],
 *    "sourcesOverflow":N,"leadersOverflow":N}
 *
 * ROW: sof_race_json.h. "enabled": false (and nothing else) when sofd runs
 * with [race] enabled = false. The plugin subscribes to no event: its
 * thread reads the tables sofd publishes (sof_race_published), merging the
 * rx and fec instances' tables into its own snapshot, off the shred path.
 * Keys ([plugin.race]): path (default stdout), interval_ms (default 10000;
 * 0: only the line at exit), leaders (true: per-leader rows, default),
 * queue_bytes, flush_ms (the output sink's, as the other plugins). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plugin/sof_plugin.h"
#include "state/sof_race.h"
#include "state/sof_race_json.h"
#include "util/sof_json.h"

#include "../common/sof_plugin_common.h"

#define RACE_LINE_MAX (1U << 20)

typedef struct race {
  sof_plugout_t    out;
  uint64_t         interval_ms;
  int              leaders;
  pthread_t        th;
  int              th_started;
  pthread_mutex_t  mu;
  pthread_cond_t   cv;
  int              stop;
  uint64_t         seq;
  uint64_t         lines;       /* lines made (the sink counts what became of them) */
  sof_race_group_t const *snap_g;
  sof_race_snap_t *snap;
  sof_json_t       j;
  char            *line;
} race_t;

static char const *const race_keys[] = { "path", "interval_ms", "leaders", "queue_bytes", "flush_ms", NULL };

static uint64_t
unix_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000U + (uint64_t)ts.tv_nsec / 1000000U;
}

/* One line: the merged tables now. Called by the plugin's thread, then
 * (after it stopped) by shutdown: never two at once. */
static void
race_line(race_t *r, int final) {
  sof_race_group_t const *g = sof_race_published();
  if (g && g != r->snap_g) {
    sof_race_snap_delete(r->snap);
    r->snap = sof_race_snap_new(g); /* off the data path; NULL: no memory, the line says enabled false */
    r->snap_g = r->snap ? g : NULL;
  }
  sof_json_t *j = &r->j;
  sof_json_obj_begin(j);
  sof_json_key(j, "type");    sof_json_str(j, "race");
  sof_json_key(j, "seq");     sof_json_u64(j, r->seq++);
  sof_json_key(j, "final");   sof_json_bool(j, final);
  sof_json_key(j, "unixMs");  sof_json_u64(j, unix_ms());
  sof_json_key(j, "enabled"); sof_json_bool(j, g && r->snap);
  if (g && r->snap) {
    sof_race_snap_take(g, r->snap);
    sof_race_json_fields(r->snap, j, r->leaders);
  }
  sof_json_obj_end(j);
  sof_plugout_line(&r->out, j);
  __atomic_fetch_add(&r->lines, 1, __ATOMIC_RELAXED);
}

static void *
race_thread(void *arg) {
  race_t *r = arg;
  pthread_mutex_lock(&r->mu);
  while (!r->stop) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += (time_t)(r->interval_ms / 1000U);
    ts.tv_nsec += (long)(r->interval_ms % 1000U) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
      ts.tv_sec++;
      ts.tv_nsec -= 1000000000L;
    }
    int rc = 0;
    while (!r->stop && rc != ETIMEDOUT) rc = pthread_cond_timedwait(&r->cv, &r->mu, &ts);
    if (r->stop) break;
    pthread_mutex_unlock(&r->mu);
    race_line(r, 0);
    pthread_mutex_lock(&r->mu);
  }
  pthread_mutex_unlock(&r->mu);
  return NULL;
}

static void
race_free(race_t *r) {
  sof_race_snap_delete(r->snap);
  free(r->line);
  pthread_mutex_destroy(&r->mu);
  pthread_cond_destroy(&r->cv);
  free(r);
}

static int
race_setup(sof_plugin_env_t *env, void **state, char *err, size_t err_sz) {
  race_t *r = calloc(1, sizeof *r);
  if (!r || !(r->line = malloc(RACE_LINE_MAX))) {
    free(r);
    snprintf(err, err_sz, "out of memory");
    return -1;
  }
  pthread_mutex_init(&r->mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&r->cv, &ca);
  pthread_condattr_destroy(&ca);
  uint64_t flush_ms = 0, queue_bytes = 0;
  if (sof_pcfg_check_keys(env, race_keys, NULL, err, err_sz) ||
      sof_pcfg_u64(env, "interval_ms", 10000, 0, 86400000ULL, &r->interval_ms, err, err_sz) ||
      sof_pcfg_bool(env, "leaders", 1, &r->leaders, err, err_sz) ||
      sof_pcfg_u64(env, "flush_ms", 1000, 0, 3600000, &flush_ms, err, err_sz) ||
      sof_pcfg_u64(env, "queue_bytes", 4U << 20, 64U << 10, 1ULL << 30, &queue_bytes, err, err_sz) ||
      sof_plugout_open(&r->out, sof_pcfg_get(env, "path"), "stdout", (size_t)queue_bytes, flush_ms,
                       env->tsc_hz, err, err_sz)) {
    race_free(r);
    return -1;
  }
  sof_plugout_set_owner(&r->out, "race");
  sof_json_init(&r->j, r->line, RACE_LINE_MAX);
  if (r->interval_ms) {
    if (pthread_create(&r->th, NULL, race_thread, r)) {
      snprintf(err, err_sz, "cannot start the race thread");
      sof_plugout_close(&r->out, "race");
      race_free(r);
      return -1;
    }
    r->th_started = 1;
  }
  *state = r;
  return 0;
}

static void
race_shutdown(void *state) {
  race_t *r = state;
  if (r->th_started) {
    pthread_mutex_lock(&r->mu);
    r->stop = 1;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
    pthread_join(r->th, NULL);
  }
  race_line(r, 1); /* sofd withdraws the tables only after the plugins shut down */
  sof_plugout_close(&r->out, "race");
  race_free(r);
}

static void
race_fields(void const *state, sof_json_t *j) {
  race_t const *r = state;
  sof_json_key(j, "lines");
  sof_json_u64(j, __atomic_load_n(&r->lines, __ATOMIC_RELAXED));
  sof_plugout_json_fields(&r->out, j);
}

/* sof_plugin_race_render: the plugin's counters as one JSON object (the
 * telemetry renderer). Any thread. */
int sof_plugin_race_render(void *state, char *buf, size_t sz);
int
sof_plugin_race_render(void *state, char *buf, size_t sz) {
  return sof_pjson_render(state, race_fields, buf, sz);
}

sof_plugin_t const sof_plugin_race = {
  .name            = "race",
  .api_version     = SOF_PLUGIN_API_VERSION,
  .hooks           = 0, /* no events: a thread of its own reads the published tables */
  .commitment      = SOF_COMMITMENT_PROCESSED,
  .commitment_mode = SOF_COMMITMENT_AT_LEAST,
  .dispatch        = SOF_DISPATCH_SEQUENTIAL,
  .setup           = race_setup,
  .shutdown        = race_shutdown,
};
