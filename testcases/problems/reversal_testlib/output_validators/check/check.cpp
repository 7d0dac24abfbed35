// testlib-style checker for "Reversal": check input output answer. All words in place is ok;
// N words with some in place earns that share of the test's 25 points (quitp); else wrong.
#include <string>
#include <vector>

#include "testlib.h"

int main(int argc, char **argv) {
    registerTestlibCmd(argc, argv);
    std::vector<std::string> expected, got;
    while (!ans.seekEof()) expected.push_back(ans.readToken());
    while (!ouf.seekEof()) got.push_back(ouf.readToken());
    if (got.size() != expected.size())
        quitf(_wa, "expected %zu words, got %zu", expected.size(), got.size());
    size_t in_place = 0;
    for (size_t i = 0; i < got.size(); i++) in_place += got[i] == expected[i];
    if (in_place == expected.size()) quitf(_ok, "all %zu words in place", in_place);
    quitp(25.0 * in_place / expected.size(), "%zu of %zu words in place", in_place,
          expected.size());
}
