#!/usr/bin/env python3
"""Seed corpus for the `bus_decode` fuzz target: real cluster-bus bytes from redis-server.

A listener poses as a cluster node; a real `redis-server` (cluster mode, some slots) is told
`CLUSTER MEET` it and sends its MEET packet (full header, gossip section, ping extensions).
Each whole packet is saved under corpus/bus_decode/. Without a valid seed the fuzzer rarely
builds a 2256-byte header whose totlen matches and spends its time on the length checks.
Needs redis-server and redis-cli on PATH.
"""
import os
import socket
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "bus_decode")


def free_port():
    """A free port whose bus port (port + 10000) is valid too."""
    while True:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        p = s.getsockname()[1]
        s.close()
        if p + 10000 < 65536:
            return p


def main():
    os.makedirs(OUT, exist_ok=True)
    fake = free_port()
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", fake + 10000))
    listener.listen(5)
    listener.settimeout(10)
    port = free_port()
    with tempfile.TemporaryDirectory() as d:
        srv = subprocess.Popen(
            ["redis-server", "--port", str(port), "--cluster-enabled", "yes",
             "--cluster-config-file", os.path.join(d, "nodes.conf"), "--save", "",
             "--appendonly", "no", "--dir", d],
            stdout=subprocess.DEVNULL)
        try:
            deadline = time.time() + 10
            while subprocess.run(["redis-cli", "-p", str(port), "ping"],
                                 capture_output=True).stdout.strip() != b"PONG":
                if time.time() > deadline:
                    raise SystemExit("redis-server did not start")
                time.sleep(0.05)
            subprocess.run(["redis-cli", "-p", str(port), "cluster", "addslotsrange", "0", "100"],
                           check=True, capture_output=True)
            subprocess.run(["redis-cli", "-p", str(port), "cluster", "meet", "127.0.0.1",
                            str(fake)], check=True, capture_output=True)
            conn, _ = listener.accept()
            conn.settimeout(3)
            buf = b""
            try:
                while len(buf) < 20000:
                    data = conn.recv(65536)
                    if not data:
                        break
                    buf += data
            except socket.timeout:
                pass
        finally:
            srv.kill()
            srv.wait()
    n = 0
    while len(buf) >= 8:
        totlen = int.from_bytes(buf[4:8], "big")
        if totlen < 8 or totlen > len(buf):
            break
        with open(os.path.join(OUT, f"redis_{n}"), "wb") as f:
            f.write(buf[:totlen])
        n += 1
        buf = buf[totlen:]
    print(f"saved {n} packet(s) to {OUT}")


if __name__ == "__main__":
    main()
