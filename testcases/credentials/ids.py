# Prints the uid it runs as inside and the host uid that uid is mapped to, read from its own
# user namespace's map: "INSIDE HOST". The credentials tests judge it against answers that name
# the ids `--inside-ids` and `--host-ids` ask for.
import os

uid = os.getuid()
for line in open("/proc/self/uid_map"):
    inside, host, count = map(int, line.split())
    if inside <= uid < inside + count:
        print(uid, host + uid - inside)
