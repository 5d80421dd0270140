/* sof_plugin_common.c: see sof_plugin_common.h. */
#include "sof_plugin_common.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "wire/sof_base58.h"

/* ---- config ---------------------------------------------------------------------- */

char const *
sof_pcfg_get(sof_plugin_env_t const *env, char const *key) {
  if (!env || !env->config_get) return NULL;
  return env->config_get(env, key);
}

int
sof_pcfg_set(sof_plugin_env_t const *env, char const *key, char const *const *names, uint8_t *want,
             char *err, size_t err_sz) {
  char const *v = sof_pcfg_get(env, key);
  if (!v) return 1;
  unsigned n = 0;
  while (names[n]) n++;
  memset(want, 0, n);
  for (unsigned item = 1;; item++) {
    char const *end = strchr(v, ',');
    if (!end) end = v + strlen(v);
    char const *b = v, *e = end;
    while (b < e && (*b == ' ' || *b == '\t')) b++;
    while (e > b && (e[-1] == ' ' || e[-1] == '\t')) e--;
    int found = -1;
    for (unsigned i = 0; i < n; i++)
      if ((size_t)(e - b) == strlen(names[i]) && !memcmp(b, names[i], (size_t)(e - b))) found = (int)i;
    if (found < 0) {
      int off = snprintf(err, err_sz, "%s: item %u ('%.*s') is not one of ", key, item,
                         (int)((e - b) > 64 ? 64 : (e - b)), b);
      for (unsigned i = 0; i < n && off >= 0 && (size_t)off < err_sz; i++)
        off += snprintf(err + off, err_sz - (size_t)off, "%s%s", i ? ", " : "", names[i]);
      return -1;
    }
    want[found] = 1;
    if (!*end) return 0;
    v = end + 1;
  }
}

static int
in_list(char const *const *list, char const *s) {
  for (unsigned i = 0; list && list[i]; i++)
    if (!strcmp(list[i], s)) return 1;
  return 0;
}

int
sof_pcfg_check_keys(sof_plugin_env_t const *env, char const *const *known,
                    char const *const *refused, char *err, size_t err_sz) {
  if (!env || !env->config_key) return 0;
  for (unsigned n = 0;; n++) {
    char const *k = env->config_key(env, n);
    if (!k) return 0;
    if (in_list(known, k)) continue;
    for (unsigned i = 0; refused && refused[i]; i += 2) {
      if (!strcmp(refused[i], k)) {
        snprintf(err, err_sz, "%s: %s", k, refused[i + 1]);
        return -1;
      }
    }
    size_t off = (size_t)snprintf(err, err_sz, "unknown key '%s' (keys:", k);
    for (unsigned i = 0; known && known[i] && off < err_sz; i++)
      off += (size_t)snprintf(err + off, err_sz - off, "%s %s", i ? "," : "", known[i]);
    if (off < err_sz) snprintf(err + off, err_sz - off, ")");
    return -1;
  }
}

int
sof_pcfg_bool(sof_plugin_env_t const *env, char const *key, int dflt, int *out, char *err,
              size_t err_sz) {
  char const *v = sof_pcfg_get(env, key);
  if (!v) {
    *out = dflt;
    return 0;
  }
  if (!strcmp(v, "true")) {
    *out = 1;
    return 0;
  }
  if (!strcmp(v, "false")) {
    *out = 0;
    return 0;
  }
  snprintf(err, err_sz, "%s: '%.64s' is not true or false", key, v);
  return -1;
}

int
sof_pcfg_u64(sof_plugin_env_t const *env, char const *key, uint64_t dflt, uint64_t min,
             uint64_t max, uint64_t *out, char *err, size_t err_sz) {
  char const *v = sof_pcfg_get(env, key);
  if (!v) {
    *out = dflt;
    return 0;
  }
  uint64_t x = 0;
  int ok = v[0] != '\0';
  for (char const *c = v; ok && *c; c++) {
    if (*c < '0' || *c > '9' || x > (UINT64_MAX - (uint64_t)(*c - '0')) / 10) ok = 0;
    else x = x * 10 + (uint64_t)(*c - '0');
  }
  if (!ok) {
    snprintf(err, err_sz, "%s: '%.64s' is not a decimal number", key, v);
    return -1;
  }
  if (x < min || x > max) {
    snprintf(err, err_sz, "%s: %llu is outside [%llu, %llu]", key, (unsigned long long)x,
             (unsigned long long)min, (unsigned long long)max);
    return -1;
  }
  *out = x;
  return 0;
}

