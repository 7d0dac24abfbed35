/* connect_abstract NAME: connects to the abstract unix socket "\0NAME" and prints "connected"
 * or the errno name. */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    if (s < 0) { printf("socket %s\n", strerrorname_np(errno)); return 0; }
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    size_t n = strlen(argv[1]);
    memcpy(a.sun_path + 1, argv[1], n);
    if (connect(s, (struct sockaddr *)&a, offsetof(struct sockaddr_un, sun_path) + 1 + n) == 0)
        printf("connected\n");
    else
        printf("connect %s\n", strerrorname_np(errno));
    return 0;
}
