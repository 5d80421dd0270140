/* sof_gossip.h: the Solana gossip wire format, decoded from untrusted bytes
 * and encoded for what sofd sends.
 *
 * A gossip packet is one bincode-serialized Protocol value (at most 1232
 * bytes, integers little-endian, enum tags u32, Vec lengths u64 unless noted):
 *
 *   0 PullRequest  (CrdsFilter, CrdsValue)      the value: the requester's ContactInfo
 *   1 PullResponse (Pubkey, Vec<CrdsValue>)
 *   2 PushMessage  (Pubkey, Vec<CrdsValue>)
 *   3 PruneMessage (Pubkey, PruneData)
 *   4 PingMessage  (from, token[32], signature)
 *   5 PongMessage  (from, hash[32], signature)  hash = sha256("SOLANA_PING_PONG" || token)
 *
 * A CrdsValue is a 64-byte signature followed by CrdsData (u32 tag + body);
 * the signature is by the value's origin (its `from` / pubkey) over the
 * CrdsData bytes, tag included. The layouts of every CrdsData kind, with the
 * sources they were taken from, are in docs/gossip.md.
 *
 * Decoding (sof_gossip_parse) is zero-copy: the descriptor holds pointers
 * into the caller's buffer (keys, hashes, signatures, byte strings) and the
 * scalar fields; the buffer must outlive every use of the descriptor. No
 * allocation; bounded work (one pass over at most 1232 bytes). The parser
 * also applies Agave's sanitize rules (wallclock and slot bounds, CRDS
 * indices, ContactInfo address/socket consistency, prune pubkeys); each
 * rejection is a named reason code (sof_gossip_err_str) for the counters.
 * Signatures are checked separately (sof_gossip_*_verify), with libsodium.
 *
 * Encoding writes into a caller buffer; signing takes a 64-byte ed25519 key
 * pair (seed || public key, libsodium's layout).
 *
 * Thread safety: every function is reentrant (no shared state); signing and
 * verification need sof_ed25519_init (lib/crypto) to have run once. */
#ifndef SOF_GOSSIP_H
#define SOF_GOSSIP_H

#include <stddef.h>
#include <stdint.h>

#define SOF_GOSSIP_PACKET_MAX     1232U  /* PACKET_DATA_SIZE */
#define SOF_GOSSIP_VALUES_MAX       16U  /* CRDS values per message (a full packet holds <= 11) */
#define SOF_GOSSIP_CI_ADDRS_MAX     16U  /* ContactInfo IP addresses kept */
#define SOF_GOSSIP_CI_SOCKETS_MAX   32U  /* ContactInfo socket entries kept (14 keys known) */
#define SOF_GOSSIP_CI_EXT_MAX        8U  /* ContactInfo TLV extensions kept */
#define SOF_GOSSIP_MAX_WALLCLOCK 1000000000000000ULL /* Agave MAX_WALLCLOCK (ms) */
#define SOF_GOSSIP_MAX_SLOT      1000000000000000ULL /* Agave MAX_SLOT */
#define SOF_GOSSIP_MAX_VOTES        32U  /* vote index bound (Agave OLD_MAX_VOTES) */
#define SOF_GOSSIP_MAX_EPOCH_SLOTS 255U  /* epoch-slots index bound */
#define SOF_GOSSIP_MAX_DUP_SHREDS  512U  /* duplicate-shred index bound */

/* Protocol message kinds (the u32 tag). */
enum {
  SOF_GOSSIP_MSG_PULL_REQUEST  = 0,
  SOF_GOSSIP_MSG_PULL_RESPONSE = 1,
  SOF_GOSSIP_MSG_PUSH          = 2,
  SOF_GOSSIP_MSG_PRUNE         = 3,
  SOF_GOSSIP_MSG_PING          = 4,
  SOF_GOSSIP_MSG_PONG          = 5,
  SOF_GOSSIP_MSG_CNT           = 6,
};

