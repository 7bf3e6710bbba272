# trainbench: `make run` (install, build, benchmark the machine in hand) and `make test`.
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
BACKEND    ?= auto
SUITE      ?=
OUT        ?= results
CMAKE_ARGS ?=

.PHONY: all deps test-deps build run test test-capped test-sanitize targets clean

all: build

deps:
	@scripts/install-deps.sh

test-deps:
	@scripts/install-deps.sh --test

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_ARGS)
	cmake --build $(BUILD) -j $(JOBS)

MODEL        ?= llama3.2-1b
MODEL_TOKENS ?= 1024
COMPARE      ?= trn1.32xlarge,trn2.48xlarge,p4d.24xlarge,p5.48xlarge,p5en.48xlarge

# The default suite of the accelerator in hand (--backend auto: a GPU, else a
# Neuron device, else the CPU; benchmarks/suites/{gpu,neuron,default}.suite, or
# SUITE=FILE), then the 1B model's training step measured on it and compared
# with projected instances (docs/cost.md): a second result file with the model
# run. Both are recorded in the history database, and the report page is
# written from it (docs/nightly.md).
run: build
	./$(BUILD)/trainbench run --backend $(BACKEND) $(if $(SUITE),--suite $(SUITE)) --out $(OUT) --db $(OUT)/history.db
	./$(BUILD)/trainbench run --backend $(BACKEND) --model $(MODEL) --tokens $(MODEL_TOKENS) --instance $(COMPARE) \
	  --out $(OUT) --db $(OUT)/history.db
	./$(BUILD)/trainbench report --db $(OUT)/history.db -o $(OUT)/report.html

test: build test-deps
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The CPU-backend and CLI tests again with the instruction set capped at AVX2
# (docs/cpu-isa.md): trainbench's own kernels and probes, oneDNN and OpenBLAS
# take the paths an AVX2-only CPU takes, whatever this CPU has.
CAPPED_TESTS ?= cpu|Cpu|cli\.|Gemm|Attention|Flash|Isa|BackendChoice|MeasuredRun|ModelRun|DefaultSuites
test-capped: build test-deps
	cd $(BUILD) && TRAINBENCH_MAX_ISA=avx2 ONEDNN_MAX_CPU_ISA=AVX2 OPENBLAS_CORETYPE=Haswell \
	  ctest --output-on-failure -j $(JOBS) -R '$(CAPPED_TESTS)'

# The same tests under AddressSanitizer and UndefinedBehaviorSanitizer (CI runs this too).
test-sanitize: deps test-deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTRAINBENCH_SANITIZE=ON \
	  -DTRAINBENCH_BUILD_BENCHMARKS=OFF $(CMAKE_ARGS)
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS)

# Measures the foundation issue's targets (docs/measurements.md).
targets: build
	benchmarks/measure-targets.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
