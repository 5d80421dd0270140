/* sof-gossip: decode Solana gossip packets from pcap / pcapng captures (or
 * raw packet files) as JSON lines.
 *
 *   sof-gossip [options] INPUT...
 *
 * One JSON object per line on stdout: "type":"gossip" per decoded packet
 * (message kind, sender, every CRDS value with its fields; with --verify the
 * signature verdicts), "type":"error" for a packet that does not decode
 * (the named reason), and a final "type":"summary" (counts by message kind,
 * CRDS kind and reason). Exit 0 when everything decoded, 1 when anything
 * was malformed or failed verification, 2 on a usage or I/O error. */
#include <getopt.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/sof_ed25519.h"
#include "gossip/sof_gossip.h"
#include "util/sof_json.h"
#include "wire/sof_pkt.h"

#define LINE_MAX_SZ (256U * 1024U)

typedef struct {
  int       port;        /* -1: any */
  int       verify;
  uint64_t  packets, ok, bad, sig_bad, filtered, frames_bad;
  uint64_t  msg[SOF_GOSSIP_MSG_CNT];
  uint64_t  crds[SOF_GOSSIP_CRDS_CNT];
  uint64_t  err[SOF_GOSSIP_ERR_CNT + 1];
  sof_json_t j;
  sof_gossip_msg_t m;
} tool_t;

static void
usage(FILE *f) {
  fputs("usage: sof-gossip [options] INPUT...\n"
        "Decodes Solana gossip packets as JSON lines (one per packet, then a summary).\n"
        "  INPUT                pcap / pcapng capture (Ethernet, Linux cooked as from\n"
        "                       tcpdump -i any, raw IP), or a raw packet file\n"
        "                       (one gossip UDP payload) with --raw\n"
        "  -p, --port N         pcap: only UDP packets from or to port N (default: all)\n"
        "  -V, --verify         check every signature (CRDS values, ping, pong, prune)\n"
        "  -r, --raw            inputs are raw UDP payloads, one per file\n"
        "  -h, --help           this text\n"
        "Exit status: 0 all decoded (and verified), 1 some did not, 2 usage / I/O error.\n", f);
}

static void
ip_str(char *out, size_t cap, uint8_t const b[4], uint16_t port) {
  snprintf(out, cap, "%u.%u.%u.%u:%u", b[0], b[1], b[2], b[3], port);
}

static void
json_ci(sof_json_t *j, sof_gossip_contact_info_t const *ci) {
  char s[64];
  sof_json_key(j, "outset"); sof_json_u64(j, ci->outset);
  sof_json_key(j, "shredVersion"); sof_json_u64(j, ci->shred_version);
  snprintf(s, sizeof s, "%u.%u.%u", ci->version.major, ci->version.minor, ci->version.patch);
  sof_json_key(j, "version"); sof_json_str(j, s);
  sof_json_key(j, "commit"); sof_json_u64(j, ci->version.commit);
  sof_json_key(j, "featureSet"); sof_json_u64(j, ci->version.feature_set);
  sof_json_key(j, "client"); sof_json_u64(j, ci->version.client);
  sof_json_key(j, "sockets");
  sof_json_obj_begin(j);
  for (unsigned i = 0; i < ci->socket_cnt; i++) {
    char k[16];
    char const *name = sof_gossip_sock_str(ci->sockets[i].key);
    if (!name) { snprintf(k, sizeof k, "key%u", ci->sockets[i].key); name = k; }
    sof_json_key(j, name);
    ip_str(s, sizeof s, ci->addrs[ci->sockets[i].index].b, ci->sockets[i].port);
    sof_json_str(j, s);
  }
  sof_json_obj_end(j);
  sof_json_key(j, "extensions");
  sof_json_arr_begin(j);
  for (unsigned i = 0; i < ci->ext_cnt; i++) {
    sof_json_obj_begin(j);
    sof_json_key(j, "type"); sof_json_u64(j, ci->ext[i].type);
    sof_json_key(j, "data"); sof_json_hex(j, ci->ext[i].data, ci->ext[i].len);
    sof_json_obj_end(j);
  }
  sof_json_arr_end(j);
}

