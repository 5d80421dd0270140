/* sof_plugin_common.c: see sof_plugin_common.h. */
#include "sof_plugin_common.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "wire/sof_base58.h"

/* ---- config ---------------------------------------------------------------------- */

char const *
sof_pcfg_get(sof_plugin_env_t const *env, char const *key) {
  if (!env || !env->config_get) return NULL;
  return env->config_get(env, key);
}

static int
in_list(char const *const *list, char const *s) {
  for (unsigned i = 0; list && list[i]; i++)
    if (!strcmp(list[i], s)) return 1;
  return 0;
}

int
sof_pcfg_check_keys(sof_plugin_env_t const *env, char const *const *known,
                    char const *const *refused, char *err, size_t err_sz) {
  if (!env || !env->config_key) return 0;
  for (unsigned n = 0;; n++) {
    char const *k = env->config_key(env, n);
    if (!k) return 0;
    if (in_list(known, k)) continue;
    for (unsigned i = 0; refused && refused[i]; i += 2) {
      if (!strcmp(refused[i], k)) {
        snprintf(err, err_sz, "%s: %s", k, refused[i + 1]);
        return -1;
      }
    }
    size_t off = (size_t)snprintf(err, err_sz, "unknown key '%s' (keys:", k);
    for (unsigned i = 0; known && known[i] && off < err_sz; i++)
      off += (size_t)snprintf(err + off, err_sz - off, "%s %s", i ? "," : "", known[i]);
    if (off < err_sz) snprintf(err + off, err_sz - off, ")");
    return -1;
  }
}

int
sof_pcfg_bool(sof_plugin_env_t const *env, char const *key, int dflt, int *out, char *err,
              size_t err_sz) {
  char const *v = sof_pcfg_get(env, key);
  if (!v) {
    *out = dflt;
    return 0;
  }
  if (!strcmp(v, "true")) {
    *out = 1;
    return 0;
  }
  if (!strcmp(v, "false")) {
    *out = 0;
    return 0;
  }
  snprintf(err, err_sz, "%s: '%.64s' is not true or false", key, v);
  return -1;
}

int
sof_pcfg_u64(sof_plugin_env_t const *env, char const *key, uint64_t dflt, uint64_t min,
             uint64_t max, uint64_t *out, char *err, size_t err_sz) {
  char const *v = sof_pcfg_get(env, key);
  if (!v) {
    *out = dflt;
    return 0;
  }
  uint64_t x = 0;
  int ok = v[0] != '\0';
  for (char const *c = v; ok && *c; c++) {
    if (*c < '0' || *c > '9' || x > (UINT64_MAX - (uint64_t)(*c - '0')) / 10) ok = 0;
    else x = x * 10 + (uint64_t)(*c - '0');
  }
  if (!ok) {
    snprintf(err, err_sz, "%s: '%.64s' is not a decimal number", key, v);
    return -1;
  }
  if (x < min || x > max) {
    snprintf(err, err_sz, "%s: %llu is outside [%llu, %llu]", key, (unsigned long long)x,
             (unsigned long long)min, (unsigned long long)max);
    return -1;
  }
  *out = x;
  return 0;
}

int
sof_pcfg_choice(sof_plugin_env_t const *env, char const *key, char const *const *names,
                int dflt, int *out, char *err, size_t err_sz) {
  char const *v = sof_pcfg_get(env, key);
  if (!v) {
    *out = dflt;
    return 0;
  }
  for (int i = 0; names[i]; i++) {
    if (!strcmp(names[i], v)) {
      *out = i;
      return 0;
    }
  }
  size_t off = (size_t)snprintf(err, err_sz, "%s: '%.64s' is not one of", key, v);
  for (unsigned i = 0; names[i] && off < err_sz; i++)
    off += (size_t)snprintf(err + off, err_sz - off, "%s %s", i ? "," : "", names[i]);
  return -1;
}

static int
blank(char c) {
  return c == ' ' || c == '\t';
}

