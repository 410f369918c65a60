"""The app of the asyncio test: a TCP server on 127.0.0.1:PORT keeping per-connection state.

Line protocol, one answer line per request line:
  ADD n      adds the integer n (any size) to this connection's running sum -> "SUM s"
  INFO       -> "CONN id PORT peerport SUM s ADDS k OPEN connections PID pid"
  BLOB n s   -> "BLOB n", n deterministic bytes, "\n"
               (byte i = ((i * 131 + s) ^ (i >> 7)) & 0xff, as in apps/lib/pattern.ts)
  QUIT       -> "BYE", then the server closes the connection
SIGTERM: prints a summary and exits 0.
Usage: python3 asyncio_server.py PORT
"""
import asyncio
import os
import signal
import sys

next_conn = 0
open_conns = 0
total_adds = 0


def pattern(n, seed):
    return bytes(((i * 131 + seed) ^ (i >> 7)) & 0xFF for i in range(n))


async def handle(reader, writer):
    global next_conn, open_conns, total_adds
    next_conn += 1
    conn_id = next_conn
    open_conns += 1
    peer_port = writer.get_extra_info("peername")[1]
    total = 0
    adds = 0
    try:
        while True:
            line = await reader.readline()
            if not line:
                break
            parts = line.decode("ascii", "replace").split()
            if not parts:
                continue
            cmd = parts[0]
            if cmd == "ADD" and len(parts) == 2:
                total += int(parts[1])
                adds += 1
                total_adds += 1
                writer.write(f"SUM {total}\n".encode())
            elif cmd == "INFO":
                writer.write(f"CONN {conn_id} PORT {peer_port} SUM {total} ADDS {adds} OPEN {open_conns} PID {os.getpid()}\n".encode())
            elif cmd == "BLOB" and len(parts) == 3:
                n, seed = int(parts[1]), int(parts[2])
                writer.write(f"BLOB {n}\n".encode() + pattern(n, seed) + b"\n")
            elif cmd == "QUIT":
                writer.write(b"BYE\n")
                await writer.drain()
                break
            else:
                writer.write(b"ERR unknown request\n")
            await writer.drain()
    except (ConnectionError, ValueError) as e:
        print(f"connection {conn_id}: {e!r}", flush=True)
    finally:
        open_conns -= 1
        writer.close()


async def main(port):
    server = await asyncio.start_server(handle, "127.0.0.1", port)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    print(f"listening on 127.0.0.1:{port}, pid {os.getpid()}", flush=True)
    await stop.wait()
    server.close()
    print(f"SIGTERM: {next_conn} connections, {total_adds} adds", flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: asyncio_server.py PORT", file=sys.stderr)
        sys.exit(2)
    asyncio.run(main(int(sys.argv[1])))
