/* grpc_pb.h: the grpc plugin's names for the geyser encodings it shares
 * with the nats plugin (lib/geyser/sof_geyser_pb.h: the contract). Only
 * names: the code is in lib/geyser. */
#ifndef SOF_GRPC_PB_H
#define SOF_GRPC_PB_H

#include "geyser/sof_geyser_pb.h"

#define GRPC_PB_VARINT        SOF_PB_VARINT
#define GRPC_PB_LEN           SOF_PB_LEN
#define GRPC_PB_TXN_MAX       SOF_GEYSER_PB_TXN_MAX
#define grpc_pb_txn_loc_t     sof_geyser_txn_loc_t
#define grpc_pb_varint_sz     sof_pb_varint_sz
#define grpc_pb_varint        sof_pb_varint
#define grpc_pb_len_hdr_sz    sof_pb_len_hdr_sz
#define grpc_pb_len_hdr       sof_pb_len_hdr
#define grpc_pb_u64_field_sz  sof_pb_u64_field_sz
#define grpc_pb_u64_field     sof_pb_u64_field
#define grpc_pb_txn           sof_geyser_pb_txn
#define grpc_pb_slot          sof_geyser_pb_slot
#define grpc_pb_entry         sof_geyser_pb_entry
#define grpc_pb_block_meta    sof_geyser_pb_block_meta
#define grpc_pb_timestamp     sof_geyser_pb_timestamp

#endif /* SOF_GRPC_PB_H */
