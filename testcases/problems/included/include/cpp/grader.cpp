// The package's driver: reads n, prints the submission's square(n). Replaces any file of
// the same name in a submission.
#include <cstdio>
#include "square.h"

int main() {
    long long n;
    if (std::scanf("%lld", &n) != 1 || n < 0 || n > {{LIMIT}}) return 1;
    std::printf("%lld\n", square(n));
    return 0;
}
