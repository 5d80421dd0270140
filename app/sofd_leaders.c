/* sofd_leaders.c: the leader schedule control thread (sofd_leaders.h). */
#define _GNU_SOURCE /* pthread_setname_np */
#include "sofd_leaders.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <curl/curl.h>
#include <rte_telemetry.h>

#include "util/sof_errbuf.h"
#include "verify/sof_rpc.h"

#define FILES_MAX       SOF_LEADERS_EPOCHS_MAX
#define GRACE_NS        (60ULL * 1000000000ULL)
#define TICK_NS         (100ULL * 1000000ULL)
#define POLL_NS         (1000ULL * 1000000ULL)
#define WARN_NS         (10ULL * 1000000000ULL)
#define BACKOFF_MIN_MS  250ULL
#define BACKOFF_MAX_MS  30000ULL
#define INFO_EVERY_NS   (30ULL * 1000000000ULL)
#define RESP_MAX        (64U << 20)
#define SRC_FILE        0U
#define SRC_RPC         1U

typedef struct {
  char     path[1024];
  uint64_t first_slot;
  int      seen;             /* stat succeeded before */
  struct stat st;            /* the last stat (mtime, size, inode) */
  char     err[256];         /* the last error, "" when the last load worked */
} sched_file_t;

/* Counters: written by the control thread, read by any (relaxed). */
typedef struct {
  _Atomic uint64_t rpc_ok, rpc_failed, rpc_not_yet, epochs_loaded, epochs_dropped, file_reloads,
      file_errors, unknown_warnings, hups;
} ctl_stats_t;

struct sofd_leaders_ctl {
  sofd_cfg_t    *cfg;
  sof_leaders_t *l;
  sofd_pipe_t   *pipe;
  sched_file_t   files[FILES_MAX];
  unsigned       file_cnt;
  pthread_t      th;
  int            started;
  atomic_int     stop;
  ctl_stats_t    st;
  pthread_mutex_t err_mu;     /* last_err: written here, read by telemetry */
  char           last_err[256];
  /* rpc */
  char const    *url;
  CURL          *curl;
  char          *resp;
  size_t         resp_len;
  uint64_t       next_id;
  int            have_sched;
  sof_rpc_epoch_schedule_t sched;
  uint64_t       cur_epoch, abs_slot;
  int            have_info;
  uint64_t       info_at_ns, next_try_ns, backoff_ms;
  int            failing;     /* state for logging: 1 from the first failure to the next success */
  uint64_t       fail_run;
  uint64_t       prev_tries;  /* best-effort fetches of the previous epoch */
  uint64_t       not_yet_until_ns; /* after a null schedule, ask again at */
  /* unknown-leader warnings */
  uint64_t       warn_at_ns, warned_unknown;
};

static volatile sig_atomic_t hup_flag;
static sofd_leaders_ctl_t *tel_ctl;

void
sofd_leaders_hup(void) {
  hup_flag = 1;
}

