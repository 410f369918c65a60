#!/usr/bin/env python3
"""Runs Debian's crit command line (pycriu.cli.main) on many argument lists in one process.

Reads on stdin a JSON list of argument lists (as for /usr/bin/crit); prints on stdout a
JSON list of {"status", "stdout" (base64), "stderr"}, one per run. Saves the interpreter
start per run of crit; each run gets fresh stdout/stderr and crit's explorer caches reset.
"""
import base64
import io
import json
import sys
import traceback

sys.path.insert(0, '/usr/lib/python3/dist-packages')
from pycriu import cli  # noqa: E402


def reset_caches():
    cli.files_img = None
    cli.files_cache.clear()
    for ft in cli.file_types.values():
        ft['img'] = None


def run(args):
    reset_caches()
    out = io.BytesIO()
    err = io.StringIO()
    real = sys.stdout, sys.stderr, sys.argv
    wrapper = io.TextIOWrapper(out, encoding='utf-8', write_through=True)
    sys.stdout = wrapper
    sys.stderr = err
    sys.argv = ['crit'] + args
    status = 0
    try:
        cli.main()
    except SystemExit as e:
        status = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except Exception:
        traceback.print_exc(file=err)
        status = 1
    finally:
        try:
            wrapper.flush()
        except Exception:
            pass
        wrapper.detach()  # keeps `out` open when the wrapper goes
        sys.stdout, sys.stderr, sys.argv = real
    return {'status': status, 'stdout': base64.b64encode(out.getvalue()).decode(), 'stderr': err.getvalue()}


def main():
    runs = json.load(sys.stdin)
    json.dump([run(a) for a in runs], sys.stdout)


if __name__ == '__main__':
    main()
