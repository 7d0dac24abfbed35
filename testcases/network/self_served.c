/* Problem `different` (|a - b| per line), answered only when the run can serve and connect to
 * itself on 127.0.0.1: each line goes through a TCP connection to its own listener and back.
 * Without a loopback network it prints "no network" (a wrong answer). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void) {
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int c = -1, s = -1;
    if (l >= 0 && bind(l, (struct sockaddr *)&a, sizeof a) == 0 && listen(l, 1) == 0 &&
        getsockname(l, (struct sockaddr *)&a, &len) == 0) {
        c = socket(AF_INET, SOCK_STREAM, 0);
        if (c >= 0 && connect(c, (struct sockaddr *)&a, sizeof a) == 0) s = accept(l, NULL, NULL);
    }
    if (s < 0) { puts("no network"); return 0; }
    long long x, y;
    while (scanf("%lld %lld", &x, &y) == 2) {
        long long d = llabs(x - y), back = 0;
        if (write(c, &d, sizeof d) != sizeof d || read(s, &back, sizeof back) != sizeof back) {
            puts("exchange failed");
            return 0;
        }
        printf("%lld\n", back);
    }
    return 0;
}
