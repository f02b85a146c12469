# The guard of one COMMAND run by `elector campaign`: it owns COMMAND's process group and stops it when elector
# stops renewing its lease in time. Guard.java runs this text as `setsid bash -c TEXT elector-guard ARGS`, so it lives
# in a session of its own, apart from elector's JVM: a frozen, stopped or killed JVM cannot hold it up.
#
# Arguments: NAME GRACE_MS COMMAND [ARGS...]
#   NAME          how its messages on stderr start, e.g. "elector[node-1]"
#   GRACE_MS      time between SIGTERM and SIGKILL
# Instants are milliseconds on /proc/uptime (CLOCK_BOOTTIME: monotonic, never stepped like the wall clock, 10 ms
# resolution), which elector's JVM reads the same way.
# stdin: one line per message from elector
#   a number      the lease now ends at that instant (renewals; a smaller number than the current end is ignored);
#                 COMMAND starts on the first one
#   stop          the term is over: stop COMMAND now
#   end of file   elector is gone (exited, or killed even with SIGKILL): stop COMMAND now
#
# Invariants:
# - SIGKILL reaches COMMAND's process group before the lease's end; SIGTERM goes GRACE_MS earlier, or when asked.
#   So however elector fails, COMMAND is gone by the end of the last lease elector granted while its term was valid.
# - The guard is not in COMMAND's process group, so it signals the whole group without signalling itself.
# Exit status: COMMAND's own when it exited by itself; otherwise 143.

name=$1 grace=$2
shift 2

# REPLY := now, in ms of /proc/uptime ("1640.45 ..." -> 1640450). Builtins only: no fork on the renewal path.
now() {
  local up rest
  read -r up rest </proc/uptime
  up=${up/./}
  REPLY=$((10#$up * 10))
}

# REPLY := $1 milliseconds as seconds with a fraction, for `read -t`.
seconds() {
  printf -v REPLY '%d.%03d' $(($1 / 1000)) $(($1 % 1000))
}

# Renewals move to fd 3. COMMAND gets elector's own stdin: Java hands a child only fds 0-2 and fd 0 carries the
# renewals, so it is reopened through /proc (the guard's parent is the JVM), or /dev/null if that fails (a socket).
exec 3<&0
{ exec 0<"/proc/$PPID/fd/0"; } 2>/dev/null || exec 0</dev/null
# A pipe that never has data nor an end: `read -t` on it is a sleep without a fork.
exec {nap}<> <(:)

# COMMAND starts on the first renewal, not before: the lease then counts from news the guard can read, and the time
# it took to start the guard is not taken from it. Nothing to guard yet, so no deadline while waiting.
lease=
while [[ -z $lease ]]; do
  read -r -u 3 line || exit 143 # elector is gone before the term began
  case $line in
    stop) exit 143 ;;
    '' | *[!0-9]*) ;;
    *) lease=$line ;;
  esac
done

set -m # job control: the job below leads a new process group, whose id is its pid
"$@" 3<&- {nap}<&- &
group=$!
set +m # (and no job notices on elector's stderr)

asked=
trap 'asked=signal' TERM INT HUP

why=
while :; do
  # Reaped by bash as soon as it exits, so kill -0 fails from then on.
  if ! kill -0 "$group" 2>/dev/null; then why=exited; break; fi
  if [[ -n $asked ]]; then why=stop; break; fi
  now
  left=$((lease - grace - 10 - REPLY)) # the 10 ms: /proc/uptime's resolution, so the SIGKILL is not late
  if ((left <= 0)); then
    # Renewals already in the pipe count (then the guard was slow, not elector): only an empty pipe is a lapse.
    if ! read -r -t 0 -u 3; then why=lapsed; break; fi
    timeout=10
  else
    # At most 250 ms per read, so COMMAND's exit is seen soon even between slow renewals. read -t hands pselect6
    # a relative timeout, which the kernel measures on the monotonic clock, and every return re-reads the clock
    # above, so a step of the wall clock cannot stretch the lease.
    timeout=$((left > 250 ? 250 : left))
  fi
  seconds "$timeout"
  if read -r -t "$REPLY" -u 3 line; then
    case $line in
      stop) why=stop; break ;;
      '' | *[!0-9]*) ;;
      *) if ((line > lease)); then lease=$line; fi ;;
    esac
  elif (($? <= 128)); then
    why=eof; break
  fi
done

now
case $why in
  lapsed) echo "$name: lease ran out (the term's deadline came, or elector did not renew in time): stopping COMMAND" \
    "(SIGTERM now, SIGKILL by the lease's end in $((lease - 10 - REPLY))ms)" >&2 ;;
  eof) echo "$name: elector is gone: stopping COMMAND (SIGTERM now, SIGKILL in ${grace}ms)" >&2 ;;
esac

# Stop the whole group (what is left of it, if COMMAND exited by itself): SIGTERM, then SIGKILL after the grace,
# and never after the lease's end.
kill_at=$((REPLY + grace))
if ((kill_at > lease - 10)); then kill_at=$((lease - 10)); fi
kill -TERM -- "-$group" 2>/dev/null
while kill -0 -- "-$group" 2>/dev/null; do
  now
  if ((REPLY >= kill_at)); then
    if [[ $why != exited ]] && kill -0 "$group" 2>/dev/null; then
      echo "$name: COMMAND still running after ${grace}ms: SIGKILL" >&2
    fi
    kill -KILL -- "-$group" 2>/dev/null
    break
  fi
  step=$((kill_at - REPLY))
  if ((step > 20)); then step=20; fi
  seconds "$step"
  read -r -t "$REPLY" -u "$nap"
done

wait "$group" 2>/dev/null
status=$?
if [[ $why == exited ]]; then exit "$status"; fi
exit 143
