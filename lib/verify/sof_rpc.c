#include "verify/sof_rpc.h"

#include "wire/sof_base58.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/sof_errbuf.h"

#define MIN_SLOTS_PER_EPOCH 32ULL

static unsigned tz64(uint64_t v);
static uint64_t next_pow2(uint64_t v);

int
sof_rpc_request(char *buf, size_t sz, uint64_t id, char const *method, char const *params_json) {
  int n = params_json
    ? snprintf(buf, sz, "{\"jsonrpc\":\"2.0\",\"id\":%" PRIu64 ",\"method\":\"%s\",\"params\":%s}", id,
               method, params_json)
    : snprintf(buf, sz, "{\"jsonrpc\":\"2.0\",\"id\":%" PRIu64 ",\"method\":\"%s\"}", id, method);
  return n < 0 || (size_t)n >= sz ? -1 : n;
}

/* The envelope: returns the parsed root with *result pointing into it, or
 * NULL with a message (an error response, a wrong id or version). */
static json_t *
envelope(char const *buf, size_t sz, uint64_t id, json_t **result, char *err, size_t err_sz) {
  json_error_t jerr;
  json_t *root = json_loadb(buf, sz, JSON_REJECT_DUPLICATES, &jerr);
  if (!root) {
    sof_errbuf_set(err, err_sz, "not JSON: line %d column %d: %s", jerr.line, jerr.column, jerr.text);
    return NULL;
  }
  char const *why = NULL;
  json_t *ver = json_is_object(root) ? json_object_get(root, "jsonrpc") : NULL;
  json_t *jid = json_is_object(root) ? json_object_get(root, "id") : NULL;
  json_t *e = json_is_object(root) ? json_object_get(root, "error") : NULL;
  json_t *r = json_is_object(root) ? json_object_get(root, "result") : NULL;
  if (!json_is_object(root)) why = "not a JSON-RPC response object";
  else if (!json_is_string(ver) || strcmp(json_string_value(ver), "2.0")) why = "\"jsonrpc\" is not \"2.0\"";
  else if (e && !json_is_null(e)) {
    json_t *code = json_is_object(e) ? json_object_get(e, "code") : NULL;
    json_t *msg = json_is_object(e) ? json_object_get(e, "message") : NULL;
    sof_errbuf_set(err, err_sz, "rpc error %" JSON_INTEGER_FORMAT ": %.200s",
                   json_is_integer(code) ? json_integer_value(code) : 0,
                   json_is_string(msg) ? json_string_value(msg) : "(no message)");
    json_decref(root);
    return NULL;
  } else if (!json_is_integer(jid) || json_integer_value(jid) < 0 || (uint64_t)json_integer_value(jid) != id)
    why = "the response's \"id\" is not the request's";
  else if (!r) why = "neither \"result\" nor \"error\"";
  if (why) {
    sof_errbuf_set(err, err_sz, "%s", why);
    json_decref(root);
    return NULL;
  }
  *result = r;
  return root;
}

/* A non-negative integer field of obj. */
static int
get_u64(json_t *obj, char const *key, uint64_t *out, char *err, size_t err_sz) {
  json_t *v = json_object_get(obj, key);
  if (!json_is_integer(v) || json_integer_value(v) < 0) {
    sof_errbuf_set(err, err_sz, "\"%s\": expected an integer >= 0", key);
    return -1;
  }
  *out = (uint64_t)json_integer_value(v);
  return 0;
}