static void
json_value(tool_t *t, sof_gossip_value_t const *v) {
  sof_json_t *j = &t->j;
  sof_json_obj_begin(j);
  sof_json_key(j, "kind"); sof_json_str(j, sof_gossip_crds_str(v->kind));
  sof_json_key(j, "origin"); sof_json_b58_32(j, sof_gossip_value_origin(v));
  sof_json_key(j, "wallclock"); sof_json_u64(j, sof_gossip_value_wallclock(v));
  sof_json_key(j, "size"); sof_json_u64(j, sof_gossip_value_size(v));
  if (v->deprecated) { sof_json_key(j, "deprecated"); sof_json_bool(j, 1); }
  if (t->verify) {
    int ok = sof_gossip_value_verify(v) == SOF_GOSSIP_OK;
    if (!ok) t->sig_bad++;
    sof_json_key(j, "signatureOk"); sof_json_bool(j, ok);
  }
  char s[64];
  switch (v->kind) {
  case SOF_GOSSIP_CRDS_CONTACT_INFO: json_ci(j, &v->ci); break;
  case SOF_GOSSIP_CRDS_LEGACY_CONTACT_INFO: {
    sof_gossip_legacy_ci_t const *l = &v->legacy_ci;
    sof_json_key(j, "shredVersion"); sof_json_u64(j, l->shred_version);
    static char const *const names[SOF_GOSSIP_LCI_CNT] = { "gossip", "tvu", "tvu_quic", "repair", "tpu",
      "tpu_forwards", "tpu_vote", "rpc", "rpc_pubsub", "serve_repair" };
    sof_json_key(j, "sockets");
    sof_json_obj_begin(j);
    for (unsigned i = 0; i < SOF_GOSSIP_LCI_CNT; i++) {
      if (l->addrs[i].is_v6) continue;
      sof_json_key(j, names[i]);
      ip_str(s, sizeof s, l->addrs[i].ip, l->addrs[i].port);
      sof_json_str(j, s);
    }
    sof_json_obj_end(j);
    break;
  }
  case SOF_GOSSIP_CRDS_VOTE:
    sof_json_key(j, "index"); sof_json_u64(j, v->vote.index);
    sof_json_key(j, "txnSignature"); sof_json_b58_64(j, v->vote.txn + 1);
    sof_json_key(j, "txnSize"); sof_json_u64(j, v->vote.txn_sz);
    break;
  case SOF_GOSSIP_CRDS_LOWEST_SLOT:
    sof_json_key(j, "lowest"); sof_json_u64(j, v->lowest_slot.lowest);
    break;
  case SOF_GOSSIP_CRDS_LEGACY_SNAPSHOT_HASHES:
  case SOF_GOSSIP_CRDS_ACCOUNTS_HASHES:
    sof_json_key(j, "hashes"); sof_json_u64(j, v->accounts_hashes.hash_cnt);
    break;
  case SOF_GOSSIP_CRDS_EPOCH_SLOTS:
    sof_json_key(j, "index"); sof_json_u64(j, v->epoch_slots.index);
    sof_json_key(j, "entries"); sof_json_arr_begin(j);
    for (uint32_t i = 0; i < v->epoch_slots.entry_cnt; i++) {
      sof_gossip_slots_entry_t e;
      if (sof_gossip_epoch_slots_entry(&v->epoch_slots, i, &e)) break;
      sof_json_obj_begin(j);
      sof_json_key(j, "firstSlot"); sof_json_u64(j, e.first_slot);
      sof_json_key(j, "num"); sof_json_u64(j, e.num);
      sof_json_key(j, "compressed"); sof_json_bool(j, e.compressed);
      sof_json_obj_end(j);
    }
    sof_json_arr_end(j);
    break;
  case SOF_GOSSIP_CRDS_LEGACY_VERSION:
  case SOF_GOSSIP_CRDS_VERSION:
    snprintf(s, sizeof s, "%u.%u.%u", v->version.major, v->version.minor, v->version.patch);
    sof_json_key(j, "version"); sof_json_str(j, s);
    break;
  case SOF_GOSSIP_CRDS_NODE_INSTANCE:
    sof_json_key(j, "timestamp"); sof_json_u64(j, v->node_instance.timestamp);
    sof_json_key(j, "token"); sof_json_u64(j, v->node_instance.token);
    break;
  case SOF_GOSSIP_CRDS_DUPLICATE_SHRED:
    sof_json_key(j, "slot"); sof_json_u64(j, v->dup_shred.slot);
    sof_json_key(j, "chunk"); sof_json_u64(j, v->dup_shred.chunk_index);
    sof_json_key(j, "chunks"); sof_json_u64(j, v->dup_shred.num_chunks);
    break;
  case SOF_GOSSIP_CRDS_SNAPSHOT_HASHES:
    sof_json_key(j, "fullSlot"); sof_json_u64(j, v->snapshot_hashes.full_slot);
    sof_json_key(j, "fullHash"); sof_json_b58_32(j, v->snapshot_hashes.full_hash);
    sof_json_key(j, "incremental"); sof_json_u64(j, v->snapshot_hashes.incr_cnt);
    break;
  case SOF_GOSSIP_CRDS_RESTART_LAST_VOTED_FORK:
    sof_json_key(j, "lastVotedSlot"); sof_json_u64(j, v->restart_slots.last_voted_slot);
    break;
  case SOF_GOSSIP_CRDS_RESTART_HEAVIEST_FORK:
    sof_json_key(j, "lastSlot"); sof_json_u64(j, v->restart_fork.last_slot);
    sof_json_key(j, "observedStake"); sof_json_u64(j, v->restart_fork.observed_stake);
    break;
  default: break;
  }
  sof_json_obj_end(j);
}

