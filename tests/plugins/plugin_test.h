/* plugin_test.h: what the plugin tests share: a fake setup environment
 * (config section, prefilter capture), temporary files, capture of
 * stdout / stderr, and hand-assembled transactions whose every byte (and
 * so every printed field) the tests know.
 *
 * The plugins are driven through their descriptors exactly as the host
 * drives them: setup with an env, hooks with events, shutdown. */
#ifndef SOF_PLUGIN_TEST_H
#define SOF_PLUGIN_TEST_H

#include <fcntl.h>
#include <stdarg.h>
#include <unistd.h>

#include "sof_test.h"

#include "plugin/sof_plugin.h"
#include "wire/sof_base58.h"
#include "wire/sof_txn.h"

/* ---- fake environment ------------------------------------------------------------ */

#define FAKE_KV_MAX 32

typedef struct fake_env {
  sof_plugin_env_t       env;
  char const            *key[FAKE_KV_MAX];
  char const            *val[FAKE_KV_MAX];
  unsigned               n;
  sof_prefilter_t const *pf;       /* the last prefilter installed */
  unsigned               pf_calls;
} fake_env_t;

static inline char const *
fake_get(sof_plugin_env_t const *env, char const *key) {
  fake_env_t const *f = env->host_private;
  for (unsigned i = 0; i < f->n; i++)
    if (!strcmp(f->key[i], key)) return f->val[i];
  return NULL;
}

static inline char const *
fake_key(sof_plugin_env_t const *env, unsigned n) {
  fake_env_t const *f = env->host_private;
  return n < f->n ? f->key[n] : NULL;
}

static inline void
fake_set_prefilter(sof_plugin_env_t *env, sof_prefilter_t const *pf) {
  fake_env_t *f = env->host_private;
  f->pf = pf;
  f->pf_calls++;
}

/* fake_init: an env for plugin name with the config pairs given as
 * key, value, ..., NULL. */
static inline void
fake_init(fake_env_t *f, char const *name, uint64_t tsc_hz, ...) {
  memset(f, 0, sizeof *f);
  f->env.name = name;
  f->env.tsc_hz = tsc_hz;
  f->env.config_get = fake_get;
  f->env.config_key = fake_key;
  f->env.set_prefilter = fake_set_prefilter;
  f->env.host_private = f;
  va_list ap;
  va_start(ap, tsc_hz);
  for (;;) {
    char const *k = va_arg(ap, char const *);
    if (!k) break;
    char const *v = va_arg(ap, char const *);
    if (f->n < FAKE_KV_MAX) {
      f->key[f->n] = k;
      f->val[f->n] = v;
      f->n++;
    }
  }
  va_end(ap);
}

/* setup_err: runs p's setup with the pairs (key, value, ..., NULL) and
 * checks that it fails with a message containing want. */
static inline void
setup_err_(char const *file, int line, sof_plugin_t const *p, char const *want, ...) {
  fake_env_t f;
  memset(&f, 0, sizeof f);
  f.env.name = p->name;
  f.env.tsc_hz = 1000000000U;
  f.env.config_get = fake_get;
  f.env.config_key = fake_key;
  f.env.set_prefilter = fake_set_prefilter;
  f.env.host_private = &f;
  va_list ap;
  va_start(ap, want);
  for (;;) {
    char const *k = va_arg(ap, char const *);
    if (!k) break;
    f.key[f.n] = k;
    f.val[f.n] = va_arg(ap, char const *);
    f.n++;
  }
  va_end(ap);
  char err[512] = "";
  void *state = NULL;
  int r = p->setup(&f.env, &state, err, sizeof err);
  sof_test_check_cnt++;
  if (r != -1 || !strstr(err, want)) {
    sof_test_fail_cnt++;
    fprintf(stderr, "%s:%d: FAIL: %s setup returned %d with \"%s\", wanted -1 with \"%s\"\n",
            file, line, p->name, r, err, want);
    if (r == 0) p->shutdown(state);
  }
}
#define SETUP_ERR(p, want, ...) setup_err_(__FILE__, __LINE__, (p), (want), __VA_ARGS__, NULL)

/* setup_ok: runs setup; a failure is a failed check (returns NULL). */
static inline void *
setup_ok_(char const *file, int line, sof_plugin_t const *p, fake_env_t *f) {
  char err[512] = "";
  void *state = NULL;
  int r = p->setup(&f->env, &state, err, sizeof err);
  sof_test_check_cnt++;
  if (r) {
    sof_test_fail_cnt++;
    fprintf(stderr, "%s:%d: FAIL: %s setup: %s\n", file, line, p->name, err);
    return NULL;
  }
  return state;
}
#define SETUP_OK(p, f) setup_ok_(__FILE__, __LINE__, (p), (f))

