# TRAINBENCH_CUDA (AUTO|ON|OFF): whether to build the CUDA backend
# (src/backends/cuda, docs/cuda.md). Sets TB_CUDA_ENABLED. When enabled: the CUDA
# language (nvcc) for sm_80 (A100) and sm_90 (H100/H200), and the toolkit's
# imported targets (CUDA::cudart_static). cuBLASLt is not linked: the backend
# loads it at run time.
string(TOUPPER "${TRAINBENCH_CUDA}" TB_CUDA_MODE)
if(NOT TB_CUDA_MODE MATCHES "^(AUTO|ON|OFF)$")
  message(FATAL_ERROR "TRAINBENCH_CUDA='${TRAINBENCH_CUDA}': expected AUTO, ON or OFF")
endif()

set(TB_CUDA_ENABLED OFF)
if(NOT TB_CUDA_MODE STREQUAL "OFF")
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    find_package(CUDAToolkit QUIET)
  endif()
  if(CMAKE_CUDA_COMPILER AND CUDAToolkit_FOUND)
    set(TB_CUDA_ENABLED ON)
  elseif(TB_CUDA_MODE STREQUAL "ON")
    message(FATAL_ERROR "TRAINBENCH_CUDA=ON but the CUDA toolkit was not found (nvcc: '${CMAKE_CUDA_COMPILER}', "
                        "CUDAToolkit_FOUND: '${CUDAToolkit_FOUND}'): put nvcc on PATH or set CUDAToolkit_ROOT / "
                        "CMAKE_CUDA_COMPILER, or configure with -DTRAINBENCH_CUDA=OFF")
  endif()
endif()

if(TB_CUDA_ENABLED)
  # sm_80: A100; sm_90: H100 and H200 (docs/cuda.md). Override with -DCMAKE_CUDA_ARCHITECTURES.
  if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
    set(CMAKE_CUDA_ARCHITECTURES "80;90")
  endif()
  enable_language(CUDA)
  # C++20 for .cu files as for the rest. CMake 3.25 knows nvcc's flags up to
  # C++17 only (and CUDA targets inherit CXX_STANDARD 20), so the flag is declared here.
  if(NOT DEFINED CMAKE_CUDA20_STANDARD_COMPILE_OPTION)
    set(CMAKE_CUDA20_STANDARD_COMPILE_OPTION "-std=c++20")
    set(CMAKE_CUDA20_EXTENSION_COMPILE_OPTION "-std=c++20")
  endif()
  set(CMAKE_CUDA_STANDARD 20)
  set(CMAKE_CUDA_STANDARD_REQUIRED ON)
  set(CMAKE_CUDA_EXTENSIONS OFF)
  find_package(CUDAToolkit REQUIRED)
  message(STATUS "trainbench: CUDA backend enabled (CUDA ${CUDAToolkit_VERSION}, architectures ${CMAKE_CUDA_ARCHITECTURES})")
else()
  message(STATUS "trainbench: CUDA backend disabled (TRAINBENCH_CUDA=${TRAINBENCH_CUDA})")
endif()
