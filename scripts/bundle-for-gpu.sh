#!/usr/bin/env bash
# Packs a built trainbench for a GPU machine that has the CUDA driver (and
# possibly CUDA, CMake, PyTorch) but none of our Debian packages (OpenBLAS,
# oneDNN, Google Benchmark, Open MPI, SQLite, GTest): the binary, every shared
# library it needs that is not part of the base C library, the data/ directory
# and a wrapper, in one folder small enough for the device tool (64 MiB).
#
#   cmake --build build && scripts/bundle-for-gpu.sh [--build-dir build] [--out gpu-bundle] [--tests]
#   gpu-bundle/run.sh --version                  # trainbench with the bundled libraries
#   gpu-bundle/run.sh --exe unit_tests --gtest_filter='Nccl*'   # with --tests
#   gpu-bundle/run.sh --ldd                      # where every library resolves
#
# Layout: bin/ (executables), libs.tar.gz (the libraries: oneDNN and OpenBLAS
# alone are 76 MB uncompressed, about 25 MB compressed), data/, run.sh. run.sh
# unpacks libs.tar.gz once into a cache directory outside the bundle
# (TRAINBENCH_BUNDLE_CACHE, default ${TMPDIR:-/tmp}/trainbench-bundle-<hash>),
# so the folder itself never grows.
#
# Kept from the target system (never bundled): the C library and its loader
# (libc, libm, libpthread, libdl, librt, libresolv, libutil, ld-linux,
# linux-vdso) and the GPU driver (libcuda, libnvidia-*). libstdc++ and
# libgcc_s are bundled in lib/cxx: the binary needs GLIBCXX_3.4.30 (GCC 12),
# which an older system may lack, but this libstdc++ itself needs the glibc
# it was built against (arc4random, GLIBC_2.36); run.sh uses lib/cxx only
# when the system glibc is new enough, and the system's libstdc++ otherwise.
# NCCL and cuBLASLt are not bundled (NCCL is 218 MB): the backend loads them
# at run time from the target (TRAINBENCH_CUDA_LIB_DIR, loader path,
# /usr/local/cuda/lib{,64}; docs/cuda.md).
set -euo pipefail

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
}

root="$(cd "$(dirname "$0")/.." && pwd)"
build_dir="$root/build"
out_dir="$root/gpu-bundle"
with_tests=0
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build_dir="$2"; shift 2 ;;
    --out) out_dir="$2"; shift 2 ;;
    --tests) with_tests=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bundle-for-gpu: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
build_dir="$(cd "$build_dir" && pwd)"

exes=("$build_dir/trainbench")
if [ "$with_tests" = 1 ]; then
  exes+=("$build_dir/tests/unit/unit_tests" "$build_dir/tests/cli/cli_tests")
fi
for exe in "${exes[@]}"; do
  if [ ! -x "$exe" ]; then
    echo "bundle-for-gpu: $exe is missing: build it first (cmake --build $build_dir)" >&2
    exit 2
  fi
done

# Libraries the target system provides: glibc and its loader, and the GPU driver.
is_system_lib() {
  case "$(basename "$1")" in
    linux-vdso.so*|ld-linux*.so*|libc.so*|libm.so*|libpthread.so*|libdl.so*|librt.so*|libresolv.so*|libutil.so*) return 0 ;;
    libcuda.so*|libnvidia-*.so*) return 0 ;;
  esac
  return 1
}
is_cxx_runtime() {
  case "$(basename "$1")" in
    libstdc++.so*|libgcc_s.so*) return 0 ;;
  esac
  return 1
}

# Every library the executables need, by soname, with the file the loader picks here.
declare -A lib_path=()
for exe in "${exes[@]}"; do
  while read -r soname arrow path _; do
    [ "$arrow" = "=>" ] || continue
    if [ "$path" = "not" ]; then
      echo "bundle-for-gpu: $exe needs $soname, which is not found here" >&2
      exit 1
    fi
    is_system_lib "$soname" && continue
    lib_path["$soname"]="$(readlink -f "$path")"
  done < <(ldd "$exe")
done

rm -rf "$out_dir"
mkdir -p "$out_dir/bin"
staging="$(mktemp -d)"
trap 'rm -rf "$staging"' EXIT
mkdir -p "$staging/lib/cxx"
for soname in "${!lib_path[@]}"; do
  if is_cxx_runtime "$soname"; then
    cp -L "${lib_path[$soname]}" "$staging/lib/cxx/$soname"
  else
    cp -L "${lib_path[$soname]}" "$staging/lib/$soname"
  fi
done
for exe in "${exes[@]}"; do cp -L "$exe" "$out_dir/bin/"; done

