#!/usr/bin/env bash
# Common helpers for the arm64-static-call rig. Sourced by every script;
# sourcing defines variables and functions only. A script then calls
# rig_init (its directories, a valid BASE), and kbuild_env before it runs
# a compiler.
# shellcheck disable=SC2034  # variables are used by the scripts sourcing this

RIG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# Everything big (kernel trees, build directories, ccache, downloads) lives
# outside the clone, so a fresh clone on the same machine reuses it.
CACHE=${ARM64SC_CACHE:-$HOME/.cache/arm64-static-call}
# Per-run output (logs, KTAP, JSON, results) lives in the clone.
OUT=${ARM64SC_OUT:-$RIG_ROOT/out}
LOGS=$OUT/logs
RESULTS=$OUT/results.tsv
JOBS=${JOBS:-$(nproc)}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-300}
# QEMU: 10 or later (scripts/sources/qemu.sh downloads 10.0 from bookworm-backports
# into the cache); Debian 12's 7.2 is refused (Documentation/rig.md, "One
# machine"). The machine and its modes are scripts/tables/machines.tsv; MACHINE=
# selects a mode.
QEMU_WRAPPER=$CACHE/qemu/bin/qemu-system-aarch64
QEMU=${QEMU:-$QEMU_WRAPPER}
QEMU_MIN_MAJOR=10
MACHINE=${MACHINE:-default}
qemu_version() { "$QEMU" --version 2>/dev/null | head -n1; }
# Refuse a missing or too old QEMU, saying what to do.
qemu_require() {
	local v major
	v=$(qemu_version) || true
	[ -n "$v" ] || die "no QEMU at $QEMU: run 'make deps' (downloads QEMU $QEMU_MIN_MAJOR from bookworm-backports into the cache) or set QEMU=/path/to/qemu-system-aarch64"
	major=$(printf '%s\n' "$v" | sed -n 's/^QEMU emulator version \([0-9]*\)\..*/\1/p')
	[ -n "$major" ] || die "cannot read the version of $QEMU: '$v'"
	[ "$major" -ge "$QEMU_MIN_MAJOR" ] ||
		die "$QEMU is '$v': QEMU $QEMU_MIN_MAJOR or later is needed (older multi-threaded TCG runs stale code after cross-vCPU patching, see Documentation/testing.md); run 'make deps' or set QEMU=/path/to/qemu-system-aarch64"
}
# Trace events to enable at boot: tracepoints call their probes through
# static calls, so these exercise trampoline updates and calls in the guest.
# A stage that measures sets TRACE_EVENTS= (empty) in the environment.
TRACE_EVENTS=${TRACE_EVENTS-"trace_event=sched:*,irq:*,timer:*,workqueue:*"}

# The build environment of every kernel and module build: ccache, and
# reproducible version strings.
kbuild_env() {
	# Why each of these: Documentation/rig.md, "Caches and keys".
	export CCACHE_DIR=$CACHE/ccache
	export CCACHE_BASEDIR=$CACHE
	export CCACHE_NOHASHDIR=1
	export CCACHE_DEPEND=1
	export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G}
	export CCACHE_SLOPPINESS=time_macros,include_file_mtime,include_file_ctime
	export KBUILD_BUILD_USER=rig KBUILD_BUILD_HOST=arm64-static-call
	export KBUILD_BUILD_TIMESTAMP="2026-01-01"
}

# CMake build of tools/: CMake pins its source directory, so the sources are
# mirrored into the cache (content-compared: unchanged files keep their
# mtimes) and every clone shares one incremental build.
TOOLS_SRC=$CACHE/tools-src
TOOLS_BUILD=$CACHE/tools-build/shared

# The start of every script: its output and cache directories, and BASE
# checked against scripts/tables/bases.tsv.
rig_init() {
	mkdir -p "$CACHE" "$LOGS"
	base_col "$BASE" base >/dev/null
}

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# step NAME CMD...: run a long step with a start line and a one-line summary.
step() {
	local name=$1 t rc=0
	shift
	t=$(date +%s)
	log "$name ..."
	"$@" || rc=$?
	if [ "$rc" -eq 0 ]; then
		log "$name: done in $(($(date +%s) - t))s"
	else
		log "$name: FAILED (exit $rc) after $(($(date +%s) - t))s"
	fi
	return "$rc"
}

