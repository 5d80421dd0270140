/* sof_ini.c: see sof_ini.h. */
#include "util/sof_ini.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/sof_errbuf.h"

struct sof_ini {
  char              *text;  /* the copy, cut into NUL-terminated strings */
  sof_ini_entry_t   *ent;
  unsigned           ent_cnt, ent_cap;
  sof_ini_section_t *sec;
  unsigned           sec_cnt, sec_cap;
};

unsigned
sof_ini_entry_cnt(sof_ini_t const *ini) {
  return ini->ent_cnt;
}

sof_ini_entry_t const *
sof_ini_entry(sof_ini_t const *ini, unsigned i) {
  return i < ini->ent_cnt ? &ini->ent[i] : NULL;
}

unsigned
sof_ini_section_cnt(sof_ini_t const *ini) {
  return ini->sec_cnt;
}

sof_ini_section_t const *
sof_ini_section(sof_ini_t const *ini, unsigned i) {
  return i < ini->sec_cnt ? &ini->sec[i] : NULL;
}

void
sof_ini_delete(sof_ini_t *ini) {
  if (!ini) return;
  free(ini->text);
  free(ini->ent);
  free(ini->sec);
  free(ini);
}

static int
is_blank(char c) {
  return c == ' ' || c == '\t';
}

static int
is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

static int
is_name(char const *a, char const *b) {
  if (a == b) return 0;
  for (; a < b; a++)
    if (!is_name_char(*a)) return 0;
  return 1;
}

/* Grows *arr (elements of size el) to hold one more; 0 or -1. */
static int
grow(void **arr, unsigned *cap, unsigned cnt, size_t el) {
  if (cnt < *cap) return 0;
  unsigned ncap = *cap ? *cap * 2 : 16;
  void *n = realloc(*arr, ncap * el);
  if (!n) return -1;
  *arr = n;
  *cap = ncap;
  return 0;
}

/* For the duplicate check: (a, b) names sorted, line breaking ties. */
typedef struct {
  char const *a, *b;
  unsigned    line;
} dup_t;

static int
dup_cmp(void const *x, void const *y) {
  dup_t const *p = x, *q = y;
  int c = strcmp(p->a, q->a);
  if (!c) c = strcmp(p->b, q->b);
  if (!c) c = p->line < q->line ? -1 : p->line > q->line;
  return c;
}

/* The earliest second occurrence among n items: its index in d (sorted),
 * or -1. *first gets the line of the group's first occurrence. */
static long
earliest_dup(dup_t *d, size_t n, unsigned *first) {
  qsort(d, n, sizeof *d, dup_cmp);
  long best = -1;
  size_t g = 0; /* first of the current group */
  for (size_t i = 1; i < n; i++) {
    if (strcmp(d[i].a, d[g].a) || strcmp(d[i].b, d[g].b)) {
      g = i;
      continue;
    }
    if (g + 1 != i) continue; /* only the second occurrence of a group */
    if (best < 0 || d[i].line < d[best].line) {
      best = (long)i;
      *first = d[g].line;
    }
  }
  return best;
}

/* Shows up to 60 bytes of a line in a message. */
#define SHOW(a, b) (int)((b) - (a) > 60 ? 60 : (b) - (a)), (a), ((b) - (a) > 60 ? "..." : "")

