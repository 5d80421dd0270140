/* grpc_sched.c: where and how the grpc server thread runs: the `cpus`
 * list ([plugin.grpc] cpus = 1-3), SCHED_FIFO at `sched_priority`, and
 * what the kernel applied, read back for telemetry (docs/grpc.md,
 * "Placing the server thread"). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "grpc_int.h"

#define W (GRPC_CPU_MAX / 64)

static int
skip_blank(char const **p) {
  while (**p == ' ' || **p == '\t') (*p)++;
  return 0;
}

/* a decimal CPU number (at most 4 digits, below GRPC_CPU_MAX) */
static int
cpu_num(char const **p, unsigned *out) {
  unsigned v = 0, nd = 0;
  while (**p >= '0' && **p <= '9') {
    if (++nd > 4) return -1;
    v = v * 10U + (unsigned)(**p - '0');
    (*p)++;
  }
  if (!nd) return -1;
  *out = v;
  return 0;
}

int
grpc_cpus_parse(char const *list, unsigned ncpu, uint64_t mask[GRPC_CPU_MAX / 64], char *err,
                size_t err_sz) {
  memset(mask, 0, W * sizeof mask[0]);
  char const *p = list;
  int any = 0;
  for (;;) {
    unsigned a, b;
    skip_blank(&p);
    if (cpu_num(&p, &a)) goto bad;
    b = a;
    if (*p == '-') {
      p++;
      if (cpu_num(&p, &b)) goto bad;
    }
    skip_blank(&p);
    if (*p && *p != ',') goto bad;
    if (a > b) {
      snprintf(err, err_sz, "cpus: '%s': range %u-%u runs backwards", list, a, b);
      return -1;
    }
    if (b >= ncpu || b >= GRPC_CPU_MAX) {
      snprintf(err, err_sz, "cpus: '%s': CPU %u does not exist (this machine has CPUs 0-%u)", list, b,
               ncpu ? ncpu - 1 : 0);
      return -1;
    }
    for (unsigned i = a; i <= b; i++) mask[i / 64] |= 1ULL << (i % 64);
    any = 1;
    if (!*p) break;
    p++; /* ',' */
  }
  if (any) return 0;
bad:
  snprintf(err, err_sz, "cpus: '%s' is not a CPU list (e.g. 1, 1-3 or 0,2-3)", list);
  return -1;
}

void
grpc_cpus_format(uint64_t const mask[GRPC_CPU_MAX / 64], char *buf, size_t sz) {
  size_t off = 0;
  if (sz) buf[0] = 0;
  for (unsigned i = 0; i < GRPC_CPU_MAX && off < sz; i++) {
    if (!(mask[i / 64] >> (i % 64) & 1)) continue;
    unsigned j = i;
    while (j + 1 < GRPC_CPU_MAX && (mask[(j + 1) / 64] >> ((j + 1) % 64) & 1)) j++;
    int n = j > i ? snprintf(buf + off, sz - off, "%s%u-%u", off ? "," : "", i, j)
                  : snprintf(buf + off, sz - off, "%s%u", off ? "," : "", i);
    if (n < 0) break;
    off += (size_t)n;
    i = j;
  }
  if (off >= sz && sz) buf[sz - 1] = 0;
}

static void
set_to_mask(cpu_set_t const *set, uint64_t mask[W]) {
  memset(mask, 0, W * sizeof mask[0]);
  for (unsigned i = 0; i < GRPC_CPU_MAX && i < CPU_SETSIZE; i++)
    if (CPU_ISSET(i, set)) mask[i / 64] |= 1ULL << (i % 64);
}

/* idle_poll's round trip, tried on a thread of its own: SCHED_IDLE, then
 * back to the configured policy (leaving SCHED_IDLE needs CAP_SYS_NICE, or
 * RLIMIT_NICE >= 20, and for SCHED_FIFO RLIMIT_RTPRIO as well). */
typedef struct {
  uint32_t prio;
  int      rc; /* 0, or the errno of the step that failed; -1 for SCHED_IDLE itself */
} idle_try_t;

static void *
idle_try(void *arg) {
  idle_try_t *t = arg;
  struct sched_param sp = {0};
  if (pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp)) {
    t->rc = -1;
    return NULL;
  }
  sp.sched_priority = (int)t->prio;
  t->rc = pthread_setschedparam(pthread_self(), t->prio ? SCHED_FIFO : SCHED_OTHER, &sp);
  return NULL;
}

static int
idle_poll_check(grpc_cfg_t const *cfg, char *err, size_t err_sz) {
  idle_try_t t = {.prio = cfg->sched_priority};
  pthread_t th;
  if (pthread_create(&th, NULL, idle_try, &t) || pthread_join(th, NULL)) {
    snprintf(err, err_sz, "idle_poll: cannot try SCHED_IDLE on a thread");
    return -1;
  }
  if (t.rc == -1) {
    snprintf(err, err_sz, "idle_poll: this kernel refuses SCHED_IDLE");
    return -1;
  }
  if (t.rc) {
    snprintf(err, err_sz,
             "idle_poll: a thread may enter SCHED_IDLE but not leave it for %s here (%s): needs "
             "CAP_SYS_NICE (systemd: AmbientCapabilities=CAP_SYS_NICE) or %s; or idle_poll = false",
             cfg->sched_priority ? "SCHED_FIFO" : "SCHED_OTHER", strerror(t.rc),
             cfg->sched_priority ? "RLIMIT_NICE >= 20 and RLIMIT_RTPRIO >= sched_priority "
                                   "(LimitNICE=, LimitRTPRIO=)"
                                 : "RLIMIT_NICE >= 20 (LimitNICE=)");
    return -1;
  }
  return 0;
}