int
sof_pcfg_keys(sof_plugin_env_t const *env, char const *key, uint8_t (**out)[32],
              uint32_t *cnt, char *err, size_t err_sz) {
  *out = NULL;
  *cnt = 0;
  char const *v = sof_pcfg_get(env, key);
  if (!v) return 0;
  uint32_t items = 1;
  for (char const *c = v; *c; c++) items += *c == ',';
  if (items > SOF_PCFG_KEYS_MAX) {
    snprintf(err, err_sz, "%s: %u keys, at most %u", key, items, SOF_PCFG_KEYS_MAX);
    return -1;
  }
  uint8_t (*keys)[32] = malloc(items * sizeof *keys);
  if (!keys) {
    snprintf(err, err_sz, "%s: out of memory", key);
    return -1;
  }
  char const *p = v;
  for (uint32_t i = 0; i < items; i++) {
    char const *end = strchr(p, ',');
    if (!end) end = p + strlen(p);
    char const *b = p, *e = end;
    while (b < e && blank(*b)) b++;
    while (e > b && blank(e[-1])) e--;
    if (b == e) {
      snprintf(err, err_sz, "%s: item %u is empty", key, i + 1);
      free(keys);
      return -1;
    }
    if (sof_base58_decode_32(b, (size_t)(e - b), keys[i])) {
      snprintf(err, err_sz, "%s: item %u ('%.*s') is not a base58 public key", key, i + 1,
               (int)((e - b) > 64 ? 64 : (e - b)), b);
      free(keys);
      return -1;
    }
    p = *end ? end + 1 : end;
  }
  *out = keys;
  *cnt = items;
  return 0;
}

int
sof_pcfg_signature(sof_plugin_env_t const *env, char const *key, uint8_t sig[64], uint8_t *has,
                   char *err, size_t err_sz) {
  *has = 0;
  char const *v = sof_pcfg_get(env, key);
  if (!v) return 0;
  if (sof_base58_decode_64(v, strlen(v), sig)) {
    snprintf(err, err_sz, "%s: '%.100s' is not a base58 signature", key, v);
    return -1;
  }
  *has = 1;
  return 0;
}

/* ---- output --------------------------------------------------------------------- */

int
sof_plugout_open(sof_plugout_t *o, char const *path, char const *dflt, size_t cap,
                 uint64_t flush_ms, uint64_t tsc_hz, char *err, size_t err_sz) {
  memset(o, 0, sizeof *o);
  if (!cap) cap = SOF_PLUGOUT_BUF_DEFAULT;
  if (!path) path = dflt;
  if (!strcmp(path, "-") || !strcmp(path, "stdout")) {
    o->f = stdout;
    o->name = "stdout";
  } else if (!strcmp(path, "stderr")) {
    o->f = stderr;
    o->name = "stderr";
  } else {
    o->f = fopen(path, "w");
    if (!o->f) {
      snprintf(err, err_sz, "path: cannot open '%s': %s", path, strerror(errno));
      return -1;
    }
    /* This sink's buffer is the only one: whole lines go out in one write. */
    setvbuf(o->f, NULL, _IONBF, 0);
    o->owned = 1;
    o->name = path;
  }
  o->buf = malloc(cap);
  if (!o->buf) {
    snprintf(err, err_sz, "path: no memory for a %zu-byte output buffer", cap);
    if (o->owned) fclose(o->f);
    o->f = NULL;
    return -1;
  }
  o->cap = cap;
  if (!flush_ms)    o->flush_cycles = 0;
  else if (!tsc_hz) o->flush_cycles = UINT64_MAX; /* no clock: only when full */
  else              o->flush_cycles = flush_ms * (tsc_hz / 1000U);
  if (flush_ms && tsc_hz && !o->flush_cycles) o->flush_cycles = 1;
  o->last_write_tsc = sof_plugin_tsc();
  return 0;
}