static void
emit(tool_t *t) {
  sof_json_newline(&t->j);
  if (sof_json_ok(&t->j)) fwrite(t->j.buf, 1, t->j.len, stdout);
  sof_json_reset(&t->j);
}

/* Decodes one UDP payload; src / dst may be NULL (raw files). */
static void
one_packet(tool_t *t, uint8_t const *p, size_t sz, char const *src, char const *dst, char const *path,
           uint64_t frame) {
  t->packets++;
  sof_json_t *j = &t->j;
  int rc = sof_gossip_parse(&t->m, p, sz);
  sof_json_obj_begin(j);
  sof_json_key(j, "type"); sof_json_str(j, rc ? "error" : "gossip");
  sof_json_key(j, "source"); sof_json_str(j, path);
  sof_json_key(j, "frame"); sof_json_u64(j, frame);
  if (src) { sof_json_key(j, "src"); sof_json_str(j, src); }
  if (dst) { sof_json_key(j, "dst"); sof_json_str(j, dst); }
  sof_json_key(j, "size"); sof_json_u64(j, sz);
  if (rc) {
    t->bad++;
    t->err[-rc]++;
    sof_json_key(j, "error"); sof_json_str(j, sof_gossip_err_str(rc));
    if (t->m.err_value >= 0) { sof_json_key(j, "value"); sof_json_u64(j, (uint64_t)t->m.err_value); }
    sof_json_obj_end(j);
    emit(t);
    return;
  }
  sof_gossip_msg_t const *m = &t->m;
  t->ok++;
  t->msg[m->kind]++;
  sof_json_key(j, "msg"); sof_json_str(j, sof_gossip_msg_str(m->kind));
  if (m->from) { sof_json_key(j, "from"); sof_json_b58_32(j, m->from); }
  switch (m->kind) {
  case SOF_GOSSIP_MSG_PULL_REQUEST:
    sof_json_key(j, "filter");
    sof_json_obj_begin(j);
    sof_json_key(j, "keys"); sof_json_u64(j, m->filter.key_cnt);
    sof_json_key(j, "bits"); sof_json_u64(j, m->filter.bit_len);
    sof_json_key(j, "bitsSet"); sof_json_u64(j, m->filter.num_bits_set);
    sof_json_key(j, "mask"); sof_json_u64(j, m->filter.mask);
    sof_json_key(j, "maskBits"); sof_json_u64(j, m->filter.mask_bits);
    sof_json_obj_end(j);
    break;
  case SOF_GOSSIP_MSG_PRUNE:
    sof_json_key(j, "prunes"); sof_json_arr_begin(j);
    for (uint32_t i = 0; i < m->prune.prune_cnt; i++) sof_json_b58_32(j, m->prune.prunes + 32U * i);
    sof_json_arr_end(j);
    sof_json_key(j, "destination"); sof_json_b58_32(j, m->prune.destination);
    sof_json_key(j, "wallclock"); sof_json_u64(j, m->prune.wallclock);
    if (t->verify) {
      int ok = sof_gossip_prune_verify(&m->prune) == SOF_GOSSIP_OK;
      t->sig_bad += !ok;
      sof_json_key(j, "signatureOk"); sof_json_bool(j, ok);
    }
    break;
  case SOF_GOSSIP_MSG_PING:
  case SOF_GOSSIP_MSG_PONG:
    sof_json_key(j, m->kind == SOF_GOSSIP_MSG_PING ? "token" : "hash");
    sof_json_hex(j, m->ping.token, 32);
    if (t->verify) {
      int ok = sof_gossip_ping_verify(&m->ping) == SOF_GOSSIP_OK;
      t->sig_bad += !ok;
      sof_json_key(j, "signatureOk"); sof_json_bool(j, ok);
    }
    break;
  default: break;
  }
  if (m->value_cnt) {
    sof_json_key(j, "values");
    sof_json_arr_begin(j);
    for (uint32_t i = 0; i < m->value_cnt; i++) {
      t->crds[m->values[i].kind]++;
      json_value(t, &m->values[i]);
    }
    sof_json_arr_end(j);
  }
  sof_json_obj_end(j);
  emit(t);
}