int
sof_pcfg_choice(sof_plugin_env_t const *env, char const *key, char const *const *names,
                int dflt, int *out, char *err, size_t err_sz) {
  char const *v = sof_pcfg_get(env, key);
  if (!v) {
    *out = dflt;
    return 0;
  }
  for (int i = 0; names[i]; i++) {
    if (!strcmp(names[i], v)) {
      *out = i;
      return 0;
    }
  }
  size_t off = (size_t)snprintf(err, err_sz, "%s: '%.64s' is not one of", key, v);
  for (unsigned i = 0; names[i] && off < err_sz; i++)
    off += (size_t)snprintf(err + off, err_sz - off, "%s %s", i ? "," : "", names[i]);
  return -1;
}

static int
blank(char c) {
  return c == ' ' || c == '\t';
}

int
sof_pcfg_keys(sof_plugin_env_t const *env, char const *key, uint8_t (**out)[32],
              uint32_t *cnt, char *err, size_t err_sz) {
  *out = NULL;
  *cnt = 0;
  char const *v = sof_pcfg_get(env, key);
  if (!v) return 0;
  uint32_t items = 1;
  for (char const *c = v; *c; c++) items += *c == ',';
  if (items > SOF_PCFG_KEYS_MAX) {
    snprintf(err, err_sz, "%s: %u keys, at most %u", key, items, SOF_PCFG_KEYS_MAX);
    return -1;
  }
  uint8_t (*keys)[32] = malloc(items * sizeof *keys);
  if (!keys) {
    snprintf(err, err_sz, "%s: out of memory", key);
    return -1;
  }
  char const *p = v;
  for (uint32_t i = 0; i < items; i++) {
    char const *end = strchr(p, ',');
    if (!end) end = p + strlen(p);
    char const *b = p, *e = end;
    while (b < e && blank(*b)) b++;
    while (e > b && blank(e[-1])) e--;
    if (b == e) {
      snprintf(err, err_sz, "%s: item %u is empty", key, i + 1);
      free(keys);
      return -1;
    }
    if (sof_base58_decode_32(b, (size_t)(e - b), keys[i])) {
      snprintf(err, err_sz, "%s: item %u ('%.*s') is not a base58 public key", key, i + 1,
               (int)((e - b) > 64 ? 64 : (e - b)), b);
      free(keys);
      return -1;
    }
    p = *end ? end + 1 : end;
  }
  *out = keys;
  *cnt = items;
  return 0;
}

int
sof_pcfg_signature(sof_plugin_env_t const *env, char const *key, uint8_t sig[64], uint8_t *has,
                   char *err, size_t err_sz) {
  *has = 0;
  char const *v = sof_pcfg_get(env, key);
  if (!v) return 0;
  if (sof_base58_decode_64(v, strlen(v), sig)) {
    snprintf(err, err_sz, "%s: '%.100s' is not a base58 signature", key, v);
    return -1;
  }
  *has = 1;
  return 0;
}

/* ---- output --------------------------------------------------------------------- */

/* One sink. The producer (sof_plugout_line, one thread at a time) owns
 * head and tail_cache; the writer thread owns tail and every field below
 * "writer"; the setup thread owns the rest, under g_mu once the sink is
 * published (in_use). Counters are read lock-free by anyone. */
struct sof_plugout_sink {
  /* producer */
  uint64_t head;        /* bytes ever queued (release store) */
  uint64_t tail_cache;  /* the producer's last view of tail */
  char    *buf;
  uint64_t cap;
  /* writer */
  uint64_t tail __attribute__((aligned(64))); /* bytes ever taken (release store) */
  uint64_t seen_ns;     /* when the writer first saw the oldest queued bytes (0: none) */
  uint32_t gen;         /* reopen generation served */
  int      mid_line;    /* the last byte written was not a line end */
  int      fd;
  int      write_errno; /* first failed write */
  int      reopen_errno;
  /* setup thread (under g_mu) */
  int      in_use;
  int      owned;       /* opened here: closed here, reopened on request */
  int      chunked;     /* not a regular file: writes of at most PIPE_BUF bytes, ending at
                           a line end (atomic in a pipe: no part of a line is left behind) */
  int      poll_out;    /* chunked and shared (stdout / stderr, blocking): poll for room */
  int      closing;
  int      done;        /* the writer let go of it (closing) */
  int      flush_req;
  uint64_t flush_ns;
  uint64_t tick_ns;
  uint64_t batch;       /* queued bytes that are written at once */
  uint64_t deadline_ns;
  char     who[32];
  char     name[4096];
  sof_plugout_stats_t st;
};