static int
write_chunk(sof_plugout_t *o, char const *p, size_t n, uint64_t lines) {
  errno = 0;
  int bad = fwrite(p, 1, n, o->f) != n;
  /* stdout / stderr belong to the process: push the chunk through their
   * stdio buffer so that flush_ms and shutdown mean what they say. */
  if (!o->owned && fflush(o->f)) bad = 1;
  o->writes++;
  o->last_write_tsc = sof_plugin_tsc();
  if (!bad) return 0;
  if (!o->write_errno) o->write_errno = errno ? errno : EIO;
  o->lost += lines;
  clearerr(o->f); /* a later write may succeed (a disk that got room) */
  return -1;
}

int
sof_plugout_flush(sof_plugout_t *o) {
  if (!o->f || !o->len) return 0;
  int r = write_chunk(o, o->buf, o->len, o->buf_lines);
  o->len = 0;
  o->buf_lines = 0;
  return r;
}

void
sof_plugout_line(sof_plugout_t *o, sof_json_t *j) {
  sof_json_newline(j);
  if (!sof_json_ok(j)) {
    o->too_long++;
    sof_json_reset(j);
    return;
  }
  size_t n = j->len;
  o->lines++;
  if (n > o->cap - o->len) sof_plugout_flush(o);
  if (n > o->cap) {
    write_chunk(o, j->buf, n, 1); /* longer than the whole buffer: as is */
  } else {
    memcpy(o->buf + o->len, j->buf, n);
    o->len += n;
    o->buf_lines++;
  }
  sof_json_reset(j);
  if (!o->len) return;
  if (!o->flush_cycles || sof_plugin_tsc() - o->last_write_tsc >= o->flush_cycles)
    sof_plugout_flush(o);
}

int
sof_plugout_close(sof_plugout_t *o, char const *who) {
  if (!o->f) {
    free(o->buf);
    o->buf = NULL;
    return 0;
  }
  sof_plugout_flush(o);
  int ret = o->lost ? -1 : 0;
  if (o->lost)
    fprintf(stderr, "%s: writing %s failed: %s (%llu of %llu lines lost)\n", who, o->name,
            strerror(o->write_errno), (unsigned long long)o->lost, (unsigned long long)o->lines);
  if (o->too_long)
    fprintf(stderr, "%s: %llu lines longer than the line buffer were not written\n", who,
            (unsigned long long)o->too_long);
  if (o->owned) {
    errno = 0;
    if (fclose(o->f)) {
      fprintf(stderr, "%s: closing %s failed: %s\n", who, o->name, strerror(errno));
      ret = -1;
    }
  }
  o->f = NULL;
  free(o->buf);
  o->buf = NULL;
  return ret;
}

/* ---- shared formatting ------------------------------------------------------------- */

void
sof_pjson_num3(sof_json_t *j, double v) {
  char s[64];
  if (!isfinite(v)) v = 0;
  int n = snprintf(s, sizeof s, "%.3f", v);
  sof_json_raw(j, s, n > 0 && (size_t)n < sizeof s ? (size_t)n : 0);
}

int
sof_pjson_render(void const *state, sof_pjson_fields_fn fields, char *buf, size_t sz) {
  if (!buf || !sz) return -1;
  sof_json_t j;
  sof_json_init(&j, buf, sz);
  sof_json_obj_begin(&j);
  fields(state, &j);
  sof_json_obj_end(&j);
  if (!sof_json_ok(&j)) {
    buf[0] = '\0';
    return -1;
  }
  return (int)j.len;
}

void
sof_pjson_summary(sof_plugout_t *out, char const *type, void const *state, sof_pjson_fields_fn fields,
                  char *line_buf, size_t line_sz) {
  sof_json_t j;
  sof_json_init(&j, line_buf, line_sz);
  sof_json_obj_begin(&j);
  sof_json_key(&j, "type"); sof_json_str(&j, type);
  fields(state, &j);
  sof_json_obj_end(&j);
  sof_plugout_line(out, &j);
}
