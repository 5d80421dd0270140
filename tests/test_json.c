/* JSON writer: exact text of nested documents, escaping, numbers at their
 * limits, base58 values, and overflow handling. */
#include "sof_test.h"

#include "util/sof_json.h"

int
main(void) {
  char buf[512];
  sof_json_t j;
  sof_json_init(&j, buf, sizeof buf);

  sof_json_obj_begin(&j);
  sof_json_key(&j, "type"); sof_json_str(&j, "shred");
  sof_json_key(&j, "slot"); sof_json_u64(&j, 18446744073709551615ULL);
  sof_json_key(&j, "neg"); sof_json_i64(&j, INT64_MIN);
  sof_json_key(&j, "zero"); sof_json_i64(&j, 0);
  sof_json_key(&j, "ok"); sof_json_bool(&j, 1);
  sof_json_key(&j, "no"); sof_json_bool(&j, 0);
  sof_json_key(&j, "nil"); sof_json_null(&j);
  sof_json_key(&j, "arr");
  sof_json_arr_begin(&j);
  sof_json_u64(&j, 1);
  sof_json_obj_begin(&j); sof_json_obj_end(&j);
  sof_json_arr_begin(&j); sof_json_arr_end(&j);
  sof_json_str(&j, "x");
  sof_json_arr_end(&j);
  sof_json_key(&j, "hex"); sof_json_hex(&j, "\x01\xab", 2);
  sof_json_obj_end(&j);
  sof_json_newline(&j);
  SOF_CHECK(sof_json_ok(&j));
  SOF_CHECK_STR(buf, "{\"type\":\"shred\",\"slot\":18446744073709551615,"
                     "\"neg\":-9223372036854775808,\"zero\":0,\"ok\":true,\"no\":false,"
                     "\"nil\":null,\"arr\":[1,{},[],\"x\"],\"hex\":\"01ab\"}\n");

  /* escaping: quotes, backslash, control bytes; UTF-8 passes through */
  sof_json_reset(&j);
  sof_json_str(&j, "a\"b\\c\n\t\x01\x1f" "\xc3\xa9");
  SOF_CHECK_STR(buf, "\"a\\\"b\\\\c\\n\\t\\u0001\\u001f\xc3\xa9\"");
  sof_json_reset(&j);
  sof_json_strn(&j, "a\0b", 3);
  SOF_CHECK_STR(buf, "\"a\\u0000b\"");

  /* base58 values */
  uint8_t zero32[32] = {0}, zero64[64] = {0};
  sof_json_reset(&j);
  sof_json_arr_begin(&j);
  sof_json_b58_32(&j, zero32);
  sof_json_b58_64(&j, zero64);
  sof_json_arr_end(&j);
  SOF_CHECK_STR(buf, "[\"11111111111111111111111111111111\","
                     "\"1111111111111111111111111111111111111111111111111111111111111111\"]");

  /* overflow: flagged, never written past the buffer, NUL kept */
  char small[8];
  memset(small, 'Z', sizeof small);
  sof_json_init(&j, small, 6);
  sof_json_str(&j, "abcdefgh");
  SOF_CHECK(!sof_json_ok(&j));
  SOF_CHECK_EQ(small[6], 'Z');
  SOF_CHECK(memchr(small, '\0', 6) != NULL);

  /* unbalanced documents are not ok */
  sof_json_init(&j, buf, sizeof buf);
  sof_json_obj_begin(&j);
  SOF_CHECK(!sof_json_ok(&j));
  sof_json_reset(&j);
  sof_json_obj_end(&j);
  SOF_CHECK(!sof_json_ok(&j));
  /* too deep */
  sof_json_reset(&j);
  for (int i = 0; i <= SOF_JSON_DEPTH_MAX; i++) sof_json_arr_begin(&j);
  SOF_CHECK(j.overflow);

  return sof_test_done("json");
}
