// Defines main as well: the package's grader has one, so linking fails.
#include <cstdio>
#include "square.h"

long long square(long long n) { return n * n; }
int main() { std::printf("%lld\n", square(3)); }
