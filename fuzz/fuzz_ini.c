/* libFuzzer target: the config readers (sof_ini, sof_num) on arbitrary
 * bytes. sof_ini: no crash, a refusal names a line within the input and a
 * message; an accepted file's entries obey the rules (names of the allowed
 * characters, trimmed non-empty values without control characters, lines in
 * order, no key twice in a section, no section twice). sof_num: an accepted
 * number is exactly the decimal writing of the value (no leading zero, no
 * other character); every value of an accepted file goes through
 * sof_num_u64 / sof_num_list / sof_num_describe too. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/sof_ini.h"
#include "util/sof_num.h"

#define REQUIRE(c) do { if (!(c)) abort(); } while (0)

#include "sof_fuzz.h"

static int
name_ok(char const *s) {
  if (!*s) return 0;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
          *s == '_' || *s == '.' || *s == '-'))
      return 0;
  return 1;
}

static void
check_num(char const *s, size_t len) {
  uint64_t v = 0;
  sof_num_rc_t rc = sof_num_u64(s, len, 0, UINT64_MAX, &v);
  char buf[32];
  if (rc == SOF_NUM_OK) {
    int n = snprintf(buf, sizeof buf, "%" PRIu64, v);
    REQUIRE((size_t)n == len && !memcmp(buf, s, len));
    /* and a range that excludes it refuses it */
    if (v > 0) REQUIRE(sof_num_u64(s, len, 0, v - 1, &v) == SOF_NUM_RANGE);
  }
  char why[256];
  sof_num_describe(rc, s, len, 1, 65535, why, sizeof why);
  REQUIRE(strlen(why) < sizeof why);
}

int
LLVMFuzzerTestOneInput(uint8_t const *data, size_t sz) {
  char const *text = (char const *)data;
  check_num(text, sz < 40 ? sz : 40);

  unsigned line = 0, lines = 1;
  for (size_t i = 0; i < sz; i++) lines += data[i] == '\n';
  char err[256];
  err[0] = 0;
  sof_ini_t *ini = sof_ini_parse(text, sz, &line, err, sizeof err);
  if (!ini) {
    REQUIRE(err[0]);
    REQUIRE(line <= lines);
    return 0;
  }
  unsigned n = sof_ini_entry_cnt(ini), ns = sof_ini_section_cnt(ini), prev = 0;
  for (unsigned i = 0; i < n; i++) {
    sof_ini_entry_t const *e = sof_ini_entry(ini, i);
    REQUIRE(e && name_ok(e->section) && name_ok(e->key));
    size_t vl = strlen(e->value);
    REQUIRE(vl > 0 && e->value[0] != ' ' && e->value[0] != '\t' && e->value[vl - 1] != ' ' &&
            e->value[vl - 1] != '\t');
    for (size_t k = 0; k < vl; k++) {
      unsigned char c = (unsigned char)e->value[k];
      REQUIRE((c >= 0x20 || c == '\t') && c != 0x7f);
    }
    REQUIRE(e->line > prev && e->line <= lines);
    prev = e->line;
    if (n <= 512)
      for (unsigned j = 0; j < i; j++) {
        sof_ini_entry_t const *f = sof_ini_entry(ini, j);
        REQUIRE(strcmp(f->section, e->section) || strcmp(f->key, e->key));
      }
    check_num(e->value, vl);
    uint64_t out[8];
    char lerr[256];
    long cnt = sof_num_list(e->value, 0, 127, out, 8, lerr, sizeof lerr);
    REQUIRE(cnt == -1 || (cnt >= 1 && cnt <= 8));
    for (long k = 0; k < cnt; k++) REQUIRE(out[k] <= 127);
  }
  REQUIRE(sof_ini_entry(ini, n) == NULL);
  prev = 0;
  for (unsigned i = 0; i < ns; i++) {
    sof_ini_section_t const *s = sof_ini_section(ini, i);
    REQUIRE(s && name_ok(s->name) && s->line > prev);
    prev = s->line;
    if (ns <= 512)
      for (unsigned j = 0; j < i; j++) REQUIRE(strcmp(sof_ini_section(ini, j)->name, s->name));
  }
  sof_ini_delete(ini);
  return 0;
}
