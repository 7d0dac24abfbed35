/* connect_tcp PORT: connects to 127.0.0.1:PORT and prints "connected" or the errno name. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0) { printf("socket %s\n", strerrorname_np(errno)); return 0; }
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[1])) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(s, (struct sockaddr *)&a, sizeof a) == 0) printf("connected\n");
    else printf("connect %s\n", strerrorname_np(errno));
    return 0;
}