static uint64_t
now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void
bump(_Atomic uint64_t *c) {
  atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

__attribute__((format(printf, 2, 3))) static void
set_err(sofd_leaders_ctl_t *c, char const *fmt, ...) {
  va_list ap;
  pthread_mutex_lock(&c->err_mu);
  va_start(ap, fmt);
  vsnprintf(c->last_err, sizeof c->last_err, fmt, ap);
  va_end(ap);
  pthread_mutex_unlock(&c->err_mu);
}

/* ---- files --------------------------------------------------------------------------------------- */

/* Splits "FILE[@FIRST_SLOT]" (the last '@' followed by digits only). */
static int
parse_entry(char const *e, size_t len, uint64_t dflt, sched_file_t *f) {
  size_t at = len;
  for (size_t i = len; i-- > 0;)
    if (e[i] == '@') { at = i; break; }
  uint64_t first = dflt;
  if (at < len) {
    if (at + 1 == len) return -1;
    first = 0;
    for (size_t i = at + 1; i < len; i++) {
      if (e[i] < '0' || e[i] > '9' || first > (UINT64_MAX - 9) / 10) { at = len; first = dflt; break; }
      first = first * 10 + (uint64_t)(e[i] - '0');
    }
  }
  if (!at || at >= sizeof f->path) return -1;
  memcpy(f->path, e, at);
  f->path[at] = '\0';
  f->first_slot = first;
  return 0;
}

/* Reads one file into an epoch (replacing the epoch at its first slot).
 * Returns the slots named, or -1 with err set. */
static long
load_file(sofd_leaders_ctl_t *c, unsigned i, char *err, size_t err_sz) {
  sched_file_t *f = &c->files[i];
  FILE *fp = fopen(f->path, "rb");
  if (!fp) {
    sof_errbuf_set(err, err_sz, "%s: %s", f->path, strerror(errno));
    return -1;
  }
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap);
  while (buf) {
    n += fread(buf + n, 1, cap - n, fp);
    if (n < cap) break;
    char *nb = cap < RESP_MAX ? realloc(buf, cap * 2) : NULL;
    if (!nb) { free(buf); buf = NULL; break; }
    buf = nb;
    cap *= 2;
  }
  int bad = ferror(fp);
  fclose(fp);
  if (!buf || bad) {
    free(buf);
    sof_errbuf_set(err, err_sz, "%s: cannot read", f->path);
    return -1;
  }
  uint64_t cnt = 0, named = 0;
  char why[512];
  sof_leaders_t *t = sof_leaders_epoch_from_json(buf, n, f->first_slot, &cnt, &named, why, sizeof why);
  free(buf);
  if (!t) {
    sof_errbuf_set(err, err_sz, "%s: %s", f->path, why);
    return -1;
  }
  if (sof_leaders_epoch_install(c->l, t, i, f->first_slot, cnt, SRC_FILE, now_ns(), why, sizeof why)) {
    sof_errbuf_set(err, err_sz, "%s: %s", f->path, why);
    return -1;
  }
  bump(&c->st.epochs_loaded);
  return (long)named;
}

/* The control thread's re-read of file i (SIGHUP or a change on disk). */
static void
reload_file(sofd_leaders_ctl_t *c, unsigned i, char const *why) {
  sched_file_t *f = &c->files[i];
  char err[768];
  long n = load_file(c, i, err, sizeof err);
  if (n < 0) {
    bump(&c->st.file_errors);
    set_err(c, "%s", err);
    if (strncmp(f->err, err, sizeof f->err - 1)) /* once per state change */
      fprintf(stderr, "sofd: leaders: %s (%s): %s; the previous schedule stays\n", f->path, why, err);
    sof_errbuf_set(f->err, sizeof f->err, "%s", err);
    return;
  }
  bump(&c->st.file_reloads);
  f->err[0] = '\0';
  fprintf(stderr, "sofd: leaders: %s (%s): %ld slots from slot %" PRIu64 "\n", f->path, why, n,
          f->first_slot);
}

/* 1 when file i changed on disk since the last look (or appeared). */
static int
file_changed(sched_file_t *f) {
  struct stat st;
  if (stat(f->path, &st)) return 0; /* gone: the loaded schedule stays */
  int changed = !f->seen || st.st_mtim.tv_sec != f->st.st_mtim.tv_sec ||
                st.st_mtim.tv_nsec != f->st.st_mtim.tv_nsec || st.st_size != f->st.st_size ||
                st.st_ino != f->st.st_ino;
  f->st = st;
  f->seen = 1;
  return changed;
}

