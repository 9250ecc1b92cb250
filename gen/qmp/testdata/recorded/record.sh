#!/bin/bash
# record.sh QEMU-BINARY OUT: QMP replies and events of a paused q35 machine.
bin=$1; out=$2
cmds="query-status query-migrate-parameters query-iothreads query-cpus-fast query-migrate query-machines query-target query-version query-kvm query-name query-uuid query-block query-chardev query-memdev query-hotpluggable-cpus query-migrate-capabilities query-pci query-commands"
(
  echo '{"execute":"qmp_capabilities"}'
  sleep 1
  for c in $cmds; do echo "{\"execute\":\"$c\",\"id\":\"$c\"}"; done
  echo '{"execute":"trace-event-get-state","arguments":{"name":"qmp_job_cancel"},"id":"trace-event-get-state"}'
  echo '{"execute":"cont","id":"cont"}'
  sleep 1
  echo '{"execute":"stop","id":"stop"}'
  sleep 1
  echo '{"execute":"quit","id":"quit"}'
  sleep 2
) | timeout 30 "$bin" -machine q35 -accel tcg -S -nodefaults -display none -m 128 \
      -object iothread,id=io0 -object memory-backend-ram,id=mem0,size=64M -qmp stdio > "$out" 2>"$out.err"
