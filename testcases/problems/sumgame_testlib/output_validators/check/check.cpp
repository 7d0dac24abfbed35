// testlib-style checker for "Any Sum": check input output answer.
#include "testlib.h"

int main(int argc, char **argv) {
    registerTestlibCmd(argc, argv);
    long long n = inf.readLong();
    long long a = ouf.readLong(), b = ouf.readLong();
    if (!ouf.seekEof()) quitf(_pe, "extra output after the two numbers");
    if (a < 0 || b < 0) quitf(_wa, "numbers must be non-negative");
    if (a + b != n) quitf(_wa, "%lld + %lld is not %lld", a, b, n);
    quitf(_ok, "%lld + %lld = %lld", a, b, n);
}
