#!/bin/bash
# selfcheck.sh: runs zdtm C tests WITHOUT checkpointing, to check the tests themselves.
#
#   zdtm/static/selfcheck.sh [--negative] [NAME ...]
#
# For each test (every NAME.json with a built NAME, or the names given):
# start it with --pidfile/--outfile in a fresh temp dir, expect the launcher
# to exit 0, the pidfile to name a live process that holds no pipe or socket
# (unless the test is flagged "crfail"), send SIGTERM, wait for it to exit and
# expect "PASS" as the outfile's last line. crfail tests are run as well: they
# must pass without a checkpoint.
# --freeze: before the SIGTERM the test is frozen and thawed 3 times the way a
# dump freezes it (PTRACE_SEIZE + PTRACE_INTERRUPT, wait, PTRACE_DETACH): a
# test must not notice (a checkpoint without restore, as with --leave-running).
# --negative: proves the tests can fail. Before the SIGTERM the test's state is
# damaged from outside and the test must then report FAIL: a byte is flipped
# through /proc/PID/mem at each address it logs as "LOG: poke ADDR", and/or
# the recipe below for it is run (gdb: commands for gdb -p PID -batch;
# sh: a shell command with $pid set). Tests with neither are skipped;
# gdb recipes are skipped without gdb. Some recipes know fd numbers
# (fd 4 is the ready pipe while the test sets up, so its first fds are 3, 5, ...).
set -u
here=$(cd "$(dirname "$0")" && pwd)
negative=0; freeze=0
while [ $# -gt 0 ]; do
	case "$1" in
	--negative) negative=1; shift ;;
	--freeze) freeze=1; shift ;;
	*) break ;;
	esac