static sof_plugout_sink_t g_sink[SOF_PLUGOUT_MAX];
static pthread_mutex_t    g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t     g_cv;
static int                g_cv_ready;
static pthread_t          g_thr;
static int                g_thr_on;
static int                g_thr_stop;
static unsigned           g_open_cnt;
static uint32_t           g_reopen_gen;
static uint64_t           g_deadline_ns; /* 0: none set */
static uint64_t           g_lost_total;

#define LD(p)     __atomic_load_n((p), __ATOMIC_RELAXED)
#define ST(p, v)  __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define ADD(p, v) __atomic_store_n((p), __atomic_load_n((p), __ATOMIC_RELAXED) + (v), __ATOMIC_RELAXED)

static uint64_t
now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Line ends in the queue's bytes [a, b). */
static uint64_t
count_nl(sof_plugout_sink_t const *s, uint64_t a, uint64_t b) {
  uint64_t n = 0;
  while (a < b) {
    uint64_t off = a % s->cap, len = b - a;
    if (len > s->cap - off) len = s->cap - off;
    char const *p = s->buf + off, *e = p + len;
    while ((p = memchr(p, '\n', (size_t)(e - p)))) {
      n++;
      p++;
    }
    a += len;
  }
  return n;
}

/* Discards the queue's [tail, head): lost lines. */
static void
discard(sof_plugout_sink_t *s, uint64_t head, int at_close) {
  uint64_t n = count_nl(s, s->tail, head);
  ADD(&s->st.lost, n);
  if (at_close) ADD(&s->st.lost_at_close, n);
  s->mid_line = 0;
  __atomic_store_n(&s->tail, head, __ATOMIC_RELEASE);
}

static void
reopen(sof_plugout_sink_t *s) {
  int fd = open(s->name, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK, 0644);
  if (fd < 0) {
    s->reopen_errno = errno;
    ADD(&s->st.reopen_errors, 1);
    return; /* the old file keeps the lines */
  }
  close(s->fd);
  s->fd = fd;
  ADD(&s->st.reopens, 1);
}

/* Writes what the sink may write now. Returns 1 when it wrote and more is
 * queued (the writer should come back at once). Under g_mu. */
