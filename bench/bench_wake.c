/* bench_wake: what a cross-CPU wake-up costs on this machine (issue #20).
 *
 *   bench_wake [WRITER_CPU [SLEEPER_CPU [FIFO_PRIORITY]]]   (default 0 1, no FIFO)
 *
 * The grpc plugin's hook writes the server thread's eventfd when that
 * thread sleeps in epoll_wait (grpc_srv_notify); the write is the part of
 * the hook that is not the plugin's own work, and on a virtual machine it
 * is most of the hook's cost. This program measures it apart from sofd:
 *
 *   - an eventfd write that wakes nobody (the system call alone);
 *   - an eventfd write that wakes a thread sleeping in epoll_wait on
 *     SLEEPER_CPU, that CPU otherwise idle: the writer's time in write()
 *     (what the hook pays) and the time until the sleeper runs;
 *   - the same with SLEEPER_CPU kept busy by a SCHED_OTHER spinning thread
 *     (as when the generator or a client runs there).
 *
 * Each wake-up case: 2000 wake-ups per run, 50 us apart (the sleeper is
 * back in epoll_wait before the next), median of 9 runs of the mean; the
 * latency line is the median wake-up of the middle run. FIFO_PRIORITY runs
 * the sleeper at SCHED_FIFO (as [plugin.grpc] sched_priority); refused
 * without CAP_SYS_NICE (then the line says SCHED_OTHER). Figures, never
 * assertions. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "sof_bench.h"

#define WAKES 2000

typedef struct {
  int efd, ep, cpu, fifo;
  _Atomic int stop, spin_stop, policy_fifo;
  _Atomic uint64_t woke_ns; /* the sleeper's clock right after epoll_wait returned */
} wake_t;

static uint64_t
mono(void) {
  return sof_bench_ns_on(CLOCK_MONOTONIC);
}

static void
pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

static void *
sleeper(void *arg) {
  wake_t *w = arg;
  pin(w->cpu);
  if (w->fifo) {
    struct sched_param sp = {.sched_priority = w->fifo};
    atomic_store(&w->policy_fifo, pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp) == 0);
  }
  while (!atomic_load(&w->stop)) {
    struct epoll_event ev;
    int n = epoll_wait(w->ep, &ev, 1, 100);
    if (n <= 0) continue;
    uint64_t v; /* reset the level first: a stamp then always has its own write */
    if (read(w->efd, &v, sizeof v) < 0) { /* nothing to do */ }
    atomic_store(&w->woke_ns, mono());
  }
  return NULL;
}

static void *
spinner(void *arg) {
  wake_t *w = arg;
  pin(w->cpu);
  while (!atomic_load_explicit(&w->spin_stop, memory_order_relaxed)) __builtin_ia32_pause();
  return NULL;
}

static int
cmp_u64(void const *a, void const *b) {
  uint64_t x = *(uint64_t const *)a, y = *(uint64_t const *)b;
  return (x > y) - (x < y);
}

/* One run: WAKES wake-ups; mean ns in write(), median wake-up latency. */
static void
run_wakes(wake_t *w, double *write_mean, double *lat_med) {
  static uint64_t lat[WAKES];
  uint64_t in_write = 0;
  for (int i = 0; i < WAKES; i++) {
    uint64_t t = mono();
    while (mono() - t < 50000) __builtin_ia32_pause(); /* the sleeper is back asleep */
    atomic_store(&w->woke_ns, 0);
    uint64_t one = 1, a = mono();
    if (write(w->efd, &one, sizeof one) < 0) perror("write");
    uint64_t b = mono();
    in_write += b - a;
    uint64_t wk;
    while (!(wk = atomic_load(&w->woke_ns)) && mono() - a < 100000000) __builtin_ia32_pause();
    lat[i] = wk > a ? wk - a : 0;
  }
  qsort(lat, WAKES, sizeof lat[0], cmp_u64);
  *write_mean = (double)in_write / WAKES;
  *lat_med = (double)lat[WAKES / 2];
}

static void
report_wakes(char const *name, wake_t *w) {
  double wr[SOF_BENCH_RUNS], lt[SOF_BENCH_RUNS];
  for (int r = 0; r < SOF_BENCH_RUNS; r++) run_wakes(w, &wr[r], &lt[r]);
  qsort(wr, SOF_BENCH_RUNS, sizeof wr[0], sof_bench_cmp_dbl_);
  qsort(lt, SOF_BENCH_RUNS, sizeof lt[0], sof_bench_cmp_dbl_);
  printf("%-44s %10.1f ns/op %14.0f ops/s  (writer's time in write(); median of %d runs x %d; "
         "min %.1f max %.1f); the sleeper ran %.1f us after the write (median)\n",
         name, wr[SOF_BENCH_RUNS / 2], 1e9 / wr[SOF_BENCH_RUNS / 2], SOF_BENCH_RUNS, WAKES, wr[0],
         wr[SOF_BENCH_RUNS - 1], lt[SOF_BENCH_RUNS / 2] / 1e3);
  fflush(stdout);
}

static uint64_t
write_nobody(void *ctx, uint64_t ops) {
  wake_t *w = ctx;
  uint64_t one = 1, v;
  for (uint64_t i = 0; i < ops; i++) {
    if (write(w->efd, &one, sizeof one) < 0) perror("write");
    if ((i & 1023) == 1023 && read(w->efd, &v, sizeof v) < 0) perror("read");
  }
  return ops;
}

int
main(int argc, char **argv) {
  int wcpu = argc > 1 ? atoi(argv[1]) : 0;
  int scpu = argc > 2 ? atoi(argv[2]) : 1;
  int fifo = argc > 3 ? atoi(argv[3]) : 0;
  if (argc > 4 || wcpu < 0 || scpu < 0 || fifo < 0 || fifo > 99) {
    fprintf(stderr, "usage: bench_wake [WRITER_CPU [SLEEPER_CPU [FIFO_PRIORITY 1..99]]]\n");
    return 2;
  }
  pin(wcpu);
  wake_t w = {.cpu = scpu, .fifo = fifo};
  w.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  w.ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN};
  if (w.efd < 0 || w.ep < 0 || epoll_ctl(w.ep, EPOLL_CTL_ADD, w.efd, &ev)) {
    perror("bench_wake: eventfd / epoll");
    return 1;
  }
  printf("bench_wake: writer on CPU %d, sleeper on CPU %d\n", wcpu, scpu);
  /* the baseline, before the sleeper exists: a write nobody waits for */
  sof_bench_report("eventfd write, nobody asleep", write_nobody, &w, 20000);

  pthread_t th;
  if (pthread_create(&th, NULL, sleeper, &w)) return 1;
  usleep(20000);
  char name[96];
  char const *pol = atomic_load(&w.policy_fifo) ? "SCHED_FIFO" : "SCHED_OTHER";
  snprintf(name, sizeof name, "eventfd write waking CPU %d (idle, %s)", scpu, pol);
  report_wakes(name, &w);

  pthread_t sp;
  wake_t spin = {.cpu = scpu};
  if (pthread_create(&sp, NULL, spinner, &spin)) return 1;
  usleep(20000);
  snprintf(name, sizeof name, "eventfd write waking CPU %d (busy, %s)", scpu, pol);
  report_wakes(name, &w);
  atomic_store(&spin.spin_stop, 1);
  pthread_join(sp, NULL);

  atomic_store(&w.stop, 1);
  uint64_t one = 1;
  if (write(w.efd, &one, sizeof one) < 0) perror("write");
  pthread_join(th, NULL);
  return 0;
}