# A kernel's own report of a crash or a hang, in a console log: CFI
# failures, exceptions, oopses, BUGs (KASAN, KCSAN, sleeping in atomic
# context, soft lockups), panics, hard lockups, RCU stalls, hung tasks.
KERNEL_CRASH_PAT='CFI failure|Unable to handle|Internal error|Oops|BUG:|Kernel panic|hard LOCKUP|detected stalls|self-detected stall|blocked for more than'
# The series' own complaints (its pr_err/pr_warn and WARN texts other than
# the misaligned-target one the suite announces) and the instruction
# encoder's.
SERIES_REPORT_PAT='static_call: .*(left unpatched|failed \(|no route recorded)|unexpected \.static_call\.text layout|\.static_call_routes does not match its code|offset out of range|A64 instructions must be word aligned|unknown branch encoding'

# log_unannounced LOG: the console log without carriage returns and without
# the lines that hold a message the suite announced, in quotes, with
# 'expected WARNING follows: "<message>"' (the series refusing what a test
# asked it to refuse; scripts/judges/logscan.sh pairs each announcement
# with its WARNING): what the report patterns are matched against.
log_unannounced() {
	local announced
	announced=$(tr -d '\r' <"$1" |
		sed -n 's/.*expected WARNING follows: "\(..*\)"[[:space:]]*$/\1/p')
	if [ -n "$announced" ]; then
		tr -d '\r' <"$1" | grep -vF -- "$announced" || true
	else
		tr -d '\r' <"$1"
	fi
}

# record STAGE NAME RESULT SECONDS [DETAIL]: one line per check for the summary.
record() {
	printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "${5:-}" >>"$RESULTS"
}