/* CrdsData kinds (the u32 tag). */
enum {
  SOF_GOSSIP_CRDS_LEGACY_CONTACT_INFO     = 0,
  SOF_GOSSIP_CRDS_VOTE                    = 1,
  SOF_GOSSIP_CRDS_LOWEST_SLOT             = 2,
  SOF_GOSSIP_CRDS_LEGACY_SNAPSHOT_HASHES  = 3,
  SOF_GOSSIP_CRDS_ACCOUNTS_HASHES         = 4,
  SOF_GOSSIP_CRDS_EPOCH_SLOTS             = 5,
  SOF_GOSSIP_CRDS_LEGACY_VERSION          = 6,
  SOF_GOSSIP_CRDS_VERSION                 = 7,
  SOF_GOSSIP_CRDS_NODE_INSTANCE           = 8,
  SOF_GOSSIP_CRDS_DUPLICATE_SHRED         = 9,
  SOF_GOSSIP_CRDS_SNAPSHOT_HASHES         = 10,
  SOF_GOSSIP_CRDS_CONTACT_INFO            = 11,
  SOF_GOSSIP_CRDS_RESTART_LAST_VOTED_FORK = 12,
  SOF_GOSSIP_CRDS_RESTART_HEAVIEST_FORK   = 13,
  SOF_GOSSIP_CRDS_CNT                     = 14,
};

/* ContactInfo socket keys (Agave contact_info.rs SOCKET_TAG_*). */
enum {
  SOF_GOSSIP_SOCK_GOSSIP            = 0,
  SOF_GOSSIP_SOCK_SERVE_REPAIR_QUIC = 1,
  SOF_GOSSIP_SOCK_RPC               = 2,
  SOF_GOSSIP_SOCK_RPC_PUBSUB        = 3,
  SOF_GOSSIP_SOCK_SERVE_REPAIR      = 4,
  SOF_GOSSIP_SOCK_TPU               = 5,
  SOF_GOSSIP_SOCK_TPU_FORWARDS      = 6,
  SOF_GOSSIP_SOCK_TPU_FORWARDS_QUIC = 7,
  SOF_GOSSIP_SOCK_TPU_QUIC          = 8,
  SOF_GOSSIP_SOCK_TPU_VOTE          = 9,
  SOF_GOSSIP_SOCK_TVU               = 10,
  SOF_GOSSIP_SOCK_TVU_QUIC          = 11,
  SOF_GOSSIP_SOCK_TPU_VOTE_QUIC     = 12,
  SOF_GOSSIP_SOCK_ALPENGLOW         = 13,
  SOF_GOSSIP_SOCK_KNOWN             = 14,
};

/* Reason codes. 0 is success; every rejection is negative. Keep
 * sof_gossip_err_str in step (it is generated from this list). */
#define SOF_GOSSIP_ERR_LIST(X)                                                                 \
  X(TRUNCATED,          -1, "truncated")          /* input ends inside a field */             \
  X(TOO_LARGE,          -2, "too_large")          /* packet longer than 1232 bytes */         \
  X(BAD_MSG_KIND,       -3, "bad_msg_kind")       /* Protocol tag > 5 */                      \
  X(TRAILING,           -4, "trailing_bytes")     /* bytes after the message */               \
  X(BAD_CRDS_KIND,      -5, "bad_crds_kind")      /* CrdsData tag > 13: length unknown */     \
  X(TOO_MANY_VALUES,    -6, "too_many_values")    /* more than SOF_GOSSIP_VALUES_MAX values */\
  X(BAD_VARINT,         -7, "bad_varint")         /* LEB128 / short_vec overlong or overflow */\
  X(BAD_OPTION,         -8, "bad_option")         /* Option tag not 0 or 1 */                 \
  X(BAD_ADDR_KIND,      -9, "bad_addr_kind")      /* IpAddr / SocketAddr tag not 0 or 1 */    \
  X(IPV6_ADDR,         -10, "ipv6_addr")          /* ContactInfo address is IPv6 */           \
  X(DUP_ADDR,          -11, "duplicate_addr")     /* ContactInfo address listed twice */      \
  X(DUP_SOCKET,        -12, "duplicate_socket")   /* ContactInfo socket key listed twice */   \
  X(BAD_ADDR_INDEX,    -13, "bad_addr_index")     /* socket refers past the address list */   \
  X(UNUSED_ADDR,       -14, "unused_addr")        /* address no socket refers to */           \
  X(PORT_OVERFLOW,     -15, "port_overflow")      /* cumulative port offsets pass 65535 */    \
  X(TOO_MANY_ENTRIES,  -16, "too_many_entries")   /* addrs / sockets / extensions past bounds */\
  X(BAD_WALLCLOCK,     -17, "bad_wallclock")      /* wallclock >= MAX_WALLCLOCK */            \
  X(BAD_SLOT,          -18, "bad_slot")           /* slot >= MAX_SLOT, incremental <= full */ \
  X(BAD_INDEX,         -19, "bad_crds_index")     /* vote / lowest-slot / epoch / dup index */\
  X(BAD_VOTE_TXN,      -20, "bad_vote_txn")       /* vote transaction unparsable or not legacy */\
  X(DEPRECATED_FIELD,  -21, "deprecated_field")   /* LowestSlot root / slots / stash not empty */\
  X(BAD_BITVEC,        -22, "bad_bitvec")         /* bit length past the stored blocks */     \
  X(PRUNE_MISMATCH,    -23, "prune_mismatch")     /* outer pubkey != PruneData.pubkey */      \
  X(PULL_NOT_CI,       -24, "pull_not_contact_info") /* pull request value not a ContactInfo */\
  X(BAD_MASK_BITS,     -25, "bad_mask_bits")      /* CrdsFilter mask_bits > 64 */             \
  X(BAD_SIGNATURE,     -26, "bad_signature")      /* ed25519 verification failed */           \
  X(BAD_ENUM,          -27, "bad_enum")           /* CompressedSlots / SlotsOffsets tag */    \
  X(NO_ROOM,           -28, "no_room")            /* encoder: output buffer too small */