static int
service(sof_plugout_sink_t *s, uint64_t now, uint32_t gen) {
  if (s->owned && s->gen != gen && !s->mid_line) {
    s->gen = gen;
    reopen(s);
  }
  uint64_t head = __atomic_load_n(&s->head, __ATOMIC_ACQUIRE);
  if (head == s->tail) {
    s->seen_ns = 0;
    return 0;
  }
  if (!s->seen_ns) s->seen_ns = now;
  int due = s->closing || LD(&s->flush_req) || !s->flush_ns || now - s->seen_ns >= s->flush_ns ||
            head - s->tail >= s->batch;
  if (!due) return 0;
  ST(&s->flush_req, 0);
  int wrote = 0;
  while (s->tail < head) {
    uint64_t off = s->tail % s->cap, n = head - s->tail;
    if (n > s->cap - off) n = s->cap - off;
    char const *p = s->buf + off;
    if (s->poll_out) {
      struct pollfd pfd = { .fd = s->fd, .events = POLLOUT };
      int pr = poll(&pfd, 1, 0);
      if (pr == 0) break; /* no room: later */
      if (pr > 0 && !(pfd.revents & POLLOUT) && !(pfd.revents & (POLLERR | POLLHUP))) break;
    }
    if (s->chunked) {
      /* at most PIPE_BUF bytes, gathered across the queue's end, ending at
       * a line end: a pipe takes such a write whole or not at all (and a
       * blocking one with room does not wait) */
      static char bounce[PIPE_BUF]; /* the writer thread's */
      uint64_t m = head - s->tail;
      if (m > PIPE_BUF) m = PIPE_BUF;
      uint64_t first = s->cap - off < m ? s->cap - off : m;
      memcpy(bounce, p, (size_t)first);
      memcpy(bounce + first, s->buf, (size_t)(m - first));
      if (head - s->tail > m) {
        uint64_t k = m;
        while (k && bounce[k - 1] != '\n') k--;
        if (k) m = k; /* else one line longer than PIPE_BUF: in parts */
      }
      p = bounce;
      n = m;
    }
    ssize_t r = write(s->fd, p, (size_t)n);
    if (r > 0) {
      uint64_t lines = 0;
      for (char const *q = p, *e = p + r; (q = memchr(q, '\n', (size_t)(e - q))); q++) lines++;
      ADD(&s->st.written, lines);
      ADD(&s->st.bytes, (uint64_t)r);
      ADD(&s->st.writes, 1);
      s->mid_line = p[r - 1] != '\n';
      __atomic_store_n(&s->tail, s->tail + (uint64_t)r, __ATOMIC_RELEASE);
      wrote = 1;
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    /* a hard error (or a write of 0): what is queued is lost */
    if (!s->write_errno) s->write_errno = r < 0 ? errno : EIO;
    ADD(&s->st.write_errors, 1);
    discard(s, head, 0);
    break;
  }
  if (s->tail == head) s->seen_ns = 0;
  return wrote && s->tail != head;
}

static void *
writer_main(void *arg) {
  (void)arg;
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, NULL); /* signals go to the other threads */
  pthread_mutex_lock(&g_mu);
  while (!g_thr_stop) {
    uint64_t now = now_ns();
    uint32_t gen = __atomic_load_n(&g_reopen_gen, __ATOMIC_ACQUIRE);
    int again = 0;
    uint64_t wait = 20000000ULL;
    for (unsigned i = 0; i < SOF_PLUGOUT_MAX; i++) {
      sof_plugout_sink_t *s = &g_sink[i];
      if (!s->in_use || s->done) continue;
      again |= service(s, now, gen);
      uint64_t t = s->tick_ns;
      if (s->closing) {
        uint64_t head = __atomic_load_n(&s->head, __ATOMIC_ACQUIRE);
        if (s->tail != head && now_ns() >= s->deadline_ns) discard(s, head, 1);
        if (s->tail == head) {
          if (s->owned) close(s->fd);
          s->fd = -1;
          s->done = 1;
          pthread_cond_broadcast(&g_cv);
          continue;
        }
        t = 1000000ULL;
      }
      if (t < wait) wait = t;
    }
    if (again) continue;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t at = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec + wait;
    ts.tv_sec = (time_t)(at / 1000000000ULL);
    ts.tv_nsec = (long)(at % 1000000000ULL);
    pthread_cond_timedwait(&g_cv, &g_mu, &ts);
  }
  pthread_mutex_unlock(&g_mu);
  return NULL;
}

static void
cv_init(void) {
  if (g_cv_ready) return;
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&g_cv, &ca);
  pthread_condattr_destroy(&ca);
  g_cv_ready = 1;
}

