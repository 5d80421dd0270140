/* The output sink's writer thread (sof_plugout_*, plugins/common): the
 * plugin's side never blocks (a FIFO nobody reads: every call returns at
 * once, close returns by the deadline, every line is written, lost or
 * dropped, counted exactly), a failed write counts every line lost
 * (/dev/full), flush_ms writes a lone line without a later one, a reopen
 * after a rename writes to the new file (logrotate create), and a
 * truncation under the writer (logrotate copytruncate) leaves no NUL
 * bytes (O_APPEND). */
#include "plugin_test.h"

#include <poll.h>
#include <sys/stat.h>
#include <time.h>

#include "common/sof_plugin_common.h"

static uint64_t
mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* One 30-byte line: {"n":"<21 digits>"} and the newline. */
static void
line30(sof_plugout_t *o, unsigned v) {
  char b[64], s[32];
  sof_json_t j;
  sof_json_init(&j, b, sizeof b);
  snprintf(s, sizeof s, "%021u", v);
  sof_json_obj_begin(&j);
  sof_json_key(&j, "n"); sof_json_str(&j, s);
  sof_json_obj_end(&j);
  sof_plugout_line(o, &j);
}

/* Waits up to ms for the sink to have written want lines; the ms it took. */
static double
wait_written(sof_plugout_t *o, uint64_t want, unsigned ms) {
  uint64_t t0 = mono_ns();
  sof_plugout_stats_t st;
  for (;;) {
    sof_plugout_stats(o, &st);
    if (st.written >= want || mono_ns() - t0 > (uint64_t)ms * 1000000ULL) break;
    usleep(1000);
  }
  return (double)(mono_ns() - t0) / 1e6;
}

static size_t
count_nul(char const *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return (size_t)-1;
  size_t n = 0;
  int c;
  while ((c = fgetc(f)) != EOF) n += c == 0;
  fclose(f);
  return n;
}

static size_t
file_size(char const *path) {
  struct stat sb;
  return stat(path, &sb) ? (size_t)-1 : (size_t)sb.st_size;
}

/* A FIFO with a reader that never reads: 100000 lines into a 64 KiB
 * queue. Each call returns at once; close gives up at the deadline;
 * written (what the reader then finds) + lost + dropped = every line. */
static void
test_stalled_reader(void) {
  char dir[256], fifo[300], err[256];
  snprintf(dir, sizeof dir, "%s/sof_test_fifo_XXXXXX", getenv("TMPDIR") && getenv("TMPDIR")[0] ? getenv("TMPDIR") : "/tmp");
  SOF_CHECK(mkdtemp(dir) != NULL);
  snprintf(fifo, sizeof fifo, "%s/out", dir);
  SOF_CHECK_EQ(mkfifo(fifo, 0600), 0);
  int rfd = open(fifo, O_RDONLY | O_NONBLOCK);
  SOF_CHECK(rfd >= 0);
  sof_plugout_t o;
  SOF_CHECK_EQ(sof_plugout_open(&o, fifo, "stdout", 64U << 10, 0, 0, err, sizeof err), 0);
  unsigned const n = 100000;
  /* The reader never reads: a call that waited for the writer would never
   * return (the test's timeout would end it). No clock is checked here:
   * how fast the copies are is bench's business, not a test's. */
  for (unsigned i = 0; i < n; i++) line30(&o, i);
  usleep(50000); /* the writer fills the FIFO, then waits */
  sof_plugout_stats_t st;
  sof_plugout_stats(&o, &st);
  SOF_CHECK_EQ(st.lines, n);
  SOF_CHECK(st.dropped > 0);
  SOF_CHECK(st.written > 0 && st.written < n);
  SOF_CHECK_EQ(st.lost, 0);
  SOF_CHECK_EQ(st.write_errors, 0);
  uint64_t lost0 = sof_plugout_lost_total();
  sof_plugout_drain_deadline(300);
  capture_t c;
  capture_begin(&c, stderr);
  uint64_t t0 = mono_ns();
  SOF_CHECK_EQ(sof_plugout_close(&o, "t"), -1);
  double close_ms = (double)(mono_ns() - t0) / 1e6;
  char *e = capture_end(&c);
  /* close waits for the 300 ms deadline, then gives up (a close that
   * ignored it would wait for the reader forever) */
  SOF_CHECK(close_ms >= 250 && close_ms < 30000);
  SOF_CHECK(strstr(e, "lines were still queued at the shutdown deadline") != NULL);
  SOF_CHECK(strstr(e, "lines dropped: the 65536-byte output queue was full") != NULL);
  free(e);
  /* what reached the reader: whole lines only, and exactly what was
   * counted written */
  char buf[4096];
  uint64_t bytes = 0, nl = 0;
  ssize_t r;
  while ((r = read(rfd, buf, sizeof buf)) > 0) {
    bytes += (uint64_t)r;
    for (ssize_t i = 0; i < r; i++) nl += buf[i] == '\n';
  }
  close(rfd);
  SOF_CHECK_EQ(bytes, nl * 30);
  uint64_t lost = sof_plugout_lost_total() - lost0;
  SOF_CHECK_EQ(nl + lost, n); /* written + lost + dropped: every line */
  SOF_CHECK(lost > st.dropped);   /* the queue's lines at the deadline too */
  unlink(fifo);
  rmdir(dir);
  sof_plugout_drain_deadline(5000);
}

