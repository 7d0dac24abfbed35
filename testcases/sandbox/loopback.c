/* loopback HOSTPORT: what a run's network lets it do. Prints one line each:
 *   self ok | self <step> <errno>      serve and connect to itself on 127.0.0.1
 *   host connected | host <errno>      the host's 127.0.0.1:HOSTPORT (a listener outside)
 *   outside connected | outside <errno>  1.1.1.1:53 and 10.0.2.2:80, with a 2 s timeout
 *   netlink <errno> | packet <errno>   other socket families
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *err(void) { return strerrorname_np(errno); }

static void self_serve(void) {
    int l = socket(AF_INET, SOCK_STREAM, 0);
    if (l < 0) { printf("self socket %s\n", err()); return; }
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind(l, (struct sockaddr *)&a, sizeof a) != 0) { printf("self bind %s\n", err()); return; }
    if (listen(l, 1) != 0) { printf("self listen %s\n", err()); return; }
    if (getsockname(l, (struct sockaddr *)&a, &len) != 0) { printf("self getsockname %s\n", err()); return; }
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(c, (struct sockaddr *)&a, sizeof a) != 0) { printf("self connect %s\n", err()); return; }
    int s = accept(l, NULL, NULL);
    if (s < 0) { printf("self accept %s\n", err()); return; }
    char buf[8] = {0};
    if (write(c, "ping", 4) != 4 || read(s, buf, 4) != 4 || strcmp(buf, "ping") != 0) {
        printf("self exchange %s\n", err());
        return;
    }
    printf("self ok\n");
}

static const char *try_connect(const char *ip, int port) {
    static char out[64];
    int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (c < 0) { snprintf(out, sizeof out, "%s", err()); return out; }
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
    inet_pton(AF_INET, ip, &a.sin_addr);
    if (connect(c, (struct sockaddr *)&a, sizeof a) == 0) return "connected";
    if (errno != EINPROGRESS) { snprintf(out, sizeof out, "%s", err()); return out; }
    struct pollfd p = { .fd = c, .events = POLLOUT };
    if (poll(&p, 1, 2000) == 0) return "ETIMEDOUT";
    int e = 0;
    socklen_t el = sizeof e;
    getsockopt(c, SOL_SOCKET, SO_ERROR, &e, &el);
    if (e == 0) return "connected";
    snprintf(out, sizeof out, "%s", strerrorname_np(e));
    return out;
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    self_serve();
    printf("host %s\n", try_connect("127.0.0.1", atoi(argv[1])));
    printf("outside %s %s\n", try_connect("1.1.1.1", 53), try_connect("10.0.2.2", 80));
    int n = socket(AF_NETLINK, SOCK_RAW, 0);
    printf("netlink %s\n", n < 0 ? err() : "opened");
    int k = socket(AF_PACKET, SOCK_RAW, 0);
    printf("packet %s\n", k < 0 ? err() : "opened");
    return 0;
}
