/* sof_fuzz.h: the libFuzzer entry points every target in fuzz/ defines
 * (LLVMFuzzerTestOneInput) or may define (LLVMFuzzerInitialize), declared
 * once for -Wmissing-prototypes. libFuzzer calls LLVMFuzzerInitialize once
 * before the first input, then LLVMFuzzerTestOneInput per input (data valid
 * for the call only); both return 0. Single-threaded. */
#ifndef SOF_FUZZ_H
#define SOF_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(uint8_t const *data, size_t sz);

#endif