static int
do_pcap(tool_t *t, char const *path) {
  char errbuf[PCAP_ERRBUF_SIZE];
  pcap_t *pc = pcap_open_offline(path, errbuf);
  if (!pc) {
    fprintf(stderr, "sof-gossip: %s: %s\n", path, errbuf);
    return -1;
  }
  int dlt = pcap_datalink(pc);
  if (dlt != DLT_EN10MB && dlt != DLT_LINUX_SLL && dlt != DLT_RAW) {
    fprintf(stderr, "sof-gossip: %s: link type %s not supported (Ethernet, Linux cooked, raw IP)\n", path,
            pcap_datalink_val_to_name(pcap_datalink(pc)) ? pcap_datalink_val_to_name(pcap_datalink(pc)) : "?");
    pcap_close(pc);
    return -1;
  }
  struct pcap_pkthdr *h;
  uint8_t const *frame;
  int rc;
  uint64_t n = 0;
  static uint8_t eth[14 + 65536];
  while ((rc = pcap_next_ex(pc, &h, &frame)) == 1) {
    n++;
    sof_pkt_udp_t u;
    uint32_t caplen = h->caplen;
    if (dlt != DLT_EN10MB) {
      /* Linux cooked (tcpdump -i any: 16-byte header, protocol at 14) or raw
       * IPv4: the L3 packet behind an Ethernet header of our own */
      uint32_t hdr = dlt == DLT_LINUX_SLL ? 16U : 0U;
      if (caplen < hdr || caplen - hdr > sizeof eth - 14) { t->frames_bad++; continue; }
      memset(eth, 0, 12);
      if (dlt == DLT_LINUX_SLL) memcpy(eth + 12, frame + 14, 2);
      else { eth[12] = 0x08; eth[13] = 0x00; }
      memcpy(eth + 14, frame + hdr, caplen - hdr);
      frame = eth;
      caplen = caplen - hdr + 14;
    }
    if (h->caplen < h->len || sof_pkt_parse(&u, frame, caplen) || u.payload_off + u.payload_sz > caplen) {
      t->frames_bad++; /* not a complete UDP/IPv4 frame */
      continue;
    }
    if (t->port >= 0 && u.dst_port != t->port && u.src_port != t->port) {
      t->filtered++;
      continue;
    }
    char src[32], dst[32];
    uint8_t sb[4] = { (uint8_t)(u.src_ip >> 24), (uint8_t)(u.src_ip >> 16), (uint8_t)(u.src_ip >> 8), (uint8_t)u.src_ip };
    uint8_t db[4] = { (uint8_t)(u.dst_ip >> 24), (uint8_t)(u.dst_ip >> 16), (uint8_t)(u.dst_ip >> 8), (uint8_t)u.dst_ip };
    ip_str(src, sizeof src, sb, u.src_port);
    ip_str(dst, sizeof dst, db, u.dst_port);
    one_packet(t, frame + u.payload_off, u.payload_sz, src, dst, path, n);
  }
  int ret = 0;
  if (rc == -1) {
    fprintf(stderr, "sof-gossip: %s: %s\n", path, pcap_geterr(pc));
    ret = -1;
  }
  pcap_close(pc);
  return ret;
}

