"""Drives a QMP server with QEMU's own Python client (qemu.qmp).

Usage: pyclient.py SOCKET. Prints one JSON line per check; the Go test
(TestServerPythonClient) compares them.
"""
import asyncio
import json
import sys

from qemu.qmp import ExecuteError, QMPClient


async def main(sock):
    out = []
    qmp = QMPClient('go-server-test')
    await qmp.connect(sock)
    greeting = qmp.greeting
    out.append({'greeting_caps': list(greeting.QMP.capabilities),
                'major': greeting.QMP.version['qemu']['major']})
    out.append({'query-status': await qmp.execute('query-status')})

    # An event the command causes, through a listener.
    with qmp.listener("STOP") as listener:
        await qmp.execute('stop')
        ev = await asyncio.wait_for(listener.get(), 5)
        out.append({'event': ev['event'], 'has_timestamp': 'seconds' in ev['timestamp']})
    out.append({'after-stop': await qmp.execute('query-status')})

    # Out of band, interleaved with in-band commands.
    results = await asyncio.gather(
        qmp.execute('migrate-pause', oob=True),
        qmp.execute('query-status'),
        qmp.execute('cont'),
    )
    out.append({'oob-and-in-band': results})

    # Errors keep their class.
    try:
        await qmp.execute('query-kvm')
    except ExecuteError as err:
        out.append({'error_class': err.error_class, 'desc': err.error.error.desc})
    try:
        await qmp.execute('device_del', {'id': 'disk0'})
    except ExecuteError as err:
        out.append({'error_class': err.error_class, 'desc': err.error.error.desc})

    await qmp.disconnect()
    for o in out:
        print(json.dumps(o, sort_keys=True))


asyncio.run(main(sys.argv[1]))