sofd_leaders_ctl_t *
sofd_leaders_ctl_new(sofd_cfg_t *cfg, sof_leaders_t *l) {
  sofd_leaders_ctl_t *c = calloc(1, sizeof *c);
  if (!c) {
    fprintf(stderr, "sofd: out of memory (leaders)\n");
    return NULL;
  }
  c->cfg = cfg;
  c->l = l;
  c->url = cfg->rpc_url;
  c->backoff_ms = BACKOFF_MIN_MS;
  pthread_mutex_init(&c->err_mu, NULL);
  if (cfg->leader_schedule) {
    for (char const *p = cfg->leader_schedule; *p;) {
      char const *e = strchr(p, ',');
      size_t len = e ? (size_t)(e - p) : strlen(p);
      if (c->file_cnt == FILES_MAX || parse_entry(p, len, cfg->epoch_first_slot, &c->files[c->file_cnt])) {
        fprintf(stderr, "sofd: [verify] leader_schedule (--leader-schedule): '%.*s': expected "
                        "FILE[@FIRST_SLOT] (at most %u files, comma-separated)\n", (int)len, p, FILES_MAX);
        goto fail;
      }
      c->file_cnt++;
      p += len + (e ? 1 : 0);
    }
    unsigned loaded = 0, missing = 0;
    for (unsigned i = 0; i < c->file_cnt; i++) {
      sched_file_t *f = &c->files[i];
      char err[768];
      file_changed(f);
      if (!f->seen && c->file_cnt > 1) {
        /* a later epoch's file may appear later */
        fprintf(stderr, "sofd: leaders: %s does not exist yet: watched, loaded when it appears\n", f->path);
        missing++;
        continue;
      }
      long n = load_file(c, i, err, sizeof err);
      if (n < 0) {
        fprintf(stderr, "sofd: [verify] leader_schedule (--leader-schedule): %s\n", err);
        goto fail;
      }
      cfg->leader_schedule_slots += (uint64_t)n;
      loaded++;
    }
    if (!loaded) {
      fprintf(stderr, "sofd: [verify] leader_schedule (--leader-schedule): none of the %u files "
                      "exists\n", missing);
      goto fail;
    }
  }
  if (c->url && curl_global_init(CURL_GLOBAL_DEFAULT)) {
    fprintf(stderr, "sofd: [verify] rpc_url (--rpc): cannot initialise libcurl\n");
    goto fail;
  }
  return c;
fail:
  pthread_mutex_destroy(&c->err_mu);
  free(c);
  return NULL;
}

sof_leaders_t *
sofd_leaders_ctl_scratch(sofd_leaders_ctl_t *c) {
  sof_leaders_t *t = sof_leaders_new(1UL << 20, 1U << 16);
  char err[512];
  for (unsigned i = 0; t && i < c->file_cnt; i++)
    if (c->files[i].seen) (void)sof_leaders_load_json(t, c->files[i].path, c->files[i].first_slot, err, sizeof err);
  return t;
}

/* ---- RPC ----------------------------------------------------------------------------------------- */

static size_t
on_body(char *ptr, size_t size, size_t nmemb, void *ud) {
  sofd_leaders_ctl_t *c = ud;
  size_t n = size * nmemb;
  if (c->resp_len + n + 1 > RESP_MAX) return 0; /* too large: the transfer fails */
  char *nb = realloc(c->resp, c->resp_len + n + 1);
  if (!nb) return 0;
  c->resp = nb;
  memcpy(c->resp + c->resp_len, ptr, n);
  c->resp_len += n;
  c->resp[c->resp_len] = '\0';
  return n;
}

static int
on_progress(void *ud, curl_off_t a, curl_off_t b, curl_off_t d, curl_off_t e) {
  (void)a; (void)b; (void)d; (void)e;
  return atomic_load(&((sofd_leaders_ctl_t *)ud)->stop) ? 1 : 0; /* stop: abort the call */
}

/* One call: the body in c->resp. Returns the request id, or 0 with err. */
static uint64_t
rpc_call(sofd_leaders_ctl_t *c, char const *method, char const *params, char *err, size_t err_sz) {
  if (!c->curl && !(c->curl = curl_easy_init())) {
    sof_errbuf_set(err, err_sz, "cannot create a libcurl handle");
    return 0;
  }
  char req[256];
  uint64_t id = ++c->next_id;
  sof_rpc_request(req, sizeof req, id, method, params);
  c->resp_len = 0;
  struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
  CURL *h = c->curl;
  curl_easy_reset(h);
  curl_easy_setopt(h, CURLOPT_URL, c->url);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, req);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(h, CURLOPT_XFERINFODATA, c);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 30000L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
  CURLcode rc = curl_easy_perform(h);
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(hdr);
  if (rc != CURLE_OK) {
    sof_errbuf_set(err, err_sz, "%s: %s", method, curl_easy_strerror(rc));
    return 0;
  }
  /* Solana answers JSON-RPC errors with 200; other statuses may still carry one */
  if (status != 200 && (!c->resp_len || c->resp[0] != '{')) {
    sof_errbuf_set(err, err_sz, "%s: HTTP %ld", method, status);
    return 0;
  }
  return id;
}

