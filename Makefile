# arm64-static-call: the rig. `make help` lists the targets.
# Everything big lives in $(ARM64SC_CACHE) (default ~/.cache/arm64-static-call);
# logs and results of the last run are in out/.
SHELL := /bin/bash
S := scripts
# The scripts capture what nested makes print ($(make -s -C TREE
# kernelversion) names the tree in a result row and in the base commit).
# Under make -C, or a make that runs this one (make all does), GNU make
# turns -w on and passes it down, and each nested make would print its
# "Entering directory" lines into that output: make all counted one check
# fewer in make test that way, its row cut in two. No directory lines here.
MAKEFLAGS += --no-print-directory
# make kernel V=<name>: a variant's name on BASE (scripts/tables/variants.tsv);
# without V, rig.sh's default.

.PHONY: help run test deps tree kernel kunit kunit-baseline kmod kmod-baseline \
	boot check bisect tools bench workload hwkit mutate mutate-6.12 mutate-inline mutate-7.2 matrix mainline gki perf race qemu cfi-baseline inline clean distclean shellcheck \
	status all suite

help: ## this list
	@grep -hE '^[a-z0-9.-]+:.*## ' $(MAKEFILE_LIST) | \
		awk -F':.*## ' '{ printf "  make %-16s %s\n", $$1, $$2 }'
	@. $(S)/lib/table.sh; b=$${BASE:-$$(table_get $(S)/tables/bases.tsv base default=yes)}; \
		echo "  Variables: BASE=$$(table_get $(S)/tables/bases.tsv base | paste -sd'|') (scripts/tables/bases.tsv, default $$(table_get $(S)/tables/bases.tsv base default=yes))"; \
		echo "             V=$$(table_get $(S)/tables/variants.tsv name base=$$b | paste -sd'|') (the variants of BASE $$b, scripts/tables/variants.tsv)"
	@echo "             KSRC=/path/to/linux  ARM64SC_CACHE=dir  MUTANTS=\"name ...\""

run: ## main job: patched GCC kernel, KUnit suite + insmod module in QEMU, summary
	@$(S)/rig.sh run

test: ## everything: tools, series checks, GCC+Clang(kCFI,BTI), baselines, Debian's perf; "N passed, N failed"
	@$(S)/evidence.sh run test $(S)/rig.sh test

deps: ## install the Debian packages and the guest busybox (root)
	@$(S)/sources/deps.sh all

tree: ## prepare base, patched and baseline trees in the cache (git am the series)
	@$(S)/sources/tree.sh all

kernel: ## build kernel variant V (default gcc)
	@$(S)/rig.sh kernel $(V)

kunit: ## run the KUnit suite on variant V via the tree's kunit.py
	@$(S)/rig.sh kunit $(V)

kunit-baseline: ## KUnit suite on the unpatched GCC kernel: arch cases must fail
	@$(S)/rig.sh kunit gcc-base

kmod: ## build static_call_test.ko for V, kselftest-install, boot, run_kselftest.sh -c static_call
	@$(S)/rig.sh kmod $(V)

kmod-baseline: ## the module selftest on the unpatched GCC kernel: trampoline cases must fail
	@$(S)/rig.sh kmod gcc-base

boot: ## boot variant V with the rig initramfs (module selftest) and keep the console log
	@$(S)/rig.sh kmod $(V)

check: ## series checks: git am, checkpatch --strict, bisect builds, vmlinux layout, W=1
	@$(S)/rig.sh check

bisect: ## build the series patch by patch (the bisectability check alone)
	@$(S)/rig.sh bisect

cfi-baseline: ## unpatched Clang kCFI kernel: capture the RET0 CFI failure
	@$(S)/rig.sh suite clang-base

tools: ## build and test the C++ host tools (CTest)
	@$(S)/rig.sh tools

bench: ## icount benchmark: cost per call and per update (QEMU -icount shift=0; BENCH_SMP=4)
	@$(S)/evidence.sh run bench $(S)/stages/bench.sh

workload: ## kernel work through static calls: LSM-heavy Clang kernels, one per design and base (unpatched, mainline's trampoline, slot, inline), their suite, system calls and a traced ping-pong under -icount; one table per base (the longest target: README, "Times")
	@$(S)/evidence.sh run workload $(S)/rig.sh workload