static int
do_raw(tool_t *t, char const *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "sof-gossip: %s: cannot open\n", path);
    return -1;
  }
  static uint8_t buf[65536];
  size_t n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  one_packet(t, buf, n, NULL, NULL, path, 1);
  return 0;
}

int
main(int argc, char **argv) {
  static tool_t t;
  t.port = -1;
  int raw = 0;
  static struct option const opts[] = {
    { "port", required_argument, NULL, 'p' }, { "verify", no_argument, NULL, 'V' },
    { "raw", no_argument, NULL, 'r' },        { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  int c;
  while ((c = getopt_long(argc, argv, "p:Vrh", opts, NULL)) != -1) {
    switch (c) {
    case 'p': {
      char *end;
      long v = strtol(optarg, &end, 10);
      if (*end || v < 0 || v > 65535) {
        fprintf(stderr, "sof-gossip: bad port '%s'\n", optarg);
        return 2;
      }
      t.port = (int)v;
      break;
    }
    case 'V': t.verify = 1; break;
    case 'r': raw = 1; break;
    case 'h': usage(stdout); return 0;
    default: usage(stderr); return 2;
    }
  }
  if (optind >= argc) {
    usage(stderr);
    return 2;
  }
  if (sof_ed25519_init()) {
    fprintf(stderr, "sof-gossip: libsodium failed to initialise\n");
    return 2;
  }
  static char line[LINE_MAX_SZ];
  sof_json_init(&t.j, line, sizeof line);
  int io = 0;
  for (int i = optind; i < argc; i++)
    if ((raw ? do_raw(&t, argv[i]) : do_pcap(&t, argv[i])) < 0) io = 1;

  sof_json_t *j = &t.j;
  sof_json_obj_begin(j);
  sof_json_key(j, "type"); sof_json_str(j, "summary");
  sof_json_key(j, "packets"); sof_json_u64(j, t.packets);
  sof_json_key(j, "decoded"); sof_json_u64(j, t.ok);
  sof_json_key(j, "malformed"); sof_json_u64(j, t.bad);
  sof_json_key(j, "framesNotUdp"); sof_json_u64(j, t.frames_bad);
  sof_json_key(j, "filtered"); sof_json_u64(j, t.filtered);
  if (t.verify) { sof_json_key(j, "signaturesBad"); sof_json_u64(j, t.sig_bad); }
  sof_json_key(j, "messages"); sof_json_obj_begin(j);
  for (uint32_t k = 0; k < SOF_GOSSIP_MSG_CNT; k++)
    if (t.msg[k]) { sof_json_key(j, sof_gossip_msg_str(k)); sof_json_u64(j, t.msg[k]); }
  sof_json_obj_end(j);
  sof_json_key(j, "values"); sof_json_obj_begin(j);
  for (uint32_t k = 0; k < SOF_GOSSIP_CRDS_CNT; k++)
    if (t.crds[k]) { sof_json_key(j, sof_gossip_crds_str(k)); sof_json_u64(j, t.crds[k]); }
  sof_json_obj_end(j);
  sof_json_key(j, "errors"); sof_json_obj_begin(j);
  for (int k = 1; k <= SOF_GOSSIP_ERR_CNT; k++)
    if (t.err[k]) { sof_json_key(j, sof_gossip_err_str(-k)); sof_json_u64(j, t.err[k]); }
  sof_json_obj_end(j);
  sof_json_obj_end(j);
  emit(&t);
  if (io) return 2;
  return (t.bad || t.sig_bad) ? 1 : 0;
}