sof_ini_t *
sof_ini_parse(char const *buf, size_t sz, unsigned *err_line, char *err, size_t err_sz) {
  *err_line = 0;
  if (sz > SOF_INI_FILE_MAX) {
    sof_errbuf_set(err, err_sz, "larger than %u bytes: not a config file", SOF_INI_FILE_MAX);
    return NULL;
  }
  sof_ini_t *ini = calloc(1, sizeof *ini);
  if (!ini || !(ini->text = malloc(sz + 1))) {
    free(ini);
    sof_errbuf_set(err, err_sz, "out of memory");
    return NULL;
  }
  char *t = ini->text;
  if (sz) memcpy(t, buf, sz);
  t[sz] = '\0';
  char const *cur_sec = NULL;
  unsigned line = 0;
  size_t pos = 0;
  if (sz >= 3 && !memcmp(t, "\xEF\xBB\xBF", 3)) pos = 3;
  while (pos < sz) {
    line++;
    char *a = t + pos, *e = memchr(a, '\n', sz - pos);
    if (!e) e = t + sz;
    pos = (size_t)(e - t) + 1;
    if (e > a && e[-1] == '\r') e--;
    for (char *c = a; c < e; c++) {
      unsigned char u = (unsigned char)*c;
      if ((u < 0x20 && u != '\t') || u == 0x7f) {
        *err_line = line;
        sof_errbuf_set(err, err_sz, "control character 0x%02x at column %u (only tab is allowed: "
                       "is this a text file?)", u, (unsigned)(c - a) + 1);
        goto fail;
      }
    }
    while (a < e && is_blank(*a)) a++;
    while (e > a && is_blank(e[-1])) e--;
    if (a == e || *a == '#' || *a == ';') continue;
    if (*a == '[') {
      char *r = memchr(a, ']', (size_t)(e - a));
      char *rest = r ? r + 1 : e;
      while (rest < e && is_blank(*rest)) rest++;
      char *n = a + 1, *ne = r ? r : e;
      while (n < ne && is_blank(*n)) n++;
      while (ne > n && is_blank(ne[-1])) ne--;
      if (!r || (rest < e && *rest != '#' && *rest != ';') || (rest < e && rest == r + 1)) {
        *err_line = line;
        sof_errbuf_set(err, err_sz, "malformed section header '%.*s%s' (expected [name] alone on "
                       "its line)", SHOW(a, e));
        goto fail;
      }
      if (!is_name(n, ne)) {
        *err_line = line;
        sof_errbuf_set(err, err_sz, "malformed section header '%.*s%s' (a name is letters, digits, "
                       "'_', '.' and '-')", SHOW(a, e));
        goto fail;
      }
      *ne = '\0';
      if (grow((void **)&ini->sec, &ini->sec_cap, ini->sec_cnt, sizeof *ini->sec)) goto oom;
      ini->sec[ini->sec_cnt++] = (sof_ini_section_t){.name = n, .line = line};
      cur_sec = n;
      continue;
    }
    char *eq = memchr(a, '=', (size_t)(e - a));
    if (!eq) {
      *err_line = line;
      sof_errbuf_set(err, err_sz, "no '=' in '%.*s%s' (a line is [section], key = value, or a # / ; "
                     "comment)", SHOW(a, e));
      goto fail;
    }
    char *ke = eq;
    while (ke > a && is_blank(ke[-1])) ke--;
    if (ke == a) {
      *err_line = line;
      sof_errbuf_set(err, err_sz, "no key before '=' in '%.*s%s'", SHOW(a, e));
      goto fail;
    }
    if (!is_name(a, ke)) {
      *err_line = line;
      sof_errbuf_set(err, err_sz, "malformed key '%.*s%s' (a key is letters, digits, '_', '.' and "
                     "'-')", SHOW(a, ke));
      goto fail;
    }
    char *v = eq + 1, *ve = e;
    for (char *c = v; c < e; c++) {
      if ((*c == ';' || *c == '#') && c > v && is_blank(c[-1])) {
        ve = c;
        break;
      }
    }
    while (v < ve && is_blank(*v)) v++;
    while (ve > v && is_blank(ve[-1])) ve--;
    if (!cur_sec) {
      *err_line = line;
      sof_errbuf_set(err, err_sz, "key '%.*s%s' before any [section]", SHOW(a, ke));
      goto fail;
    }
    if (v == ve) {
      *err_line = line;
      sof_errbuf_set(err, err_sz, "key '%.*s%s' has no value (delete the line to keep the default)",
                     SHOW(a, ke));
      goto fail;
    }
    *ke = '\0';
    *ve = '\0';
    if (grow((void **)&ini->ent, &ini->ent_cap, ini->ent_cnt, sizeof *ini->ent)) goto oom;
    ini->ent[ini->ent_cnt++] = (sof_ini_entry_t){.section = cur_sec, .key = a, .value = v, .line = line};
  }

  /* duplicates: sections, then keys; the earliest second occurrence wins */
  {
    size_t n = ini->sec_cnt > ini->ent_cnt ? ini->sec_cnt : ini->ent_cnt;
    dup_t *d = malloc((n ? n : 1) * sizeof *d);
    if (!d) goto oom;
    for (unsigned i = 0; i < ini->sec_cnt; i++) d[i] = (dup_t){ini->sec[i].name, "", ini->sec[i].line};
    unsigned sfirst = 0, kfirst = 0;
    long s = earliest_dup(d, ini->sec_cnt, &sfirst);
    dup_t sd = s >= 0 ? d[s] : (dup_t){0};
    for (unsigned i = 0; i < ini->ent_cnt; i++)
      d[i] = (dup_t){ini->ent[i].section, ini->ent[i].key, ini->ent[i].line};
    long k = earliest_dup(d, ini->ent_cnt, &kfirst);
    dup_t kd = k >= 0 ? d[k] : (dup_t){0};
    free(d);
    if (s >= 0 && (k < 0 || sd.line < kd.line)) {
      *err_line = sd.line;
      sof_errbuf_set(err, err_sz, "duplicate section [%s] (first on line %u; give each section "
                     "once)", sd.a, sfirst);
      goto fail;
    }
    if (k >= 0) {
      *err_line = kd.line;
      sof_errbuf_set(err, err_sz, "duplicate key '%s' in [%s] (first on line %u)", kd.b, kd.a,
                     kfirst);
      goto fail;
    }
  }
  return ini;
oom:
  *err_line = 0;
  sof_errbuf_set(err, err_sz, "out of memory");
fail:
  sof_ini_delete(ini);
  return NULL;
}

sof_ini_t *
sof_ini_load(char const *path, unsigned *err_line, char *err, size_t err_sz) {
  *err_line = 0;
  FILE *f = fopen(path, "rb");
  if (!f) {
    sof_errbuf_set(err, err_sz, "cannot read it: %s", strerror(errno));
    return NULL;
  }
  size_t cap = SOF_INI_FILE_MAX + 1;
  char *buf = malloc(cap);
  if (!buf) {
    fclose(f);
    sof_errbuf_set(err, err_sz, "out of memory");
    return NULL;
  }
  size_t n = fread(buf, 1, cap, f);
  int bad = ferror(f), e = errno;
  fclose(f);
  if (bad) {
    free(buf);
    sof_errbuf_set(err, err_sz, "cannot read it: %s", strerror(e));
    return NULL;
  }
  sof_ini_t *ini = sof_ini_parse(buf, n, err_line, err, err_sz);
  free(buf);
  return ini;
}
