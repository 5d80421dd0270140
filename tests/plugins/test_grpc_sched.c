/* test_grpc_sched.c: the grpc plugin's `cpus` lists (plugins/grpc/
 * grpc_srv.h: grpc_cpus_parse, grpc_cpus_format): the accepted forms, the
 * refused ones with their messages, and the list written back. Placing
 * and scheduling the thread is tested through sofd
 * (tests/test_sofd_grpc_sched.py). */
#include <stdint.h>
#include <string.h>

#include "../plugins/grpc/grpc_srv.h"
#include "sof_test.h"

static int
has(uint64_t const *m, unsigned cpu) {
  return (int)(m[cpu / 64] >> (cpu % 64) & 1);
}

static unsigned
count(uint64_t const *m) {
  unsigned n = 0;
  for (unsigned i = 0; i < GRPC_CPU_MAX / 64; i++) n += (unsigned)__builtin_popcountll(m[i]);
  return n;
}

/* parse then format: the list as grpc_cpus_format writes it */
static void
round_trip(char const *in, unsigned ncpu, char const *want) {
  uint64_t m[GRPC_CPU_MAX / 64];
  char err[256] = "", out[256];
  SOF_CHECK_EQ(grpc_cpus_parse(in, ncpu, m, err, sizeof err), 0);
  grpc_cpus_format(m, out, sizeof out);
  SOF_CHECK_STR(out, want);
}

static void
refused(char const *in, unsigned ncpu, char const *msg) {
  uint64_t m[GRPC_CPU_MAX / 64];
  char err[256] = "";
  SOF_CHECK_EQ(grpc_cpus_parse(in, ncpu, m, err, sizeof err), -1);
  SOF_CHECK(strstr(err, msg) != NULL);
  SOF_CHECK(strncmp(err, "cpus: ", 6) == 0);
}

static void
test_accepted(void) {
  uint64_t m[GRPC_CPU_MAX / 64];
  char err[256];
  SOF_CHECK_EQ(grpc_cpus_parse("1", 2, m, err, sizeof err), 0);
  SOF_CHECK(has(m, 1) && !has(m, 0));
  SOF_CHECK_EQ(count(m), 1);
  SOF_CHECK_EQ(grpc_cpus_parse("1-3", 4, m, err, sizeof err), 0);
  SOF_CHECK(!has(m, 0) && has(m, 1) && has(m, 2) && has(m, 3));
  SOF_CHECK_EQ(count(m), 3);
  SOF_CHECK_EQ(grpc_cpus_parse("0,2-3", 4, m, err, sizeof err), 0);
  SOF_CHECK(has(m, 0) && !has(m, 1) && has(m, 2) && has(m, 3));
  /* CPUs across a word boundary, up to the last one */
  SOF_CHECK_EQ(grpc_cpus_parse("62-65,1023", 1024, m, err, sizeof err), 0);
  SOF_CHECK(has(m, 62) && has(m, 63) && has(m, 64) && has(m, 65) && has(m, 1023));
  SOF_CHECK_EQ(count(m), 5);
  round_trip("1", 2, "1");
  round_trip(" 1 , 3 ", 4, "1,3");
  round_trip("3,1,2", 4, "1-3");
  round_trip("0,2-3,2", 8, "0,2-3");
  round_trip("5-5", 8, "5");
  round_trip("0-7", 8, "0-7");
  round_trip("62-65,1023", 1024, "62-65,1023");
}

static void
test_refused(void) {
  refused("", 4, "not a CPU list");
  refused(" ", 4, "not a CPU list");
  refused("a", 4, "not a CPU list");
  refused("1-", 4, "not a CPU list");
  refused("-1", 4, "not a CPU list");
  refused("1,,2", 4, "not a CPU list");
  refused("1,", 4, "not a CPU list");
  refused("1 2", 4, "not a CPU list");
  refused("0x1", 4, "not a CPU list");
  refused("10000", 1024, "not a CPU list");
  refused("3-1", 4, "runs backwards");
  refused("4", 4, "CPU 4 does not exist (this machine has CPUs 0-3)");
  refused("0-4", 4, "CPU 4 does not exist");
  refused("1024", 2048, "CPU 1024 does not exist");
}

static void
test_format_bounds(void) {
  uint64_t m[GRPC_CPU_MAX / 64];
  memset(m, 0, sizeof m);
  char out[8] = "x";
  grpc_cpus_format(m, out, sizeof out);
  SOF_CHECK_STR(out, "");
  for (unsigned i = 0; i < 40; i += 2) m[0] |= 1ULL << i; /* "0,2,4,...": longer than out */
  grpc_cpus_format(m, out, sizeof out);
  SOF_CHECK(strlen(out) < sizeof out);
  SOF_CHECK(strncmp(out, "0,2,4", 5) == 0);
}

int
main(void) {
  test_accepted();
  test_refused();
  test_format_bounds();
  return sof_test_done("test_grpc_sched");
}