int
sof_rpc_epoch_schedule_parse(char const *buf, size_t sz, uint64_t id, sof_rpc_epoch_schedule_t *out,
                             char *err, size_t err_sz) {
  json_t *r;
  json_t *root = envelope(buf, sz, id, &r, err, err_sz);
  if (!root) return -1;
  int rc = -1;
  sof_rpc_epoch_schedule_t s = {0};
  if (!json_is_object(r)) {
    sof_errbuf_set(err, err_sz, "getEpochSchedule: \"result\" is not an object");
    goto done;
  }
  json_t *w = json_object_get(r, "warmup");
  if (get_u64(r, "slotsPerEpoch", &s.slots_per_epoch, err, err_sz) ||
      get_u64(r, "leaderScheduleSlotOffset", &s.leader_schedule_slot_offset, err, err_sz) ||
      get_u64(r, "firstNormalEpoch", &s.first_normal_epoch, err, err_sz) ||
      get_u64(r, "firstNormalSlot", &s.first_normal_slot, err, err_sz))
    goto done;
  if (!json_is_boolean(w)) {
    sof_errbuf_set(err, err_sz, "\"warmup\": expected true or false");
    goto done;
  }
  s.warmup = json_is_true(w);
  if (s.slots_per_epoch < 1 || s.slots_per_epoch > (1ULL << 40) || s.first_normal_epoch > 40 ||
      s.first_normal_slot > (1ULL << 50)) {
    sof_errbuf_set(err, err_sz, "getEpochSchedule: slotsPerEpoch %" PRIu64 ", firstNormalEpoch %" PRIu64
                   ", firstNormalSlot %" PRIu64 " out of range", s.slots_per_epoch,
                   s.first_normal_epoch, s.first_normal_slot);
    goto done;
  }
  /* as Solana's EpochSchedule::custom derives them: anything else would
   * put epochs at the wrong slots */
  uint64_t fne = 0, fns = 0;
  if (s.warmup) {
    uint64_t p = next_pow2(s.slots_per_epoch < MIN_SLOTS_PER_EPOCH ? MIN_SLOTS_PER_EPOCH : s.slots_per_epoch);
    fne = tz64(p) - tz64(MIN_SLOTS_PER_EPOCH);
    fns = p - MIN_SLOTS_PER_EPOCH;
  }
  if (s.first_normal_epoch != fne || s.first_normal_slot != fns) {
    sof_errbuf_set(err, err_sz, "getEpochSchedule: firstNormalEpoch %" PRIu64 " / firstNormalSlot %" PRIu64
                   " are inconsistent with slotsPerEpoch %" PRIu64 " and warmup %s (expected %" PRIu64
                   " / %" PRIu64 ")", s.first_normal_epoch, s.first_normal_slot, s.slots_per_epoch,
                   s.warmup ? "true" : "false", fne, fns);
    goto done;
  }
  *out = s;
  rc = 0;
done:
  json_decref(root);
  return rc;
}

int
sof_rpc_epoch_info_parse(char const *buf, size_t sz, uint64_t id, sof_rpc_epoch_info_t *out, char *err,
                         size_t err_sz) {
  json_t *r;
  json_t *root = envelope(buf, sz, id, &r, err, err_sz);
  if (!root) return -1;
  int rc = -1;
  sof_rpc_epoch_info_t s = {0};
  if (!json_is_object(r)) {
    sof_errbuf_set(err, err_sz, "getEpochInfo: \"result\" is not an object");
    goto done;
  }
  if (get_u64(r, "absoluteSlot", &s.absolute_slot, err, err_sz) ||
      get_u64(r, "epoch", &s.epoch, err, err_sz) ||
      get_u64(r, "slotIndex", &s.slot_index, err, err_sz) ||
      get_u64(r, "slotsInEpoch", &s.slots_in_epoch, err, err_sz))
    goto done;
  if (!s.slots_in_epoch || s.slot_index >= s.slots_in_epoch || s.slot_index > s.absolute_slot ||
      s.slots_in_epoch > (1ULL << 40)) {
    sof_errbuf_set(err, err_sz, "getEpochInfo: slotIndex %" PRIu64 " of %" PRIu64 " slots at slot %" PRIu64
                   " is inconsistent", s.slot_index, s.slots_in_epoch, s.absolute_slot);
    goto done;
  }
  *out = s;
  rc = 0;
done:
  json_decref(root);
  return rc;
}

int
sof_rpc_leader_schedule_parse(char const *buf, size_t sz, uint64_t id, uint64_t first_slot,
                              uint64_t slot_cnt, sof_leaders_t **tbl, uint64_t *named, char *err,
                              size_t err_sz) {
  json_t *r;
  json_t *root = envelope(buf, sz, id, &r, err, err_sz);
  if (!root) return -1;
  int rc = -1;
  if (json_is_null(r)) {
    rc = 0;
    goto done;
  }
  if (!json_is_object(r)) {
    sof_errbuf_set(err, err_sz, "getLeaderSchedule: \"result\" is neither an object nor null");
    goto done;
  }
  char *text = json_dumps(r, JSON_COMPACT);
  if (!text) {
    sof_errbuf_set(err, err_sz, "out of memory");
    goto done;
  }
  uint64_t cnt = slot_cnt;
  char why[256];
  *tbl = sof_leaders_epoch_from_json(text, strlen(text), first_slot, &cnt, named, why, sizeof why);
  free(text);
  if (!*tbl) {
    sof_errbuf_set(err, err_sz, "getLeaderSchedule: %s", why);
    goto done;
  }
  rc = 1;
done:
  json_decref(root);
  return rc;
}