# The rig's tables, read by column name (scripts/lib/table.sh): bases.tsv,
# trees.tsv, variants.tsv, toolchains.tsv. A variant is named by its id (the
# variants table's key column); its base, tree, toolchain, kind and traits
# are columns, never parts of the id.
. "$RIG_ROOT/scripts/lib/table.sh"
BASES_TSV=$RIG_ROOT/scripts/tables/bases.tsv
TREES_TSV=$RIG_ROOT/scripts/tables/trees.tsv
VARIANTS_TSV=$RIG_ROOT/scripts/tables/variants.tsv
TOOLCHAINS_TSV=$RIG_ROOT/scripts/tables/toolchains.tsv
DEFAULT_BASE=$(table_one "$BASES_TSV" base default=yes) || die "scripts/tables/bases.tsv: no single default base"
BASE=${BASE:-$DEFAULT_BASE}
# base_col BASE COLUMN
base_col() {
	table_one "$BASES_TSV" "$2" base="$1" 2>/dev/null ||
		die "unknown base '$1' (scripts/tables/bases.tsv: $(table_get "$BASES_TSV" base | tr '\n' ' '))"
}
# The series applied on $BASE (SERIES=<dir of patches/> overrides).
series_dir() { echo "$RIG_ROOT/patches/${SERIES:-$(base_col "$BASE" series)}"; }
series_patches() { find "$(series_dir)" -name '0*.patch' ! -name '0000-*' | sort; }
# The inline call-site series of $BASE, applied after the series (tree
# "inline"); empty where the base has none.
inline_patches() {
	local d
	d=$(base_col "$BASE" inline_series)
	[ "$d" = - ] || find "$RIG_ROOT/patches/$d" -name '0*.patch' ! -name '0000-*' | sort
}
# The suffix of a base's stage names: none on the default base, -<base>
# on the others ("check", "check-7.2").
base_suffix() { [ "$(base_col "$1" default)" = yes ] || echo "-$1"; }
# tree_patches TREE: the patches of TREE on $BASE, in order (trees.tsv).
tree_patches() {
	local s d n
	s=$(table_one "$TREES_TSV" series tree="$1") || die "unknown tree '$1' (scripts/tables/trees.tsv)"
	[ "$s" != - ] || return 0
	for s in ${s//,/ }; do
		# "series:COLUMN": only the first N patches, N being the base's
		# COLUMN of scripts/tables/bases.tsv ("-": none of them).
		n=
		case $s in *:*) n=$(base_col "$BASE" "${s#*:}") s=${s%%:*} ;; esac
		d=$(base_col "$BASE" "$s")
		[ "$d" = - ] || [ "$n" = - ] && continue
		if [ -n "$n" ]; then
			find "$RIG_ROOT/patches/$d" -name '0*.patch' ! -name '0000-*' | sort | head -n "$n"
		else
			find "$RIG_ROOT/patches/$d" -name '0*.patch' ! -name '0000-*' | sort
		fi
	done
}
# var_col ID COLUMN: a column of the variant ID.
var_col() {
	table_one "$VARIANTS_TSV" "$2" id="$1" 2>/dev/null ||
		die "unknown variant '$1' (scripts/tables/variants.tsv ids: $(table_get "$VARIANTS_TSV" id | tr '\n' ' '))"
}
# variant_id NAME: the variant named NAME on $BASE; an id is accepted too
# (V=7.2-gcc as well as BASE=7.2 V=gcc).
variant_id() {
	table_one "$VARIANTS_TSV" id base="$BASE" name="$1" 2>/dev/null ||
		table_one "$VARIANTS_TSV" id id="$1" 2>/dev/null ||
		die "no variant '$1' on base $BASE (scripts/tables/variants.tsv: $(table_get "$VARIANTS_TSV" name base="$BASE" | tr '\n' ' '))"
}
variant_base() { var_col "$1" base; }
variant_name() { var_col "$1" name; }
# patched, unpatched or mainline-own (see variants.tsv)
variant_kind() { var_col "$1" kind; }
variant_toolchain() { var_col "$1" toolchain; }
# The tree a variant builds from, as <base>/<tree>.
variant_tree() { echo "$(var_col "$1" base)/$(var_col "$1" tree)"; }
# variant_has ID TRAIT: does the variant have TRAIT (variants.tsv traits)?
variant_has() { case ",$(var_col "$1" traits)," in *",$2,"*) return 0 ;; *) return 1 ;; esac; }
# Die (in the calling script, not a subshell) on a variant the tables lack.
variant_check() { var_col "$1" id >/dev/null; }
# machine_col COLUMN: a column of the machine mode $MACHINE (machines.tsv).
MACHINES_TSV=$RIG_ROOT/scripts/tables/machines.tsv
machine_col() {
	table_one "$MACHINES_TSV" "$1" machine="$MACHINE" 2>/dev/null ||
		die "unknown MACHINE '$MACHINE' (scripts/tables/machines.tsv: $(table_get "$MACHINES_TSV" machine | tr '\n' ' '))"
}
# 1 when stale translations are possible (multi-threaded TCG): the
# concurrency cases and the module's key_moving then count and report
# stale calls instead of failing on them.
emulator_stale_ok() { machine_col stale_ok; }
# One line in the results for a stage that boots a guest: which QEMU, how.
record_qemu() {
	record "$1" "qemu: $(qemu_version); machine $MACHINE (-accel $(machine_col accel), -smp ${SMP:-$(machine_col smp)})" INFO 0
}
# variant_setup SCRIPT VARIANT: the variant a stage works on (dies, with
# SCRIPT's usage, on a missing or unknown one) and where it lives: sets
# variant, tree (its tree's directory), tc, b (its build directory) and
# margs (the make arguments of its toolchain).
variant_setup() {
	[ -n "${2:-}" ] || die "usage: $1 VARIANT"
	variant=$2
	variant_check "$variant"
	tree=$(tree_dir "$(variant_tree "$variant")")
	tc=$(variant_toolchain "$variant")
	b=$(build_dir "$variant")
	mapfile -t margs < <(kmake_args "$tc")
}

# host_tool NAME: the path of the C++ host tool NAME (tools/), built first
# if it is missing.
host_tool() {
	local t=$TOOLS_BUILD/$1
	# Built, and from the sources in this clone (tools.sh mirrors them into
	# $TOOLS_SRC): a stage run on its own must not use an older build.
	if [ ! -x "$t" ] || ! diff -rq --exclude=build "$RIG_ROOT/tools" "$TOOLS_SRC" >/dev/null 2>&1; then
		"$RIG_ROOT/scripts/stages/tools.sh" >"$LOGS/tools-for-$1.log" 2>&1 ||
			die "$1 not built (see $LOGS/tools-for-$1.log): run 'make tools'"
	fi
	[ -x "$t" ] || die "$1 not built: run 'make tools'"
	echo "$t"
}

