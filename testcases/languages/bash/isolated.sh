# Reads /etc/shadow and connects to the host's 127.0.0.1:47999; answers only if both fail.
read a b
if cat /etc/shadow >/dev/null 2>&1; then echo "LEAK: read /etc/shadow"; exit 0; fi
if (exec 3<>/dev/tcp/127.0.0.1/47999) 2>/dev/null; then echo "LEAK: connected"; exit 0; fi
echo $((a + b))