/* Fetches and installs epoch e's schedule. 1 installed, 0 not known yet
 * (null), -1 failed (err). */
static int
fetch_epoch(sofd_leaders_ctl_t *c, uint64_t e, char *err, size_t err_sz) {
  uint64_t first = sof_rpc_first_slot(&c->sched, e), cnt = sof_rpc_slots_in_epoch(&c->sched, e);
  char params[48];
  snprintf(params, sizeof params, "[%" PRIu64 "]", first);
  char why[512];
  uint64_t id = rpc_call(c, "getLeaderSchedule", params, why, sizeof why);
  if (!id) {
    sof_errbuf_set(err, err_sz, "%s", why);
    return -1;
  }
  sof_leaders_t *t = NULL;
  uint64_t named = 0;
  int r = sof_rpc_leader_schedule_parse(c->resp, c->resp_len, id, first, cnt, &t, &named, why, sizeof why);
  if (r < 0) {
    sof_errbuf_set(err, err_sz, "epoch %" PRIu64 ": %s", e, why);
    return -1;
  }
  bump(&c->st.rpc_ok);
  if (r == 0) return 0;
  if (sof_leaders_epoch_install(c->l, t, e, first, cnt, SRC_RPC, now_ns(), why, sizeof why)) {
    sof_errbuf_set(err, err_sz, "%s", why);
    return -1;
  }
  bump(&c->st.epochs_loaded);
  fprintf(stderr, "sofd: leaders: epoch %" PRIu64 " (slots %" PRIu64 "..%" PRIu64 ", %" PRIu64
          " named, %u leaders) from %s\n", e, first, first + cnt - 1, named, sof_leaders_key_cnt(t), c->url);
  return 1;
}

static int
epoch_loaded(sofd_leaders_ctl_t *c, uint64_t first) {
  sof_leaders_epoch_info_t info[SOF_LEADERS_EPOCHS_MAX];
  unsigned n = sof_leaders_epochs(c->l, info, SOF_LEADERS_EPOCHS_MAX);
  for (unsigned i = 0; i < n && i < SOF_LEADERS_EPOCHS_MAX; i++)
    if (info[i].first_slot == first) return 1;
  return 0;
}

/* One RPC step: what is missing, in order. Returns 0 when all is there or
 * a step worked, -1 on a failure (err). */