int
grpc_sched_create(grpc_srv_t *s, void *(*fn)(void *), char *err, size_t err_sz) {
  if (s->cfg.idle_poll && idle_poll_check(&s->cfg, err, err_sz)) return -1;
  grpc_cfg_t const *cfg = &s->cfg;
  pthread_attr_t at;
  if (pthread_attr_init(&at)) {
    snprintf(err, err_sz, "cannot start the server thread: pthread_attr_init failed");
    return -1;
  }
  cpu_set_t set, mine;
  CPU_ZERO(&set);
  int have_mine = !pthread_getaffinity_np(pthread_self(), sizeof mine, &mine);
  if (cfg->cpus_set) {
    for (unsigned i = 0; i < GRPC_CPU_MAX && i < CPU_SETSIZE; i++)
      if (cfg->cpus[i / 64] >> (i % 64) & 1) CPU_SET(i, &set);
  } else if (have_mine) {
    /* Off the caller's CPUs: sofd's main thread is pinned to the main
     * lcore, which busy-polls, and a thread inherits its creator's
     * affinity; there the server would run only when the scheduler
     * preempts the poll loop (milliseconds per record). The other online
     * CPUs, when there are any; else the caller's. */
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    for (long i = 0; i < ncpu && i < CPU_SETSIZE; i++)
      if (!CPU_ISSET((int)i, &mine)) CPU_SET((int)i, &set);
  }
  if (CPU_COUNT(&set)) pthread_attr_setaffinity_np(&at, sizeof set, &set);
  if (cfg->sched_priority) {
    struct sched_param sp = {.sched_priority = (int)cfg->sched_priority};
    if (pthread_attr_setinheritsched(&at, PTHREAD_EXPLICIT_SCHED) ||
        pthread_attr_setschedpolicy(&at, SCHED_FIFO) || pthread_attr_setschedparam(&at, &sp)) {
      pthread_attr_destroy(&at);
      snprintf(err, err_sz, "sched_priority %u: not a SCHED_FIFO priority here (%d..%d)",
               cfg->sched_priority, sched_get_priority_min(SCHED_FIFO), sched_get_priority_max(SCHED_FIFO));
      return -1;
    }
  }
  int rc = pthread_create(&s->thr, &at, fn, s);
  pthread_attr_destroy(&at);
  if (rc == EPERM && cfg->sched_priority) {
    snprintf(err, err_sz,
             "sched_priority %u: SCHED_FIFO refused for the server thread (%s): needs CAP_SYS_NICE "
             "or RLIMIT_RTPRIO >= %u (systemd: AmbientCapabilities=CAP_SYS_NICE or LimitRTPRIO=); "
             "or sched_priority = 0 (SCHED_OTHER)",
             cfg->sched_priority, strerror(rc),
             cfg->sched_priority);
    return -1;
  }
  if (rc == EINVAL && cfg->cpus_set) {
    char l[128];
    grpc_cpus_format(cfg->cpus, l, sizeof l);
    snprintf(err, err_sz, "cpus: %s: cannot place the server thread there (%s): none of them is "
             "online and in sofd's cpuset", l, strerror(rc));
    return -1;
  }
  if (rc) {
    snprintf(err, err_sz, "cannot start the server thread: %s", strerror(rc));
    return -1;
  }
  /* what the kernel applied */
  grpc_thread_info_t *ti = &s->thr_info;
  int pol = SCHED_OTHER;
  struct sched_param sp = {0};
  if (cfg->idle_poll) {
    /* the thread may be at SCHED_IDLE already; it was created with the
     * configured policy (pthread_create applied it or failed) */
    ti->fifo = cfg->sched_priority != 0;
    ti->priority = (int)cfg->sched_priority;
  } else if (!pthread_getschedparam(s->thr, &pol, &sp)) {
    ti->fifo = pol == SCHED_FIFO;
    ti->priority = pol == SCHED_FIFO || pol == SCHED_RR ? sp.sched_priority : 0;
  }
  cpu_set_t got;
  uint64_t m[W];
  if (!pthread_getaffinity_np(s->thr, sizeof got, &got)) {
    set_to_mask(&got, m);
    grpc_cpus_format(m, ti->cpus, sizeof ti->cpus);
  }
  ti->spin_us = cfg->spin_us;
  ti->idle_poll = (int)cfg->idle_poll;
  s->rt_priority = (uint64_t)ti->priority;
  if (cfg->cpus_set && have_mine) {
    CPU_AND(&got, &got, &mine);
    if (CPU_COUNT(&got)) {
      set_to_mask(&mine, m);
      char l[128];
      grpc_cpus_format(m, l, sizeof l);
      fprintf(stderr, "grpc: warning: cpus %s include CPU %s of the calling thread (on sofd: the main "
              "lcore, which busy-polls)%s\n", ti->cpus, l,
              cfg->idle_poll ? ": with idle_poll the server's SCHED_IDLE poll runs there only when the "
                               "poll loop yields, which it does not: give it other CPUs"
              : ti->fifo ? ": at SCHED_FIFO the server preempts its poll loop there"
                         : ": there the server runs only when the scheduler preempts the poll loop");
    }
  }
  return 0;
}

void
grpc_srv_thread_info(grpc_srv_t *s, grpc_thread_info_t *out) {
  *out = s->thr_info;
  out->tid = atomic_load_explicit(&s->tid, memory_order_relaxed);
}