done
if [ $# -gt 0 ]; then names=("$@"); else
	names=(); for j in "$here"/*.json; do names+=("$(basename "$j" .json)"); done
fi
work=$(mktemp -d /tmp/zdtm-selfcheck.XXXXXX)
pass=0; fail=0; skip=0; failed=()

alive() { # pid: running and not a zombie (PID 1 reaps orphans slowly here)
	local st
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

declare -A recipe=(
	[sse_regs]='gdb:set $xmm9.v4_int32[1] = 7'
	[avx_regs]='gdb:set $ymm12.v8_int32[6] = 7'
	[fpu_x87]='gdb:set $st3 = 1'
	[mxcsr_rounding]='gdb:set $mxcsr = 0x1f80'
	[gp_regs_loop]='gdb:set $r13 = 5'
	[busy_loop]='gdb:set $rbx = $rbx + 1;set $r12 = $r12 + 1;set $r13 = $r13 + 1'
	[nanosleep_long]='gdb:set $rax = -4;set $orig_rax = -1'
	[pause_wait]='gdb:set $rax = -4;set $orig_rax = -1'
	[sighandler_installed]='gdb:call (void *)signal(10, (void *)1)'
	[sigmask_blocked]='gdb:set $m = (unsigned long *)malloc(8);set *$m = 0x200;call (long)syscall(14, 1, $m, 0, 8)'
	[sigpending_blocked]='sh:kill -USR2 $pid'
	[sigqueue_rt_pending]='sh:kill -35 $pid'
	[sigaltstack_set]='gdb:set $s = (long *)calloc(3, 8);set $s[1] = 2;call (int)sigaltstack($s, 0)'
	[cwd_umask]='gdb:call (int)umask(022)'
	[rlimits_soft]='sh:prlimit --pid $pid --nofile=150:'
	[comm_name]='gdb:call (int)prctl(15, "other")'
	[itimer_real]='gdb:call (unsigned)alarm(0)'
	[file_offsets]='gdb:call (long)lseek(3, 0, 0)'
	[file_append]='gdb:call (int)fcntl(3, 4, 1)'
	[fd_cloexec]='gdb:call (int)fcntl(3, 2, 0)'
	[dev_null_zero]='gdb:call (int)dup2(5, 3)'
	[dir_fd]='gdb:call (int)close(3)'
	[fd_high_numbers]='gdb:call (int)close(999)'
	[file_unlinked]='gdb:call (long)lseek(3, 0, 0)'
	[file_unlinked_sparse]='gdb:call (long)lseek(3, 0, 0)'
	[file_unlinked_shared]='gdb:call (long)lseek(3, 0, 0)'
	[file_unlinked_too_big]='gdb:call (long)lseek(3, 0, 0)'
	[memfd_held]='gdb:call (long)lseek(3, 0, 0)'
	[memfd_mapped_shared]='gdb:call (long)lseek(3, 0, 0)'
	[memfd_sparse]='gdb:call (long)lseek(3, 0, 0)'
	[memfd_seals]='gdb:call (long)lseek(3, 0, 0)'
	[pipe_held]='sh:printf x > /proc/$pid/fd/5'
	[socket_unix_held]='gdb:call (long)write(3, "zz", 2)'
	[child_process]='sh:kill -KILL $(cat /proc/$pid/task/$pid/children)'
	[signalfd_held]='sh:kill -35 $pid'
	[signalfd_pending]='sh:kill -39 $pid'
	[signalfd_nonblock_flags]='sh:kill -64 $pid'
	[timerfd_held]='gdb:call (long)read(3, (void *)malloc(8), 8)'
	[timerfd_ticks]='gdb:call (long)read(3, (void *)malloc(8), 8)'
	[timerfd_abstime]='gdb:call (int)timerfd_settime(3, 0, (void *)calloc(4, 8), 0)'
	[timerfd_boottime_oneshot]='gdb:call (int)timerfd_settime(3, 0, (void *)calloc(4, 8), 0)'
	[inotify_held]='sh:touch "$(dirname "$(readlink /proc/$pid/fd/1)")/inotify_held.watched/extra"'
	[inotify_watches]='sh:touch "$(readlink /proc/$pid/cwd)/extra"'
	[inotify_queued_refused]='sh:touch "$(dirname "$(readlink /proc/$pid/fd/1)")/inotify_queued_refused.watched/extra"'
	[fanotify_marks]='sh:touch "$(dirname "$(readlink /proc/$pid/fd/1)")/fanotify_marks.mnt/extra"'
	[pidfd_live]='sh:kill -KILL $(cut -d" " -f1 /proc/$pid/task/$pid/children)'
	[pidfd_exited]='gdb:call (int)dup2(0, 3)'
	[pidfd_outside_refused]='gdb:call (int)dup2(0, 3)'
)
have_gdb=0; command -v gdb >/dev/null && have_gdb=1

run_recipe() { # pid recipe
	local pid=$1 r=$2 args=() c
	case "$r" in
	gdb:*)
		IFS=';' read -ra cmds <<<"${r#gdb:}"
		for c in "${cmds[@]}"; do args+=(-ex "$c"); done
		gdb -p "$pid" -batch "${args[@]}" >/dev/null 2>&1 ;;
	sh:*) pid=$pid bash -c "${r#sh:}" ;;
	esac
}

poke() { # pid addr: flip one byte
	python3 - "$1" "$2" <<'PY'
import sys
pid, addr = int(sys.argv[1]), int(sys.argv[2], 16)
with open(f"/proc/{pid}/mem", "r+b", buffering=0) as f:
    f.seek(addr); b = f.read(1); f.seek(addr); f.write(bytes([b[0] ^ 0x5a]))
PY
}

freeze_thaw() { # pid: seize, interrupt, wait for the stop, detach
	python3 - "$1" <<'PY'
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
pid = int(sys.argv[1])
for _ in range(3):
    if libc.ptrace(0x4206, pid, None, None) != 0:   # PTRACE_SEIZE
        sys.exit("seize: " + os.strerror(ctypes.get_errno()))
    libc.ptrace(0x4207, pid, None, None)            # PTRACE_INTERRUPT
    os.waitpid(pid, 0x40000000)                     # __WALL
    time.sleep(0.05)
    libc.ptrace(17, pid, None, None)                # PTRACE_DETACH
    time.sleep(0.05)
PY
}

run_one() { # name -> 0 ok
	local t=$1 d="$work/$1" bin="$here/$1" pid rc i last
	mkdir -p "$d"
	timeout 20 "$bin" --pidfile="$d/$t.pid" --outfile="$d/$t.out" 2>"$d/launcher.err"
	rc=$?
	if [ $rc -eq 3 ]; then echo "$(head -c 400 "$d/launcher.err")"; return 3; fi	# zdtm_skip()
	if [ $rc -ne 0 ]; then echo "  launcher exited $rc: $(head -c 400 "$d/launcher.err")"; return 1; fi
	pid=$(cat "$d/$t.pid" 2>/dev/null)
	if ! [[ "$pid" =~ ^[0-9]+$ ]] || ! alive "$pid"; then echo "  bad pidfile: '$pid'"; return 1; fi
	sleep 0.3
	if ! grep -q '"crfail"' "$here/$t.json" &&
	   ls -l "/proc/$pid/fd" 2>/dev/null | grep -qE 'pipe:|socket:'; then
		echo "  holds a pipe or socket after ready:"; ls -l "/proc/$pid/fd"; kill -KILL "$pid"; return 1
	fi
	if [ $freeze -eq 1 ]; then freeze_thaw "$pid" || return 1; fi
	if [ $negative -eq 1 ]; then
		for a in $(sed -n 's/^LOG: poke \(0x[0-9a-f]*\)$/\1/p' "$d/$t.out"); do poke "$pid" "$a"; done
		[ -n "${recipe[$t]:-}" ] && run_recipe "$pid" "${recipe[$t]}"
	fi
	kill -TERM "$pid"
	for i in $(seq 1 1200); do alive "$pid" || break; sleep 0.05; done
	if alive "$pid"; then echo "  still running 60 s after SIGTERM"; kill -KILL "$pid"; return 1; fi
	last=$(tail -n 1 "$d/$t.out")
	if [ $negative -eq 1 ]; then
		[[ "$last" == FAIL* ]] && return 0
		echo "  expected FAIL after the poke, got: $last"; return 1
	fi
	[ "$last" = "PASS" ] && return 0
	echo "  verdict: $last"; grep -E '^(ERROR|FAIL)' "$d/$t.out" | head -5 | sed 's/^/    /'
	return 1
}

for t in "${names[@]}"; do
	if [ ! -x "$here/$t" ] || [ ! -f "$here/$t.json" ]; then echo "SKIP $t (not built or no .json)"; skip=$((skip+1)); continue; fi
	if [ $negative -eq 1 ]; then
		r=${recipe[$t]:-}
		if [ -n "$r" ] && [ "${r%%:*}" = gdb ] && [ $have_gdb -eq 0 ]; then r=; fi
		if [ -z "$r" ] && ! grep -q 'zdtm_log("poke' "$here/$t.c" 2>/dev/null; then
			echo "SKIP $t (no way to damage it from outside)"; skip=$((skip+1)); continue
		fi
	fi
	start=$(date +%s.%N)
	out=$(run_one "$t"); rc=$?
	if [ $rc -eq 0 ]; then
		printf 'ok   %-24s %5.1fs\n' "$t" "$(echo "$(date +%s.%N) - $start" | bc)"; pass=$((pass+1))
	elif [ $rc -eq 3 ]; then
		echo "SKIP $t ($out)"; skip=$((skip+1))
	else
		printf 'FAIL %-24s\n%s\n' "$t" "$out"; fail=$((fail+1)); failed+=("$t")
	fi
done
echo "selfcheck$([ $negative -eq 1 ] && echo ' --negative')$([ $freeze -eq 1 ] && echo ' --freeze'): $pass ok, $fail failed, $skip skipped (logs in $work)"
[ $fail -eq 0 ] || { echo "failed: ${failed[*]}"; exit 1; }
