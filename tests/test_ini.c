/* The strict config readers: sof_num (decimal numbers and lists, the exact
 * messages a user reads) and sof_ini (line rules, comments, duplicates,
 * control characters, error lines and texts). */
#include "sof_test.h"

#include <unistd.h>

#include "util/sof_ini.h"
#include "util/sof_num.h"

/* sof_num_u64 on a C string. */
static sof_num_rc_t
num(char const *s, uint64_t lo, uint64_t hi, uint64_t *out) {
  return sof_num_u64(s, strlen(s), lo, hi, out);
}

static char const *
describe(char const *s, uint64_t lo, uint64_t hi) {
  static char buf[256];
  uint64_t v;
  sof_num_describe(sof_num_u64(s, strlen(s), lo, hi, &v), s, strlen(s), lo, hi, buf, sizeof buf);
  return buf;
}

static void
test_num(void) {
  uint64_t v = 7;
  SOF_CHECK_EQ(num("0", 0, 10, &v), SOF_NUM_OK);
  SOF_CHECK_EQ(v, 0);
  SOF_CHECK_EQ(num("10000", 0, 65535, &v), SOF_NUM_OK);
  SOF_CHECK_EQ(v, 10000);
  SOF_CHECK_EQ(num("18446744073709551615", 0, UINT64_MAX, &v), SOF_NUM_OK);
  SOF_CHECK_EQ(v, UINT64_MAX);
  v = 7;
  /* what strtoull base 0 took: octal, hex, signs, blanks, suffixes */
  SOF_CHECK_EQ(num("010000", 0, 65535, &v), SOF_NUM_LEADING_ZERO);
  SOF_CHECK_EQ(num("00", 0, 65535, &v), SOF_NUM_LEADING_ZERO);
  SOF_CHECK_EQ(num("0x10", 0, 65535, &v), SOF_NUM_NOT_DECIMAL);
  SOF_CHECK_EQ(num("+5", 0, 65535, &v), SOF_NUM_NOT_DECIMAL);
  SOF_CHECK_EQ(num("-1", 0, 65535, &v), SOF_NUM_NOT_DECIMAL);
  SOF_CHECK_EQ(num(" 5", 0, 65535, &v), SOF_NUM_NOT_DECIMAL);
  SOF_CHECK_EQ(num("5 ", 0, 65535, &v), SOF_NUM_NOT_DECIMAL);
  SOF_CHECK_EQ(num("5k", 0, 65535, &v), SOF_NUM_NOT_DECIMAL);
  SOF_CHECK_EQ(num("1e3", 0, 65535, &v), SOF_NUM_NOT_DECIMAL);
  SOF_CHECK_EQ(num("", 0, 65535, &v), SOF_NUM_EMPTY);
  SOF_CHECK_EQ(num("65536", 0, 65535, &v), SOF_NUM_RANGE);
  SOF_CHECK_EQ(num("0", 1, 65535, &v), SOF_NUM_RANGE);
  SOF_CHECK_EQ(num("18446744073709551616", 0, UINT64_MAX, &v), SOF_NUM_RANGE);
  SOF_CHECK_EQ(num("99999999999999999999999", 0, UINT64_MAX, &v), SOF_NUM_RANGE);
  SOF_CHECK_EQ(v, 7); /* untouched by refusals */
  /* not NUL-terminated: len decides */
  SOF_CHECK_EQ(sof_num_u64("12345", 2, 0, 100, &v), SOF_NUM_OK);
  SOF_CHECK_EQ(v, 12);

  /* the messages */
  SOF_CHECK_STR(describe("010000", 1, 65535),
                "'010000' has a leading zero: numbers are decimal, not octal (did you mean 10000?)");
  SOF_CHECK_STR(describe("010000", 0, 31),
                "'010000' has a leading zero: numbers are decimal, not octal (did you mean 10000? "
                "that is out of range [0, 31])");
  SOF_CHECK_STR(describe("000", 0, 31),
                "'000' has a leading zero: numbers are decimal, not octal (did you mean 0?)");
  SOF_CHECK_STR(describe("0x10", 1, 512), "'0x10' is hex: numbers are decimal (write 16)");
  SOF_CHECK_STR(describe("0x1g", 1, 512),
                "'0x1g' is not a decimal integer in [1, 512] (digits 0-9 only: no sign, blank, hex "
                "or suffix)");
  SOF_CHECK_STR(describe("-1", 1, 512),
                "'-1' is not a decimal integer in [1, 512] (digits 0-9 only: no sign, blank, hex or "
                "suffix)");
  SOF_CHECK_STR(describe("70000", 1, 65535), "'70000' is out of range [1, 65535]");
  SOF_CHECK_STR(describe("", 1, 65535), "an empty value (expected a decimal integer in [1, 65535])");

  /* lists */
  uint64_t out[4];
  char err[256];
  SOF_CHECK_EQ(sof_num_list("2,3", 0, 127, out, 4, err, sizeof err), 2);
  SOF_CHECK_EQ(out[0], 2);
  SOF_CHECK_EQ(out[1], 3);
  SOF_CHECK_EQ(sof_num_list(" 4 ,\t5", 0, 127, out, 4, err, sizeof err), 2);
  SOF_CHECK_EQ(out[0], 4);
  SOF_CHECK_EQ(out[1], 5);
  SOF_CHECK_EQ(sof_num_list("0", 0, 127, out, 4, err, sizeof err), 1);
  SOF_CHECK_EQ(sof_num_list("0,01", 0, 127, out, 4, err, sizeof err), -1);
  SOF_CHECK_STR(err, "item 2: '01' has a leading zero: numbers are decimal, not octal (did you mean 1?)");
  SOF_CHECK_EQ(sof_num_list("0,x", 0, 127, out, 4, err, sizeof err), -1);
  SOF_CHECK_STR(err, "item 2: 'x' is not a decimal integer in [0, 127] (digits 0-9 only: no sign, "
                     "blank, hex or suffix)");
  SOF_CHECK_EQ(sof_num_list("1,,2", 0, 127, out, 4, err, sizeof err), -1);
  SOF_CHECK_STR(err, "an empty item (item 2)");
  SOF_CHECK_EQ(sof_num_list("1,", 0, 127, out, 4, err, sizeof err), -1);
  SOF_CHECK_STR(err, "an empty item (item 2)");
  SOF_CHECK_EQ(sof_num_list("", 0, 127, out, 4, err, sizeof err), -1);
  SOF_CHECK_STR(err, "an empty list");
  SOF_CHECK_EQ(sof_num_list("1,2,3,4,5", 0, 127, out, 4, err, sizeof err), -1);
  SOF_CHECK_STR(err, "more than 4 items");
  SOF_CHECK_EQ(sof_num_list("8002,70000", 1, 65535, out, 4, err, sizeof err), -1);
  SOF_CHECK_STR(err, "item 2: '70000' is out of range [1, 65535]");
}

