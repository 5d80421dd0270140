/* sof_test.h: the tiny harness every test program in tests/ uses.
 *
 * A test program is a main() that runs checks; each failed check prints
 * file:line and the values involved, and the program's exit code is the
 * verdict meson reads: 0 pass, 1 fail, 77 skip (SOF_TEST_SKIP).
 *
 * Vectors from ../shared/vectors are found through the SOF_VECTORS
 * environment variable, defaulting to the path the build was configured with
 * (SOF_VECTORS_DEFAULT, i.e. <source>/../shared/vectors). */
#ifndef SOF_TEST_H
#define SOF_TEST_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>

#define SOF_TEST_SKIP_CODE 77

static int sof_test_fail_cnt;
static int sof_test_check_cnt;

#define SOF_CHECK(cond) do {                                                   \
    sof_test_check_cnt++;                                                      \
    if (!(cond)) {                                                             \
      sof_test_fail_cnt++;                                                     \
      fprintf(stderr, "%s:%d: FAIL: %s\n", __FILE__, __LINE__, #cond);         \
    }                                                                          \
  } while (0)

#define SOF_CHECK_EQ(a, b) do {                                                \
    unsigned long long sof_a_ = (unsigned long long)(a);                       \
    unsigned long long sof_b_ = (unsigned long long)(b);                       \
    sof_test_check_cnt++;                                                      \
    if (sof_a_ != sof_b_) {                                                    \
      sof_test_fail_cnt++;                                                     \
      fprintf(stderr, "%s:%d: FAIL: %s == %s (%llu != %llu)\n",                \
              __FILE__, __LINE__, #a, #b, sof_a_, sof_b_);                     \
    }                                                                          \
  } while (0)

#define SOF_CHECK_STR(a, b) do {                                               \
    char const *sof_a_ = (a);                                                  \
    char const *sof_b_ = (b);                                                  \
    sof_test_check_cnt++;                                                      \
    if (!sof_a_ || !sof_b_ || strcmp(sof_a_, sof_b_)) {                        \
      sof_test_fail_cnt++;                                                     \
      fprintf(stderr, "%s:%d: FAIL: %s == %s (\"%s\" != \"%s\")\n",            \
              __FILE__, __LINE__, #a, #b, sof_a_ ? sof_a_ : "(null)",          \
              sof_b_ ? sof_b_ : "(null)");                                     \
    }                                                                          \
  } while (0)

#define SOF_CHECK_MEM(a, b, n) do {                                            \
    sof_test_check_cnt++;                                                      \
    if (memcmp((a), (b), (n))) {                                               \
      sof_test_fail_cnt++;                                                     \
      fprintf(stderr, "%s:%d: FAIL: memcmp(%s, %s, %s)\n",                     \
              __FILE__, __LINE__, #a, #b, #n);                                 \
    }                                                                          \
  } while (0)

/* splitmix64: the next value of the sequence *state walks (any seed). For
 * test inputs only. */