int
sof_plugout_open(sof_plugout_t *o, char const *path, char const *dflt, size_t cap,
                 uint64_t flush_ms, uint64_t tsc_hz, char *err, size_t err_sz) {
  (void)tsc_hz;
  memset(o, 0, sizeof *o);
  if (!cap) cap = SOF_PLUGOUT_BUF_DEFAULT;
  if (cap < SOF_PLUGOUT_BUF_MIN) cap = SOF_PLUGOUT_BUF_MIN;
  if (!path) path = dflt;
  int fd, owned = 0;
  char const *name;
  if (!strcmp(path, "-") || !strcmp(path, "stdout")) {
    fflush(stdout);
    fd = STDOUT_FILENO;
    name = "stdout";
  } else if (!strcmp(path, "stderr")) {
    fd = STDERR_FILENO;
    name = "stderr";
  } else {
    if (strlen(path) >= sizeof g_sink[0].name) {
      snprintf(err, err_sz, "path: '%.64s...' is too long", path);
      return -1;
    }
    /* blocking: a FIFO waits for its reader here (setup), like any writer */
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      snprintf(err, err_sz, "path: cannot open '%s': %s", path, strerror(errno));
      return -1;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0) fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    owned = 1;
    name = path;
  }
  struct stat sb;
  int chunked = !(fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode));
  int poll_out = chunked && !owned;
  char *buf = malloc(cap);
  if (!buf) {
    snprintf(err, err_sz, "path: no memory for a %zu-byte output queue", cap);
    if (owned) close(fd);
    return -1;
  }
  memset(buf, 0, cap); /* touched now, not on the hot path */
  pthread_mutex_lock(&g_mu);
  cv_init();
  sof_plugout_sink_t *s = NULL;
  for (unsigned i = 0; i < SOF_PLUGOUT_MAX && !s; i++)
    if (!g_sink[i].in_use) s = &g_sink[i];
  if (!s) {
    pthread_mutex_unlock(&g_mu);
    snprintf(err, err_sz, "path: more than %u output sinks", SOF_PLUGOUT_MAX);
    free(buf);
    if (owned) close(fd);
    return -1;
  }
  if (!g_thr_on) {
    g_thr_stop = 0;
    if (pthread_create(&g_thr, NULL, writer_main, NULL)) {
      pthread_mutex_unlock(&g_mu);
      snprintf(err, err_sz, "path: cannot start the output writer thread");
      free(buf);
      if (owned) close(fd);
      return -1;
    }
    g_thr_on = 1;
  }
  memset(s, 0, sizeof *s);
  s->buf = buf;
  s->cap = cap;
  s->fd = fd;
  s->owned = owned;
  s->chunked = chunked;
  s->poll_out = poll_out;
  s->gen = __atomic_load_n(&g_reopen_gen, __ATOMIC_ACQUIRE);
  s->flush_ns = flush_ms * 1000000ULL;
  uint64_t tick = flush_ms / 4;
  s->tick_ns = (tick < 1 ? 1 : tick > 20 ? 20 : tick) * 1000000ULL;
  s->batch = cap / 4 < (64U << 10) ? cap / 4 : (64U << 10);
  snprintf(s->name, sizeof s->name, "%s", name);
  s->st.queue_bytes = cap;
  s->in_use = 1;
  g_open_cnt++;
  pthread_mutex_unlock(&g_mu);
  o->s = s;
  o->name = s->name;
  return 0;
}

void
sof_plugout_set_owner(sof_plugout_t *o, char const *who) {
  if (!o->s) return;
  pthread_mutex_lock(&g_mu);
  snprintf(o->s->who, sizeof o->s->who, "%s", who ? who : "");
  pthread_mutex_unlock(&g_mu);
}

void
sof_plugout_line(sof_plugout_t *o, sof_json_t *j) {
  sof_plugout_sink_t *s = o->s;
  sof_json_newline(j);
  if (!s) {
    sof_json_reset(j);
    return;
  }
  if (!sof_json_ok(j)) {
    ADD(&s->st.too_long, 1);
    sof_json_reset(j);
    return;
  }
  uint64_t n = j->len, head = s->head;
  ADD(&s->st.lines, 1);
  if (n > s->cap - (head - s->tail_cache)) {
    s->tail_cache = __atomic_load_n(&s->tail, __ATOMIC_ACQUIRE);
    if (n > s->cap - (head - s->tail_cache)) {
      ADD(&s->st.dropped, 1);
      sof_json_reset(j);
      return;
    }
  }
  uint64_t off = head % s->cap, first = s->cap - off;
  if (first >= n) {
    memcpy(s->buf + off, j->buf, n);
  } else {
    memcpy(s->buf + off, j->buf, first);
    memcpy(s->buf, j->buf + first, n - first);
  }
  __atomic_store_n(&s->head, head + n, __ATOMIC_RELEASE);
  sof_json_reset(j);
}

int
sof_plugout_flush(sof_plugout_t *o) {
  if (o->s) __atomic_store_n(&o->s->flush_req, 1, __ATOMIC_RELAXED);
  return 0;
}

static void
stats_of(sof_plugout_sink_t const *s, sof_plugout_stats_t *st) {
  uint64_t const *src = (uint64_t const *)&s->st;
  uint64_t *dst = (uint64_t *)st;
  for (size_t i = 0; i < sizeof *st / sizeof(uint64_t); i++) dst[i] = LD(&src[i]);
  uint64_t h = __atomic_load_n(&s->head, __ATOMIC_ACQUIRE), t = __atomic_load_n(&s->tail, __ATOMIC_ACQUIRE);
  st->queued_bytes = h >= t ? h - t : 0;
}