/* Parses text; on failure returns NULL with the line and message. */
static sof_ini_t *
parse(char const *text, size_t sz, unsigned *line, char *err, size_t err_sz) {
  err[0] = 0;
  *line = 12345;
  return sof_ini_parse(text, sz, line, err, err_sz);
}

/* Expects text to be refused on line want_line with message want. */
#define REFUSED(text, want_line, want) do {                                   \
    char e_[512];                                                             \
    unsigned l_;                                                              \
    sof_ini_t *i_ = parse((text), sizeof(text) - 1, &l_, e_, sizeof e_);      \
    SOF_CHECK(i_ == NULL);                                                    \
    sof_ini_delete(i_);                                                       \
    SOF_CHECK_EQ(l_, (want_line));                                            \
    SOF_CHECK_STR(e_, (want));                                                \
  } while (0)

static void
test_ini_ok(void) {
  static char const text[] =
      "\xEF\xBB\xBF# a comment\n"
      "; another\n"
      "\n"
      "[input]\n"
      "driver = ethdev\n"
      "burst=32\r\n"
      "  udp_ports =  8002,8003   ; turbine\n"
      "\t[ ring.rx_fec ]   # ring\n"
      "size = 4096 # entries\n"
      "[empty]\n"
      "[plugin.txlog]\n"
      "path = /tmp/a;b#c\n"
      "pattern = x=y";
  char err[256];
  unsigned line;
  sof_ini_t *ini = parse(text, sizeof text - 1, &line, err, sizeof err);
  SOF_CHECK(ini != NULL);
  if (!ini) {
    fprintf(stderr, "line %u: %s\n", line, err);
    return;
  }
  SOF_CHECK_EQ(sof_ini_entry_cnt(ini), 6);
  static struct { char const *sec, *key, *val; unsigned line; } const want[] = {
    {"input", "driver", "ethdev", 5},     {"input", "burst", "32", 6},
    {"input", "udp_ports", "8002,8003", 7}, {"ring.rx_fec", "size", "4096", 9},
    {"plugin.txlog", "path", "/tmp/a;b#c", 12}, {"plugin.txlog", "pattern", "x=y", 13},
  };
  for (unsigned i = 0; i < 6 && i < sof_ini_entry_cnt(ini); i++) {
    sof_ini_entry_t const *e = sof_ini_entry(ini, i);
    SOF_CHECK_STR(e->section, want[i].sec);
    SOF_CHECK_STR(e->key, want[i].key);
    SOF_CHECK_STR(e->value, want[i].val);
    SOF_CHECK_EQ(e->line, want[i].line);
  }
  SOF_CHECK(sof_ini_entry(ini, 6) == NULL);
  SOF_CHECK_EQ(sof_ini_section_cnt(ini), 4);
  SOF_CHECK_STR(sof_ini_section(ini, 1)->name, "ring.rx_fec");
  SOF_CHECK_EQ(sof_ini_section(ini, 1)->line, 8);
  SOF_CHECK_STR(sof_ini_section(ini, 2)->name, "empty");
  SOF_CHECK_EQ(sof_ini_section(ini, 2)->line, 10);
  sof_ini_delete(ini);

  /* empty and comment-only files are fine (no entries) */
  ini = parse("", 0, &line, err, sizeof err);
  SOF_CHECK(ini && sof_ini_entry_cnt(ini) == 0 && sof_ini_section_cnt(ini) == 0);
  sof_ini_delete(ini);
  ini = parse("# nothing\n\n", 11, &line, err, sizeof err);
  SOF_CHECK(ini && sof_ini_entry_cnt(ini) == 0);
  sof_ini_delete(ini);
  sof_ini_delete(NULL);
}

