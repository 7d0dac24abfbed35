# Reads /etc/shadow and connects to the host's 127.0.0.1:47999; answers only if both fail.
# awk has no sockets, so bash's /dev/tcp makes the connect: exit 0 is a connection, 1 a
# refused one; anything else means bash could not try, which is no answer either.
{
    if ((getline line < "/etc/shadow") > 0) { print "LEAK: read /etc/shadow"; exit }
    rc = system("exec /usr/bin/bash -c 'exec 3<>/dev/tcp/127.0.0.1/47999' 2>/dev/null")
    if (rc == 0) print "LEAK: connected"
    else if (rc != 1) print "UNTESTED: bash exited " rc
    else print $1 + $2
}