enum {
  SOF_GOSSIP_OK = 0,
#define SOF_GOSSIP_ERR_ENUM_(name, val, str) SOF_GOSSIP_ERR_##name = (val),
  SOF_GOSSIP_ERR_LIST(SOF_GOSSIP_ERR_ENUM_)
#undef SOF_GOSSIP_ERR_ENUM_
};
#define SOF_GOSSIP_ERR_CNT 28 /* number of reason codes, for counter tables */

/* An IPv4 address as on the wire (network byte order bytes, a.b.c.d). */
typedef struct { uint8_t b[4]; } sof_gossip_ip4_t;

/* A bincode SocketAddr (LegacyContactInfo): v4 or v6 with a port. */
typedef struct sof_gossip_sockaddr {
  uint8_t  is_v6;
  uint8_t  ip[16];   /* v4: the first 4 bytes */
  uint16_t port;
} sof_gossip_sockaddr_t;

/* solana_version::Version as carried by ContactInfo. */
typedef struct sof_gossip_version {
  uint16_t major, minor, patch;  /* LEB128 varints on the wire */
  uint32_t commit;               /* first 4 bytes of the commit hash (fixed u32) */
  uint32_t feature_set;          /* fixed u32 */
  uint16_t client;               /* LEB128 varint: 0 Solana labs, 1 Jito, 2 Firedancer, 3 Agave, ... */
} sof_gossip_version_t;

/* ContactInfo (CrdsData 11). Sockets are kept in wire order with their
 * absolute port resolved (offsets are cumulative); port_of gives the socket
 * of a known key. */
typedef struct sof_gossip_socket {
  uint8_t  key;     /* SOF_GOSSIP_SOCK_* (other keys are kept, unnamed) */
  uint8_t  index;   /* into addrs */
  uint16_t offset;  /* as on the wire */
  uint16_t port;    /* absolute */
} sof_gossip_socket_t;

typedef struct sof_gossip_ext {
  uint8_t        type;
  uint16_t       len;
  uint8_t const *data;
} sof_gossip_ext_t;

typedef struct sof_gossip_contact_info {
  uint8_t const       *pubkey;
  uint64_t             wallclock;   /* ms, LEB128 varint on the wire */
  uint64_t             outset;      /* us since the epoch when the instance started */
  uint16_t             shred_version;
  sof_gossip_version_t version;
  uint8_t              addr_cnt;
  uint8_t              socket_cnt;
  uint8_t              ext_cnt;
  sof_gossip_ip4_t     addrs[SOF_GOSSIP_CI_ADDRS_MAX];
  sof_gossip_socket_t  sockets[SOF_GOSSIP_CI_SOCKETS_MAX];
  sof_gossip_ext_t     ext[SOF_GOSSIP_CI_EXT_MAX];
} sof_gossip_contact_info_t;