static void
test_ini_refused(void) {
  REFUSED("[input]\nburst 64\n", 2,
          "no '=' in 'burst 64' (a line is [section], key = value, or a # / ; comment)");
  REFUSED("[input]\nburst\n", 2, "no '=' in 'burst' (a line is [section], key = value, or a # / ; comment)");
  REFUSED("[input\nburst = 1\n", 1, "malformed section header '[input' (expected [name] alone on its line)");
  REFUSED("[input] burst = 1\n", 1,
          "malformed section header '[input] burst = 1' (expected [name] alone on its line)");
  REFUSED("[input];x\n", 1, "malformed section header '[input];x' (expected [name] alone on its line)");
  REFUSED("[]\n", 1, "malformed section header '[]' (a name is letters, digits, '_', '.' and '-')");
  REFUSED("[in put]\n", 1,
          "malformed section header '[in put]' (a name is letters, digits, '_', '.' and '-')");
  REFUSED("burst = 1\n", 1, "key 'burst' before any [section]");
  REFUSED("[input]\n= 1\n", 2, "no key before '=' in '= 1'");
  REFUSED("[input]\nbu rst = 1\n", 2, "malformed key 'bu rst' (a key is letters, digits, '_', '.' and '-')");
  REFUSED("[input]\nburst =\n", 2, "key 'burst' has no value (delete the line to keep the default)");
  REFUSED("[input]\nburst = ; later\n", 2, "key 'burst' has no value (delete the line to keep the default)");
  /* duplicates: both lines named */
  REFUSED("[input]\nburst = 1\ndriver = udp\nburst = 2\n", 4,
          "duplicate key 'burst' in [input] (first on line 2)");
  REFUSED("[input]\nburst = 1\n[run]\nmlock = true\n[input]\ndriver = udp\n", 5,
          "duplicate section [input] (first on line 1; give each section once)");
  /* the earliest second occurrence wins */
  REFUSED("[a]\nk = 1\nj = 1\nj = 2\nk = 2\n", 4, "duplicate key 'j' in [a] (first on line 3)");
  REFUSED("[a]\nk = 1\n[b]\nk = 1\n[a]\n", 5, "duplicate section [a] (first on line 1; give each section once)");
  /* the same key in two sections is no duplicate */
  {
    char err[256];
    unsigned line;
    sof_ini_t *ini = parse("[a]\nk = 1\n[b]\nk = 1\n", 20, &line, err, sizeof err);
    SOF_CHECK(ini != NULL);
    sof_ini_delete(ini);
  }
  /* control characters: NULs, a stray CR, escape; tab is fine */
  REFUSED("\0\0\0\0", 1, "control character 0x00 at column 1 (only tab is allowed: is this a text file?)");
  REFUSED("[input]\nburst = 3\0\n", 2,
          "control character 0x00 at column 10 (only tab is allowed: is this a text file?)");
  REFUSED("[input]\nbu\rrst = 1\n", 2,
          "control character 0x0d at column 3 (only tab is allowed: is this a text file?)");
  REFUSED("[input]\n\n\nburst = \x1b[1m\n", 4,
          "control character 0x1b at column 9 (only tab is allowed: is this a text file?)");
  REFUSED("[input]\nburst = \x7f\n", 2,
          "control character 0x7f at column 9 (only tab is allowed: is this a text file?)");
  /* a line error wins over a duplicate, wherever they are */
  REFUSED("[a]\nk = 1\nk = 2\nbad\n", 4, "no '=' in 'bad' (a line is [section], key = value, or a # / ; comment)");
  /* too large */
  {
    size_t sz = SOF_INI_FILE_MAX + 1;
    char *big = malloc(sz);
    memset(big, '\n', sz);
    char err[256];
    unsigned line = 99;
    SOF_CHECK(sof_ini_parse(big, sz, &line, err, sizeof err) == NULL);
    SOF_CHECK_EQ(line, 0);
    SOF_CHECK_STR(err, "larger than 1048576 bytes: not a config file");
    free(big);
  }
  /* a long line is shown cut */
  REFUSED("[input]\naaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", 2,
          "no '=' in 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' (a line is "
          "[section], key = value, or a # / ; comment)");
}

static void
test_ini_load(void) {
  char err[256];
  unsigned line = 5;
  SOF_CHECK(sof_ini_load("/nonexistent/sof.ini", &line, err, sizeof err) == NULL);
  SOF_CHECK_EQ(line, 0);
  SOF_CHECK_STR(err, "cannot read it: No such file or directory");
  char path[] = "/tmp/sof-test-ini-XXXXXX";
  int fd = mkstemp(path);
  SOF_CHECK(fd >= 0);
  if (fd < 0) return;
  FILE *f = fdopen(fd, "w");
  fputs("[run]\nidle_exit_ms = 500\n", f);
  fclose(f);
  sof_ini_t *ini = sof_ini_load(path, &line, err, sizeof err);
  SOF_CHECK(ini && sof_ini_entry_cnt(ini) == 1);
  if (ini) SOF_CHECK_STR(sof_ini_entry(ini, 0)->value, "500");
  sof_ini_delete(ini);
  unlink(path);
}

int
main(void) {
  test_num();
  test_ini_ok();
  test_ini_refused();
  test_ini_load();
  return sof_test_done("test_ini");
}