/* ---- files and captured streams ---------------------------------------------------- */

/* tmp_path: creates an empty temporary file and writes its name to buf. */
static inline void
tmp_path(char *buf, size_t sz, char const *tag) {
  char const *dir = getenv("TMPDIR");
  snprintf(buf, sz, "%s/sof_test_%s_XXXXXX", dir && dir[0] ? dir : "/tmp", tag);
  int fd = mkstemp(buf);
  if (fd < 0) {
    perror("mkstemp");
    exit(1);
  }
  close(fd);
}

/* read_file: the file's text (malloc'd, NUL-terminated; "" when missing). */
static inline char *
read_file(char const *path) {
  size_t sz = 0;
  char *s = (char *)sof_test_slurp(path, &sz);
  return s ? s : strdup("");
}

typedef struct capture {
  FILE *stream;
  int   saved;
  char  path[256];
} capture_t;

/* capture_begin / capture_end: stream (stdout or stderr) goes to a
 * temporary file in between; capture_end returns what was written
 * (malloc'd). */
static inline void
capture_begin(capture_t *c, FILE *stream) {
  fflush(stream);
  c->stream = stream;
  tmp_path(c->path, sizeof c->path, "capture");
  int fd = open(c->path, O_WRONLY | O_TRUNC);
  c->saved = dup(fileno(stream));
  dup2(fd, fileno(stream));
  close(fd);
}

static inline char *
capture_end(capture_t *c) {
  fflush(c->stream);
  dup2(c->saved, fileno(c->stream));
  close(c->saved);
  char *s = read_file(c->path);
  unlink(c->path);
  return s;
}

/* count_char: occurrences of ch in s. */
static inline unsigned
count_char(char const *s, char ch) {
  unsigned n = 0;
  for (; *s; s++) n += *s == ch;
  return n;
}

/* ---- known keys and transactions ----------------------------------------------------- */

#define K_PAYER   "AWxggjuZRmWULwxwPeM6ZZxRtdDdekVq22mFRx2QbW7U"
#define K_RECIP   "7tark5iZaRrMfGKtKy1aqpGuRgoxbE6ec7Z5Qa4Jc5xr"
#define K_BH      "4ruaGCyaofHWGxPFXFVjuEJCdfBGZ2wCtEx6LzdzVqtV"
#define K_TABLE   "txr9qfMZaR3ju5pH6U9J5xi9bquW62N8pFd8KZqMs5D"
#define K_VOTEACC "Be6JQLs7VpA5EbXjLSKqmYicfo24KJzDXbizC5SK5wFY"
#define K_LEADER  "6CyE7afmQKszjCCvMZ4FpQ5wDu9zosq95o1aDMNgB1mU"
#define K_WATCHED "9fJre8n8F2x3QNyLmAdNpChYMMiqaQiZahdveR4jfT9n"
#define K_SYSTEM  "11111111111111111111111111111111"
#define K_VOTE    "Vote111111111111111111111111111111111111111"
#define S_1 "31Mfuu9kt7yXe9L83yjcw78Ws856VNUiyHR53TtS8hbDrvajagA7WVvWrrtni1pTcG63uTt7pmXHLY6rKU1kzmX6"
#define S_2 "4wCjStZiNQUojLb1GHGLhtZKxj65J38aZ7DbYAyefr2o11tQW1xBmTvHzdvNdMFoG2xMEXgSxaB2A4wyCXimbuW4"
#define S_3 "K4i4kCk2oANp8dm2suhKgefFeAKojHLtkCfrZtdDFQxCPH7zd9zZ6vcxmu4ph1ipgt7UVD2bYhCzS5QMRHbnCtQ"

typedef struct tbuf {
  uint8_t b[SOF_TXN_MTU];
  size_t  n;
} tbuf_t;

static inline void
tb_u8(tbuf_t *t, uint8_t v) {
  t->b[t->n++] = v;
}

static inline void
tb_key(tbuf_t *t, char const *b58) {
  if (sof_base58_decode_32(b58, strlen(b58), t->b + t->n)) {
    fprintf(stderr, "bad test key %s\n", b58);
    exit(1);
  }
  t->n += 32;
}

static inline void
tb_sig(tbuf_t *t, char const *b58) {
  if (sof_base58_decode_64(b58, strlen(b58), t->b + t->n)) {
    fprintf(stderr, "bad test signature %s\n", b58);
    exit(1);
  }
  t->n += 64;
}