static int
rpc_step(sofd_leaders_ctl_t *c, uint64_t tip, uint64_t now, char *err, size_t err_sz) {
  char why[512];
  if (!c->have_sched) {
    uint64_t id = rpc_call(c, "getEpochSchedule", NULL, why, sizeof why);
    if (!id || sof_rpc_epoch_schedule_parse(c->resp, c->resp_len, id, &c->sched, why, sizeof why)) {
      sof_errbuf_set(err, err_sz, "%s", why);
      return -1;
    }
    bump(&c->st.rpc_ok);
    c->have_sched = 1;
    if (c->pipe) sofd_pipe_set_epochs(c->pipe, c->sched.first_normal_epoch, c->sched.first_normal_slot,
                                      c->sched.slots_per_epoch);
  }
  if (!c->have_info || now - c->info_at_ns >= INFO_EVERY_NS) {
    sof_rpc_epoch_info_t ei;
    uint64_t id = rpc_call(c, "getEpochInfo", NULL, why, sizeof why);
    if (!id || sof_rpc_epoch_info_parse(c->resp, c->resp_len, id, &ei, why, sizeof why)) {
      sof_errbuf_set(err, err_sz, "%s", why);
      return -1;
    }
    bump(&c->st.rpc_ok);
    if (!c->have_info || ei.epoch != c->cur_epoch)
      fprintf(stderr, "sofd: leaders: the cluster is in epoch %" PRIu64 " (slot %" PRIu64 ")\n", ei.epoch,
              ei.absolute_slot);
    c->have_info = 1;
    c->info_at_ns = now;
    c->cur_epoch = ei.epoch;
    c->abs_slot = ei.absolute_slot;
  }
  /* the epoch the shreds show may be ahead of the last getEpochInfo */
  uint64_t e = c->cur_epoch;
  if (tip) {
    uint64_t te = sof_rpc_epoch_of_slot(&c->sched, tip);
    if (te > e) e = te;
  }
  /* current and next: needed; previous: best effort (late shreds just after a start) */
  uint64_t want[3] = {e, e + 1, e ? e - 1 : e};
  for (unsigned i = 0; i < 3; i++) {
    if (i == 2 && (!e || c->prev_tries >= 3)) break;
    uint64_t first = sof_rpc_first_slot(&c->sched, want[i]);
    /* the previous epoch only while it would not be dropped at once */
    uint64_t last = first + sof_rpc_slots_in_epoch(&c->sched, want[i]) - 1;
    if (i == 2 && tip > last && tip - last > c->cfg->epoch_keep_slots) break;
    if (epoch_loaded(c, first)) continue;
    if (i == 1 && now < c->not_yet_until_ns) continue;
    int r = fetch_epoch(c, want[i], why, sizeof why);
    if (i == 2) c->prev_tries++;
    if (r < 0) {
      if (i == 2) { /* not worth an outage state: counted, logged once */
        bump(&c->st.rpc_failed);
        set_err(c, "previous epoch %" PRIu64 ": %s", want[i], why);
        if (c->prev_tries == 1) fprintf(stderr, "sofd: leaders: previous epoch %" PRIu64 ": %s\n", want[i], why);
        continue;
      }
      sof_errbuf_set(err, err_sz, "%s", why);
      return -1;
    }
    if (r == 0) {
      bump(&c->st.rpc_not_yet);
      if (i == 1) c->not_yet_until_ns = now + 5ULL * 1000000000ULL; /* known a little later */
    }
  }
  return 0;
}

/* getClusterNodes at start (main thread), retried with backoff for up to
 * 30 s until parse (on c->resp) accepts an answer; what: the purpose, for
 * the messages; hint: how to start without the RPC. 0 or -1. */