/* /dev/full: every line lost, counted, said at close. */
static void
test_full(void) {
  if (access("/dev/full", W_OK)) return;
  char err[256];
  sof_plugout_t o;
  SOF_CHECK_EQ(sof_plugout_open(&o, "/dev/full", "stdout", 0, 0, 0, err, sizeof err), 0);
  for (unsigned i = 0; i < 1000; i++) line30(&o, i);
  uint64_t t0 = mono_ns();
  sof_plugout_stats_t st;
  do {
    usleep(2000);
    sof_plugout_stats(&o, &st);
  } while (st.lost < 1000 && mono_ns() - t0 < 2000000000ULL);
  SOF_CHECK_EQ(st.lines, 1000);
  SOF_CHECK_EQ(st.lost, 1000);
  SOF_CHECK_EQ(st.written, 0);
  SOF_CHECK(st.write_errors >= 1);
  SOF_CHECK_EQ(st.dropped, 0);
  char out[512];
  sof_json_t j;
  sof_json_init(&j, out, sizeof out);
  sof_json_obj_begin(&j);
  sof_plugout_json_fields(&o, &j);
  sof_json_obj_end(&j);
  SOF_CHECK(sof_json_ok(&j));
  out[j.len] = '\0';
  SOF_CHECK(strstr(out, "\"output_lost\":1000,") != NULL);
  SOF_CHECK(strstr(out, "\"output_written\":0,") != NULL);
  uint64_t lost0 = sof_plugout_lost_total();
  capture_t c;
  capture_begin(&c, stderr);
  SOF_CHECK_EQ(sof_plugout_close(&o, "t"), -1);
  char *e = capture_end(&c);
  SOF_CHECK_STR(e, "t: writing /dev/full failed: No space left on device (1000 of 1000 lines lost)\n");
  free(e);
  SOF_CHECK_EQ(sof_plugout_lost_total() - lost0, 1000);
}

/* flush_ms: a lone line is written about flush_ms after it came, with no
 * later line and no close. */
static void
test_flush_ms(void) {
  char path[256], err[256];
  tmp_path(path, sizeof path, "flush");
  sof_plugout_t o;
  SOF_CHECK_EQ(sof_plugout_open(&o, path, "stdout", 0, 200, 0, err, sizeof err), 0);
  line30(&o, 1);
  usleep(50000);
  SOF_CHECK_EQ(file_size(path), 0); /* still waiting for its flush_ms */
  double ms = 50 + wait_written(&o, 1, 3000);
  SOF_CHECK(ms >= 150 && ms < 600);
  SOF_CHECK_EQ(file_size(path), 30);
  /* the sink is still open: nothing else pushed it out */
  sof_plugout_stats_t st;
  sof_plugout_stats(&o, &st);
  SOF_CHECK_EQ(st.written, 1);
  SOF_CHECK_EQ(sof_plugout_close(&o, "t"), 0);
  unlink(path);

  /* flush_ms 0: at once (within a few ms) */
  tmp_path(path, sizeof path, "flush0");
  SOF_CHECK_EQ(sof_plugout_open(&o, path, "stdout", 0, 0, 0, err, sizeof err), 0);
  line30(&o, 2);
  SOF_CHECK(wait_written(&o, 1, 3000) < 100);
  SOF_CHECK_EQ(file_size(path), 30);
  SOF_CHECK_EQ(sof_plugout_close(&o, "t"), 0);
  unlink(path);
}

