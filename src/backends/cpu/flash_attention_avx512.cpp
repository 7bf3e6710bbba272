// The fused attention kernels compiled for AVX-512 (this file only is built
// with -mavx512f -mavx512bw -mavx512dq -mavx512vl -mfma; flash_attention.cpp
// calls it only on CPUs that have all of them).
#define TB_FLASH_VL 16  // floats per zmm register
#define TB_FLASH_MR 6   // register tile: 6 rows x 4 zmm = 24 accumulators of 32
#define TB_FLASH_NV 4
#include "backends/cpu/flash_attention_impl.h"

TB_FLASH_DEFINE_ISA(avx512)