void
sof_plugout_stats(sof_plugout_t const *o, sof_plugout_stats_t *st) {
  memset(st, 0, sizeof *st);
  if (o->s) stats_of(o->s, st);
}

void
sof_plugout_json_fields(sof_plugout_t const *o, sof_json_t *j) {
  sof_plugout_stats_t st;
  sof_plugout_stats(o, &st);
  sof_json_key(j, "output_lines");        sof_json_u64(j, st.lines);
  sof_json_key(j, "output_written");      sof_json_u64(j, st.written);
  sof_json_key(j, "output_lost");         sof_json_u64(j, st.lost);
  sof_json_key(j, "output_dropped");      sof_json_u64(j, st.dropped);
  sof_json_key(j, "output_errors");       sof_json_u64(j, st.write_errors);
  sof_json_key(j, "output_bytes");        sof_json_u64(j, st.bytes);
  sof_json_key(j, "output_reopens");      sof_json_u64(j, st.reopens);
  sof_json_key(j, "output_queued_bytes"); sof_json_u64(j, st.queued_bytes);
}

void
sof_plugout_drain_deadline(uint64_t ms) {
  uint64_t d = now_ns() + ms * 1000000ULL;
  __atomic_store_n(&g_deadline_ns, d ? d : 1, __ATOMIC_RELAXED);
}

void
sof_plugout_reopen_all(void) {
  __atomic_add_fetch(&g_reopen_gen, 1, __ATOMIC_RELEASE);
}

uint64_t
sof_plugout_lost_total(void) {
  return __atomic_load_n(&g_lost_total, __ATOMIC_RELAXED);
}

int
sof_plugout_sink_stats(unsigned i, char const **who, char const **name, sof_plugout_stats_t *st) {
  if (i >= SOF_PLUGOUT_MAX || !__atomic_load_n(&g_sink[i].in_use, __ATOMIC_ACQUIRE)) return -1;
  sof_plugout_sink_t const *s = &g_sink[i];
  if (who) *who = s->who;
  if (name) *name = s->name;
  if (st) stats_of(s, st);
  return 0;
}

int
sof_plugout_close(sof_plugout_t *o, char const *who) {
  sof_plugout_sink_t *s = o->s;
  if (!s) return 0;
  o->s = NULL;
  uint64_t now = now_ns(), deadline = __atomic_load_n(&g_deadline_ns, __ATOMIC_RELAXED);
  if (!deadline) deadline = now + SOF_PLUGOUT_DRAIN_MS_DEFAULT * 1000000ULL;
  pthread_mutex_lock(&g_mu);
  s->deadline_ns = deadline;
  s->closing = 1;
  pthread_cond_broadcast(&g_cv);
  /* the writer lets go of the sink by the deadline (its writes do not
   * block); a writer stuck in a write anyway (a hung disk) is given a
   * second more, then the sink is left to it */
  int stuck = 0;
  while (!s->done) {
    struct timespec ts;
    uint64_t at = (deadline > now_ns() ? deadline : now_ns()) + 10000000ULL;
    ts.tv_sec = (time_t)(at / 1000000000ULL);
    ts.tv_nsec = (long)(at % 1000000000ULL);
    pthread_cond_timedwait(&g_cv, &g_mu, &ts);
    if (!s->done && now_ns() > deadline + 1000000000ULL) {
      stuck = 1;
      break;
    }
  }
  sof_plugout_stats_t st;
  stats_of(s, &st);
  if (stuck) { /* what is queued is not going to be written in time */
    uint64_t n = count_nl(s, __atomic_load_n(&s->tail, __ATOMIC_ACQUIRE), s->head);
    st.lost += n;
    st.lost_at_close += n;
  }
  int werr = s->write_errno;
  g_open_cnt--;
  int stop = !g_open_cnt && !stuck;
  if (!stuck) {
    free(s->buf);
    s->buf = NULL;
    __atomic_store_n(&s->in_use, 0, __ATOMIC_RELEASE);
  }
  if (stop) {
    g_thr_stop = 1;
    pthread_cond_broadcast(&g_cv);
  }
  pthread_mutex_unlock(&g_mu);
  if (stop) {
    pthread_join(g_thr, NULL);
    g_thr_on = 0;
  }
  uint64_t bad = st.lost + st.dropped;
  __atomic_add_fetch(&g_lost_total, bad, __ATOMIC_RELAXED);
  char const *name = o->name ? o->name : "output";
  if (st.lost > st.lost_at_close)
    fprintf(stderr, "%s: writing %s failed: %s (%llu of %llu lines lost)\n", who, name,
            strerror(werr ? werr : EIO), (unsigned long long)(st.lost - st.lost_at_close),
            (unsigned long long)st.lines);
  if (st.lost_at_close)
    fprintf(stderr, "%s: %s: %llu of %llu lines were still queued at the shutdown deadline "
                    "(a stalled reader?): lost\n", who, name,
            (unsigned long long)st.lost_at_close, (unsigned long long)st.lines);
  if (st.dropped)
    fprintf(stderr, "%s: %s: %llu of %llu lines dropped: the %llu-byte output queue was full\n",
            who, name, (unsigned long long)st.dropped, (unsigned long long)st.lines,
            (unsigned long long)st.queue_bytes);
  if (st.too_long)
    fprintf(stderr, "%s: %llu lines longer than the line buffer were not written\n", who,
            (unsigned long long)st.too_long);
  return bad ? -1 : 0;
}

