/* Reads /etc/shadow and connects to the host's 127.0.0.1:47999; answers only if both fail. */
#include <arpa/inet.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void) {
    long long a, b;
    if (scanf("%lld %lld", &a, &b) != 2) return 1;
    FILE *shadow = fopen("/etc/shadow", "r");
    if (shadow) {
        puts("LEAK: read /etc/shadow");
        return 0;
    }
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in host = {.sin_family = AF_INET, .sin_port = htons(47999)};
    host.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (s >= 0 && connect(s, (struct sockaddr *)&host, sizeof host) == 0) {
        puts("LEAK: connected");
        return 0;
    }
    printf("%lld\n", a + b);
    return 0;
}