static int
cluster_nodes_at_start(sofd_leaders_ctl_t *c, char const *what, char const *hint,
                       int (*parse)(sofd_leaders_ctl_t *c, uint64_t id, void *out, char *why, size_t why_sz),
                       void *out) {
  uint64_t until = now_ns() + 30ULL * 1000000000ULL, backoff = BACKOFF_MIN_MS;
  char why[512];
  for (unsigned tries = 1;; tries++) {
    uint64_t id = rpc_call(c, "getClusterNodes", NULL, why, sizeof why);
    if (id && !parse(c, id, out, why, sizeof why)) {
      bump(&c->st.rpc_ok);
      return 0;
    }
    bump(&c->st.rpc_failed);
    if (tries == 1) fprintf(stderr, "sofd: %s: %s: %s (retrying up to 30 s)\n", what, c->url, why);
    if (now_ns() + backoff * 1000000ULL > until) break;
    struct timespec ts = {(time_t)(backoff / 1000), (long)(backoff % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    backoff = backoff * 2 > 4000 ? 4000 : backoff * 2;
  }
  fprintf(stderr, "sofd: %s: no getClusterNodes answer from %s in 30 s (%s); %s\n", what, c->url, why, hint);
  return -1;
}

typedef struct {
  uint16_t version;
  uint32_t agree, nodes;
} version_out_t;

static int
parse_version(sofd_leaders_ctl_t *c, uint64_t id, void *out, char *why, size_t why_sz) {
  version_out_t *o = out;
  return sof_rpc_cluster_shred_version_parse(c->resp, c->resp_len, id, &o->version, &o->agree, &o->nodes, why,
                                             why_sz);
}

int
sofd_leaders_ctl_shred_version(sofd_leaders_ctl_t *c, uint16_t *version) {
  version_out_t o = {0};
  if (cluster_nodes_at_start(c, "[verify] shred_version = auto",
                             "give the version as a number to start without the RPC", parse_version, &o))
    return -1;
  *version = o.version;
  fprintf(stderr, "sofd: [verify] shred_version = auto: %u (%u of %u cluster nodes from %s)\n", o.version, o.agree,
          o.nodes, c->url);
  return 0;
}

typedef struct {
  uint8_t (*keys)[32];
  uint32_t cnt;
} identities_out_t;

static int
parse_identities(sofd_leaders_ctl_t *c, uint64_t id, void *out, char *why, size_t why_sz) {
  identities_out_t *o = out;
  return sof_rpc_cluster_identities_parse(c->resp, c->resp_len, id, &o->keys, &o->cnt, why, why_sz);
}

int
sofd_leaders_ctl_candidates(sofd_leaders_ctl_t *c, uint8_t (**keys)[32], uint32_t *cnt) {
  identities_out_t o = {0};
  if (cluster_nodes_at_start(c, "learned leaders", "give --leader-candidates FILE to start without the RPC",
                             parse_identities, &o))
    return -1;
  *keys = o.keys;
  *cnt = o.cnt;
  fprintf(stderr, "sofd: learned leaders: %u candidate identities (getClusterNodes from %s)\n", o.cnt, c->url);
  return 0;
}

/* ---- the thread ------------------------------------------------------------------------------------ */

static void
warn_unknown(sofd_leaders_ctl_t *c, uint64_t now, uint64_t unknown, uint64_t slot1) {
  if (unknown <= c->warned_unknown || (c->warn_at_ns && now - c->warn_at_ns < WARN_NS)) return;
  char ranges[512];
  size_t off = 0;
  ranges[0] = '\0';
  sof_leaders_epoch_info_t info[SOF_LEADERS_EPOCHS_MAX];
  unsigned ne = sof_leaders_epochs(c->l, info, SOF_LEADERS_EPOCHS_MAX);
  for (unsigned i = 0; i < ne && i < SOF_LEADERS_EPOCHS_MAX && off < sizeof ranges; i++)
    off += (size_t)snprintf(ranges + off, sizeof ranges - off, "%s%" PRIu64 "..%" PRIu64, i ? ", " : "",
                            info[i].first_slot, info[i].first_slot + info[i].slot_cnt - 1);
  uint64_t first, last;
  if (!ne && !sof_leaders_range(c->l, &first, &last))
    snprintf(ranges, sizeof ranges, "%" PRIu64 "..%" PRIu64, first, last);
  fprintf(stderr, "sofd: leaders: %" PRIu64 " shreds for slots without a known leader (latest slot %" PRIu64
          "); loaded: %s (counted as unknown_leader; at most one line per 10 s)\n",
          unknown - c->warned_unknown, slot1 ? slot1 - 1 : 0, ranges[0] ? ranges : "no schedule");
  bump(&c->st.unknown_warnings);
  c->warned_unknown = unknown;
  c->warn_at_ns = now;
}

static void *
ctl_main(void *arg) {
  sofd_leaders_ctl_t *c = arg;
  uint64_t poll_at = 0;
  while (!atomic_load(&c->stop)) {
    uint64_t now = now_ns();
    if (hup_flag) {
      hup_flag = 0;
      bump(&c->st.hups);
      fprintf(stderr, "sofd: leaders: SIGHUP: re-reading %u schedule file(s)\n", c->file_cnt);
      for (unsigned i = 0; i < c->file_cnt; i++) {
        file_changed(&c->files[i]);
        if (c->files[i].seen) reload_file(c, i, "SIGHUP");
      }
    }
    uint64_t tip, unknown, unknown_slot1;
    sofd_pipe_leader_view(c->pipe, &tip, &unknown, &unknown_slot1);
    if (now >= poll_at) {
      poll_at = now + POLL_NS;
      for (unsigned i = 0; i < c->file_cnt; i++)
        if (file_changed(&c->files[i])) reload_file(c, i, "changed on disk");
      warn_unknown(c, now, unknown, unknown_slot1);
    }
    if (c->url && now >= c->next_try_ns) {
      char err[768];
      if (rpc_step(c, tip, now, err, sizeof err)) {
        bump(&c->st.rpc_failed);
        set_err(c, "%s", err);
        c->fail_run++;
        if (!c->failing)
          fprintf(stderr, "sofd: leaders: %s: %s (retrying with backoff; the data path runs on)\n", c->url, err);
        c->failing = 1;
        c->next_try_ns = now + c->backoff_ms * 1000000ULL;
        c->backoff_ms = c->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : c->backoff_ms * 2;
      } else {
        if (c->failing)
          fprintf(stderr, "sofd: leaders: %s answers again (after %" PRIu64 " failed attempts)\n", c->url,
                  c->fail_run);
        c->failing = 0;
        c->fail_run = 0;
        c->backoff_ms = BACKOFF_MIN_MS;
        c->next_try_ns = now + POLL_NS;
      }
    }
    /* the shreds' tip, not the RPC's slot: a feed that lags the cluster
     * still needs the epoch it is in */
    int d = tip ? sof_leaders_epoch_expire(c->l, tip, c->cfg->epoch_keep_slots, now) : 0;
    if (d > 0) {
      atomic_fetch_add_explicit(&c->st.epochs_dropped, (uint64_t)d, memory_order_relaxed);
      fprintf(stderr, "sofd: leaders: %d epoch(s) dropped (the tip, slot %" PRIu64 ", is past them)\n", d, tip);
    }
    sof_leaders_epoch_reclaim(c->l, now, GRACE_NS);
    struct timespec ts = {0, (long)TICK_NS};
    nanosleep(&ts, NULL);
  }
  return NULL;
}

static unsigned
ctl_counters(void *ctx, sofd_counter_t *out, unsigned cap) {
  sofd_leaders_ctl_t *c = ctx;
  sof_leaders_epoch_info_t info[SOF_LEADERS_EPOCHS_MAX];
  struct {
    char const *name, *help;
    uint64_t v;
    int gauge;
  } const t[] = {
    {"leaders_rpc_fetches_ok", "JSON-RPC calls answered with a result", atomic_load(&c->st.rpc_ok), 0},
    {"leaders_rpc_fetches_failed", "JSON-RPC calls failed (transport, HTTP, error object, bad result)",
     atomic_load(&c->st.rpc_failed), 0},
    {"leaders_rpc_not_yet", "getLeaderSchedule answered null (the epoch's schedule not known yet)",
     atomic_load(&c->st.rpc_not_yet), 0},
    {"leaders_epochs_loaded", "epoch schedules published (files and RPC; a re-read counts again)",
     atomic_load(&c->st.epochs_loaded), 0},
    {"leaders_epochs_dropped", "epochs dropped: the tip is past them", atomic_load(&c->st.epochs_dropped), 0},
    {"leaders_file_reloads", "schedule files re-read (SIGHUP or a change on disk)", atomic_load(&c->st.file_reloads), 0},
    {"leaders_file_errors", "schedule file re-reads that failed (the previous schedule stays)",
     atomic_load(&c->st.file_errors), 0},
    {"leaders_unknown_warnings", "warnings about shreds for slots without a known leader",
     atomic_load(&c->st.unknown_warnings), 0},
    {"leaders_epochs", "epochs published now", sof_leaders_epochs(c->l, info, SOF_LEADERS_EPOCHS_MAX), 1},
  };
  unsigned n = 0;
  for (unsigned i = 0; i < sizeof t / sizeof t[0] && n < cap; i++, n++) {
    snprintf(out[n].name, sizeof out[n].name, "%s", t[i].name);
    out[n].help = t[i].help;
    out[n].value = t[i].v;
    out[n].gauge = t[i].gauge;
  }
  return n;
}

static int
tel_leaders(char const *cmd, char const *params, struct rte_tel_data *d) {
  (void)cmd;
  (void)params;
  sofd_leaders_ctl_t *c = __atomic_load_n(&tel_ctl, __ATOMIC_ACQUIRE);
  if (!c) return -1;
  return sofd_leaders_tel(c, d);
}

int
sofd_leaders_tel(sofd_leaders_ctl_t *c, struct rte_tel_data *d) {
  rte_tel_data_start_dict(d);
  sofd_counter_t cs[16];
  unsigned n = ctl_counters(c, cs, 16);
  for (unsigned i = 0; i < n; i++) rte_tel_data_add_dict_u64(d, cs[i].name, cs[i].value);
  rte_tel_data_add_dict_string(d, "rpc_url", c->url ? c->url : "");
  rte_tel_data_add_dict_string(d, "rpc_state", !c->url ? "off" : c->failing ? "failing" : "ok");
  char e[256];
  pthread_mutex_lock(&c->err_mu);
  snprintf(e, sizeof e, "%s", c->last_err);
  pthread_mutex_unlock(&c->err_mu);
  rte_tel_data_add_dict_string(d, "last_error", e);
  sof_leaders_epoch_info_t info[SOF_LEADERS_EPOCHS_MAX];
  unsigned ne = sof_leaders_epochs(c->l, info, SOF_LEADERS_EPOCHS_MAX);
  /* DPDK 22.11 telemetry nests arrays only: flat keys e<i>_* (by first slot) */
  for (unsigned i = 0; i < ne && i < SOF_LEADERS_EPOCHS_MAX; i++) {
    char k[40];
#define TEL_U64(f, v) (snprintf(k, sizeof k, "e%u_" f, i), rte_tel_data_add_dict_u64(d, k, (v)))
    TEL_U64("epoch", info[i].epoch);
    TEL_U64("first_slot", info[i].first_slot);
    TEL_U64("last_slot", info[i].first_slot + info[i].slot_cnt - 1);
    TEL_U64("named", info[i].named);
    TEL_U64("leaders", info[i].keys);
#undef TEL_U64
    snprintf(k, sizeof k, "e%u_source", i);
    rte_tel_data_add_dict_string(d, k, info[i].source == SRC_RPC ? "rpc" : "file");
  }
  return 0;
}

int
sofd_leaders_ctl_start(sofd_leaders_ctl_t *c, sofd_pipe_t *pipe) {
  c->pipe = pipe;
  sofd_pipe_set_counters(pipe, ctl_counters, c);
  if (c->cfg->telemetry) {
    __atomic_store_n(&tel_ctl, c, __ATOMIC_RELEASE);
    if (rte_telemetry_register_cmd("/sof/leaders", tel_leaders,
                                   "Leader schedules: published epochs, RPC and file sources, counters")) {
      fprintf(stderr, "sofd: cannot register /sof/leaders\n");
      return -1;
    }
  }
  /* the thread blocks the signals sofd handles: they go to the main lcore */
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  int rc = pthread_create(&c->th, NULL, ctl_main, c);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (rc) {
    fprintf(stderr, "sofd: cannot start the leaders thread: %s\n", strerror(rc));
    return -1;
  }
  pthread_setname_np(c->th, "sofd-leaders");
  c->started = 1;
  return 0;
}

void
sofd_leaders_ctl_stop(sofd_leaders_ctl_t *c) {
  if (!c || !c->started) return;
  atomic_store(&c->stop, 1);
  pthread_join(c->th, NULL);
  c->started = 0;
}

void
sofd_leaders_ctl_delete(sofd_leaders_ctl_t *c) {
  if (!c) return;
  sofd_leaders_ctl_stop(c);
  __atomic_store_n(&tel_ctl, NULL, __ATOMIC_RELEASE);
  if (c->curl) curl_easy_cleanup(c->curl);
  if (c->url) curl_global_cleanup();
  free(c->resp);
  pthread_mutex_destroy(&c->err_mu);
  free(c);
}