/* LegacyContactInfo (CrdsData 0, deprecated). */
enum { SOF_GOSSIP_LCI_GOSSIP, SOF_GOSSIP_LCI_TVU, SOF_GOSSIP_LCI_TVU_QUIC, SOF_GOSSIP_LCI_REPAIR,
       SOF_GOSSIP_LCI_TPU, SOF_GOSSIP_LCI_TPU_FORWARDS, SOF_GOSSIP_LCI_TPU_VOTE, SOF_GOSSIP_LCI_RPC,
       SOF_GOSSIP_LCI_RPC_PUBSUB, SOF_GOSSIP_LCI_SERVE_REPAIR, SOF_GOSSIP_LCI_CNT };
typedef struct sof_gossip_legacy_ci {
  uint8_t const        *pubkey;
  sof_gossip_sockaddr_t addrs[SOF_GOSSIP_LCI_CNT];
  uint64_t              wallclock;
  uint16_t              shred_version;
} sof_gossip_legacy_ci_t;

/* Vote (CrdsData 1): a legacy vote transaction. */
typedef struct sof_gossip_vote {
  uint8_t        index;      /* < 32 */
  uint8_t const *from;
  uint8_t const *txn;        /* the serialized transaction (sof_txn_parse accepts it) */
  uint32_t       txn_sz;
  uint64_t       wallclock;
} sof_gossip_vote_t;

/* LowestSlot (CrdsData 2). root, slots and stash are deprecated and must be
 * empty (Agave's sanitize). */
typedef struct sof_gossip_lowest_slot {
  uint8_t        index;      /* 0 */
  uint8_t const *from;
  uint64_t       lowest;
  uint64_t       wallclock;
} sof_gossip_lowest_slot_t;

/* AccountsHashes / LegacySnapshotHashes (CrdsData 4 / 3, deprecated):
 * hashes[i] is 40 bytes: slot u64 LE, hash[32]. */
typedef struct sof_gossip_accounts_hashes {
  uint8_t const *from;
  uint32_t       hash_cnt;
  uint8_t const *hashes;
  uint64_t       wallclock;
} sof_gossip_accounts_hashes_t;

/* EpochSlots (CrdsData 5): entries walked with sof_gossip_epoch_slots_entry. */
typedef struct sof_gossip_epoch_slots {
  uint8_t        index;      /* < 255 */
  uint8_t const *from;
  uint32_t       entry_cnt;
  uint8_t const *entries;    /* the first entry's bytes */
  uint32_t       entries_sz;
  uint64_t       wallclock;
} sof_gossip_epoch_slots_t;

typedef struct sof_gossip_slots_entry {
  uint8_t        compressed; /* 1 Flate2 (data = deflate stream), 0 Uncompressed (data = bitmap) */
  uint64_t       first_slot;
  uint64_t       num;
  uint8_t const *data;
  uint32_t       data_sz;    /* bytes */
  uint64_t       bit_len;    /* Uncompressed: bits in the bitmap; Flate2: 0 */
} sof_gossip_slots_entry_t;

/* LegacyVersion / Version (CrdsData 6 / 7, deprecated). */
typedef struct sof_gossip_legacy_version {
  uint8_t const *from;
  uint64_t       wallclock;
  uint16_t       major, minor, patch;
  uint8_t        has_commit;
  uint32_t       commit;
  uint8_t        has_feature_set;  /* Version (7) only */
  uint32_t       feature_set;
} sof_gossip_legacy_version_t;

/* NodeInstance (CrdsData 8, deprecated). */
typedef struct sof_gossip_node_instance {
  uint8_t const *from;
  uint64_t       wallclock, timestamp, token;
} sof_gossip_node_instance_t;