hwkit: ## the hardware kit: with KDIR=<arm64 kernel build>, one archive (bench module, workload program, run.sh, report) for that kernel in out/; without, the kit checked on canned input and run under QEMU on one rig kernel per design, 6.12 and 7.2
	@$(if $(KDIR),$(S)/stages/hwkit.sh $(KDIR),$(S)/evidence.sh run hwkit $(S)/rig.sh hwkit)

mutate: ## mutation testing: each mutants/*.patch must be killed by a test verdict or a kernel report; runs mutate-6.12, mutate-inline and mutate-7.2 (MUTANTS="...": those alone, recording nothing)
ifneq ($(MUTANTS),)
	@$(S)/sources/tree.sh all
	@$(S)/sources/tree.sh inline
	@BASE=7.2 $(S)/sources/tree.sh all
	@$(S)/stages/mutate.sh $(MUTANTS)
else
	@$(MAKE) --no-print-directory -k mutate-6.12 mutate-inline mutate-7.2
endif

# One evidence row per tree: each part fits in a working session on a new
# machine, and a part that passed stays recorded while another one runs.
mutate-6.12: ## the mutants of the 6.12 series (out-of-line) and their control; verdicts cached
	@$(S)/sources/tree.sh all
	@$(S)/evidence.sh run mutate-6.12 $(S)/stages/mutate.sh --tree 6.12/patched

mutate-inline: ## the mutants of the 6.12 inline series and their control; verdicts cached
	@$(S)/sources/tree.sh all
	@$(S)/sources/tree.sh inline
	@$(S)/evidence.sh run mutate-inline $(S)/stages/mutate.sh --tree 6.12/inline

mutate-7.2: ## the mutants of the 7.2 series and of its inline series, and their controls; verdicts cached
	@BASE=7.2 $(S)/sources/tree.sh all
	@BASE=7.2 $(S)/sources/tree.sh inline
	@$(S)/evidence.sh run mutate-7.2 $(S)/stages/mutate.sh --tree 7.2/patched,7.2/inline

matrix: ## the evidence beyond make test: the 6.12 per-patch builds, the unpatched kCFI suite, 5 race runs, VHE, lockdep+KASAN+ftrace+hotplug, KCSAN, LSM (about an hour cold)
	@$(S)/evidence.sh run matrix $(S)/rig.sh matrix

gki: ## GKI-shaped Clang kernels (kCFI+BTI+PAC+SCS, ThinLTO and full LTO): layout, KUnit (PAC and SCS), selftest beyond B range, sc-audit, perf; perf on plain patched+unpatched Clang too
	@$(S)/evidence.sh run gki $(S)/rig.sh gki

perf: ## Debian's perf (the bug report's command) on the patched and the unpatched (CFI_PERMISSIVE off) Clang kCFI kernels
	@$(S)/evidence.sh run perf $(S)/rig.sh perf

inline: ## the inline call-site series on 6.12 and 7.2 (bases.tsv inline_series): GCC, Clang kCFI+BTI, ThinLTO: KUnit, module selftest (far load, PLT routes), sc-audit, sc-sites; 7.3-rc apply+build
	@$(S)/evidence.sh run inline $(S)/rig.sh inline

mainline: ## BASE=7.2: the series and mainline's own kCFI trampolines side by side, no static calls, bisect, 7.3-rc apply+build
	@$(S)/evidence.sh run mainline $(S)/rig.sh mainline

status: ## each evidence target (scripts/tables/evidence.tsv): current, or stale since which inputs changed (Documentation/evidence.tsv)
	@$(S)/evidence.sh status

all: ## every evidence target in order (test inline mainline gki matrix perf bench workload hwkit, mutate in its three parts), one summary line
	@$(S)/evidence.sh all

suite: ## a variant's whole suite (V=..., scripts/tables/stages.tsv): kernel, layout, KUnit, module, and what else applies
	@$(S)/rig.sh suite $(V)

race: ## the KUnit concurrency case alone on the GCC kernel, RUNS times (default 5); MACHINE=strict for single-threaded TCG
	@$(S)/rig.sh race

qemu: ## download QEMU 10 from bookworm-backports into the cache and print its version
	@$(S)/sources/qemu.sh install

shellcheck: ## shellcheck every script
	@shellcheck $(S)/*.sh $(S)/*/*.sh $(S)/guest/init kmod/*.sh kmod/selftest/*.sh .ci/run

clean: ## remove out/ (logs, results) and the tools build
	rm -rf out tools/build

distclean: clean ## also remove the cache (trees, builds, ccache)
	rm -rf "$${ARM64SC_CACHE:-$$HOME/.cache/arm64-static-call}"
