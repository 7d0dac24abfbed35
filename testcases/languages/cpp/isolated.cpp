// Reads /etc/shadow and connects to the host's 127.0.0.1:47999; answers only if both fail.
#include <arpa/inet.h>
#include <sys/socket.h>
#include <bits/stdc++.h>

int main() {
    long long a, b;
    std::cin >> a >> b;
    if (std::ifstream("/etc/shadow").good()) {
        std::cout << "LEAK: read /etc/shadow\n";
        return 0;
    }
    int s = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in host{};
    host.sin_family = AF_INET;
    host.sin_port = htons(47999);
    host.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (s >= 0 && connect(s, reinterpret_cast<sockaddr *>(&host), sizeof host) == 0) {
        std::cout << "LEAK: connected\n";
        return 0;
    }
    std::cout << a + b << '\n';
}