/* DuplicateShred (CrdsData 9): one chunk of a serialized duplicate-slot proof. */
typedef struct sof_gossip_dup_shred {
  uint16_t       index;      /* < 512 */
  uint8_t const *from;
  uint64_t       wallclock, slot;
  uint32_t       shred_index; /* unused by Agave */
  uint8_t        shred_type;  /* unused by Agave */
  uint8_t        num_chunks, chunk_index;
  uint8_t const *chunk;
  uint32_t       chunk_sz;
} sof_gossip_dup_shred_t;

/* SnapshotHashes (CrdsData 10): incremental[i] is 40 bytes: slot u64, hash[32]. */
typedef struct sof_gossip_snapshot_hashes {
  uint8_t const *from;
  uint64_t       full_slot;
  uint8_t const *full_hash;
  uint32_t       incr_cnt;
  uint8_t const *incr;
  uint64_t       wallclock;
} sof_gossip_snapshot_hashes_t;

/* RestartLastVotedForkSlots (12) / RestartHeaviestFork (13), deprecated. */
typedef struct sof_gossip_restart_slots {
  uint8_t const *from;
  uint64_t       wallclock;
  uint8_t        raw;        /* 1 RawOffsets (bitmap), 0 RunLengthEncoding (u16 runs) */
  uint8_t const *offsets;
  uint32_t       offsets_sz; /* bytes */
  uint64_t       bit_len;    /* raw: bits; rle: number of u16 runs */
  uint64_t       last_voted_slot;
  uint8_t const *last_voted_hash;
  uint16_t       shred_version;
} sof_gossip_restart_slots_t;

typedef struct sof_gossip_restart_fork {
  uint8_t const *from;
  uint64_t       wallclock, last_slot;
  uint8_t const *last_slot_hash;
  uint64_t       observed_stake;
  uint16_t       shred_version;
} sof_gossip_restart_fork_t;

/* One CRDS value. */
typedef struct sof_gossip_value {
  uint8_t const *signature;  /* 64 bytes; the value starts here */
  uint8_t const *data;       /* CrdsData: tag (4 bytes) + body; what the signature covers */
  uint32_t       data_sz;
  uint32_t       kind;       /* SOF_GOSSIP_CRDS_* */
  uint8_t        deprecated; /* kinds Agave no longer accepts into its table */
  union {
    sof_gossip_contact_info_t     ci;
    sof_gossip_legacy_ci_t        legacy_ci;
    sof_gossip_vote_t             vote;
    sof_gossip_lowest_slot_t      lowest_slot;
    sof_gossip_accounts_hashes_t  accounts_hashes;
    sof_gossip_epoch_slots_t      epoch_slots;
    sof_gossip_legacy_version_t   version;
    sof_gossip_node_instance_t    node_instance;
    sof_gossip_dup_shred_t        dup_shred;
    sof_gossip_snapshot_hashes_t  snapshot_hashes;
    sof_gossip_restart_slots_t    restart_slots;
    sof_gossip_restart_fork_t     restart_fork;
  };
} sof_gossip_value_t;

/* CrdsFilter: a bloom filter over value hashes plus the hash-space mask. */
typedef struct sof_gossip_filter {
  uint32_t       key_cnt;
  uint8_t const *keys;       /* key_cnt u64 LE */
  uint32_t       word_cnt;   /* stored u64 blocks (0 when the bit vector is None) */
  uint8_t const *words;      /* word_cnt u64 LE; NULL when the bit vector is None */
  uint64_t       bit_len;    /* bits in the filter (<= word_cnt * 64) */
  uint64_t       num_bits_set;
  uint64_t       mask;
  uint32_t       mask_bits;  /* <= 64 */
} sof_gossip_filter_t;

typedef struct sof_gossip_prune {
  uint8_t const *from;       /* the Protocol's outer pubkey (== pubkey) */
  uint8_t const *pubkey;
  uint32_t       prune_cnt;
  uint8_t const *prunes;     /* prune_cnt x 32 bytes */
  uint8_t const *signature;
  uint8_t const *destination;
  uint64_t       wallclock;
} sof_gossip_prune_t;

typedef struct sof_gossip_ping {
  uint8_t const *from;
  uint8_t const *token;      /* ping: 32-byte token; pong: 32-byte hash */
  uint8_t const *signature;
} sof_gossip_ping_t;