# The glibc the bundled libraries need (highest GLIBC_x.y they reference), apart from lib/cxx.
max_glibc() {
  local files=("$@")
  [ ${#files[@]} -gt 0 ] || { echo 0; return; }
  objdump -T "${files[@]}" 2>/dev/null | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1
}
shopt -s nullglob
base_glibc="$(max_glibc "$out_dir"/bin/* "$staging"/lib/*.so*)"
cxx_glibc="$(max_glibc "$staging"/lib/cxx/*.so*)"
shopt -u nullglob
glibcxx="$(objdump -T "$out_dir"/bin/* 2>/dev/null | grep -o 'GLIBCXX_[0-9][0-9.]*' | sort -uV | tail -1)"
# Sourced by run.sh: every value quoted (%q).
os_name="$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME" || uname -sr)"
{
  printf 'glibc=%q\n' "$base_glibc"
  printf 'cxx_glibc=%q\n' "${cxx_glibc:-0}"
  printf 'glibcxx=%q\n' "${glibcxx:-none}"
  printf 'built_on=%q\n' "$os_name"
  printf 'source_dir=%q\n' "$root"
} > "$out_dir/bundle.env"

tar -C "$staging" -czf "$out_dir/libs.tar.gz" lib
( cd "$staging" && find lib -type f | sort ) > "$out_dir/libs.txt"

# data/: trainbench reads it from the path compiled in (TRAINBENCH_DATA_DIR, the
# source tree's data/); run.sh links that path to this copy when it is missing.
cp -r "$root/data" "$out_dir/data"
data_dir="$(grep -m1 '^TRAINBENCH_DATA_DIR:' "$build_dir/CMakeCache.txt" 2>/dev/null | cut -d= -f2- || true)"
printf 'data_dir=%q\n' "${data_dir:-$root/data}" >> "$out_dir/bundle.env"

cat > "$out_dir/run.sh" <<'RUN'
#!/usr/bin/env bash
# Runs a bundled executable (default trainbench) with the bundled libraries
# (scripts/bundle-for-gpu.sh). Options before the executable's arguments:
#   --exe NAME   run bin/NAME instead of trainbench (unit_tests, cli_tests)
#   --ldd        print where each library of the executable resolves, then exit
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/bundle.env"

exe=trainbench
ldd_only=0
while [ $# -gt 0 ]; do
  case "$1" in
    --exe) exe="$2"; shift 2 ;;
    --ldd) ldd_only=1; shift ;;
    *) break ;;
  esac
done
[ -x "$here/bin/$exe" ] || { echo "run.sh: no bin/$exe in $here (bundle with --tests for the test executables)" >&2; exit 2; }

version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -1)" = "$2" ]; }
sys_glibc="$(getconf GNU_LIBC_VERSION 2>/dev/null | awk '{print $2}')"
if [ -n "$sys_glibc" ] && ! version_ge "$sys_glibc" "$glibc"; then
  echo "run.sh: this system's glibc is $sys_glibc; the bundle needs $glibc or newer (built on $built_on)" >&2
  exit 2
fi

# The libraries, unpacked once per bundle content.
hash="$(cksum < "$here/libs.tar.gz" | cut -d' ' -f1)"
cache="${TRAINBENCH_BUNDLE_CACHE:-${TMPDIR:-/tmp}/trainbench-bundle-$hash}"
if [ ! -f "$cache/.complete" ]; then
  mkdir -p "$cache"
  tar -C "$cache" -xzf "$here/libs.tar.gz"
  touch "$cache/.complete"
fi
libs="$cache/lib"
if [ -z "$sys_glibc" ] || version_ge "$sys_glibc" "$cxx_glibc"; then
  libs="$libs:$cache/lib/cxx"  # the bundled libstdc++/libgcc_s (built against a newer glibc than some systems have)
fi
export LD_LIBRARY_PATH="$libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

# trainbench reads data/ from the path it was built with; point that path here if it is missing.
if [ ! -e "$data_dir" ] && mkdir -p "$(dirname "$data_dir")" 2>/dev/null; then
  ln -s "$here/data" "$data_dir" 2>/dev/null || true
fi

# NCCL is the target's (not bundled): when neither TRAINBENCH_CUDA_LIB_DIR nor the
# usual places have it, use PyTorch's (pip package nvidia-nccl-cu*) if there is one.
if [ -z "${TRAINBENCH_CUDA_LIB_DIR:-}" ] && ! ldconfig -p 2>/dev/null | grep -q 'libnccl\.so' &&
   [ ! -e /usr/local/cuda/lib/libnccl.so.2 ] && [ ! -e /usr/local/cuda/lib64/libnccl.so.2 ]; then
  torch_nccl="$(python3 -c 'import importlib.util as u; s = u.find_spec("nvidia.nccl"); print(list(s.submodule_search_locations)[0] + "/lib")' 2>/dev/null || true)"
  if [ -n "$torch_nccl" ] && [ -e "$torch_nccl/libnccl.so.2" ]; then
    export TRAINBENCH_CUDA_LIB_DIR="$torch_nccl"
    echo "run.sh: using PyTorch's NCCL: TRAINBENCH_CUDA_LIB_DIR=$torch_nccl" >&2
  fi
fi

if [ "$ldd_only" = 1 ]; then
  exec ldd "$here/bin/$exe"
fi
exec "$here/bin/$exe" "$@"
RUN
chmod +x "$out_dir/run.sh"

size_kib="$(du -sk "$out_dir" | cut -f1)"
echo "bundle-for-gpu: $out_dir: $(ls "$out_dir/bin" | tr '\n' ' ')+ ${#lib_path[@]} libraries, $((size_kib / 1024)) MiB ($size_kib KiB)"
if [ "$size_kib" -gt $((64 * 1024)) ]; then
  echo "bundle-for-gpu: warning: over the device tool's 64 MiB limit" >&2
  exit 1
fi
