#!/usr/bin/env bash
# Installs the Debian packages trainbench builds with; with --test, also what
# the tests need beyond that (Chromium, for the HTML report test). Idempotent:
# does nothing (and needs no network) when everything is already installed.
set -euo pipefail

packages=(
  build-essential cmake git
  libopenblas-dev   # fp32 GEMM (cblas_sgemm)
  libeigen3-dev     # fp32 GEMM, cpu-eigen backend
  libdnnl-dev       # oneDNN: bf16/fp16 GEMM on CPU
  ocl-icd-opencl-dev  # only a recommendation of libdnnl-dev, but its dnnl-config.cmake requires OpenCL
  libbenchmark-dev  # Google Benchmark: repetitions, aggregates, manual timing
  libgtest-dev      # GoogleTest
  libcli11-dev      # command line
  nlohmann-json3-dev
  libopenmpi-dev openmpi-bin  # all-reduce across processes and nodes (mpirun)
  libsqlite3-dev    # the history database (docs/results.md, "History database")
)
if [ "${1:-}" = "--test" ]; then
  packages+=(chromium)  # headless: the report test loads the HTML page (tests/cli/history_cli_test.cpp)
  packages+=(python3 python3-numpy)  # the NKI tooling's tests (tests/cli/nki_compile_test.cpp)
  # Google Benchmark's own compare.py and the SciPy its U test needs (tests/cli/third_party_readers_test.cpp)
  packages+=(libbenchmark-tools python3-scipy)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
