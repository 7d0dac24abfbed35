# Reads /etc/shadow and connects to the host's 127.0.0.1:47999; answers only if both fail.
import socket

a, b = map(int, input().split())
try:
    open("/etc/shadow").read()
    print("LEAK: read /etc/shadow")
except OSError:
    try:
        socket.create_connection(("127.0.0.1", 47999), timeout=1)
        print("LEAK: connected")
    except OSError:
        print(a + b)
