# Sourced by the profile scripts: drives one `net_echo slices pingpong`
# load process (see bench/src/bin/net_echo/rotate.rs) over a coprocess.
#
#   load_start BIN CONNS PORT SERVER_PID   starts it on core 0 and has it
#                                          make its CONNS connections
#   load_slice MS COUNTED                  runs one slice (COUNTED 0 or 1)
#   load_end                               ends it; its TOTAL line (requests,
#                                          seconds, server CPU ns, load
#                                          sleeps) is then in $load_total
# $load_pid is the load process, for the caller's cleanup.
#
# Bash unsets the coprocess's LOAD array as soon as the process exits,
# which can be before its last lines are read, so load_start keeps copies
# of its two descriptors in $load_in and $load_out.

load_expect() { # what: reads one line, which must be `what`
  local line
  read -r line <&"$load_in" || line="(nothing)"
  [ "$line" = "$1" ] || { echo "load process said: $line" >&2; exit 1; }
}

load_start() {
  coproc LOAD { exec taskset -c 0 "$1" slices pingpong "$2" "127.0.0.1:$3" "$4"; }
  load_pid=$LOAD_PID
  exec {load_in}<&"${LOAD[0]}" {load_out}>&"${LOAD[1]}"
  load_expect READY
  echo "CONNECT $2" >&"$load_out"
  load_expect CONNECTED
}

load_slice() {
  echo "SLICE $1 $2" >&"$load_out"
  local line
  while read -r line <&"$load_in"; do [ "$line" = DONE ] && return; done
  echo "load process ended early" >&2
  exit 1
}

load_end() {
  echo END >&"$load_out"
  local line
  load_total=""
  while read -r line <&"$load_in"; do
    case $line in TOTAL*) load_total=$line ;; esac
  done
  wait "$load_pid" || true
  exec {load_in}<&- {load_out}>&-
  [ -n "$load_total" ] || { echo "no TOTAL from the load process" >&2; exit 1; }
}
