/* sof_pcounter.c: the registry of plugin counters (sof_pcounter.h). */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sof_pcounter.h"

typedef struct slot {
  int                  used;
  int                  frozen; /* unregistered: the values are last[] */
  sof_pcounter_group_t g;
  uint64_t             last[SOF_PCOUNTER_MAX];
} slot_t;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static slot_t          slots[SOF_PCOUNTER_GROUPS_MAX];

static int
name_ok(char const *s) {
  if (!s || !*s) return 0;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_')) return 0;
  return 1;
}

static int
fail(char *err, size_t err_sz, char const *fmt, ...) __attribute__((format(printf, 3, 4)));
static int
fail(char *err, size_t err_sz, char const *fmt, ...) {
  if (err && err_sz) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_sz, fmt, ap);
    va_end(ap);
  }
  return -1;
}

static int
check(sof_pcounter_group_t const *g, char *err, size_t err_sz) {
  if (!g || !name_ok(g->owner)) return fail(err, err_sz, "counters: owner '%s' is not [a-z0-9_]+", g && g->owner ? g->owner : "");
  if (g->n > SOF_PCOUNTER_MAX) return fail(err, err_sz, "counters: %u series (most %u)", g->n, SOF_PCOUNTER_MAX);
  if (g->n && (!g->c || (!g->values && !g->ptrs))) return fail(err, err_sz, "counters: no table or values");
  for (unsigned i = 0; i < g->n; i++) {
    if (!name_ok(g->c[i].family) || !g->c[i].help) return fail(err, err_sz, "counters: series %u: bad family or no help", i);
    if (!g->values && !g->ptrs[i]) return fail(err, err_sz, "counters: series %u (%s): no value", i, g->c[i].family);
    if (!g->c[i].label_key != !g->c[i].label_val || (g->c[i].label_key && !name_ok(g->c[i].label_key)))
      return fail(err, err_sz, "counters: series %u (%s): label key and value go together", i, g->c[i].family);
  }
  if (g->inst_n > SOF_PCOUNTER_INST_MAX)
    return fail(err, err_sz, "counters: %u instance families (most %u)", g->inst_n, SOF_PCOUNTER_INST_MAX);
  if (g->inst_n) {
    if (!g->inst || !g->each || !g->inst_keys) return fail(err, err_sz, "counters: instance families without each or label keys");
    unsigned k = 0;
    for (; g->inst_keys[k]; k++)
      if (k >= SOF_PCOUNTER_LABELS_MAX || !name_ok(g->inst_keys[k]))
        return fail(err, err_sz, "counters: instance label %u: bad key or too many", k);
    if (!k) return fail(err, err_sz, "counters: instance families without a label");
    for (unsigned i = 0; i < g->inst_n; i++)
      if (!name_ok(g->inst[i].family) || !g->inst[i].help)
        return fail(err, err_sz, "counters: instance family %u: bad family or no help", i);
  }
  return 0;
}

int
sof_pcounter_register(sof_pcounter_group_t const *g, char *err, size_t err_sz) {
  if (check(g, err, err_sz)) return -1;
  pthread_mutex_lock(&mu);
  unsigned at = SOF_PCOUNTER_GROUPS_MAX;
  for (unsigned i = 0; i < SOF_PCOUNTER_GROUPS_MAX; i++) {
    if (slots[i].used && !strcmp(slots[i].g.owner, g->owner)) {
      at = i;
      break;
    }
    if (!slots[i].used && at == SOF_PCOUNTER_GROUPS_MAX) at = i;
  }
  if (at < SOF_PCOUNTER_GROUPS_MAX) {
    slots[at].used = 1;
    slots[at].frozen = 0;
    slots[at].g = *g;
  }
  pthread_mutex_unlock(&mu);
  if (at == SOF_PCOUNTER_GROUPS_MAX)
    return fail(err, err_sz, "counters: no room (%u plugins have counters)", SOF_PCOUNTER_GROUPS_MAX);
  return 0;
}

/* value of series i of a slot; mu held */
static uint64_t
value(slot_t const *s, unsigned i) {
  if (s->frozen) return s->last[i];
  return sof_pcounter_get(s->g.values ? &s->g.values[i] : s->g.ptrs[i]);
}

void
sof_pcounter_unregister(char const *owner) {
  pthread_mutex_lock(&mu);
  for (unsigned i = 0; i < SOF_PCOUNTER_GROUPS_MAX; i++) {
    slot_t *s = &slots[i];
    if (!s->used || s->frozen || strcmp(s->g.owner, owner)) continue;
    for (unsigned k = 0; k < s->g.n; k++) s->last[k] = value(s, k);
    s->frozen = 1;
    s->g.values = NULL;
    s->g.ptrs = NULL;
    s->g.inst_n = 0;
    s->g.each = NULL;
    s->g.state = NULL;
  }
  pthread_mutex_unlock(&mu);
}

void
sof_pcounter_reset(void) {
  pthread_mutex_lock(&mu);
  memset(slots, 0, sizeof slots);
  pthread_mutex_unlock(&mu);
}

/* ---- Prometheus ---- */

typedef struct out {
  char   *buf;
  size_t  sz, *off;
} out_t;

static void
put(out_t *o, char const *fmt, ...) __attribute__((format(printf, 2, 3)));
static void
put(out_t *o, char const *fmt, ...) {
  if (*o->off >= o->sz) return;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(o->buf + *o->off, o->sz - *o->off, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= o->sz - *o->off) *o->off = o->sz;
  else *o->off += (size_t)n;
}