static inline uint64_t
sof_test_rng(uint64_t *state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

/* Ends the program: prints the tally and returns the meson verdict. */
static inline int
sof_test_done(char const *name) {
  fprintf(stderr, "%s: %d checks, %d failed\n", name, sof_test_check_cnt,
          sof_test_fail_cnt);
  if (sof_test_check_cnt == 0) {
    fprintf(stderr, "%s: ran no check: failing\n", name);
    return 1;
  }
  return sof_test_fail_cnt ? 1 : 0;
}

/* Directory of the shared vectors, or NULL when absent. */
static inline char const *
sof_test_vectors_dir(void) {
  char const *dir = getenv("SOF_VECTORS");
#ifdef SOF_VECTORS_DEFAULT
  if (!dir || !dir[0]) dir = SOF_VECTORS_DEFAULT;
#endif
  if (!dir || !dir[0]) return NULL;
  struct stat st;
  if (stat(dir, &st) || !S_ISDIR(st.st_mode)) return NULL;
  return dir;
}

/* Returns the vectors dir or exits with the skip code and a clear message. */
static inline char const *
sof_test_require_vectors(char const *name) {
  char const *dir = sof_test_vectors_dir();
  if (!dir) {
    fprintf(stderr, "%s: SKIP: shared vectors not found (set SOF_VECTORS to "
            "the shared/vectors directory)\n", name);
    exit(SOF_TEST_SKIP_CODE);
  }
  return dir;
}

/* Reads <dir>/<rel> into a fresh malloc'd buffer (caller frees); *sz gets the
 * size. Returns NULL (and reports a failed check) when unreadable. */
static inline uint8_t *
sof_test_read(char const *dir, char const *rel, size_t *sz) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, rel);
  FILE *f = fopen(path, "rb");
  if (!f) {
    sof_test_fail_cnt++;
    fprintf(stderr, "FAIL: cannot open %s\n", path);
    return NULL;
  }
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *buf = malloc((size_t)n + 1);
  if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
    fclose(f);
    free(buf);
    sof_test_fail_cnt++;
    fprintf(stderr, "FAIL: cannot read %s\n", path);
    return NULL;
  }
  fclose(f);
  *sz = (size_t)n;
  return buf;
}

/* Reads the file at path into a fresh malloc'd, NUL-terminated buffer
 * (caller frees); *sz gets the size. Returns NULL when unreadable, without
 * counting a failure (the caller decides). */
static inline uint8_t *
sof_test_slurp(char const *path, size_t *sz) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *p = n >= 0 ? malloc((size_t)n + 1) : NULL;
  if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
    free(p);
    p = NULL;
  }
  fclose(f);
  if (p) {
    p[n] = 0;
    *sz = (size_t)n;
  }
  return p;
}

/* 1 when both files exist and hold the same bytes. */
static inline int
sof_test_same_file(char const *a, char const *b) {
  size_t sa = 0, sb = 0;
  uint8_t *pa = sof_test_slurp(a, &sa), *pb = sof_test_slurp(b, &sb);
  int same = pa && pb && sa == sb && !memcmp(pa, pb, sa);
  free(pa);
  free(pb);
  return same;
}

/* Decodes a hex string into out (exactly n bytes). Returns 0 on success. */
static inline int
sof_test_unhex(uint8_t *out, char const *hex, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned v;
    if (sscanf(hex + 2 * i, "%2x", &v) != 1) return -1;
    out[i] = (uint8_t)v;
  }
  return 0;
}

static int
sof_test_cmp_name_(void const *a, void const *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists the regular files of <dir>/<rel> whose name ends in suffix (NULL:
 * any), sorted by name. Returns a malloc'd array of malloc'd names (file
 * names only; free with sof_test_free_list) and its length in *cnt, or NULL
 * (with a failed check) when the directory cannot be read. */
static inline char **
sof_test_list(char const *dir, char const *rel, char const *suffix, size_t *cnt) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, rel);
  DIR *dp = opendir(path);
  *cnt = 0;
  if (!dp) {
    sof_test_fail_cnt++;
    fprintf(stderr, "FAIL: cannot list %s\n", path);
    return NULL;
  }
  size_t cap = 64, n = 0;
  char **names = malloc(cap * sizeof *names);
  struct dirent *de;
  while (names && (de = readdir(dp))) {
    if (de->d_name[0] == '.') continue;
    size_t len = strlen(de->d_name);
    if (suffix && (len < strlen(suffix) || strcmp(de->d_name + len - strlen(suffix), suffix)))
      continue;
    if (n == cap) {
      cap *= 2;
      char **nn = realloc(names, cap * sizeof *names);
      if (!nn) break;
      names = nn;
    }
    names[n++] = strdup(de->d_name);
  }
  closedir(dp);
  if (names) qsort(names, n, sizeof *names, sof_test_cmp_name_);
  *cnt = n;
  return names;
}

static inline void
sof_test_free_list(char **names, size_t cnt) {
  for (size_t i = 0; i < cnt; i++) free(names[i]);
  free(names);
}

#endif /* SOF_TEST_H */