/* ---- shared formatting ------------------------------------------------------------- */

void
sof_pjson_num3(sof_json_t *j, double v) {
  char s[64];
  if (!isfinite(v)) v = 0;
  int n = snprintf(s, sizeof s, "%.3f", v);
  sof_json_raw(j, s, n > 0 && (size_t)n < sizeof s ? (size_t)n : 0);
}

int
sof_pjson_render(void const *state, sof_pjson_fields_fn fields, char *buf, size_t sz) {
  if (!buf || !sz) return -1;
  sof_json_t j;
  sof_json_init(&j, buf, sz);
  sof_json_obj_begin(&j);
  fields(state, &j);
  sof_json_obj_end(&j);
  if (!sof_json_ok(&j)) {
    buf[0] = '\0';
    return -1;
  }
  return (int)j.len;
}

void
sof_pjson_summary(sof_plugout_t *out, char const *type, void const *state, sof_pjson_fields_fn fields,
                  char *line_buf, size_t line_sz) {
  sof_json_t j;
  sof_json_init(&j, line_buf, line_sz);
  sof_json_obj_begin(&j);
  sof_json_key(&j, "type"); sof_json_str(&j, type);
  fields(state, &j);
  sof_json_obj_end(&j);
  sof_plugout_line(out, &j);
}

/* ---- the chain events' JSON objects ---------------------------------------------------- */

static void
pjson_marks(sof_json_t *j, sof_ev_marks_t const *m) {
  sof_json_key(j, "tip");       sof_pjson_slot(j, m->tip);
  sof_json_key(j, "confirmed"); sof_pjson_slot(j, m->confirmed);
  sof_json_key(j, "finalized"); sof_pjson_slot(j, m->finalized);
}

static void
pjson_slot_list(sof_json_t *j, uint64_t const *slots, uint32_t len) {
  if (len > SOF_EV_REORG_LIST_MAX) len = SOF_EV_REORG_LIST_MAX;
  sof_json_arr_begin(j);
  for (uint32_t i = 0; i < len; i++) sof_json_u64(j, slots[i]);
  sof_json_arr_end(j);
}

char const *
sof_pjson_slot_moment(sof_ev_slot_status_t const *ev) {
  return ev->event == SOF_SLOT_EV_FIRST_SHRED ? "first_shred"
         : ev->event == SOF_SLOT_EV_COMPLETE  ? "complete" : NULL;
}

void
sof_pjson_slot_status(sof_json_t *j, sof_ev_slot_status_t const *ev) {
  sof_json_key(j, "type"); sof_json_str(j, "slot_status");
  char const *moment = sof_pjson_slot_moment(ev);
  if (moment) {
    sof_json_key(j, "event"); sof_json_str(j, moment);
  }
  sof_json_key(j, "slot");           sof_json_u64(j, ev->slot);
  sof_json_key(j, "parent");         sof_pjson_slot(j, ev->parent);
  sof_json_key(j, "previousStatus"); sof_json_str(j, sof_slot_status_str(ev->prev_status));
  sof_json_key(j, "status");         sof_json_str(j, sof_slot_status_str(ev->status));
  pjson_marks(j, &ev->marks);
}