/* a label value, escaped as the exposition format says (\\, \", \n) */
static void
put_label(out_t *o, char const *key, char const *v) {
  put(o, "%s=\"", key);
  char esc[160];
  size_t l = 0;
  for (; v && *v; v++) {
    if (l + 3 >= sizeof esc) {
      esc[l] = '\0';
      put(o, "%s", esc);
      l = 0;
    }
    if (*v == '\\' || *v == '"') {
      esc[l++] = '\\';
      esc[l++] = *v;
    } else if (*v == '\n') {
      esc[l++] = '\\';
      esc[l++] = 'n';
    } else {
      esc[l++] = *v;
    }
  }
  esc[l] = '\0';
  put(o, "%s\"", esc);
}

static void
put_head(out_t *o, char const *owner, sof_pcounter_t const *c) {
  char const *sfx = c->gauge ? "" : "_total";
  put(o, "# HELP sof_%s_%s%s %s\n# TYPE sof_%s_%s%s %s\n", owner, c->family, sfx, c->help, owner, c->family,
      sfx, c->gauge ? "gauge" : "counter");
}

typedef struct inst_ctx {
  out_t                *o;
  sof_pcounter_group_t const *g;
  unsigned              k; /* the instance family being written */
} inst_ctx_t;

static void
inst_visit(void *ctx, char const *const *vals, uint64_t const *v) {
  inst_ctx_t *x = ctx;
  sof_pcounter_t const *c = &x->g->inst[x->k];
  put(x->o, "sof_%s_%s%s{", x->g->owner, c->family, c->gauge ? "" : "_total");
  for (unsigned l = 0; x->g->inst_keys[l]; l++) {
    if (l) put(x->o, ",");
    put_label(x->o, x->g->inst_keys[l], vals[l]);
  }
  put(x->o, "} %" PRIu64 "\n", v[x->k]);
}

int
sof_pcounter_prom(char *buf, size_t sz, size_t *off) {
  out_t o = {buf, sz, off};
  pthread_mutex_lock(&mu);
  for (unsigned i = 0; i < SOF_PCOUNTER_GROUPS_MAX; i++) {
    slot_t const *s = &slots[i];
    if (!s->used) continue;
    sof_pcounter_group_t const *g = &s->g;
    for (unsigned k = 0; k < g->n; k++) {
      sof_pcounter_t const *c = &g->c[k];
      char const *sfx = c->gauge ? "" : "_total";
      if (!k || strcmp(c->family, g->c[k - 1].family)) put_head(&o, g->owner, c);
      if (c->label_key) {
        put(&o, "sof_%s_%s%s{", g->owner, c->family, sfx);
        put_label(&o, c->label_key, c->label_val);
        put(&o, "} %" PRIu64 "\n", value(s, k));
      } else {
        put(&o, "sof_%s_%s%s %" PRIu64 "\n", g->owner, c->family, sfx, value(s, k));
      }
    }
    for (unsigned k = 0; k < g->inst_n; k++) {
      put_head(&o, g->owner, &g->inst[k]);
      inst_ctx_t x = {&o, g, k};
      g->each(g->state, inst_visit, &x);
    }
  }
  pthread_mutex_unlock(&mu);
  return *off >= sz ? -1 : 0;
}

/* ---- telemetry and JSON ---- */

static void
key_of(sof_pcounter_t const *c, char const *owner, char *key, size_t sz) {
  if (c->label_val) snprintf(key, sz, "%s%s%s_%s", owner ? owner : "", owner ? "_" : "", c->family, c->label_val);
  else snprintf(key, sz, "%s%s%s", owner ? owner : "", owner ? "_" : "", c->family);
}

void
sof_pcounter_tel(void (*add)(void *ctx, char const *key, uint64_t v), void *ctx) {
  pthread_mutex_lock(&mu);
  for (unsigned i = 0; i < SOF_PCOUNTER_GROUPS_MAX; i++) {
    slot_t const *s = &slots[i];
    if (!s->used || !s->g.telemetry) continue;
    for (unsigned k = 0; k < s->g.n; k++) {
      char key[128];
      key_of(&s->g.c[k], s->g.owner, key, sizeof key);
      add(ctx, key, value(s, k));
    }
  }
  pthread_mutex_unlock(&mu);
}

void
sof_pcounter_json_fields(sof_json_t *j, sof_pcounter_t const *c, unsigned n, uint64_t const *values) {
  for (unsigned k = 0; k < n; k++) {
    char key[128];
    key_of(&c[k], NULL, key, sizeof key);
    sof_json_key(j, key);
    sof_json_u64(j, sof_pcounter_get(&values[k]));
  }
}

int
sof_pcounter_lost(unsigned i, char const **owner, uint64_t *lost) {
  if (i >= SOF_PCOUNTER_GROUPS_MAX) return -1;
  int r = -1;
  pthread_mutex_lock(&mu);
  slot_t const *s = &slots[i];
  if (s->used) {
    uint64_t sum = 0;
    for (unsigned k = 0; k < s->g.n; k++)
      if (s->g.c[k].loss) sum += value(s, k);
    *owner = s->g.owner;
    *lost = sum;
    r = 0;
  }
  pthread_mutex_unlock(&mu);
  return r;
}
