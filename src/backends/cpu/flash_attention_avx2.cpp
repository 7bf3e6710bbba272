// The fused attention kernels compiled for AVX2 + FMA (this file only is built
// with -mavx2 -mfma; flash_attention.cpp calls it only on CPUs that have both).
#define TB_FLASH_VL 8  // floats per ymm register
#define TB_FLASH_MR 6  // register tile: 6 rows x 2 ymm = 12 accumulators of 16
#define TB_FLASH_NV 2
#include "backends/cpu/flash_attention_impl.h"

TB_FLASH_DEFINE_ISA(avx2)
