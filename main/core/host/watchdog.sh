#!/bin/sh
# The watchdog on POSIX systems: a shell that waits, costing about a megabyte where a Node process
# would cost 40 or more. The orchestrator writes to its stdin, one line each:
#   track PID | untrack PID | goodbye
# Its stdin reaches end of file when the orchestrator exits, however it exits (even SIGKILL). After
# a goodbye with nothing tracked it exits; otherwise it execs its arguments (the reaper: Node with
# reap-main.ts and the orchestrator's settings) with the pids still tracked appended.

# A terminal's hang-up or Ctrl-C must not take the watchdog down before it has done its job.
trap '' INT HUP TERM

tracked=
goodbye=0
while IFS=' ' read -r kind pid; do
  case $kind in
    track) tracked="$tracked $pid" ;;
    untrack)
      kept=
      for each in $tracked; do
        [ "$each" = "$pid" ] || kept="$kept $each"
      done
      tracked=$kept
      ;;
    goodbye) goodbye=1 ;;
  esac
done

if [ "$goodbye" = 1 ] && [ -z "$tracked" ]; then exit 0; fi
# Word splitting of $tracked is wanted: one argument per pid.
# shellcheck disable=SC2086
exec "$@" $tracked