void
sof_pjson_reorg(sof_json_t *j, sof_ev_reorg_t const *ev) {
  sof_json_key(j, "type");           sof_json_str(j, "reorg");
  sof_json_key(j, "oldTip");         sof_pjson_slot(j, ev->old_tip);
  sof_json_key(j, "newTip");         sof_pjson_slot(j, ev->new_tip);
  sof_json_key(j, "commonAncestor"); sof_pjson_slot(j, ev->common_ancestor);
  sof_json_key(j, "detached");       pjson_slot_list(j, ev->detached, ev->detached_len);
  sof_json_key(j, "attached");       pjson_slot_list(j, ev->attached, ev->attached_len);
  sof_json_key(j, "detachedCount");  sof_json_u64(j, ev->detached_cnt);
  sof_json_key(j, "attachedCount");  sof_json_u64(j, ev->attached_cnt);
  pjson_marks(j, &ev->marks);
}

void
sof_pjson_recent_blockhash(sof_json_t *j, sof_ev_recent_blockhash_t const *ev) {
  sof_json_key(j, "type");      sof_json_str(j, "recent_blockhash");
  sof_json_key(j, "slot");      sof_json_u64(j, ev->slot);
  sof_json_key(j, "blockhash"); sof_json_b58_32(j, ev->blockhash);
  sof_json_key(j, "txCount");   sof_json_u64(j, ev->dataset_txn_cnt);
}

void
sof_pjson_key_or_null(sof_json_t *j, uint8_t const k[32]) {
  uint8_t acc = 0;
  for (unsigned i = 0; i < 32; i++) acc |= k[i];
  if (!acc) sof_json_null(j);
  else      sof_json_b58_32(j, k);
}

char const *
sof_pjson_leader_kind(sof_ev_leader_schedule_t const *ev) {
  return ev->kind == SOF_LEADER_EV_SNAPSHOT  ? "snapshot"
         : ev->kind == SOF_LEADER_EV_CURRENT ? "current" : "unknown";
}

void
sof_pjson_leader_schedule(sof_json_t *j, sof_ev_leader_schedule_t const *ev) {
  uint32_t n = ev->leader_cnt < SOF_EV_LEADERS_MAX ? ev->leader_cnt : SOF_EV_LEADERS_MAX;
  sof_json_key(j, "type");          sof_json_str(j, "leader_schedule");
  sof_json_key(j, "kind");          sof_json_str(j, sof_pjson_leader_kind(ev));
  sof_json_key(j, "firstSlot");     sof_json_u64(j, ev->first_slot);
  sof_json_key(j, "scheduleSlots"); sof_json_u64(j, ev->schedule_slots);
  sof_json_key(j, "leaders");
  sof_json_arr_begin(j);
  for (uint32_t i = 0; i < n; i++) sof_pjson_key_or_null(j, ev->leaders[i]);
  sof_json_arr_end(j);
}

void
sof_pjson_dataset(sof_json_t *j, sof_ev_dataset_t const *ev) {
  sof_json_key(j, "type");            sof_json_str(j, "dataset");
  sof_json_key(j, "slot");            sof_json_u64(j, ev->slot);
  sof_json_key(j, "parent");          sof_pjson_slot(j, ev->parent);
  sof_json_key(j, "startIndex");      sof_json_u64(j, ev->start_idx);
  sof_json_key(j, "endIndex");        sof_json_u64(j, ev->end_idx);
  sof_json_key(j, "lastInSlot");      sof_json_bool(j, ev->last_in_slot);
  sof_json_key(j, "shreds");          sof_json_u64(j, ev->shred_cnt);
  sof_json_key(j, "payloadLen");      sof_json_u64(j, ev->payload_sz);
  sof_json_key(j, "recoveredShreds"); sof_json_u64(j, ev->recovered_cnt);
  sof_json_key(j, "decoded");         sof_json_bool(j, ev->decoded);
  sof_json_key(j, "entries");         sof_json_u64(j, ev->entry_cnt);
  sof_json_key(j, "txCount");         sof_json_u64(j, ev->txn_cnt);
}