int
sof_rpc_cluster_shred_version_parse(char const *buf, size_t sz, uint64_t id, uint16_t *version,
                                    uint32_t *agree, uint32_t *nodes, char *err, size_t err_sz) {
  json_t *r;
  json_t *root = envelope(buf, sz, id, &r, err, err_sz);
  if (!root) return -1;
  int rc = -1;
  uint32_t *cnt = calloc(65536, sizeof *cnt);
  uint32_t seen = 0;
  size_t i;
  json_t *node;
  if (!cnt) {
    sof_errbuf_set(err, err_sz, "out of memory");
    goto done;
  }
  if (!json_is_array(r)) {
    sof_errbuf_set(err, err_sz, "getClusterNodes: \"result\" is not an array");
    goto done;
  }
  json_array_foreach(r, i, node) {
    json_t *v = json_is_object(node) ? json_object_get(node, "shredVersion") : NULL;
    if (!v || json_is_null(v)) continue; /* a node that does not say */
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 65535) {
      sof_errbuf_set(err, err_sz, "getClusterNodes: node %zu: \"shredVersion\" is not 0..65535", i);
      goto done;
    }
    cnt[json_integer_value(v)]++;
    seen++;
  }
  if (!seen) {
    sof_errbuf_set(err, err_sz, "getClusterNodes: no node names its shredVersion");
    goto done;
  }
  uint32_t best = 0;
  for (uint32_t v = 1; v < 65536; v++)
    if (cnt[v] > cnt[best]) best = v;
  *version = (uint16_t)best;
  *agree = cnt[best];
  *nodes = seen;
  rc = 0;
done:
  free(cnt);
  json_decref(root);
  return rc;
}

int
sof_rpc_cluster_identities_parse(char const *buf, size_t sz, uint64_t id, uint8_t (**keys)[32], uint32_t *cnt,
                                 char *err, size_t err_sz) {
  *keys = NULL;
  *cnt = 0;
  json_t *r;
  json_t *root = envelope(buf, sz, id, &r, err, err_sz);
  if (!root) return -1;
  int rc = -1;
  uint8_t (*out)[32] = NULL;
  if (!json_is_array(r) || !json_array_size(r)) {
    sof_errbuf_set(err, err_sz, "getClusterNodes: \"result\" is not a non-empty array");
    goto done;
  }
  if (json_array_size(r) > SOF_RPC_NODES_MAX) {
    sof_errbuf_set(err, err_sz, "getClusterNodes: %zu nodes, more than %u", json_array_size(r), SOF_RPC_NODES_MAX);
    goto done;
  }
  out = malloc(json_array_size(r) * 32);
  if (!out) {
    sof_errbuf_set(err, err_sz, "out of memory");
    goto done;
  }
  size_t i;
  json_t *node;
  uint32_t n = 0;
  json_array_foreach(r, i, node) {
    json_t *pk = json_is_object(node) ? json_object_get(node, "pubkey") : NULL;
    char const *str = pk ? json_string_value(pk) : NULL;
    if (!str || sof_base58_decode_32(str, strlen(str), out[n])) {
      sof_errbuf_set(err, err_sz, "getClusterNodes: node %zu: \"pubkey\" is not a base58 public key", i);
      goto done;
    }
    n++;
  }
  *keys = out;
  *cnt = n;
  out = NULL;
  rc = 0;
done:
  free(out);
  json_decref(root);
  return rc;
}

static unsigned
tz64(uint64_t v) {
  return v ? (unsigned)__builtin_ctzll(v) : 64;
}

static uint64_t
next_pow2(uint64_t v) {
  uint64_t p = 1;
  while (p < v && p) p <<= 1;
  return p;
}

uint64_t
sof_rpc_epoch_of_slot(sof_rpc_epoch_schedule_t const *s, uint64_t slot) {
  if (slot < s->first_normal_slot) {
    unsigned e = tz64(next_pow2(slot + MIN_SLOTS_PER_EPOCH + 1)) - tz64(MIN_SLOTS_PER_EPOCH) - 1;
    return e;
  }
  return s->first_normal_epoch + (slot - s->first_normal_slot) / s->slots_per_epoch;
}

uint64_t
sof_rpc_first_slot(sof_rpc_epoch_schedule_t const *s, uint64_t epoch) {
  if (epoch <= s->first_normal_epoch) return ((1ULL << epoch) - 1) * MIN_SLOTS_PER_EPOCH;
  return (epoch - s->first_normal_epoch) * s->slots_per_epoch + s->first_normal_slot;
}

uint64_t
sof_rpc_slots_in_epoch(sof_rpc_epoch_schedule_t const *s, uint64_t epoch) {
  if (epoch < s->first_normal_epoch) return 1ULL << (epoch + tz64(MIN_SLOTS_PER_EPOCH));
  return s->slots_per_epoch;
}
