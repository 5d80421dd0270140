/* rs_tool: sof_rs on stdin/stdout, for tests that compare it with another
 * implementation (tests/oracle/rs_oracle.mjs drives it).
 *
 *   rs_tool [-p] encode K M SZ
 *       stdin:  K data shards of SZ bytes, concatenated
 *       stdout: the M parity shards, concatenated
 *   rs_tool [-p] reconstruct K M SZ PRESENT [data]
 *       PRESENT: K+M characters '1' (shard valid) or '0' (lost), data first
 *       stdin:  the K+M shards, concatenated (lost ones: any bytes)
 *       stdout: the K+M shards after sof_rs_reconstruct; with `data` only
 *               missing data shards are rebuilt (missing parity passes
 *               through as read)
 *
 *   rs_tool kernels
 *       stdout: the kernels this CPU runs, one name a line
 *
 *   -p       use the portable kernel (sof_rs_force_portable)
 *   -k NAME  use kernel NAME (sof_rs_kernel_select); the environment
 *            variable SOF_RS_KERNEL does the same for every run
 *
 * Exit status: 0 done, 3 fewer than K shards present (nothing written),
 * 2 usage or I/O error. Messages go to stderr. */
#include "fec/sof_rs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
usage(void) {
  fprintf(stderr, "usage: rs_tool [-p | -k KERNEL] encode K M SZ\n"
                  "       rs_tool [-p | -k KERNEL] reconstruct K M SZ PRESENT [data]\n"
                  "       rs_tool kernels\n");
  return 2;
}

static int
parse_uint(char const *s, unsigned long max, unsigned long *out) {
  char *end;
  errno = 0;
  unsigned long v = strtoul(s, &end, 10);
  if (errno || end == s || *end || s[0] == '-' || v > max) return -1;
  *out = v;
  return 0;
}

static int
read_all(uint8_t *buf, size_t sz) {
  size_t got = 0;
  while (got < sz) {
    size_t r = fread(buf + got, 1, sz - got, stdin);
    if (!r) return -1;
    got += r;
  }
  return fgetc(stdin) == EOF ? 0 : -1; /* exactly sz bytes */
}

static int
write_all(uint8_t const *buf, size_t sz) {
  return fwrite(buf, 1, sz, stdout) == sz && fflush(stdout) == 0 ? 0 : -1;
}

int
main(int argc, char **argv) {
  int a = 1;
  if (a < argc && !strcmp(argv[a], "kernels")) {
    for (unsigned i = 0; sof_rs_kernel_at(i); i++) printf("%s\n", sof_rs_kernel_at(i));
    return fflush(stdout) ? 2 : 0;
  }
  if (a < argc && !strcmp(argv[a], "-p")) {
    sof_rs_force_portable(1);
    a++;
  } else if (a + 1 < argc && !strcmp(argv[a], "-k")) {
    if (sof_rs_kernel_select(argv[a + 1])) {
      fprintf(stderr, "rs_tool: kernel %s: unknown or not on this CPU\n", argv[a + 1]);
      return 2;
    }
    a += 2;
  }
  if (argc - a < 4) return usage();
  char const   *cmd = argv[a];
  unsigned long k, m, sz;
  if (parse_uint(argv[a + 1], SOF_RS_SHARDS_MAX, &k) || parse_uint(argv[a + 2], SOF_RS_SHARDS_MAX, &m) ||
      parse_uint(argv[a + 3], 1UL << 24, &sz))
    return usage();
  static sof_rs_t rs;
  if (sof_rs_init(&rs, (unsigned)k, (unsigned)m)) {
    fprintf(stderr, "rs_tool: bad shape k=%lu m=%lu (need k, m >= 1, k + m <= %u)\n", k, m,
            SOF_RS_SHARDS_MAX);
    return 2;
  }
  size_t   n   = k + m;
  uint8_t *buf = malloc(n * sz + 1);
  if (!buf) return 2;
  uint8_t *shards[SOF_RS_SHARDS_MAX];
  for (size_t i = 0; i < n; i++) shards[i] = buf + i * sz;
  int rc = 2;

  if (!strcmp(cmd, "encode") && argc - a == 4) {
    if (read_all(buf, k * sz)) {
      fprintf(stderr, "rs_tool: stdin must hold exactly %lu bytes\n", k * sz);
    } else {
      sof_rs_encode(&rs, (uint8_t const *const *)shards, shards + k, sz);
      rc = write_all(buf + k * sz, m * sz) ? 2 : 0;
    }
  } else if (!strcmp(cmd, "reconstruct") && (argc - a == 5 || argc - a == 6)) {
    char const *pres      = argv[a + 4];
    int         data_only = argc - a == 6;
    uint8_t     present[SOF_RS_SHARDS_MAX];
    if (data_only && strcmp(argv[a + 5], "data")) {
      free(buf);
      return usage();
    }
    if (strlen(pres) != n || strspn(pres, "01") != n) {
      fprintf(stderr, "rs_tool: PRESENT must be %zu characters 0 or 1\n", n);
    } else if (read_all(buf, n * sz)) {
      fprintf(stderr, "rs_tool: stdin must hold exactly %zu bytes\n", n * sz);
    } else {
      for (size_t i = 0; i < n; i++) present[i] = pres[i] == '1';
      if (sof_rs_reconstruct(&rs, shards, present, sz, data_only)) {
        fprintf(stderr, "rs_tool: fewer than %lu shards present\n", k);
        rc = 3;
      } else {
        rc = write_all(buf, n * sz) ? 2 : 0;
      }
    }
  } else {
    rc = usage();
  }
  free(buf);
  return rc;
}
