"""Drive a guest agent the way QEMU's qemu-ga-client does.

qemu-ga-client (QEMU's python/qemu/utils) is a thin layer over QEMU's
legacy synchronous client, qemu.qmp.legacy.QEMUMonitorProtocol, used
without a greeting or negotiation: it synchronises with guest-sync and a
random id, then sends one command at a time. This script does the same
with the operations that tool offers (ping, info, cat, fsfreeze status
aside, hostname, osinfo, time, exec) plus a file round trip, and prints
what it saw as one JSON document, so that a Go test can compare a Go
agent with qemu-ga.

usage: ga_client.py SOCKET DIR [--exec]
"""

import base64
import json
import os
import random
import sys
import time

from qemu.qmp.legacy import QEMUMonitorProtocol
from qemu.qmp.qmp_client import ExecuteError


def error_class(fn):
    try:
        fn()
    except ExecuteError as err:
        return err.error.error.class_
    return None


def read_file(agent, path):
    handle = agent.cmd('guest-file-open', path=path, mode='r')
    data = b''
    while True:
        chunk = agent.cmd('guest-file-read', handle=handle, count=7)
        data += base64.b64decode(chunk['buf-b64'])
        if chunk['eof']:
            break
    agent.cmd('guest-file-close', handle=handle)
    return data


def main():
    sock, root = sys.argv[1], sys.argv[2]
    with_exec = '--exec' in sys.argv[3:]
    agent = QEMUMonitorProtocol(sock)
    agent.connect(negotiate=False)
    agent.settimeout(20)
    out = {}

    uid = random.randint(1, 2**31 - 1)
    out['sync'] = agent.cmd('guest-sync', id=uid) == uid
    out['ping'] = agent.cmd('guest-ping')

    info = agent.cmd('guest-info')
    cmds = {c['name']: c['enabled'] for c in info['supported_commands']}
    out['info'] = {name: cmds.get(name) for name in
                   ('guest-ping', 'guest-sync', 'guest-file-open',
                    'guest-shutdown')}

    path = os.path.join(root, 'ga-client.txt')
    text = 'first line\nsecond line, a bit longer than the read size\n'
    with open(path, 'w', encoding='ascii') as f:
        f.write(text)
    out['cat'] = read_file(agent, path).decode() == text

    written = os.path.join(root, 'ga-client-written.bin')
    payload = bytes(range(256)) * 3
    handle = agent.cmd('guest-file-open', path=written, mode='w')
    res = agent.cmd('guest-file-write', handle=handle,
                    **{'buf-b64': base64.b64encode(payload).decode()})
    out['write-count'] = res['count']
    agent.cmd('guest-file-flush', handle=handle)
    agent.cmd('guest-file-close', handle=handle)
    with open(written, 'rb') as f:
        out['write'] = f.read() == payload
    out['read-back'] = read_file(agent, written) == payload

    out['open-missing'] = error_class(lambda: agent.cmd(
        'guest-file-open', path=os.path.join(root, 'missing'), mode='r'))
    out['read-bad-handle'] = error_class(lambda: agent.cmd(
        'guest-file-read', handle=999999))
    out['unknown-command'] = error_class(lambda: agent.cmd('guest-no-such'))
    out['shutdown-refused'] = error_class(lambda: agent.cmd('guest-shutdown'))

    out['host-name'] = agent.cmd('guest-get-host-name')['host-name']
    osinfo = agent.cmd('guest-get-osinfo')
    out['osinfo-id'] = osinfo.get('id')
    out['osinfo-machine'] = osinfo.get('machine')
    out['time-ns-plausible'] = abs(agent.cmd('guest-get-time')
                                   - time.time_ns()) < 60 * 10**9

    if with_exec:
        pid = agent.cmd('guest-exec', path='/bin/sh',
                        arg=['-c', 'printf out; printf err >&2; exit 3'],
                        **{'capture-output': True})['pid']
        while True:
            status = agent.cmd('guest-exec-status', pid=pid)
            if status['exited']:
                break
            time.sleep(0.05)
        out['exec'] = {
            'exitcode': status['exitcode'],
            'out': base64.b64decode(status.get('out-data', '')).decode(),
            'err': base64.b64decode(status.get('err-data', '')).decode(),
        }

    agent.close()
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    print()


if __name__ == '__main__':
    main()