# tools_ctest STAGE WHAT REGEX [VAR=VALUE...]: the tools' CTest tests
# matching REGEX, run on this build with the given environment (they
# corrupt copies of its files and expect the tool to name the damage);
# recorded as WHAT. Fails unless they ran and all passed.
tools_ctest() {
	local stage=$1 what=$2 re=$3 rc=0
	shift 3
	(cd "$TOOLS_BUILD" && env "$@" ctest --output-on-failure -R "$re") \
		>"$LOGS/$stage-corrupt.log" 2>&1 || rc=$?
	if [ "$rc" -eq 0 ] && grep -q "100% tests passed" "$LOGS/$stage-corrupt.log"; then
		record "$stage" "$what" PASS 0
		return 0
	fi
	record "$stage" "$what" FAIL 0 "see $LOGS/$stage-corrupt.log"
	return 1
}

# tc_col TOOLCHAIN COLUMN (toolchains.tsv)
tc_col() {
	table_one "$TOOLCHAINS_TSV" "$2" toolchain="$1" 2>/dev/null ||
		die "unknown toolchain '$1' (scripts/tables/toolchains.tsv)"
}
# tree_dir <base>/<tree>, or <tree> on $BASE
tree_dir() {
	case $1 in
	*/*) echo "$CACHE/trees/$1" ;;
	*) echo "$CACHE/trees/$BASE/$1" ;;
	esac
}
# A variant's build directory is a direct subdirectory of its tree: kbuild
# then uses the relative srctree "..", the precondition for sharing ccache
# between trees. $CACHE/build/VARIANT is a link to it, for people.
build_dir() {
	case $1 in
	# bench.sh's private directory: the module, initramfs, a kernel link
	bench-*) echo "$CACHE/build/$1" ;;
	*) echo "$(tree_dir "$(variant_tree "$1")")/build-$1" ;;
	esac
}
link_build_dir() {
	local link=$CACHE/build/$1
	mkdir -p "$CACHE/build"
	# A real directory there is a build from the rig's older layout.
	if [ -d "$link" ] && [ ! -L "$link" ]; then rm -rf "$link"; fi
	ln -sfn "$(build_dir "$1")" "$link"
}

# apt_private DIR ARCH SUITE...: point apt at a private sources list, state
# and cache in DIR (Debian's SUITEs, main, architecture ARCH only; ARCH
# "source": the source packages, deb-src lines) and read
# the lists when they are missing or a day old. Sets APT_OPTS for apt-get
# and apt-cache. The system's apt configuration is never read or changed:
# for a foreign ARCH the package status is an empty file, so nothing the
# host has installed counts.
apt_private() {
	local dir=$1 arch=$2 s
	shift 2
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
	[ -f "$dir/status" ] || : >"$dir/status"
	for s in "$@"; do
		if [ "$arch" = source ]; then
			echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $s main"
		else
			echo "deb [arch=$arch signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $s main"
		fi
	done >"$dir/sources.list.new"
	cmp -s "$dir/sources.list.new" "$dir/sources.list" || rm -f "$dir"/lists/*_Packages* "$dir"/lists/*_Sources*
	mv "$dir/sources.list.new" "$dir/sources.list"
	APT_OPTS=(-o "Dir::Etc::sourcelist=$dir/sources.list" -o "Dir::Etc::sourceparts=-"
		-o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache"
		-o "APT::Get::List-Cleanup=0" -o "Debug::NoLocking=1")
	[ "$arch" = source ] || APT_OPTS+=(-o "APT::Architecture=$arch" -o "APT::Architectures::=$arch")
	[ "$arch" = "$(dpkg --print-architecture)" ] || APT_OPTS+=(-o "Dir::State::status=$dir/status")
	# Read the suites once a day at most: unstable moves.
	if [ -z "$(find "$dir/lists" -maxdepth 1 \( -name '*_Packages*' -o -name '*_Sources*' \) -mmin -1440 2>/dev/null | head -n1)" ]; then
		log "reading Debian $* ($arch; private apt lists in $dir)"
		apt-get "${APT_OPTS[@]}" update >"$LOGS/apt-$(basename "$dir").log" 2>&1 ||
			die "apt-get update of Debian $* failed, see $LOGS/apt-$(basename "$dir").log"
	fi
}

# make arguments for a toolchain (toolchains.tsv), ccache included.
kmake_args() {
	local tc=$1 a
	local args=(ARCH=arm64 "-j$JOBS")
	read -r -a a <<<"$(tc_col "$tc" make_args)"
	args+=("${a[@]}" CC="ccache $(tc_col "$tc" cc)")
	printf '%s\n' "${args[@]}"
}

hash_files() { cat "$@" | sha256sum | cut -c1-16; }

# The config fragments of a variant, in merge order: configs/base.config and
# configs/<base>/base.config (additions for that base, if any), then for each
# fragment X of the variant configs/<base>/X.config where it exists, else
# configs/X.config.
variant_fragments() {
	local v=$1 f b
	b=$(variant_base "$v")
	echo "$RIG_ROOT/configs/base.config"
	# configs/<base>/base.config adds to base.config.
	[ ! -f "$RIG_ROOT/configs/$b/base.config" ] || echo "$RIG_ROOT/configs/$b/base.config"
	for f in $(var_col "$v" fragments | tr ',' ' '); do
		[ "$f" = - ] && continue
		if [ -f "$RIG_ROOT/configs/$b/$f.config" ]; then
			echo "$RIG_ROOT/configs/$b/$f.config"
		else
			echo "$RIG_ROOT/configs/$f.config"
		fi
	done
	# Extra fragments from the user, e.g. CONFIGS_EXTRA=/path/my.config
	for f in ${CONFIGS_EXTRA:-}; do echo "$f"; done
}

# variant_matches ID WHEN: do all of WHEN's comma-separated conditions hold
# for the variant? kind=<kind>, <trait>, !<trait>; "-" always holds.
variant_matches() {
	conditions_hold "$(variant_kind "$1")" "$(var_col "$1" traits)" "$2"
}
# conditions_hold KIND TRAITS WHEN: the same on a kind and a traits list
# already read (no table look-up per condition).
conditions_hold() {
	local kind=$1 traits=,$2, c
	for c in ${3//,/ }; do
		case $c in
		-) ;;
		kind=*) [ "$kind" = "${c#kind=}" ] || return 1 ;;
		!*) [ "${traits#*,"${c#!}",}" = "$traits" ] || return 1 ;;
		*) [ "${traits#*,"$c",}" != "$traits" ] || return 1 ;;
		esac
	done
}

# expectations SUITE ID: the rows of scripts/tables/expectations.tsv for SUITE
# that apply to the variant, "case<TAB>expect<TAB>reason", the first
# matching row of each case only.
expectations() {
	local suite=$1 v=$2 c w e r kind traits
	local -A seen=()
	kind=$(variant_kind "$v")
	traits=$(var_col "$v" traits)
	while IFS=$'\t' read -r c w e r; do
		[ -z "${seen[$c]:-}" ] || continue
		conditions_hold "$kind" "$traits" "$w" || continue
		seen[$c]=1
		printf '%s\t%s\t%s\n' "$c" "$e" "$r"
	done < <(paste <(table_get "$RIG_ROOT/scripts/tables/expectations.tsv" case suite="$suite") \
		<(table_get "$RIG_ROOT/scripts/tables/expectations.tsv" when suite="$suite") \
		<(table_get "$RIG_ROOT/scripts/tables/expectations.tsv" expect suite="$suite") \
		<(table_get "$RIG_ROOT/scripts/tables/expectations.tsv" reason suite="$suite"))
}

# expected SUITE ID CASE: the expect column for one case of the variant.
expected() {
	expectations "$1" "$2" | awk -F'\t' -v c="$3" '$1 == c { print $2 }'
}

# ktap_expect_args SUITE ID CONSOLE_LOG EXPECT_FILE: the ktap_report.py
# options that judge the variant, from scripts/tables/expectations.tsv. The cases
# that must not pass go to EXPECT_FILE ("case reason" lines); the "*" row
# says what the others must do.
ktap_expect_args() {
	local suite=$1 v=$2 console=$3 file=$4 rest
	expectations "$suite" "$v" | awk -F'\t' '$1 != "*" && $1 != "run_kselftest.sh" && $2 == "not_ok" {
		print ($3 == "-") ? $1 : $1 " " $3 }' >"$file"
	rest=$(expected "$suite" "$v" '*')
	case $rest in
	pass_no_skip)
		[ ! -s "$file" ] || die "expectations.tsv: $suite on $v: not_ok cases beside pass_no_skip"
		echo --no-skip
		;;
	pass) printf '%s\n' --expect-not-ok "$file" --rest-must-pass --console "$console" ;;
	not_judged) printf '%s\n' --expect-not-ok "$file" --console "$console" ;;
	*) die "expectations.tsv: no \"*\" row for $suite on $v (kind $(variant_kind "$v"), traits $(var_col "$v" traits))" ;;
	esac
}
