"""CRIU's own Python client (Debian's pycriu) driving amber: check, dump, restore, and a
pre-dump amber refuses. Usage: pycriu_client.py AMBER PID IMAGES_DIR. Prints one JSON object."""
import json
import os
import sys

import pycriu

amber, pid, images = sys.argv[1], int(sys.argv[2]), sys.argv[3]
out = {}


def client():
    c = pycriu.criu()
    c.use_binary(amber)
    c.opts.images_dir_fd = os.open(images, os.O_DIRECTORY)
    c.opts.log_level = 4
    return c


c = client()
c.check()
out['check'] = True

c = client()
c.opts.pid = pid
try:
    c.pre_dump()
    out['pre_dump'] = 'served'
except pycriu.CRIUExceptionExternal as e:
    out['pre_dump'] = str(e)

c = client()
c.opts.pid = pid
c.opts.log_file = 'dump.log'
out['dump_restored'] = c.dump().restored

c = client()
c.opts.log_file = 'restore.log'
out['restore_pid'] = c.restore().pid
print(json.dumps(out))