typedef struct sof_gossip_msg {
  uint32_t kind;             /* SOF_GOSSIP_MSG_* */
  uint8_t const *from;       /* pull response / push / prune: the sender's pubkey */
  sof_gossip_filter_t filter;/* pull request */
  sof_gossip_prune_t  prune;
  sof_gossip_ping_t   ping;  /* ping and pong */
  uint32_t value_cnt;        /* pull request: 1; responses / pushes: 0..16 */
  int      err_value;        /* on a value's rejection: its index, else -1 */
  sof_gossip_value_t values[SOF_GOSSIP_VALUES_MAX];
} sof_gossip_msg_t;

/* sof_gossip_parse decodes one gossip packet [buf, buf+sz) into *out.
 * The whole packet must be one message (trailing bytes are rejected, as
 * Agave's deserialize_exact does); at most SOF_GOSSIP_PACKET_MAX bytes.
 * Every CRDS value is decoded and sanitized; the first failure rejects the
 * message (out->err_value names the value). Deprecated CRDS kinds decode
 * with value.deprecated = 1. Signatures are not checked here.
 * Returns SOF_GOSSIP_OK or a SOF_GOSSIP_ERR_* code; *out is unspecified on
 * error. Pointers in *out point into buf. */
int sof_gossip_parse(sof_gossip_msg_t *out, void const *buf, size_t sz);

/* sof_gossip_value_parse decodes one CrdsValue (signature + CrdsData) at
 * the start of [buf, buf+sz) and stores its size in *consumed. Same rules
 * as inside sof_gossip_parse. */
int sof_gossip_value_parse(sof_gossip_value_t *out, void const *buf, size_t sz, size_t *consumed);

/* sof_gossip_value_origin: the value's origin pubkey (32 bytes) in the
 * buffer: the ContactInfo / LegacyContactInfo pubkey or the `from` field. */
uint8_t const *sof_gossip_value_origin(sof_gossip_value_t const *v);

/* sof_gossip_value_wallclock: the value's wallclock (ms). */
uint64_t sof_gossip_value_wallclock(sof_gossip_value_t const *v);

/* sof_gossip_value_size: bytes of the value on the wire (64 + data_sz). */
static inline uint32_t sof_gossip_value_size(sof_gossip_value_t const *v) { return 64U + v->data_sz; }

/* sof_gossip_ci_port: the port of the ContactInfo socket with key (0 if
 * absent) and its address in *ip (may be NULL). */
uint16_t sof_gossip_ci_port(sof_gossip_contact_info_t const *ci, uint8_t key, sof_gossip_ip4_t *ip);

/* sof_gossip_epoch_slots_entry decodes entry i (< entry_cnt) of a parsed
 * EpochSlots. Returns 0, or -1 when i is out of range. */
int sof_gossip_epoch_slots_entry(sof_gossip_epoch_slots_t const *es, uint32_t i,
                                 sof_gossip_slots_entry_t *out);

/* Verification (libsodium ed25519). Each returns SOF_GOSSIP_OK or
 * SOF_GOSSIP_ERR_BAD_SIGNATURE. A prune verifies against its data with or
 * without the "\xffSOLANA_PRUNE_DATA" prefix, as Agave accepts both. */
int sof_gossip_value_verify(sof_gossip_value_t const *v);
int sof_gossip_ping_verify(sof_gossip_ping_t const *p);  /* signature over the token */
int sof_gossip_pong_verify(sof_gossip_ping_t const *p);  /* signature over the hash */
int sof_gossip_prune_verify(sof_gossip_prune_t const *p);

/* sof_gossip_pong_hash: sha256("SOLANA_PING_PONG" || token[32]). */
void sof_gossip_pong_hash(uint8_t out[32], uint8_t const token[32]);

/* sof_gossip_value_hash: sha256 of the whole value (signature + data), the
 * hash pull-request bloom filters are built over. */
void sof_gossip_value_hash(uint8_t out[32], sof_gossip_value_t const *v);

/* sof_gossip_err_str: stable snake_case name of a reason code ("ok" for 0,
 * "unknown" otherwise). sof_gossip_msg_str / sof_gossip_crds_str: names of
 * message and CRDS kinds ("pull_request", "contact_info", ...), "unknown"
 * past the range. sof_gossip_sock_str: socket key names ("tvu"), NULL for
 * unnamed keys. Static strings. */
