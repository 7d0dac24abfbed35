// Accepted, as a directory of several files compiled together.
#include <cstdio>
#include "distance.h"

int main() {
    long long a, b;
    while (std::scanf("%lld %lld", &a, &b) == 2) std::printf("%lld\n", distance(a, b));
}
