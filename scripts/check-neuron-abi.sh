#!/usr/bin/env bash
# Checks the Neuron adapter's declarations of the runtime's C API
# (src/backends/neuron/nrt_api.h) against the headers of an installed Neuron
# SDK: compiles tests/abi/nrt_abi_check.cpp with -DTB_NRT_ABI_REAL_HEADERS,
# which fails on any entry point, struct layout or enum value that differs.
#
#   scripts/check-neuron-abi.sh [INCLUDE_DIR]
#
# INCLUDE_DIR holds nrt/nrt.h (default: $TRAINBENCH_NEURON_INCLUDE, else
# /opt/aws/neuron/include, where aws-neuronx-runtime-lib installs them). The
# public headers of the aws-neuron/aws-neuron-sdk repository (folder
# src/libnrt/include) work too. Exit status: 0 agree, 1 differ (the
# compiler's messages name what), 77 skipped: no headers there.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
include="${1:-${TRAINBENCH_NEURON_INCLUDE:-/opt/aws/neuron/include}}"
if [ ! -f "$include/nrt/nrt.h" ]; then
  echo "check-neuron-abi: skipped: no Neuron runtime headers in '$include' (no nrt/nrt.h there);" \
       "install aws-neuronx-runtime-lib, or give the folder that holds nrt/nrt.h" >&2
  exit 77
fi
cxx="${CXX:-c++}"
if "$cxx" -std=c++20 -fsyntax-only -Wall -Wextra -Werror -DTB_NRT_ABI_REAL_HEADERS \
    -I"$root/src" -I"$root/tests" -I"$include" "$root/tests/abi/nrt_abi_check.cpp"; then
  version="$(grep -h -E '^#define NRT_(MAJOR|MINOR)_VERSION' "$include/nrt/nrt.h" | awk '{print $3}' | paste -sd. - || true)"
  echo "check-neuron-abi: the adapter's declarations agree with the headers in '$include'" \
       "(every entry point of TB_NRT_ENTRY_POINTS, struct layouts, enum values; nrt.h API version ${version:-unknown})"
  exit 0
fi
echo "check-neuron-abi: the adapter's declarations (src/backends/neuron/nrt_api.h) differ from the headers in '$include':" \
     "see the static assertions above" >&2
exit 1