char const *sof_gossip_err_str(int err);
char const *sof_gossip_msg_str(uint32_t kind);
char const *sof_gossip_crds_str(uint32_t kind);
char const *sof_gossip_sock_str(uint8_t key);

/* ---- Encoding ----------------------------------------------------------
 * Each encoder writes into [buf, buf+cap) and returns the bytes written, or
 * SOF_GOSSIP_ERR_NO_ROOM (nothing useful written). kp is a 64-byte key pair
 * (seed || pubkey). */

/* What sofd advertises: its ContactInfo. */
typedef struct sof_gossip_ci_src_socket {
  uint8_t          key;
  sof_gossip_ip4_t ip;
  uint16_t         port;   /* non-zero */
} sof_gossip_ci_src_socket_t;

typedef struct sof_gossip_ci_src {
  uint8_t              pubkey[32];
  uint64_t             wallclock;
  uint64_t             outset;
  uint16_t             shred_version;
  sof_gossip_version_t version;
  uint32_t             socket_cnt;   /* <= SOF_GOSSIP_CI_SOCKETS_MAX, distinct keys */
  sof_gossip_ci_src_socket_t sockets[SOF_GOSSIP_CI_SOCKETS_MAX];
} sof_gossip_ci_src_t;

/* sof_gossip_ci_encode writes CrdsData::ContactInfo (tag 11 + body), as
 * Agave lays it out: sockets sorted by port (ties in input order) with
 * cumulative port offsets, addresses in order of first use in that order,
 * no extensions. Returns bytes, NO_ROOM, or DUP_SOCKET / TOO_MANY_ENTRIES /
 * PORT_OVERFLOW (port 0) for an input Agave would not produce. */
int sof_gossip_ci_encode(uint8_t *buf, size_t cap, sof_gossip_ci_src_t const *ci);

/* sof_gossip_value_sign turns CrdsData bytes into a CrdsValue: writes the
 * signature of data (data_sz bytes) by kp, then the data, into buf. */
int sof_gossip_value_sign(uint8_t *buf, size_t cap, void const *data, size_t data_sz,
                          uint8_t const kp[64]);

/* Ping / Pong from kp (pong answers token). */
int sof_gossip_ping_encode(uint8_t *buf, size_t cap, uint8_t const kp[64], uint8_t const token[32]);
int sof_gossip_pong_encode(uint8_t *buf, size_t cap, uint8_t const kp[64], uint8_t const token[32]);

/* Pull request: the filter (keys, bit words, bit_len, num_bits_set, mask,
 * mask_bits; pointers may be any memory of the right size) and one signed
 * CrdsValue (value bytes as sof_gossip_value_sign wrote them). */
typedef struct sof_gossip_filter_src {
  uint32_t        key_cnt;
  uint64_t const *keys;
  uint32_t        word_cnt;
  uint64_t const *words;     /* NULL: the bit vector is None (then word_cnt must be 0) */
  uint64_t        bit_len;
  uint64_t        num_bits_set;
  uint64_t        mask;
  uint32_t        mask_bits;
} sof_gossip_filter_src_t;
int sof_gossip_pull_request_encode(uint8_t *buf, size_t cap, sof_gossip_filter_src_t const *f,
                                   void const *value, size_t value_sz);

/* Push message / pull response (kind SOF_GOSSIP_MSG_PUSH or _PULL_RESPONSE)
 * from `from` carrying value_cnt signed values back to back in values. */
int sof_gossip_values_msg_encode(uint8_t *buf, size_t cap, uint32_t kind, uint8_t const from[32],
                                 uint32_t value_cnt, void const *values, size_t values_sz);

/* Prune message from kp's pubkey, signed without the prefix (Agave's
 * current signable data). prunes: prune_cnt x 32 bytes. */
int sof_gossip_prune_encode(uint8_t *buf, size_t cap, uint8_t const kp[64], uint8_t const *prunes,
                            uint32_t prune_cnt, uint8_t const destination[32], uint64_t wallclock);

#endif /* SOF_GOSSIP_H */