/* logrotate create: rename, reopen, the next lines go to a new file at the
 * path; nothing lost. */
static void
test_reopen(void) {
  char path[256], moved[300], err[256];
  tmp_path(path, sizeof path, "reopen");
  snprintf(moved, sizeof moved, "%s.1", path);
  sof_plugout_t o;
  SOF_CHECK_EQ(sof_plugout_open(&o, path, "stdout", 0, 0, 0, err, sizeof err), 0);
  for (unsigned i = 0; i < 10; i++) line30(&o, i);
  wait_written(&o, 10, 3000);
  SOF_CHECK_EQ(rename(path, moved), 0);
  sof_plugout_reopen_all();
  sof_plugout_stats_t st;
  uint64_t t0 = mono_ns();
  do {
    usleep(1000);
    sof_plugout_stats(&o, &st);
  } while (!st.reopens && mono_ns() - t0 < 2000000000ULL);
  SOF_CHECK_EQ(st.reopens, 1);
  for (unsigned i = 10; i < 15; i++) line30(&o, i);
  SOF_CHECK_EQ(sof_plugout_close(&o, "t"), 0);
  SOF_CHECK_EQ(file_size(moved), 10 * 30);
  SOF_CHECK_EQ(file_size(path), 5 * 30);
  char *s = read_file(path);
  SOF_CHECK(!strncmp(s, "{\"n\":\"000000000000000000010\"}\n", 30));
  free(s);
  unlink(path);
  unlink(moved);
}

/* logrotate copytruncate: the file truncated under the writer; the next
 * lines start at offset 0 (O_APPEND), no hole of NUL bytes. */
static void
test_copytruncate(void) {
  char path[256], err[256];
  tmp_path(path, sizeof path, "ctrunc");
  sof_plugout_t o;
  SOF_CHECK_EQ(sof_plugout_open(&o, path, "stdout", 0, 0, 0, err, sizeof err), 0);
  for (unsigned i = 0; i < 100; i++) line30(&o, i);
  wait_written(&o, 100, 3000);
  SOF_CHECK_EQ(file_size(path), 100 * 30);
  SOF_CHECK_EQ(truncate(path, 0), 0);
  for (unsigned i = 0; i < 5; i++) line30(&o, i);
  wait_written(&o, 105, 3000);
  SOF_CHECK_EQ(sof_plugout_close(&o, "t"), 0);
  SOF_CHECK_EQ(file_size(path), 5 * 30);
  SOF_CHECK_EQ(count_nul(path), 0);
  unlink(path);
}

/* The queue wraps: lines cut across its end arrive whole and in order. */
static void
test_wrap(void) {
  char path[256], err[256];
  tmp_path(path, sizeof path, "wrap");
  sof_plugout_t o;
  SOF_CHECK_EQ(sof_plugout_open(&o, path, "stdout", 4096 + 7, 0, 0, err, sizeof err), 0);
  unsigned const n = 20000;
  for (unsigned i = 0; i < n; i++) {
    line30(&o, i);
    if (i % 64 == 0) wait_written(&o, i + 1, 3000); /* never full */
  }
  sof_plugout_stats_t st;
  sof_plugout_stats(&o, &st);
  SOF_CHECK_EQ(st.dropped, 0);
  SOF_CHECK_EQ(sof_plugout_close(&o, "t"), 0);
  char *s = read_file(path);
  SOF_CHECK_EQ(strlen(s), (size_t)n * 30);
  int ok = 1;
  for (unsigned i = 0; i < n && ok; i++) {
    char want[32];
    snprintf(want, sizeof want, "{\"n\":\"%021u\"}\n", i);
    ok = !strncmp(s + (size_t)i * 30, want, 30);
  }
  SOF_CHECK(ok);
  free(s);
  unlink(path);
}

int
main(void) {
  test_stalled_reader();
  test_full();
  test_flush_ms();
  test_reopen();
  test_copytruncate();
  test_wrap();
  return sof_test_done("test_plugout");
}
