/* sof_pjoin.c: the joined mode's join table (see sof_pjoin.h). */
#include "provider/sof_pjoin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define J_FREE       0
#define J_SHRED      1
#define J_PROV       2
#define J_SHRED_DONE 3
#define J_PROV_DONE  4

typedef struct jent {
  uint64_t t;        /* the first sighting */
  uint64_t age;      /* insertion order: the oldest goes first */
  uint8_t  sig[64];
} jent_t;

struct sof_pjoin {
  jent_t           *e;
  uint8_t          *state;   /* J_*, per entry (apart: a set's states in one line) */
  uint64_t          sets;    /* power of two */
  uint64_t          clock;
  sof_pjoin_stats_t st;      /* atomic stores */
};

#define ADD(f) __atomic_store_n(&(f), (f) + 1, __ATOMIC_RELAXED)

sof_pjoin_t *sof_pjoin_new(uint64_t entries, char *err, size_t err_sz) {
  if (entries < SOF_PJOIN_WAYS || (entries & (entries - 1)) || entries > (1ull << 32)) {
    if (err) snprintf(err, err_sz, "join table: entries must be a power of two in [%u, 2^32]", SOF_PJOIN_WAYS);
    return NULL;
  }
  sof_pjoin_t *j = calloc(1, sizeof *j);
  if (j) {
    j->e = calloc(entries, sizeof *j->e);
    j->state = calloc(entries, 1);
  }
  if (!j || !j->e || !j->state) {
    sof_pjoin_delete(j);
    if (err) snprintf(err, err_sz, "join table: out of memory");
    return NULL;
  }
  j->sets = entries / SOF_PJOIN_WAYS;
  return j;
}

void sof_pjoin_delete(sof_pjoin_t *j) {
  if (!j) return;
  free(j->e);
  free(j->state);
  free(j);
}

static uint64_t set_of(sof_pjoin_t const *j, uint8_t const *sig) {
  uint64_t h;
  memcpy(&h, sig + 8, 8);
  return (h & (j->sets - 1)) * SOF_PJOIN_WAYS;
}

/* The entry holding sig in the set at base, or -1. */
static int find(sof_pjoin_t const *j, uint64_t base, uint8_t const *sig) {
  uint64_t k;
  memcpy(&k, sig, 8);
  for (unsigned i = 0; i < SOF_PJOIN_WAYS; i++) {
    if (j->state[base + i] == J_FREE) continue;
    jent_t const *e = &j->e[base + i];
    uint64_t ek;
    memcpy(&ek, e->sig, 8);
    if (ek == k && !memcmp(e->sig, sig, 64)) return (int)i;
  }
  return -1;
}

static void put(sof_pjoin_t *j, uint64_t base, uint8_t const *sig, uint64_t t, uint8_t state) {
  int free_i = -1, done_i = -1, wait_i = -1;
  for (unsigned i = 0; i < SOF_PJOIN_WAYS && free_i < 0; i++) {
    uint8_t s = j->state[base + i];
    uint64_t age = j->e[base + i].age;
    if (s == J_FREE) free_i = (int)i;
    else if (s == J_SHRED_DONE || s == J_PROV_DONE) { if (done_i < 0 || age < j->e[base + (unsigned)done_i].age) done_i = (int)i; }
    else if (wait_i < 0 || age < j->e[base + (unsigned)wait_i].age) wait_i = (int)i;
  }
  int i = free_i >= 0 ? free_i : done_i >= 0 ? done_i : wait_i;
  if (free_i < 0 && done_i < 0) ADD(j->st.evicted);
  jent_t *e = &j->e[base + (unsigned)i];
  e->t = t;
  e->age = ++j->clock;
  memcpy(e->sig, sig, 64);
  j->state[base + (unsigned)i] = state;
  ADD(j->st.inserted);
}

int sof_pjoin_shred(sof_pjoin_t *j, uint8_t const *sig, uint64_t t, uint64_t *other) {
  uint64_t base = set_of(j, sig);
  int i = find(j, base, sig);
  if (i < 0) {
    put(j, base, sig, t, J_SHRED);
    return SOF_PJOIN_NEW;
  }
  uint8_t *s = &j->state[base + (unsigned)i];
  if (*s == J_PROV) {
    *s = J_PROV_DONE;
    if (other) *other = j->e[base + (unsigned)i].t;
    ADD(j->st.dedupe);
    return SOF_PJOIN_DEDUPE;
  }
  ADD(j->st.dup);
  return *s == J_PROV_DONE ? SOF_PJOIN_DEDUPE_AGAIN : SOF_PJOIN_AGAIN;
}

int sof_pjoin_provider(sof_pjoin_t *j, uint8_t const *sig, uint64_t t, int body, uint64_t *other) {
  uint64_t base = set_of(j, sig);
  int i = find(j, base, sig);
  if (i < 0) {
    if (body) {
      put(j, base, sig, t, J_PROV);
      ADD(j->st.prov_first);
    } else {
      ADD(j->st.misses);
    }
    return SOF_PJOIN_FIRST;
  }
  uint8_t *s = &j->state[base + (unsigned)i];
  if (*s == J_SHRED) {
    *s = J_SHRED_DONE;
    if (other) *other = j->e[base + (unsigned)i].t;
    ADD(j->st.hits);
    return SOF_PJOIN_JOINED;
  }
  ADD(j->st.dup);
  return SOF_PJOIN_REPEAT;
}

void sof_pjoin_stats(sof_pjoin_t const *j, sof_pjoin_stats_t *out) {
  uint64_t const *s = (uint64_t const *)&j->st;
  uint64_t *d = (uint64_t *)out;
  for (size_t i = 0; i < sizeof *out / sizeof(uint64_t); i++) d[i] = __atomic_load_n(&s[i], __ATOMIC_RELAXED);
}