/* A parsed test transaction. */
typedef struct ttxn {
  tbuf_t    raw;
  sof_txn_t t;
} ttxn_t;

static inline void
tt_parse(ttxn_t *x) {
  size_t used = 0;
  int r = sof_txn_parse(&x->t, x->raw.b, x->raw.n, &used);
  if (r || used != x->raw.n) {
    fprintf(stderr, "test transaction does not parse: %s\n", sof_txn_err_str(r));
    exit(1);
  }
}

/* System transfer data: u32 2 (Transfer), u64 lamports. */
static inline void
tb_transfer_data(tbuf_t *t, uint64_t lamports) {
  tb_u8(t, 12);
  tb_u8(t, 2); tb_u8(t, 0); tb_u8(t, 0); tb_u8(t, 0);
  for (int i = 0; i < 8; i++) tb_u8(t, (uint8_t)(lamports >> (8 * i)));
}

/* T1: legacy, S_1, PAYER -> RECIP system transfer; 215 bytes. */
static inline void
tt_transfer(ttxn_t *x) {
  tbuf_t *t = &x->raw;
  t->n = 0;
  tb_u8(t, 1); tb_sig(t, S_1);
  tb_u8(t, 1); tb_u8(t, 0); tb_u8(t, 1);
  tb_u8(t, 3); tb_key(t, K_PAYER); tb_key(t, K_RECIP); tb_key(t, K_SYSTEM);
  tb_key(t, K_BH);
  tb_u8(t, 1);
  tb_u8(t, 2); tb_u8(t, 2); tb_u8(t, 0); tb_u8(t, 1);
  tb_transfer_data(t, 1000000);
  tt_parse(x);
}

/* T2: legacy, S_2, a Vote program instruction signed by LEADER on
 * VOTEACC: vote_only. */
static inline void
tt_vote(ttxn_t *x) {
  tbuf_t *t = &x->raw;
  t->n = 0;
  tb_u8(t, 1); tb_sig(t, S_2);
  tb_u8(t, 1); tb_u8(t, 0); tb_u8(t, 1);
  tb_u8(t, 3); tb_key(t, K_LEADER); tb_key(t, K_VOTEACC); tb_key(t, K_VOTE);
  tb_key(t, K_BH);
  tb_u8(t, 1);
  tb_u8(t, 2); tb_u8(t, 2); tb_u8(t, 1); tb_u8(t, 0);
  tb_u8(t, 4); tb_u8(t, 14); tb_u8(t, 0); tb_u8(t, 0); tb_u8(t, 0);
  tt_parse(x);
}

/* T3: v0, S_3, PAYER transfers to the lookup table TABLE's writable
 * entry 5; static keys PAYER, SYSTEM; 220 bytes. */
static inline void
tt_v0(ttxn_t *x) {
  tbuf_t *t = &x->raw;
  t->n = 0;
  tb_u8(t, 1); tb_sig(t, S_3);
  tb_u8(t, 0x80);
  tb_u8(t, 1); tb_u8(t, 0); tb_u8(t, 1);
  tb_u8(t, 2); tb_key(t, K_PAYER); tb_key(t, K_SYSTEM);
  tb_key(t, K_BH);
  tb_u8(t, 1);
  tb_u8(t, 1); tb_u8(t, 2); tb_u8(t, 0); tb_u8(t, 2);
  tb_transfer_data(t, 5000);
  tb_u8(t, 1);
  tb_key(t, K_TABLE); tb_u8(t, 1); tb_u8(t, 5); tb_u8(t, 0);
  tt_parse(x);
}

/* The transaction event a host would deliver for x. */
static inline sof_ev_txn_t
tt_event(ttxn_t const *x, uint64_t slot, int commitment, int path, uint32_t entry) {
  sof_ev_txn_t ev;
  memset(&ev, 0, sizeof ev);
  ev.slot = slot;
  ev.commitment = commitment;
  ev.kind = x->t.kind;
  ev.path = path;
  ev.marks = (sof_ev_marks_t){ slot, SOF_SLOT_UNKNOWN, SOF_SLOT_UNKNOWN };
  ev.signature = sof_txn_sig(&x->t, x->raw.b, 0);
  ev.bytes = x->raw.b;
  ev.sz = (uint32_t)x->raw.n;
  ev.txn = &x->t;
  ev.entry_idx = entry;
  return ev;
}

#endif /* SOF_PLUGIN_TEST_H */
