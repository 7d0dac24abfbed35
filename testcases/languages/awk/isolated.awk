# Reads /etc/shadow; answers only if it cannot (awk has no sockets).
{ if ((getline line < "/etc/shadow") > 0) print "LEAK: read /etc/shadow"; else print $1 + $2 }
