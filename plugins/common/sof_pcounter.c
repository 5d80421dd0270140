/* sof_pcounter.c: the registry of plugin counters (sof_pcounter.h). */
#include <string.h>

#include "sof_pcounter.h"

typedef struct group {
  char const           *owner;
  sof_pcounter_t const *c;
  uint64_t const       *values;
  unsigned              n; /* published last (release): 0 = empty */
} group_t;

static group_t groups[SOF_PCOUNTER_GROUPS_MAX];

int
sof_pcounter_register(char const *owner, sof_pcounter_t const *c, uint64_t const *values, unsigned n) {
  unsigned free_slot = SOF_PCOUNTER_GROUPS_MAX;
  for (unsigned i = 0; i < SOF_PCOUNTER_GROUPS_MAX; i++) {
    if (groups[i].owner && !strcmp(groups[i].owner, owner)) {
      free_slot = i;
      break;
    }
    if (!groups[i].owner && free_slot == SOF_PCOUNTER_GROUPS_MAX) free_slot = i;
  }
  if (free_slot == SOF_PCOUNTER_GROUPS_MAX) return -1;
  group_t *g = &groups[free_slot];
  __atomic_store_n(&g->n, 0, __ATOMIC_RELEASE);
  g->owner = owner;
  g->c = c;
  g->values = values;
  __atomic_store_n(&g->n, n, __ATOMIC_RELEASE);
  return 0;
}

int
sof_pcounter_group(unsigned i, char const **owner, sof_pcounter_t const **c, uint64_t const **values,
                   unsigned *n) {
  if (i >= SOF_PCOUNTER_GROUPS_MAX) return -1;
  group_t const *g = &groups[i];
  unsigned cnt = __atomic_load_n(&g->n, __ATOMIC_ACQUIRE);
  if (!cnt) return -1;
  *owner = g->owner;
  *c = g->c;
  *values = g->values;
  *n = cnt;
  return 0;
}

uint64_t
sof_pcounter_lost(unsigned i) {
  char const *owner;
  sof_pcounter_t const *c;
  uint64_t const *v;
  unsigned n;
  if (sof_pcounter_group(i, &owner, &c, &v, &n)) return 0;
  uint64_t sum = 0;
  for (unsigned k = 0; k < n; k++)
    if (c[k].loss) sum += sof_pcounter_get(&v[k]);
  return sum;
}
