/* sof_bench.h: the measuring loop of the benchmark programs in bench/.
 *
 * sof_bench_report runs a case RUNS times, each run calling fn(ctx, ops)
 * which must perform `ops` operations and return a value folded into a
 * volatile sink (so nothing is optimised away), and prints the median run
 * as ns/op and ops/s. Figures, never assertions: benchmarks do not fail.
 *
 * Clock: wall clock (CLOCK_MONOTONIC) by default. With SOF_BENCH_CLOCK=cpu
 * in the environment, the calling thread's CPU time
 * (CLOCK_THREAD_CPUTIME_ID): on a machine shared with other jobs this
 * leaves out the time the thread was not scheduled (not the slowdown from
 * a busy sibling hyperthread or a cold cache after a switch). Only right
 * for cases whose work runs on the calling thread; each line says which
 * clock it used ("[cpu]" at its end). */
#ifndef SOF_BENCH_H
#define SOF_BENCH_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define SOF_BENCH_RUNS 9

static volatile uint64_t sof_bench_sink;

static inline uint64_t
sof_bench_ns_on(clockid_t clk) {
  struct timespec ts;
  clock_gettime(clk, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* 1 when SOF_BENCH_CLOCK=cpu (read once): sof_bench_report then prints
 * thread CPU time. */
static inline int
sof_bench_clock_is_cpu(void) {
  static int cpu = -1;
  if (cpu < 0) {
    char const *e = getenv("SOF_BENCH_CLOCK");
    cpu = e && e[0] == 'c' && e[1] == 'p' && e[2] == 'u' && e[3] == 0;
  }
  return cpu;
}

/* The clock sof_bench_report uses. */
static inline uint64_t
sof_bench_now_ns(void) {
  return sof_bench_ns_on(sof_bench_clock_is_cpu() ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC);
}

static inline uint64_t
sof_bench_cpu_ns(void) {
  return sof_bench_ns_on(CLOCK_THREAD_CPUTIME_ID);
}

static int
sof_bench_cmp_dbl_(void const *a, void const *b) {
  double x = *(double const *)a, y = *(double const *)b;
  return (x > y) - (x < y);
}

/* The runs of one case, after one warm-up call: wall[r] and cpu[r] are
 * run r's ns per op on the wall clock and the thread's CPU clock, each
 * array sorted. */
static inline void
sof_bench_runs_(uint64_t (*fn)(void *ctx, uint64_t ops), void *ctx, uint64_t ops,
                double wall[SOF_BENCH_RUNS], double cpu[SOF_BENCH_RUNS]) {
  sof_bench_sink += fn(ctx, ops / 10 + 1); /* warm caches and branch predictors */
  for (int r = 0; r < SOF_BENCH_RUNS; r++) {
    uint64_t c0 = sof_bench_cpu_ns(), t0 = sof_bench_ns_on(CLOCK_MONOTONIC);
    sof_bench_sink += fn(ctx, ops);
    uint64_t t1 = sof_bench_ns_on(CLOCK_MONOTONIC), c1 = sof_bench_cpu_ns();
    wall[r] = (double)(t1 - t0) / (double)ops;
    cpu[r] = (double)(c1 - c0) / (double)ops;
  }
  qsort(wall, SOF_BENCH_RUNS, sizeof wall[0], sof_bench_cmp_dbl_);
  qsort(cpu, SOF_BENCH_RUNS, sizeof cpu[0], sof_bench_cmp_dbl_);
}

/* Returns the median ns per op and prints one line:
 *   <name>  <ns/op> ns/op  <ops/s> ops/s  (median of 9 runs x ops) */
static inline double
sof_bench_report(char const *name, uint64_t (*fn)(void *ctx, uint64_t ops), void *ctx,
                 uint64_t ops) {
  double wall[SOF_BENCH_RUNS], cpu[SOF_BENCH_RUNS];
  sof_bench_runs_(fn, ctx, ops, wall, cpu);
  int is_cpu = sof_bench_clock_is_cpu();
  double const *ns = is_cpu ? cpu : wall;
  double med = ns[SOF_BENCH_RUNS / 2];
  printf("%-44s %10.1f ns/op %14.0f ops/s  (median of %d runs x %llu; min %.1f max %.1f)%s\n",
         name, med, 1e9 / med, SOF_BENCH_RUNS, (unsigned long long)ops, ns[0],
         ns[SOF_BENCH_RUNS - 1], is_cpu ? " [cpu]" : "");
  fflush(stdout);
  return med;
}

/* sof_bench_report_cpu is sof_bench_report timed by the calling thread's
 * CPU clock (CLOCK_THREAD_CPUTIME_ID) whatever SOF_BENCH_CLOCK says, with
 * the wall clock's median beside it: on a shared machine a run the
 * scheduler preempts gains whole time slices of wall time (on the 2-vCPU
 * CI class a 1.5 ms run of bench_rs gained 4 ms, +20 us per op) but no
 * CPU time. Returns the CPU time median in ns per op. */
static inline double
sof_bench_report_cpu(char const *name, uint64_t (*fn)(void *ctx, uint64_t ops), void *ctx,
                     uint64_t ops) {
  double wall[SOF_BENCH_RUNS], cpu[SOF_BENCH_RUNS];
  sof_bench_runs_(fn, ctx, ops, wall, cpu);
  double med = cpu[SOF_BENCH_RUNS / 2];
  printf("%-44s %10.1f ns/op %14.0f ops/s  (thread CPU, median of %d runs x %llu; min %.1f max %.1f; "
         "wall median %.1f)\n",
         name, med, 1e9 / med, SOF_BENCH_RUNS, (unsigned long long)ops, cpu[0], cpu[SOF_BENCH_RUNS - 1],
         wall[SOF_BENCH_RUNS / 2]);
  fflush(stdout);
  return med;
}

#endif /* SOF_BENCH_H */
