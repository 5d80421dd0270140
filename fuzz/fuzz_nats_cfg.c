/* fuzz_nats_cfg: the nats plugin's config reader (plugins/nats/nats_cfg.c)
 * on arbitrary [plugin.nats] sections. The input is lines "key=value" (the
 * first '=' splits; a line without one is a key with an empty value); the
 * reader must accept or refuse each section with a reason, never read out
 * of bounds, and leave a config within the documented bounds when it
 * accepts. */
#include <stdlib.h>
#include <string.h>

#include "plugin/sof_plugin.h"
#include "sof_fuzz.h"

#include "../plugins/nats/nats_int.h"

#define KEYS_MAX 32

typedef struct fenv {
  sof_plugin_env_t env;
  char            *key[KEYS_MAX];
  char            *val[KEYS_MAX];
  unsigned         n;
} fenv_t;

static char const *
f_get(sof_plugin_env_t const *env, char const *key) {
  fenv_t const *f = (fenv_t const *)env;
  for (unsigned i = 0; i < f->n; i++)
    if (!strcmp(f->key[i], key)) return f->val[i];
  return NULL;
}

static char const *
f_key(sof_plugin_env_t const *env, unsigned n) {
  fenv_t const *f = (fenv_t const *)env;
  return n < f->n ? f->key[n] : NULL;
}

static void
f_prefilter(sof_plugin_env_t *env, sof_prefilter_t const *pf) {
  (void)env;
  (void)pf;
}

int
LLVMFuzzerTestOneInput(uint8_t const *data, size_t sz) {
  if (sz > 1U << 16) return 0;
  char *buf = malloc(sz + 1);
  if (!buf) return 0;
  memcpy(buf, data, sz);
  buf[sz] = '\0';
  fenv_t f;
  memset(&f, 0, sizeof f);
  f.env.name = "nats";
  f.env.tsc_hz = 1000000000ULL;
  f.env.config_get = f_get;
  f.env.config_key = f_key;
  f.env.set_prefilter = f_prefilter;
  for (char *line = buf; line && *line && f.n < KEYS_MAX;) {
    char *nl = strchr(line, '\n');
    if (nl) *nl = '\0';
    char *eq = strchr(line, '=');
    if (eq) *eq = '\0';
    f.key[f.n] = line;
    f.val[f.n] = eq ? eq + 1 : line + strlen(line);
    f.n++;
    line = nl ? nl + 1 : NULL;
  }
  nats_plugin_t *n = calloc(1, sizeof *n);
  if (n) {
    char err[512];
    err[0] = '\0';
    if (nats_cfg_parse(&f.env, n, err, sizeof err) == 0) {
      nats_cfg_t const *c = &n->cfg;
      if (!c->url[0] || !c->stream[0] || !c->prefix[0] || c->replicas < 1 || c->replicas > 5 ||
          c->queue_bytes < (64U << 10) || c->max_pending < 1 || c->reconnect_wait_max_ms < c->reconnect_wait_ms)
        abort();
      int any = 0;
      for (int i = 0; i < NEV_CNT; i++) any |= c->want[i];
      if (!any) abort();
    } else if (!err[0] || !memchr(err, '\0', sizeof err)) {
      abort(); /* a refusal says why */
    }
    free(n->include);
    free(n->exclude);
    free(n->required);
    free(n);
  }
  free(buf);
  return 0;
}
