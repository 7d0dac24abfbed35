// Kattis output validator for "Reversal", with scores:
//   validate input answer feedback_dir [points P] < output
// Rejects (43) output that is not N words; accepts (42) anything else and writes to
// feedback_dir/score.txt the test's points (P, default 1) times the share of words in place.
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

static std::string feedback;

static int verdict(int code, const std::string &message) {
    std::ofstream(feedback + "judgemessage.txt") << message << "\n";
    return code;
}

int main(int argc, char **argv) {
    if (argc < 4) return 1;
    feedback = argv[3];
    double points = 1;
    for (int i = 4; i + 1 < argc; i++)
        if (std::string(argv[i]) == "points") points = std::atof(argv[i + 1]);
    std::ifstream answer(argv[2]);
    std::vector<std::string> expected;
    for (std::string w; answer >> w;) expected.push_back(w);
    std::vector<std::string> got;
    for (std::string w; std::cin >> w;) got.push_back(w);
    if (got.size() != expected.size())
        return verdict(43, "expected " + std::to_string(expected.size()) + " words, got " +
                               std::to_string(got.size()));
    size_t in_place = 0;
    for (size_t i = 0; i < got.size(); i++) in_place += got[i] == expected[i];
    std::ofstream(feedback + "score.txt") << points * in_place / expected.size() << "\n";
    return verdict(42, std::to_string(in_place) + " of " + std::to_string(expected.size()) +
                           " words in place");
}
